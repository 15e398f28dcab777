/* layer_norm.c: layer normalisation of each row (Ba, Kiros and Hinton
 * 2016), with the mean and variance it used kept for the trace.
 * Not batch normalisation: nothing is shared between rows. */
#include "attnlab/layers.h"

#include <math.h>

#include "trace/traced.h"

al_status al_layer_norm_alloc(al_layer_norm *norm, int d, float epsilon, al_error *err)
{
    *norm = (al_layer_norm){0};
    if (!(epsilon > 0.0f) || isinf(epsilon))
        return al_fail(err, AL_ERR_VALUE, "layer norm: epsilon must be a positive number, not %g",
                       (double)epsilon);
    al_status status = al_matrix_alloc(&norm->gamma, 1, d, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&norm->beta, 1, d, err);
    if (status != AL_OK) {
        al_layer_norm_free(norm);
        return status;
    }
    al_fill(&norm->gamma, 1.0f);
    norm->epsilon = epsilon;
    return AL_OK;
}

void al_layer_norm_free(al_layer_norm *norm)
{
    al_matrix_free(&norm->gamma);
    al_matrix_free(&norm->beta);
}

static al_status check_shapes(const al_matrix *y, const al_matrix *mean, const al_matrix *var,
                              const al_matrix *x, const al_layer_norm *norm, const char *what,
                              al_error *err)
{
    int rows = x->rows, d = x->cols;
    if (norm->gamma.cols != d || norm->beta.cols != d)
        return al_fail(err, AL_ERR_SHAPE, "%s: x is %d x %d but gamma and beta are 1 x %d",
                       what, rows, d, norm->gamma.cols);
    if (y->rows != rows || y->cols != d)
        return al_fail(err, AL_ERR_SHAPE, "%s: x is %d x %d but y is %d x %d", what, rows, d,
                       y->rows, y->cols);
    if (mean->rows != rows || mean->cols != 1 || var->rows != rows || var->cols != 1)
        return al_fail(err, AL_ERR_SHAPE,
                       "%s: mean and var must be %d x 1 (one per row), not %d x %d and %d x %d",
                       what, rows, mean->rows, mean->cols, var->rows, var->cols);
    return AL_OK;
}

/* One row, in double so that a row with a large common offset (mean 1000,
 * spread 0.01) keeps its small differences:
 * pass 1: mean = (1/d) Σ x_j
 * pass 2: var  = (1/d) Σ (x_j - mean)²   (two passes, not E[x²] - mean²,
 *         which cancels catastrophically when the mean is large)
 * pass 3: y_j  = gamma_j (x_j - mean) / sqrt(var + epsilon) + beta_j */
static void normalize_row(float *y, float *mean_out, float *var_out, const float *x, int d,
                          const al_layer_norm *norm)
{
    double sum = 0.0;
    for (int j = 0; j < d; j++)
        sum += x[j];
    double mean = sum / d;

    double squares = 0.0;
    for (int j = 0; j < d; j++)
        squares += (x[j] - mean) * (x[j] - mean);
    double var = squares / d;

    double inverse_std = 1.0 / sqrt(var + (double)norm->epsilon);
    for (int j = 0; j < d; j++)
        y[j] = (float)(*al_at(&norm->gamma, 0, j) * ((x[j] - mean) * inverse_std) +
                       *al_at(&norm->beta, 0, j));
    *mean_out = (float)mean;
    *var_out = (float)var;
}

static al_status trace_layer_norm(al_trace *trace, const al_matrix *y, const al_matrix *mean,
                                  const al_matrix *var, const al_layer_norm *norm,
                                  const char *name, const char *input_name,
                                  const char *const *row_labels, al_error *err)
{
    char gamma_name[AL_NAME_SIZE], beta_name[AL_NAME_SIZE], epsilon_name[AL_NAME_SIZE];
    char mean_name[AL_NAME_SIZE], var_name[AL_NAME_SIZE];
    al_name(gamma_name, "%s.gamma", name);
    al_name(beta_name, "%s.beta", name);
    al_name(epsilon_name, "%s.epsilon", name);
    al_name(mean_name, "%s.mean", name);
    al_name(var_name, "%s.var", name);
    float epsilon_value = norm->epsilon;
    al_matrix epsilon = al_matrix_wrap(&epsilon_value, 1, 1);

    const struct {
        al_tensor_info info;
        const al_matrix *m;
    } records[] = {
        {{.name = gamma_name, .role = AL_ROLE_PARAM}, &norm->gamma},
        {{.name = beta_name, .role = AL_ROLE_PARAM}, &norm->beta},
        {{.name = epsilon_name, .role = AL_ROLE_PARAM}, &epsilon},
        {{.name = mean_name, .role = AL_ROLE_ACTIVATION, .op = "row_mean",
          .inputs = {input_name}, .row_labels = row_labels}, mean},
        {{.name = var_name, .role = AL_ROLE_ACTIVATION, .op = "row_variance",
          .inputs = {input_name, mean_name}, .row_labels = row_labels,
          .note = "(1/d) Σ (x - mean)², dividing by d, not d - 1"}, var},
        {{.name = name, .role = AL_ROLE_ACTIVATION, .op = "layer_norm",
          .inputs = {input_name, mean_name, var_name, gamma_name, beta_name, epsilon_name},
          .row_labels = row_labels,
          .note = "gamma · (x - mean) / sqrt(var + epsilon) + beta"}, y},
    };
    al_status status = AL_OK;
    for (size_t r = 0; r < sizeof records / sizeof records[0] && status == AL_OK; r++)
        status = al_trace_matrix(trace, &records[r].info, records[r].m, err);
    return status;
}

al_status al_layer_norm_forward(al_matrix *y, al_matrix *mean, al_matrix *var, al_named x,
                                const al_layer_norm *norm, al_trace_at at, al_error *err)
{
    const char *what = name_for_message(at.name, "layer norm");
    al_status status = need_name_when_tracing(at.trace, at.name, "layer norm", err);
    if (status == AL_OK)
        status = check_shapes(y, mean, var, x.value, norm, what, err);
    if (status != AL_OK)
        return status;
    const al_matrix *in = x.value;
    for (int i = 0; i < in->rows; i++)
        normalize_row(al_at(y, i, 0), al_at(mean, i, 0), al_at(var, i, 0), al_at(in, i, 0),
                      in->cols, norm);
    if (!at.trace)
        return AL_OK;
    /* y is right (computed in double), but a variance above float32's
     * largest number cannot be traced as a number */
    for (int i = 0; i < in->rows; i++)
        if (isinf(*al_at(var, i, 0)))
            return al_fail(err, AL_ERR_VALUE, "%s: row %d's variance is beyond float32's largest "
                           "number (3.4e38), so the trace cannot record it; scale the input "
                           "down", what, i);
    return trace_layer_norm(at.trace, y, mean, var, norm, at.name, x.name, x.labels, err);
}

/* One row of the backward (layers.h), in double: first the sums over the
 * row, then dx. Reads dy_j before writing dx_j, so dx may be dy. */
static void normalize_row_backward(float *dx, float *dgamma, float *dbeta, const float *dy,
                                   const float *x, double mean, double var,
                                   const al_layer_norm *norm, int d)
{
    double inverse_std = 1.0 / sqrt(var + (double)norm->epsilon);
    double sum_g = 0.0, sum_g_xhat = 0.0;
    for (int j = 0; j < d; j++) {
        double xhat = (x[j] - mean) * inverse_std;
        double g = dy[j] * (double)*al_at(&norm->gamma, 0, j);
        dgamma[j] += (float)(dy[j] * xhat);
        dbeta[j] += dy[j];
        sum_g += g;
        sum_g_xhat += g * xhat;
    }
    double mean_g = sum_g / d, mean_g_xhat = sum_g_xhat / d;
    for (int j = 0; j < d; j++) {
        double xhat = (x[j] - mean) * inverse_std;
        double g = dy[j] * (double)*al_at(&norm->gamma, 0, j);
        dx[j] = (float)((g - mean_g - xhat * mean_g_xhat) * inverse_std);
    }
}

al_status al_layer_norm_backward(al_matrix *dx, al_layer_norm *grad, const al_matrix *dy,
                                 const al_matrix *x, const al_matrix *mean,
                                 const al_matrix *var, const al_layer_norm *norm,
                                 al_error *err)
{
    int rows = x->rows, d = x->cols;
    if (!al_same_shape(dy, x) || !al_same_shape(dx, x))
        return al_fail(err, AL_ERR_SHAPE, "layer norm backward: x is %d x %d, dy %d x %d and "
                       "dx %d x %d; all three must agree", rows, d, dy->rows, dy->cols,
                       dx->rows, dx->cols);
    if (mean->rows != rows || mean->cols != 1 || var->rows != rows || var->cols != 1)
        return al_fail(err, AL_ERR_SHAPE, "layer norm backward: mean and var must be %d x 1",
                       rows);
    if (norm->gamma.cols != d || grad->gamma.cols != d || grad->beta.cols != d)
        return al_fail(err, AL_ERR_SHAPE, "layer norm backward: gamma, beta and their "
                       "gradients must be 1 x %d", d);
    for (int i = 0; i < rows; i++)
        normalize_row_backward(al_at(dx, i, 0), al_at(&grad->gamma, 0, 0),
                               al_at(&grad->beta, 0, 0), al_at(dy, i, 0), al_at(x, i, 0),
                               *al_at(mean, i, 0), *al_at(var, i, 0), norm, d);
    return AL_OK;
}
