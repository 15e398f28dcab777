/* text_table.c: aligned text for terminals: widths of UTF-8 text, padding,
 * numbers as text, and labelled tables printed in blocks of columns.
 * It measures and prints text; it computes nothing. */
#include "text_table.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define COLUMN_GAP 2  /* spaces between two columns */

/* ---- text ---------------------------------------------------------------- */

/* Count the bytes that start a UTF-8 character: every byte except the
 * continuation bytes 10xxxxxx. */
int text_width(const char *text)
{
    int width = 0;
    for (const unsigned char *byte = (const unsigned char *)text; *byte; byte++)
        width += (*byte & 0xC0) != 0x80;
    return width;
}

void text_spaces(FILE *out, int count)
{
    for (int i = 0; i < count; i++)
        fputc(' ', out);
}

/* How many of room spare columns go before the text. */
static int spaces_before(int room, text_align align)
{
    return align == TEXT_RIGHT ? room : align == TEXT_CENTER ? room - room / 2 : 0;
}

/* text in width columns; with pad_after false nothing follows the text, so
 * that the last cell of a line does not end it in spaces. */
static void print_aligned(FILE *out, const char *text, int width, text_align align,
                          bool pad_after)
{
    int room = width - text_width(text);
    room = room > 0 ? room : 0;
    int before = spaces_before(room, align);
    text_spaces(out, before);
    fputs(text, out);
    if (pad_after)
        text_spaces(out, room - before);
}

void text_padded(FILE *out, const char *text, int width, text_align align)
{
    print_aligned(out, text, width, align, true);
}

/* ---- numbers ------------------------------------------------------------- */

char *text_fixed(char text[TEXT_NUMBER_SIZE], float x, int decimals)
{
    if (fabsf(x) >= 1e9f)
        snprintf(text, TEXT_NUMBER_SIZE, "%.*e", decimals, (double)x);
    else
        snprintf(text, TEXT_NUMBER_SIZE, "%.*f", decimals, (double)x);
    return text;
}

/* Try 1, 2, ... significant digits until the text reads back as x. Nine
 * always suffice for float32, so the loop ends by then. %g writes a whole
 * number with more digits than it keeps in exponent form (20 as "2e+01");
 * as in trace files, exponents up to 15 are written out ("20"). */
char *text_shortest(char text[TEXT_NUMBER_SIZE], float x)
{
    if (isnan(x)) {
        snprintf(text, TEXT_NUMBER_SIZE, "null");
        return text;
    }
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(text, TEXT_NUMBER_SIZE, "%.*g", digits, (double)x);
        if (strtof(text, NULL) == x)
            break;
    }
    const char *exponent = strchr(text, 'e');
    int power = exponent ? atoi(exponent + 1) : 0;
    if (power > 0 && power <= 15) {
        /* "-2.5e+03": the digits "-25", then power + 1 - (digits kept) zeros. */
        char digits[TEXT_NUMBER_SIZE];
        int n = 0, kept = 0;
        for (const char *c = text; c < exponent; c++) {
            if (*c != '.')
                digits[n++] = *c;
            kept += *c >= '0' && *c <= '9';
        }
        for (int zeros = power + 1 - kept; zeros > 0; zeros--)
            digits[n++] = '0';
        digits[n] = '\0';
        memcpy(text, digits, (size_t)n + 1);
    }
    return text;
}

const char *text_label(char buffer[TEXT_NUMBER_SIZE], const char *const *labels, int index)
{
    if (labels && labels[index])
        return labels[index];
    snprintf(buffer, TEXT_NUMBER_SIZE, "%d", index);
    return buffer;
}

/* ---- tables -------------------------------------------------------------- */

struct text_table {
    int rows, cols;      /* body rows (the header line, row -1, not counted) */
    char **cells;        /* (rows + 1) x cols, header line first; NULL: empty */
    text_align *align;   /* the same shape                                   */
    bool failed;         /* a cell could not be stored                       */
};

static long cell_index(const text_table *t, int row, int col)
{
    return (long)(row + 1) * t->cols + col;
}

static const char *cell_text(const text_table *t, int row, int col)
{
    const char *text = t->cells[cell_index(t, row, col)];
    return text ? text : "";
}

text_table *text_table_new(int rows, int cols)
{
    if (rows < 0 || cols < 1)
        return NULL;
    text_table *t = malloc(sizeof *t);
    if (!t)
        return NULL;
    size_t n_cells = (size_t)(rows + 1) * (size_t)cols;
    *t = (text_table){.rows = rows, .cols = cols, .cells = calloc(n_cells, sizeof(char *)),
                      .align = malloc(n_cells * sizeof(text_align))};
    if (!t->cells || !t->align) {
        text_table_free(t);
        return NULL;
    }
    for (size_t k = 0; k < n_cells; k++)
        t->align[k] = k % (size_t)cols == 0 ? TEXT_LEFT : TEXT_RIGHT;
    return t;
}

void text_table_set(text_table *t, int row, int col, const char *format, ...)
{
    if (!t)
        return;
    va_list args;
    va_start(args, format);
    int length = vsnprintf(NULL, 0, format, args);
    va_end(args);
    char *text = length >= 0 ? malloc((size_t)length + 1) : NULL;
    if (!text) {
        t->failed = true;
        return;
    }
    va_start(args, format);
    vsnprintf(text, (size_t)length + 1, format, args);
    va_end(args);
    free(t->cells[cell_index(t, row, col)]);
    t->cells[cell_index(t, row, col)] = text;
}

void text_table_align(text_table *t, int col, text_align align)
{
    for (int row = -1; t && row < t->rows; row++)
        t->align[cell_index(t, row, col)] = align;
}

void text_table_align_cell(text_table *t, int row, int col, text_align align)
{
    if (t)
        t->align[cell_index(t, row, col)] = align;
}

void text_table_free(text_table *t)
{
    if (!t)
        return;
    long n_cells = (long)(t->rows + 1) * t->cols;
    for (long k = 0; t->cells && k < n_cells; k++)
        free(t->cells[k]);
    free(t->cells);
    free(t->align);
    free(t);
}

/* ---- tables of numbers --------------------------------------------------- */

static void set_number(text_table *t, int row, int col, float x, const text_number_style *style)
{
    char text[TEXT_NUMBER_SIZE];
    if (style->masked && (x == -INFINITY || isnan(x))) {
        text_table_set(t, row, col, "%s", style->masked);
        text_table_align_cell(t, row, col, style->masked_align);
        return;
    }
    if (style->unsigned_zero && x == 0.0f)
        x = 0.0f;  /* -0.0f becomes +0.0f */
    if (style->plain_fixed)
        snprintf(text, sizeof text, "%.*f", style->decimals, (double)x);
    else
        text_fixed(text, x, style->decimals);
    text_table_set(t, row, col, "%s", text);
}

text_table *text_table_of_numbers(const text_numbers *n, const text_number_style *style)
{
    text_table *t = text_table_new(n->rows, n->cols + 1);
    if (!t)
        return NULL;
    char label[TEXT_NUMBER_SIZE];
    for (int j = 0; j < n->cols; j++)
        text_table_set(t, -1, j + 1, "%s", text_label(label, n->col_labels, j));
    for (int i = 0; i < n->rows; i++) {
        text_table_set(t, i, 0, "%s", text_label(label, n->row_labels, i));
        for (int j = 0; j < n->cols; j++)
            set_number(t, i, j + 1, n->values[(long)i * n->stride + j], style);
    }
    return t;
}

/* ---- printing ------------------------------------------------------------ */

/* The width of the widest cell of column col, header included. */
static int widest_cell(const text_table *t, int col)
{
    int widest = 0;
    for (int row = -1; row < t->rows; row++) {
        int width = text_width(cell_text(t, row, col));
        widest = width > widest ? width : widest;
    }
    return widest;
}

/* Each column's width: its widest cell, and for the labels at least
 * layout's label_width. With same_widths, every column after the labels
 * takes the widest of them. */
static void measure_columns(int *widths, const text_table *t, const text_table_layout *layout)
{
    int labels = widest_cell(t, 0), widest = 0;
    widths[0] = labels > layout->label_width ? labels : layout->label_width;
    for (int col = 1; col < t->cols; col++) {
        widths[col] = widest_cell(t, col);
        widest = widths[col] > widest ? widths[col] : widest;
    }
    for (int col = 1; layout->same_widths && col < t->cols; col++)
        widths[col] = widest;
}

static bool has_header(const text_table *t)
{
    for (int col = 0; col < t->cols; col++)
        if (cell_text(t, -1, col)[0])
            return true;
    return false;
}

/* The last column holding text among the label column and columns
 * [first, last) of row; -1 when none does. */
static int last_filled(const text_table *t, int row, int first, int last)
{
    for (int col = last - 1; col >= first; col--)
        if (cell_text(t, row, col)[0])
            return col;
    return cell_text(t, row, 0)[0] ? 0 : -1;
}

/* Labels are the header line's cells after the corner and the label
 * column's cells below it. */
static bool is_label(int row, int col)
{
    return (row < 0) != (col == 0);
}

static void print_cell(FILE *out, const text_table *t, int row, int col, int width,
                       bool last_on_line, const text_table_layout *layout)
{
    bool styled = is_label(row, col);
    if (styled && layout->label_on)
        fputs(layout->label_on, out);
    print_aligned(out, cell_text(t, row, col), width, t->align[cell_index(t, row, col)],
                  !last_on_line);
    if (styled && layout->label_off)
        fputs(layout->label_off, out);
}

/* One line of a block: the label cell of row, then columns [first, last),
 * up to the last cell that holds text. */
static void print_line(FILE *out, const text_table *t, int row, const int *widths, int first,
                       int last, const text_table_layout *layout)
{
    int end = last_filled(t, row, first, last);
    if (end >= 0) {
        text_spaces(out, layout->indent);
        print_cell(out, t, row, 0, widths[0], end == 0, layout);
        for (int col = first; col <= end; col++) {
            text_spaces(out, COLUMN_GAP);
            print_cell(out, t, row, col, widths[col], col == end, layout);
        }
    }
    fputc('\n', out);
}

/* The end of the block of columns that starts at first: as many as fit in
 * the line width beside the labels, and at least one. */
static int block_end(const int *widths, int cols, int first, const text_table_layout *layout)
{
    int used = layout->indent + widths[0], last = first;
    while (last < cols && (last == first || layout->line_width <= 0 ||
                           used + COLUMN_GAP + widths[last] <= layout->line_width))
        used += COLUMN_GAP + widths[last++];
    return last;
}

bool text_table_print(FILE *out, const text_table *t, const text_table_layout *layout)
{
    int *widths = t && !t->failed ? malloc((size_t)t->cols * sizeof *widths) : NULL;
    if (!widths)
        return false;
    measure_columns(widths, t, layout);
    int first_row = has_header(t) ? -1 : 0;
    int first = 1;
    do {
        int last = block_end(widths, t->cols, first, layout);
        if (first > 1)
            fputc('\n', out);
        if (layout->name_blocks && (first > 1 || last < t->cols)) {
            text_spaces(out, layout->indent);
            fprintf(out, "columns %d to %d of %d:\n", first - 1, last - 2, t->cols - 1);
        }
        for (int row = first_row; row < t->rows; row++)
            print_line(out, t, row, widths, first, last, layout);
        first = last;
    } while (first < t->cols);
    free(widths);
    return true;
}
