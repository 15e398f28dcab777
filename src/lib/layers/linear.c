/* linear.c: the affine map y = x · W + b, its parameters and their Glorot
 * initialisation. The product goes through blas.h; this file only checks
 * shapes, adds the bias and traces. */
#include "attnlab/layers.h"

#include <math.h>

#include "attnlab/blas.h"
#include "layers/linear_parts.h"
#include "trace/traced.h"

al_status al_linear_alloc(al_linear *layer, int d_in, int d_out, bool with_bias, al_error *err)
{
    *layer = (al_linear){0};
    al_status status = al_matrix_alloc(&layer->w, d_in, d_out, err);
    if (status == AL_OK && with_bias)
        status = al_matrix_alloc(&layer->b, 1, d_out, err);
    if (status != AL_OK)
        al_linear_free(layer);
    return status;
}

void al_linear_init(al_linear *layer, al_rng *rng)
{
    float limit = sqrtf(6.0f / (float)(layer->w.rows + layer->w.cols));
    al_rng_fill_uniform(&layer->w, rng, -limit, limit);
    if (layer->b.data)
        al_fill(&layer->b, 0.0f);
}

void al_linear_free(al_linear *layer)
{
    al_matrix_free(&layer->w);
    al_matrix_free(&layer->b);
}

al_status al_trace_linear_params(al_trace *trace, const al_linear *layer, const char *name,
                                 const char *w_suffix, const char *b_suffix,
                                 char w_name[AL_NAME_SIZE], char b_name[AL_NAME_SIZE],
                                 al_error *err)
{
    w_name[0] = b_name[0] = '\0';
    if (!trace)
        return AL_OK;
    al_name(w_name, "%s.%s", name, w_suffix);
    al_tensor_info w_info = {.name = w_name, .role = AL_ROLE_PARAM};
    al_status status = al_trace_matrix(trace, &w_info, &layer->w, err);
    if (status != AL_OK || !layer->b.data)
        return status;
    al_name(b_name, "%s.%s", name, b_suffix);
    al_tensor_info b_info = {.name = b_name, .role = AL_ROLE_PARAM};
    return al_trace_matrix(trace, &b_info, &layer->b, err);
}

/* y (L x d_out) = x (L x d_in) · W (d_in x d_out), then + b on every row */
al_status al_linear_apply(al_matrix *y, const al_matrix *x, const al_linear *layer,
                          const char *what, al_error *err)
{
    if (x->cols != layer->w.rows)
        return al_fail(err, AL_ERR_SHAPE, "%s: x is %d x %d but W is %d x %d (x needs %d columns)",
                       what, x->rows, x->cols, layer->w.rows, layer->w.cols, layer->w.rows);
    if (y->rows != x->rows || y->cols != layer->w.cols)
        return al_fail(err, AL_ERR_SHAPE, "%s: y is %d x %d but must be %d x %d (L x d_out)",
                       what, y->rows, y->cols, x->rows, layer->w.cols);
    al_status status = al_matmul(y, x, &layer->w, err);
    if (status == AL_OK && layer->b.data)
        status = al_add_row_vector(y, y, &layer->b, err);
    return status;
}

al_status al_linear_forward(al_matrix *y, al_named x, const al_linear *layer, al_trace_at at,
                            al_error *err)
{
    al_trace *trace = at.trace;
    const char *name = at.name;
    al_status status = need_name_when_tracing(trace, name, "linear", err);
    if (status == AL_OK)
        status = al_linear_apply(y, x.value, layer, name_for_message(name, "linear"), err);
    char w_name[AL_NAME_SIZE], b_name[AL_NAME_SIZE];
    if (status == AL_OK)
        status = al_trace_linear_params(trace, layer, name, "w", "b", w_name, b_name, err);
    if (status != AL_OK || !trace)
        return status;
    /* Without a bias the op is a plain product, so "linear" always has its b. */
    bool bias = b_name[0] != '\0';
    al_tensor_info info = {.name = name, .role = AL_ROLE_ACTIVATION,
                           .op = bias ? "linear" : "matmul",
                           .inputs = {x.name, w_name, bias ? b_name : NULL},
                           .row_labels = x.labels};
    return al_trace_matrix(trace, &info, y, err);
}

al_status al_linear_backward(al_matrix *dx, al_linear *grad, const al_matrix *dy,
                             const al_matrix *x, const al_linear *layer, al_error *err)
{
    const al_matrix *w = &layer->w;
    if (dy->rows != x->rows || dy->cols != w->cols || x->cols != w->rows)
        return al_fail(err, AL_ERR_SHAPE, "linear backward: x is %d x %d, W %d x %d and dy "
                       "%d x %d; dy must be L x d_out", x->rows, x->cols, w->rows, w->cols,
                       dy->rows, dy->cols);
    if (!al_same_shape(&grad->w, w) || !al_same_shape(&grad->b, &layer->b))
        return al_fail(err, AL_ERR_SHAPE, "linear backward: the gradient's W and b must have "
                       "the layer's shapes");
    if (dx && !al_same_shape(dx, x))
        return al_fail(err, AL_ERR_SHAPE, "linear backward: dx is %d x %d but x is %d x %d",
                       dx->rows, dx->cols, x->rows, x->cols);

    /* dW (d_in x d_out) += xᵀ · dy */
    al_status status = al_matmul_at_add(&grad->w, x, dy, err);
    /* db (1 x d_out) += Σ_i dy_i */
    if (status == AL_OK && layer->b.data)
        status = al_add_column_sums(&grad->b, dy, err);
    /* dx (L x d_in) = dy · Wᵀ */
    if (status == AL_OK && dx)
        status = al_matmul_bt(dx, dy, w, err);
    return status;
}
