/* multihead.c: multi-head attention: project the inputs to q, k, v, run one
 * al_attend per head on column slices, join the heads and project by W_O.
 * compute_layer does the maths and nothing else; trace_layer then records
 * every step, in order (names at the top of multihead.h). Allocation lives
 * in multihead_memory.c; the single-head steps in attention.c. */
#include "attnlab/multihead.h"

#include <math.h>
#include <stdio.h>

#include "attnlab/blas.h"
#include "attnlab/mask.h"
#include "attention/head_record.h"

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
    if (x_query->rows > ws->max_queries || x_memory->rows > ws->max_key_rows)
        return al_fail(err, AL_ERR_SHAPE, "attention: %d queries and %d keys do not fit a "
                       "workspace made for %d queries and %d keys", x_query->rows,
                       x_memory->rows, ws->max_queries, ws->max_key_rows);
    return AL_OK;
}

/* ---- packed sequences ------------------------------------------------------ */

/* One block of a call: its first query and key rows and how many of each. */
typedef struct block {
    int q0, lq, k0, lk;
} block;

static int block_count(const al_attention_call *call)
{
    return call->query_blocks ? call->query_blocks->count : 1;
}

static const al_row_blocks *key_blocks(const al_attention_call *call)
{
    return call->key_blocks ? call->key_blocks : call->query_blocks;
}

/* Block b, whose rows start where block b - 1's end (prev; {0} before the
 * first); a call without blocks is one block of every row. */
static block next_block(const al_attention_call *call, int b, block prev, int lq, int lk)
{
    if (!call->query_blocks)
        return (block){.lq = lq, .lk = lk};
    return (block){.q0 = prev.q0 + prev.lq, .lq = call->query_blocks->rows[b],
                   .k0 = prev.k0 + prev.lk, .lk = key_blocks(call)->rows[b]};
}

/* The blocks cover the rows exactly, each fits the workspace (one block's
 * keys are the scores' columns) and the mask, and a packed call is not
 * traced (its trace names are one sequence's). */
static al_status check_blocks(const al_attention_call *call, const al_attention_workspace *ws,
                              int lq, int lk, al_trace_at at, al_error *err)
{
    const al_row_blocks *qb = call->query_blocks, *kb = key_blocks(call);
    if (!qb && lk > ws->max_keys)
        return al_fail(err, AL_ERR_SHAPE, "attention: %d keys do not fit a workspace made for "
                       "%d keys", lk, ws->max_keys);
    if (!qb)
        return AL_OK;
    if (at.trace)
        return al_fail(err, AL_ERR_ARG, "attention: a packed call (several sequences) is not "
                       "traced; trace one sequence at a time");
    if (qb->count < 1 || kb->count != qb->count)
        return al_fail(err, AL_ERR_ARG, "attention: %d query blocks and %d key blocks",
                       qb->count, kb->count);
    const al_matrix *mask = call->mask;
    int queries = 0, keys = 0;
    for (int b = 0; b < qb->count; b++) {
        int q = qb->rows[b], k = kb->rows[b];
        if (q < 1 || k < 1 || k > ws->max_keys)
            return al_fail(err, AL_ERR_SHAPE, "attention: block %d has %d queries and %d keys; "
                           "the workspace holds blocks of 1 to %d keys", b, q, k, ws->max_keys);
        if (mask && (q > mask->rows || k > mask->cols))
            return al_fail(err, AL_ERR_SHAPE, "attention: block %d is %d x %d but the mask "
                           "only %d x %d", b, q, k, mask->rows, mask->cols);
        queries += q, keys += k;
    }
    if (queries != lq || keys != lk)
        return al_fail(err, AL_ERR_SHAPE, "attention: the blocks hold %d queries and %d keys, "
                       "the inputs %d and %d", queries, keys, lq, lk);
    return AL_OK;
}

/* Block b's corner of the mask (its top-left Lq_b x Lk_b), or NULL. */
static al_matrix block_mask(const al_matrix *mask, block bl)
{
    al_matrix rows = al_matrix_rows(mask, 0, bl.lq);
    return al_matrix_cols(&rows, 0, bl.lk);
}

/* The mask and temperature fit, and a traced call has its names. */
static al_status check_call(const al_attention_call *call, al_named queries, al_named memory,
                            al_trace_at at, al_error *err)
{
    char what[AL_NAME_SIZE + 16];
    snprintf(what, sizeof what, "attention%s%s", at.name ? " " : "", at.name ? at.name : "");
    if (at.trace && (!at.name || !queries.name))
        return al_fail(err, AL_ERR_ARG, "attention: tracing needs a prefix and the name of "
                       "the input");
    if (at.trace && memory.value != queries.value && !memory.name)
        return al_fail(err, AL_ERR_ARG, "%s: tracing cross-attention needs the name "
                       "of the memory", what);
    float t = call->temperature;
    if (!(t > 0.0f) || isinf(t))
        return al_fail(err, AL_ERR_VALUE, "%s: temperature must be a positive finite "
                       "number, not %g (1 is the usual softmax)", what, (double)t);
    const al_matrix *mask = call->mask;
    int lq = queries.value->rows, lk = memory.value->rows;
    if (mask && !call->query_blocks && (mask->rows != lq || mask->cols != lk))
        return al_fail(err, AL_ERR_SHAPE, "%s: the mask is %d x %d but the scores "
                       "are %d x %d (queries x keys)", what, mask->rows, mask->cols, lq, lk);
    return mask ? al_mask_check(mask, err) : AL_OK;
}

/* ---- the maths ------------------------------------------------------------ */

/* The bias when the layer has them, else NULL. */
static const al_matrix *bias(const al_attention_params *p, const al_matrix *b)
{
    return p->has_bias ? b : NULL;
}

/* out (L x d_model) = x (L x d_model) · w (d_model x d_model) (+ b on every row) */
static al_status project(al_matrix *out, const al_matrix *x, const al_matrix *w,
                         const al_matrix *b, al_error *err)
{
    al_status status = al_matmul(out, x, w, err);
    if (status == AL_OK && b)
        status = al_add_row_vector(out, out, b, err);
    return status;
}

/* What every head computes with: the scaled dot product at the call's
 * temperature. */
static al_scoring head_scoring(const al_attention_call *call)
{
    al_scoring scoring = al_scoring_scaled_dot();
    scoring.temperature = call->temperature;
    return scoring;
}

/* The top rows of ws that this call uses: q (Lq), k and v (Lk), concat (Lq). */
typedef struct layer_views {
    al_matrix q, k, v, concat;
} layer_views;

static layer_views views(const al_attention_workspace *ws)
{
    return (layer_views){.q = al_matrix_rows(&ws->q, 0, ws->queries),
                         .k = al_matrix_rows(&ws->k, 0, ws->keys),
                         .v = al_matrix_rows(&ws->v, 0, ws->keys),
                         .concat = al_matrix_rows(&ws->concat, 0, ws->queries)};
}

/* The maths of the layer, nothing traced; every step stays in ws. */
static al_status compute_layer(al_matrix *out, al_attention_workspace *ws, const al_matrix *xq,
                               const al_matrix *xkv, const al_attention_params *p,
                               const al_attention_call *call, al_error *err)
{
    layer_views m = views(ws);
    int d_head = p->d_model / p->heads;
    al_scoring scoring = head_scoring(call);

    /* q (Lq x d_model) = Xq · W_Q + b_Q
     * k (Lk x d_model) = Xkv · W_K + b_K,  v (Lk x d_model) = Xkv · W_V + b_V */
    al_status status = project(&m.q, xq, &p->w_q, bias(p, &p->b_q), err);
    if (status == AL_OK)
        status = project(&m.k, xkv, &p->w_k, bias(p, &p->b_k), err);
    if (status == AL_OK)
        status = project(&m.v, xkv, &p->w_v, bias(p, &p->b_v), err);

    /* head i: attention on columns i·d_head .. (i+1)·d_head − 1 of q, k, v,
     * its out (Lq x d_head) written into the same columns of concat; with
     * packed sequences, block by block: block b's queries see block b's keys */
    for (int h = 0; h < p->heads && status == AL_OK; h++) {
        al_matrix q_h = al_matrix_cols(&m.q, h * d_head, d_head);
        al_matrix k_h = al_matrix_cols(&m.k, h * d_head, d_head);
        al_matrix v_h = al_matrix_cols(&m.v, h * d_head, d_head);
        al_matrix out_h = al_matrix_cols(&m.concat, h * d_head, d_head);
        block bl = {0};
        for (int b = 0; b < block_count(call) && status == AL_OK; b++) {
            bl = next_block(call, b, bl, ws->queries, ws->keys);
            al_matrix q_b = al_matrix_rows(&q_h, bl.q0, bl.lq);
            al_matrix k_b = al_matrix_rows(&k_h, bl.k0, bl.lk);
            al_matrix v_b = al_matrix_rows(&v_h, bl.k0, bl.lk);
            al_matrix out_b = al_matrix_rows(&out_h, bl.q0, bl.lq);
            al_matrix mask_b = call->mask ? block_mask(call->mask, bl) : (al_matrix){0};
            al_attention_steps steps = al_attention_block_steps(ws, h, bl.q0, bl.lq, bl.lk);
            status = al_attend(&out_b, &steps, &q_b, &k_b, &v_b, call->mask ? &mask_b : NULL,
                               &scoring, NULL, NULL, err);
            if (status == AL_OK && h == 0)
                ws->fully_masked_rows += steps.fully_masked_rows;
        }
    }

    /* out (Lq x d_model) = concat · W_O + b_O */
    if (status == AL_OK)
        status = project(out, &m.concat, &p->w_o, bias(p, &p->b_o), err);
    return status;
}

/* ---- the trace ------------------------------------------------------------ */

void al_attention_layer_names_init(al_attention_layer_names *n, const char *p)
{
    al_name(n->w_q, "%s.w_q", p), al_name(n->w_k, "%s.w_k", p);
    al_name(n->w_v, "%s.w_v", p), al_name(n->w_o, "%s.w_o", p);
    al_name(n->b_q, "%s.b_q", p), al_name(n->b_k, "%s.b_k", p);
    al_name(n->b_v, "%s.b_v", p), al_name(n->b_o, "%s.b_o", p);
    al_name(n->q, "%s.q", p), al_name(n->k, "%s.k", p), al_name(n->v, "%s.v", p);
    al_name(n->mask, "%s.mask", p);
    al_name(n->concat, "%s.concat", p), al_name(n->out, "%s.out", p);
}

void al_attention_head_names_init(al_attention_head_names *n, const char *prefix, int head)
{
    al_name(n->prefix, "%s.h%d", prefix, head);
    al_name(n->q, "%s.q", n->prefix), al_name(n->k, "%s.k", n->prefix);
    al_name(n->v, "%s.v", n->prefix);
    al_head_names_init(&n->steps, n->prefix, NULL);
}

/* The parameters (and, when asked, the inputs) the layer is computed from. */
static al_status trace_givens(al_trace *trace, const al_attention_layer_names *n, al_named queries,
                              al_named memory, const al_attention_params *p,
                              const al_attention_call *call, al_error *err)
{
    al_status status = AL_OK;
    if (call->trace_inputs) {
        al_tensor_info xq = {.name = queries.name, .role = AL_ROLE_INPUT,
                             .row_labels = queries.labels};
        al_tensor_info xm = {.name = memory.name, .role = AL_ROLE_INPUT,
                             .row_labels = memory.labels};
        status = al_trace_matrix(trace, &xq, queries.value, err);
        if (status == AL_OK && memory.value != queries.value)
            status = al_trace_matrix(trace, &xm, memory.value, err);
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
        status = al_trace_mask(trace, n->mask, call->mask, call->mask_op, queries.labels,
                               memory.labels, err);
    return status;
}

/* A projection, traced as "matmul" [x, w] or "linear" [x, w, b]. */
static al_status trace_projection(al_trace *trace, const al_matrix *m, const char *name,
                                  al_named x, const char *w_name, const char *b_name,
                                  bool has_bias, al_error *err)
{
    al_tensor_info info = {.name = name, .role = AL_ROLE_ACTIVATION,
                           .op = has_bias ? "linear" : "matmul",
                           .inputs = {x.name, w_name, has_bias ? b_name : NULL},
                           .row_labels = x.labels};
    return al_trace_matrix(trace, &info, m, err);
}

/* Head h's slice of q, k or v (columns h · d_head ..), as "head_slice". */
static al_status trace_head_slice(al_trace *trace, const al_matrix *whole, int head,
                                  int d_head, const char *slice_name, const char *whole_name,
                                  const char *const *labels, al_error *err)
{
    al_matrix slice = al_matrix_cols(whole, head * d_head, d_head);
    char note[AL_NAME_SIZE * 2];
    snprintf(note, sizeof note, "columns %d to %d of %s", head * d_head,
             (head + 1) * d_head - 1, whole_name);
    al_tensor_info info = {.name = slice_name, .role = AL_ROLE_ACTIVATION, .op = "head_slice",
                           .inputs = {whole_name},
                           .attrs = {AL_ATTR("head", head), AL_ATTR("d_head", d_head)},
                           .row_labels = labels, .note = note};
    return al_trace_matrix(trace, &info, &slice, err);
}

/* One head as it was computed: its slices of q, k, v, then every step of
 * its attention under <P>.h<head>. */
static al_status trace_one_head(al_trace *trace, const al_attention_workspace *ws, int head,
                                const al_attention_layer_names *n, const char *prefix,
                                al_named queries, al_named memory,
                                const al_attention_call *call, al_error *err)
{
    layer_views m = views(ws);
    int d_head = ws->d_model / ws->heads;
    al_attention_head_names h;
    al_attention_head_names_init(&h, prefix, head);

    al_status status = trace_head_slice(trace, &m.q, head, d_head, h.q, n->q,
                                        queries.labels, err);
    if (status == AL_OK)
        status = trace_head_slice(trace, &m.k, head, d_head, h.k, n->k, memory.labels, err);
    if (status == AL_OK)
        status = trace_head_slice(trace, &m.v, head, d_head, h.v, n->v, memory.labels, err);
    if (status != AL_OK)
        return status;

    al_matrix q_h = al_matrix_cols(&m.q, head * d_head, d_head);
    al_matrix k_h = al_matrix_cols(&m.k, head * d_head, d_head);
    al_matrix out_h = al_matrix_cols(&m.concat, head * d_head, d_head);
    al_attention_steps steps = al_attention_head_steps(ws, head);
    al_scoring scoring = head_scoring(call);
    al_attention_names names = {.prefix = h.prefix, .q = h.q, .k = h.k, .v = h.v,
                                .mask = call->mask ? n->mask : NULL,
                                .query_labels = queries.labels, .key_labels = memory.labels};
    return al_record_head(trace, &out_h, &steps, &q_h, &k_h, call->mask, &scoring, &names,
                          err);
}

/* Every step the layer computed, in the order computed. */
static al_status trace_layer(al_trace_at at, const al_matrix *out,
                             const al_attention_workspace *ws, al_named queries,
                             al_named memory, const al_attention_params *p,
                             const al_attention_call *call, al_error *err)
{
    al_attention_layer_names n;
    al_attention_layer_names_init(&n, at.name);
    layer_views m = views(ws);
    al_trace *trace = at.trace;
    al_status status = trace_givens(trace, &n, queries, memory, p, call, err);
    if (status == AL_OK)
        status = trace_projection(trace, &m.q, n.q, queries, n.w_q, n.b_q, p->has_bias, err);
    if (status == AL_OK)
        status = trace_projection(trace, &m.k, n.k, memory, n.w_k, n.b_k, p->has_bias, err);
    if (status == AL_OK)
        status = trace_projection(trace, &m.v, n.v, memory, n.w_v, n.b_v, p->has_bias, err);
    for (int h = 0; h < p->heads && status == AL_OK; h++)
        status = trace_one_head(trace, ws, h, &n, at.name, queries, memory, call, err);

    /* concat = [h0.out | h1.out | ...] */
    al_attention_head_names heads[AL_MAX_HEADS];
    al_tensor_info concat = {.name = n.concat, .role = AL_ROLE_ACTIVATION, .op = "concat_heads",
                             .row_labels = queries.labels};
    for (int h = 0; h < p->heads; h++) {
        al_attention_head_names_init(&heads[h], at.name, h);
        concat.inputs[h] = heads[h].steps.out;
    }
    if (status == AL_OK)
        status = al_trace_matrix(trace, &concat, &m.concat, err);
    al_named concat_named = {.value = &m.concat, .name = n.concat, .labels = queries.labels};
    if (status == AL_OK)
        status = trace_projection(trace, out, n.out, concat_named, n.w_o, n.b_o, p->has_bias,
                                  err);
    return status;
}

/* ---- the layer ------------------------------------------------------------ */

al_status al_multihead_attention(al_matrix *out, al_attention_workspace *ws, al_named queries,
                                 al_named memory, const al_attention_params *params,
                                 const al_attention_call *call, al_trace_at at, al_error *err)
{
    al_status status = check_params(params, ws, err);
    if (status == AL_OK)
        status = check_inputs(out, ws, queries.value, memory.value, params, err);
    if (status == AL_OK)
        status = check_call(call, queries, memory, at, err);
    if (status == AL_OK)
        status = check_blocks(call, ws, queries.value->rows, memory.value->rows, at, err);
    if (status != AL_OK)
        return status;
    ws->queries = queries.value->rows;
    ws->keys = memory.value->rows;
    ws->fully_masked_rows = 0;
    status = compute_layer(out, ws, queries.value, memory.value, params, call, err);
    if (status != AL_OK || !at.trace)
        return status;
    return trace_layer(at, out, ws, queries, memory, params, call, err);
}

al_status al_self_attention(al_matrix *out, al_attention_workspace *ws, al_named x,
                            const al_attention_params *params, const al_attention_call *call,
                            al_trace_at at, al_error *err)
{
    return al_multihead_attention(out, ws, x, x, params, call, at, err);
}

al_status al_cross_attention(al_matrix *out, al_attention_workspace *ws,
                             al_named decoder_states, al_named memory,
                             const al_attention_params *params, const al_attention_call *call,
                             al_trace_at at, al_error *err)
{
    if (decoder_states.value == memory.value)
        return al_fail(err, AL_ERR_ARG, "cross-attention: the decoder states and the memory "
                       "are the same matrix (use al_self_attention)");
    return al_multihead_attention(out, ws, decoder_states, memory, params, call, at, err);
}

/* ---- the gradients -------------------------------------------------------- */

/* Backward of out = x · w (+ b): dw += xᵀ · dout, db += Σ_i dout_i. */
static al_status project_backward(al_matrix *dw, al_matrix *db, const al_matrix *dout,
                                  const al_matrix *x, al_error *err)
{
    al_status status = al_matmul_at_add(dw, x, dout, err);
    if (status == AL_OK && db)
        status = al_add_column_sums(db, dout, err);
    return status;
}

static al_status check_backward(const al_attention_backward_workspace *bw,
                                const al_matrix *d_out, const al_attention_workspace *ws,
                                const al_matrix *x_query, const al_matrix *x_memory,
                                al_error *err)
{
    if (x_query->rows != ws->queries || x_memory->rows != ws->keys)
        return al_fail(err, AL_ERR_ARG, "attention backward: the workspace holds a call on %d "
                       "queries and %d keys, not %d and %d", ws->queries, ws->keys,
                       x_query->rows, x_memory->rows);
    if (d_out->rows != ws->queries || d_out->cols != ws->d_model)
        return al_fail(err, AL_ERR_SHAPE, "attention backward: d_out is %d x %d but out was "
                       "%d x %d", d_out->rows, d_out->cols, ws->queries, ws->d_model);
    if (bw->dq.rows < ws->queries || bw->dk.rows < ws->keys || bw->dweights.cols < ws->keys)
        return al_fail(err, AL_ERR_SHAPE, "attention backward: the backward workspace is "
                       "smaller than the call (%d queries, %d keys)", ws->queries, ws->keys);
    return AL_OK;
}

al_status al_multihead_attention_backward(al_matrix *dx_query, al_matrix *dx_memory,
                                          al_attention_params *grad,
                                          al_attention_backward_workspace *bw,
                                          const al_matrix *d_out,
                                          const al_attention_workspace *ws,
                                          const al_matrix *x_query, const al_matrix *x_memory,
                                          const al_attention_params *params,
                                          const al_attention_call *call, al_error *err)
{
    al_status status = check_backward(bw, d_out, ws, x_query, x_memory, err);
    if (status != AL_OK)
        return status;
    const al_attention_params *p = params;
    layer_views m = views(ws);
    int lq = ws->queries, lk = ws->keys, d_head = p->d_model / p->heads;
    al_matrix dq = al_matrix_rows(&bw->dq, 0, lq), dk = al_matrix_rows(&bw->dk, 0, lk);
    al_matrix dv = al_matrix_rows(&bw->dv, 0, lk);
    al_matrix dconcat = al_matrix_rows(&bw->dconcat, 0, lq);
    al_scoring scoring = head_scoring(call);

    al_matrix *db_q = p->has_bias ? &grad->b_q : NULL, *db_k = p->has_bias ? &grad->b_k : NULL;
    al_matrix *db_v = p->has_bias ? &grad->b_v : NULL, *db_o = p->has_bias ? &grad->b_o : NULL;

    /* out = concat · W_O + b_O:  dconcat = d_out · W_Oᵀ */
    status = project_backward(&grad->w_o, db_o, d_out, &m.concat, err);
    if (status == AL_OK)
        status = al_matmul_bt(&dconcat, d_out, &p->w_o, err);

    /* each head on its columns: dq_i, dk_i, dv_i from dconcat's columns,
     * block by block with packed sequences */
    for (int h = 0; h < p->heads && status == AL_OK; h++) {
        al_matrix q_h = al_matrix_cols(&m.q, h * d_head, d_head);
        al_matrix k_h = al_matrix_cols(&m.k, h * d_head, d_head);
        al_matrix v_h = al_matrix_cols(&m.v, h * d_head, d_head);
        al_matrix dq_h = al_matrix_cols(&dq, h * d_head, d_head);
        al_matrix dk_h = al_matrix_cols(&dk, h * d_head, d_head);
        al_matrix dv_h = al_matrix_cols(&dv, h * d_head, d_head);
        al_matrix dout_h = al_matrix_cols(&dconcat, h * d_head, d_head);
        block bl = {0};
        for (int b = 0; b < block_count(call) && status == AL_OK; b++) {
            bl = next_block(call, b, bl, lq, lk);
            al_matrix q_b = al_matrix_rows(&q_h, bl.q0, bl.lq);
            al_matrix k_b = al_matrix_rows(&k_h, bl.k0, bl.lk);
            al_matrix v_b = al_matrix_rows(&v_h, bl.k0, bl.lk);
            al_matrix dq_b = al_matrix_rows(&dq_h, bl.q0, bl.lq);
            al_matrix dk_b = al_matrix_rows(&dk_h, bl.k0, bl.lk);
            al_matrix dv_b = al_matrix_rows(&dv_h, bl.k0, bl.lk);
            al_matrix dout_b = al_matrix_rows(&dout_h, bl.q0, bl.lq);
            al_matrix dweights_b = block_mask(&bw->dweights, bl);
            al_matrix mask_b = call->mask ? block_mask(call->mask, bl) : (al_matrix){0};
            al_attention_steps steps = al_attention_block_steps(ws, h, bl.q0, bl.lq, bl.lk);
            status = al_attend_backward(&dq_b, &dk_b, &dv_b, NULL, &dweights_b, NULL, &dout_b,
                                        &steps, &q_b, &k_b, &v_b,
                                        call->mask ? &mask_b : NULL, &scoring, err);
        }
    }

    /* q = Xq · W_Q + b_Q;  k = Xkv · W_K + b_K;  v = Xkv · W_V + b_V */
    if (status == AL_OK)
        status = project_backward(&grad->w_q, db_q, &dq, x_query, err);
    if (status == AL_OK)
        status = project_backward(&grad->w_k, db_k, &dk, x_memory, err);
    if (status == AL_OK)
        status = project_backward(&grad->w_v, db_v, &dv, x_memory, err);

    /* dXq = dQ · W_Qᵀ;  dXkv = dK · W_Kᵀ + dV · W_Vᵀ (into dXq for self-attention) */
    bool self = x_memory == x_query;
    al_matrix *dx_kv = self ? dx_query : dx_memory;
    if (status == AL_OK && dx_query)
        status = al_matmul_bt(dx_query, &dq, &p->w_q, err);
    if (status == AL_OK && dx_kv && self)
        status = al_matmul_bt_add(dx_kv, &dk, &p->w_k, err);
    if (status == AL_OK && dx_kv && !self)
        status = al_matmul_bt(dx_kv, &dk, &p->w_k, err);
    if (status == AL_OK && dx_kv)
        status = al_matmul_bt_add(dx_kv, &dv, &p->w_v, err);
    return status;
}
