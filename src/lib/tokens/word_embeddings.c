/* word_embeddings.c: named-dimension word vectors from a data file, and
 * made-up vectors for the words it lacks (see word_embeddings.h). */
#include "attnlab/word_embeddings.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attnlab/rng.h"
#include "attnlab/table_file.h"

/* FNV-1a, 64 bits: a fixed, documented hash, so a word's made-up vector
 * never depends on the platform. */
static uint64_t fnv1a(const char *text)
{
    uint64_t hash = 14695981039346656037ull;
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        hash ^= *c;
        hash *= 1099511628211ull;
    }
    return hash;
}

void al_word_vector(float *vector, int d, const char *word)
{
    al_rng rng;
    al_rng_seed(&rng, fnv1a(word), 0);
    for (int j = 0; j < d; j++)
        vector[j] = al_rng_uniform(&rng) - 0.5f;
}

/* Copy rows into a table with room for `rows` words, keeping old rows. */
static al_status grow_table(al_embedding *embedding, int rows, int d, al_error *err)
{
    al_embedding bigger;
    al_status status = al_embedding_alloc(&bigger, rows, d, err);
    if (status != AL_OK)
        return status;
    if (embedding->table.data) {
        al_matrix top = al_matrix_rows(&bigger.table, 0, embedding->table.rows);
        al_copy(&top, &embedding->table, NULL);
    }
    al_embedding_free(embedding);
    *embedding = bigger;
    return AL_OK;
}

static al_status take_dimension_names(al_word_embeddings *words, al_table *table,
                                      al_error *err)
{
    words->d = table->values.cols;
    words->dimension_names = calloc((size_t)words->d, sizeof *words->dimension_names);
    if (!words->dimension_names)
        return al_fail(err, AL_ERR_NOMEM, "out of memory for %d dimension names", words->d);
    for (int j = 0; j < words->d; j++) {
        words->dimension_names[j] = table->col_labels[j];
        table->col_labels[j] = NULL; /* now owned by words */
    }
    return AL_OK;
}

static bool has_capital(const char *word)
{
    for (const char *c = word; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            return true;
    return false;
}

al_status al_word_embeddings_read(al_word_embeddings *words, const char *path, al_error *err)
{
    *words = (al_word_embeddings){0};
    al_table table;
    al_status status = al_table_read(&table, path, err);
    if (status != AL_OK)
        return status;
    status = al_vocab_init(&words->vocab, err);
    for (int i = 0; status == AL_OK && i < table.values.rows; i++) {
        int id;
        if (has_capital(table.row_labels[i]))
            status = al_fail(err, AL_ERR_FORMAT, "%s: word '%s' has a capital letter; the "
                             "tokenizer looks words up in lower case", path,
                             table.row_labels[i]);
        else
            status = al_vocab_add(&words->vocab, table.row_labels[i], &id, err);
    }
    if (status == AL_OK)
        status = take_dimension_names(words, &table, err);
    if (status == AL_OK)
        status = grow_table(&words->embedding, words->vocab.size, table.values.cols, err);
    /* Each word's row goes where the vocabulary put its id. */
    for (int i = 0; status == AL_OK && i < table.values.rows; i++) {
        int id = al_vocab_find(&words->vocab, table.row_labels[i]);
        memcpy(al_at(&words->embedding.table, id, 0), al_at(&table.values, i, 0),
               (size_t)words->d * sizeof(float));
    }
    words->table_words = table.values.rows;
    al_table_free(&table);
    if (status != AL_OK)
        al_word_embeddings_free(words);
    return status;
}

void al_word_embeddings_free(al_word_embeddings *words)
{
    if (!words)
        return;
    al_vocab_free(&words->vocab);
    al_embedding_free(&words->embedding);
    if (words->dimension_names)
        for (int j = 0; j < words->d; j++)
            free(words->dimension_names[j]);
    free(words->dimension_names);
    *words = (al_word_embeddings){0};
}

al_status al_word_embeddings_cover(al_word_embeddings *words, al_tokens *tokens, int *added,
                                   al_error *err)
{
    *added = 0;
    for (int i = 0; i < tokens->count; i++) {
        if (!tokens->unknown[i])
            continue;
        int id = al_vocab_find(&words->vocab, tokens->words[i]);
        if (id < 0) { /* first time this sentence uses the word */
            al_status status = al_vocab_add(&words->vocab, tokens->words[i], &id, err);
            if (status == AL_OK)
                status = grow_table(&words->embedding, words->vocab.size, words->d, err);
            if (status != AL_OK)
                return status;
            al_word_vector(al_at(&words->embedding.table, id, 0), words->d, tokens->words[i]);
            (*added)++;
        }
        tokens->ids[i] = id;
    }
    return AL_OK;
}
