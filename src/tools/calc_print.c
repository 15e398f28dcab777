/* calc_print.c: attnlab-calc's step headings, text tables and LaTeX lines.
 * Number formatting and padding are the trace viewer's (trace_text.c);
 * this file lays out cells and lines and computes nothing. */
#include "calc_print.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "trace_tool.h"  /* format_fixed, format_shortest, text_width, print_padded */

calc_printer calc_printer_start(const calc_args *args)
{
    return (calc_printer){.out = stdout, .precision = args->precision};
}

/* ---- numbers as text ----------------------------------------------------- */

/* "-0.0000" -> "0.0000": a tiny negative number rounds to zero without a sign. */
static void drop_negative_zero(char *text)
{
    if (text[0] == '-' && strspn(text + 1, "0.") == strlen(text + 1))
        memmove(text, text + 1, strlen(text));
}

const char *calc_fixed(char text[CALC_NUMBER_SIZE], float x, int precision)
{
    if (x == -INFINITY) {
        snprintf(text, CALC_NUMBER_SIZE, "-inf");
        return text;
    }
    format_fixed(text, x, precision);
    drop_negative_zero(text);
    return text;
}

const char *calc_short(char text[CALC_NUMBER_SIZE], float x, int precision)
{
    calc_fixed(text, x, precision);
    if (strchr(text, '.') && !strchr(text, 'e')) {
        size_t length = strlen(text);
        while (text[length - 1] == '0')
            text[--length] = '\0';
        if (text[length - 1] == '.')
            text[--length] = '\0';
    }
    return text;
}

/* Plain decimals where they are short ("70", "0.1", "-1.5"), else the
 * shortest %g form ("1e-07"). */
const char *calc_exact(char text[CALC_NUMBER_SIZE], float x)
{
    if (x == -INFINITY) {
        snprintf(text, CALC_NUMBER_SIZE, "-inf");
        return text;
    }
    if (x == 0.0f) {
        snprintf(text, CALC_NUMBER_SIZE, "0");  /* -0 as well */
        return text;
    }
    if (fabsf(x) >= 1e-4f && fabsf(x) < 1e9f) {
        for (int decimals = 0; decimals <= 9; decimals++) {
            snprintf(text, CALC_NUMBER_SIZE, "%.*f", decimals, (double)x);
            if (strtof(text, NULL) == x)
                return text;
        }
    }
    format_shortest(text, x);
    return text;
}

const char *calc_row_text(char *text, size_t size, const al_matrix *m, int i, bool exact,
                          int precision)
{
    char number[CALC_NUMBER_SIZE];
    size_t used = 0;
    text[0] = '\0';
    for (int j = 0; j < m->cols && used + 1 < size; j++) {
        float x = *al_at(m, i, j);
        const char *shown = exact ? calc_exact(number, x) : calc_short(number, x, precision);
        int n = snprintf(text + used, size - used, "%s%s%s", j == 0 && m->cols > 1 ? "(" : "",
                         shown, m->cols == 1 ? "" : j + 1 < m->cols ? ", " : ")");
        used = n < 0 ? size : used + (size_t)n;
    }
    return text;
}

const char *calc_ordinal(char text[CALC_NUMBER_SIZE], int index)
{
    static const char *const words[] = {"first", "second", "third", "fourth", "fifth",
                                        "sixth", "seventh", "eighth", "ninth"};
    int n = index + 1;
    if (index < 9) {
        snprintf(text, CALC_NUMBER_SIZE, "%s", words[index]);
        return text;
    }
    const char *suffix = "th";
    if (n % 100 < 11 || n % 100 > 13)
        suffix = n % 10 == 1 ? "st" : n % 10 == 2 ? "nd" : n % 10 == 3 ? "rd" : "th";
    snprintf(text, CALC_NUMBER_SIZE, "%d%s", n, suffix);
    return text;
}

/* ---- text ---------------------------------------------------------------- */

void calc_title(calc_printer *p, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vfprintf(p->out, format, args);
    va_end(args);
    fputc('\n', p->out);
}

void calc_step(calc_printer *p, const char *title, const char *equation)
{
    p->step++;
    fprintf(p->out, "\nStep %d: %s\n", p->step, title);
    if (equation)
        fprintf(p->out, "  %s\n", equation);
}

void calc_say(calc_printer *p, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fputs("  ", p->out);
    vfprintf(p->out, format, args);
    va_end(args);
    fputc('\n', p->out);
}

void calc_trace_note(calc_printer *p, const calc_args *args)
{
    if (args->trace_path)
        fprintf(p->out, "\nTrace written to %s; 'attnlab-trace list %s' lists its tensors.\n",
                args->trace_path, args->trace_path);
}

/* ---- tables -------------------------------------------------------------- */

struct calc_table {
    int rows, cols;      /* body rows; row -1 is the header            */
    char **cells;        /* (rows + 1) * cols strings, malloc'd or NULL */
    bool *left;          /* cols: left-aligned                          */
    bool failed;         /* a cell could not be stored                  */
};

calc_table *calc_table_new(int rows, int cols)
{
    calc_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    *t = (calc_table){.rows = rows, .cols = cols,
                      .cells = calloc((size_t)(rows + 1) * (size_t)cols, sizeof(char *)),
                      .left = calloc((size_t)cols, sizeof(bool))};
    if (!t->cells || !t->left) {
        free(t->cells);
        free(t->left);
        free(t);
        return NULL;
    }
    t->left[0] = true;
    return t;
}

static char **cell(calc_table *t, int row, int col)
{
    return &t->cells[(size_t)(row + 1) * (size_t)t->cols + (size_t)col];
}

/* Store text (already formatted) in a cell. */
static void store(calc_table *t, int row, int col, const char *text)
{
    char *copy = malloc(strlen(text) + 1);
    if (!copy) {
        t->failed = true;
        return;
    }
    strcpy(copy, text);
    free(*cell(t, row, col));
    *cell(t, row, col) = copy;
}

void calc_table_header(calc_table *t, int col, const char *text)
{
    if (t)
        store(t, -1, col, text);
}

void calc_table_cell(calc_table *t, int row, int col, const char *format, ...)
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
    free(*cell(t, row, col));
    *cell(t, row, col) = text;
}

void calc_table_left(calc_table *t, int col)
{
    if (t)
        t->left[col] = true;
}

static const char *cell_text(calc_table *t, int row, int col)
{
    const char *text = *cell(t, row, col);
    return text ? text : "";
}

/* The width of each column: its widest cell, header included. */
static void measure(calc_table *t, int *widths)
{
    for (int j = 0; j < t->cols; j++) {
        widths[j] = 0;
        for (int i = -1; i < t->rows; i++) {
            int w = text_width(cell_text(t, i, j));
            widths[j] = w > widths[j] ? w : widths[j];
        }
    }
}

/* The last column of row i with any text, so the line can stop there. */
static int last_filled(calc_table *t, int i)
{
    int last = 0;
    for (int j = 0; j < t->cols; j++)
        if (cell_text(t, i, j)[0])
            last = j;
    return last;
}

/* A table whose header cells are all empty prints no header line. */
static bool has_header(calc_table *t)
{
    for (int j = 0; j < t->cols; j++)
        if (cell_text(t, -1, j)[0])
            return true;
    return false;
}

static void free_table(calc_table *t)
{
    for (long k = 0; k < (long)(t->rows + 1) * t->cols; k++)
        free(t->cells[k]);
    free(t->cells);
    free(t->left);
    free(t);
}

/* Print t (and free it), after a blank line if blank_line. */
static void print_cells(calc_printer *p, calc_table *t, bool blank_line)
{
    int *widths = t ? malloc((size_t)t->cols * sizeof *widths) : NULL;
    if (!t || !widths || t->failed) {
        p->out_of_memory = true;
        free(widths);
        if (t)
            free_table(t);
        return;
    }
    measure(t, widths);
    if (blank_line)
        fputc('\n', p->out);
    for (int i = has_header(t) ? -1 : 0; i < t->rows; i++) {
        int last = last_filled(t, i);
        fputs("  ", p->out);
        for (int j = 0; j <= last; j++) {
            if (j > 0)
                fputs("  ", p->out);
            bool pad_right = t->left[j] && j < last;
            if (t->left[j])
                print_padded(p->out, cell_text(t, i, j), pad_right ? widths[j] : 0, ALIGN_LEFT);
            else
                print_padded(p->out, cell_text(t, i, j), widths[j], ALIGN_RIGHT);
        }
        fputc('\n', p->out);
    }
    free(widths);
    free_table(t);
}

void calc_table_print(calc_printer *p, calc_table *t)
{
    print_cells(p, t, true);
}

void calc_print_matrix(calc_printer *p, const char *symbol, const char *name, const al_matrix *m,
                       const char *const *row_labels, const char *const *col_labels,
                       bool exact)
{
    fprintf(p->out, "\n  %s  %s  (%d x %d)\n", symbol, name, m->rows, m->cols);
    calc_table *t = calc_table_new(m->rows, m->cols + 1);
    char number[CALC_NUMBER_SIZE];
    for (int j = 0; j < m->cols; j++) {
        if (col_labels)
            calc_table_header(t, j + 1, col_labels[j]);
        else
            calc_table_cell(t, -1, j + 1, "%d", j);
    }
    for (int i = 0; i < m->rows; i++) {
        if (row_labels)
            calc_table_cell(t, i, 0, "%s", row_labels[i]);
        else
            calc_table_cell(t, i, 0, "%d", i);
        for (int j = 0; j < m->cols; j++) {
            float x = *al_at(m, i, j);
            calc_table_cell(t, i, j + 1, "%s",
                            exact ? calc_exact(number, x) : calc_fixed(number, x, p->precision));
        }
    }
    print_cells(p, t, false);  /* right under its title, without a blank line */
}

/* ---- LaTeX --------------------------------------------------------------- */

/* A word of the command line as it could be typed again: quoted when it
 * holds anything but letters, digits and . , = / + - _ */
static void print_shell_word(FILE *out, const char *word)
{
    bool plain = word[0] != '\0' &&
                 strspn(word, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                              "0123456789.,=/+-_") == strlen(word);
    if (plain) {
        fputs(word, out);
        return;
    }
    fputc('\'', out);
    for (const char *c = word; *c; c++) {
        if (*c == '\'')
            fputs("'\\''", out);
        else
            fputc(*c == '\n' ? ' ' : *c, out);
    }
    fputc('\'', out);
}

void calc_latex_begin(calc_printer *p, const calc_args *args)
{
    fputs("% attnlab-calc", p->out);
    for (int i = 1; i < args->argc; i++) {
        fputc(' ', p->out);
        print_shell_word(p->out, args->argv[i]);
    }
    fputs("\n\\begin{align*}\n", p->out);
    p->latex_lines = 0;
}

void calc_latex_line(calc_printer *p, const char *format, ...)
{
    if (p->latex_lines > 0)
        fputs(" \\\\\n", p->out);
    p->latex_lines++;
    fputs("  ", p->out);
    va_list args;
    va_start(args, format);
    vfprintf(p->out, format, args);
    va_end(args);
}

void calc_latex_more(calc_printer *p, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vfprintf(p->out, format, args);
    va_end(args);
}

void calc_latex_end(calc_printer *p)
{
    fputs(p->latex_lines > 0 ? "\n\\end{align*}\n" : "\\end{align*}\n", p->out);
}

const char *calc_latex_number(char text[CALC_NUMBER_SIZE], float x, bool exact, int precision)
{
    if (x == -INFINITY) {
        snprintf(text, CALC_NUMBER_SIZE, "-\\infty");
        return text;
    }
    return exact ? calc_exact(text, x) : calc_short(text, x, precision);
}

void calc_latex_matrix(calc_printer *p, const al_matrix *m, bool exact)
{
    char number[CALC_NUMBER_SIZE];
    fputs("\\begin{pmatrix}", p->out);
    for (int i = 0; i < m->rows; i++) {
        for (int j = 0; j < m->cols; j++)
            fprintf(p->out, "%s%s", j ? " & " : " ",
                    calc_latex_number(number, *al_at(m, i, j), exact, p->precision));
        fputs(i + 1 < m->rows ? " \\\\" : " ", p->out);
    }
    fputs("\\end{pmatrix}", p->out);
}

void calc_latex_row(calc_printer *p, const al_matrix *m, int i, bool exact)
{
    char number[CALC_NUMBER_SIZE];
    if (m->cols > 1)
        fputc('(', p->out);
    for (int j = 0; j < m->cols; j++)
        fprintf(p->out, "%s%s", j ? ",\\ " : "",
                calc_latex_number(number, *al_at(m, i, j), exact, p->precision));
    if (m->cols > 1)
        fputc(')', p->out);
}
