/* cross_entropy.c: the training loss, softmax cross-entropy of the logits
 * against the target tokens, with the rows of padding left out, and its
 * gradient (layers.h). */
#include "attnlab/layers.h"

#include <math.h>

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
    double total = 0.0;
    for (int i = 0; i < logits->rows; i++) {
        /* log Σ_j exp(z_j - max): the softmax's denominator, kept in logs */
        double max = *al_at(logits, i, 0);
        for (int j = 1; j < logits->cols; j++)
            max = fmax(max, *al_at(logits, i, j));
        double sum = 0.0;
        for (int j = 0; j < logits->cols; j++)
            sum += exp(*al_at(logits, i, j) - max);
        for (int j = 0; j < logits->cols; j++)
            *al_at(probs, i, j) = (float)(exp(*al_at(logits, i, j) - max) / sum);
        /* -log p[target] = log Σ_j exp(z_j - max) - (z_target - max) */
        if (targets[i] != AL_IGNORE_TARGET)
            total += log(sum) - (*al_at(logits, i, targets[i]) - max);
    }
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
        bool ignored = targets[i] == AL_IGNORE_TARGET;
        for (int j = 0; j < probs->cols; j++) {
            double p = *al_at(probs, i, j) - (j == targets[i] ? 1.0 : 0.0);
            *al_at(dlogits, i, j) = ignored ? 0.0f : (float)(p / counted);
        }
    }
    return AL_OK;
}
