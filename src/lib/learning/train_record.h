/* train_record.h (private to src/lib): recording one training step that
 * train_step.c (a Transformer) or seq2seq_train_step.c (the RNN seq2seq)
 * computes, under the names traces/FORMAT.md lists in "A training step".
 * The trainers compute; these functions only record what they computed,
 * so a step reads the same traced or not. Not a public header. */
#ifndef ATTNLAB_TRAIN_RECORD_H
#define ATTNLAB_TRAIN_RECORD_H

#include "attnlab/train.h"

/* The parameters a step updates, as a trainer lists them side by side:
 * names[k] is the trace name of params[k], whose gradient is grads[k] and
 * whose AdamW moments are ms[k] and vs[k]. Borrowed from the trainer. */
typedef struct al_step_params {
    int count;
    const char (*names)[AL_NAME_SIZE];
    al_matrix *const *params, *const *grads, *const *ms, *const *vs;
} al_step_params;

/* A Transformer trainer's parameters. */
al_step_params al_trainer_step_params(const al_trainer *trainer);

/* Before the step, for any model: train.step (t, with model_attrs, what
 * the parameters' names and shapes do not say of the model, ended by a
 * NULL name), train.lr, and every parameter P with AdamW's moments P.m,
 * P.v as the step finds them. */
al_status al_record_params_start(al_trace *trace, const al_step_params *params, long step,
                                 const al_train_settings *settings,
                                 const al_trace_attr *model_attrs, al_error *err);

/* The same for a Transformer: the attrs are its configuration's. */
al_status al_record_step_start(al_trace *trace, const al_trainer *trainer,
                               const al_transformer *model, long step,
                               const al_train_settings *settings, al_error *err);

/* After sequence b's forward pass, whose logits are batch<b>.logits:
 * batch<b>.targets (1 x length, -1 where nothing is asked) and
 * batch<b>.loss (1 x 1, the mean over its counted targets). words labels
 * the targets (or NULL). */
al_status al_record_targets_loss(al_trace *trace, int b, const int *targets, int length,
                                 double loss, const char *const *words, al_error *err);

/* The same for an item of a Transformer's batch (item->input.length
 * targets). */
al_status al_record_item_loss(al_trace *trace, int b, const al_batch_item *item, double loss,
                              const char *const *words, al_error *err);

/* batch<b>.logits (steps x V, op stack_steps): an RNN decoder's steps'
 * logits batch<b>.s2s.step<t>.logits stacked, the rows batch<b>.loss is
 * computed from. row_labels (steps strings) and words (V) may be NULL. */
al_status al_record_stacked_logits(al_trace *trace, int b, const al_matrix *logits,
                                   const char *const *row_labels, const char *const *words,
                                   al_error *err);

/* train.loss: the batch's mean over every counted target, from the count
 * sequences' losses weighted by their counts. */
al_status al_record_batch_loss(al_trace *trace, int count, double loss, al_error *err);

/* Every parameter's gradient P.grad before clipping, then train.grad_norm
 * and train.clip_scale (the factor every gradient was multiplied by). */
al_status al_record_params_gradients(al_trace *trace, const al_step_params *params,
                                     double norm, double scale, double max_norm,
                                     al_error *err);
al_status al_record_gradients(al_trace *trace, const al_trainer *trainer, double norm,
                              double scale, double max_norm, al_error *err);

/* After the update: every parameter's new value P.new. */
al_status al_record_params_update(al_trace *trace, const al_step_params *params,
                                  const al_train_settings *settings, al_error *err);
al_status al_record_update(al_trace *trace, const al_trainer *trainer,
                           const al_train_settings *settings, al_error *err);

#endif
