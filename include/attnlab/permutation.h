/* permutation.h: putting the rows of a matrix (and their labels) in another
 * order, and a seeded random order in which every row moves: the shuffled
 * sentence of lesson08, which shows that attention without positional
 * encodings cannot tell one word order from another. Not sorting, and not
 * a general gather (embedding lookup is layers.h).
 *
 * An order of n rows is an int array: order[i] is the row of the original
 * that goes to place i. "cat the walks" is order {1, 0, 2} of
 * "the cat walks". */
#ifndef ATTNLAB_PERMUTATION_H
#define ATTNLAB_PERMUTATION_H

#include "attnlab/matrix.h"
#include "attnlab/rng.h"
#include "attnlab/trace.h"

/* order[0 .. n-1] = a random cyclic permutation of 0 .. n-1 by Sattolo's
 * algorithm: start from 0, 1, ..., n-1; for i from n-1 down to 1 swap
 * order[i] with order[j], j uniform in [0, i) (never i itself). Each of the
 * (n-1)! single cycles is equally likely, and for n > 1 every row moves:
 * order[i] != i for all i. n >= 1. */
void al_shuffle_order(int *order, int n, al_rng *rng);

/* out (n x d) row i = in (n x d) row order[i]. Every order[i] must be in
 * [0, n) (AL_ERR_VALUE names the first that is not); shapes must agree
 * (AL_ERR_SHAPE). out must not overlap in. Traced under name as op
 * "permute_rows" with inputs [input_name, order_name], rows labelled by
 * labels (the rows' new labels, or NULL). */
al_status al_permute_rows(al_matrix *out, al_named input, const int *order,
                          const char *order_name, const char *const *labels, al_trace_at at,
                          al_error *err);

/* out[i] = in[order[i]] for i < n: the labels that go with permuted rows.
 * The strings are shared, not copied. */
void al_permute_labels(const char **out, const char *const *in, const int *order, int n);

/* Record order as a 1 x n tensor under name (role input, op "given"):
 * entry i is the original position order[i], column i labelled by labels[i]
 * (the new order's tokens, or NULL). A NULL trace records nothing. */
al_status al_trace_order(al_trace *trace, const char *name, const int *order, int n,
                         const char *const *labels, al_error *err);

#endif
