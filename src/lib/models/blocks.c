/* blocks.c: the encoder layer (self-attention, FFN) and the decoder layer
 * (masked self-attention, cross-attention, FFN), each sublayer with its
 * add and norm (sublayer.c). Shapes are checked here, once, before
 * anything is computed; memory is block_memory.c. */
#include "attnlab/blocks.h"

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

static al_status check_call(const al_layer_call *call, bool cross, al_error *err)
{
    if (!call->prefix || !call->input_name || (cross && !call->memory_name))
        return al_fail(err, AL_ERR_ARG, "layer: the call needs a prefix, the name of its input "
                       "and, with cross-attention, the name of the memory");
    return AL_OK;
}

al_status al_encoder_layer_forward(al_layer_output *y, al_encoder_layer_workspace *ws,
                                   const al_matrix *x, const al_encoder_layer *layer,
                                   const al_layer_call *call, al_trace *trace, al_error *err)
{
    al_status status = check_call(call, false, err);
    if (status == AL_OK)
        status = check_rows(x, layer->attn.d_model, ws->attn.out.rows, "x", call->prefix, err);
    if (status != AL_OK)
        return status;
    ws->length = x->rows;

    /* sublayer 1: self-attention, no mask: every token sees all L tokens */
    al_sublayer attn = {.layer = call->prefix, .name = "attn", .number = 1, .norm = call->norm,
                        .labels = call->labels};
    al_sublayer_keys self = {0};
    al_layer_output middle;
    status = al_attention_sublayer(&middle, &ws->attn, x, call->input_name, &self, &layer->attn,
                                   &layer->attn_norm, &attn, trace, err);

    /* sublayer 2: the feed-forward network, on each row alone */
    al_sublayer ffn = {.layer = call->prefix, .name = "ffn", .number = 2, .norm = call->norm,
                       .labels = call->labels};
    if (status == AL_OK)
        status = al_ffn_sublayer(y, &ws->ffn, &middle.value, middle.name, &layer->ffn,
                                 &layer->ffn_norm, &ffn, trace, err);
    return status;
}

al_status al_decoder_layer_forward(al_layer_output *y, al_decoder_layer_workspace *ws,
                                   const al_matrix *x, const al_matrix *memory,
                                   const al_decoder_layer *layer, const al_layer_call *call,
                                   al_trace *trace, al_error *err)
{
    int d_model = layer->self_attn.d_model;
    al_status status = check_call(call, layer->has_cross, err);
    if (status == AL_OK)
        status = check_rows(x, d_model, ws->self_attn.out.rows, "x", call->prefix, err);
    if (status == AL_OK && layer->has_cross && !memory)
        status = al_fail(err, AL_ERR_ARG, "%s: cross-attention needs the encoder's memory",
                         call->prefix);
    if (status == AL_OK && layer->has_cross)
        status = check_rows(memory, d_model, ws->cross_attn.attn.max_keys, "the memory",
                            call->prefix, err);
    if (status != AL_OK)
        return status;
    int length = x->rows;
    ws->length = length;
    ws->memory_length = layer->has_cross ? memory->rows : 0;

    /* sublayer 1: self-attention under the causal mask: token i sees 0 .. i */
    al_matrix rows = al_matrix_rows(&ws->causal_mask, 0, length);
    al_matrix causal = al_matrix_cols(&rows, 0, length);
    al_sublayer self_attn = {.layer = call->prefix, .name = "self_attn", .number = 1,
                             .norm = call->norm, .labels = call->labels};
    al_sublayer_keys self = {.mask = &causal};
    al_layer_output after_self;
    status = al_attention_sublayer(&after_self, &ws->self_attn, x, call->input_name, &self,
                                   &layer->self_attn, &layer->self_attn_norm, &self_attn,
                                   trace, err);
    if (status != AL_OK)
        return status;

    /* sublayer 2: cross-attention: queries from the decoder, keys and
     * values from the encoder's memory, no mask */
    al_layer_output after_cross = after_self;
    if (layer->has_cross) {
        al_sublayer cross_attn = {.layer = call->prefix, .name = "cross_attn", .number = 2,
                                  .norm = call->norm, .labels = call->labels};
        al_sublayer_keys encoder = {.memory = memory, .memory_name = call->memory_name,
                                    .memory_labels = call->memory_labels};
        status = al_attention_sublayer(&after_cross, &ws->cross_attn, &after_self.value,
                                       after_self.name, &encoder, &layer->cross_attn,
                                       &layer->cross_attn_norm, &cross_attn, trace, err);
        if (status != AL_OK)
            return status;
    }

    /* last sublayer: the feed-forward network */
    al_sublayer ffn = {.layer = call->prefix, .name = "ffn", .number = layer->has_cross ? 3 : 2,
                       .norm = call->norm, .labels = call->labels};
    return al_ffn_sublayer(y, &ws->ffn, &after_cross.value, after_cross.name, &layer->ffn,
                           &layer->ffn_norm, &ffn, trace, err);
}
