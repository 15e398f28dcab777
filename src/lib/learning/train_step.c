/* train_step.c: one training step (train.h): the batch forward (one
 * sequence at a time, or packed), the loss and backward, the gradients
 * those of the batch's mean loss, then clipping and AdamW over every
 * parameter tensor. */
#include "attnlab/train.h"

#include <math.h>
#include <stdlib.h>

#include "learning/train_record.h"

void al_trainer_free(al_trainer *t)
{
    al_transformer_free(&t->grad), al_transformer_free(&t->m), al_transformer_free(&t->v);
    al_transformer_workspace_free(&t->ws);
    al_transformer_backward_workspace_free(&t->bw);
    al_matrix_free(&t->probs), al_matrix_free(&t->dlogits);
    free(t->params), free(t->grads), free(t->ms), free(t->vs), free(t->names);
    al_transformer_workspace_free(&t->packed_ws);
    al_transformer_backward_workspace_free(&t->packed_bw);
    al_matrix_free(&t->packed_probs), al_matrix_free(&t->packed_dlogits);
    free(t->firsts), free(t->seconds);
    *t = (al_trainer){0};
}

/* A model of the same configuration, every parameter 0. */
static al_status zero_copy(al_transformer *copy, al_transformer *model, al_error *err)
{
    al_status status = al_transformer_alloc(copy, &model->config, err);
    if (status != AL_OK)
        return status;
    int count = al_transformer_param_list(copy, NULL, NULL, 0);
    al_matrix **all = calloc((size_t)count, sizeof *all);
    if (!all)
        return al_fail(err, AL_ERR_NOMEM, "trainer: no memory for %d tensors", count);
    al_transformer_param_list(copy, all, NULL, count);
    for (int k = 0; k < count; k++)
        al_fill(all[k], 0.0f);
    free(all);
    return AL_OK;
}

static al_status list_params(al_matrix ***list, al_transformer *model, int count, al_error *err)
{
    *list = calloc((size_t)count, sizeof **list);
    if (!*list)
        return al_fail(err, AL_ERR_NOMEM, "trainer: no memory for %d tensors", count);
    al_transformer_param_list(model, *list, NULL, count);
    return AL_OK;
}

al_status al_trainer_alloc(al_trainer *t, al_transformer *model, int max_length, al_error *err)
{
    *t = (al_trainer){0};
    const al_model_config *c = &model->config;
    al_status status = zero_copy(&t->grad, model, err);
    if (status == AL_OK)
        status = zero_copy(&t->m, model, err);
    if (status == AL_OK)
        status = zero_copy(&t->v, model, err);
    if (status == AL_OK)
        status = al_transformer_workspace_alloc(&t->ws, model, max_length, err);
    if (status == AL_OK)
        status = al_transformer_backward_workspace_alloc(&t->bw, model, max_length, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&t->probs, max_length, c->vocab_size, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&t->dlogits, max_length, c->vocab_size, err);
    t->count = al_transformer_param_list(model, NULL, NULL, 0);
    if (status == AL_OK)
        status = list_params(&t->params, model, t->count, err);
    if (status == AL_OK)
        status = list_params(&t->grads, &t->grad, t->count, err);
    if (status == AL_OK)
        status = list_params(&t->ms, &t->m, t->count, err);
    if (status == AL_OK)
        status = list_params(&t->vs, &t->v, t->count, err);
    if (status == AL_OK && !(t->names = calloc((size_t)t->count, sizeof *t->names)))
        status = al_fail(err, AL_ERR_NOMEM, "trainer: no memory for %d names", t->count);
    if (status == AL_OK)
        al_transformer_param_list(model, NULL, t->names, t->count);
    if (status != AL_OK)
        al_trainer_free(t);
    else
        t->packed = true;
    return status;
}

/* The targets of the batch that count (not AL_IGNORE_TARGET). */
static int counted_targets(const al_batch_item *batch, int count)
{
    int counted = 0;
    for (int b = 0; b < count; b++)
        for (int i = 0; i < batch[b].input.length; i++)
            counted += batch[b].targets[i] != AL_IGNORE_TARGET;
    return counted;
}

/* Where a step records what it does (trace NULL: nowhere). */
typedef struct step_trace {
    al_trace *trace;
    const char *const *words;
} step_trace;

/* One sequence (the b-th) forward and its loss; with learning, also its
 * share of the gradient: dlogits = (probs - onehot) / N_b, weighted by
 * N_b / N, so the sum over the batch is the gradient of the batch's mean
 * loss. */
static al_status one_sequence(al_trainer *t, const al_transformer *model,
                              const al_batch_item *item, int b, int batch_counted, bool learn,
                              step_trace at, double *weighted_loss, al_error *err)
{
    int length = item->input.length;
    /* encoder-decoder: the encoder reads the source, the decoder the input */
    bool two_stacks = model->config.family == AL_FAMILY_ENCODER_DECODER;
    const al_sequence *first = two_stacks ? &item->source : &item->input;
    const al_sequence *second = two_stacks ? &item->input : NULL;
    if (two_stacks && item->source.length <= 0)
        return al_fail(err, AL_ERR_ARG, "trainer: an encoder-decoder model needs a source for "
                       "every sequence");
    char prefix[AL_NAME_SIZE];
    al_status status = al_transformer_forward_prefixed(&t->ws, model, first, second, at.words,
                                                       al_batch_prefix(prefix, b), at.trace,
                                                       err);
    al_matrix logits = al_matrix_rows(&t->ws.logits, 0, length);
    al_matrix probs = al_matrix_rows(&t->probs, 0, length);
    al_matrix dlogits = al_matrix_rows(&t->dlogits, 0, length);
    double loss = 0.0;
    if (status == AL_OK)
        status = al_cross_entropy(&loss, &probs, &logits, item->targets, err);
    if (status == AL_OK && at.trace)
        status = al_record_item_loss(at.trace, b, item, loss, at.words, err);
    int counted = counted_targets(item, 1);
    *weighted_loss = loss * counted / batch_counted;
    if (status != AL_OK || !learn || counted == 0)
        return status;
    status = al_cross_entropy_backward(&dlogits, &probs, item->targets, err);
    if (status == AL_OK)
        status = al_scale(&dlogits, &dlogits, (float)((double)counted / batch_counted), err);
    if (status == AL_OK)
        status = al_transformer_backward(&t->grad, &t->bw, &dlogits, &t->ws, model, first,
                                         second, err);
    return status;
}

/* Room for a packed pass over tokens rows (each side) and count
 * sequences: kept when big enough, else freed and made again. */
static al_status packed_room(al_trainer *t, const al_transformer *model, int tokens, int count,
                             al_error *err)
{
    if (tokens <= t->packed_tokens && count <= t->packed_count)
        return AL_OK;
    al_transformer_workspace_free(&t->packed_ws);
    al_transformer_backward_workspace_free(&t->packed_bw);
    al_matrix_free(&t->packed_probs), al_matrix_free(&t->packed_dlogits);
    free(t->firsts), free(t->seconds);
    t->firsts = t->seconds = NULL;
    t->packed_tokens = t->packed_count = 0;
    int max_length = t->ws.max_length, v = model->config.vocab_size;
    tokens = tokens > max_length ? tokens : max_length;
    al_status status = al_transformer_workspace_alloc_packed(&t->packed_ws, model, max_length,
                                                             tokens, err);
    if (status == AL_OK)
        status = al_transformer_backward_workspace_alloc(&t->packed_bw, model, tokens, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&t->packed_probs, tokens, v, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&t->packed_dlogits, tokens, v, err);
    t->firsts = calloc((size_t)count, sizeof *t->firsts);
    t->seconds = calloc((size_t)count, sizeof *t->seconds);
    if (status == AL_OK && (!t->firsts || !t->seconds))
        status = al_fail(err, AL_ERR_NOMEM, "trainer: no memory for a batch of %d sequences",
                         count);
    if (status != AL_OK)
        return status;
    t->packed_tokens = tokens, t->packed_count = count;
    return AL_OK;
}

/* Each sequence's loss and its share of the gradient, from its rows of
 * the packed logits: loss_b over its N_b targets, weighted N_b / N, and
 * dlogits_b = (probs_b - onehot) / N_b · N_b / N, as one_sequence does, so
 * that a batch of one gives the loss one sequence alone gives. */
static al_status packed_losses(al_trainer *t, const al_batch_item *batch, int count,
                               int batch_counted, bool learn, double *loss, al_error *err)
{
    double total = 0.0;
    al_status status = AL_OK;
    for (int b = 0, row = 0; b < count && status == AL_OK; row += batch[b].input.length, b++) {
        int length = batch[b].input.length, counted = counted_targets(&batch[b], 1);
        al_matrix logits = al_matrix_rows(&t->packed_ws.logits, row, length);
        al_matrix probs = al_matrix_rows(&t->packed_probs, row, length);
        al_matrix dlogits = al_matrix_rows(&t->packed_dlogits, row, length);
        double loss_b = 0.0;
        status = al_cross_entropy(&loss_b, &probs, &logits, batch[b].targets, err);
        total += loss_b * counted / batch_counted;
        if (status != AL_OK || !learn)
            continue;
        if (counted == 0) {   /* padding only: no share of the gradient */
            al_fill(&dlogits, 0.0f);
            continue;
        }
        status = al_cross_entropy_backward(&dlogits, &probs, batch[b].targets, err);
        if (status == AL_OK)
            status = al_scale(&dlogits, &dlogits, (float)((double)counted / batch_counted), err);
    }
    *loss = total;
    return status;
}

/* The whole batch at once (transformer.h's packed pass): one forward of
 * the Σ L_b rows, each sequence's loss, one backward. */
static al_status packed_batch(al_trainer *t, const al_transformer *model,
                              const al_batch_item *batch, int count, int batch_counted,
                              bool learn, double *loss, al_error *err)
{
    bool two_stacks = model->config.family == AL_FAMILY_ENCODER_DECODER;
    int tokens = 0, sources = 0;
    for (int b = 0; b < count; b++) {
        if (two_stacks && batch[b].source.length <= 0)
            return al_fail(err, AL_ERR_ARG, "trainer: an encoder-decoder model needs a source "
                           "for every sequence");
        tokens += batch[b].input.length > 0 ? batch[b].input.length : 0;
        sources += two_stacks ? batch[b].source.length : 0;
    }
    al_status status = packed_room(t, model, tokens > sources ? tokens : sources, count, err);
    if (status != AL_OK)
        return status;
    /* encoder-decoder: the encoder reads the sources, the decoder the inputs */
    for (int b = 0; b < count; b++) {
        t->firsts[b] = two_stacks ? batch[b].source : batch[b].input;
        t->seconds[b] = batch[b].input;
    }
    const al_sequence *seconds = two_stacks ? t->seconds : NULL;
    status = al_transformer_forward_packed(&t->packed_ws, model, t->firsts, seconds, count,
                                           err);
    if (status == AL_OK)
        status = packed_losses(t, batch, count, batch_counted, learn, loss, err);
    if (status != AL_OK || !learn)
        return status;
    al_matrix dlogits = al_matrix_rows(&t->packed_dlogits, 0, tokens);
    return al_transformer_backward_packed(&t->grad, &t->packed_bw, &dlogits, &t->packed_ws,
                                          model, t->firsts, seconds, count, err);
}

/* The batch's loss and (learning) its gradient. Packed, the numbers come
 * from the packed pass; a traced packed step also runs each sequence's
 * forward on its own first, only to record it (batch<b>.*), so that a
 * traced step changes the model exactly as an untraced one does. */
static al_status run_batch(al_trainer *t, const al_transformer *model,
                           const al_batch_item *batch, int count, bool learn, step_trace at,
                           double *loss, al_error *err)
{
    int batch_counted = counted_targets(batch, count);
    if (batch_counted == 0)
        return al_fail(err, AL_ERR_ARG, "trainer: the batch has no target that counts (all "
                       "%d sequences are padding)", count);
    bool one_at_a_time_learns = learn && !t->packed;
    double total = 0.0;
    al_status status = AL_OK;
    for (int b = 0; b < count && status == AL_OK && (at.trace || !t->packed); b++) {
        double share = 0.0;
        status = one_sequence(t, model, &batch[b], b, batch_counted, one_at_a_time_learns, at,
                              &share, err);
        total += share;
    }
    if (status == AL_OK && t->packed)
        status = packed_batch(t, model, batch, count, batch_counted, learn, &total, err);
    *loss = total;
    if (status == AL_OK && at.trace)
        status = al_record_batch_loss(at.trace, count, total, err);
    return status;
}

al_status al_train_step(al_trainer *t, al_transformer *model, const al_batch_item *batch,
                        int count, const al_train_settings *s, double *loss, double *grad_norm,
                        al_error *err)
{
    return al_train_step_traced(t, model, batch, count, s, loss, grad_norm, NULL, NULL, err);
}

al_status al_train_update(al_matrix *const *params, al_matrix *const *grads,
                          al_matrix *const *ms, al_matrix *const *vs, int count,
                          const al_train_settings *s, long step, double *grad_norm,
                          al_error *err)
{
    double limit = s->clip_norm > 0 ? s->clip_norm : INFINITY;
    double norm = al_clip_grad_norm(grads, count, limit);
    float lr = (float)al_lr_at(&s->schedule, step);
    al_status status = AL_OK;
    for (int k = 0; k < count && status == AL_OK; k++)
        status = al_adamw_update(params[k], grads[k], ms[k], vs[k], &s->adamw, lr, step, err);
    if (grad_norm)
        *grad_norm = norm;
    return status;
}

al_status al_train_step_traced(al_trainer *t, al_transformer *model,
                               const al_batch_item *batch, int count,
                               const al_train_settings *s, double *loss, double *grad_norm,
                               const char *const *words, al_trace *trace, al_error *err)
{
    long step = t->step + 1;
    step_trace at = {.trace = trace, .words = words};
    for (int k = 0; k < t->count; k++)
        al_fill(t->grads[k], 0.0f);
    al_status status = AL_OK;
    if (trace)
        status = al_record_step_start(trace, t, model, step, s, err);
    double batch_loss = 0.0;
    if (status == AL_OK)
        status = run_batch(t, model, batch, count, true, at, &batch_loss, err);
    if (status != AL_OK)
        return status;
    if (status == AL_OK && trace) {   /* the gradients before clipping scales them */
        double norm = al_global_norm(t->grads, t->count);
        double limit = s->clip_norm > 0 ? s->clip_norm : INFINITY;
        status = al_record_gradients(trace, t, norm, al_clip_scale(norm, limit), s->clip_norm,
                                     err);
    }
    double norm = 0.0;
    if (status == AL_OK)   /* clip, then one AdamW update at step t + 1's rate */
        status = al_train_update(t->params, t->grads, t->ms, t->vs, t->count, s, step, &norm,
                                 err);
    if (status == AL_OK && trace)
        status = al_record_update(trace, t, s, err);
    if (status == AL_OK)
        t->step = step;
    if (loss)
        *loss = batch_loss;
    if (grad_norm)
        *grad_norm = norm;
    return status;
}

al_status al_evaluate(al_trainer *t, const al_transformer *model, const al_batch_item *batch,
                      int count, double *loss, al_error *err)
{
    return run_batch(t, model, batch, count, false, (step_trace){0}, loss, err);
}
