/* softmax_explained.c: one row's softmax with its steps kept and traced
 * (see softmax_explained.h). The softmax itself is softmax.c's; this file
 * adds only the shifted scores, which softmax.c computes on the way
 * without keeping them, and the records. */
#include "attnlab/softmax_explained.h"

#include <math.h>

#include "attnlab/softmax.h"
#include "trace/traced.h"

void al_softmax_explained_free(al_softmax_explained *steps)
{
    al_matrix_free(&steps->shifted);
    al_matrix_free(&steps->exps);
    al_matrix_free(&steps->weights);
}

al_status al_softmax_explained_alloc(al_softmax_explained *steps, int n, al_error *err)
{
    *steps = (al_softmax_explained){0};
    al_status status = al_matrix_alloc(&steps->shifted, 1, n, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&steps->exps, 1, n, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&steps->weights, 1, n, err);
    if (status != AL_OK)
        al_softmax_explained_free(steps);
    return status;
}

static al_status check(const al_softmax_explained *steps, const al_matrix *scores,
                       float temperature, const char *what, al_error *err)
{
    if (scores->rows != 1 || !al_same_shape(&steps->weights, scores))
        return al_fail(err, AL_ERR_SHAPE, "%s: the scores are %d x %d but the steps were made "
                       "for 1 x %d", what, scores->rows, scores->cols, steps->weights.cols);
    if (!(temperature > 0.0f) || isinf(temperature))
        return al_fail(err, AL_ERR_VALUE, "%s: temperature must be a positive finite number, "
                       "not %g", what, (double)temperature);
    for (int j = 0; j < scores->cols; j++)
        if (!isfinite(*al_at(scores, 0, j)))
            return al_fail(err, AL_ERR_VALUE, "%s: score %d is %g", what, j,
                           (double)*al_at(scores, 0, j));
    return AL_OK;
}

/* Record m as "<name>.<suffix>", made by op from up to three inputs. */
static al_status record(al_trace *trace, const al_matrix *m, const char *name,
                        const char *suffix, al_role role, const char *op, const char *input_1,
                        const char *input_2, const char *input_3, const char *const *labels,
                        al_error *err)
{
    char full_name[AL_NAME_SIZE];
    al_name(full_name, "%s.%s", name, suffix);
    al_tensor_info info = {.name = full_name, .role = role, .op = op,
                           .inputs = {input_1, input_2, input_3},
                           .col_labels = m->cols > 1 ? labels : NULL};
    return al_trace_matrix(trace, &info, m, err);
}

static al_status trace_steps(al_softmax_explained *steps, al_trace *trace, const char *name,
                             const char *scores_name, const char *const *labels, al_error *err)
{
    char t_name[AL_NAME_SIZE], max_name[AL_NAME_SIZE], shifted_name[AL_NAME_SIZE];
    char exp_name[AL_NAME_SIZE], sum_name[AL_NAME_SIZE];
    al_name(t_name, "%s.temperature", name);
    al_name(max_name, "%s.max", name);
    al_name(shifted_name, "%s.shifted", name);
    al_name(exp_name, "%s.exp", name);
    al_name(sum_name, "%s.sum", name);
    bool has_t = steps->temperature != 1.0f;
    al_matrix t = al_matrix_wrap(&steps->temperature, 1, 1);
    al_matrix max = al_matrix_wrap(&steps->max, 1, 1), sum = al_matrix_wrap(&steps->sum, 1, 1);
    al_status status = AL_OK;
    if (has_t)
        status = record(trace, &t, name, "temperature", AL_ROLE_INPUT, NULL, NULL, NULL, NULL,
                        NULL, err);
    if (status == AL_OK)
        status = record(trace, &max, name, "max", AL_ROLE_ACTIVATION, "max", scores_name, NULL,
                        NULL, NULL, err);
    if (status == AL_OK)
        status = record(trace, &steps->shifted, name, "shifted", AL_ROLE_ACTIVATION,
                        "subtract_max", scores_name, max_name, has_t ? t_name : NULL, labels,
                        err);
    if (status == AL_OK)
        status = record(trace, &steps->exps, name, "exp", AL_ROLE_ACTIVATION, "exp",
                        shifted_name, NULL, NULL, labels, err);
    if (status == AL_OK)
        status = record(trace, &sum, name, "sum", AL_ROLE_ACTIVATION, "sum", exp_name, NULL,
                        NULL, NULL, err);
    if (status == AL_OK)
        status = record(trace, &steps->weights, name, "weights", AL_ROLE_ACTIVATION, "divide",
                        exp_name, sum_name, NULL, labels, err);
    return status;
}

al_status al_softmax_explain(al_softmax_explained *steps, const al_matrix *scores,
                             const char *scores_name, float temperature,
                             const char *const *labels, al_trace_at at, al_error *err)
{
    al_trace *trace = at.trace;
    const char *name = at.name;
    const char *what = name_for_message(name, "softmax");
    al_status status = need_name_when_tracing(trace, name, "softmax", err);
    if (status == AL_OK)
        status = check(steps, scores, temperature, what, err);
    if (status != AL_OK)
        return status;
    /* max, the exponentials, their sum and the weights, as softmax.c
     * computes them for attention */
    al_softmax_steps row = al_softmax_row(steps->weights.data, steps->exps.data, scores->data,
                                          scores->cols, temperature);
    steps->max = row.max;
    steps->sum = row.sum;
    steps->temperature = temperature;
    /* shifted_j = (s_j − max) / T: the exponent softmax.c hands to expf */
    for (int j = 0; j < scores->cols; j++)
        *al_at(&steps->shifted, 0, j) = (*al_at(scores, 0, j) - row.max) / temperature;
    if (!trace)
        return AL_OK;
    return trace_steps(steps, trace, name, scores_name, labels, err);
}
