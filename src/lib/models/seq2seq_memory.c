/* seq2seq_memory.c: the RNN seq2seq model's parameters (allocated from
 * its configuration, seeded, found by name, read from text tables) and
 * the workspace of its pass. No maths beyond the seeded start; the pass
 * is seq2seq.c. */
#include "attnlab/seq2seq.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnlab/table_file.h"

/* --- the parameters by name ------------------------------------------------------ */

enum { MAX_PARAMS = 32 };

typedef struct named_param {
    char name[AL_NAME_SIZE];
    al_matrix *m;
} named_param;

static int add_cell(named_param *list, int count, const char *prefix, al_rnn_cell *cell)
{
    const char *suffixes[] = {"w_x", "w_h", "b",    "w_xz", "w_hz",
                              "b_z", "w_xr", "w_hr", "b_r", "b_hn"};
    al_matrix *all[] = {&cell->w_x, &cell->w_h, &cell->b, &cell->w_xz, &cell->w_hz,
                        &cell->b_z, &cell->w_xr, &cell->w_hr, &cell->b_r, &cell->b_hn};
    for (int k = 0; k < 10; k++)
        if (all[k]->data) {
            al_name(list[count].name, "%s.%s", prefix, suffixes[k]);
            list[count++].m = all[k];
        }
    return count;
}

/* Every allocated parameter with its name, in the order of the struct. */
static int list_params(named_param *list, al_seq2seq *m)
{
    int count = 0;
    al_name(list[count].name, "s2s.enc.embed.table"), list[count++].m = &m->source_embed.table;
    count = add_cell(list, count, "s2s.enc", &m->encoder);
    al_name(list[count].name, "s2s.dec.embed.table"), list[count++].m = &m->target_embed.table;
    count = add_cell(list, count, "s2s.dec", &m->decoder);
    const char *names[] = {"s2s.attn.w_q", "s2s.attn.w_k", "s2s.attn.v_a", "s2s.attn.w_a",
                           "s2s.output.w", "s2s.output.b"};
    al_matrix *rest[] = {&m->attn_w_q, &m->attn_w_k, &m->attn_v_a, &m->attn_w_a,
                         &m->output.w, &m->output.b};
    for (int k = 0; k < 6; k++)
        if (rest[k]->data) {
            al_name(list[count].name, "%s", names[k]);
            list[count++].m = rest[k];
        }
    return count;
}

int al_seq2seq_param_list(al_seq2seq *model, al_matrix **values, char (*names)[AL_NAME_SIZE],
                          int max)
{
    named_param list[MAX_PARAMS];
    int count = list_params(list, model);
    for (int k = 0; k < count && k < max; k++) {
        if (values)
            values[k] = list[k].m;
        if (names)
            memcpy(names[k], list[k].name, AL_NAME_SIZE);
    }
    return count;
}

al_matrix *al_seq2seq_param(al_seq2seq *model, const char *name)
{
    named_param list[MAX_PARAMS];
    int count = list_params(list, model);
    for (int k = 0; k < count; k++)
        if (strcmp(list[k].name, name) == 0)
            return list[k].m;
    return NULL;
}

/* --- allocating and initialising ---------------------------------------------------- */

void al_seq2seq_free(al_seq2seq *model)
{
    al_embedding_free(&model->source_embed);
    al_rnn_cell_free(&model->encoder);
    al_embedding_free(&model->target_embed);
    al_rnn_cell_free(&model->decoder);
    al_matrix *rest[] = {&model->attn_w_q, &model->attn_w_k, &model->attn_v_a,
                         &model->attn_w_a};
    for (int k = 0; k < 4; k++)
        al_matrix_free(rest[k]);
    al_linear_free(&model->output);
    *model = (al_seq2seq){0};
}

static al_status check_config(const al_seq2seq_config *c, al_error *err)
{
    if (c->d_embed < 1 || c->d_hidden < 1 || c->d_embed > 100000 || c->d_hidden > 100000)
        return al_fail(err, AL_ERR_VALUE, "seq2seq: d_embed and d_hidden must be between 1 and "
                       "100000, not %d and %d", c->d_embed, c->d_hidden);
    if (c->vocab_size <= AL_SPECIAL_TOKENS || c->vocab_size > 10000000)
        return al_fail(err, AL_ERR_VALUE, "seq2seq: vocab_size must be more than the %d special "
                       "tokens, not %d", AL_SPECIAL_TOKENS, c->vocab_size);
    if ((unsigned)c->cell > AL_RNN_GRU_PYTORCH)
        return al_fail(err, AL_ERR_VALUE, "seq2seq: unknown cell %d", (int)c->cell);
    if (!c->attention)
        return AL_OK;
    if (c->score != AL_SCORE_ADDITIVE && c->score != AL_SCORE_DOT &&
        c->score != AL_SCORE_GENERAL && c->score != AL_SCORE_SCALED_DOT)
        return al_fail(err, AL_ERR_VALUE, "seq2seq: attention scores are additive, dot, "
                       "scaled_dot or general, not %s", al_score_kind_name(c->score));
    if (c->score == AL_SCORE_ADDITIVE && (c->d_attention < 1 || c->d_attention > 100000))
        return al_fail(err, AL_ERR_VALUE, "seq2seq: additive attention needs d_attention "
                       "between 1 and 100000, not %d", c->d_attention);
    return AL_OK;
}

static al_status alloc_attention(al_seq2seq *m, al_error *err)
{
    const al_seq2seq_config *c = &m->config;
    int d_h = c->d_hidden;
    if (!c->attention)
        return AL_OK;
    if (c->score == AL_SCORE_GENERAL)
        return al_matrix_alloc(&m->attn_w_a, d_h, d_h, err);
    if (c->score != AL_SCORE_ADDITIVE)
        return AL_OK;
    al_status status = al_matrix_alloc(&m->attn_w_q, d_h, c->d_attention, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&m->attn_w_k, d_h, c->d_attention, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&m->attn_v_a, c->d_attention, 1, err);
    return status;
}

al_status al_seq2seq_alloc(al_seq2seq *model, const al_seq2seq_config *config, al_error *err)
{
    *model = (al_seq2seq){.config = *config};
    const al_seq2seq_config *c = config;
    al_status status = check_config(c, err);
    if (status == AL_OK)
        status = al_embedding_alloc(&model->source_embed, c->vocab_size, c->d_embed, err);
    if (status == AL_OK)
        status = al_rnn_cell_alloc(&model->encoder, c->cell, c->d_embed, c->d_hidden, err);
    if (status == AL_OK)
        status = al_embedding_alloc(&model->target_embed, c->vocab_size, c->d_embed, err);
    /* the decoder reads [word vector ; context] */
    if (status == AL_OK)
        status = al_rnn_cell_alloc(&model->decoder, c->cell, c->d_embed + c->d_hidden,
                                   c->d_hidden, err);
    if (status == AL_OK)
        status = alloc_attention(model, err);
    /* the output layer reads [state ; context] */
    if (status == AL_OK)
        status = al_linear_alloc(&model->output, 2 * c->d_hidden, c->vocab_size, true, err);
    if (status != AL_OK)
        al_seq2seq_free(model);
    return status;
}

static void glorot(al_matrix *m, al_rng *rng)
{
    float limit = sqrtf(6.0f / (float)(m->rows + m->cols));
    al_rng_fill_uniform(m, rng, -limit, limit);
}

void al_seq2seq_init(al_seq2seq *model, al_rng *rng)
{
    al_embedding_init(&model->source_embed, rng);
    al_rnn_cell_init(&model->encoder, rng);
    al_embedding_init(&model->target_embed, rng);
    al_rnn_cell_init(&model->decoder, rng);
    al_matrix *attention[] = {&model->attn_w_q, &model->attn_w_k, &model->attn_v_a,
                              &model->attn_w_a};
    for (int k = 0; k < 4; k++)
        if (attention[k]->data)
            glorot(attention[k], rng);
    al_linear_init(&model->output, rng);
}

/* --- text tables ------------------------------------------------------------------- */

/* An embedding table's rows must be the vocabulary's words, in id order. */
static al_status check_word_rows(const al_table *table, const al_vocab *vocab,
                                 const char *path, al_error *err)
{
    for (int id = 0; id < table->values.rows; id++)
        if (strcmp(table->row_labels[id], al_vocab_word(vocab, id)) != 0)
            return al_fail(err, AL_ERR_FORMAT, "%s: row %d is labelled '%s' but word %d of the "
                           "vocabulary is '%s'", path, id + 1, table->row_labels[id], id,
                           al_vocab_word(vocab, id));
    return AL_OK;
}

static al_status read_one(al_matrix *m, const char *name, const al_vocab *vocab,
                          const char *folder, al_error *err)
{
    char path[4096];
    int needed = snprintf(path, sizeof path, "%s/%s.txt", folder, name);
    if (needed < 0 || (size_t)needed >= sizeof path)
        return al_fail(err, AL_ERR_ARG, "seq2seq: the folder name is too long");
    FILE *probe = fopen(path, "r");
    if (!probe)
        return AL_OK; /* no file: the parameter keeps its value */
    fclose(probe);
    al_table table;
    al_status status = al_table_read(&table, path, err);
    if (status != AL_OK)
        return status;
    if (!al_same_shape(&table.values, m))
        status = al_fail(err, AL_ERR_SHAPE, "%s: the table is %d x %d but %s is %d x %d", path,
                         table.values.rows, table.values.cols, name, m->rows, m->cols);
    if (status == AL_OK && strstr(name, "embed.table"))
        status = check_word_rows(&table, vocab, path, err);
    if (status == AL_OK)
        status = al_copy(m, &table.values, err);
    al_table_free(&table);
    return status;
}

al_status al_seq2seq_read(al_seq2seq *model, const al_vocab *vocab, const char *folder,
                          al_error *err)
{
    if (vocab->size != model->config.vocab_size)
        return al_fail(err, AL_ERR_VALUE, "seq2seq: the vocabulary has %d words but the model "
                       "%d", vocab->size, model->config.vocab_size);
    named_param list[MAX_PARAMS];
    int count = list_params(list, model);
    al_status status = AL_OK;
    for (int k = 0; k < count && status == AL_OK; k++)
        status = read_one(list[k].m, list[k].name, vocab, folder, err);
    return status;
}

/* --- the workspace ------------------------------------------------------------------ */

void al_seq2seq_workspace_free(al_seq2seq_workspace *ws)
{
    al_matrix *all[] = {&ws->source_embed, &ws->encoder_states, &ws->zero_state,
                        &ws->target_embed, &ws->inputs, &ws->decoder_states, &ws->contexts,
                        &ws->readouts, &ws->logits, &ws->probs, &ws->alignment,
                        &ws->scores};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        al_matrix_free(all[k]);
    al_rnn_gates_free(&ws->encoder_gates);
    al_rnn_gates_free(&ws->decoder_gates);
    al_attention_steps_free(&ws->attention);
    free(ws->decoder_ids);
    free(ws->decoder_labels);
    free(ws->output_labels);
    *ws = (al_seq2seq_workspace){0};
}

/* The scoring the model's configuration describes, pointing at its
 * matrices. */
al_scoring al_seq2seq_scoring(const al_seq2seq *model)
{
    al_scoring scoring = al_scoring_scaled_dot();
    scoring.kind = model->config.score;
    scoring.w_q = &model->attn_w_q;
    scoring.w_k = &model->attn_w_k;
    scoring.v_a = &model->attn_v_a;
    scoring.w_a = &model->attn_w_a;
    return scoring;
}

static al_status alloc_rows(al_seq2seq_workspace *ws, const al_seq2seq *model, al_error *err)
{
    const al_seq2seq_config *c = &model->config;
    int d_e = c->d_embed, d_h = c->d_hidden, s = ws->max_source, t = ws->max_steps;
    const struct {
        al_matrix *m;
        int rows, cols;
    } all[] = {{&ws->source_embed, s, d_e},      {&ws->encoder_states, s, d_h},
               {&ws->zero_state, 1, d_h},        {&ws->target_embed, t, d_e},
               {&ws->inputs, t, d_e + d_h},      {&ws->decoder_states, t, d_h},
               {&ws->contexts, t, d_h},          {&ws->readouts, t, 2 * d_h},
               {&ws->logits, t, c->vocab_size},  {&ws->probs, t, c->vocab_size},
               {&ws->alignment, t, s}};
    al_status status = AL_OK;
    for (size_t k = 0; k < sizeof all / sizeof all[0] && status == AL_OK; k++)
        status = al_matrix_alloc(all[k].m, all[k].rows, all[k].cols, err);
    return status;
}

al_status al_seq2seq_workspace_alloc(al_seq2seq_workspace *ws, const al_seq2seq *model,
                                     int max_source, int max_steps, al_error *err)
{
    *ws = (al_seq2seq_workspace){.max_source = max_source, .max_steps = max_steps};
    if (max_source < 1 || max_steps < 1 || max_source > AL_MATRIX_MAX_DIM ||
        max_steps > AL_MATRIX_MAX_DIM)
        return al_fail(err, AL_ERR_ARG, "seq2seq workspace: cannot hold %d source tokens and "
                       "%d steps", max_source, max_steps);
    al_status status = alloc_rows(ws, model, err);
    if (status == AL_OK)
        status = al_rnn_gates_alloc(&ws->encoder_gates, &model->encoder, max_source, err);
    if (status == AL_OK)
        status = al_rnn_gates_alloc(&ws->decoder_gates, &model->decoder, max_steps, err);
    if (status == AL_OK && model->config.attention) {
        al_scoring scoring = al_seq2seq_scoring(model);
        status = al_attention_steps_alloc(&ws->attention, 1, max_source, &scoring, false, err);
        if (status == AL_OK)
            status = al_matrix_alloc(&ws->scores, max_steps, max_source, err);
    }
    ws->decoder_ids = malloc((size_t)max_steps * sizeof *ws->decoder_ids);
    ws->decoder_labels = malloc((size_t)max_steps * sizeof *ws->decoder_labels);
    ws->output_labels = malloc((size_t)max_steps * sizeof *ws->output_labels);
    if (status == AL_OK && (!ws->decoder_ids || !ws->decoder_labels || !ws->output_labels))
        status = al_fail(err, AL_ERR_NOMEM, "out of memory for %d decoder steps", max_steps);
    if (status != AL_OK)
        al_seq2seq_workspace_free(ws);
    return status;
}
