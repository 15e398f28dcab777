/* feed_forward.c: the position-wise feed-forward network of every
 * Transformer block, FFN(x) = max(0, x · W1 + b1) · W2 + b2: two linear
 * maps with a ReLU between, the same for every row. No other activation. */
#include "attnlab/layers.h"

#include "layers/linear_parts.h"
#include "trace/traced.h"

al_status al_feed_forward_alloc(al_feed_forward *ffn, int d_model, int d_ff, bool with_bias,
                                al_error *err)
{
    *ffn = (al_feed_forward){0};
    if (d_ff == 0)
        d_ff = 4 * d_model; /* the paper's ratio: 512 -> 2048 -> 512 */
    al_status status = al_linear_alloc(&ffn->first, d_model, d_ff, with_bias, err);
    if (status == AL_OK)
        status = al_linear_alloc(&ffn->second, d_ff, d_model, with_bias, err);
    if (status != AL_OK)
        al_feed_forward_free(ffn);
    return status;
}

void al_feed_forward_init(al_feed_forward *ffn, al_rng *rng)
{
    al_linear_init(&ffn->first, rng);
    al_linear_init(&ffn->second, rng);
}

void al_feed_forward_free(al_feed_forward *ffn)
{
    al_linear_free(&ffn->first);
    al_linear_free(&ffn->second);
}

/* hidden = max(0, hidden), in place. */
static void relu(al_matrix *hidden)
{
    for (int i = 0; i < hidden->rows; i++)
        for (int j = 0; j < hidden->cols; j++) {
            float *h = al_at(hidden, i, j);
            *h = *h > 0.0f ? *h : 0.0f;
        }
}

/* All three shapes before anything is computed, so a mistake leaves no
 * half-made trace. */
static al_status check_shapes(const al_matrix *y, const al_matrix *hidden, const al_matrix *x,
                              const al_feed_forward *ffn, const char *what, al_error *err)
{
    int d_model = ffn->first.w.rows, d_ff = ffn->first.w.cols;
    if (x->cols != d_model || y->rows != x->rows || y->cols != d_model)
        return al_fail(err, AL_ERR_SHAPE,
                       "%s: W1 is %d x %d, so x and y must be L x %d, not %d x %d and %d x %d",
                       what, d_model, d_ff, d_model, x->rows, x->cols, y->rows, y->cols);
    if (hidden->rows != x->rows || hidden->cols != d_ff)
        return al_fail(err, AL_ERR_SHAPE, "%s: hidden must be %d x %d (L x d_ff), not %d x %d",
                       what, x->rows, d_ff, hidden->rows, hidden->cols);
    return AL_OK;
}

/* "linear" (x · W + b) when the layer has a bias b_name, else "matmul". */
static const char *linear_op(const char *b_name)
{
    return b_name[0] ? "linear" : "matmul";
}

/* Record one activation "<name>.<suffix>" made by op from the inputs. */
static al_status trace_step(al_trace *trace, const al_matrix *m, const char *name,
                            const char *suffix, const char *op, const char *input,
                            const char *w_name, const char *b_name,
                            const char *const *row_labels, al_error *err)
{
    char full_name[AL_NAME_SIZE];
    al_name(full_name, "%s.%s", name, suffix);
    al_tensor_info info = {.name = full_name, .role = AL_ROLE_ACTIVATION, .op = op,
                           .inputs = {input, w_name, b_name}, .row_labels = row_labels};
    return al_trace_matrix(trace, &info, m, err);
}

al_status al_feed_forward_forward(al_matrix *y, al_matrix *hidden, al_named input,
                                  const al_feed_forward *ffn, al_trace_at at, al_error *err)
{
    al_trace *trace = at.trace;
    const char *name = at.name, *input_name = input.name;
    const char *const *row_labels = input.labels;
    const al_matrix *x = input.value;
    const char *what = name_for_message(name, "feed-forward");
    al_status status = need_name_when_tracing(trace, name, "feed-forward", err);
    if (status == AL_OK)
        status = check_shapes(y, hidden, x, ffn, what, err);
    if (status != AL_OK)
        return status;
    char w1[AL_NAME_SIZE], b1[AL_NAME_SIZE], w2[AL_NAME_SIZE], b2[AL_NAME_SIZE];
    char pre_relu[AL_NAME_SIZE], hidden_name[AL_NAME_SIZE];
    if (trace) {
        al_name(pre_relu, "%s.pre_relu", name);
        al_name(hidden_name, "%s.hidden", name);
    }

    /* step 1: hidden (L x d_ff) = x (L x d_model) · W1 + b1 */
    status = al_linear_apply(hidden, x, &ffn->first, what, err);
    if (status == AL_OK)
        status = al_trace_linear_params(trace, &ffn->first, name, "w1", "b1", w1, b1, err);
    if (status == AL_OK && trace)
        status = trace_step(trace, hidden, name, "pre_relu", linear_op(b1), input_name, w1,
                            b1[0] ? b1 : NULL, row_labels, err);
    if (status != AL_OK)
        return status;

    /* step 2: hidden = max(0, hidden): negative pre-activations become 0 */
    relu(hidden);
    if (trace)
        status = trace_step(trace, hidden, name, "hidden", "relu", pre_relu, NULL, NULL,
                            row_labels, err);

    /* step 3: y (L x d_model) = hidden (L x d_ff) · W2 + b2 */
    if (status == AL_OK)
        status = al_linear_apply(y, hidden, &ffn->second, what, err);
    if (status == AL_OK)
        status = al_trace_linear_params(trace, &ffn->second, name, "w2", "b2", w2, b2, err);
    if (status == AL_OK && trace)
        status = trace_step(trace, y, name, "out", linear_op(b2), hidden_name, w2, b2[0] ? b2 : NULL,
                            row_labels, err);
    return status;
}

al_status al_feed_forward_backward(al_matrix *dx, al_feed_forward *grad, al_matrix *dhidden,
                                   const al_matrix *dy, const al_matrix *x,
                                   const al_matrix *hidden, const al_feed_forward *ffn,
                                   al_error *err)
{
    if (!al_same_shape(dhidden, hidden))
        return al_fail(err, AL_ERR_SHAPE, "feed-forward backward: dhidden is %d x %d but "
                       "hidden is %d x %d", dhidden->rows, dhidden->cols, hidden->rows,
                       hidden->cols);
    /* dhidden (L x d_ff) = dy · W2ᵀ;  dW2 += hiddenᵀ · dy;  db2 += Σ_i dy_i */
    al_status status = al_linear_backward(dhidden, &grad->second, dy, hidden, &ffn->second,
                                          err);
    if (status != AL_OK)
        return status;
    /* dpre = dhidden ⊙ [hidden > 0]: the ReLU passes a gradient where it
     * passed the value */
    for (int i = 0; i < hidden->rows; i++) {
        const float *h = al_at(hidden, i, 0);
        float *d = al_at(dhidden, i, 0);
        for (int j = 0; j < hidden->cols; j++)
            d[j] = h[j] > 0.0f ? d[j] : 0.0f;
    }
    /* dx (L x d_model) = dpre · W1ᵀ;  dW1 += xᵀ · dpre;  db1 += Σ_i dpre_i */
    return al_linear_backward(dx, &grad->first, dhidden, x, &ffn->first, err);
}
