/* bigram.h: the smallest language model: a table of logits for the word
 * that follows each word (data/lesson11/bigrams.txt). Reading and checking
 * the table, and the step function that gives beam search (beam_search.h)
 * the next token's logits. Not trained, not smoothed: the numbers are the
 * table's, chosen by hand.
 *
 * The table (table_file.h format) has one column per word that can come
 * next, <eos> among them, and one row per word that can come before,
 * <bos> among them. Token ids are the column order, then <bos>, so a
 * model's vocabulary is the columns plus <bos>. */
#ifndef ATTNLAB_BIGRAM_H
#define ATTNLAB_BIGRAM_H

#include "attnlab/table_file.h"

#define AL_BIGRAM_MAX_VOCAB 64   /* words, <bos> included */

/* How beam search names this model in its trace (al_beam_options.model):
 * the logits of the next token are the table's row for the last token. */
#define AL_BIGRAM_BEAM_MODEL "bigram"

typedef struct al_bigram_model {
    al_table table;
    int vocab_size;                            /* columns, then <bos>          */
    const char *words[AL_BIGRAM_MAX_VOCAB];    /* id -> word (into table)      */
    int row_of[AL_BIGRAM_MAX_VOCAB];           /* id -> table row; -1 for <eos> */
    int bos_id, eos_id;
} al_bigram_model;

/* Read path into *model and check it can decode a sentence: <eos> is a
 * column, <bos> a row but no column, every other column has a row saying
 * what follows it, and at most AL_BIGRAM_MAX_VOCAB - 1 columns. On failure
 * the error names the file and what is missing, and *model is empty. The
 * caller frees it with al_bigram_free. */
al_status al_bigram_read(al_bigram_model *model, const char *path, al_error *err);

void al_bigram_free(al_bigram_model *model);

/* An al_next_logits step function (beam_search.h); context is the
 * al_bigram_model. logits (1 x vocab_size) = the table's row for the
 * prefix's last token, and -inf for <bos>, which never comes next. */
al_status al_bigram_next_logits(al_matrix *logits, const int *prefix, int length, void *context,
                                al_error *err);

#endif
