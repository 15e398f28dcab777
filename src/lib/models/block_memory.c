/* block_memory.c: allocating, initialising and freeing the encoder and
 * decoder layers' parameters and workspaces. No maths beyond the seeded
 * random start; the forward passes are in blocks.c. */
#include "attnlab/blocks.h"

#include "attnlab/mask.h"
#include "models/sublayer.h"

/* --- parameters -------------------------------------------------------------- */

void al_encoder_layer_free(al_encoder_layer *layer)
{
    al_attention_params_free(&layer->attn);
    al_layer_norm_free(&layer->attn_norm);
    al_feed_forward_free(&layer->ffn);
    al_layer_norm_free(&layer->ffn_norm);
}

void al_decoder_layer_free(al_decoder_layer *layer)
{
    al_attention_params_free(&layer->self_attn);
    al_layer_norm_free(&layer->self_attn_norm);
    al_attention_params_free(&layer->cross_attn);
    al_layer_norm_free(&layer->cross_attn_norm);
    al_feed_forward_free(&layer->ffn);
    al_layer_norm_free(&layer->ffn_norm);
    layer->has_cross = false;
}

/* One attention sublayer's parameters and the norm that goes with it. */
static al_status alloc_attention(al_attention_params *attn, al_layer_norm *norm,
                                 const al_model_config *c, al_error *err)
{
    al_status status = al_attention_params_alloc(attn, c->d_model, c->heads, c->biases, err);
    if (status == AL_OK)
        status = al_layer_norm_alloc(norm, c->d_model, c->norm_epsilon, err);
    return status;
}

static al_status alloc_ffn(al_feed_forward *ffn, al_layer_norm *norm, const al_model_config *c,
                           al_error *err)
{
    al_status status = al_feed_forward_alloc(ffn, c->d_model, c->d_ff, c->biases, err);
    if (status == AL_OK)
        status = al_layer_norm_alloc(norm, c->d_model, c->norm_epsilon, err);
    return status;
}

al_status al_encoder_layer_alloc(al_encoder_layer *layer, const al_model_config *config,
                                 al_error *err)
{
    *layer = (al_encoder_layer){0};
    al_status status = al_model_config_check(config, err);
    if (status == AL_OK)
        status = alloc_attention(&layer->attn, &layer->attn_norm, config, err);
    if (status == AL_OK)
        status = alloc_ffn(&layer->ffn, &layer->ffn_norm, config, err);
    if (status != AL_OK)
        al_encoder_layer_free(layer);
    return status;
}

al_status al_decoder_layer_alloc(al_decoder_layer *layer, const al_model_config *config,
                                 al_error *err)
{
    *layer = (al_decoder_layer){0};
    al_status status = al_model_config_check(config, err);
    if (status == AL_OK)
        status = alloc_attention(&layer->self_attn, &layer->self_attn_norm, config, err);
    layer->has_cross = config->family == AL_FAMILY_ENCODER_DECODER;
    if (status == AL_OK && layer->has_cross)
        status = alloc_attention(&layer->cross_attn, &layer->cross_attn_norm, config, err);
    if (status == AL_OK)
        status = alloc_ffn(&layer->ffn, &layer->ffn_norm, config, err);
    if (status != AL_OK)
        al_decoder_layer_free(layer);
    return status;
}

void al_encoder_layer_init(al_encoder_layer *layer, al_rng *rng)
{
    al_attention_params_init(&layer->attn, rng);
    al_feed_forward_init(&layer->ffn, rng);
}

void al_decoder_layer_init(al_decoder_layer *layer, al_rng *rng)
{
    al_attention_params_init(&layer->self_attn, rng);
    if (layer->has_cross)
        al_attention_params_init(&layer->cross_attn, rng);
    al_feed_forward_init(&layer->ffn, rng);
}

/* --- workspaces ------------------------------------------------------------------ */

void al_encoder_layer_workspace_free(al_encoder_layer_workspace *ws)
{
    al_sublayer_workspace_free(&ws->attn);
    al_sublayer_workspace_free(&ws->ffn);
    *ws = (al_encoder_layer_workspace){0};
}

void al_decoder_layer_workspace_free(al_decoder_layer_workspace *ws)
{
    al_sublayer_workspace_free(&ws->self_attn);
    al_sublayer_workspace_free(&ws->cross_attn);
    al_sublayer_workspace_free(&ws->ffn);
    al_matrix_free(&ws->causal_mask);
    *ws = (al_decoder_layer_workspace){0};
}

al_status al_encoder_layer_workspace_alloc(al_encoder_layer_workspace *ws,
                                           const al_encoder_layer *layer, int max_length,
                                           al_error *err)
{
    return al_encoder_layer_workspace_alloc_packed(ws, layer, max_length, max_length, err);
}

al_status al_decoder_layer_workspace_alloc(al_decoder_layer_workspace *ws,
                                           const al_decoder_layer *layer, int max_length,
                                           int max_memory, al_error *err)
{
    return al_decoder_layer_workspace_alloc_packed(ws, layer, max_length, max_length,
                                                   max_memory, max_memory, err);
}

al_status al_encoder_layer_workspace_alloc_packed(al_encoder_layer_workspace *ws,
                                                  const al_encoder_layer *layer, int max_rows,
                                                  int max_length, al_error *err)
{
    *ws = (al_encoder_layer_workspace){0};
    int d_model = layer->attn.d_model, d_ff = layer->ffn.first.w.cols;
    al_status status = al_sublayer_workspace_alloc(&ws->attn, max_rows, d_model, 0,
                                                   &layer->attn, max_length, max_rows, err);
    if (status == AL_OK)
        status = al_sublayer_workspace_alloc(&ws->ffn, max_rows, d_model, d_ff, NULL, 0, 0,
                                             err);
    if (status != AL_OK)
        al_encoder_layer_workspace_free(ws);
    return status;
}

al_status al_decoder_layer_workspace_alloc_packed(al_decoder_layer_workspace *ws,
                                                  const al_decoder_layer *layer, int max_rows,
                                                  int max_length, int max_memory_rows,
                                                  int max_memory, al_error *err)
{
    *ws = (al_decoder_layer_workspace){0};
    int d_model = layer->self_attn.d_model, d_ff = layer->ffn.first.w.cols;
    al_status status = al_sublayer_workspace_alloc(&ws->self_attn, max_rows, d_model, 0,
                                                   &layer->self_attn, max_length, max_rows,
                                                   err);
    if (status == AL_OK && layer->has_cross)
        status = al_sublayer_workspace_alloc(&ws->cross_attn, max_rows, d_model, 0,
                                             &layer->cross_attn, max_memory, max_memory_rows,
                                             err);
    if (status == AL_OK)
        status = al_sublayer_workspace_alloc(&ws->ffn, max_rows, d_model, d_ff, NULL, 0, 0,
                                             err);
    /* Room for the causal mask of the longest sequence; each call fills
     * the top-left L x L corner it uses (blocks.c). */
    if (status == AL_OK)
        status = al_matrix_alloc(&ws->causal_mask, max_length, max_length, err);
    if (status != AL_OK)
        al_decoder_layer_workspace_free(ws);
    return status;
}
