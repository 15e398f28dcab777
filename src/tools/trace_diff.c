/* trace_diff.c: the `diff` subcommand of attnlab-trace: two traces compared
 * tensor by tensor, one line per tensor, and a summary.
 * What a record says besides its numbers (shape, labels, role, op, inputs,
 * attrs, mask, note, warnings, the positions of nulls) must agree exactly. Inputs
 * and parameters must be bit-identical: they never pass through BLAS, so
 * any change in them is a real one. Computed tensors must agree within
 *     |a - b| <= atol + rtol * |b| + stol * max|b|,
 * max|b| over the tensor's entries in B (traces/FORMAT.md, "Comparing
 * traces", says why). Softmax row records are not compared: they only
 * repeat the steps of tensors that are. Headers are not compared either: a
 * trace written to another path records other arguments. The numbers of a
 * tensor made by op train_run (the outcome of untraced training steps) are
 * not compared at all: every rounding of every step feeds the next, so they
 * differ between CPUs by far more than any rule could allow (FORMAT.md). */
#include "trace_tool.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Shapes must be equal; prints "NAME shape 2x3 vs 3x2" when not. */
static bool same_shape(const al_trace_tensor *a, const al_trace_tensor *b)
{
    if (a->rows == b->rows && a->cols == b->cols) {
        return true;
    }
    printf("%s shape %dx%d vs %dx%d\n", a->name, a->rows, a->cols, b->rows, b->cols);
    return false;
}

/* Row or column labels (count of them, either side may have none) must be
 * equal; prints the first difference when not. */
static bool same_labels(const char *name, const char *which, char *const *labels_a,
                        char *const *labels_b, int count)
{
    if (!labels_a && !labels_b) {
        return true;
    }
    if (!labels_a || !labels_b) {
        printf("%s %s labels differ: %s\n", name, which,
               labels_a ? "A has them, B has none" : "A has none, B has them");
        return false;
    }
    for (int i = 0; i < count; i++) {
        if (strcmp(labels_a[i], labels_b[i]) != 0) {
            printf("%s %s labels differ at %d: \"%s\" vs \"%s\"\n", name, which, i, labels_a[i],
                   labels_b[i]);
            return false;
        }
    }
    return true;
}

/* Two optional strings (NULL: the record has none) must be equal; prints
 * "NAME FIELD differs: "a" vs "b"" when not. */
static bool same_text(const char *name, const char *field, const char *text_a,
                      const char *text_b)
{
    if ((!text_a && !text_b) || (text_a && text_b && strcmp(text_a, text_b) == 0)) {
        return true;
    }
    printf("%s %s differs: %s%s%s vs %s%s%s\n", name, field, text_a ? "\"" : "",
           text_a ? text_a : "none", text_a ? "\"" : "", text_b ? "\"" : "",
           text_b ? text_b : "none", text_b ? "\"" : "");
    return false;
}

/* Two lists of strings (inputs, warnings) must be equal, in order. */
static bool same_list(const char *name, const char *field, char *const *list_a, int count_a,
                      char *const *list_b, int count_b)
{
    bool same = count_a == count_b;
    for (int i = 0; same && i < count_a; i++) {
        same = strcmp(list_a[i], list_b[i]) == 0;
    }
    if (!same) {
        printf("%s %s differ: [", name, field);
        for (int i = 0; i < count_a; i++) {
            printf("%s%s", i ? ", " : "", list_a[i]);
        }
        printf("] vs [");
        for (int i = 0; i < count_b; i++) {
            printf("%s%s", i ? ", " : "", list_b[i]);
        }
        printf("]\n");
    }
    return same;
}

static bool same_attr(const al_trace_tensor_attr *a, const al_trace_tensor_attr *b)
{
    if (strcmp(a->name, b->name) != 0 || a->kind != b->kind) {
        return false;
    }
    if (a->kind == AL_TRACE_ATTR_TEXT) {
        return strcmp(a->text, b->text) == 0;
    }
    if (a->kind == AL_TRACE_ATTR_NUMBER) {
        return a->number == b->number;
    }
    return a->list_length == b->list_length &&
           memcmp(a->list, b->list, sizeof(double) * (size_t)a->list_length) == 0;
}

/* The op's parameters (attrs) are exact, in order: a row index or a seed
 * that moved is another computation. */
static bool same_attrs(const al_trace_tensor *a, const al_trace_tensor *b)
{
    bool same = a->n_attrs == b->n_attrs;
    for (int i = 0; same && i < a->n_attrs; i++) {
        same = same_attr(&a->attrs[i], &b->attrs[i]);
    }
    if (!same) {
        const al_trace_tensor *sides[2] = {a, b};
        printf("%s attrs differ: ", a->name);
        for (int side = 0; side < 2; side++) {
            printf("%s{", side ? " vs " : "");
            for (int i = 0; i < sides[side]->n_attrs; i++) {
                printf("%s%s: ", i ? ", " : "", sides[side]->attrs[i].name);
                trace_print_attr(&sides[side]->attrs[i]);
            }
            printf("}");
        }
        printf("\n");
    }
    return same;
}

/* What made the tensor, and what a reader is told about it: a tensor made
 * by another op, from other inputs or with other parameters is another
 * computation, however close its numbers. */
static bool same_record(const al_trace_tensor *a, const al_trace_tensor *b)
{
    return same_text(a->name, "role", a->role, b->role) &&
           same_text(a->name, "op", a->op, b->op) &&
           same_list(a->name, "inputs", a->inputs, a->n_inputs, b->inputs, b->n_inputs) &&
           same_attrs(a, b) &&
           same_text(a->name, "mask", a->mask, b->mask) &&
           same_text(a->name, "note", a->note, b->note) &&
           same_list(a->name, "warnings", a->warnings, a->n_warnings, b->warnings,
                     b->n_warnings);
}

/* Masked entries (null, NaN here) must sit in the same places: a mask that
 * moved is a different computation, however close the numbers. */
static bool same_null_positions(const al_trace_tensor *a, const al_trace_tensor *b)
{
    for (int i = 0; i < a->rows; i++) {
        for (int j = 0; j < a->cols; j++) {
            float value_a = al_trace_tensor_at(a, i, j), value_b = al_trace_tensor_at(b, i, j);
            if (isnan(value_a) != isnan(value_b)) {
                char text_a[TEXT_NUMBER_SIZE], text_b[TEXT_NUMBER_SIZE];
                text_shortest(text_a, value_a);
                text_shortest(text_b, value_b);
                printf("%s null positions differ at (%d,%d): %s vs %s\n", a->name, i, j, text_a,
                       text_b);
                return false;
            }
        }
    }
    return true;
}

/* Inputs and parameters are read or drawn, never computed through BLAS, so
 * they must be the same float32 bits (0 and -0 differ). Prints "NAME OK
 * exact" or "NAME DIFFERS at (i,j): a vs b (an input must be bit-identical)". */
static bool identical_numbers(const al_trace_tensor *a, const al_trace_tensor *b, bool quiet)
{
    long count = (long)a->rows * a->cols, outside = 0, first = -1;
    for (long k = 0; k < count; k++) {
        if (isnan(a->data[k])) {
            continue;  /* null in both: same_null_positions checked */
        }
        if (memcmp(&a->data[k], &b->data[k], sizeof(float)) != 0) {
            first = first < 0 ? k : first;
            outside++;
        }
    }
    if (outside == 0) {
        if (!quiet) {
            printf("%s OK exact\n", a->name);
        }
        return true;
    }
    char text_a[TEXT_NUMBER_SIZE], text_b[TEXT_NUMBER_SIZE];
    text_shortest(text_a, a->data[first]);
    text_shortest(text_b, b->data[first]);
    printf("%s DIFFERS at (%ld,%ld): %s vs %s (%s %s must be bit-identical", a->name,
           first / a->cols, first % a->cols, text_a, text_b,
           strcmp(b->role, "param") == 0 ? "a" : "an", b->role);
    if (outside > 1) {
        printf("; %ld of %ld entries differ", outside, count);
    }
    printf(")\n");
    return false;
}

/* The largest |b| over the tensor's numbers (nulls skipped): the scale of
 * the products and sums that made it. */
static double largest_magnitude(const al_trace_tensor *b)
{
    double largest = 0;
    for (long k = 0, count = (long)b->rows * b->cols; k < count; k++) {
        if (!isnan(b->data[k]) && fabs(b->data[k]) > largest) {
            largest = fabs(b->data[k]);
        }
    }
    return largest;
}

/* A computed tensor's numbers, within the rule. Prints "NAME OK maxdiff D"
 * with the largest difference, or "NAME DIFFERS maxdiff D at (i,j): a vs b,
 * allowed E" at the entry furthest outside the rule (the largest ratio of
 * difference to what the rule allows there). */
static bool close_numbers(const al_trace_tensor *a, const al_trace_tensor *b,
                          const trace_tolerance *tolerance, bool quiet)
{
    double scale_allowance = tolerance->stol * largest_magnitude(b);
    double largest = 0, worst_ratio = 0, worst_allowed = 0;
    long worst = 0, outside = 0, count = (long)a->rows * a->cols;
    for (long k = 0; k < count; k++) {
        if (isnan(a->data[k])) {
            continue;  /* null in both: same_null_positions checked */
        }
        double value_a = a->data[k], value_b = b->data[k];
        double difference = fabs(value_a - value_b);
        double allowed = tolerance->atol + tolerance->rtol * fabs(value_b) + scale_allowance;
        largest = difference > largest ? difference : largest;
        if (!(difference <= allowed)) {
            double ratio = allowed > 0 ? difference / allowed : INFINITY;
            if (outside == 0 || ratio > worst_ratio) {
                worst_ratio = ratio;
                worst_allowed = allowed;
                worst = k;
            }
            outside++;
        }
    }
    if (outside == 0) {
        if (!quiet) {
            printf("%s OK maxdiff %.2g\n", a->name, largest);
        }
        return true;
    }
    char text_a[TEXT_NUMBER_SIZE], text_b[TEXT_NUMBER_SIZE];
    text_shortest(text_a, a->data[worst]);
    text_shortest(text_b, b->data[worst]);
    printf("%s DIFFERS maxdiff %.2g at (%ld,%ld): %s vs %s, allowed %.2g", a->name,
           fabs((double)a->data[worst] - b->data[worst]), worst / a->cols, worst % a->cols,
           text_a, text_b, worst_allowed);
    if (outside > 1) {
        printf(" (%ld of %ld entries outside the rule)", outside, count);
    }
    printf("\n");
    return false;
}

/* One tensor of A against its namesake in B (or its absence). Which rule
 * applies is B's role: B is the reference (the golden trace). */
static bool compare_tensor(const al_trace_tensor *a, const al_trace_file *trace_b,
                           const trace_tolerance *tolerance, bool quiet)
{
    const al_trace_tensor *b = al_trace_file_find(trace_b, a->name);
    if (!b) {
        printf("%s only in A\n", a->name);
        return false;
    }
    if (!(same_shape(a, b) &&
          same_labels(a->name, "row", a->row_labels, b->row_labels, a->rows) &&
          same_labels(a->name, "column", a->col_labels, b->col_labels, a->cols) &&
          same_record(a, b) && same_null_positions(a, b))) {
        return false;
    }
    if (b->op && strcmp(b->op, "train_run") == 0) {
        if (!quiet) {
            printf("%s OK numbers not compared (op train_run)\n", a->name);
        }
        return true;
    }
    bool given = strcmp(b->role, "input") == 0 || strcmp(b->role, "param") == 0;
    return given ? identical_numbers(a, b, quiet) : close_numbers(a, b, tolerance, quiet);
}

int trace_diff(const al_trace_file *a, const al_trace_file *b, const trace_tolerance *tolerance,
               bool quiet)
{
    int compared = 0, differing = 0;
    for (int i = 0; i < a->n_tensors; i++, compared++) {
        differing += !compare_tensor(&a->tensors[i], b, tolerance, quiet);
    }
    for (int i = 0; i < b->n_tensors; i++) {
        if (!al_trace_file_find(a, b->tensors[i].name)) {
            printf("%s only in B\n", b->tensors[i].name);
            compared++;
            differing++;
        }
    }
    printf("%d tensor%s: %d OK", compared, compared == 1 ? "" : "s", compared - differing);
    if (differing > 0) {
        printf(", %d differ%s", differing, differing == 1 ? "s" : "");
    }
    printf("\n");
    return differing > 0 ? EXIT_DIFFERS : EXIT_ALL_OK;
}
