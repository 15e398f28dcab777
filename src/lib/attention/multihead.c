/* multihead.c: multi-head attention: project the inputs to q, k, v, run one
 * al_attend per head on column slices, join the heads and project by W_O,
 * tracing every step (names at the top of multihead.h). Allocation lives
 * in multihead_memory.c; the single-head steps in attention.c. */
#include "attnlab/multihead.h"

#include <math.h>
#include <stdio.h>

#include "attnlab/blas.h"
#include "attnlab/mask.h"

/* ---- checking everything before computing anything ----------------------- */

static al_status check_params(const al_attention_params *p, const al_attention_workspace *ws,
                              al_error *err)
{
    int d = p->d_model;
    const al_matrix *weights[] = {&p->w_q, &p->w_k, &p->w_v, &p->w_o};
    const char *names[] = {"W_Q", "W_K", "W_V", "W_O"};
    for (int i = 0; i < 4; i++)
        if (weights[i]->rows != d || weights[i]->cols != d)
            return al_fail(err, AL_ERR_SHAPE, "attention: %s is %d x %d but d_model is %d",
                           names[i], weights[i]->rows, weights[i]->cols, d);
    const al_matrix *biases[] = {&p->b_q, &p->b_k, &p->b_v, &p->b_o};
    const char *bias_names[] = {"b_Q", "b_K", "b_V", "b_O"};
    for (int i = 0; i < 4 && p->has_bias; i++)
        if (biases[i]->rows != 1 || biases[i]->cols != d)
            return al_fail(err, AL_ERR_SHAPE, "attention: %s is %d x %d but must be 1 x %d",
                           bias_names[i], biases[i]->rows, biases[i]->cols, d);
    if (ws->d_model != d || ws->heads != p->heads)
        return al_fail(err, AL_ERR_SHAPE, "attention: the workspace was made for d_model %d "
                       "and %d heads, the parameters have d_model %d and %d heads",
                       ws->d_model, ws->heads, d, p->heads);
    return AL_OK;
}

static al_status check_inputs(const al_matrix *out, const al_attention_workspace *ws,
                              const al_matrix *x_query, const al_matrix *x_memory,
                              const al_attention_params *params, al_error *err)
{
    int d = params->d_model;
    if (x_query->cols != d || x_memory->cols != d)
        return al_fail(err, AL_ERR_SHAPE, "attention: queries come from a %d x %d matrix and "
                       "keys from a %d x %d matrix, but d_model is %d",
                       x_query->rows, x_query->cols, x_memory->rows, x_memory->cols, d);
    if (out->rows != x_query->rows || out->cols != d)
        return al_fail(err, AL_ERR_SHAPE, "attention: out is %d x %d but must be %d x %d",
                       out->rows, out->cols, x_query->rows, d);
    if (x_query->rows > ws->max_queries || x_memory->rows > ws->max_keys)
        return al_fail(err, AL_ERR_SHAPE, "attention: %d queries and %d keys do not fit a "
                       "workspace made for %d queries and %d keys", x_query->rows,
                       x_memory->rows, ws->max_queries, ws->max_keys);
    return AL_OK;
}

static al_status check_call(const al_attention_call *call, const al_matrix *x_query,
                            const al_matrix *x_memory, al_error *err)
{
    if (!call->prefix || !call->query_input)
        return al_fail(err, AL_ERR_ARG, "attention: the call needs a prefix and the name of "
                       "its input");
    if (x_memory != x_query && !call->memory_input)
        return al_fail(err, AL_ERR_ARG, "attention %s: cross-attention needs the name of the "
                       "memory (call.memory_input)", call->prefix);
    float t = call->temperature;
    if (!(t > 0.0f) || isinf(t))
        return al_fail(err, AL_ERR_VALUE, "attention %s: temperature must be a positive finite "
                       "number, not %g (1 is the usual softmax)", call->prefix, (double)t);
    const al_matrix *mask = call->mask;
    if (mask && (mask->rows != x_query->rows || mask->cols != x_memory->rows))
        return al_fail(err, AL_ERR_SHAPE, "attention %s: the mask is %d x %d but the scores "
                       "are %d x %d (queries x keys)", call->prefix, mask->rows, mask->cols,
                       x_query->rows, x_memory->rows);
    return mask ? al_mask_check(mask, err) : AL_OK;
}

/* ---- steps ---------------------------------------------------------------- */

/* What the call's tensors are called in the trace. */
typedef struct layer_names {
    const char *x_query, *x_memory;
    char w_q[AL_NAME_SIZE], w_k[AL_NAME_SIZE], w_v[AL_NAME_SIZE], w_o[AL_NAME_SIZE];
    char b_q[AL_NAME_SIZE], b_k[AL_NAME_SIZE], b_v[AL_NAME_SIZE], b_o[AL_NAME_SIZE];
    char q[AL_NAME_SIZE], k[AL_NAME_SIZE], v[AL_NAME_SIZE], mask[AL_NAME_SIZE];
    char concat[AL_NAME_SIZE], out[AL_NAME_SIZE];
} layer_names;

static void build_layer_names(layer_names *n, const al_attention_call *call, bool self)
{
    const char *p = call->prefix;
    n->x_query = call->query_input;
    n->x_memory = self ? call->query_input : call->memory_input;
    al_name(n->w_q, "%s.w_q", p), al_name(n->w_k, "%s.w_k", p);
    al_name(n->w_v, "%s.w_v", p), al_name(n->w_o, "%s.w_o", p);
    al_name(n->b_q, "%s.b_q", p), al_name(n->b_k, "%s.b_k", p);
    al_name(n->b_v, "%s.b_v", p), al_name(n->b_o, "%s.b_o", p);
    al_name(n->q, "%s.q", p), al_name(n->k, "%s.k", p), al_name(n->v, "%s.v", p);
    al_name(n->mask, "%s.mask", p);
    al_name(n->concat, "%s.concat", p), al_name(n->out, "%s.out", p);
}

/* The parameters (and, when asked, the inputs) the layer is computed from. */
static al_status trace_givens(al_trace *trace, const layer_names *n,
                              const al_matrix *x_query, const al_matrix *x_memory,
                              const al_attention_params *p, const al_attention_call *call,
                              const char *const *key_labels, al_error *err)
{
    al_status status = AL_OK;
    if (call->trace_inputs) {
        al_tensor_info xq = {.name = n->x_query, .role = AL_ROLE_INPUT,
                             .row_labels = call->query_labels};
        al_tensor_info xm = {.name = n->x_memory, .role = AL_ROLE_INPUT,
                             .row_labels = key_labels};
        status = al_trace_matrix(trace, &xq, x_query, err);
        if (status == AL_OK && x_memory != x_query)
            status = al_trace_matrix(trace, &xm, x_memory, err);
    }
    const char *names[] = {n->w_q, n->w_k, n->w_v, n->w_o, n->b_q, n->b_k, n->b_v, n->b_o};
    const al_matrix *params[] = {&p->w_q, &p->w_k, &p->w_v, &p->w_o,
                                 &p->b_q, &p->b_k, &p->b_v, &p->b_o};
    int count = p->has_bias ? 8 : 4;
    for (int i = 0; i < count && status == AL_OK; i++) {
        al_tensor_info info = {.name = names[i], .role = AL_ROLE_PARAM};
        status = al_trace_matrix(trace, &info, params[i], err);
    }
    if (status == AL_OK && call->mask)
        status = al_trace_mask(trace, n->mask, call->mask, call->mask_op, call->query_labels,
                               key_labels, err);
    return status;
}

/* out (L x d_model) = x (L x d_model) · w (d_model x d_model) (+ b, broadcast
 * over rows), traced as "matmul" [x, w] or "linear" [x, w, b]. */
static al_status project(al_matrix *out, const al_matrix *x, const al_matrix *w,
                         const al_matrix *b, const char *out_name, const char *x_name,
                         const char *w_name, const char *b_name, const char *const *labels,
                         al_trace *trace, al_error *err)
{
    al_status status = al_matmul(out, x, w, err);
    if (status == AL_OK && b)
        status = al_add_row_vector(out, out, b, err);
    al_tensor_info info = {.name = out_name, .role = AL_ROLE_ACTIVATION,
                           .op = b ? "linear" : "matmul",
                           .inputs = {x_name, w_name, b ? b_name : NULL},
                           .row_labels = labels};
    if (status == AL_OK)
        status = al_trace_matrix(trace, &info, out, err);
    return status;
}

/* Head h's slice of q, k or v: columns h · d_head .. (h+1) · d_head − 1, a
 * view (no copy), traced as "head_slice" of the whole. */
static al_status head_slice(al_matrix *slice, const al_matrix *whole, int head, int d_head,
                            const char *slice_name, const char *whole_name,
                            const char *const *labels, al_trace *trace, al_error *err)
{
    *slice = al_matrix_cols(whole, head * d_head, d_head);
    char note[AL_NAME_SIZE * 2];
    snprintf(note, sizeof note, "columns %d to %d of %s", head * d_head,
             (head + 1) * d_head - 1, whole_name);
    al_tensor_info info = {.name = slice_name, .role = AL_ROLE_ACTIVATION, .op = "head_slice",
                           .inputs = {whole_name},
                           .attrs = {AL_ATTR("head", head), AL_ATTR("d_head", d_head)},
                           .row_labels = labels, .note = note};
    return al_trace_matrix(trace, &info, slice, err);
}

/* One head: slices of q, k, v, then al_attend writing its output straight
 * into the head's columns of concat. */
static al_status run_head(al_attention_workspace *ws, int head, const al_matrix *q,
                          const al_matrix *k, const al_matrix *v, const al_matrix *concat,
                          const layer_names *n, const al_attention_call *call,
                          const char *const *key_labels, al_trace *trace, al_error *err)
{
    int d_head = ws->d_model / ws->heads;
    char prefix[AL_NAME_SIZE], q_name[AL_NAME_SIZE], k_name[AL_NAME_SIZE], v_name[AL_NAME_SIZE];
    al_name(prefix, "%s.h%d", call->prefix, head);
    al_name(q_name, "%s.q", prefix), al_name(k_name, "%s.k", prefix);
    al_name(v_name, "%s.v", prefix);

    al_matrix q_head, k_head, v_head;
    al_status status = head_slice(&q_head, q, head, d_head, q_name, n->q, call->query_labels,
                                  trace, err);
    if (status == AL_OK)
        status = head_slice(&k_head, k, head, d_head, k_name, n->k, key_labels, trace, err);
    if (status == AL_OK)
        status = head_slice(&v_head, v, head, d_head, v_name, n->v, key_labels, trace, err);
    if (status != AL_OK)
        return status;

    al_matrix out_head = al_matrix_cols(concat, head * d_head, d_head);
    al_attention_steps steps = al_attention_head_steps(ws, head);
    al_scoring scoring = al_scoring_scaled_dot();
    scoring.temperature = call->temperature;
    al_attention_names names = {.prefix = prefix, .q = q_name, .k = k_name, .v = v_name,
                                .mask = call->mask ? n->mask : NULL,
                                .query_labels = call->query_labels, .key_labels = key_labels};
    status = al_attend(&out_head, &steps, &q_head, &k_head, &v_head, call->mask, &scoring,
                       &names, trace, err);
    if (status == AL_OK && head == 0)
        ws->fully_masked_rows = steps.fully_masked_rows;
    return status;
}

/* concat = [h0.out | h1.out | ...], already filled in by the heads. */
static al_status trace_concat(al_trace *trace, const al_matrix *concat, int heads,
                              const layer_names *n, const al_attention_call *call,
                              al_error *err)
{
    char outs[AL_MAX_HEADS][AL_NAME_SIZE];
    al_tensor_info info = {.name = n->concat, .role = AL_ROLE_ACTIVATION, .op = "concat_heads",
                           .row_labels = call->query_labels};
    for (int h = 0; h < heads; h++)
        info.inputs[h] = al_name(outs[h], "%s.h%d.out", call->prefix, h);
    return al_trace_matrix(trace, &info, concat, err);
}

al_status al_multihead_attention(al_matrix *out, al_attention_workspace *ws,
                                 const al_matrix *x_query, const al_matrix *x_memory,
                                 const al_attention_params *params,
                                 const al_attention_call *call, al_trace *trace,
                                 al_error *err)
{
    al_status status = check_params(params, ws, err);
    if (status == AL_OK)
        status = check_inputs(out, ws, x_query, x_memory, params, err);
    if (status == AL_OK)
        status = check_call(call, x_query, x_memory, err);
    if (status != AL_OK)
        return status;
    bool self = x_memory == x_query;
    const char *const *key_labels = self && !call->key_labels ? call->query_labels
                                                              : call->key_labels;
    layer_names n;
    build_layer_names(&n, call, self);
    ws->queries = x_query->rows;
    ws->keys = x_memory->rows;
    ws->fully_masked_rows = 0;
    al_matrix q = al_matrix_rows(&ws->q, 0, ws->queries);
    al_matrix k = al_matrix_rows(&ws->k, 0, ws->keys);
    al_matrix v = al_matrix_rows(&ws->v, 0, ws->keys);
    al_matrix concat = al_matrix_rows(&ws->concat, 0, ws->queries);
    const al_attention_params *p = params;
    const al_matrix *b_q = p->has_bias ? &p->b_q : NULL, *b_k = p->has_bias ? &p->b_k : NULL;
    const al_matrix *b_v = p->has_bias ? &p->b_v : NULL, *b_o = p->has_bias ? &p->b_o : NULL;

    status = trace_givens(trace, &n, x_query, x_memory, p, call, key_labels, err);

    /* q (Lq x d_model) = Xq · W_Q (+ b_Q);  k, v (Lk x d_model) = Xkv · W_K, Xkv · W_V */
    if (status == AL_OK)
        status = project(&q, x_query, &p->w_q, b_q, n.q, n.x_query, n.w_q, n.b_q,
                         call->query_labels, trace, err);
    if (status == AL_OK)
        status = project(&k, x_memory, &p->w_k, b_k, n.k, n.x_memory, n.w_k, n.b_k, key_labels,
                         trace, err);
    if (status == AL_OK)
        status = project(&v, x_memory, &p->w_v, b_v, n.v, n.x_memory, n.w_v, n.b_v, key_labels,
                         trace, err);

    /* each head: scaled dot-product attention on its d_head columns,
     * h<i>.out (Lq x d_head) written into columns i · d_head .. of concat */
    for (int h = 0; h < p->heads && status == AL_OK; h++)
        status = run_head(ws, h, &q, &k, &v, &concat, &n, call, key_labels, trace, err);
    if (status == AL_OK)
        status = trace_concat(trace, &concat, p->heads, &n, call, err);

    /* out (Lq x d_model) = concat · W_O (+ b_O) */
    if (status == AL_OK)
        status = project(out, &concat, &p->w_o, b_o, n.out, n.concat, n.w_o, n.b_o,
                         call->query_labels, trace, err);
    return status;
}

al_status al_self_attention(al_matrix *out, al_attention_workspace *ws, const al_matrix *x,
                            const al_attention_params *params, const al_attention_call *call,
                            al_trace *trace, al_error *err)
{
    return al_multihead_attention(out, ws, x, x, params, call, trace, err);
}

al_status al_cross_attention(al_matrix *out, al_attention_workspace *ws,
                             const al_matrix *decoder_states, const al_matrix *memory,
                             const al_attention_params *params, const al_attention_call *call,
                             al_trace *trace, al_error *err)
{
    if (decoder_states == memory)
        return al_fail(err, AL_ERR_ARG, "cross-attention: the decoder states and the memory "
                       "are the same matrix (use al_self_attention)");
    return al_multihead_attention(out, ws, decoder_states, memory, params, call, trace, err);
}
