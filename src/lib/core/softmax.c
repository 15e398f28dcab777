/* softmax.c: stable softmax of score rows, with temperature and masks.
 * Why each step is there is explained in softmax.h; the masking that puts
 * -INFINITY into scores lives with attention, not here. */
#include "attnlab/softmax.h"

#include <math.h>

/* weights_j = exp((s_j - max) / T) / sum_k exp((s_k - max) / T)
 * pass 1: the largest score (starting from the first entry, so no sentinel
 *         is needed; -inf entries never win unless all are -inf)
 * pass 2: the exponentials and their sum (in double: rows are short, and a
 *         double sum does not depend on how many small terms come first)
 * pass 3: divide. */
al_softmax_steps al_softmax_row(float *weights, float *exps, const float *scores, int n,
                                float temperature)
{
    al_softmax_steps steps = {.max = scores[0], .sum = 0.0f, .all_masked = false};
    for (int j = 1; j < n; j++)
        if (scores[j] > steps.max)
            steps.max = scores[j];

    if (steps.max == -INFINITY) {
        /* Every key is masked: there is nothing to attend to. Zeros, not
         * the NaN that exp(-inf - -inf) would give. */
        steps.all_masked = true;
        for (int j = 0; j < n; j++) {
            weights[j] = 0.0f;
            if (exps)
                exps[j] = 0.0f;
        }
        return steps;
    }

    double sum = 0.0;
    for (int j = 0; j < n; j++) {
        /* A masked score gives exp(-inf) = 0 exactly, so it is not taken. */
        float e = scores[j] == -INFINITY ? 0.0f : expf((scores[j] - steps.max) / temperature);
        if (exps)
            exps[j] = e;
        weights[j] = e;
        sum += e;
    }
    steps.sum = (float)sum;
    for (int j = 0; j < n; j++)
        weights[j] = (float)(weights[j] / sum);
    return steps;
}

/* weights_j = exp(s_j / T) / sum_k exp(s_k / T), the chapter's form: no
 * max is subtracted, so nothing keeps exp from overflowing (softmax.h).
 * pass 1: the exponentials and their sum (in double, as al_softmax_row)
 * pass 2: divide; a sum of 0 or infinity gives NaN or 0, left as it is. */
float al_softmax_row_plain(float *weights, float *exps, const float *scores, int n,
                           float temperature)
{
    double sum = 0.0;
    for (int j = 0; j < n; j++) {
        float e = scores[j] == -INFINITY ? 0.0f : expf(scores[j] / temperature);
        if (exps)
            exps[j] = e;
        weights[j] = e;
        sum += e;
    }
    for (int j = 0; j < n; j++)
        weights[j] = (float)(weights[j] / sum);
    return (float)sum;
}

/* The first entry that softmax cannot take: NaN or +inf (-inf is a mask). */
static bool find_bad_score(const al_matrix *scores, int *bad_i, int *bad_j)
{
    for (int i = 0; i < scores->rows; i++) {
        for (int j = 0; j < scores->cols; j++) {
            float s = *al_at(scores, i, j);
            if (isnan(s) || s == INFINITY) {
                *bad_i = i;
                *bad_j = j;
                return true;
            }
        }
    }
    return false;
}

al_status al_softmax_rows(al_matrix *weights, const al_matrix *scores, float temperature,
                          int *fully_masked_rows, al_error *err)
{
    if (!al_same_shape(weights, scores))
        return al_fail(err, AL_ERR_SHAPE, "softmax: scores are %d x %d but weights are %d x %d",
                       scores->rows, scores->cols, weights->rows, weights->cols);
    if (!(temperature > 0.0f) || isinf(temperature))
        return al_fail(err, AL_ERR_VALUE,
                       "softmax: temperature must be a positive finite number, not %g",
                       (double)temperature);
    int bad_i, bad_j;
    if (find_bad_score(scores, &bad_i, &bad_j))
        return al_fail(err, AL_ERR_VALUE, "softmax: score (%d, %d) is %g", bad_i, bad_j,
                       (double)*al_at(scores, bad_i, bad_j));

    int masked_rows = 0;
    for (int i = 0; i < scores->rows; i++) {
        al_softmax_steps steps = al_softmax_row(al_at(weights, i, 0), NULL,
                                                al_at(scores, i, 0), scores->cols, temperature);
        masked_rows += steps.all_masked;
    }
    if (fully_masked_rows)
        *fully_masked_rows = masked_rows;
    return AL_OK;
}

al_status al_softmax_rows_backward(al_matrix *dscores, const al_matrix *weights,
                                   const al_matrix *dweights, float temperature,
                                   al_error *err)
{
    if (!al_same_shape(dscores, weights) || !al_same_shape(dweights, weights))
        return al_fail(err, AL_ERR_SHAPE, "softmax backward: weights are %d x %d, dweights "
                       "%d x %d and dscores %d x %d; all three must agree", weights->rows,
                       weights->cols, dweights->rows, dweights->cols, dscores->rows,
                       dscores->cols);
    if (!(temperature > 0.0f) || isinf(temperature))
        return al_fail(err, AL_ERR_VALUE, "softmax backward: temperature must be a positive "
                       "finite number, not %g", (double)temperature);
    for (int i = 0; i < weights->rows; i++) {
        /* Σ_k dw_ik · w_ik: how much the row's gradient points along w itself */
        double along = 0.0;
        for (int k = 0; k < weights->cols; k++)
            along += (double)*al_at(dweights, i, k) * *al_at(weights, i, k);
        /* dscores_ij = w_ij · (dw_ij - along) / T */
        for (int j = 0; j < weights->cols; j++) {
            double w = *al_at(weights, i, j);
            *al_at(dscores, i, j) = (float)(w * (*al_at(dweights, i, j) - along) / temperature);
        }
    }
    return AL_OK;
}
