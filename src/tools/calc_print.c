/* calc_print.c: attnlab-calc's step headings, text tables and LaTeX lines.
 * Numbers as text, padding and table layout are src/text/text_table.c's;
 * this file says what goes in the cells and lines, and computes nothing. */
#include "calc_print.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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
    drop_negative_zero(text_fixed(text, x, precision));
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
    return text_shortest(text, x);
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

void calc_table_print(calc_printer *p, text_table *t)
{
    text_table_layout layout = {.indent = 2};
    fputc('\n', p->out);
    if (!text_table_print(p->out, t, &layout))
        p->out_of_memory = true;
    text_table_free(t);
}

void calc_print_matrix(calc_printer *p, const char *symbol, const char *name, const al_matrix *m,
                       const char *const *row_labels, const char *const *col_labels,
                       bool exact)
{
    fprintf(p->out, "\n  %s  %s  (%d x %d)\n", symbol, name, m->rows, m->cols);
    text_table *t = text_table_new(m->rows, m->cols + 1);
    char text[CALC_NUMBER_SIZE];
    for (int j = 0; j < m->cols; j++)
        text_table_set(t, -1, j + 1, "%s", text_label(text, col_labels, j));
    for (int i = 0; i < m->rows; i++) {
        text_table_set(t, i, 0, "%s", text_label(text, row_labels, i));
        for (int j = 0; j < m->cols; j++) {
            float x = *al_at(m, i, j);
            text_table_set(t, i, j + 1, "%s",
                           exact ? calc_exact(text, x) : calc_fixed(text, x, p->precision));
        }
    }
    text_table_layout layout = {.indent = 2};  /* right under its title, no blank line */
    if (!text_table_print(p->out, t, &layout))
        p->out_of_memory = true;
    text_table_free(t);
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
    if (isinf(x) || isnan(x)) {
        snprintf(text, CALC_NUMBER_SIZE, "%s", isnan(x) ? "\\text{NaN}"
                                               : x < 0.0f ? "-\\infty" : "\\infty");
        return text;
    }
    return exact ? calc_exact(text, x) : calc_fixed(text, x, precision);
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
