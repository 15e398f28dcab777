/* normalize.c: plain division by the sum, the normaliser of the chapter's
 * retrieval example (similarities 0.2, 0.2 -> weights 0.5, 0.5). The
 * other normaliser, softmax, has its own file (softmax.c). */
#include "attnlab/attention.h"

#include <math.h>

/* The first entry plain normalising cannot take: NaN, an infinity other
 * than a masked -inf, or a negative similarity (weights would not be a
 * proportion any more). */
static bool find_bad_similarity(const al_matrix *scores, int *bad_i, int *bad_j)
{
    for (int i = 0; i < scores->rows; i++) {
        for (int j = 0; j < scores->cols; j++) {
            float s = *al_at(scores, i, j);
            if (s != -INFINITY && !(s >= 0.0f && s < INFINITY)) {
                *bad_i = i;
                *bad_j = j;
                return true;
            }
        }
    }
    return false;
}

/* weights_j = s_j / sum_k s_k for one row, a masked (-inf) s counting as
 * 0. The sum is in double, and each weight is rounded once. A row that
 * sums to 0 (all masked, or all similarities 0) gets weights of 0, since
 * there is nothing to share out. */
double al_normalize_sum_row(float *weights, const float *scores, int n)
{
    double sum = 0.0;
    for (int j = 0; j < n; j++)
        if (scores[j] != -INFINITY)
            sum += scores[j];
    for (int j = 0; j < n; j++)
        weights[j] = sum > 0.0 && scores[j] != -INFINITY ? (float)(scores[j] / sum) : 0.0f;
    return sum;
}

al_status al_normalize_sum(al_matrix *weights, const al_matrix *scores, int *empty_rows,
                           al_error *err)
{
    if (!al_same_shape(weights, scores))
        return al_fail(err, AL_ERR_SHAPE,
                       "normalise by the sum: scores are %d x %d but weights are %d x %d",
                       scores->rows, scores->cols, weights->rows, weights->cols);
    int bad_i, bad_j;
    if (find_bad_similarity(scores, &bad_i, &bad_j))
        return al_fail(err, AL_ERR_VALUE,
                       "normalise by the sum: similarity (%d, %d) is %g, but dividing by the "
                       "sum needs similarities >= 0 (use softmax for scores of any sign)",
                       bad_i, bad_j, (double)*al_at(scores, bad_i, bad_j));
    int empty = 0;
    for (int i = 0; i < scores->rows; i++) {
        double sum = al_normalize_sum_row(al_at(weights, i, 0), al_at(scores, i, 0),
                                          scores->cols);
        empty += !(sum > 0.0);
    }
    if (empty_rows)
        *empty_rows = empty;
    return AL_OK;
}
