/* seq2seq_file.c: the RNN seq2seq model as a model file (seq2seq_file.h):
 * its parameters by their trace names (al_seq2seq_param_list) through the
 * safetensors container, its configuration and vocabulary in the metadata
 * (model_metadata.c). No JSON here, and no maths. */
#include "attnlab/seq2seq_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnlab/safetensors.h"
#include "io/model_metadata.h"

enum { MAX_TENSORS = 32 };

/* Is m one of the cell's input weights (d_in rows)? */
static bool input_weight(const al_rnn_cell *cell, const al_matrix *m)
{
    return m == &cell->w_x || m == &cell->w_xz || m == &cell->w_xr;
}

static bool cell_bias(const al_rnn_cell *cell, const al_matrix *m)
{
    return m == &cell->b || m == &cell->b_z || m == &cell->b_r || m == &cell->b_hn;
}

/* The shape of parameter m of model in the configuration's letters, e.g.
 * "d_hidden x d_hidden", for a message. */
static void shape_text(char *out, size_t size, const al_seq2seq *model, const al_matrix *m)
{
    const char *rows = "d_hidden", *cols = "d_hidden";
    if (m == &model->source_embed.table || m == &model->target_embed.table)
        rows = "vocab_size", cols = "d_embed";
    else if (m == &model->output.w)
        rows = "2 d_hidden", cols = "vocab_size";
    else if (m == &model->output.b)
        rows = "1", cols = "vocab_size";
    else if (m == &model->attn_w_q || m == &model->attn_w_k)
        cols = "d_attention";
    else if (m == &model->attn_v_a)
        rows = "d_attention", cols = "1";
    else if (input_weight(&model->encoder, m))
        rows = "d_embed";
    else if (input_weight(&model->decoder, m))
        rows = "(d_embed + d_hidden)";
    else if (cell_bias(&model->encoder, m) || cell_bias(&model->decoder, m))
        rows = "1";
    snprintf(out, size, "%s x %s", rows, cols);
}

/* "gru, additive attention" or "elman, no attention": the model in words. */
static void model_text(char *out, size_t size, const al_seq2seq_config *c)
{
    snprintf(out, size, "%s, %s%s", al_rnn_kind_name(c->cell),
             c->attention ? al_score_kind_name(c->score) : "no",
             " attention");
}

al_status al_seq2seq_file_write(const char *path, const al_seq2seq *model,
                                const al_vocab *vocab, al_error *err)
{
    return al_seq2seq_file_write_with(path, model, vocab, NULL, 0, err);
}

al_status al_seq2seq_file_write_with(const char *path, const al_seq2seq *model,
                                     const al_vocab *vocab, const al_metadata_entry *record,
                                     int record_count, al_error *err)
{
    al_status checked = model_record_check(record, record_count, err);
    if (checked != AL_OK)
        return checked;
    if (vocab->size != model->config.vocab_size)
        return al_fail(err, AL_ERR_VALUE, "%s: the vocabulary has %d words but the model's "
                       "vocab_size is %d", path, vocab->size, model->config.vocab_size);
    al_matrix *values[MAX_TENSORS];
    char names[MAX_TENSORS][AL_NAME_SIZE];
    /* the list only reads the model; its pointers are not written through */
    int count = al_seq2seq_param_list((al_seq2seq *)model, values, names, MAX_TENSORS);
    al_named_tensor tensors[MAX_TENSORS];
    for (int k = 0; k < count; k++)
        tensors[k] = (al_named_tensor){.name = names[k], .value = *values[k]};
    model_metadata metadata;
    al_status status = seq2seq_metadata_make(&metadata, &model->config, vocab, err);
    al_metadata_entry *entries = NULL;
    if (status == AL_OK)
        status = model_record_append(&entries, &metadata, record, record_count, err);
    if (status == AL_OK)
        status = al_safetensors_write(path, tensors, count, entries,
                                      metadata.count + record_count, err);
    free(entries);
    model_metadata_free(&metadata);
    return status;
}

/* Every parameter of model present in file with its shape, copied in;
 * then no tensor the model does not have. */
static al_status take_tensors(al_seq2seq *model, const al_safetensors *file, const char *path,
                              al_error *err)
{
    al_matrix *values[MAX_TENSORS];
    char names[MAX_TENSORS][AL_NAME_SIZE];
    int count = al_seq2seq_param_list(model, values, names, MAX_TENSORS);
    char shape[64];
    for (int k = 0; k < count; k++) {
        const al_matrix *found = al_safetensors_find(file, names[k]);
        al_matrix *m = values[k];
        shape_text(shape, sizeof shape, model, m);
        if (!found)
            return al_fail(err, AL_ERR_FORMAT, "%s: tensor '%s' (%s = %d x %d) is missing",
                           path, names[k], shape, m->rows, m->cols);
        if (found->rows != m->rows || found->cols != m->cols)
            return al_fail(err, AL_ERR_SHAPE, "%s: tensor '%s' is %d x %d but the model "
                           "needs %s = %d x %d", path, names[k], found->rows, found->cols,
                           shape, m->rows, m->cols);
        al_copy(m, found, NULL);
    }
    for (int t = 0; t < file->count; t++) {
        bool listed = false;
        for (int k = 0; k < count && !listed; k++)
            listed = strcmp(names[k], file->tensors[t].name) == 0;
        char what[64];
        model_text(what, sizeof what, &model->config);
        if (!listed)
            return al_fail(err, AL_ERR_FORMAT, "%s: tensor '%s' is not part of this RNN "
                           "seq2seq model (%s)", path, file->tensors[t].name, what);
    }
    return AL_OK;
}

al_status al_seq2seq_file_read(al_seq2seq *model, al_vocab *vocab, const char *path,
                               al_error *err)
{
    *model = (al_seq2seq){0};
    *vocab = (al_vocab){0};
    al_safetensors file;
    al_seq2seq_config config;
    al_status status = al_safetensors_read(&file, path, err);
    if (status == AL_OK)
        status = seq2seq_metadata_parse(&config, vocab, &file, path, err);
    al_error config_error;
    if (status == AL_OK && al_seq2seq_alloc(model, &config, &config_error) != AL_OK)
        status = al_fail(err, AL_ERR_FORMAT, "%s: the configuration in the metadata is "
                         "inconsistent: %s", path, config_error.message);
    if (status == AL_OK)
        status = take_tensors(model, &file, path, err);
    al_safetensors_free(&file);
    if (status != AL_OK) {
        al_seq2seq_free(model);
        al_vocab_free(vocab);
    }
    return status;
}
