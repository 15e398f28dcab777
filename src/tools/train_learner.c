/* train_learner.c: one face for the models attnlab-train trains
 * (train_learner.h). */
#include "train_learner.h"

#include <stdlib.h>
#include <string.h>

#include "attnlab/seq2seq_file.h"

static al_status transformer_init(learner *l, const learner_config *c, al_rng *rng,
                                  al_error *err)
{
    bool encoder = strcmp(c->family, "encoder-only") == 0, decoder = !encoder;
    al_family family = encoder ? AL_FAMILY_ENCODER_ONLY : AL_FAMILY_DECODER_ONLY;
    if (strcmp(c->family, "encoder-decoder") == 0)
        family = AL_FAMILY_ENCODER_DECODER, encoder = decoder = true;
    al_model_config config = {
        .family = family, .norm = AL_NORM_PRE, .d_model = c->d_model, .heads = c->heads,
        .encoder_layers = encoder ? c->layers : 0, .decoder_layers = decoder ? c->layers : 0,
        .d_ff = c->d_ff ? c->d_ff : 4 * c->d_model, .vocab_size = c->vocab_size,
        .positions = AL_POSITIONS_LEARNED, .max_positions = c->context, .biases = true,
        .tied_output = true, .norm_epsilon = AL_LAYER_NORM_EPSILON};
    al_status status = al_transformer_alloc(&l->transformer, &config, err);
    if (status != AL_OK)
        return status;
    al_transformer_init(&l->transformer, rng);
    al_scale(&l->transformer.embed.table, &l->transformer.embed.table, 0.02f, NULL);
    al_scale(&l->transformer.pos_table, &l->transformer.pos_table, 0.02f, NULL);
    return al_trainer_alloc(&l->trainer, &l->transformer, c->context, err);
}

static al_status rnn_init(learner *l, const learner_config *c, al_rng *rng, al_error *err)
{
    al_seq2seq_config config = {
        .cell = strcmp(c->cell, "elman") == 0 ? AL_RNN_ELMAN
              : strcmp(c->cell, "gru-pytorch") == 0 ? AL_RNN_GRU_PYTORCH : AL_RNN_GRU,
        .vocab_size = c->vocab_size, .d_embed = c->d_embed ? c->d_embed : c->d_model,
        .d_hidden = c->d_model, .attention = strcmp(c->score, "none") != 0,
        .score = strcmp(c->score, "dot") == 0 ? AL_SCORE_DOT
               : strcmp(c->score, "scaled-dot") == 0 ? AL_SCORE_SCALED_DOT
               : strcmp(c->score, "general") == 0 ? AL_SCORE_GENERAL : AL_SCORE_ADDITIVE,
        .d_attention = c->d_model};
    al_status status = al_seq2seq_alloc(&l->seq2seq, &config, err);
    if (status != AL_OK)
        return status;
    al_seq2seq_init(&l->seq2seq, rng);
    return al_seq2seq_trainer_alloc(&l->s2s_trainer, &l->seq2seq, c->context, c->context,
                                    err);
}

al_status learner_init(learner *l, const learner_config *c, al_rng *rng, int max_batch,
                       al_error *err)
{
    *l = (learner){.rnn = strcmp(c->family, "rnn-seq2seq") == 0, .max_batch = max_batch};
    if (!l->rnn)
        return transformer_init(l, c, rng, err);
    l->pairs = calloc((size_t)max_batch, sizeof *l->pairs);
    if (!l->pairs)
        return al_fail(err, AL_ERR_NOMEM, "no memory for %d pairs", max_batch);
    return rnn_init(l, c, rng, err);
}

void learner_free(learner *l)
{
    al_trainer_free(&l->trainer);
    al_transformer_free(&l->transformer);
    al_seq2seq_trainer_free(&l->s2s_trainer);
    al_seq2seq_free(&l->seq2seq);
    free(l->pairs);
    *l = (learner){0};
}

/* The items as the RNN's pairs: the source, and the words to write (the
 * decoder reads <bos> and all but the last of them: seq2seq_train.h). */
static const al_seq2seq_pair *as_pairs(learner *l, const al_batch_item *batch, int count)
{
    for (int b = 0; b < count && b < l->max_batch; b++)
        l->pairs[b] = (al_seq2seq_pair){
            .source = batch[b].source,
            .target = {.length = batch[b].input.length, .ids = batch[b].targets}};
    return l->pairs;
}

al_status learner_step(learner *l, const al_batch_item *batch, int count,
                       const al_train_settings *settings, const char *const *words,
                       al_trace *trace, double *loss, al_error *err)
{
    if (l->rnn)
        return al_seq2seq_train_step_traced(&l->s2s_trainer, &l->seq2seq,
                                            as_pairs(l, batch, count), count, settings, loss,
                                            NULL, words, trace, err);
    return al_train_step_traced(&l->trainer, &l->transformer, batch, count, settings, loss,
                                NULL, words, trace, err);
}

al_status learner_evaluate(learner *l, const al_batch_item *batch, int count, double *loss,
                           al_error *err)
{
    if (l->rnn)
        return al_seq2seq_evaluate(&l->s2s_trainer, &l->seq2seq, as_pairs(l, batch, count),
                                   count, loss, err);
    return al_evaluate(&l->trainer, &l->transformer, batch, count, loss, err);
}

al_status learner_save(const learner *l, const al_vocab *vocab, const char *path,
                       const al_metadata_entry *record, int record_count, al_error *err)
{
    if (l->rnn)
        return al_seq2seq_file_write_with(path, &l->seq2seq, vocab, record, record_count,
                                          err);
    return al_transformer_save_with(&l->transformer, vocab, path, record, record_count, err);
}

train_tensors learner_tensors(const learner *l)
{
    if (l->rnn)
        return (train_tensors){.count = l->s2s_trainer.count,
                               .names = (const char(*)[AL_NAME_SIZE])l->s2s_trainer.names,
                               .params = l->s2s_trainer.params, .ms = l->s2s_trainer.ms,
                               .vs = l->s2s_trainer.vs};
    return (train_tensors){.count = l->trainer.count,
                           .names = (const char(*)[AL_NAME_SIZE])l->trainer.names,
                           .params = l->trainer.params, .ms = l->trainer.ms,
                           .vs = l->trainer.vs};
}

void learner_set_step(learner *l, long step)
{
    if (l->rnn)
        l->s2s_trainer.step = step;
    else
        l->trainer.step = step;
}
