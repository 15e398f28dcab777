/* train_checkpoint.c: writing and reading attnlab-train's checkpoints
 * (train_checkpoint.h). */
#include "train_checkpoint.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnlab/safetensors.h"

/* "a,b,c": count numbers as %.17g (read back exactly), malloc'd. */
static char *number_list(const double *values, long count)
{
    char *text = malloc((size_t)count * 26 + 1);
    if (!text)
        return NULL;
    size_t used = 0;
    text[0] = '\0';
    for (long i = 0; i < count; i++)
        used += (size_t)sprintf(text + used, "%s%.17g", i ? "," : "", values[i]);
    return text;
}

static bool read_numbers(double *values, long count, const char *text)
{
    for (long i = 0; i < count; i++) {
        char *end;
        values[i] = strtod(text, &end);
        if (end == text || (i + 1 < count ? *end != ',' : *end != '\0'))
            return false;
        text = end + 1;
    }
    return count > 0 || *text == '\0';
}

/* The names of every tensor: the parameters, then adam.m.*, then adam.v.*. */
typedef struct tensor_names {
    int count;                      /* parameters */
    char (*names)[AL_NAME_SIZE];    /* 3 · count  */
    al_named_tensor *tensors;       /* 3 · count  */
} tensor_names;

/* The k-th of the 3 · count tensors: parameter, first or second moment. */
static al_matrix *tensor_at(const train_tensors *p, int k)
{
    return k < p->count ? p->params[k] : k < 2 * p->count ? p->ms[k - p->count]
                                                          : p->vs[k - 2 * p->count];
}

static al_status list_tensors(tensor_names *t, const train_tensors *p, al_error *err)
{
    t->count = p->count;
    t->names = calloc((size_t)t->count * 3, sizeof *t->names);
    t->tensors = calloc((size_t)t->count * 3, sizeof *t->tensors);
    if (!t->names || !t->tensors)
        return al_fail(err, AL_ERR_NOMEM, "no memory for a checkpoint of %d tensors",
                       t->count);
    for (int k = 0; k < t->count; k++) {
        al_name(t->names[k], "%s", p->names[k]);
        al_name(t->names[t->count + k], "adam.m.%s", p->names[k]);
        al_name(t->names[2 * t->count + k], "adam.v.%s", p->names[k]);
    }
    for (int k = 0; k < 3 * t->count; k++)
        t->tensors[k] = (al_named_tensor){.name = t->names[k], .value = *tensor_at(p, k)};
    return AL_OK;
}

static void free_tensors(tensor_names *t)
{
    free(t->names);
    free(t->tensors);
}

al_status train_checkpoint_write(const char *path, const train_tensors *p,
                                 const train_state *state, al_error *err)
{
    tensor_names t = {0};
    al_status status = list_tensors(&t, p, err);
    char step[32], rng_state[32], rng_increment[32];
    snprintf(step, sizeof step, "%ld", state->step);
    snprintf(rng_state, sizeof rng_state, "%" PRIu64, state->batch_rng.state);
    snprintf(rng_increment, sizeof rng_increment, "%" PRIu64, state->batch_rng.increment);
    char *losses = number_list(state->losses, state->step);
    char *val_losses = number_list(state->val_losses, state->step);
    if (status == AL_OK && (!losses || !val_losses))
        status = al_fail(err, AL_ERR_NOMEM, "no memory for the losses of %ld steps",
                         state->step);
    al_metadata_entry metadata[] = {
        {"format", "attnlab-checkpoint"}, {"step", step}, {"rng_state", rng_state},
        {"rng_increment", rng_increment}, {"settings", state->settings},
        {"losses", losses}, {"validation_losses", val_losses}};
    if (status == AL_OK)
        status = al_safetensors_write(path, t.tensors, 3 * t.count, metadata,
                                      (int)(sizeof metadata / sizeof metadata[0]), err);
    free(losses);
    free(val_losses);
    free_tensors(&t);
    return status;
}

/* The file's metadata value for key, or a failure naming it. */
static const char *need(const al_safetensors *file, const char *path, const char *key,
                        al_error *err)
{
    const char *value = al_safetensors_metadata(file, key);
    if (!value)
        al_fail(err, AL_ERR_FORMAT, "%s is not an attnlab-train checkpoint (no %s)", path, key);
    return value;
}

static al_status read_state(train_state *state, const al_safetensors *file, const char *path,
                            long max_steps, al_error *err)
{
    const char *format = need(file, path, "format", err), *step = NULL, *rng_state = NULL;
    const char *rng_increment = NULL, *settings = NULL, *losses = NULL, *val_losses = NULL;
    if (format && strcmp(format, "attnlab-checkpoint") != 0)
        return al_fail(err, AL_ERR_FORMAT, "%s is not an attnlab-train checkpoint", path);
    if (format && (step = need(file, path, "step", err)) &&
        (rng_state = need(file, path, "rng_state", err)) &&
        (rng_increment = need(file, path, "rng_increment", err)) &&
        (settings = need(file, path, "settings", err)) &&
        (losses = need(file, path, "losses", err)))
        val_losses = need(file, path, "validation_losses", err);
    if (!val_losses)
        return err ? err->status : AL_ERR_FORMAT;
    if (strcmp(settings, state->settings) != 0)
        return al_fail(err, AL_ERR_FORMAT, "%s was made by a run with other settings or "
                       "another corpus (it says: %s)", path, settings);
    char *end;
    state->step = strtol(step, &end, 10);
    if (*end || state->step < 0 || state->step > max_steps)
        return al_fail(err, AL_ERR_FORMAT, "%s: step '%s' is not within 0 to %ld", path, step,
                       max_steps);
    state->batch_rng.state = strtoull(rng_state, NULL, 10);
    state->batch_rng.increment = strtoull(rng_increment, NULL, 10);
    if (!read_numbers(state->losses, state->step, losses) ||
        !read_numbers(state->val_losses, state->step, val_losses))
        return al_fail(err, AL_ERR_FORMAT, "%s: the losses do not match its %ld steps", path,
                       state->step);
    return AL_OK;
}

al_status train_checkpoint_read(const char *path, const train_tensors *p, train_state *state,
                                long max_steps, al_error *err)
{
    al_safetensors file;
    al_status status = al_safetensors_read(&file, path, err);
    if (status != AL_OK)
        return status;
    status = read_state(state, &file, path, max_steps, err);
    tensor_names t = {0};
    if (status == AL_OK)
        status = list_tensors(&t, p, err);
    for (int k = 0; status == AL_OK && k < 3 * t.count; k++) {
        const al_matrix *saved = al_safetensors_find(&file, t.names[k]);
        al_matrix *into = tensor_at(p, k);
        if (!saved || !al_same_shape(saved, into))
            status = al_fail(err, AL_ERR_FORMAT, "%s: tensor %s is missing or has another "
                             "shape", path, t.names[k]);
        else
            al_copy(into, saved, NULL);
    }
    free_tensors(&t);
    al_safetensors_free(&file);
    return status;
}
