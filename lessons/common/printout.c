/* printout.c: step headings, narration and matrices for the lessons'
 * printouts. The tables themselves are laid out by src/text/text_table.c,
 * shared with attnlab-trace and attnlab-calc. */
#include "printout.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "text_table.h"

#define LINE_WIDTH 100      /* when the output is not a terminal */
#define NARROWEST_LINE 40   /* however narrow the terminal says it is */
#define BOLD "\033[1m"
#define DIM "\033[2m"
#define CYAN "\033[36m"
#define RESET "\033[0m"

int printout_line_width(int fd)
{
    struct winsize size;
    if (!isatty(fd) || ioctl(fd, TIOCGWINSZ, &size) != 0 || size.ws_col == 0)
        return LINE_WIDTH;
    return size.ws_col > NARROWEST_LINE ? size.ws_col : NARROWEST_LINE;
}

printout printout_start(int precision, bool quiet, bool no_color)
{
    const char *no_color_env = getenv("NO_COLOR");
    bool color = !no_color && !(no_color_env && no_color_env[0]) && isatty(STDOUT_FILENO);
    return (printout){.out = stdout, .color = color, .quiet = quiet, .precision = precision,
                      .line_width = printout_line_width(STDOUT_FILENO)};
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
    int line_width = p->line_width > 0 ? p->line_width : LINE_WIDTH;
    text_table_layout layout = {.indent = 2, .label_width = 1, .line_width = line_width,
                                .label_on = style(p, DIM), .label_off = style(p, RESET)};
    text_table *table = text_table_of_numbers(&numbers, &number_style);
    text_table_print(p->out, table, &layout);
    text_table_free(table);
    if (shown < m->cols)
        fprintf(p->out, "  %s(columns 0 to %d shown; the trace holds all %d)%s\n",
                style(p, DIM), shown - 1, m->cols, style(p, RESET));
}

/* The largest weight of row i below `below` (INFINITY: the largest of
 * all), or 0 when there is none; masked keys have weight 0. */
static float largest_below(const al_matrix *m, int i, float below)
{
    float best = 0.0f;
    for (int j = 0; j < m->cols; j++) {
        float w = *al_at(m, i, j);
        if (w < below && w > best)
            best = w;
    }
    return best;
}

/* How many keys of row i have exactly weight w. */
static int count_equal(const al_matrix *m, int i, float w)
{
    int n = 0;
    for (int j = 0; j < m->cols; j++)
        n += *al_at(m, i, j) == w;
    return n;
}

/* "walks", "walks and cat" or "The, cat and by": the keys of row i with
 * exactly weight w, in column order. */
static void print_keys_with(printout *p, const al_matrix *m, int i, float w,
                            const char *const *col_labels, bool bold)
{
    char label[TEXT_NUMBER_SIZE];
    int n = count_equal(m, i, w), printed = 0;
    for (int j = 0; j < m->cols; j++) {
        if (*al_at(m, i, j) != w)
            continue;
        printed++;
        const char *joint = printed == 1 ? "" : printed == n ? " and " : ", ";
        fprintf(p->out, "%s%s%s%s", joint, bold ? style(p, BOLD) : "",
                text_label(label, col_labels, j), bold ? style(p, RESET) : "");
    }
}

/* Row i's largest weight and the next below it, each with every key that
 * has it exactly (ties are named, not broken by column order): "walks
 * 0.51, then every other word 0.10", "cat and by 0.30 each, the 0.20". */
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
    char row_text[TEXT_NUMBER_SIZE];
    for (int i = 0; i < weights->rows; i++) {
        float first = largest_below(weights, i, INFINITY);
        float second = largest_below(weights, i, first);
        int n_first = count_equal(weights, i, first), n_second = count_equal(weights, i, second);
        int seen = weights->cols - count_equal(weights, i, 0.0f);
        fputs("  ", p->out);
        text_padded(p->out, text_label(row_text, row_labels, i), label_width, TEXT_LEFT);
        if (first == 0.0f) { /* every key masked */
            fprintf(p->out, "  ->  nothing: every weight is 0\n");
            continue;
        }
        if (n_first == seen && seen > 1) {
            fprintf(p->out, "  ->  every word%s evenly, %.2f each\n",
                    seen < weights->cols ? " it may see" : "", (double)first);
            continue;
        }
        fputs("  ->  ", p->out);
        print_keys_with(p, weights, i, first, col_labels, true);
        fprintf(p->out, " %.2f%s", (double)first, n_first > 1 ? " each" : "");
        if (second > 0.0f && n_first + n_second == seen && n_second > 1) {
            fprintf(p->out, ", then every other word%s %.2f", seen < weights->cols ?
                    " it may see" : "", (double)second);
        } else if (second > 0.0f) { /* not a masked key */
            fputs(", ", p->out);
            print_keys_with(p, weights, i, second, col_labels, false);
            fprintf(p->out, " %.2f%s", (double)second, n_second > 1 ? " each" : "");
        }
        fputc('\n', p->out);
    }
}
