/* corpus.h: text to learn from. A UTF-8 text file read whole and checked,
 * and the vocabulary a model learns over: the words of the text seen at
 * least min_count times. What attnlab-train learns from and what
 * lesson13 trains on; the tokenizer is vocab.h's. Not a data loader: no
 * batches, no shuffling (those belong to whoever trains). */
#ifndef ATTNLAB_CORPUS_H
#define ATTNLAB_CORPUS_H

#include "attnlab/vocab.h"

/* The whole file at path, NUL-terminated, its length in bytes in *size.
 * NULL with a message in err if it cannot be read (AL_ERR_IO, "cannot
 * open the corpus PATH") or is not UTF-8 or holds a NUL byte
 * (AL_ERR_FORMAT, naming the line and byte). The caller frees the text
 * with free. */
char *al_corpus_read(const char *path, long *size, al_error *err);

/* The six specials, then every word of text seen at least min_count times,
 * in order of first appearance (vocab.h's tokenizer rules), so the same
 * text always gives the same ids. AL_ERR_VALUE "has no words" for a text
 * without any. The caller frees *vocab with al_vocab_free (also after a
 * failure). */
al_status al_vocab_from_corpus(al_vocab *vocab, const char *text, int min_count,
                               al_error *err);

#endif
