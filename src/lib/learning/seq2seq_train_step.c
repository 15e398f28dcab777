/* seq2seq_train_step.c: one training step of the RNN seq2seq model
 * (seq2seq_train.h): every pair encoded and decoded under teacher forcing,
 * its loss and backward, the gradients weighted so that they are those of
 * the batch's mean loss, then clipping and AdamW over every parameter
 * tensor; traced or not. The same steps as train_step.c's, for the other
 * model; the recording is train_record.c's. */
#include "attnlab/seq2seq_train.h"

#include <math.h>
#include <stdlib.h>

#include "learning/train_record.h"

void al_seq2seq_trainer_free(al_seq2seq_trainer *t)
{
    al_seq2seq_free(&t->grad), al_seq2seq_free(&t->m), al_seq2seq_free(&t->v);
    al_seq2seq_workspace_free(&t->ws);
    al_seq2seq_backward_workspace_free(&t->bw);
    al_matrix_free(&t->dlogits);
    free(t->tokens);
    free(t->params), free(t->grads), free(t->ms), free(t->vs), free(t->names);
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
    if (status == AL_OK && !(t->names = calloc((size_t)t->count, sizeof *t->names)))
        status = al_fail(err, AL_ERR_NOMEM, "seq2seq trainer: no memory for %d names",
                         t->count);
    if (status == AL_OK)
        al_seq2seq_param_list(model, NULL, t->names, t->count);
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

/* Where a step records what it does (trace NULL: nowhere). */
typedef struct step_trace {
    al_trace *trace;
    const char *const *words;
} step_trace;

/* Pair b's encoder and teacher-forced decoder, recorded (when tracing)
 * under batch<b>.: the pass names its records s2s.*, and the trace puts
 * the prefix before them; then batch<b>.logits, the steps' logits stacked. */
static al_status pair_forward(al_seq2seq_trainer *t, const al_seq2seq *model,
                              const al_seq2seq_pair *pair, int b, step_trace at, int *steps,
                              al_error *err)
{
    char prefix[AL_NAME_SIZE];
    al_trace_set_prefix(at.trace, al_batch_prefix(prefix, b));
    al_status status = al_seq2seq_encode(&t->ws, model, &pair->source, at.trace, err);
    if (status == AL_OK)
        status = al_seq2seq_decode(t->tokens, steps, &t->ws, model, &pair->target,
                                   t->ws.max_steps, at.words, at.trace, err);
    al_trace_set_prefix(at.trace, NULL);
    if (status != AL_OK || !at.trace)
        return status;
    al_matrix logits = al_matrix_rows(&t->ws.logits, 0, *steps);
    return al_record_stacked_logits(at.trace, b, &logits, at.words ? t->ws.decoder_labels : NULL,
                                    at.words, err);
}

/* One pair (the b-th) forward (teacher forcing) and its loss; with
 * learning, also its share of the gradient: dlogits = (probs - onehot) /
 * N_b, weighted by N_b / N, so the sum over the batch is the gradient of
 * the batch's mean loss. */
static al_status one_pair(al_seq2seq_trainer *t, const al_seq2seq *model,
                          const al_seq2seq_pair *pair, int b, int batch_counted, bool learn,
                          step_trace at, double *weighted_loss, al_error *err)
{
    *weighted_loss = 0.0;
    int steps = 0;
    al_status status = pair_forward(t, model, pair, b, at, &steps, err);
    if (status != AL_OK)
        return status;
    const int *targets = scored_targets(pair);
    al_matrix logits = al_matrix_rows(&t->ws.logits, 0, steps);
    al_matrix probs = al_matrix_rows(&t->ws.probs, 0, steps);
    al_matrix dlogits = al_matrix_rows(&t->dlogits, 0, steps);
    double loss = 0.0;
    status = al_cross_entropy(&loss, &probs, &logits, targets, err);
    if (status == AL_OK && at.trace)
        status = al_record_targets_loss(at.trace, b, targets, steps, loss, at.words, err);
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
                           const al_seq2seq_pair *pairs, int count, bool learn, step_trace at,
                           double *loss, al_error *err)
{
    int batch_counted = counted_targets(pairs, count);
    if (batch_counted == 0)
        return al_fail(err, AL_ERR_ARG, "seq2seq trainer: the batch has no target that counts "
                       "(all %d pairs are padding)", count);
    double total = 0.0;
    al_status status = AL_OK;
    for (int b = 0; b < count && status == AL_OK; b++) {
        double share = 0.0;
        status = one_pair(t, model, &pairs[b], b, batch_counted, learn, at, &share, err);
        total += share;
    }
    *loss = total;
    if (status == AL_OK && at.trace)
        status = al_record_batch_loss(at.trace, count, total, err);
    return status;
}

static al_step_params step_params(const al_seq2seq_trainer *t)
{
    return (al_step_params){.count = t->count,
                            .names = (const char(*)[AL_NAME_SIZE])t->names,
                            .params = t->params, .grads = t->grads, .ms = t->ms, .vs = t->vs};
}

/* train.step, train.lr, every P, P.m and P.v; train.step's attrs say what
 * the parameters' names and shapes do not: the cell, and whether and how
 * the decoder attends. */
static al_status record_start(al_trace *trace, const al_seq2seq_trainer *t,
                              const al_seq2seq *model, long step, const al_train_settings *s,
                              al_error *err)
{
    const al_seq2seq_config *c = &model->config;
    const al_trace_attr attrs[] = {
        AL_ATTR_TEXT("family", "rnn-seq2seq"), AL_ATTR_TEXT("cell", al_rnn_kind_name(c->cell)),
        AL_ATTR("attention", c->attention),
        AL_ATTR_TEXT("score", c->attention ? al_score_kind_name(c->score) : "none"), {0}};
    al_step_params params = step_params(t);
    return al_record_params_start(trace, &params, step, s, attrs, err);
}

al_status al_seq2seq_train_step(al_seq2seq_trainer *t, al_seq2seq *model,
                                const al_seq2seq_pair *pairs, int count,
                                const al_train_settings *s, double *loss, double *grad_norm,
                                al_error *err)
{
    return al_seq2seq_train_step_traced(t, model, pairs, count, s, loss, grad_norm, NULL, NULL,
                                        err);
}

al_status al_seq2seq_train_step_traced(al_seq2seq_trainer *t, al_seq2seq *model,
                                       const al_seq2seq_pair *pairs, int count,
                                       const al_train_settings *s, double *loss,
                                       double *grad_norm, const char *const *words,
                                       al_trace *trace, al_error *err)
{
    long step = t->step + 1;
    step_trace at = {.trace = trace, .words = words};
    al_step_params params = step_params(t);
    for (int k = 0; k < t->count; k++)
        al_fill(t->grads[k], 0.0f);
    al_status status = AL_OK;
    if (trace)
        status = record_start(trace, t, model, step, s, err);
    double batch_loss = 0.0;
    if (status == AL_OK)
        status = run_batch(t, model, pairs, count, true, at, &batch_loss, err);
    if (status == AL_OK && trace) {   /* the gradients before clipping scales them */
        double norm = al_global_norm(t->grads, t->count);
        double limit = s->clip_norm > 0 ? s->clip_norm : INFINITY;
        status = al_record_params_gradients(trace, &params, norm, al_clip_scale(norm, limit),
                                            s->clip_norm, err);
    }
    if (status != AL_OK)
        return status;
    /* clip, then one AdamW update of every tensor at step t + 1's rate */
    double norm = 0.0;
    status = al_train_update(t->params, t->grads, t->ms, t->vs, t->count, s, step, &norm, err);
    if (status == AL_OK && trace)
        status = al_record_params_update(trace, &params, s, err);
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
    return run_batch(t, model, pairs, count, false, (step_trace){0}, loss, err);
}
