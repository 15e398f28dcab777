/* optimizer.h: what learning does with the gradients the backward
 * functions leave (layers.h, multihead.h, blocks.h): AdamW and plain SGD,
 * one tensor at a time, clipping all the gradients by their global norm,
 * and the learning rate of each step (linear warm-up, then cosine decay).
 *
 * The updates follow PyTorch 1.13's torch.optim.AdamW and SGD step by
 * step, in their order and in float32, so that a run here and a run there
 * from the same weights and batches stay together (tests/reference). */
#ifndef ATTNLAB_OPTIMIZER_H
#define ATTNLAB_OPTIMIZER_H

#include "attnlab/matrix.h"

/* AdamW's settings; AL_ADAMW_DEFAULTS are PyTorch's. */
typedef struct al_adamw_settings {
    float beta1;          /* decay of the mean of the gradients            */
    float beta2;          /* decay of the mean of their squares            */
    float epsilon;        /* keeps the division finite                     */
    float weight_decay;   /* decoupled: the weights shrink by lr · decay   */
} al_adamw_settings;

#define AL_ADAMW_DEFAULTS {.beta1 = 0.9f, .beta2 = 0.999f, .epsilon = 1e-8f, .weight_decay = 1e-2f}

/* One AdamW step on one tensor: param, its grad, and its two moment
 * tensors m and v (same shape, zeros before step 1), at step t (1, 2, ...)
 * with this step's learning rate lr:
 *
 *   param = param · (1 - lr · weight_decay)       the decay, before the step
 *   m     = beta1 · m + (1 - beta1) · grad        the running mean
 *   v     = beta2 · v + (1 - beta2) · grad²       the running mean square
 *   param = param - (lr / (1 - beta1^t)) · m / (sqrt(v) / sqrt(1 - beta2^t) + epsilon)
 *
 * The bias corrections 1 - beta^t undo the zeros m and v start from. */
al_status al_adamw_update(al_matrix *param, const al_matrix *grad, al_matrix *m, al_matrix *v,
                          const al_adamw_settings *settings, float lr, long step,
                          al_error *err);

/* Plain stochastic gradient descent: param = param - lr · grad. */
al_status al_sgd_update(al_matrix *param, const al_matrix *grad, float lr, al_error *err);

/* sqrt(Σ over every entry of every tensor of g²), summed in double. */
double al_global_norm(al_matrix *const *grads, int count);

/* What clipping multiplies every gradient by: 1 if norm <= max_norm, else
 * max_norm / (norm + 1e-6), as the float32 it is applied in. */
double al_clip_scale(double norm, double max_norm);

/* Clip the gradients together, as torch.nn.utils.clip_grad_norm_ does:
 * every gradient times al_clip_scale(al_global_norm(grads), max_norm).
 * Returns the norm before clipping (for the progress line). */
double al_clip_grad_norm(al_matrix *const *grads, int count, double max_norm);

/* The learning rate of step t (from 1): a straight line from 0 up to
 * max_lr over the first warmup steps, then half a cosine from max_lr down
 * to min_lr at step total, and min_lr after:
 *   t <= warmup:          max_lr · t / warmup
 *   warmup < t <= total:  min_lr + (max_lr - min_lr) · (1 + cos(π · p)) / 2,
 *                         p = (t - warmup) / (total - warmup)
 * warmup 0 starts at max_lr; total <= warmup keeps max_lr after the
 * warm-up. */
typedef struct al_lr_schedule {
    double max_lr, min_lr;
    long warmup, total;
} al_lr_schedule;

double al_lr_at(const al_lr_schedule *schedule, long step);

#endif
