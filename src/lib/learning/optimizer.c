/* optimizer.c: AdamW, SGD and clipping by the global norm (optimizer.h).
 * Each line of an update is one elementwise pass in float32, in PyTorch's
 * order; the bias corrections, like PyTorch's, are computed in double. */
#include "attnlab/optimizer.h"

#include <math.h>

static al_status check_same(const char *what, const al_matrix *param, const al_matrix *other,
                            al_error *err)
{
    if (!al_same_shape(param, other))
        return al_fail(err, AL_ERR_SHAPE, "optimizer: the parameter is %d x %d but its %s is "
                       "%d x %d", param->rows, param->cols, what, other->rows, other->cols);
    return AL_OK;
}

al_status al_adamw_update(al_matrix *param, const al_matrix *grad, al_matrix *m, al_matrix *v,
                          const al_adamw_settings *s, float lr, long step, al_error *err)
{
    al_status status = check_same("gradient", param, grad, err);
    if (status == AL_OK)
        status = check_same("first moment", param, m, err);
    if (status == AL_OK)
        status = check_same("second moment", param, v, err);
    if (status == AL_OK && step < 1)
        status = al_fail(err, AL_ERR_ARG, "AdamW: steps count from 1, not %ld", step);
    if (status != AL_OK)
        return status;
    double correction1 = 1.0 - pow(s->beta1, (double)step);
    double correction2 = 1.0 - pow(s->beta2, (double)step);
    float decay = (float)(1.0 - (double)lr * s->weight_decay);
    float step_size = (float)(lr / correction1);
    float correction2_sqrt = (float)sqrt(correction2);
    float beta1 = s->beta1, beta2 = s->beta2, epsilon = s->epsilon;
    float one_minus_beta1 = (float)(1.0 - beta1), one_minus_beta2 = (float)(1.0 - beta2);
    for (int i = 0; i < param->rows; i++) {
        float *p = al_at(param, i, 0), *mean = al_at(m, i, 0), *square = al_at(v, i, 0);
        const float *gradient = al_at(grad, i, 0);
        for (int j = 0; j < param->cols; j++) {
            float g = gradient[j];
            p[j] = p[j] * decay;
            mean[j] = mean[j] * beta1 + one_minus_beta1 * g;
            square[j] = square[j] * beta2 + one_minus_beta2 * (g * g);
            float denominator = sqrtf(square[j]) / correction2_sqrt + epsilon;
            p[j] = p[j] - step_size * (mean[j] / denominator);
        }
    }
    return AL_OK;
}

al_status al_sgd_update(al_matrix *param, const al_matrix *grad, float lr, al_error *err)
{
    al_status status = check_same("gradient", param, grad, err);
    if (status != AL_OK)
        return status;
    for (int i = 0; i < param->rows; i++)
        for (int j = 0; j < param->cols; j++)
            *al_at(param, i, j) -= lr * *al_at(grad, i, j);
    return AL_OK;
}

double al_global_norm(al_matrix *const *grads, int count)
{
    double squares = 0.0;
    for (int n = 0; n < count; n++)
        for (int i = 0; i < grads[n]->rows; i++)
            for (int j = 0; j < grads[n]->cols; j++) {
                double g = *al_at(grads[n], i, j);
                squares += g * g;
            }
    return sqrt(squares);
}

double al_clip_scale(double norm, double max_norm)
{
    return norm <= max_norm ? 1.0 : (double)(float)(max_norm / (norm + 1e-6));
}

double al_clip_grad_norm(al_matrix *const *grads, int count, double max_norm)
{
    double norm = al_global_norm(grads, count);
    double scale = al_clip_scale(norm, max_norm);
    if (scale != 1.0)
        for (int n = 0; n < count; n++)
            al_scale(grads[n], grads[n], (float)scale, NULL);
    return norm;
}

double al_lr_at(const al_lr_schedule *s, long step)
{
    if (step <= s->warmup && s->warmup > 0)
        return s->max_lr * (double)step / (double)s->warmup;
    if (s->total <= s->warmup)
        return s->max_lr;
    if (step > s->total)
        return s->min_lr;
    double progress = (double)(step - s->warmup) / (double)(s->total - s->warmup);
    const double pi = 3.14159265358979323846;
    return s->min_lr + (s->max_lr - s->min_lr) * (1.0 + cos(pi * progress)) / 2.0;
}
