/* seq2seq_train_step.c: one training step of the RNN seq2seq model
 * (seq2seq_train.h): every pair encoded and decoded under teacher forcing,
 * its loss and backward, the gradients weighted so that they are those of
 * the batch's mean loss, then clipping and AdamW over every parameter
 * tensor. The same steps as train_step.c's, for the other model. */
#include "attnlab/seq2seq_train.h"

#include <math.h>
#include <stdlib.h>

void al_seq2seq_trainer_free(al_seq2seq_trainer *t)
{
    al_seq2seq_free(&t->grad), al_seq2seq_free(&t->m), al_seq2seq_free(&t->v);
    al_seq2seq_workspace_free(&t->ws);
    al_seq2seq_backward_workspace_free(&t->bw);
    al_matrix_free(&t->dlogits);
    free(t->tokens);
    free(t->params), free(t->grads), free(t->ms), free(t->vs);
    *t = (al_seq2seq_trainer){0};
}

/* The model's parameter tensors, listed into a new array (free()). */
static al_status list_params(al_matrix ***list, al_seq2seq *model, int count, al_error *err)
{
    *list = calloc((size_t)count, sizeof **list);
    if (!*list)
        return al_fail(err, AL_ERR_NOMEM, "seq2seq trainer: no memory for %d tensors", count);
    al_seq2seq_param_list(model, *list, NULL, count);
    return AL_OK;
}

al_status al_seq2seq_trainer_alloc(al_seq2seq_trainer *t, al_seq2seq *model, int max_source,
                                   int max_target, al_error *err)
{
    *t = (al_seq2seq_trainer){0};
    /* al_seq2seq_alloc gives zeros: the gradient and both moments start there */
    al_status status = al_seq2seq_alloc(&t->grad, &model->config, err);
    if (status == AL_OK)
        status = al_seq2seq_alloc(&t->m, &model->config, err);
    if (status == AL_OK)
        status = al_seq2seq_alloc(&t->v, &model->config, err);
    if (status == AL_OK)
        status = al_seq2seq_workspace_alloc(&t->ws, model, max_source, max_target, err);
    if (status == AL_OK)
        status = al_seq2seq_backward_workspace_alloc(&t->bw, model, max_source, max_target,
                                                     err);
    if (status == AL_OK)
        status = al_matrix_alloc(&t->dlogits, max_target, model->config.vocab_size, err);
    if (status == AL_OK && !(t->tokens = calloc((size_t)max_target, sizeof *t->tokens)))
        status = al_fail(err, AL_ERR_NOMEM, "seq2seq trainer: no memory for %d steps",
                         max_target);
    t->count = al_seq2seq_param_list(model, NULL, NULL, 0);
    if (status == AL_OK)
        status = list_params(&t->params, model, t->count, err);
    if (status == AL_OK)
        status = list_params(&t->grads, &t->grad, t->count, err);
    if (status == AL_OK)
        status = list_params(&t->ms, &t->m, t->count, err);
    if (status == AL_OK)
        status = list_params(&t->vs, &t->v, t->count, err);
    if (status != AL_OK)
        al_seq2seq_trainer_free(t);
    return status;
}

/* What step t of pair is scored against: its targets, or the target itself. */
static const int *scored_targets(const al_seq2seq_pair *pair)
{
    return pair->targets ? pair->targets : pair->target.ids;
}

/* The scored steps of count pairs (targets not AL_IGNORE_TARGET). */
static int counted_targets(const al_seq2seq_pair *pairs, int count)
{
    int counted = 0;
    for (int b = 0; b < count; b++) {
        const int *targets = scored_targets(&pairs[b]);
        for (int t = 0; t < pairs[b].target.length; t++)
            counted += targets[t] != AL_IGNORE_TARGET;
    }
    return counted;
}

/* One pair forward (teacher forcing) and its loss; with learning, also its
 * share of the gradient: dlogits = (probs - onehot) / N_b, weighted by
 * N_b / N, so the sum over the batch is the gradient of the batch's mean
 * loss. */
static al_status one_pair(al_seq2seq_trainer *t, const al_seq2seq *model,
                          const al_seq2seq_pair *pair, int batch_counted, bool learn,
                          double *weighted_loss, al_error *err)
{
    *weighted_loss = 0.0;
    int steps = 0;
    al_status status = al_seq2seq_encode(&t->ws, model, &pair->source, NULL, err);
    if (status == AL_OK)
        status = al_seq2seq_decode(t->tokens, &steps, &t->ws, model, &pair->target,
                                   t->ws.max_steps, NULL, NULL, err);
    if (status != AL_OK)
        return status;
    const int *targets = scored_targets(pair);
    al_matrix logits = al_matrix_rows(&t->ws.logits, 0, steps);
    al_matrix probs = al_matrix_rows(&t->ws.probs, 0, steps);
    al_matrix dlogits = al_matrix_rows(&t->dlogits, 0, steps);
    double loss = 0.0;
    status = al_cross_entropy(&loss, &probs, &logits, targets, err);
    int counted = counted_targets(pair, 1);
    *weighted_loss = loss * counted / batch_counted;
    if (status != AL_OK || !learn || counted == 0)
        return status;
    status = al_cross_entropy_backward(&dlogits, &probs, targets, err);
    if (status == AL_OK)
        status = al_scale(&dlogits, &dlogits, (float)((double)counted / batch_counted), err);
    if (status == AL_OK)
        status = al_seq2seq_backward(&t->grad, &t->bw, &dlogits, &t->ws, model, &pair->source,
                                     err);
    return status;
}

static al_status run_batch(al_seq2seq_trainer *t, const al_seq2seq *model,
                           const al_seq2seq_pair *pairs, int count, bool learn, double *loss,
                           al_error *err)
{
    int batch_counted = counted_targets(pairs, count);
    if (batch_counted == 0)
        return al_fail(err, AL_ERR_ARG, "seq2seq trainer: the batch has no target that counts "
                       "(all %d pairs are padding)", count);
    double total = 0.0;
    al_status status = AL_OK;
    for (int b = 0; b < count && status == AL_OK; b++) {
        double share = 0.0;
        status = one_pair(t, model, &pairs[b], batch_counted, learn, &share, err);
        total += share;
    }
    *loss = total;
    return status;
}

al_status al_seq2seq_train_step(al_seq2seq_trainer *t, al_seq2seq *model,
                                const al_seq2seq_pair *pairs, int count,
                                const al_train_settings *s, double *loss, double *grad_norm,
                                al_error *err)
{
    for (int k = 0; k < t->count; k++)
        al_fill(t->grads[k], 0.0f);
    double batch_loss = 0.0;
    al_status status = run_batch(t, model, pairs, count, true, &batch_loss, err);
    if (status != AL_OK)
        return status;
    /* clip, then one AdamW update of every tensor at step t + 1's rate */
    long step = t->step + 1;
    double norm = 0.0;
    status = al_train_update(t->params, t->grads, t->ms, t->vs, t->count, s, step, &norm, err);
    if (status == AL_OK)
        t->step = step;
    if (loss)
        *loss = batch_loss;
    if (grad_norm)
        *grad_norm = norm;
    return status;
}

al_status al_seq2seq_evaluate(al_seq2seq_trainer *t, const al_seq2seq *model,
                              const al_seq2seq_pair *pairs, int count, double *loss,
                              al_error *err)
{
    return run_batch(t, model, pairs, count, false, loss, err);
}
