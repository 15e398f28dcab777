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
    al_attention_call call = {.mask = mask, .mask_op = AL_MASK_OP_CAUSAL, .temperature = 1.0f};
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
                                      int max_keys, al_error *err)
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
        status = al_attention_workspace_alloc(&ws->attn, attention, max_rows, max_keys, err);
    if (status != AL_OK)
        al_sublayer_workspace_free(ws);
    return status;
}
