/* transformer_tables.c: a Transformer's parameters from text tables, one
 * file per layout name (see transformer_tables.h). Reading and copying;
 * no maths. */
#include "attnlab/transformer_tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnlab/model_layout.h"
#include "attnlab/table_file.h"

/* Labels (rows or columns of a table) that must be the vocabulary's words
 * in id order. */
static al_status check_words(char *const *labels, int count, const al_vocab *vocab,
                             const char *path, const char *what, al_error *err)
{
    for (int id = 0; id < count; id++)
        if (strcmp(labels[id], al_vocab_word(vocab, id)) != 0)
            return al_fail(err, AL_ERR_FORMAT, "%s: %s %d is labelled '%s' but word %d of the "
                           "vocabulary is '%s'", path, what, id + 1, labels[id], id,
                           al_vocab_word(vocab, id));
    return AL_OK;
}

/* Read path into m, which must have the table's shape. */
static al_status read_one(al_matrix *m, const char *name, const char *path,
                          const al_vocab *vocab, al_error *err)
{
    al_table table;
    al_status status = al_table_read(&table, path, err);
    if (status != AL_OK)
        return status;
    if (!al_same_shape(&table.values, m))
        status = al_fail(err, AL_ERR_SHAPE, "%s: the table is %d x %d but %s is %d x %d", path,
                         table.values.rows, table.values.cols, name, m->rows, m->cols);
    if (status == AL_OK && strcmp(name, "embed.table") == 0)
        status = check_words(table.row_labels, m->rows, vocab, path, "row", err);
    if (status == AL_OK && strcmp(name, "logits.w") == 0)
        status = check_words(table.col_labels, m->cols, vocab, path, "column", err);
    if (status == AL_OK)
        status = al_copy(m, &table.values, err);
    al_table_free(&table);
    return status;
}

static bool file_exists(const char *path)
{
    FILE *probe = fopen(path, "r");
    if (probe)
        fclose(probe);
    return probe != NULL;
}

/* <folder>/defaults.txt: the parameters that keep their start value, one
 * name a line ('#' comments, blank lines). *names holds the file's text,
 * NUL-separated; *count the names. No file: no names. */
static al_status read_defaults(char **text, char ***names, int *count, const char *folder,
                               al_error *err)
{
    *text = NULL, *names = NULL, *count = 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", folder, AL_TABLE_DEFAULTS_FILE);
    FILE *file = fopen(path, "r");
    if (!file)
        return AL_OK;
    size_t size = 0, used = 0;
    for (int c; (c = fgetc(file)) != EOF;) {
        if (used + 2 > size) {
            char *grown = realloc(*text, size = size ? 2 * size : 1024);
            if (!grown) {
                fclose(file);
                return al_fail(err, AL_ERR_NOMEM, "out of memory reading %s", path);
            }
            *text = grown;
        }
        (*text)[used++] = (char)c;
    }
    fclose(file);
    if (!*text)
        return AL_OK;
    (*text)[used] = '\0';
    *names = calloc(used / 2 + 2, sizeof **names);
    if (!*names)
        return al_fail(err, AL_ERR_NOMEM, "out of memory reading %s", path);
    for (char *line = strtok(*text, "\n"); line; line = strtok(NULL, "\n")) {
        line += strspn(line, " \t\r");
        line[strcspn(line, " \t\r#")] = '\0';
        if (line[0])
            (*names)[(*count)++] = line;
    }
    return AL_OK;
}

static bool listed(char *const *names, int count, const char *name)
{
    for (int k = 0; k < count; k++)
        if (strcmp(names[k], name) == 0)
            return true;
    return false;
}

/* Every name of defaults.txt is a parameter of the model. */
static al_status check_defaults(char *const *names, int count, const al_param_spec *specs,
                                int n_specs, const char *folder, al_error *err)
{
    for (int k = 0; k < count; k++) {
        bool known = false;
        for (int j = 0; j < n_specs && !known; j++)
            known = strcmp(specs[j].name, names[k]) == 0;
        if (!known)
            return al_fail(err, AL_ERR_FORMAT, "%s/%s names '%s', which is not a parameter of "
                           "this model", folder, AL_TABLE_DEFAULTS_FILE, names[k]);
    }
    return AL_OK;
}

al_status al_transformer_read_tables(al_transformer *model, const al_vocab *vocab,
                                     const char *folder, int *files_read, int *kept,
                                     al_error *err)
{
    if (files_read)
        *files_read = 0;
    if (kept)
        *kept = 0;
    if (vocab->size != model->config.vocab_size)
        return al_fail(err, AL_ERR_VALUE, "the vocabulary has %d words but the model %d",
                       vocab->size, model->config.vocab_size);
    int count = 0;
    al_status status = al_model_layout(NULL, 0, &count, &model->config, err);
    al_param_spec *specs = status == AL_OK ? malloc((size_t)count * sizeof *specs) : NULL;
    if (status == AL_OK && !specs)
        status = al_fail(err, AL_ERR_NOMEM, "out of memory listing %d parameters", count);
    if (status == AL_OK)
        status = al_model_layout(specs, count, &count, &model->config, err);
    char *text = NULL, **defaults = NULL;
    int n_defaults = 0;
    if (status == AL_OK)
        status = read_defaults(&text, &defaults, &n_defaults, folder, err);
    if (status == AL_OK)
        status = check_defaults(defaults, n_defaults, specs, count, folder, err);
    for (int k = 0; k < count && status == AL_OK; k++) {
        char path[4096];
        int needed = snprintf(path, sizeof path, "%s/%s.txt", folder, specs[k].name);
        if (needed < 0 || (size_t)needed >= sizeof path) {
            status = al_fail(err, AL_ERR_ARG, "the folder name is too long");
            break;
        }
        bool is_default = listed(defaults, n_defaults, specs[k].name);
        bool exists = file_exists(path);
        if (exists && is_default)
            status = al_fail(err, AL_ERR_FORMAT, "%s/%s names %s, which has a table too: "
                             "one or the other", folder, AL_TABLE_DEFAULTS_FILE, specs[k].name);
        else if (!exists && !is_default)
            status = al_fail(err, AL_ERR_FORMAT, "%s is missing: give the table, or name %s "
                             "in %s/%s to keep its start value", path, specs[k].name, folder,
                             AL_TABLE_DEFAULTS_FILE);
        else if (is_default && kept)
            (*kept)++;
        if (status != AL_OK || !exists)
            continue;
        status = read_one(al_transformer_param(model, specs[k].name), specs[k].name, path,
                          vocab, err);
        if (status == AL_OK && files_read)
            (*files_read)++;
    }
    free(text), free(defaults);
    free(specs);
    return status;
}
