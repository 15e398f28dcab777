/* transformer.c: the forward pass of all three families through one code
 * path: an input layer, a stack of encoder layers and/or a stack of
 * decoder layers (each ending in a layer norm when pre-norm), then the
 * output layer. Which stacks run is the only difference between the
 * families; the layers are blocks.c, the input and output layers
 * transformer_inputs.c and output_layer.c. */
#include "attnlab/transformer.h"

#include <stdio.h>

#include "models/transformer_parts.h"

static bool has_encoder(const al_transformer *model)
{
    return model->config.family != AL_FAMILY_DECODER_ONLY;
}

static bool has_decoder(const al_transformer *model)
{
    return model->config.family != AL_FAMILY_ENCODER_ONLY;
}

/* Pre-norm stacks end with one more layer norm, because their residual
 * path (x + F1 + F2 + ...) is never normalised inside the layers:
 * <prefix>.norm (L x d) = LayerNorm(last layer's output). */
static al_status final_norm(al_layer_output *out, al_matrix *norm, al_matrix *mean,
                            al_matrix *var, const al_layer_norm *params, const char *name,
                            const char *const *labels, al_trace *trace, al_error *err)
{
    int length = out->value.rows;
    al_matrix y = al_matrix_rows(norm, 0, length);
    al_matrix m = al_matrix_rows(mean, 0, length), v = al_matrix_rows(var, 0, length);
    al_named x = {.value = &out->value, .name = out->name, .labels = labels};
    al_status status = al_layer_norm_forward(&y, &m, &v, x, params,
                                             (al_trace_at){.trace = trace, .name = name}, err);
    out->value = y;
    al_name(out->name, "%s", name);
    return status;
}

/* <name_prefix><stack>.<layer>, or <stack>.* for a layer < 0 */
static char *layer_prefix(char buf[AL_NAME_SIZE], const char *name_prefix, const char *stack,
                          int layer)
{
    char name[AL_NAME_SIZE];
    if (layer < 0)
        al_name(name, "%s.*", stack);
    else
        al_name(name, "%s.%d", stack, layer);
    return al_prefixed(buf, name_prefix, name);
}

char *al_encoder_layer_prefix(char buf[AL_NAME_SIZE], const char *name_prefix, int layer)
{
    return layer_prefix(buf, name_prefix, "enc", layer);
}

char *al_decoder_layer_prefix(char buf[AL_NAME_SIZE], const char *name_prefix, int layer)
{
    return layer_prefix(buf, name_prefix, "dec", layer);
}

char *al_decoder_input_prefix(char buf[AL_NAME_SIZE], const al_transformer *model,
                              const char *name_prefix)
{
    bool cross = model->config.family == AL_FAMILY_ENCODER_DECODER;
    return al_prefixed(buf, name_prefix, cross ? "dec." : "");
}

al_status al_transformer_encode(al_transformer_workspace *ws, const al_transformer *model,
                                const al_sequence *source, const char *name_prefix,
                                al_trace *trace, al_error *err)
{
    const al_model_config *c = &model->config;
    if (!has_encoder(model))
        return al_fail(err, AL_ERR_ARG, "a decoder-only model has no encoder");
    al_status status = al_check_sequence(source, model, ws->max_length, "source", err);
    if (status == AL_OK && c->family == AL_FAMILY_ENCODER_ONLY && source->ids[0] != AL_TOKEN_CLS)
        status = al_fail(err, AL_ERR_ARG, "an encoder-only model reads [CLS] first (its final "
                         "vector is the sentence's summary); the sentence starts with id %d",
                         source->ids[0]);
    if (status != AL_OK)
        return status;
    ws->source_length = 0;  /* no memory until the stack has run */
    al_layer_output x;
    status = al_stack_input_forward(&x, &ws->source, model, source, name_prefix, ws->table_name,
                                    trace, err);

    /* enc.0 .. enc.N-1: each layer reads the one before it */
    char name[AL_NAME_SIZE];
    for (int l = 0; l < c->encoder_layers && status == AL_OK; l++) {
        al_trace_at at = {.trace = trace, .name = al_encoder_layer_prefix(name, name_prefix, l)};
        al_layer_output y;
        status = al_encoder_layer_forward(&y, &ws->encoder[l], al_layer_output_named(&x),
                                          &model->encoder[l], c->norm, at, err);
        x = y;
    }
    if (status == AL_OK && c->norm == AL_NORM_PRE)
        status = final_norm(&x, &ws->encoder_norm, &ws->encoder_mean, &ws->encoder_var,
                            &model->encoder_norm, al_prefixed(name, name_prefix, "enc.norm"),
                            source->labels, trace, err);
    if (status != AL_OK)
        return status;
    ws->memory = x;
    ws->source_length = source->length;
    ws->source_labels = source->labels;
    ws->final = x;
    ws->final_labels = source->labels;
    return AL_OK;
}

al_status al_transformer_decode(al_transformer_workspace *ws, const al_transformer *model,
                                const al_sequence *decoder_input, const char *name_prefix,
                                al_trace *trace, al_error *err)
{
    const al_model_config *c = &model->config;
    bool cross = c->family == AL_FAMILY_ENCODER_DECODER;
    if (!has_decoder(model))
        return al_fail(err, AL_ERR_ARG, "an encoder-only model has no decoder");
    if (cross && ws->source_length == 0)
        return al_fail(err, AL_ERR_ARG, "the decoder attends to the encoder's output: encode "
                       "the source first");
    al_status status = al_check_sequence(decoder_input, model, ws->max_length,
                                         cross ? "target" : "sentence", err);
    if (status != AL_OK)
        return status;
    char input_prefix[AL_NAME_SIZE], name[AL_NAME_SIZE];
    al_decoder_input_prefix(input_prefix, model, name_prefix);
    al_layer_output x;
    status = al_stack_input_forward(&x, cross ? &ws->target : &ws->source, model,
                                    decoder_input, input_prefix, ws->table_name, trace, err);

    /* dec.0 .. dec.N-1, each attending to the encoder's memory if there is one */
    for (int l = 0; l < c->decoder_layers && status == AL_OK; l++) {
        al_trace_at at = {.trace = trace, .name = al_decoder_layer_prefix(name, name_prefix, l)};
        al_named memory = cross ? al_layer_output_named(&ws->memory) : (al_named){0};
        al_layer_output y;
        status = al_decoder_layer_forward(&y, &ws->decoder[l], al_layer_output_named(&x),
                                          memory, &model->decoder[l], c->norm, at, err);
        x = y;
    }
    if (status == AL_OK && c->norm == AL_NORM_PRE)
        status = final_norm(&x, &ws->decoder_norm, &ws->decoder_mean, &ws->decoder_var,
                            &model->decoder_norm, al_prefixed(name, name_prefix, "dec.norm"),
                            decoder_input->labels, trace, err);
    if (status != AL_OK)
        return status;
    ws->target_length = decoder_input->length;
    ws->final = x;
    ws->final_labels = decoder_input->labels;
    return AL_OK;
}

/* Which sequences a family reads, checked before anything is computed. */
static al_status check_inputs(const al_transformer_workspace *ws, const al_transformer *model,
                              const al_sequence *input, const al_sequence *target,
                              al_error *err)
{
    al_family family = model->config.family;
    if (!input)
        return al_fail(err, AL_ERR_ARG, "the model needs an input sequence");
    if (family == AL_FAMILY_ENCODER_DECODER && !target)
        return al_fail(err, AL_ERR_ARG, "an encoder-decoder model needs a target as well as "
                       "the source (<bos> to start)");
    if (family != AL_FAMILY_ENCODER_DECODER && target)
        return al_fail(err, AL_ERR_ARG, "an %s model reads one sequence; it takes no target",
                       al_family_name(family));
    al_status status = al_check_sequence(input, model, ws->max_length, "input", err);
    if (status == AL_OK && target)
        status = al_check_sequence(target, model, ws->max_length, "target", err);
    return status;
}

al_status al_transformer_forward(al_transformer_workspace *ws, const al_transformer *model,
                                 const al_sequence *input, const al_sequence *target,
                                 const char *const *words, al_trace *trace, al_error *err)
{
    al_status status = check_inputs(ws, model, input, target, err);
    if (status == AL_OK && has_encoder(model))
        status = al_transformer_encode(ws, model, input, NULL, trace, err);
    if (status == AL_OK && has_decoder(model))
        status = al_transformer_decode(ws, model, target ? target : input, NULL, trace, err);
    if (status == AL_OK)
        status = al_transformer_output(ws, model, words, NULL, trace, err);
    return status;
}
