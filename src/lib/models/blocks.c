/* blocks.c: the encoder layer (self-attention, FFN) and the decoder layer
 * (masked self-attention, cross-attention, FFN), each sublayer with its
 * add and norm (sublayer.c). Shapes are checked here, once, before
 * anything is computed; memory is block_memory.c. */
#include "attnlab/blocks.h"

#include "attnlab/mask.h"
#include "models/sublayer.h"

/* x (L x d_model) must fit the layer and the workspace's max_rows. */
static al_status check_rows(const al_matrix *x, int d_model, int max_rows, const char *what,
                            const char *prefix, al_error *err)
{
    if (x->cols != d_model)
        return al_fail(err, AL_ERR_SHAPE, "%s: %s is %d x %d but d_model is %d", prefix, what,
                       x->rows, x->cols, d_model);
    if (x->rows < 1 || x->rows > max_rows)
        return al_fail(err, AL_ERR_SHAPE, "%s: %s has %d rows but the workspace holds 1 to %d",
                       prefix, what, x->rows, max_rows);
    return AL_OK;
}

static al_status check_call(al_named x, al_named memory, bool cross, al_trace_at at,
                            al_error *err)
{
    if (at.trace && (!at.name || !x.name || (cross && !memory.name)))
        return al_fail(err, AL_ERR_ARG, "layer: tracing needs a prefix, the name of the input "
                       "and, with cross-attention, the name of the memory");
    return AL_OK;
}

/* --- trace names ---------------------------------------------------------------- */

/* Sublayer number k of layer P, its F called name: P.name, P.name.out,
 * P.add<k>, P.norm<k>. */
static void sublayer_names_init(al_sublayer_names *n, const char *prefix, const char *name,
                                int number)
{
    al_name(n->prefix, "%s.%s", prefix, name);
    al_name(n->out, "%s.%s.out", prefix, name);
    al_name(n->add, "%s.add%d", prefix, number);
    al_name(n->norm, "%s.norm%d", prefix, number);
}

/* What a layer hands on: its last sublayer's norm (post-norm) or add (pre-norm). */
static void output_name(char output[AL_NAME_SIZE], const al_sublayer_names *last,
                        al_norm_placement norm)
{
    al_name(output, "%s", norm == AL_NORM_POST ? last->norm : last->add);
}

void al_encoder_layer_names_init(al_encoder_layer_names *names, const char *prefix,
                                 al_norm_placement norm)
{
    sublayer_names_init(&names->attn, prefix, "attn", 1);
    sublayer_names_init(&names->ffn, prefix, "ffn", 2);
    output_name(names->output, &names->ffn, norm);
}

void al_decoder_layer_names_init(al_decoder_layer_names *names, const char *prefix,
                                 bool has_cross, al_norm_placement norm)
{
    sublayer_names_init(&names->self_attn, prefix, "self_attn", 1);
    names->cross_attn = (al_sublayer_names){0};
    if (has_cross)
        sublayer_names_init(&names->cross_attn, prefix, "cross_attn", 2);
    sublayer_names_init(&names->ffn, prefix, "ffn", has_cross ? 3 : 2);
    output_name(names->output, &names->ffn, norm);
}

/* --- forward ------------------------------------------------------------------ */

/* The layer's name in a message. */
static const char *layer_name(al_trace_at at, const char *what)
{
    return at.name ? at.name : what;
}

/* The rows of the longest sequence: x's rows when x is one sequence. */
static int longest_block(const al_row_blocks *blocks, int rows)
{
    if (!blocks)
        return rows;
    int longest = 0;
    for (int b = 0; b < blocks->count; b++)
        longest = blocks->rows[b] > longest ? blocks->rows[b] : longest;
    return longest;
}

static al_status encoder_forward(al_layer_output *y, al_encoder_layer_workspace *ws,
                                 al_named x, al_layer_blocks blocks,
                                 const al_encoder_layer *layer, al_norm_placement norm,
                                 al_trace_at at, al_error *err)
{
    al_status status = check_call(x, (al_named){0}, false, at, err);
    if (status == AL_OK)
        status = check_rows(x.value, layer->attn.d_model, ws->attn.out.rows, "x",
                            layer_name(at, "encoder layer"), err);
    if (status != AL_OK)
        return status;
    ws->length = x.value->rows;
    al_named self = {0};
    al_encoder_layer_names names;
    al_encoder_layer_names_init(&names, at.name ? at.name : "", norm);

    /* sublayer 1: self-attention, no mask: every token sees all L tokens
     *   post-norm: norm1 = LayerNorm(x + MultiHead(x))
     *   pre-norm:  add1  = x + MultiHead(LayerNorm(x)) */
    al_sublayer attn = {.names = &names.attn, .norm = norm, .blocks = blocks};
    al_layer_output middle;
    status = al_attention_sublayer(&middle, &ws->attn, x, self, NULL, &layer->attn,
                                   &layer->attn_norm, &attn, at, err);

    /* sublayer 2: the feed-forward network, on each row alone
     *   post-norm: norm2 = LayerNorm(norm1 + FFN(norm1))
     *   pre-norm:  add2  = add1 + FFN(LayerNorm(add1)) */
    al_sublayer ffn = {.names = &names.ffn, .norm = norm};
    if (status == AL_OK)
        status = al_ffn_sublayer(y, &ws->ffn, al_layer_output_named(&middle), &layer->ffn,
                                 &layer->ffn_norm, &ffn, at, err);
    return status;
}

al_status al_encoder_layer_forward(al_layer_output *y, al_encoder_layer_workspace *ws,
                                   al_named x, const al_encoder_layer *layer,
                                   al_norm_placement norm, al_trace_at at, al_error *err)
{
    return encoder_forward(y, ws, x, (al_layer_blocks){0}, layer, norm, at, err);
}

al_status al_encoder_layer_forward_packed(al_layer_output *y, al_encoder_layer_workspace *ws,
                                          const al_matrix *x, al_layer_blocks blocks,
                                          const al_encoder_layer *layer,
                                          al_norm_placement norm, al_error *err)
{
    return encoder_forward(y, ws, al_unnamed(x), blocks, layer, norm, (al_trace_at){0}, err);
}

static al_status decoder_forward(al_layer_output *y, al_decoder_layer_workspace *ws,
                                 al_named x, al_named memory, al_layer_blocks blocks,
                                 const al_decoder_layer *layer, al_norm_placement norm,
                                 al_trace_at at, al_error *err)
{
    int d_model = layer->self_attn.d_model;
    const char *what = layer_name(at, "decoder layer");
    al_status status = check_call(x, memory, layer->has_cross, at, err);
    if (status == AL_OK)
        status = check_rows(x.value, d_model, ws->self_attn.out.rows, "x", what, err);
    if (status == AL_OK && layer->has_cross && !memory.value)
        status = al_fail(err, AL_ERR_ARG, "%s: cross-attention needs the encoder's memory",
                         what);
    if (status == AL_OK && layer->has_cross)
        status = check_rows(memory.value, d_model, ws->cross_attn.attn.max_key_rows,
                            "the memory", what, err);
    int longest = longest_block(blocks.rows, x.value->rows);
    if (status == AL_OK && longest > ws->causal_mask.rows)
        status = al_fail(err, AL_ERR_SHAPE, "%s: a sequence of %d tokens; the workspace holds "
                         "up to %d", what, longest, ws->causal_mask.rows);
    if (status != AL_OK)
        return status;
    int length = x.value->rows;
    ws->length = length;
    ws->memory_length = layer->has_cross ? memory.value->rows : 0;
    al_named self = {0};
    al_decoder_layer_names names;
    al_decoder_layer_names_init(&names, at.name ? at.name : "", layer->has_cross, norm);

    /* sublayer 1: self-attention under the causal mask (L x L):
     * mask[i][j] = 1 if j <= i, so token i sees tokens 0 .. i only (packed,
     * each sequence's block under its own top-left corner of it) */
    al_matrix rows = al_matrix_rows(&ws->causal_mask, 0, longest);
    al_matrix causal = al_matrix_cols(&rows, 0, longest);
    al_causal_mask(&causal);
    al_sublayer self_attn = {.names = &names.self_attn, .norm = norm, .blocks = blocks};
    al_layer_output after_self;
    status = al_attention_sublayer(&after_self, &ws->self_attn, x, self, &causal,
                                   &layer->self_attn, &layer->self_attn_norm, &self_attn, at,
                                   err);
    if (status != AL_OK)
        return status;

    /* sublayer 2: cross-attention: queries from the decoder, keys and
     * values from the encoder's memory, no mask */
    al_layer_output after_cross = after_self;
    if (layer->has_cross) {
        al_sublayer cross_attn = {.names = &names.cross_attn, .norm = norm, .blocks = blocks};
        status = al_attention_sublayer(&after_cross, &ws->cross_attn,
                                       al_layer_output_named(&after_self), memory, NULL,
                                       &layer->cross_attn, &layer->cross_attn_norm, &cross_attn,
                                       at, err);
        if (status != AL_OK)
            return status;
    }

    /* last sublayer: the feed-forward network */
    al_sublayer ffn = {.names = &names.ffn, .norm = norm};
    return al_ffn_sublayer(y, &ws->ffn, al_layer_output_named(&after_cross), &layer->ffn,
                           &layer->ffn_norm, &ffn, at, err);
}

al_status al_decoder_layer_forward(al_layer_output *y, al_decoder_layer_workspace *ws,
                                   al_named x, al_named memory, const al_decoder_layer *layer,
                                   al_norm_placement norm, al_trace_at at, al_error *err)
{
    return decoder_forward(y, ws, x, memory, (al_layer_blocks){0}, layer, norm, at, err);
}

al_status al_decoder_layer_forward_packed(al_layer_output *y, al_decoder_layer_workspace *ws,
                                          const al_matrix *x, const al_matrix *memory,
                                          al_layer_blocks blocks, const al_decoder_layer *layer,
                                          al_norm_placement norm, al_error *err)
{
    al_named memory_named = memory ? al_unnamed(memory) : (al_named){0};
    return decoder_forward(y, ws, al_unnamed(x), memory_named, blocks, layer, norm,
                           (al_trace_at){0}, err);
}

/* --- backward ------------------------------------------------------------------ */

al_status al_encoder_layer_backward(al_matrix *dx, al_encoder_layer *grad,
                                    al_layer_backward_workspace *bw, const al_matrix *dy,
                                    const al_encoder_layer_workspace *ws, const al_matrix *x,
                                    const al_encoder_layer *layer, al_norm_placement norm,
                                    al_error *err)
{
    return al_encoder_layer_backward_packed(dx, grad, bw, dy, ws, x, (al_layer_blocks){0},
                                            layer, norm, err);
}

al_status al_encoder_layer_backward_packed(al_matrix *dx, al_encoder_layer *grad,
                                           al_layer_backward_workspace *bw,
                                           const al_matrix *dy,
                                           const al_encoder_layer_workspace *ws,
                                           const al_matrix *x, al_layer_blocks blocks,
                                           const al_encoder_layer *layer,
                                           al_norm_placement norm, al_error *err)
{
    int length = ws->length;
    if (x->rows != length || !al_same_shape(dy, x) || !al_same_shape(dx, x))
        return al_fail(err, AL_ERR_SHAPE, "encoder layer backward: the workspace holds a call "
                       "on %d tokens; x, dy and dx must be %d x %d", length, length,
                       layer->attn.d_model);
    /* what sublayer 2 read: norm1 (post-norm) or add1 (pre-norm) */
    al_matrix middle = al_sublayer_result(&ws->attn, norm, length);
    al_matrix d_middle = al_matrix_rows(&bw->d_middle, 0, length);

    /* sublayer 2, the FFN: dy -> d_middle */
    al_status status = al_ffn_sublayer_backward(&d_middle, &grad->ffn, &grad->ffn_norm, bw, dy,
                                                &ws->ffn, &middle, &layer->ffn,
                                                &layer->ffn_norm, norm, err);
    /* sublayer 1, self-attention: d_middle -> dx */
    al_sublayer attn = {.norm = norm, .blocks = blocks};
    if (status == AL_OK)
        status = al_attention_sublayer_backward(dx, NULL, &grad->attn, &grad->attn_norm, bw,
                                                &d_middle, &ws->attn, x, NULL, NULL,
                                                &layer->attn, &layer->attn_norm, &attn, err);
    return status;
}

al_status al_decoder_layer_backward(al_matrix *dx, al_matrix *dmemory, al_decoder_layer *grad,
                                    al_layer_backward_workspace *bw, const al_matrix *dy,
                                    const al_decoder_layer_workspace *ws, const al_matrix *x,
                                    const al_matrix *memory, const al_decoder_layer *layer,
                                    al_norm_placement norm, al_error *err)
{
    return al_decoder_layer_backward_packed(dx, dmemory, grad, bw, dy, ws, x, memory,
                                            (al_layer_blocks){0}, layer, norm, err);
}

al_status al_decoder_layer_backward_packed(al_matrix *dx, al_matrix *dmemory,
                                           al_decoder_layer *grad,
                                           al_layer_backward_workspace *bw,
                                           const al_matrix *dy,
                                           const al_decoder_layer_workspace *ws,
                                           const al_matrix *x, const al_matrix *memory,
                                           al_layer_blocks blocks,
                                           const al_decoder_layer *layer,
                                           al_norm_placement norm, al_error *err)
{
    int length = ws->length, s = ws->memory_length;
    if (x->rows != length || !al_same_shape(dy, x) || !al_same_shape(dx, x))
        return al_fail(err, AL_ERR_SHAPE, "decoder layer backward: the workspace holds a call "
                       "on %d tokens; x, dy and dx must be %d x %d", length, length,
                       layer->self_attn.d_model);
    if (layer->has_cross && (!memory || !dmemory || memory->rows != s ||
                             !al_same_shape(dmemory, memory)))
        return al_fail(err, AL_ERR_SHAPE, "decoder layer backward: cross-attention needs the "
                       "memory of the forward call (%d rows) and dmemory of its shape", s);
    al_matrix after_self = al_sublayer_result(&ws->self_attn, norm, length);
    al_matrix after_cross = layer->has_cross ? al_sublayer_result(&ws->cross_attn, norm, length)
                                             : after_self;
    al_matrix d_after_self = al_matrix_rows(&bw->d_middle, 0, length);
    al_matrix d_after_cross = layer->has_cross ? al_matrix_rows(&bw->d_middle2, 0, length)
                                               : d_after_self;

    /* last sublayer, the FFN: dy -> d_after_cross */
    al_status status = al_ffn_sublayer_backward(&d_after_cross, &grad->ffn, &grad->ffn_norm, bw,
                                                dy, &ws->ffn, &after_cross, &layer->ffn,
                                                &layer->ffn_norm, norm, err);
    /* sublayer 2, cross-attention: d_after_cross -> d_after_self, and the
     * memory's share, added into dmemory */
    al_matrix d_memory = layer->has_cross ? al_matrix_rows(&bw->d_memory, 0, s) : (al_matrix){0};
    al_sublayer sublayer = {.norm = norm, .blocks = blocks};
    if (status == AL_OK && layer->has_cross)
        status = al_attention_sublayer_backward(&d_after_self, &d_memory, &grad->cross_attn,
                                                &grad->cross_attn_norm, bw, &d_after_cross,
                                                &ws->cross_attn, &after_self, memory, NULL,
                                                &layer->cross_attn, &layer->cross_attn_norm,
                                                &sublayer, err);
    if (status == AL_OK && layer->has_cross)
        status = al_add(dmemory, dmemory, &d_memory, err);
    /* sublayer 1, masked self-attention: d_after_self -> dx */
    int longest = longest_block(blocks.rows, length);
    al_matrix rows = al_matrix_rows(&ws->causal_mask, 0, longest);
    al_matrix causal = al_matrix_cols(&rows, 0, longest);
    if (status == AL_OK)
        status = al_attention_sublayer_backward(dx, NULL, &grad->self_attn,
                                                &grad->self_attn_norm, bw, &d_after_self,
                                                &ws->self_attn, x, NULL, &causal,
                                                &layer->self_attn, &layer->self_attn_norm,
                                                &sublayer, err);
    return status;
}
