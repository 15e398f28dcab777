/* trace_text.c: turning numbers and labels into aligned text for the trace
 * viewer: float formatting, text width, padding and labelled tables.
 * It knows nothing about trace files or subcommands; it only lays out text. */
#include "trace_tool.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Try 1, 2, ... significant digits until the text reads back as x. Nine
 * always suffice for float32, so the loop ends by then. */
void format_shortest(char text[NUMBER_TEXT_SIZE], float x)
{
    if (isnan(x)) {
        snprintf(text, NUMBER_TEXT_SIZE, "null");
        return;
    }
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(text, NUMBER_TEXT_SIZE, "%.*g", digits, (double)x);
        if (strtof(text, NULL) == x) {
            return;
        }
    }
}

void format_fixed(char text[NUMBER_TEXT_SIZE], float x, int precision)
{
    if (fabsf(x) >= 1e9f) {
        snprintf(text, NUMBER_TEXT_SIZE, "%.*e", precision, (double)x);
    } else {
        snprintf(text, NUMBER_TEXT_SIZE, "%.*f", precision, (double)x);
    }
}

/* Count the bytes that start a UTF-8 character: every byte except the
 * continuation bytes 10xxxxxx. */
int text_width(const char *text)
{
    int width = 0;
    for (const unsigned char *byte = (const unsigned char *)text; *byte; byte++) {
        width += (*byte & 0xC0) != 0x80;
    }
    return width;
}

static void print_spaces(FILE *out, int count)
{
    for (int i = 0; i < count; i++) {
        fputc(' ', out);
    }
}

void print_padded(FILE *out, const char *text, int width, alignment align)
{
    int room = width - text_width(text);
    if (room < 0) {
        room = 0;
    }
    int before = align == ALIGN_RIGHT ? room : align == ALIGN_CENTER ? room / 2 : 0;
    print_spaces(out, before);
    fputs(text, out);
    print_spaces(out, room - before);
}

/* ---- tables --------------------------------------------------------------- */

#define TABLE_MAX_WIDTH 100   /* characters per line before splitting columns */
#define COLUMN_GAP 2          /* spaces between columns */

/* Label of row or column i: the trace's label, or the index. */
static const char *label_text(char buffer[NUMBER_TEXT_SIZE], const char *const *labels, int i)
{
    if (labels) {
        return labels[i];
    }
    snprintf(buffer, NUMBER_TEXT_SIZE, "%d", i);
    return buffer;
}

/* One width for every number column (the widest label or number), so the
 * table reads as a grid. */
static int number_column_width(const table *t)
{
    char buffer[NUMBER_TEXT_SIZE];
    int width = 1;
    for (int j = 0; j < t->cols; j++) {
        int label_width = text_width(label_text(buffer, t->col_labels, j));
        width = label_width > width ? label_width : width;
    }
    for (long k = 0; k < (long)t->rows * t->cols; k++) {
        format_fixed(buffer, t->values[k], t->precision);
        int value_width = isnan(t->values[k]) ? 1 : text_width(buffer);
        width = value_width > width ? value_width : width;
    }
    return width;
}

static int row_label_width(const table *t)
{
    char buffer[NUMBER_TEXT_SIZE];
    int width = 0;
    for (int i = 0; i < t->rows; i++) {
        int label_width = text_width(label_text(buffer, t->row_labels, i));
        width = label_width > width ? label_width : width;
    }
    return width;
}

/* Columns [first, last) of t: a line of column labels, then one line per row. */
static void print_column_block(FILE *out, const table *t, int first, int last, int label_width,
                               int column_width)
{
    char buffer[NUMBER_TEXT_SIZE];
    print_spaces(out, label_width);
    for (int j = first; j < last; j++) {
        print_spaces(out, COLUMN_GAP);
        print_padded(out, label_text(buffer, t->col_labels, j), column_width, ALIGN_RIGHT);
    }
    fputc('\n', out);
    for (int i = 0; i < t->rows; i++) {
        print_padded(out, label_text(buffer, t->row_labels, i), label_width, ALIGN_LEFT);
        for (int j = first; j < last; j++) {
            float value = t->values[(long)i * t->cols + j];
            print_spaces(out, COLUMN_GAP);
            if (isnan(value)) {
                /* Centre the "-" by hand and pad only up to it at the end of a line,
                 * so no line ends in spaces. */
                int before = (column_width - 1) / 2 + (column_width - 1) % 2;
                print_spaces(out, before);
                fputc('-', out);
                if (j + 1 < last) {
                    print_spaces(out, column_width - 1 - before);
                }
            } else {
                format_fixed(buffer, value, t->precision);
                print_padded(out, buffer, column_width, ALIGN_RIGHT);
            }
        }
        fputc('\n', out);
    }
}

void print_table(FILE *out, const table *t)
{
    int label_width = row_label_width(t);
    int column_width = number_column_width(t);
    int per_block = (TABLE_MAX_WIDTH - label_width) / (column_width + COLUMN_GAP);
    if (per_block < 1) {
        per_block = 1;
    }
    for (int first = 0; first < t->cols; first += per_block) {
        int last = first + per_block < t->cols ? first + per_block : t->cols;
        if (per_block < t->cols) {
            fprintf(out, "%scolumns %d to %d of %d:\n", first > 0 ? "\n" : "", first, last - 1,
                    t->cols);
        }
        print_column_block(out, t, first, last, label_width, column_width);
    }
}
