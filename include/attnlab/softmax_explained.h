/* softmax_explained.h: the softmax of one row of scores with every step
 * kept and traced as a tensor of its own, for lessons that teach the
 * softmax itself (lesson03):
 *
 *   max      = max_j s_j                          (1 x 1)
 *   shifted  = (s_j − max) / T                    (1 x n)  every entry <= 0
 *   exp      = exp(shifted_j)                     (1 x n)  every entry in (0, 1]
 *   sum      = Σ_j exp_j                          (1 x 1)  at least 1
 *   weights  = exp_j / sum                        (1 x n)  sums to 1
 *
 * The numbers come from al_softmax_row (softmax.h), so they are exactly the
 * ones attention computes; this file only keeps and names the steps.
 * Attention itself calls al_softmax_rows and never needs this. */
#ifndef ATTNLAB_SOFTMAX_EXPLAINED_H
#define ATTNLAB_SOFTMAX_EXPLAINED_H

#include "attnlab/matrix.h"
#include "attnlab/trace.h"

/* Every step of one row's softmax. The matrices are 1 x n, allocated by
 * al_softmax_explained_alloc and freed by al_softmax_explained_free. */
typedef struct al_softmax_explained {
    al_matrix shifted, exps, weights;
    float max, sum;
    float temperature;
} al_softmax_explained;

al_status al_softmax_explained_alloc(al_softmax_explained *steps, int n, al_error *err);
void al_softmax_explained_free(al_softmax_explained *steps);

/* Fill steps from scores (1 x n, the caller's, traced by the caller under
 * scores_name) at temperature T (positive, finite). Fails with
 * AL_ERR_SHAPE when the shapes disagree, AL_ERR_VALUE for a bad T, a NaN or
 * infinite score (this row has no mask). Traces <name>.temperature (1 x 1,
 * only when T != 1), <name>.max, <name>.shifted, <name>.exp, <name>.sum and
 * <name>.weights, with labels (n strings, or NULL) on the columns of the
 * rows. */
al_status al_softmax_explain(al_softmax_explained *steps, const al_matrix *scores,
                             const char *scores_name, float temperature,
                             const char *const *labels, al_trace_at at, al_error *err);

#endif
