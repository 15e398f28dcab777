/* train_record.h (private to src/lib): recording one training step that
 * train_step.c computes, under the names traces/FORMAT.md lists in "A
 * training step". train_step.c computes; these functions only record what
 * it computed, so a step reads the same traced or not. Not a public
 * header. */
#ifndef ATTNLAB_TRAIN_RECORD_H
#define ATTNLAB_TRAIN_RECORD_H

#include "attnlab/train.h"

/* Before the step: train.step (t, with the model's configuration as
 * attrs), train.lr, and every parameter P with AdamW's moments P.m, P.v
 * as the step finds them. */
al_status al_record_step_start(al_trace *trace, const al_trainer *trainer,
                               const al_transformer *model, long step,
                               const al_train_settings *settings, al_error *err);

/* "batch<b>.": the prefix of sequence b's forward pass and loss. */
char *al_batch_prefix(char buf[AL_NAME_SIZE], int b);

/* After sequence b's forward pass: batch<b>.targets (1 x L, -1 where
 * nothing is asked) and batch<b>.loss (1 x 1, the mean over its counted
 * targets). words labels the targets (or NULL). */
al_status al_record_item_loss(al_trace *trace, int b, const al_batch_item *item, double loss,
                              const char *const *words, al_error *err);

/* train.loss: the batch's mean over every counted target, from the count
 * sequences' losses weighted by their counts. */
al_status al_record_batch_loss(al_trace *trace, int count, double loss, al_error *err);

/* Every parameter's gradient P.grad before clipping, then train.grad_norm
 * and train.clip_scale (the factor every gradient was multiplied by). */
al_status al_record_gradients(al_trace *trace, const al_trainer *trainer, double norm,
                              double scale, double max_norm, al_error *err);

/* After the update: every parameter's new value P.new. */
al_status al_record_update(al_trace *trace, const al_trainer *trainer,
                           const al_train_settings *settings, al_error *err);

#endif
