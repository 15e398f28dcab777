/* train_record.c: recording a training step of either trainer
 * (train_record.h); the Transformer's entry points wrap the general ones. */
#include "learning/train_record.h"

#include <stdlib.h>
#include <string.h>

#include "attnlab/model_config.h"
#include "attnlab/seq2seq.h"

char *al_batch_prefix(char buf[AL_NAME_SIZE], int b)
{
    return al_name(buf, "batch%d.", b);
}

/* A 1 x 1 tensor of value x. */
static al_matrix scalar(float *cell, double x)
{
    *cell = (float)x;
    return (al_matrix){.rows = 1, .cols = 1, .stride = 1, .data = cell};
}

/* Each parameter again under name + suffix, with op and inputs
 * (inputs[k] is "%s" for the parameter's own name, else taken as given). */
static al_status record_each(al_trace *trace, const al_step_params *t,
                             al_matrix *const *values, const char *suffix, const char *op,
                             const char *const *inputs, const al_trace_attr *attrs,
                             al_role role, const char *note, al_error *err)
{
    al_status status = AL_OK;
    for (int k = 0; k < t->count && status == AL_OK; k++) {
        char name[AL_NAME_SIZE], in[AL_TRACE_MAX_INPUTS][AL_NAME_SIZE];
        al_name(name, "%s%s", t->names[k], suffix);
        if (!al_trace_wants(trace, name))
            continue;
        al_tensor_info info = {.name = name, .role = role, .op = op, .note = note};
        for (int i = 0; inputs && inputs[i] && i < AL_TRACE_MAX_INPUTS; i++) {
            const char *percent = strstr(inputs[i], "%s");
            if (percent)
                al_name(in[i], "%.*s%s%s", (int)(percent - inputs[i]), inputs[i], t->names[k],
                        percent + 2);
            else
                al_name(in[i], "%s", inputs[i]);
            info.inputs[i] = in[i];
        }
        for (int a = 0; attrs && attrs[a].name && a < AL_TRACE_MAX_ATTRS; a++)
            info.attrs[a] = attrs[a];
        status = al_trace_matrix(trace, &info, values[k], err);
    }
    return status;
}

al_step_params al_trainer_step_params(const al_trainer *t)
{
    return (al_step_params){.count = t->count,
                            .names = (const char(*)[AL_NAME_SIZE])t->names,
                            .params = t->params, .grads = t->grads, .ms = t->ms, .vs = t->vs};
}

al_status al_record_step_start(al_trace *trace, const al_trainer *t,
                               const al_transformer *model, long step,
                               const al_train_settings *s, al_error *err)
{
    const al_model_config *c = &model->config;
    const al_trace_attr attrs[] = {
        AL_ATTR_TEXT("family", al_family_name(c->family)),
        AL_ATTR_TEXT("norm", al_norm_name(c->norm)), AL_ATTR("heads", c->heads),
        AL_ATTR_TEXT("positions", al_positions_name(c->positions)),
        AL_ATTR("norm_epsilon", c->norm_epsilon), AL_ATTR("tied_output", c->tied_output),
        {0}};
    al_step_params params = al_trainer_step_params(t);
    return al_record_params_start(trace, &params, step, s, attrs, err);
}

al_status al_record_params_start(al_trace *trace, const al_step_params *t, long step,
                                 const al_train_settings *s, const al_trace_attr *model_attrs,
                                 al_error *err)
{
    float cells[2];
    al_matrix t_value = scalar(&cells[0], (double)step);
    al_matrix lr = scalar(&cells[1], al_lr_at(&s->schedule, step));
    al_tensor_info step_info = {
        .name = AL_TRAIN_STEP_NAME, .role = AL_ROLE_INPUT,
        .note = "the step t (from 1); attrs: what the tensor names and shapes do not say "
                "of the model"};
    for (int a = 0; model_attrs && model_attrs[a].name && a < AL_TRACE_MAX_ATTRS; a++)
        step_info.attrs[a] = model_attrs[a];
    al_tensor_info lr_info = {
        .name = AL_TRAIN_LR_NAME, .role = AL_ROLE_ACTIVATION, .op = "lr_schedule",
        .inputs = {AL_TRAIN_STEP_NAME},
        .attrs = {AL_ATTR("max_lr", s->schedule.max_lr), AL_ATTR("min_lr", s->schedule.min_lr),
                  AL_ATTR("warmup", (double)s->schedule.warmup),
                  AL_ATTR("total", (double)s->schedule.total)},
        .note = "linear warm-up to max_lr, then half a cosine down to min_lr at total"};
    al_status status = al_trace_matrix(trace, &step_info, &t_value, err);
    if (status == AL_OK)
        status = al_trace_matrix(trace, &lr_info, &lr, err);
    if (status == AL_OK)
        status = record_each(trace, t, t->params, "", NULL, NULL, NULL, AL_ROLE_PARAM,
                             NULL, err);
    if (status == AL_OK)
        status = record_each(trace, t, t->ms, AL_MOMENT1_SUFFIX, NULL, NULL, NULL, AL_ROLE_INPUT,
                             "AdamW's first moment as the step finds it", err);
    if (status == AL_OK)
        status = record_each(trace, t, t->vs, AL_MOMENT2_SUFFIX, NULL, NULL, NULL, AL_ROLE_INPUT,
                             "AdamW's second moment as the step finds it", err);
    return status;
}

al_status al_record_item_loss(al_trace *trace, int b, const al_batch_item *item, double loss,
                              const char *const *words, al_error *err)
{
    return al_record_targets_loss(trace, b, item->targets, item->input.length, loss, words,
                                  err);
}

al_status al_record_targets_loss(al_trace *trace, int b, const int *targets, int length,
                                 double loss, const char *const *words, al_error *err)
{
    int counted = 0;
    float *cells = malloc((size_t)(length + 1) * sizeof *cells);
    const char **labels = words ? malloc((size_t)length * sizeof *labels) : NULL;
    if (!cells || (words && !labels)) {
        free(cells), free(labels);
        return al_fail(err, AL_ERR_NOMEM, "trainer: no memory to trace %d targets", length);
    }
    for (int i = 0; i < length; i++) {
        int target = targets[i];
        cells[i] = (float)target;
        counted += target != AL_IGNORE_TARGET;
        if (labels)
            labels[i] = target == AL_IGNORE_TARGET ? "-" : words[target];
    }
    char prefix[AL_NAME_SIZE], targets_name[AL_NAME_SIZE], loss_name[AL_NAME_SIZE];
    char logits_name[AL_NAME_SIZE];
    al_batch_prefix(prefix, b);
    al_name(targets_name, "%stargets", prefix), al_name(loss_name, "%sloss", prefix);
    al_name(logits_name, "%slogits", prefix);
    al_matrix target_row = {.rows = 1, .cols = length, .stride = length, .data = cells};
    al_matrix value = scalar(&cells[length], loss);
    al_tensor_info targets_info = {
        .name = targets_name, .role = AL_ROLE_INPUT, .col_labels = labels,
        .note = "the id each row of the logits should give; -1: nothing asked"};
    al_tensor_info loss_info = {
        .name = loss_name, .role = AL_ROLE_ACTIVATION, .op = "cross_entropy",
        .inputs = {logits_name, targets_name}, .attrs = {AL_ATTR("counted", counted)},
        .note = "mean over the counted rows of -log softmax(logits)[target]"};
    al_status status = al_trace_matrix(trace, &targets_info, &target_row, err);
    if (status == AL_OK)
        status = al_trace_matrix(trace, &loss_info, &value, err);
    free(cells), free(labels);
    return status;
}

al_status al_record_stacked_logits(al_trace *trace, int b, const al_matrix *logits,
                                   const char *const *row_labels, const char *const *words,
                                   al_error *err)
{
    int steps = logits->rows;
    char (*names)[AL_NAME_SIZE] = malloc((size_t)steps * sizeof *names);
    const char **list = malloc((size_t)steps * sizeof *list);
    if (!names || !list) {
        free(names), free(list);
        return al_fail(err, AL_ERR_NOMEM, "trainer: no memory to trace %d steps", steps);
    }
    char prefix[AL_NAME_SIZE], step_name[AL_NAME_SIZE], name[AL_NAME_SIZE];
    al_batch_prefix(prefix, b);
    for (int t = 0; t < steps; t++)
        list[t] = al_name(names[t], "%s%s", prefix, al_s2s_step_name(step_name, t, "logits"));
    al_tensor_info info = {
        .name = al_name(name, "%slogits", prefix), .role = AL_ROLE_ACTIVATION,
        .op = "stack_steps", .input_list = list, .n_input_list = steps,
        .row_labels = row_labels, .col_labels = words,
        .note = "row t is the decoder's step t's logits"};
    al_status status = al_trace_matrix(trace, &info, logits, err);
    free(names), free(list);
    return status;
}

al_status al_record_batch_loss(al_trace *trace, int count, double loss, al_error *err)
{
    char (*names)[AL_NAME_SIZE] = malloc((size_t)count * sizeof *names);
    const char **list = malloc((size_t)count * sizeof *list);
    if (!names || !list) {
        free(names), free(list);
        return al_fail(err, AL_ERR_NOMEM, "trainer: no memory to trace %d losses", count);
    }
    for (int b = 0; b < count; b++) {
        char prefix[AL_NAME_SIZE];
        list[b] = al_name(names[b], "%sloss", al_batch_prefix(prefix, b));
    }
    float cell;
    al_matrix value = scalar(&cell, loss);
    al_tensor_info info = {
        .name = AL_TRAIN_LOSS_NAME, .role = AL_ROLE_OUTPUT, .op = "batch_loss",
        .input_list = list, .n_input_list = count,
        .note = "the mean over every counted target of the batch: each batch<b>.loss "
                "weighted by its attr counted"};
    al_status status = al_trace_matrix(trace, &info, &value, err);
    free(names), free(list);
    return status;
}

al_status al_record_gradients(al_trace *trace, const al_trainer *trainer, double norm,
                              double scale, double max_norm, al_error *err)
{
    al_step_params params = al_trainer_step_params(trainer);
    return al_record_params_gradients(trace, &params, norm, scale, max_norm, err);
}

al_status al_record_params_gradients(al_trace *trace, const al_step_params *t, double norm,
                                     double scale, double max_norm, al_error *err)
{
    static const char *const grad_inputs[] = {AL_TRAIN_LOSS_NAME, "%s", NULL};
    al_status status = record_each(trace, t, t->grads, AL_GRAD_SUFFIX, "gradient", grad_inputs,
                                   NULL, AL_ROLE_ACTIVATION,
                                   "d train.loss / d parameter, before clipping", err);
    char (*names)[AL_NAME_SIZE] = malloc((size_t)t->count * sizeof *names);
    const char **list = malloc((size_t)t->count * sizeof *list);
    if (status == AL_OK && (!names || !list))
        status = al_fail(err, AL_ERR_NOMEM, "trainer: no memory to trace %d names", t->count);
    for (int k = 0; status == AL_OK && k < t->count; k++)
        list[k] = al_name(names[k], "%s" AL_GRAD_SUFFIX, t->names[k]);
    float cells[2];
    al_matrix norm_value = scalar(&cells[0], norm), scale_value = scalar(&cells[1], scale);
    al_tensor_info norm_info = {
        .name = AL_TRAIN_GRAD_NORM_NAME, .role = AL_ROLE_ACTIVATION, .op = "global_norm",
        .input_list = list, .n_input_list = t->count,
        .note = "sqrt of the sum of every gradient entry squared"};
    al_tensor_info scale_info = {
        .name = AL_TRAIN_CLIP_SCALE_NAME, .role = AL_ROLE_ACTIVATION, .op = "clip_scale",
        .inputs = {AL_TRAIN_GRAD_NORM_NAME}, .attrs = {AL_ATTR("max_norm", max_norm)},
        .note = "1 if grad_norm <= max_norm, else max_norm / (grad_norm + 1e-6): what "
                "every gradient is multiplied by before the update"};
    if (status == AL_OK)
        status = al_trace_matrix(trace, &norm_info, &norm_value, err);
    if (status == AL_OK)
        status = al_trace_matrix(trace, &scale_info, &scale_value, err);
    free(names), free(list);
    return status;
}

al_status al_record_update(al_trace *trace, const al_trainer *trainer,
                           const al_train_settings *s, al_error *err)
{
    al_step_params params = al_trainer_step_params(trainer);
    return al_record_params_update(trace, &params, s, err);
}

al_status al_record_params_update(al_trace *trace, const al_step_params *t,
                                  const al_train_settings *s, al_error *err)
{
    static const char *const inputs[] = {"%s", "%s" AL_GRAD_SUFFIX, "%s" AL_MOMENT1_SUFFIX,
                                         "%s" AL_MOMENT2_SUFFIX, AL_TRAIN_CLIP_SCALE_NAME,
                                         AL_TRAIN_LR_NAME, AL_TRAIN_STEP_NAME, NULL};
    const al_trace_attr attrs[] = {AL_ATTR("beta1", s->adamw.beta1),
                                   AL_ATTR("beta2", s->adamw.beta2),
                                   AL_ATTR("epsilon", s->adamw.epsilon),
                                   AL_ATTR("weight_decay", s->adamw.weight_decay), {0}};
    return record_each(trace, t, t->params, AL_NEW_SUFFIX, "adamw", inputs, attrs, AL_ROLE_OUTPUT,
                       "the parameter after the step (optimizer.h's AdamW, on the gradient "
                       "times train.clip_scale)", err);
}
