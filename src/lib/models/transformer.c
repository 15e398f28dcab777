/* transformer.c: the forward pass of all three families through one code
 * path: an input layer, a stack of encoder layers and/or a stack of
 * decoder layers (each ending in a layer norm when pre-norm), then the
 * output layer. Which stacks run is the only difference between the
 * families; the layers are blocks.c, the input and output layers
 * transformer_inputs.c and output_layer.c. */
#include "attnlab/transformer.h"

#include <stdio.h>

#include "models/sublayer.h"
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
    return al_transformer_forward_prefixed(ws, model, input, target, words, NULL, trace, err);
}

al_status al_transformer_forward_prefixed(al_transformer_workspace *ws,
                                          const al_transformer *model,
                                          const al_sequence *input, const al_sequence *target,
                                          const char *const *words, const char *name_prefix,
                                          al_trace *trace, al_error *err)
{
    al_status status = check_inputs(ws, model, input, target, err);
    if (status == AL_OK && has_encoder(model))
        status = al_transformer_encode(ws, model, input, name_prefix, trace, err);
    if (status == AL_OK && has_decoder(model))
        status = al_transformer_decode(ws, model, target ? target : input, name_prefix, trace,
                                       err);
    if (status == AL_OK)
        status = al_transformer_output(ws, model, words, name_prefix, trace, err);
    return status;
}

/* --- backward ------------------------------------------------------------------ */

/* Which stack: the encoder's (reading the source) or the decoder's
 * (reading the target in an encoder-decoder model, else the sentence). */
typedef struct stack {
    bool encoder;
    int layers, length;
    const al_stack_input *in;
    bool packed;                 /* several sequences (in->blocks), or one */
    al_layer_blocks blocks;
} stack;

static stack stack_of(const al_transformer_workspace *ws, const al_transformer *model,
                      bool encoder, int length, bool packed)
{
    const al_model_config *c = &model->config;
    bool cross = c->family == AL_FAMILY_ENCODER_DECODER;
    stack st = {.encoder = encoder, .length = length, .packed = packed,
                .layers = encoder ? c->encoder_layers : c->decoder_layers,
                .in = encoder || !cross ? &ws->source : &ws->target};
    if (packed)
        st.blocks = (al_layer_blocks){.rows = &st.in->blocks,
                                      .memory = cross && !encoder ? &ws->source.blocks : NULL};
    return st;
}

/* What layer l of the stack read: the stack's input for l = 0, else what
 * layer l - 1 wrote (its last sublayer's result). l = layers gives the
 * last layer's output. */
static al_matrix layer_input(const al_transformer_workspace *ws, const al_transformer *model,
                             const stack *st, int l)
{
    if (l == 0)
        return al_matrix_rows(model->config.embedding_norm ? &st->in->norm : &st->in->x, 0,
                              st->length);
    const al_sublayer_workspace *last = st->encoder ? &ws->encoder[l - 1].ffn
                                                    : &ws->decoder[l - 1].ffn;
    return al_sublayer_result(last, model->config.norm, st->length);
}

/* The stack's final layer norm (pre-norm only), on d in place. */
static al_status final_norm_backward(al_transformer *grad, al_matrix *d,
                                     const al_transformer_workspace *ws,
                                     const al_transformer *model, const stack *st,
                                     al_error *err)
{
    bool e = st->encoder;
    al_matrix last = layer_input(ws, model, st, st->layers);
    al_matrix mean = al_matrix_rows(e ? &ws->encoder_mean : &ws->decoder_mean, 0, st->length);
    al_matrix var = al_matrix_rows(e ? &ws->encoder_var : &ws->decoder_var, 0, st->length);
    return al_layer_norm_backward(d, e ? &grad->encoder_norm : &grad->decoder_norm, d, &last,
                                  &mean, &var, e ? &model->encoder_norm : &model->decoder_norm,
                                  err);
}

/* One stack from the gradient of its output (d_top, changed) down to its
 * input: the final norm (pre-norm), each layer last first, then the
 * embeddings of seq. The decoder's layers add the memory's gradient into
 * d_memory (encoder-decoder only; else NULL). */
static al_status stack_backward(al_transformer *grad, al_transformer_backward_workspace *bw,
                                al_matrix *d_top, al_matrix *d_memory,
                                const al_transformer_workspace *ws,
                                const al_transformer *model, const stack *st,
                                const al_sequence *seq, al_error *err)
{
    const al_model_config *c = &model->config;
    al_status status = c->norm == AL_NORM_PRE
                           ? final_norm_backward(grad, d_top, ws, model, st, err)
                           : AL_OK;
    /* the layers, last first: dy -> dx, dx becoming the next one's dy */
    al_matrix d_a = al_matrix_rows(&bw->d_a, 0, st->length);
    al_matrix d_b = al_matrix_rows(&bw->d_b, 0, st->length);
    const al_matrix *memory = d_memory ? &ws->memory.value : NULL;
    const al_matrix *dy = d_top;
    al_matrix *dx = &d_a;
    for (int l = st->layers - 1; l >= 0 && status == AL_OK; l--) {
        al_matrix x = layer_input(ws, model, st, l);
        status = st->encoder
                     ? al_encoder_layer_backward_packed(dx, &grad->encoder[l], &bw->layer, dy,
                                                        &ws->encoder[l], &x, st->blocks,
                                                        &model->encoder[l], c->norm, err)
                     : al_decoder_layer_backward_packed(dx, d_memory, &grad->decoder[l],
                                                        &bw->layer, dy, &ws->decoder[l], &x,
                                                        memory, st->blocks, &model->decoder[l],
                                                        c->norm, err);
        dy = dx;
        dx = dx == &d_a ? &d_b : &d_a;
    }
    /* the input layer: embeddings, positions, segments (and their norm) */
    al_matrix d_input = *dy;
    if (status == AL_OK && st->packed)
        return al_stack_input_backward_packed(grad, &d_input, st->in, model, err);
    if (status == AL_OK)
        status = al_stack_input_backward(grad, &d_input, st->in, model, seq, err);
    return status;
}

/* Both backward passes from the logits: the output layer, then the one
 * stack, or the decoder (adding the memory's gradient, block b's into the
 * rows of source b when packed) and then the encoder from it. input and
 * target are the sequences the stacks read (NULL when packed). */
static al_status backward_from_output(al_transformer *grad,
                                      al_transformer_backward_workspace *bw,
                                      const al_matrix *dlogits,
                                      const al_transformer_workspace *ws,
                                      const al_transformer *model, int length,
                                      int source_length, bool packed,
                                      const al_sequence *input, const al_sequence *target,
                                      al_error *err)
{
    bool cross = model->config.family == AL_FAMILY_ENCODER_DECODER;
    al_matrix d_final = al_matrix_rows(&bw->d_final, 0, length);
    al_status status = al_output_backward(&d_final, grad, dlogits, &ws->final.value, model,
                                          err);
    if (status != AL_OK)
        return status;
    if (!cross) {
        stack only = stack_of(ws, model, has_encoder(model), length, packed);
        return stack_backward(grad, bw, &d_final, NULL, ws, model, &only, input, err);
    }
    al_matrix d_memory = al_matrix_rows(&bw->d_memory, 0, source_length);
    al_fill(&d_memory, 0.0f);
    stack decoder = stack_of(ws, model, false, length, packed);
    stack encoder = stack_of(ws, model, true, source_length, packed);
    status = stack_backward(grad, bw, &d_final, &d_memory, ws, model, &decoder, target, err);
    if (status == AL_OK)
        status = stack_backward(grad, bw, &d_memory, NULL, ws, model, &encoder, input, err);
    return status;
}

al_status al_transformer_backward(al_transformer *grad, al_transformer_backward_workspace *bw,
                                  const al_matrix *dlogits, const al_transformer_workspace *ws,
                                  const al_transformer *model, const al_sequence *input,
                                  const al_sequence *target, al_error *err)
{
    const al_model_config *c = &model->config;
    bool cross = c->family == AL_FAMILY_ENCODER_DECODER;
    const al_sequence *read_last = cross ? target : input;
    if (!read_last)
        return al_fail(err, AL_ERR_ARG, "backward: an encoder-decoder model needs the target "
                       "its decoder read");
    int length = read_last->length;
    if (ws->final.value.rows != length || dlogits->rows != length ||
        dlogits->cols != c->vocab_size)
        return al_fail(err, AL_ERR_SHAPE, "backward: the last pass read %d tokens; dlogits "
                       "must be %d x %d, not %d x %d", ws->final.value.rows, length,
                       c->vocab_size, dlogits->rows, dlogits->cols);
    if (cross && (ws->source_length != input->length || input->length > bw->d_memory.rows))
        return al_fail(err, AL_ERR_SHAPE, "backward: the encoder read %d tokens, the source "
                       "has %d", ws->source_length, input->length);

    return backward_from_output(grad, bw, dlogits, ws, model, length, input->length, false,
                                input, target, err);
}

/* --- packed passes ------------------------------------------------------------ */

/* Every sequence usable (as al_check_sequence), and all of them together
 * within the workspace's rows; *total receives their tokens. */
static al_status check_packed(int *total, const al_transformer_workspace *ws,
                              const al_transformer *model, const al_sequence *seqs, int count,
                              const char *what, al_error *err)
{
    if (!seqs || count < 1)
        return al_fail(err, AL_ERR_ARG, "a packed pass needs at least one %s", what);
    *total = 0;
    for (int b = 0; b < count; b++) {
        al_status status = al_check_sequence(&seqs[b], model, ws->max_length, what, err);
        if (status != AL_OK)
            return status;
        if (model->config.family == AL_FAMILY_ENCODER_ONLY && seqs[b].ids[0] != AL_TOKEN_CLS)
            return al_fail(err, AL_ERR_ARG, "an encoder-only model reads [CLS] first; "
                           "sentence %d starts with id %d", b, seqs[b].ids[0]);
        *total += seqs[b].length;
    }
    if (*total > ws->max_tokens)
        return al_fail(err, AL_ERR_SHAPE, "the %d %ss hold %d tokens; the workspace holds %d",
                       count, what, *total, ws->max_tokens);
    return AL_OK;
}

/* One stack on packed sequences: its input layer, each layer (block b of
 * the decoder's rows attending to block b of ws->memory), then the final
 * norm (pre-norm). */
static al_status stack_forward_packed(al_layer_output *x, al_transformer_workspace *ws,
                                      const al_transformer *model, bool encoder,
                                      const al_sequence *seqs, int count, al_error *err)
{
    const al_model_config *c = &model->config;
    stack st = stack_of(ws, model, encoder, 0, true);
    al_stack_input *in = encoder || c->family != AL_FAMILY_ENCODER_DECODER ? &ws->source
                                                                           : &ws->target;
    al_status status = al_stack_input_forward_packed(x, in, model, seqs, count, err);
    const al_matrix *memory = st.blocks.memory ? &ws->memory.value : NULL;
    for (int l = 0; l < st.layers && status == AL_OK; l++) {
        al_layer_output y;
        status = encoder ? al_encoder_layer_forward_packed(&y, &ws->encoder[l], &x->value,
                                                           st.blocks, &model->encoder[l],
                                                           c->norm, err)
                         : al_decoder_layer_forward_packed(&y, &ws->decoder[l], &x->value,
                                                           memory, st.blocks,
                                                           &model->decoder[l], c->norm, err);
        *x = y;
    }
    if (status != AL_OK || c->norm != AL_NORM_PRE)
        return status;
    return encoder ? final_norm(x, &ws->encoder_norm, &ws->encoder_mean, &ws->encoder_var,
                                &model->encoder_norm, "", NULL, NULL, err)
                   : final_norm(x, &ws->decoder_norm, &ws->decoder_mean, &ws->decoder_var,
                                &model->decoder_norm, "", NULL, NULL, err);
}

al_status al_transformer_forward_packed(al_transformer_workspace *ws,
                                        const al_transformer *model,
                                        const al_sequence *inputs, const al_sequence *targets,
                                        int count, al_error *err)
{
    bool cross = model->config.family == AL_FAMILY_ENCODER_DECODER;
    if (cross != (targets != NULL))
        return al_fail(err, AL_ERR_ARG, cross ? "an encoder-decoder model needs targets as "
                       "well as sources" : "a single-stack model takes no targets");
    int input_total = 0, target_total = 0;
    al_status status = check_packed(&input_total, ws, model, inputs, count, "input", err);
    if (status == AL_OK && cross)
        status = check_packed(&target_total, ws, model, targets, count, "target", err);
    if (status != AL_OK)
        return status;
    ws->source_length = 0;
    ws->final = (al_layer_output){0};
    al_layer_output x = {0};
    if (has_encoder(model))
        status = stack_forward_packed(&x, ws, model, true, inputs, count, err);
    if (status == AL_OK && has_encoder(model)) {
        ws->memory = x;
        ws->source_length = input_total;
    }
    if (status == AL_OK && has_decoder(model))
        status = stack_forward_packed(&x, ws, model, false, cross ? targets : inputs, count,
                                      err);
    if (status != AL_OK)
        return status;
    ws->target_length = cross ? target_total : input_total;
    ws->final = x;
    ws->final_labels = ws->source_labels = NULL;
    return al_output_logits(ws, model, err);
}

al_status al_transformer_backward_packed(al_transformer *grad,
                                         al_transformer_backward_workspace *bw,
                                         const al_matrix *dlogits,
                                         const al_transformer_workspace *ws,
                                         const al_transformer *model,
                                         const al_sequence *inputs,
                                         const al_sequence *targets, int count, al_error *err)
{
    const al_model_config *c = &model->config;
    bool cross = c->family == AL_FAMILY_ENCODER_DECODER;
    const al_stack_input *last = cross ? &ws->target : &ws->source;
    int length = ws->final.value.rows, total = 0;
    for (int b = 0; b < count; b++)
        total += (cross ? targets : inputs)[b].length;
    if (last->blocks.count != count || total != length || dlogits->rows != length ||
        dlogits->cols != c->vocab_size || length > bw->d_final.rows)
        return al_fail(err, AL_ERR_SHAPE, "packed backward: the last pass read %d sequences, "
                       "%d tokens; dlogits must be %d x %d, not %d x %d", last->blocks.count,
                       length, length, c->vocab_size, dlogits->rows, dlogits->cols);
    if (cross && ws->source_length > bw->d_memory.rows)
        return al_fail(err, AL_ERR_SHAPE, "packed backward: %d source tokens; the backward "
                       "workspace holds %d", ws->source_length, bw->d_memory.rows);

    return backward_from_output(grad, bw, dlogits, ws, model, length, ws->source_length, true,
                                NULL, NULL, err);
}
