/* trace_diff.c: the `diff` subcommand of attnlab-trace: two traces compared
 * tensor by tensor, one line per tensor, and a summary.
 * Names, shapes, labels and the positions of nulls must agree exactly; the
 * numbers must agree within |a - b| <= atol + rtol * |b| (the tolerance and
 * why it exists are in traces/FORMAT.md, "Comparing traces"). Softmax row
 * records are not compared: they only repeat the steps of tensors that are. */
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

/* The numbers, within tolerance. Prints "NAME OK maxdiff D" with the
 * largest difference, or "NAME DIFFERS maxdiff D at (i,j): a vs b" with the
 * largest difference outside the tolerance and where it is. */
static bool close_numbers(const al_trace_tensor *a, const al_trace_tensor *b, double atol,
                          double rtol)
{
    double largest = 0, largest_outside = -1;
    long worst = 0, outside = 0, count = (long)a->rows * a->cols;
    for (long k = 0; k < count; k++) {
        if (isnan(a->data[k])) {
            continue;  /* null in both: same_null_positions checked */
        }
        double value_a = a->data[k], value_b = b->data[k];
        double difference = fabs(value_a - value_b);
        largest = difference > largest ? difference : largest;
        if (!(difference <= atol + rtol * fabs(value_b))) {
            outside++;
            if (difference > largest_outside) {
                largest_outside = difference;
                worst = k;
            }
        }
    }
    if (outside == 0) {
        printf("%s OK maxdiff %.2g\n", a->name, largest);
        return true;
    }
    char text_a[TEXT_NUMBER_SIZE], text_b[TEXT_NUMBER_SIZE];
    text_shortest(text_a, a->data[worst]);
    text_shortest(text_b, b->data[worst]);
    printf("%s DIFFERS maxdiff %.2g at (%ld,%ld): %s vs %s", a->name, largest_outside,
           worst / a->cols, worst % a->cols, text_a, text_b);
    if (outside > 1) {
        printf(" (%ld of %ld entries outside tolerance)", outside, count);
    }
    printf("\n");
    return false;
}

/* One tensor of A against its namesake in B (or its absence). */
static bool compare_tensor(const al_trace_tensor *a, const al_trace_file *trace_b, double atol,
                           double rtol)
{
    const al_trace_tensor *b = al_trace_file_find(trace_b, a->name);
    if (!b) {
        printf("%s only in A\n", a->name);
        return false;
    }
    return same_shape(a, b) &&
           same_labels(a->name, "row", a->row_labels, b->row_labels, a->rows) &&
           same_labels(a->name, "column", a->col_labels, b->col_labels, a->cols) &&
           same_null_positions(a, b) && close_numbers(a, b, atol, rtol);
}

int trace_diff(const al_trace_file *a, const al_trace_file *b, double atol, double rtol)
{
    int compared = 0, differing = 0;
    for (int i = 0; i < a->n_tensors; i++, compared++) {
        differing += !compare_tensor(&a->tensors[i], b, atol, rtol);
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
