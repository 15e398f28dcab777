/* trace_show.c: the `list` and `show` subcommands of attnlab-trace: what a
 * trace holds, and one tensor (or its softmax steps) as a labelled table.
 * It only prints what the trace says; it recomputes nothing. */
#include "trace_tool.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- list ----------------------------------------------------------------- */

/* Widths of the name, shape, role and op columns of the listing. */
typedef struct list_widths {
    int name, shape, role, op;
} list_widths;

static int larger(int a, int b)
{
    return a > b ? a : b;
}

static list_widths measure_list(const al_trace_file *trace)
{
    list_widths widths = {text_width("name"), text_width("shape"), text_width("role"),
                          text_width("op")};
    for (int i = 0; i < trace->n_tensors; i++) {
        const al_trace_tensor *t = &trace->tensors[i];
        char shape[48];
        snprintf(shape, sizeof shape, "%dx%d", t->rows, t->cols);
        widths.name = larger(widths.name, text_width(t->name));
        widths.shape = larger(widths.shape, text_width(shape));
        widths.role = larger(widths.role, text_width(t->role));
        widths.op = larger(widths.op, text_width(t->op));
    }
    return widths;
}

static void print_list_line(const list_widths *widths, const char *name, const char *shape,
                            const char *role, const char *op, const char *inputs)
{
    text_padded(stdout, name, widths->name + 2, TEXT_LEFT);
    text_padded(stdout, shape, widths->shape + 2, TEXT_LEFT);
    text_padded(stdout, role, widths->role + 2, TEXT_LEFT);
    if (inputs[0]) {
        text_padded(stdout, op, widths->op + 2, TEXT_LEFT);
        fputs(inputs, stdout);
    } else {
        fputs(op, stdout);  /* nothing after it: no trailing spaces */
    }
    fputc('\n', stdout);
}

/* The inputs joined by ", ". The caller frees the result; NULL if out of memory. */
static char *join_inputs(const al_trace_tensor *t)
{
    size_t length = 1;
    for (int k = 0; k < t->n_inputs; k++) {
        length += strlen(t->inputs[k]) + 2;
    }
    char *joined = malloc(length);
    if (joined) {
        joined[0] = '\0';
        for (int k = 0; k < t->n_inputs; k++) {
            strcat(strcat(joined, k ? ", " : ""), t->inputs[k]);
        }
    }
    return joined;
}

int trace_list(const al_trace_file *trace)
{
    list_widths widths = measure_list(trace);
    print_list_line(&widths, "name", "shape", "role", "op", "inputs");
    for (int i = 0; i < trace->n_tensors; i++) {
        const al_trace_tensor *t = &trace->tensors[i];
        char shape[48];
        char *inputs = join_inputs(t);
        if (!inputs) {
            fprintf(stderr, "attnlab-trace: out of memory\n");
            return EXIT_USAGE;
        }
        snprintf(shape, sizeof shape, "%dx%d", t->rows, t->cols);
        print_list_line(&widths, t->name, shape, t->role, t->op, inputs);
        free(inputs);
    }
    printf("%d tensor%s", trace->n_tensors, trace->n_tensors == 1 ? "" : "s");
    if (trace->n_softmax_rows > 0) {
        printf(", %d softmax row%s (see them with show NAME --rows)", trace->n_softmax_rows,
               trace->n_softmax_rows == 1 ? "" : "s");
    }
    printf("\n");
    return EXIT_ALL_OK;
}

/* ---- show: a name that is not there -------------------------------------- */

/* Edit distance between a and b (insertions, deletions, substitutions),
 * or a large number when either is too long to bother. */
static int edit_distance(const char *a, const char *b)
{
    enum { LONGEST = 127, FAR = 1000 };
    size_t length_a = strlen(a), length_b = strlen(b);
    if (length_a > LONGEST || length_b > LONGEST) {
        return FAR;
    }
    int previous[LONGEST + 1], current[LONGEST + 1];
    for (size_t j = 0; j <= length_b; j++) {
        previous[j] = (int)j;
    }
    for (size_t i = 1; i <= length_a; i++) {
        current[0] = (int)i;
        for (size_t j = 1; j <= length_b; j++) {
            int substitute = previous[j - 1] + (a[i - 1] != b[j - 1]);
            int delete = previous[j] + 1, insert = current[j - 1] + 1;
            current[j] = substitute < delete ? substitute : delete;
            current[j] = insert < current[j] ? insert : current[j];
        }
        memcpy(previous, current, (length_b + 1) * sizeof previous[0]);
    }
    return previous[length_b];
}

/* A name is near the one asked for when one starts with the other
 * ("enc.0.attn.h0" for its tensors) or it is a typo away (two edits). */
static bool is_near_name(const char *candidate, const char *asked)
{
    size_t length_asked = strlen(asked), length_candidate = strlen(candidate);
    return strncmp(candidate, asked, length_asked) == 0 ||
           strncmp(candidate, asked, length_candidate) == 0 ||
           edit_distance(candidate, asked) <= 2;
}

/* One line on stderr: the name is missing, and the names near it. */
static void report_missing_name(const al_trace_file *trace, const char *trace_path,
                                const char *name)
{
    enum { MOST_SHOWN = 8 };
    int shown = 0;
    fprintf(stderr, "attnlab-trace: no tensor '%s' in %s", name, trace_path);
    for (int i = 0; i < trace->n_tensors && shown < MOST_SHOWN; i++) {
        if (is_near_name(trace->tensors[i].name, name)) {
            fprintf(stderr, "%s%s", shown ? ", " : "; near names: ", trace->tensors[i].name);
            shown++;
        }
    }
    if (shown == 0) {
        fprintf(stderr, "; 'attnlab-trace list %s' shows every name", trace_path);
    }
    fprintf(stderr, "\n");
}

/* ---- show: a tensor ------------------------------------------------------- */

/* One attr as it reads in the file: 3, "pcg32", [1, 4, 16]. */
void trace_print_attr(const al_trace_tensor_attr *attr)
{
    if (attr->kind == AL_TRACE_ATTR_TEXT) {
        printf("\"%s\"", attr->text);
    } else if (attr->kind == AL_TRACE_ATTR_NUMBER) {
        printf("%.9g", attr->number);
    } else {
        printf("[");
        for (int i = 0; i < attr->list_length; i++) {
            printf("%s%.9g", i ? ", " : "", attr->list[i]);
        }
        printf("]");
    }
}

/* "NAME  (RxC, op(inputs))", then the op's attrs, mask, note and warnings,
 * one per line. */
static void print_title(const al_trace_tensor *t)
{
    printf("%s  (%dx%d, %s", t->name, t->rows, t->cols, t->op);
    if (t->n_inputs > 0) {
        printf("(");
        for (int k = 0; k < t->n_inputs; k++) {
            printf("%s%s", k ? ", " : "", t->inputs[k]);
        }
        printf(")");
    }
    printf(")\n");
    if (t->n_attrs > 0) {
        printf("attrs:");
        for (int k = 0; k < t->n_attrs; k++) {
            printf("%s %s = ", k ? "," : "", t->attrs[k].name);
            trace_print_attr(&t->attrs[k]);
        }
        printf("\n");
    }
    if (t->mask) {
        printf("mask: %s\n", t->mask);
    }
    if (t->note) {
        printf("note: %s\n", t->note);
    }
    for (int k = 0; k < t->n_warnings; k++) {
        printf("warning: %s\n", t->warnings[k]);
    }
}

static bool has_null(const al_trace_tensor *t)
{
    for (long k = 0; k < (long)t->rows * t->cols; k++) {
        if (isnan(t->data[k])) {  /* null in the trace */
            return true;
        }
    }
    return false;
}

/* rows x cols values (row-major) as a grid: every column as wide as the
 * widest, in blocks of columns that fit 100 characters, labels on the left
 * and on top (NULL: indices), a null (masked) entry as a centred "-".
 * Numbers keep their sign, so "-0.0000" says the trace holds a tiny
 * negative number. Returns false when out of memory. */
static bool print_numbers(const float *values, int rows, int cols, const char *const *row_labels,
                          const char *const *col_labels, int precision)
{
    text_numbers numbers = {values, rows, cols, cols, row_labels, col_labels};
    text_number_style style = {.decimals = precision, .masked = "-", .masked_align = TEXT_CENTER};
    text_table_layout layout = {.line_width = 100, .same_widths = true, .name_blocks = true};
    text_table *table = text_table_of_numbers(&numbers, &style);
    bool printed = text_table_print(stdout, table, &layout);
    text_table_free(table);
    return printed;
}

static int show_tensor(const al_trace_tensor *t, int precision)
{
    print_title(t);
    printf("\n");
    if (!print_numbers(t->data, t->rows, t->cols, (const char *const *)t->row_labels,
                       (const char *const *)t->col_labels, precision)) {
        fprintf(stderr, "attnlab-trace: out of memory\n");
        return EXIT_USAGE;
    }
    if (has_null(t)) {
        printf("\n- = masked (null in the trace)\n");
    }
    return EXIT_ALL_OK;
}

/* ---- show --rows: the steps of softmax ------------------------------------ */

/* One softmax row record: scores, exp and weights under the key labels,
 * then max and sum. */
static void show_softmax_row(const al_trace_softmax_row *s, const al_trace_tensor *weights,
                             int precision)
{
    static const char *const step_names[] = {"scores", "exp", "weights"};
    char temperature[TEXT_NUMBER_SIZE], max[TEXT_NUMBER_SIZE], sum[TEXT_NUMBER_SIZE];
    float *steps = malloc(3 * (size_t)s->n * sizeof *steps);
    if (!steps) {
        printf("(out of memory)\n");
        return;
    }
    memcpy(steps, s->scores, (size_t)s->n * sizeof *steps);
    memcpy(steps + s->n, s->exps, (size_t)s->n * sizeof *steps);
    memcpy(steps + 2 * s->n, s->weights, (size_t)s->n * sizeof *steps);
    text_shortest(temperature, s->temperature);
    printf("\nrow %d%s%s%s  (temperature %s)\n", s->row, s->label ? " \"" : "",
           s->label ? s->label : "", s->label ? "\"" : "", temperature);
    if (!print_numbers(steps, 3, s->n, step_names, (const char *const *)weights->col_labels,
                       precision)) {
        printf("(out of memory)\n");
    }
    text_fixed(max, s->max, precision);
    text_fixed(sum, s->sum, precision);
    printf("max %s   sum %s\n", isnan(s->max) ? "- (every score masked)" : max, sum);
    free(steps);
}

static int count_softmax_rows(const al_trace_file *trace, const char *name)
{
    int count = 0;
    for (int r = 0; r < trace->n_softmax_rows; r++) {
        count += strcmp(trace->softmax_rows[r].name, name) == 0;
    }
    return count;
}

/* Every softmax row record of the weights tensor, in row order as written.
 * Asking for rows that are not there is an error, with the reason. */
static int show_softmax_rows(const al_trace_file *trace, const char *trace_path,
                             const al_trace_tensor *weights, int precision)
{
    if (count_softmax_rows(trace, weights->name) == 0) {
        fprintf(stderr, "attnlab-trace: no softmax rows for '%s' in %s: %s\n", weights->name,
                trace_path,
                strcmp(trace->level, "rows") == 0
                    ? "it is not the output of a softmax"
                    : "the trace was written at level \"tensors\"; level \"rows\" records them");
        return EXIT_USAGE;
    }
    printf("softmax rows of %s:  weights = exp((scores - max) / temperature) / sum\n",
           weights->name);
    for (int r = 0; r < trace->n_softmax_rows; r++) {
        if (strcmp(trace->softmax_rows[r].name, weights->name) == 0) {
            show_softmax_row(&trace->softmax_rows[r], weights, precision);
        }
    }
    return EXIT_ALL_OK;
}

int trace_show(const al_trace_file *trace, const char *trace_path, const char *name,
               int precision, bool show_rows)
{
    const al_trace_tensor *t = al_trace_file_find(trace, name);
    if (!t) {
        report_missing_name(trace, trace_path, name);
        return EXIT_USAGE;
    }
    if (show_rows) {
        return show_softmax_rows(trace, trace_path, t, precision);
    }
    return show_tensor(t, precision);
}
