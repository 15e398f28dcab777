/* softmax.h: the numerically stable softmax of each row of a score matrix,
 * with a temperature, and with masked entries.
 *
 * weights_j = exp((s_j - max) / T) / sum_k exp((s_k - max) / T)
 *
 * Subtracting the row's largest score changes nothing mathematically (it
 * cancels between numerator and denominator) but keeps every exponent <= 0,
 * so exp never overflows however large the scores are; the largest entry
 * contributes exp(0) = 1, so the sum is at least 1 and never 0.
 *
 * A masked score is -INFINITY. exp(-inf) is exactly 0, so a masked entry
 * gets a weight of exactly 0, not a tiny number. A row whose every entry is
 * masked has no maximum; it gets all-zero weights (never NaN) and is
 * reported to the caller. */
#ifndef ATTNLAB_SOFTMAX_H
#define ATTNLAB_SOFTMAX_H

#include <stdbool.h>

#include "attnlab/matrix.h"

/* The intermediate numbers of one row, for tracing and for teaching. */
typedef struct al_softmax_steps {
    float max;        /* largest unmasked score; -INFINITY if all masked */
    float sum;        /* sum of the exponentials; 0 if all masked        */
    bool all_masked;  /* every entry was -INFINITY                       */
} al_softmax_steps;

/* Softmax of one row of n scores at temperature T (> 0, finite).
 * weights may be the same array as scores. If exps is not NULL it receives
 * the n exponentials exp((s_j - max) / T) before division. Returns the
 * steps. Does not check T: al_softmax_rows does. */
al_softmax_steps al_softmax_row(float *weights, float *exps, const float *scores, int n,
                                float temperature);

/* The chapter's form of one row, for teaching only (attnlab-calc softmax
 * --plain); attention never calls it:
 *
 *   weights_j = exp(s_j / T) / sum_k exp(s_k / T)
 *
 * In exact arithmetic the same weights as al_softmax_row: exp(-max / T)
 * cancels between numerator and denominator. In float32 exp overflows to
 * infinity once s_j / T passes about 88.72 (and underflows to 0 below
 * about -103), so the sum can be infinite or 0 and the weights NaN: that
 * is why al_softmax_row subtracts the max. exps (n, or NULL) receives the
 * exp(s_j / T); a masked score (-INFINITY) gives 0. Returns the sum, added
 * in double and rounded to float (+INFINITY when it overflows). */
float al_softmax_row_plain(float *weights, float *exps, const float *scores, int n,
                           float temperature);

/* weights = softmax of each row of scores, at temperature T.
 * weights and scores have the same shape and may be the same matrix.
 * If fully_masked_rows is not NULL it receives how many rows had every entry
 * masked (their weights are all 0). Fails with AL_ERR_VALUE if T is not a
 * positive finite number or a score is NaN or +inf, AL_ERR_SHAPE if the
 * shapes differ. */
al_status al_softmax_rows(al_matrix *weights, const al_matrix *scores, float temperature,
                          int *fully_masked_rows, al_error *err);

/* Backward of weights = softmax(scores / T), row by row, from dweights:
 *   dscores_ij = (1/T) · w_ij · (dw_ij - Σ_k dw_ik · w_ik)
 * (the Jacobian of a softmax row is diag(w) - w wᵀ, over T). A masked
 * score, whose weight is exactly 0, gets a gradient of exactly 0, and so
 * does every score of a fully masked row. All three are the same shape;
 * dscores may be dweights. */
al_status al_softmax_rows_backward(al_matrix *dscores, const al_matrix *weights,
                                   const al_matrix *dweights, float temperature,
                                   al_error *err);

#endif
