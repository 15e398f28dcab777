/* sublayer.c: a sublayer F (attention or the FFN) wrapped in its residual
 * add and layer norm, post-norm or pre-norm:
 *
 *   post-norm:  add_k = x + F(x),        norm_k = LayerNorm(add_k)  -> norm_k
 *   pre-norm:   norm_k = LayerNorm(x),   add_k = x + F(norm_k)      -> add_k
 *
 * The maths of F, the add and the norm is in multihead.c and layers.h;
 * this file only puts them in order and names what they make. */
#include "models/sublayer.h"

#include <stdio.h>

#include "attnlab/mask.h"

/* Every name one sublayer writes; none when the layer has no name (it is
 * then not traced). */
typedef struct sublayer_names {
    char f[AL_NAME_SIZE];      /* "enc.0.attn"      */
    char f_out[AL_NAME_SIZE];  /* "enc.0.attn.out"  */
    char add[AL_NAME_SIZE];    /* "enc.0.add1"      */
    char norm[AL_NAME_SIZE];   /* "enc.0.norm1"     */
    bool named;
} sublayer_names;

static void build_names(sublayer_names *n, const al_sublayer *s, al_trace_at layer)
{
    n->named = layer.name != NULL;
    if (!n->named)
        return;
    al_name(n->f, "%s", s->names->prefix);
    al_name(n->f_out, "%s", s->names->out);
    al_name(n->add, "%s", s->names->add);
    al_name(n->norm, "%s", s->names->norm);
}

/* The name in buf, or NULL when the layer has none. */
static const char *traced_name(const sublayer_names *n, const char *buf)
{
    return n->named ? buf : NULL;
}

/* Where the step called buf is recorded. */
static al_trace_at step_at(al_trace_at layer, const sublayer_names *n, const char *buf)
{
    return (al_trace_at){.trace = layer.trace, .name = traced_name(n, buf)};
}

/* The top L rows of each of the workspace's matrices, for a call on L
 * tokens. */
typedef struct sublayer_views {
    al_matrix out, add, norm, mean, var, hidden;
} sublayer_views;

static sublayer_views views(const al_sublayer_workspace *ws, int rows)
{
    sublayer_views v = {.out = al_matrix_rows(&ws->out, 0, rows),
                        .add = al_matrix_rows(&ws->add, 0, rows),
                        .norm = al_matrix_rows(&ws->norm, 0, rows),
                        .mean = al_matrix_rows(&ws->mean, 0, rows),
                        .var = al_matrix_rows(&ws->var, 0, rows)};
    if (ws->hidden.data)
        v.hidden = al_matrix_rows(&ws->hidden, 0, rows);
    return v;
}

/* What F reads. Pre-norm: norm_k = LayerNorm(x), and F reads norm_k.
 * Post-norm: F reads x itself. */
static al_status sublayer_input(al_named *f_input, sublayer_views *v, al_named x,
                                const al_layer_norm *norm, const al_sublayer *s,
                                const sublayer_names *n, al_trace_at layer, al_error *err)
{
    *f_input = x;
    if (s->norm != AL_NORM_PRE)
        return AL_OK;
    *f_input = (al_named){.value = &v->norm, .name = traced_name(n, n->norm),
                          .labels = x.labels};
    return al_layer_norm_forward(&v->norm, &v->mean, &v->var, x, norm,
                                 step_at(layer, n, n->norm), err);
}

/* After F. add_k (L x d_model) = x + F; post-norm then norm_k =
 * LayerNorm(add_k). The output is norm_k (post) or add_k (pre). */
static al_status sublayer_output(al_layer_output *y, sublayer_views *v, al_named x,
                                 const al_layer_norm *norm, const al_sublayer *s,
                                 const sublayer_names *n, al_trace_at layer, al_error *err)
{
    al_named f_out = {.value = &v->out, .name = traced_name(n, n->f_out), .labels = x.labels};
    al_named add = {.value = &v->add, .name = traced_name(n, n->add), .labels = x.labels};
    al_status status = al_residual_add(&v->add, x, f_out, step_at(layer, n, n->add), err);
    if (status == AL_OK && s->norm == AL_NORM_POST)
        status = al_layer_norm_forward(&v->norm, &v->mean, &v->var, add, norm,
                                       step_at(layer, n, n->norm), err);
    if (status != AL_OK)
        return status;
    bool post = s->norm == AL_NORM_POST;
    y->value = post ? v->norm : v->add;
    y->labels = x.labels;
    al_name(y->name, "%s", n->named ? (post ? n->norm : n->add) : "");
    return AL_OK;
}

al_status al_attention_sublayer(al_layer_output *y, al_sublayer_workspace *ws, al_named x,
                                al_named memory, const al_matrix *mask,
                                const al_attention_params *params, const al_layer_norm *norm,
                                const al_sublayer *sublayer, al_trace_at layer, al_error *err)
{
    sublayer_names n;
    build_names(&n, sublayer, layer);
    sublayer_views v = views(ws, x.value->rows);
    al_named f_input;
    al_status status = sublayer_input(&f_input, &v, x, norm, sublayer, &n, layer, err);
    if (status != AL_OK)
        return status;

    /* F: queries from the sublayer's input; keys and values from the same
     * rows (self-attention) or from the encoder's memory (cross-attention) */
    al_attention_call call = {.mask = mask, .mask_op = AL_MASK_OP_CAUSAL, .temperature = 1.0f,
                              .query_blocks = sublayer->blocks.rows,
                              .key_blocks = memory.value ? sublayer->blocks.memory : NULL};
    al_named keys = memory.value ? memory : f_input;
    status = al_multihead_attention(&v.out, &ws->attn, f_input, keys, params, &call,
                                    step_at(layer, &n, n.f), err);
    if (status != AL_OK)
        return status;
    return sublayer_output(y, &v, x, norm, sublayer, &n, layer, err);
}

al_status al_ffn_sublayer(al_layer_output *y, al_sublayer_workspace *ws, al_named x,
                          const al_feed_forward *ffn, const al_layer_norm *norm,
                          const al_sublayer *sublayer, al_trace_at layer, al_error *err)
{
    sublayer_names n;
    build_names(&n, sublayer, layer);
    sublayer_views v = views(ws, x.value->rows);
    al_named f_input;
    al_status status = sublayer_input(&f_input, &v, x, norm, sublayer, &n, layer, err);
    /* F: hidden = max(0, z·W1 + b1), out = hidden·W2 + b2, row by row */
    if (status == AL_OK)
        status = al_feed_forward_forward(&v.out, &v.hidden, f_input, ffn,
                                         step_at(layer, &n, n.f), err);
    if (status != AL_OK)
        return status;
    return sublayer_output(y, &v, x, norm, sublayer, &n, layer, err);
}

al_matrix al_sublayer_result(const al_sublayer_workspace *ws, al_norm_placement norm,
                             int length)
{
    return al_matrix_rows(norm == AL_NORM_POST ? &ws->norm : &ws->add, 0, length);
}

/* --- backward ------------------------------------------------------------------ */

/* The top L rows of the backward workspace's matrices. */
typedef struct backward_views {
    al_matrix d_add, d_input, dhidden;
} backward_views;

static backward_views backward_rows(const al_layer_backward_workspace *bw, int rows)
{
    backward_views b = {.d_add = al_matrix_rows(&bw->d_add, 0, rows),
                        .d_input = al_matrix_rows(&bw->d_input, 0, rows)};
    if (bw->dhidden.data)
        b.dhidden = al_matrix_rows(&bw->dhidden, 0, rows);
    return b;
}

/* What F read in the forward pass: x (post-norm) or norm_k (pre-norm). */
static const al_matrix *f_input_of(const sublayer_views *v, const al_matrix *x,
                                   al_norm_placement placement)
{
    return placement == AL_NORM_PRE ? &v->norm : x;
}

/* The gradient of F's output. Post-norm: d_add = layer-norm backward of
 * dy (norm_k = LayerNorm(add_k)). Pre-norm: dy itself (add_k is the
 * output). */
static al_status f_output_gradient(const al_matrix **df, backward_views *b,
                                   al_layer_norm *grad_norm, const al_matrix *dy,
                                   const sublayer_views *v, const al_layer_norm *norm,
                                   al_norm_placement placement, al_error *err)
{
    *df = dy;
    if (placement == AL_NORM_PRE)
        return AL_OK;
    *df = &b->d_add;
    return al_layer_norm_backward(&b->d_add, grad_norm, dy, &v->add, &v->mean, &v->var, norm,
                                  err);
}

/* dx from d_input (F's backward, the gradient of what F read). Post-norm:
 * dx = d_input + d_add (the shortcut). Pre-norm: dx = dy + layer-norm
 * backward of d_input (norm_k = LayerNorm(x)). */
static al_status input_gradient(al_matrix *dx, backward_views *b, al_layer_norm *grad_norm,
                                const al_matrix *dy, const sublayer_views *v, const al_matrix *x,
                                const al_layer_norm *norm, al_norm_placement placement,
                                al_error *err)
{
    if (placement == AL_NORM_POST)
        return al_add(dx, &b->d_input, &b->d_add, err);
    al_status status = al_layer_norm_backward(&b->d_input, grad_norm, &b->d_input, x, &v->mean,
                                              &v->var, norm, err);
    return status == AL_OK ? al_add(dx, dy, &b->d_input, err) : status;
}

al_status al_attention_sublayer_backward(al_matrix *dx, al_matrix *dmemory,
                                         al_attention_params *grad_f, al_layer_norm *grad_norm,
                                         al_layer_backward_workspace *bw, const al_matrix *dy,
                                         const al_sublayer_workspace *ws, const al_matrix *x,
                                         const al_matrix *memory, const al_matrix *mask,
                                         const al_attention_params *params,
                                         const al_layer_norm *norm, const al_sublayer *sublayer,
                                         al_error *err)
{
    al_norm_placement placement = sublayer->norm;
    sublayer_views v = views(ws, x->rows);
    backward_views b = backward_rows(bw, x->rows);
    const al_matrix *f_in = f_input_of(&v, x, placement), *df;
    al_status status = f_output_gradient(&df, &b, grad_norm, dy, &v, norm, placement, err);
    /* F's backward: attention with queries from f_in, keys from the memory or f_in */
    al_attention_call call = {.mask = mask, .mask_op = AL_MASK_OP_CAUSAL, .temperature = 1.0f,
                              .query_blocks = sublayer->blocks.rows,
                              .key_blocks = memory ? sublayer->blocks.memory : NULL};
    if (status == AL_OK)
        status = al_multihead_attention_backward(&b.d_input, dmemory, grad_f, &bw->attn, df,
                                                 &ws->attn, f_in, memory ? memory : f_in,
                                                 params, &call, err);
    if (status != AL_OK)
        return status;
    return input_gradient(dx, &b, grad_norm, dy, &v, x, norm, placement, err);
}

al_status al_ffn_sublayer_backward(al_matrix *dx, al_feed_forward *grad_f,
                                   al_layer_norm *grad_norm, al_layer_backward_workspace *bw,
                                   const al_matrix *dy, const al_sublayer_workspace *ws,
                                   const al_matrix *x, const al_feed_forward *ffn,
                                   const al_layer_norm *norm, al_norm_placement placement,
                                   al_error *err)
{
    sublayer_views v = views(ws, x->rows);
    backward_views b = backward_rows(bw, x->rows);
    const al_matrix *f_in = f_input_of(&v, x, placement), *df;
    al_status status = f_output_gradient(&df, &b, grad_norm, dy, &v, norm, placement, err);
    /* F's backward: the FFN, from the hidden layer the forward kept */
    if (status == AL_OK)
        status = al_feed_forward_backward(&b.d_input, grad_f, &b.dhidden, df, f_in, &v.hidden,
                                          ffn, err);
    if (status != AL_OK)
        return status;
    return input_gradient(dx, &b, grad_norm, dy, &v, x, norm, placement, err);
}

void al_layer_backward_workspace_free(al_layer_backward_workspace *bw)
{
    al_attention_backward_workspace_free(&bw->attn);
    al_matrix *all[] = {&bw->d_middle, &bw->d_middle2, &bw->d_memory, &bw->d_add,
                        &bw->d_input, &bw->dhidden};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        al_matrix_free(all[i]);
}

al_status al_layer_backward_workspace_alloc(al_layer_backward_workspace *bw,
                                            const al_attention_params *attn, int d_ff,
                                            int max_rows, int max_keys, al_error *err)
{
    *bw = (al_layer_backward_workspace){0};
    int d = attn->d_model;
    al_matrix *wide[] = {&bw->d_middle, &bw->d_middle2, &bw->d_add, &bw->d_input};
    al_status status = AL_OK;
    for (int i = 0; i < 4 && status == AL_OK; i++)
        status = al_matrix_alloc(wide[i], max_rows, d, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&bw->d_memory, max_keys, d, err);
    /* self-attention's keys are the layer's own rows */
    int keys = max_keys > max_rows ? max_keys : max_rows;
    if (status == AL_OK && d_ff > 0)
        status = al_matrix_alloc(&bw->dhidden, max_rows, d_ff, err);
    if (status == AL_OK)
        status = al_attention_backward_workspace_alloc(&bw->attn, attn, max_rows, keys, err);
    if (status != AL_OK)
        al_layer_backward_workspace_free(bw);
    return status;
}

/* --- memory ------------------------------------------------------------------- */

void al_sublayer_workspace_free(al_sublayer_workspace *ws)
{
    al_attention_workspace_free(&ws->attn);
    al_matrix *all[] = {&ws->hidden, &ws->out, &ws->add, &ws->norm, &ws->mean, &ws->var};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        al_matrix_free(all[i]);
}

al_status al_sublayer_workspace_alloc(al_sublayer_workspace *ws, int max_rows, int d_model,
                                      int d_ff, const al_attention_params *attention,
                                      int max_keys, int max_key_rows, al_error *err)
{
    *ws = (al_sublayer_workspace){0};
    al_matrix *wide[] = {&ws->out, &ws->add, &ws->norm};
    al_status status = AL_OK;
    for (int i = 0; i < 3 && status == AL_OK; i++)
        status = al_matrix_alloc(wide[i], max_rows, d_model, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&ws->mean, max_rows, 1, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&ws->var, max_rows, 1, err);
    if (status == AL_OK && d_ff > 0)
        status = al_matrix_alloc(&ws->hidden, max_rows, d_ff, err);
    if (status == AL_OK && attention)
        status = al_attention_workspace_alloc_packed(&ws->attn, attention, max_rows, max_keys,
                                                     max_key_rows, err);
    if (status != AL_OK)
        al_sublayer_workspace_free(ws);
    return status;
}
