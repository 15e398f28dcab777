/* trace_tool.h: the parts of the attnlab-trace program (the trace viewer)
 * and what they share: text layout helpers (trace_text.c) and the
 * subcommands (trace_show.c, trace_diff.c), called from attnlab_trace.c.
 * Internal to src/tools; not a public header. The program only reads
 * traces (trace_file.h) and never calls the computing library. */
#ifndef ATTNLAB_TRACE_TOOL_H
#define ATTNLAB_TRACE_TOOL_H

#include <stdbool.h>
#include <stdio.h>

#include "attnlab/trace_file.h"

/* Exit statuses, as documented in --help. */
enum {
    EXIT_ALL_OK = 0,   /* done; for diff: every tensor agrees               */
    EXIT_DIFFERS = 1,  /* diff found a difference                           */
    EXIT_USAGE = 2     /* bad arguments, or a trace that cannot be read     */
};

/* ---- text helpers (trace_text.c) ------------------------------------------ */

/* Room for any float written by format_shortest or format_fixed. */
#define NUMBER_TEXT_SIZE 64

/* The shortest decimal that reads back as exactly x (as in trace files):
 * 0.1f is "0.1". NaN (a masked entry) is "null". */
void format_shortest(char text[NUMBER_TEXT_SIZE], float x);

/* x with `precision` decimals ("0.7500"); exponent form for magnitudes of
 * 1e9 and beyond, where fixed notation would run to dozens of digits. */
void format_fixed(char text[NUMBER_TEXT_SIZE], float x, int precision);

/* How many columns text takes on a terminal: one per UTF-8 character, so
 * that "économique" lines up like "economique". */
int text_width(const char *text);

typedef enum alignment { ALIGN_LEFT, ALIGN_RIGHT, ALIGN_CENTER } alignment;

/* Print text padded with spaces to width columns. */
void print_padded(FILE *out, const char *text, int width, alignment align);

/* A matrix of numbers to print with labels. Labels may be NULL, and then
 * the row or column index is shown instead. NaN entries (masked, null in
 * the trace) are shown as a centred "-". */
typedef struct table {
    int rows, cols;
    const char *const *row_labels;
    const char *const *col_labels;
    const float *values;   /* rows * cols, row-major */
    int precision;         /* decimals */
} table;

/* Print t as aligned text: column labels on top, row labels on the left,
 * numbers right-aligned under their labels. Tables too wide for 100
 * columns of text are printed in blocks of columns, one under another. */
void print_table(FILE *out, const table *t);

/* ---- the subcommands (list and show: trace_show.c; diff: trace_diff.c) ------
 * Each prints its results on stdout, its one error line on stderr, and
 * returns the program's exit status. */

/* list: one aligned line per tensor, then the counts. */
int trace_list(const al_trace_file *trace);

/* show: one tensor as a table, or with show_rows its softmax row records;
 * a name that is not there is an error listing the names near it. */
int trace_show(const al_trace_file *trace, const char *trace_path, const char *name,
               int precision, bool show_rows);

/* diff: compare a with b tensor by tensor; |a - b| <= atol + rtol * |b|. */
int trace_diff(const al_trace_file *a, const al_trace_file *b, double atol, double rtol);

#endif
