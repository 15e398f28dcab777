/* printout.h: how lessons narrate a computation in the terminal: a heading
 * per step, then each matrix as an aligned table with its trace name, its
 * shape and its row and column labels. Colour (bold headings, dim labels)
 * only when stdout is a terminal and neither --no-color nor NO_COLOR says
 * otherwise. Printing only: no maths here. */
#ifndef LESSONS_PRINTOUT_H
#define LESSONS_PRINTOUT_H

#include <stdbool.h>
#include <stdio.h>

#include "attnlab/matrix.h"

typedef struct printout {
    FILE *out;
    bool color;
    bool quiet;      /* print nothing but what print_always prints */
    int precision;   /* decimals */
    int step;        /* the last step number printed */
    int max_columns; /* > 0: print_matrix shows at most this many columns */
    int line_width;  /* wide matrices are cut into blocks of columns that fit */
} printout;

/* The widest line the printout may use on fd: a terminal's own width (at
 * least 40), or 100 when fd is not a terminal (a file or a pipe), so that
 * output written to a file is the same bytes wherever it was run. */
int printout_line_width(int fd);

/* stdout, with colour decided from the terminal, NO_COLOR and no_color, and
 * the line width from printout_line_width. */
printout printout_start(int precision, bool quiet, bool no_color);

/* "Step N: title" in bold, then the equation line (may be NULL). */
void print_step(printout *p, const char *title, const char *equation);

/* A line of narration (printf-style), wrapped by the caller. */
void print_text(printout *p, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* Like print_text, but printed even with --quiet (final paths). */
void print_always(printout *p, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* The matrix m under its trace name and a short symbol ("Q"), with its shape
 * "(6 x 4)" and labels (NULL: indices). -inf entries print as "masked"
 * (and NaN, which no lesson should meet).
 * Wide matrices are printed in blocks of columns that fit p->line_width;
 * with p->max_columns set, only the first max_columns columns are, and a
 * line says how many more the trace holds. */
void print_matrix(printout *p, const char *trace_name, const char *symbol, const al_matrix *m,
                  const char *const *row_labels, const char *const *col_labels);

/* For each row of an attention weight matrix, one line naming the key it
 * weighs most and the runner-up: "bank  ->  river 0.40, bank 0.34". Keys
 * of exactly equal weight are named together ("walks and find 0.26 each",
 * "then every other word 0.10"), never one picked by column order. A
 * runner-up of weight 0 (a masked key) is left out, and a row of zeros
 * (every key masked) says "nothing: every weight is 0".
 * Narration only: it reads weights, it computes nothing new. */
void print_strongest_links(printout *p, const al_matrix *weights, const char *const *row_labels,
                           const char *const *col_labels);

/* x as "%g" with ".0" added when that has no decimal point: 0.5 -> "0.5",
 * 1 -> "1.0", 10 -> "10.0". For a number inside a trace name, e.g. the
 * temperature in "sweep.T=1.0.probs", so that every such name has its dot
 * in the same place. Returns buf. */
const char *decimal_text(char *buf, size_t size, double x);

/* Number of characters a UTF-8 string takes on screen (one per code point).
 * Defined in src/text/text_table.c, which also lays out print_matrix's
 * tables for the tools. */
int text_width(const char *s);

#endif
