/* text_table.h: text in aligned columns for a terminal, shared by the
 * lessons' printouts, the trace viewer (attnlab-trace) and the calculator
 * (attnlab-calc): the width of UTF-8 text, padding, numbers as text, and
 * labelled tables printed in blocks of columns that fit a line.
 * It lays out text only: no matrices, no trace files, no maths, so a
 * program that only reads traces can use it. Internal to attnlab's
 * programs; not a public header. */
#ifndef ATTNLAB_TEXT_TABLE_H
#define ATTNLAB_TEXT_TABLE_H

#include <stdbool.h>
#include <stdio.h>

/* ---- text ---------------------------------------------------------------- */

/* How many columns text takes on a terminal: one per UTF-8 character, so
 * that "économique" lines up like "economique". */
int text_width(const char *text);

typedef enum text_align { TEXT_LEFT, TEXT_RIGHT, TEXT_CENTER } text_align;

/* Print count spaces (none for count <= 0). */
void text_spaces(FILE *out, int count);

/* Print text padded with spaces to width columns; text wider than width
 * is printed whole. Centred text gets the odd space on its left. */
void text_padded(FILE *out, const char *text, int width, text_align align);

/* ---- numbers ------------------------------------------------------------- */

/* Room for any float written by the functions below. */
#define TEXT_NUMBER_SIZE 64

/* x with `decimals` decimals as printf's %.*f writes it ("0.7500", and
 * "-0.0000" for -0.00001); from 1e9 on in exponent form ("1.2500e+09"),
 * where fixed notation would run to dozens of digits. Returns text. */
char *text_fixed(char text[TEXT_NUMBER_SIZE], float x, int decimals);

/* The shortest decimal that reads back as exactly x, as trace files write
 * it: 0.1f is "0.1". NaN (a trace's null) is "null". Returns text. */
char *text_shortest(char text[TEXT_NUMBER_SIZE], float x);

/* labels[index] or, when labels or labels[index] is NULL, the index
 * written into buffer ("3"). */
const char *text_label(char buffer[TEXT_NUMBER_SIZE], const char *const *labels, int index);

/* ---- tables ---------------------------------------------------------------
 * A table is a grid of text cells: a header line (row -1) above rows 0 to
 * rows - 1, and a label column (column 0) left of columns 1 to cols - 1.
 * Row -1 holds the column labels, column 0 the row labels; the corner
 * (-1, 0) is usually empty. Column 0 is left-aligned, the others
 * right-aligned, unless text_table_align says otherwise.
 *
 * Printed, each column is as wide as its widest cell (header included),
 * with two spaces between columns; a line stops after its last non-empty
 * cell, so no line ends in spaces; a header line with nothing in it is not
 * printed.
 *
 * Every function accepts a NULL table and does nothing, so a table that
 * could not be made (out of memory) fails once, in text_table_print. */
typedef struct text_table text_table;

/* A table of rows x cols cells (the header line not counted, the label
 * column counted), every cell empty. NULL when out of memory. The caller
 * frees it with text_table_free. */
text_table *text_table_new(int rows, int cols);

/* Cell (row, col) becomes the printf-style text (copied). */
void text_table_set(text_table *t, int row, int col, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

/* Every cell of column col, its header too, is aligned as align. */
void text_table_align(text_table *t, int col, text_align align);

/* One cell is aligned as align (e.g. a centred "-" among numbers). */
void text_table_align_cell(text_table *t, int row, int col, text_align align);

/* Release t and its text. Safe on NULL. */
void text_table_free(text_table *t);

/* ---- tables of numbers ---------------------------------------------------- */

/* A rows x cols block of floats and its labels. */
typedef struct text_numbers {
    const float *values;             /* element (i, j) is values[i * stride + j] */
    int rows, cols, stride;
    const char *const *row_labels;   /* rows of them; NULL (or a NULL label): the index */
    const char *const *col_labels;   /* cols of them; likewise                         */
} text_numbers;

/* How the numbers are written. */
typedef struct text_number_style {
    int decimals;
    bool unsigned_zero;      /* negative zero (-0.0f) written "0.0000", not
                                "-0.0000"                                         */
    bool plain_fixed;        /* every digit, however large ("15000000512.0000"),
                                instead of text_fixed's exponent form from 1e9    */
    const char *masked;      /* the text of a masked entry: -INFINITY (a masked
                                score in memory) or NaN (null in a trace file);
                                NULL: as printf writes them ("-inf", "nan")       */
    text_align masked_align;
} text_number_style;

/* A table of n: row labels in column 0, column labels on the header line,
 * each number written as the style says in cell (i, j + 1). NULL when out
 * of memory; free it with text_table_free. */
text_table *text_table_of_numbers(const text_numbers *n, const text_number_style *style);

/* ---- printing ------------------------------------------------------------ */

typedef struct text_table_layout {
    int indent;              /* spaces before every line                          */
    int label_width;         /* the label column at least this wide               */
    int line_width;          /* columns after the labels are printed in blocks
                                whose lines fit this many characters, the label
                                column repeated in each, one block under another
                                after a blank line; 0: never split               */
    bool same_widths;        /* every column after the labels as wide as the
                                widest of them, so the table reads as a grid      */
    bool name_blocks;        /* when split, "columns 0 to 7 of 20:" above each
                                block (columns after the labels, from 0)          */
    const char *label_on;    /* printed before each label (header cells after
                                the corner, and column 0 below it), e.g. an ANSI
                                colour; NULL: nothing                             */
    const char *label_off;   /* printed after each label; NULL: nothing           */
} text_table_layout;

/* Print t to out as layout says. Returns false, having printed nothing,
 * when t is NULL or one of its cells could not be stored (out of memory). */
bool text_table_print(FILE *out, const text_table *t, const text_table_layout *layout);

#endif
