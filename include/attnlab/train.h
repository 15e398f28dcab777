/* train.h: one training step of a Transformer of any family on a batch of
 * sequences: for each sequence (or, packed, for the whole batch at once)
 * the forward pass, softmax cross-entropy against its targets and the
 * backward pass,
 * then the gradients clipped by their global norm and one AdamW update at
 * the schedule's learning rate (layers.h, transformer.h, optimizer.h).
 *
 * The loss of a batch is the mean over every target that counts, in all
 * its sequences together: a sequence with more real targets weighs more,
 * and padding (AL_IGNORE_TARGET) weighs nothing. Everything is computed in
 * a fixed order, so the same model, batch and settings give the same bytes.
 *
 * What a target is depends on the task: a decoder-only model learning the
 * next token has targets[i] = ids[i + 1] (and AL_IGNORE_TARGET at the end);
 * an encoder-only model learning masked words has the hidden word where
 * the input says [MASK] and AL_IGNORE_TARGET elsewhere; an encoder-decoder
 * model learning to translate reads the source in the encoder and
 * <bos> y_0 .. y_{T-1} in the decoder, with targets y_0 .. y_{T-1} <eos>
 * (teacher forcing: each position learns the word after the one it reads). */
#ifndef ATTNLAB_TRAIN_H
#define ATTNLAB_TRAIN_H

#include "attnlab/optimizer.h"
#include "attnlab/transformer.h"

/* The names a traced step records (traces/FORMAT.md, "A training step"),
 * for a program that prints them: the step's scalars, and the suffixes
 * that follow a parameter's name P (P.grad, P.m, P.v, P.new). Sequence b's
 * pass, targets and loss are under the prefix al_batch_prefix gives. */
#define AL_TRAIN_STEP_NAME "train.step"
#define AL_TRAIN_LR_NAME "train.lr"
#define AL_TRAIN_LOSS_NAME "train.loss"
#define AL_TRAIN_GRAD_NORM_NAME "train.grad_norm"
#define AL_TRAIN_CLIP_SCALE_NAME "train.clip_scale"
#define AL_GRAD_SUFFIX ".grad"
#define AL_MOMENT1_SUFFIX ".m"
#define AL_MOMENT2_SUFFIX ".v"
#define AL_NEW_SUFFIX ".new"

/* "batch<b>.": the prefix of sequence b's forward pass, targets and loss
 * in a traced step (batch0.logits, batch0.targets, batch0.loss). Returns buf. */
char *al_batch_prefix(char buf[AL_NAME_SIZE], int b);

/* One sequence of a batch and its targets (input.length of them): input is
 * what the output layer's rows belong to, the one stack's input or, in an
 * encoder-decoder model, the decoder's; source is the encoder's input in an
 * encoder-decoder model and unused (length 0) otherwise. */
typedef struct al_batch_item {
    al_sequence input;
    const int *targets;
    al_sequence source;
} al_batch_item;

typedef struct al_train_settings {
    al_adamw_settings adamw;
    al_lr_schedule schedule;
    double clip_norm;                 /* the largest global gradient norm; 0: no clipping */
} al_train_settings;

/* Everything a step needs besides the model: the gradient and AdamW's two
 * moments (each an al_transformer of the model's configuration), the
 * passes' workspaces, and the parameter tensors listed side by side. */
typedef struct al_trainer {
    al_transformer grad, m, v;
    al_transformer_workspace ws;
    al_transformer_backward_workspace bw;
    al_matrix probs, dlogits;         /* max_length x V                       */
    int count;                        /* parameter tensors                    */
    al_matrix **params, **grads, **ms, **vs;
    char (*names)[AL_NAME_SIZE];      /* the parameters' names, side by side  */
    long step;                        /* updates done; the next is step + 1   */
    /* Packed steps (al_transformer_forward_packed): the whole batch's rows
     * at once, with room grown to the largest batch seen. packed is true
     * after al_trainer_alloc; set it false to run one sequence at a time. */
    bool packed;                      /* run steps packed                 */
    int packed_tokens, packed_count;  /* its room: tokens (on each side), sequences */
    al_transformer_workspace packed_ws;
    al_transformer_backward_workspace packed_bw;
    al_matrix packed_probs, packed_dlogits;   /* packed_tokens x V           */
    al_sequence *firsts, *seconds;    /* each item's encoder (or only) and decoder input */
} al_trainer;

/* Room for training model on sequences (and sources) of up to max_length
 * tokens;
 * moments at 0, step 0. On failure everything is freed. The model must
 * stay where it is while the trainer is used. */
al_status al_trainer_alloc(al_trainer *trainer, al_transformer *model, int max_length,
                           al_error *err);
void al_trainer_free(al_trainer *trainer);

/* One step on batch (count sequences): *loss receives the batch's mean
 * loss before the update, *grad_norm the gradients' global norm before
 * clipping (either may be NULL). Fails before changing the model if a
 * sequence does not fit, an encoder-decoder item has no source, or a batch
 * has no target that counts.
 *
 * The batch runs packed (trainer->packed, the default): its sequences
 * stacked as one matrix of Σ L_b rows, every position-wise product once
 * for the whole batch and only attention sequence by sequence
 * (transformer.h's packed pass), then each sequence's cross-entropy on its
 * rows. With trainer->packed false each sequence runs forward and
 * backward on its own, about 1.1 times slower (README, "Speed"); the two
 * give the same loss and gradients up to float rounding, not bit for bit,
 * because OpenBLAS rounds a row's products differently by where the row
 * sits in the matrix. A batch with more
 * tokens or sequences than any before first grows the trainer's packed
 * room (AL_ERR_NOMEM if it cannot). */
al_status al_train_step(al_trainer *trainer, al_transformer *model, const al_batch_item *batch,
                        int count, const al_train_settings *settings, double *loss,
                        double *grad_norm, al_error *err);

/* The same step, recorded in trace (traces/FORMAT.md, "A training
 * step"): train.step and train.lr; every parameter P and AdamW's moments P.m, P.v
 * as the step finds them; each sequence's forward pass under batch<b>.
 * with batch<b>.targets and batch<b>.loss; train.loss; every gradient
 * P.grad before clipping; train.grad_norm and train.clip_scale; every new
 * value P.new: enough to redo the step from the trace alone. The step's
 * own numbers are computed as al_train_step computes them, so tracing
 * changes nothing; packed, each sequence's forward is run once more on its
 * own to be recorded (batch<b>.*), and agrees with its packed rows up to
 * float rounding. words (V strings, or NULL) label the trace. trace NULL
 * is al_train_step. */
al_status al_train_step_traced(al_trainer *trainer, al_transformer *model,
                               const al_batch_item *batch, int count,
                               const al_train_settings *settings, double *loss,
                               double *grad_norm, const char *const *words, al_trace *trace,
                               al_error *err);

/* The second half of any training step, whatever the model: the count
 * gradients clipped by their global norm (settings->clip_norm; 0: not at
 * all), then one AdamW update of every parameter at step's rate
 * (al_lr_at). *grad_norm (may be NULL) receives the norm before clipping.
 * params, grads, ms and vs are side by side, as the trainers list them. */
al_status al_train_update(al_matrix *const *params, al_matrix *const *grads,
                          al_matrix *const *ms, al_matrix *const *vs, int count,
                          const al_train_settings *settings, long step, double *grad_norm,
                          al_error *err);

/* The batch's mean loss, nothing learned (a validation set), packed when
 * trainer->packed is set, as al_train_step. */
al_status al_evaluate(al_trainer *trainer, const al_transformer *model,
                      const al_batch_item *batch, int count, double *loss, al_error *err);

#endif
