/* bigram.c: a hand-made bigram table as a language model (see bigram.h).
 * Checks the table's shape of words; the numbers are the table's own. */
#include "attnlab/bigram.h"

#include <math.h>
#include <string.h>

static int find_column(const al_table *table, const char *word)
{
    for (int j = 0; j < table->values.cols; j++)
        if (strcmp(table->col_labels[j], word) == 0)
            return j;
    return -1;
}

/* Is the table a model a sentence can be decoded with? */
static al_status check_words(const al_table *table, const char *path, al_error *err)
{
    int columns = table->values.cols;
    if (columns + 1 > AL_BIGRAM_MAX_VOCAB)
        return al_fail(err, AL_ERR_FORMAT, "%s has %d columns; a bigram model takes at most %d",
                       path, columns, AL_BIGRAM_MAX_VOCAB - 1);
    if (find_column(table, "<eos>") < 0)
        return al_fail(err, AL_ERR_FORMAT, "%s has no column '<eos>': no sentence could end",
                       path);
    if (find_column(table, "<bos>") >= 0 || al_table_find_row(table, "<bos>") < 0)
        return al_fail(err, AL_ERR_FORMAT, "%s needs a row '<bos>' (what starts a sentence) "
                       "and no column '<bos>'", path);
    return AL_OK;
}

al_status al_bigram_read(al_bigram_model *model, const char *path, al_error *err)
{
    *model = (al_bigram_model){0};
    al_status status = al_table_read(&model->table, path, err);
    if (status == AL_OK)
        status = check_words(&model->table, path, err);
    if (status != AL_OK) {
        al_bigram_free(model);
        return status;
    }
    int columns = model->table.values.cols;
    model->vocab_size = columns + 1;
    model->bos_id = columns;
    model->eos_id = find_column(&model->table, "<eos>");
    for (int j = 0; j < columns; j++)
        model->words[j] = model->table.col_labels[j];
    model->words[model->bos_id] = "<bos>";
    for (int id = 0; id < model->vocab_size; id++) {
        model->row_of[id] = al_table_find_row(&model->table, model->words[id]);
        if (model->row_of[id] < 0 && id != model->eos_id) {
            al_fail(err, AL_ERR_FORMAT, "%s has no row for '%s': nothing could follow it", path,
                    model->words[id]);
            al_bigram_free(model);
            return AL_ERR_FORMAT;
        }
    }
    return AL_OK;
}

void al_bigram_free(al_bigram_model *model)
{
    if (!model)
        return;
    al_table_free(&model->table);
    *model = (al_bigram_model){0};
}

/* A bigram model looks one word back: the next token's logits are the
 * table's row for the last token of the prefix. */
al_status al_bigram_next_logits(al_matrix *logits, const int *prefix, int length, void *context,
                                al_error *err)
{
    const al_bigram_model *model = context;
    if (logits->rows != 1 || logits->cols != model->vocab_size)
        return al_fail(err, AL_ERR_SHAPE, "bigram logits are %d x %d but must be 1 x %d",
                       logits->rows, logits->cols, model->vocab_size);
    int last = prefix[length - 1];
    int row = last >= 0 && last < model->vocab_size ? model->row_of[last] : -1;
    if (row < 0)
        return al_fail(err, AL_ERR_VALUE, "the model has no row for token %d ('%s')", last,
                       last >= 0 && last < model->vocab_size ? model->words[last] : "?");
    al_matrix from = al_matrix_rows(&model->table.values, row, 1);
    al_matrix to = al_matrix_cols(logits, 0, from.cols);
    al_status status = al_copy(&to, &from, err);
    *al_at(logits, 0, model->bos_id) = -INFINITY;
    return status;
}
