/* cross_entropy.c: the training loss, softmax cross-entropy of the logits
 * against the target tokens, with the rows of padding left out, and its
 * gradient (layers.h). */
#include "attnlab/layers.h"

#include <math.h>
#include <stdlib.h>

/* The rows that count, N, after checking every target. */
static al_status count_targets(int *counted, const al_matrix *logits, const int *targets,
                               al_error *err)
{
    *counted = 0;
    for (int i = 0; i < logits->rows; i++) {
        if (targets[i] == AL_IGNORE_TARGET)
            continue;
        if (targets[i] < 0 || targets[i] >= logits->cols)
            return al_fail(err, AL_ERR_VALUE, "cross-entropy: row %d has target %d, outside "
                           "the vocabulary (0 to %d)", i, targets[i], logits->cols - 1);
        (*counted)++;
    }
    return AL_OK;
}

al_status al_cross_entropy(double *loss, al_matrix *probs, const al_matrix *logits,
                           const int *targets, al_error *err)
{
    if (!al_same_shape(probs, logits))
        return al_fail(err, AL_ERR_SHAPE, "cross-entropy: probs is %d x %d but the logits are "
                       "%d x %d", probs->rows, probs->cols, logits->rows, logits->cols);
    int counted;
    al_status status = count_targets(&counted, logits, targets, err);
    if (status != AL_OK)
        return status;
    /* each row's exponentials, kept in double between the sum and the divide */
    double *exps = malloc((size_t)logits->cols * sizeof *exps);
    if (!exps)
        return al_fail(err, AL_ERR_NOMEM, "cross-entropy: no memory for a row of %d "
                       "exponentials", logits->cols);
    double total = 0.0;
    for (int i = 0; i < logits->rows; i++) {
        const float *z = al_at(logits, i, 0);
        float *p = al_at(probs, i, 0);
        /* log Σ_j exp(z_j - max): the softmax's denominator, kept in logs */
        float max = z[0];
        for (int j = 1; j < logits->cols; j++)
            max = z[j] > max ? z[j] : max;
        double sum = 0.0;
        for (int j = 0; j < logits->cols; j++) {
            exps[j] = exp((double)z[j] - max);
            sum += exps[j];
        }
        for (int j = 0; j < logits->cols; j++)
            p[j] = (float)(exps[j] / sum);
        /* -log p[target] = log Σ_j exp(z_j - max) - (z_target - max) */
        if (targets[i] != AL_IGNORE_TARGET)
            total += log(sum) - ((double)z[targets[i]] - max);
    }
    free(exps);
    *loss = counted > 0 ? total / counted : 0.0;
    return AL_OK;
}

al_status al_cross_entropy_backward(al_matrix *dlogits, const al_matrix *probs,
                                    const int *targets, al_error *err)
{
    if (!al_same_shape(dlogits, probs))
        return al_fail(err, AL_ERR_SHAPE, "cross-entropy backward: dlogits is %d x %d but "
                       "probs is %d x %d", dlogits->rows, dlogits->cols, probs->rows,
                       probs->cols);
    int counted;
    al_status status = count_targets(&counted, probs, targets, err);
    if (status != AL_OK)
        return status;
    /* dlogits_i = (probs_i - onehot(target_i)) / N; 0 for ignored rows */
    for (int i = 0; i < probs->rows; i++) {
        const float *p = al_at(probs, i, 0);
        float *d = al_at(dlogits, i, 0);
        if (targets[i] == AL_IGNORE_TARGET) {
            for (int j = 0; j < probs->cols; j++)
                d[j] = 0.0f;
            continue;
        }
        double target_p = p[targets[i]]; /* read before d (which may be p) is written */
        for (int j = 0; j < probs->cols; j++)
            d[j] = (float)((double)p[j] / counted);
        d[targets[i]] = (float)((target_p - 1.0) / counted);
    }
    return AL_OK;
}
