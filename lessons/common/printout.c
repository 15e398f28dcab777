/* printout.c: step headings, narration and matrices for the lessons'
 * printouts. The tables themselves are laid out by src/text/text_table.c,
 * shared with attnlab-trace and attnlab-calc. */
#include "printout.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "text_table.h"

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

void print_matrix(printout *p, const char *trace_name, const char *symbol, const al_matrix *m,
                  const char *const *row_labels, const char *const *col_labels)
{
    if (p->quiet)
        return;
    fprintf(p->out, "\n  %s%s%s  %s%s%s  (%d x %d)\n", style(p, BOLD), symbol ? symbol : "",
            style(p, RESET), style(p, DIM), trace_name, style(p, RESET), m->rows, m->cols);
    int shown = p->max_columns > 0 && m->cols > p->max_columns ? p->max_columns : m->cols;
    text_numbers numbers = {m->data, m->rows, shown, m->stride, row_labels, col_labels};
    text_number_style number_style = {.decimals = p->precision, .unsigned_zero = true,
                                      .plain_fixed = true, .masked = "masked",
                                      .masked_align = TEXT_RIGHT};
    text_table_layout layout = {.indent = 2, .label_width = 1, .line_width = LINE_WIDTH,
                                .label_on = style(p, DIM), .label_off = style(p, RESET)};
    text_table *table = text_table_of_numbers(&numbers, &number_style);
    text_table_print(p->out, table, &layout);
    text_table_free(table);
    if (shown < m->cols)
        fprintf(p->out, "  %s(columns 0 to %d shown; the trace holds all %d)%s\n",
                style(p, DIM), shown - 1, m->cols, style(p, RESET));
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
    char row_text[TEXT_NUMBER_SIZE], first_text[TEXT_NUMBER_SIZE];
    char second_text[TEXT_NUMBER_SIZE];
    for (int i = 0; i < weights->rows; i++) {
        int first = largest_in_row(weights, i, -1);
        int second = largest_in_row(weights, i, first);
        fputs("  ", p->out);
        text_padded(p->out, text_label(row_text, row_labels, i), label_width, TEXT_LEFT);
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
        fprintf(p->out, "  ->  %s%s%s %.2f", style(p, BOLD),
                text_label(first_text, col_labels, first), style(p, RESET),
                (double)*al_at(weights, i, first));
        if (second >= 0 && *al_at(weights, i, second) > 0.0f) { /* not a masked key */
            fprintf(p->out, ", %s %.2f", text_label(second_text, col_labels, second),
                    (double)*al_at(weights, i, second));
        }
        fputc('\n', p->out);
    }
}
