/* train_corpus.h: what attnlab-train learns from, beyond the text and its
 * vocabulary (corpus.h, in the library): for the models that translate,
 * the text's lines read as pairs:
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

#include "attnlab/corpus.h"

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
