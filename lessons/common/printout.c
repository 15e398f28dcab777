/* printout.c: aligned tables and step headings for the lessons' printouts.
 * Widths count UTF-8 code points, so "économique" lines up like "area". */
#include "printout.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LINE_WIDTH 100
#define BOLD "\033[1m"
#define DIM "\033[2m"
#define CYAN "\033[36m"
#define RESET "\033[0m"

printout printout_start(int precision, bool quiet, bool no_color)
{
    const char *no_color_env = getenv("NO_COLOR");
    bool color = !no_color && !(no_color_env && no_color_env[0]) && isatty(STDOUT_FILENO);
    return (printout){.out = stdout, .color = color, .quiet = quiet, .precision = precision};
}

const char *decimal_text(char *buf, size_t size, double x)
{
    int n = snprintf(buf, size, "%g", x);
    if (n > 0 && (size_t)n + 2 < size && !strpbrk(buf, ".en"))  /* not 1e-05, inf, nan */
        memcpy(buf + n, ".0", 3);
    return buf;
}

int text_width(const char *s)
{
    int width = 0;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        width += (*c & 0xC0) != 0x80; /* count every byte that starts a code point */
    return width;
}

/* Print s padded with spaces to width, right-aligned or left-aligned. */
static void print_padded(FILE *out, const char *s, int width, bool right)
{
    int pad = width - text_width(s);
    if (right)
        fprintf(out, "%*s%s", pad > 0 ? pad : 0, "", s);
    else
        fprintf(out, "%s%*s", s, pad > 0 ? pad : 0, "");
}

static const char *style(const printout *p, const char *code)
{
    return p->color ? code : "";
}

void print_step(printout *p, const char *title, const char *equation)
{
    if (p->quiet)
        return;
    p->step++;
    fprintf(p->out, "\n%sStep %d: %s%s\n", style(p, BOLD), p->step, title, style(p, RESET));
    if (equation)
        fprintf(p->out, "  %s%s%s\n", style(p, CYAN), equation, style(p, RESET));
}

void print_text(printout *p, const char *format, ...)
{
    if (p->quiet)
        return;
    va_list args;
    va_start(args, format);
    vfprintf(p->out, format, args);
    va_end(args);
    fputc('\n', p->out);
}

void print_always(printout *p, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vfprintf(p->out, format, args);
    va_end(args);
    fputc('\n', p->out);
}

/* One cell's text: the number to the chosen decimals, or "masked". */
static void cell_text(char *buf, size_t size, float x, int precision)
{
    if (x == -INFINITY)
        snprintf(buf, size, "masked");
    else
        snprintf(buf, size, "%.*f", precision, (double)(x == 0.0f ? 0.0f : x)); /* no "-0.0000" */
}

static void label_text(char *buf, size_t size, const char *const *labels, int index)
{
    if (labels && labels[index])
        snprintf(buf, size, "%s", labels[index]);
    else
        snprintf(buf, size, "%d", index);
}

/* Width of column j: its label or its widest number, whichever is wider. */
static int column_width(const printout *p, const al_matrix *m, const char *const *col_labels,
                        int j)
{
    char text[64];
    label_text(text, sizeof text, col_labels, j);
    int width = text_width(text);
    for (int i = 0; i < m->rows; i++) {
        cell_text(text, sizeof text, *al_at(m, i, j), p->precision);
        int w = (int)strlen(text);
        width = w > width ? w : width;
    }
    return width;
}

static void print_block(const printout *p, const al_matrix *m, const char *const *row_labels,
                        const char *const *col_labels, const int *widths, int label_width,
                        int first, int last)
{
    char text[64];
    fprintf(p->out, "  %*s", label_width, "");
    for (int j = first; j < last; j++) {
        label_text(text, sizeof text, col_labels, j);
        fprintf(p->out, "  %s", style(p, DIM));
        print_padded(p->out, text, widths[j], true);
        fputs(style(p, RESET), p->out);
    }
    fputc('\n', p->out);
    for (int i = 0; i < m->rows; i++) {
        label_text(text, sizeof text, row_labels, i);
        fprintf(p->out, "  %s", style(p, DIM));
        print_padded(p->out, text, label_width, false);
        fputs(style(p, RESET), p->out);
        for (int j = first; j < last; j++) {
            cell_text(text, sizeof text, *al_at(m, i, j), p->precision);
            fputs("  ", p->out);
            print_padded(p->out, text, widths[j], true);
        }
        fputc('\n', p->out);
    }
}

void print_matrix(printout *p, const char *trace_name, const char *symbol, const al_matrix *m,
                  const char *const *row_labels, const char *const *col_labels)
{
    if (p->quiet)
        return;
    fprintf(p->out, "\n  %s%s%s  %s%s%s  (%d x %d)\n", style(p, BOLD), symbol ? symbol : "",
            style(p, RESET), style(p, DIM), trace_name, style(p, RESET), m->rows, m->cols);
    char text[64];
    int label_width = 1;
    for (int i = 0; i < m->rows; i++) {
        label_text(text, sizeof text, row_labels, i);
        int w = text_width(text);
        label_width = w > label_width ? w : label_width;
    }
    int *widths = malloc((size_t)m->cols * sizeof *widths);
    if (!widths)
        return;
    for (int j = 0; j < m->cols; j++)
        widths[j] = column_width(p, m, col_labels, j);
    for (int first = 0; first < m->cols;) {
        int used = 2 + label_width, last = first;
        while (last < m->cols && (last == first || used + 2 + widths[last] <= LINE_WIDTH))
            used += 2 + widths[last++];
        if (first > 0)
            fputc('\n', p->out);
        print_block(p, m, row_labels, col_labels, widths, label_width, first, last);
        first = last;
    }
    free(widths);
}

/* The largest entry of row i other than column skip (-1: none), or -1. */
static int largest_in_row(const al_matrix *m, int i, int skip)
{
    int best = -1;
    for (int j = 0; j < m->cols; j++)
        if (j != skip && (best < 0 || *al_at(m, i, j) > *al_at(m, i, best)))
            best = j;
    return best;
}

/* True when every nonzero entry of row i is the same: no word stands out
 * among those it may see (a masked key's weight is 0). *seen receives how
 * many entries are nonzero. */
static bool row_is_even(const al_matrix *m, int i, int *seen)
{
    float first = 0.0f;
    *seen = 0;
    for (int j = 0; j < m->cols; j++) {
        float w = *al_at(m, i, j);
        if (w == 0.0f)
            continue;
        if (*seen > 0 && w != first)
            return false;
        first = w;
        (*seen)++;
    }
    return true;
}

void print_strongest_links(printout *p, const al_matrix *weights, const char *const *row_labels,
                           const char *const *col_labels)
{
    if (p->quiet)
        return;
    int label_width = 1;
    for (int i = 0; i < weights->rows; i++) {
        int w = row_labels ? text_width(row_labels[i]) : 2;
        label_width = w > label_width ? w : label_width;
    }
    char row_text[64], first_text[64], second_text[64];
    for (int i = 0; i < weights->rows; i++) {
        int first = largest_in_row(weights, i, -1);
        int second = largest_in_row(weights, i, first);
        label_text(row_text, sizeof row_text, row_labels, i);
        label_text(first_text, sizeof first_text, col_labels, first);
        fputs("  ", p->out);
        print_padded(p->out, row_text, label_width, false);
        if (*al_at(weights, i, first) == 0.0f) { /* every key masked */
            fprintf(p->out, "  ->  nothing: every weight is 0\n");
            continue;
        }
        int seen;
        if (row_is_even(weights, i, &seen) && seen > 1) {
            fprintf(p->out, "  ->  every word%s evenly, %.2f each\n",
                    seen < weights->cols ? " it may see" : "", (double)*al_at(weights, i, first));
            continue;
        }
        fprintf(p->out, "  ->  %s%s%s %.2f", style(p, BOLD), first_text, style(p, RESET),
                (double)*al_at(weights, i, first));
        if (second >= 0 && *al_at(weights, i, second) > 0.0f) { /* not a masked key */
            label_text(second_text, sizeof second_text, col_labels, second);
            fprintf(p->out, ", %s %.2f", second_text, (double)*al_at(weights, i, second));
        }
        fputc('\n', p->out);
    }
}
