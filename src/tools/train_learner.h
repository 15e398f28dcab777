/* train_learner.h: the model attnlab-train trains, whichever kind it is: a
 * Transformer (transformer.h, trained by train.h) or the RNN seq2seq with
 * attention (seq2seq.h, trained by seq2seq_train.h), behind one set of
 * calls, so that the training loop reads the same for every family.
 * Program code over the library: it builds, steps, saves; it prints
 * nothing. */
#ifndef TOOLS_TRAIN_LEARNER_H
#define TOOLS_TRAIN_LEARNER_H

#include "attnlab/seq2seq_train.h"
#include "attnlab/train.h"
#include "train_checkpoint.h"

/* What to build. family: "decoder-only", "encoder-only", "encoder-decoder"
 * or "rnn-seq2seq". The Transformers: pre-norm, learned positions up to
 * context, biases, the output tied to the embeddings. The RNN: cell
 * ("elman", "gru", "gru-pytorch") in encoder and decoder, d_hidden =
 * d_model, word vectors of d_embed, score "additive" (d_a = d_model),
 * "dot", "scaled-dot", "general" or "none" (no attention: the bottleneck). */
typedef struct learner_config {
    const char *family;
    int vocab_size, d_model, heads, layers, d_ff, context;
    const char *cell, *score;
    int d_embed;
} learner_config;

typedef struct learner {
    bool rnn;
    al_transformer transformer;
    al_trainer trainer;
    al_seq2seq seq2seq;
    al_seq2seq_trainer s2s_trainer;
    al_seq2seq_pair *pairs;   /* a batch's items as pairs (max_batch) */
    int max_batch;
} learner;

/* Build and initialise from rng (the Transformer: al_transformer_init, then
 * the token and position embeddings scaled to a standard deviation of
 * 0.02, GPT-2's choice; the RNN: al_seq2seq_init), with a trainer for
 * batches of up to max_batch sequences of up to c->context tokens. */
al_status learner_init(learner *l, const learner_config *c, al_rng *rng, int max_batch,
                       al_error *err);
void learner_free(learner *l);

/* One step on count items (train.h's al_batch_item; for the RNN, source
 * and input as an encoder-decoder's, targets the words to write): the
 * batch's mean loss before the update into *loss. trace (or NULL) records
 * the step (al_train_step_traced, al_seq2seq_train_step_traced), words
 * label it. */
al_status learner_step(learner *l, const al_batch_item *batch, int count,
                       const al_train_settings *settings, const char *const *words,
                       al_trace *trace, double *loss, al_error *err);
al_status learner_evaluate(learner *l, const al_batch_item *batch, int count, double *loss,
                           al_error *err);

/* The model file, with a training record (model_file.h). */
al_status learner_save(const learner *l, const al_vocab *vocab, const char *path,
                       const al_metadata_entry *record, int record_count, al_error *err);

/* What a checkpoint holds, and the trainer's step after a resume. */
train_tensors learner_tensors(const learner *l);
void learner_set_step(learner *l, long step);

#endif
