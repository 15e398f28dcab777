/* train_corpus.h: what attnlab-train learns from. A UTF-8 text file read
 * whole and checked; its vocabulary, the words seen at least min_count
 * times; and, for the models that translate, its lines read as pairs:
 *
 *     the red car<TAB>la voiture rouge
 *
 * one pair a line, the source before the tab and the target after it,
 * blank lines skipped. Each pair is kept as the three id rows a training
 * step uses with teacher forcing (train.h):
 *
 *     source  x_0 .. x_{S-1}             what the encoder reads
 *     read    <bos> y_0 .. y_{T-1}       what the decoder reads
 *     write   y_0 .. y_{T-1} <eos>       what it learns to write
 *
 * Program code: errors come back in al_error, worded for the user. */
#ifndef TOOLS_TRAIN_CORPUS_H
#define TOOLS_TRAIN_CORPUS_H

#include "attnlab/vocab.h"

/* The whole file, NUL-terminated, its length in *size; NULL with a message
 * in err if it cannot be read (AL_ERR_IO) or is not UTF-8 (AL_ERR_FORMAT,
 * naming the line and byte). */
char *train_read_text(const char *path, long *size, al_error *err);

/* The six specials, then every word of text seen at least min_count times,
 * in order of first appearance. AL_ERR_VALUE "has no words" for a text
 * without any. */
al_status train_build_vocab(al_vocab *vocab, const char *text, int min_count, al_error *err);

typedef struct train_pair {
    int source_length, target_length;   /* S and T + 1 (with <bos> or <eos>) */
    const int *source, *read, *write;
    int line;                           /* where it stood in the file         */
} train_pair;

typedef struct train_pairs {
    int count;
    train_pair *pairs;
    int *ids;                           /* the rows' storage                  */
} train_pairs;

/* Every pair of text (read from path, for messages), its words looked up
 * in vocab (unknown ones are <unk>). A line without a tab, with an empty
 * side, or with a side longer than max_length (the source in words, the
 * target with <eos>) fails with AL_ERR_FORMAT and "PATH:LINE: ...". */
al_status train_read_pairs(train_pairs *pairs, const char *text, const char *path,
                           const al_vocab *vocab, int max_length, al_error *err);
void train_pairs_free(train_pairs *pairs);

#endif
