/* model_file.c: model files: the configuration's tensors (model_layout.c)
 * checked by name and shape, written and read through the safetensors
 * container, with the configuration and vocabulary in the metadata
 * (model_metadata.c). */
#include "attnlab/model_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnlab/model_layout.h"
#include "io/model_metadata.h"

void al_model_file_free(al_model_file *model)
{
    if (!model)
        return;
    al_vocab_free(&model->vocab);
    al_safetensors_free(&model->contents);
    *model = (al_model_file){0};
}

const al_matrix *al_model_file_tensor(const al_model_file *model, const char *name)
{
    return al_safetensors_find(&model->contents, name);
}

/* The configuration's tensor list, allocated; free with free(). The
 * tensors are counted first: a configuration that needs far more than the
 * `held` tensors there are (more than twice as many and 16: a file
 * declaring a million layers) fails before any list is built, so memory
 * follows the file, not its claims. A few missing tensors are listed, so
 * the message can name the first one. where names the file (or "model
 * file") in the message. */
static al_status list_tensors(al_param_spec **specs, int *n, const al_model_config *config,
                              int held, const char *where, al_error *err)
{
    *specs = NULL;
    al_status status = al_model_layout(NULL, 0, n, config, err);
    if (status != AL_OK)
        return status;
    if (*n > 2 * (long long)held + 16)
        return al_fail(err, AL_ERR_FORMAT, "%s: the configuration (%d encoder and %d decoder "
                       "layers) needs %d tensors, and there are %d", where,
                       config->encoder_layers, config->decoder_layers, *n, held);
    *specs = malloc((size_t)*n * sizeof **specs);
    if (!*specs)
        return al_fail(err, AL_ERR_NOMEM, "out of memory listing %d tensors", *n);
    return al_model_layout(*specs, *n, n, config, err);
}

/* The index of the tensor called name among tensors[0..count), or -1. */
static int find_tensor(const al_named_tensor *tensors, int count, const char *name)
{
    for (int t = 0; t < count; t++)
        if (strcmp(tensors[t].name, name) == 0)
            return t;
    return -1;
}

/* Every listed tensor present with its shape, nothing else: into ordered
 * (count entries), in the list's order. where prefixes the messages (the
 * file's path, or "model file"). */
static al_status match_tensors(al_named_tensor *ordered, const al_param_spec *specs, int n,
                               const al_named_tensor *tensors, int count,
                               const al_model_config *config, const char *where,
                               al_error *err)
{
    for (int k = 0; k < n; k++) {
        const al_param_spec *spec = &specs[k];
        int t = find_tensor(tensors, count, spec->name);
        if (t < 0)
            return al_fail(err, AL_ERR_FORMAT, "%s: tensor '%s' (%s = %d x %d) is missing",
                           where, spec->name, spec->shape_text, spec->rows, spec->cols);
        const al_matrix *m = &tensors[t].value;
        if (m->rows != spec->rows || m->cols != spec->cols)
            return al_fail(err, AL_ERR_SHAPE, "%s: tensor '%s' is %d x %d but the "
                           "configuration needs %s = %d x %d", where, spec->name, m->rows,
                           m->cols, spec->shape_text, spec->rows, spec->cols);
        if (ordered)
            ordered[k] = tensors[t];
    }
    for (int t = 0; t < count; t++) {
        bool listed = false;
        for (int k = 0; k < n && !listed; k++)
            listed = strcmp(specs[k].name, tensors[t].name) == 0;
        if (!listed)
            return al_fail(err, AL_ERR_FORMAT, "%s: tensor '%s' is not part of this %s "
                           "configuration", where, tensors[t].name,
                           al_family_name(config->family));
    }
    return AL_OK;
}

al_status al_model_file_write(const char *path, const al_model_config *config,
                              const al_vocab *vocab, const al_named_tensor *tensors, int count,
                              al_error *err)
{
    return al_model_file_write_with(path, config, vocab, tensors, count, NULL, 0, err);
}

al_status al_model_file_write_with(const char *path, const al_model_config *config,
                                   const al_vocab *vocab, const al_named_tensor *tensors,
                                   int count, const al_metadata_entry *record,
                                   int record_count, al_error *err)
{
    al_param_spec *specs = NULL;
    int n;
    al_status status = model_record_check(record, record_count, err);
    if (status == AL_OK)
        status = list_tensors(&specs, &n, config, count, "model file", err);
    if (status == AL_OK && vocab->size != config->vocab_size)
        status = al_fail(err, AL_ERR_VALUE, "model file: the vocabulary has %d words but the "
                         "configuration's vocab_size is %d", vocab->size, config->vocab_size);
    al_named_tensor *ordered = status == AL_OK ? malloc((size_t)n * sizeof *ordered) : NULL;
    if (status == AL_OK && !ordered)
        status = al_fail(err, AL_ERR_NOMEM, "out of memory writing %s", path);
    if (status == AL_OK)
        status = match_tensors(ordered, specs, n, tensors, count, config, "model file", err);
    model_metadata metadata = {0};
    if (status == AL_OK)
        status = model_metadata_make(&metadata, config, vocab, err);
    al_metadata_entry *entries = NULL;
    if (status == AL_OK)
        status = model_record_append(&entries, &metadata, record, record_count, err);
    if (status == AL_OK)
        status = al_safetensors_write(path, ordered, n, entries, metadata.count + record_count,
                                      err);
    free(entries);
    model_metadata_free(&metadata);
    free(ordered);
    free(specs);
    return status;
}

/* One field of two configurations, as text for a message. */
typedef struct field_pair {
    const char *name;
    char found[24], expected[24];
} field_pair;

static void number_pair(field_pair *p, const char *name, int found, int expected)
{
    p->name = name;
    snprintf(p->found, sizeof p->found, "%d", found);
    snprintf(p->expected, sizeof p->expected, "%d", expected);
}

static void text_pair(field_pair *p, const char *name, const char *found, const char *expected)
{
    p->name = name;
    snprintf(p->found, sizeof p->found, "%s", found);
    snprintf(p->expected, sizeof p->expected, "%s", expected);
}

static void truth_pair(field_pair *p, const char *name, bool found, bool expected)
{
    text_pair(p, name, found ? "true" : "false", expected ? "true" : "false");
}

/* Every field but norm_epsilon must be what the caller expects. */
static al_status compare_config(const al_model_config *f, const al_model_config *e,
                                const char *path, al_error *err)
{
    field_pair p[16];
    int n = 0;
    text_pair(&p[n++], "family", al_family_name(f->family), al_family_name(e->family));
    text_pair(&p[n++], "norm", al_norm_name(f->norm), al_norm_name(e->norm));
    number_pair(&p[n++], "d_model", f->d_model, e->d_model);
    number_pair(&p[n++], "heads", f->heads, e->heads);
    number_pair(&p[n++], "encoder_layers", f->encoder_layers, e->encoder_layers);
    number_pair(&p[n++], "decoder_layers", f->decoder_layers, e->decoder_layers);
    number_pair(&p[n++], "d_ff", f->d_ff, e->d_ff);
    number_pair(&p[n++], "vocab_size", f->vocab_size, e->vocab_size);
    text_pair(&p[n++], "positions", al_positions_name(f->positions),
              al_positions_name(e->positions));
    number_pair(&p[n++], "max_positions", f->max_positions, e->max_positions);
    number_pair(&p[n++], "segments", f->segments, e->segments);
    truth_pair(&p[n++], "biases", f->biases, e->biases);
    truth_pair(&p[n++], "tied_output", f->tied_output, e->tied_output);
    truth_pair(&p[n++], "output_bias", f->output_bias, e->output_bias);
    truth_pair(&p[n++], "embedding_norm", f->embedding_norm, e->embedding_norm);
    truth_pair(&p[n++], "pooler", f->pooler, e->pooler);
    for (int k = 0; k < n; k++)
        if (strcmp(p[k].found, p[k].expected) != 0)
            return al_fail(err, AL_ERR_VALUE, "%s: the file's %s is %s but %s was expected",
                           path, p[k].name, p[k].found, p[k].expected);
    return AL_OK;
}

al_status al_model_file_read(al_model_file *model, const char *path,
                             const al_model_config *expected, al_error *err)
{
    *model = (al_model_file){0};
    al_status status = al_safetensors_read(&model->contents, path, err);
    if (status == AL_OK)
        status = model_metadata_parse(&model->config, &model->vocab, &model->contents, path,
                                      err);
    if (status == AL_OK && expected)
        status = compare_config(&model->config, expected, path, err);
    al_param_spec *specs = NULL;
    int n;
    if (status == AL_OK)
        status = list_tensors(&specs, &n, &model->config, model->contents.count, path, err);
    if (status == AL_OK)
        status = match_tensors(NULL, specs, n, model->contents.tensors, model->contents.count,
                               &model->config, path, err);
    free(specs);
    if (status != AL_OK)
        al_model_file_free(model);
    return status;
}

const char *al_model_file_metadata(const al_model_file *model, const char *key)
{
    for (int k = 0; k < model->contents.metadata_count; k++)
        if (strcmp(model->contents.metadata[k].key, key) == 0)
            return model->contents.metadata[k].value;
    return NULL;
}

al_status al_model_file_family(const char *path, bool *is_seq2seq, al_error *err)
{
    *is_seq2seq = false;
    al_safetensors header;
    al_status status = al_safetensors_read_metadata(&header, path, err);
    if (status == AL_OK)
        status = model_metadata_family(is_seq2seq, &header, path, err);
    al_safetensors_free(&header);
    return status;
}
