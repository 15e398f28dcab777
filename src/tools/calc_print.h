/* calc_print.h: how attnlab-calc shows a calculation: in text, a heading
 * per step, its equation, and small aligned tables; with --latex, the same
 * steps as the lines of one LaTeX align* block. Printing only: every number
 * shown was computed by the library before printing starts. */
#ifndef ATTNLAB_CALC_PRINT_H
#define ATTNLAB_CALC_PRINT_H

#include <stdbool.h>
#include <stdio.h>

#include "attnlab/matrix.h"
#include "calc.h"
#include "text_table.h"

struct calc_printer {  /* calc_printer, as calc.h names it */
    FILE *out;
    int precision;       /* decimals of computed numbers                      */
    int step;            /* the last step number printed                      */
    int latex_lines;     /* lines of the align* block printed so far          */
    bool out_of_memory;  /* a table could not be made; the program fails      */
};

/* A printer on stdout with args' precision. */
calc_printer calc_printer_start(const calc_args *args);

/* ---- numbers as text ----------------------------------------------------- */

#define CALC_NUMBER_SIZE TEXT_NUMBER_SIZE

/* A computed number to the printer's decimals, for tables: "0.6590",
 * "1250.0000"; "-inf" for -INFINITY (a masked score); never "-0.0000". */
const char *calc_fixed(char text[CALC_NUMBER_SIZE], float x, int precision);

/* The same without trailing zeros, for sentences and LaTeX: "0.659", "1250". */
const char *calc_short(char text[CALC_NUMBER_SIZE], float x, int precision);

/* A number as typed: the shortest text that gives back the same float
 * ("0.1", "70"). */
const char *calc_exact(char text[CALC_NUMBER_SIZE], float x);

/* Row i of m as text: the number alone for one column, "(1, 2)" for more;
 * exact as calc_exact, otherwise as calc_short. Returns text, cut short at
 * size. */
const char *calc_row_text(char *text, size_t size, const al_matrix *m, int i, bool exact,
                          int precision);

/* "first", "second", ... "10th", "11th", "21st" for index 0, 1, ... */
const char *calc_ordinal(char text[CALC_NUMBER_SIZE], int index);

/* ---- text ------------------------------------------------------------------ */

/* A line of text at the left margin (the title of the calculation). */
void calc_title(calc_printer *p, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* "\nStep N: title" and, if equation is not NULL, the equation under it. */
void calc_step(calc_printer *p, const char *title, const char *equation);

/* An indented line of text. */
void calc_say(calc_printer *p, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* After a text printout with --trace FILE: where the trace went and how to
 * look inside it. Nothing without --trace. */
void calc_trace_note(calc_printer *p, const calc_args *args);

/* ---- tables ------------------------------------------------------------------
 * Tables are text_table (src/text/text_table.h): column 0 left-aligned
 * (labels), the others right-aligned (numbers) unless text_table_align says
 * otherwise; no line ends in spaces. */

/* Print t with two spaces of indent, after a blank line, and free it. A
 * table that could not be made (NULL, out of memory) marks the printer out
 * of memory. */
void calc_table_print(calc_printer *p, text_table *t);

/* Matrix m as a table under "SYMBOL  trace.name  (R x C)", rows and columns
 * labelled (NULL: indices); exact prints numbers as typed, otherwise with
 * the printer's decimals. */
void calc_print_matrix(calc_printer *p, const char *symbol, const char *name, const al_matrix *m,
                       const char *const *row_labels, const char *const *col_labels,
                       bool exact);

/* ---- LaTeX ---------------------------------------------------------------------
 * One align* block: calc_latex_begin prints a comment with the command and
 * \begin{align*}; each calc_latex_line starts a line (ending the one before
 * with \\); calc_latex_more adds to the current line; calc_latex_end closes
 * the block. */
void calc_latex_begin(calc_printer *p, const calc_args *args);
void calc_latex_line(calc_printer *p, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
void calc_latex_more(calc_printer *p, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
void calc_latex_end(calc_printer *p);

/* A number for LaTeX: a computed one with --precision decimals, as
 * calc_fixed writes it and as the text tables show it (0.6590, 0.2424,
 * 0.0986: one precision throughout a block, never 0.659 beside 0.2424);
 * exact: as calc_exact, for what was typed. -\infty and \infty for the
 * infinities, \text{NaN} for NaN. */
const char *calc_latex_number(char text[CALC_NUMBER_SIZE], float x, bool exact, int precision);

/* Append m as \begin{pmatrix} ... \end{pmatrix} to the current line. */
void calc_latex_matrix(calc_printer *p, const al_matrix *m, bool exact);

/* Append row i of m: the number alone, or a row vector (a, b, c). */
void calc_latex_row(calc_printer *p, const al_matrix *m, int i, bool exact);

#endif
