/* seq2seq_train.h: one training step of the RNN seq2seq model (seq2seq.h)
 * on a batch of source/target pairs under teacher forcing: for each pair
 * the encoder over the source, the decoder over the target, softmax
 * cross-entropy and the backward pass (al_seq2seq_backward), then the
 * gradients clipped by their global norm and one AdamW update at the
 * schedule's learning rate (layers.h, optimizer.h). The Transformer's
 * trainer is train.h; its settings (al_train_settings) are shared.
 *
 * A pair: the source x (S ids) and the target y (T ids). The decoder reads
 * <bos> y_0 ... y_{T-2} and step t (t = 0 .. T-1) predicts y_t:
 *   loss of a pair's step t = -log probs_t[target_t],  probs_t (1 x V)
 * where target_t is y_t, or the pair's own targets[t] when it gives them
 * (AL_IGNORE_TARGET: step t is not scored, e.g. padding).
 *
 * The loss of a batch is the mean over every scored step of all its pairs
 * together (as train.h): a pair with more scored steps weighs more.
 * Everything is computed in a fixed order, pair after pair, so the same
 * model, batch and settings give the same bytes. */
#ifndef ATTNLAB_SEQ2SEQ_TRAIN_H
#define ATTNLAB_SEQ2SEQ_TRAIN_H

#include "attnlab/optimizer.h"
#include "attnlab/seq2seq.h"
#include "attnlab/train.h"

/* One pair of a batch. targets: NULL (step t is scored against
 * target.ids[t]) or target.length ids, each in 0 .. V-1 or
 * AL_IGNORE_TARGET. */
typedef struct al_seq2seq_pair {
    al_sequence source;
    al_sequence target;
    const int *targets;
} al_seq2seq_pair;

/* Everything a step needs besides the model: the gradient and AdamW's two
 * moments (each an al_seq2seq of the model's configuration), the passes'
 * workspaces, and the parameter tensors listed side by side. */
typedef struct al_seq2seq_trainer {
    al_seq2seq grad, m, v;
    al_seq2seq_workspace ws;
    al_seq2seq_backward_workspace bw;
    al_matrix dlogits;                /* max_target x V                       */
    int *tokens;                      /* max_target: the decoder's choices    */
    int count;                        /* parameter tensors                    */
    al_matrix **params, **grads, **ms, **vs;
    char (*names)[AL_NAME_SIZE];      /* the parameters' names, side by side  */
    long step;                        /* updates done; the next is step + 1   */
} al_seq2seq_trainer;

/* Room for training model on sources of up to max_source tokens and
 * targets of up to max_target; moments at 0, step 0. On failure everything
 * is freed. The model must stay where it is while the trainer is used.
 * Free with al_seq2seq_trainer_free. */
al_status al_seq2seq_trainer_alloc(al_seq2seq_trainer *trainer, al_seq2seq *model,
                                   int max_source, int max_target, al_error *err);
void al_seq2seq_trainer_free(al_seq2seq_trainer *trainer);

/* One step on pairs (count of them): *loss receives the batch's mean loss
 * before the update, *grad_norm the gradients' global norm before clipping
 * (either may be NULL); trainer->grads hold the clipped gradients after.
 * Fails before changing the model if a pair does not fit or holds an id
 * outside the vocabulary, or the batch has no scored step (AL_ERR_ARG). */
al_status al_seq2seq_train_step(al_seq2seq_trainer *trainer, al_seq2seq *model,
                                const al_seq2seq_pair *pairs, int count,
                                const al_train_settings *settings, double *loss,
                                double *grad_norm, al_error *err);

/* The same step, recorded in trace (traces/FORMAT.md, "A training
 * step"): train.step (attrs: family rnn-seq2seq, cell, attention, score)
 * and train.lr; every parameter P (s2s.enc.w_x, ... as seq2seq.h names
 * them) and AdamW's moments P.m, P.v as the step finds them; each pair's
 * encoder and teacher-forced decoder (seq2seq.h's s2s.* names) under the
 * prefix batch<b>. (al_trace_set_prefix, set around the pair's pass and
 * cleared after), then batch<b>.logits (the steps' logits stacked, T x V),
 * batch<b>.targets and batch<b>.loss; train.loss; every gradient P.grad
 * before clipping; train.grad_norm and train.clip_scale; every new value
 * P.new: enough to redo the step from the trace alone. The numbers are
 * those of al_seq2seq_train_step, bit for bit. words (V strings, or NULL)
 * label the trace. trace NULL is al_seq2seq_train_step. */
al_status al_seq2seq_train_step_traced(al_seq2seq_trainer *trainer, al_seq2seq *model,
                                       const al_seq2seq_pair *pairs, int count,
                                       const al_train_settings *settings, double *loss,
                                       double *grad_norm, const char *const *words,
                                       al_trace *trace, al_error *err);

/* The batch's mean loss, nothing learned (a validation set). */
al_status al_seq2seq_evaluate(al_seq2seq_trainer *trainer, const al_seq2seq *model,
                              const al_seq2seq_pair *pairs, int count, double *loss,
                              al_error *err);

#endif
