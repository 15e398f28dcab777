/* transformer_memory.c: allocating, initialising and freeing a whole
 * Transformer's parameters (in one place, from its configuration) and the
 * workspace of its forward pass. No maths beyond the seeded random start;
 * the pass is transformer.c, the tensors by name transformer_params.c. */
#include "attnlab/transformer.h"

#include <stdlib.h>

/* --- parameters ---------------------------------------------------------------- */

void al_transformer_free(al_transformer *model)
{
    al_embedding_free(&model->embed);
    al_matrix_free(&model->pos_table);
    al_embedding_free(&model->segment);
    al_layer_norm_free(&model->embed_norm);
    for (int l = 0; model->encoder && l < model->config.encoder_layers; l++)
        al_encoder_layer_free(&model->encoder[l]);
    for (int l = 0; model->decoder && l < model->config.decoder_layers; l++)
        al_decoder_layer_free(&model->decoder[l]);
    free(model->encoder);
    free(model->decoder);
    al_layer_norm_free(&model->encoder_norm);
    al_layer_norm_free(&model->decoder_norm);
    al_linear_free(&model->pooler);
    al_linear_free(&model->output);
    *model = (al_transformer){0};
}

/* embed.table, pos.table, segment.table, embed_norm */
static al_status alloc_inputs(al_transformer *m, al_error *err)
{
    const al_model_config *c = &m->config;
    al_status status = al_embedding_alloc(&m->embed, c->vocab_size, c->d_model, err);
    if (status == AL_OK && c->positions == AL_POSITIONS_LEARNED)
        status = al_matrix_alloc(&m->pos_table, c->max_positions, c->d_model, err);
    if (status == AL_OK && c->segments > 0)
        status = al_embedding_alloc(&m->segment, c->segments, c->d_model, err);
    if (status == AL_OK && c->embedding_norm)
        status = al_layer_norm_alloc(&m->embed_norm, c->d_model, c->norm_epsilon, err);
    return status;
}

/* The layers, zeroed first so that freeing a half-built stack is safe. */
static al_status alloc_stacks(al_transformer *m, al_error *err)
{
    const al_model_config *c = &m->config;
    m->encoder = calloc((size_t)c->encoder_layers + 1, sizeof *m->encoder);
    m->decoder = calloc((size_t)c->decoder_layers + 1, sizeof *m->decoder);
    if (!m->encoder || !m->decoder)
        return al_fail(err, AL_ERR_NOMEM, "out of memory for %d encoder and %d decoder layers",
                       c->encoder_layers, c->decoder_layers);
    al_status status = AL_OK;
    for (int l = 0; l < c->encoder_layers && status == AL_OK; l++)
        status = al_encoder_layer_alloc(&m->encoder[l], c, err);
    for (int l = 0; l < c->decoder_layers && status == AL_OK; l++)
        status = al_decoder_layer_alloc(&m->decoder[l], c, err);
    bool pre = c->norm == AL_NORM_PRE;
    if (status == AL_OK && pre && c->encoder_layers > 0)
        status = al_layer_norm_alloc(&m->encoder_norm, c->d_model, c->norm_epsilon, err);
    if (status == AL_OK && pre && c->decoder_layers > 0)
        status = al_layer_norm_alloc(&m->decoder_norm, c->d_model, c->norm_epsilon, err);
    return status;
}

/* pooler.w, pooler.b; logits.w (unless tied), logits.b */
static al_status alloc_outputs(al_transformer *m, al_error *err)
{
    const al_model_config *c = &m->config;
    al_status status = AL_OK;
    if (c->pooler)
        status = al_linear_alloc(&m->pooler, c->d_model, c->d_model, true, err);
    if (status == AL_OK && !c->tied_output)
        status = al_matrix_alloc(&m->output.w, c->d_model, c->vocab_size, err);
    if (status == AL_OK && c->output_bias)
        status = al_matrix_alloc(&m->output.b, 1, c->vocab_size, err);
    return status;
}

al_status al_transformer_alloc(al_transformer *model, const al_model_config *config,
                               al_error *err)
{
    *model = (al_transformer){.config = *config};
    al_status status = al_model_config_check(config, err);
    if (status == AL_OK)
        status = alloc_inputs(model, err);
    if (status == AL_OK)
        status = alloc_stacks(model, err);
    if (status == AL_OK)
        status = alloc_outputs(model, err);
    if (status != AL_OK)
        al_transformer_free(model);
    return status;
}

void al_transformer_init(al_transformer *model, al_rng *rng)
{
    const al_model_config *c = &model->config;
    al_embedding_init(&model->embed, rng);
    if (model->pos_table.data)
        al_rng_fill_normal(&model->pos_table, rng, 0.0f, 1.0f);
    if (model->segment.table.data)
        al_embedding_init(&model->segment, rng);
    for (int l = 0; l < c->encoder_layers; l++)
        al_encoder_layer_init(&model->encoder[l], rng);
    for (int l = 0; l < c->decoder_layers; l++)
        al_decoder_layer_init(&model->decoder[l], rng);
    if (c->pooler)
        al_linear_init(&model->pooler, rng);
    if (model->output.w.data)
        al_linear_init(&model->output, rng);
}

/* --- workspace ------------------------------------------------------------------ */

static void free_stack_input(al_stack_input *in)
{
    al_matrix *all[] = {&in->embed, &in->pos, &in->segment, &in->x,
                        &in->norm, &in->mean, &in->var};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        al_matrix_free(all[i]);
    free(in->no_segments), free(in->ids), free(in->segments), free(in->rows);
    in->no_segments = in->ids = in->segments = in->rows = NULL;
}

static al_status alloc_stack_input(al_stack_input *in, const al_model_config *c, int rows,
                                   al_error *err)
{
    al_matrix *wide[] = {&in->embed, &in->pos, &in->segment, &in->x, &in->norm};
    al_status status = AL_OK;
    for (int i = 0; i < 5 && status == AL_OK; i++)
        status = al_matrix_alloc(wide[i], rows, c->d_model, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&in->mean, rows, 1, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&in->var, rows, 1, err);
    int **ids[] = {&in->no_segments, &in->ids, &in->segments, &in->rows};
    for (int i = 0; i < 4 && status == AL_OK; i++)
        if (!(*ids[i] = calloc((size_t)rows, sizeof(int))))
            status = al_fail(err, AL_ERR_NOMEM, "out of memory for %d token ids", rows);
    return status;
}

void al_transformer_workspace_free(al_transformer_workspace *ws)
{
    free_stack_input(&ws->source);
    free_stack_input(&ws->target);
    for (int l = 0; ws->encoder && ws->encoder[l].attn.out.data; l++)
        al_encoder_layer_workspace_free(&ws->encoder[l]);
    for (int l = 0; ws->decoder && ws->decoder[l].self_attn.out.data; l++)
        al_decoder_layer_workspace_free(&ws->decoder[l]);
    free(ws->encoder);
    free(ws->decoder);
    al_matrix *all[] = {&ws->encoder_norm, &ws->encoder_mean, &ws->encoder_var,
                        &ws->decoder_norm, &ws->decoder_mean, &ws->decoder_var,
                        &ws->logits, &ws->probs, &ws->cls, &ws->pooler_pre, &ws->pooled};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        al_matrix_free(all[i]);
    *ws = (al_transformer_workspace){0};
}

/* One workspace per layer; the arrays have one spare, empty entry at the
 * end, which is where freeing stops. */
static al_status alloc_layers(al_transformer_workspace *ws, const al_transformer *model,
                              al_error *err)
{
    const al_model_config *c = &model->config;
    int max = ws->max_length, rows = ws->max_tokens;
    ws->encoder = calloc((size_t)c->encoder_layers + 1, sizeof *ws->encoder);
    ws->decoder = calloc((size_t)c->decoder_layers + 1, sizeof *ws->decoder);
    if (!ws->encoder || !ws->decoder)
        return al_fail(err, AL_ERR_NOMEM, "out of memory for the layers' workspaces");
    al_status status = AL_OK;
    for (int l = 0; l < c->encoder_layers && status == AL_OK; l++)
        status = al_encoder_layer_workspace_alloc_packed(&ws->encoder[l], &model->encoder[l],
                                                         rows, max, err);
    for (int l = 0; l < c->decoder_layers && status == AL_OK; l++)
        status = al_decoder_layer_workspace_alloc_packed(&ws->decoder[l], &model->decoder[l],
                                                         rows, max, rows, max, err);
    return status;
}

al_status al_transformer_workspace_alloc(al_transformer_workspace *ws,
                                         const al_transformer *model, int max_length,
                                         al_error *err)
{
    return al_transformer_workspace_alloc_packed(ws, model, max_length, max_length, err);
}

al_status al_transformer_workspace_alloc_packed(al_transformer_workspace *ws,
                                                const al_transformer *model, int max_length,
                                                int max_tokens, al_error *err)
{
    const al_model_config *c = &model->config;
    *ws = (al_transformer_workspace){.max_length = max_length, .max_tokens = max_tokens};
    if (max_length < 1 || max_length > AL_MATRIX_MAX_DIM / AL_MAX_HEADS)
        return al_fail(err, AL_ERR_ARG, "transformer workspace: max_length must be between 1 "
                       "and %d, not %d", AL_MATRIX_MAX_DIM / AL_MAX_HEADS, max_length);
    if (max_tokens < max_length || max_tokens > AL_MATRIX_MAX_DIM / AL_MAX_HEADS)
        return al_fail(err, AL_ERR_ARG, "transformer workspace: max_tokens must be between %d "
                       "and %d, not %d", max_length, AL_MATRIX_MAX_DIM / AL_MAX_HEADS,
                       max_tokens);
    int max = max_tokens;
    al_status status = alloc_stack_input(&ws->source, c, max, err);
    if (status == AL_OK && c->family == AL_FAMILY_ENCODER_DECODER)
        status = alloc_stack_input(&ws->target, c, max, err);
    if (status == AL_OK)
        status = alloc_layers(ws, model, err);
    al_matrix *wide[] = {&ws->encoder_norm, &ws->decoder_norm};
    al_matrix *narrow[] = {&ws->encoder_mean, &ws->encoder_var, &ws->decoder_mean,
                           &ws->decoder_var};
    for (int i = 0; i < 2 && status == AL_OK; i++)
        status = al_matrix_alloc(wide[i], max, c->d_model, err);
    for (int i = 0; i < 4 && status == AL_OK; i++)
        status = al_matrix_alloc(narrow[i], max, 1, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&ws->logits, max, c->vocab_size, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&ws->probs, max, c->vocab_size, err);
    al_matrix *summary[] = {&ws->cls, &ws->pooler_pre, &ws->pooled};
    for (int i = 0; i < 3 && status == AL_OK; i++)
        status = al_matrix_alloc(summary[i], 1, c->d_model, err);
    if (status != AL_OK)
        al_transformer_workspace_free(ws);
    return status;
}

void al_transformer_backward_workspace_free(al_transformer_backward_workspace *bw)
{
    al_layer_backward_workspace_free(&bw->layer);
    al_matrix_free(&bw->d_final);
    al_matrix_free(&bw->d_memory);
    al_matrix_free(&bw->d_a);
    al_matrix_free(&bw->d_b);
}

al_status al_transformer_backward_workspace_alloc(al_transformer_backward_workspace *bw,
                                                  const al_transformer *model, int max_length,
                                                  al_error *err)
{
    *bw = (al_transformer_backward_workspace){0};
    const al_model_config *c = &model->config;
    const al_attention_params *attn = c->decoder_layers > 0 ? &model->decoder[0].self_attn
                                    : c->encoder_layers > 0 ? &model->encoder[0].attn
                                                            : NULL;
    const al_feed_forward *ffn = c->encoder_layers > 0 ? &model->encoder[0].ffn
                               : c->decoder_layers > 0 ? &model->decoder[0].ffn
                                                       : NULL;
    al_status status = al_matrix_alloc(&bw->d_final, max_length, c->d_model, err);
    if (status == AL_OK && c->family == AL_FAMILY_ENCODER_DECODER)
        status = al_matrix_alloc(&bw->d_memory, max_length, c->d_model, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&bw->d_a, max_length, c->d_model, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&bw->d_b, max_length, c->d_model, err);
    if (status == AL_OK && attn)
        status = al_layer_backward_workspace_alloc(&bw->layer, attn, ffn->first.w.cols,
                                                   max_length, max_length, err);
    if (status != AL_OK)
        al_transformer_backward_workspace_free(bw);
    return status;
}
