/* word_embeddings.h: a hand-made table of word vectors with named
 * dimensions (data/lesson05/embeddings.txt) as a vocabulary plus an
 * embedding matrix, extended on demand with a deterministic vector for each
 * word of a sentence that the table lacks. Not learned embeddings, and not
 * the lookup itself (al_embedding_forward in layers.h does that). */
#ifndef ATTNLAB_WORD_EMBEDDINGS_H
#define ATTNLAB_WORD_EMBEDDINGS_H

#include "attnlab/layers.h"
#include "attnlab/vocab.h"

typedef struct al_word_embeddings {
    al_vocab vocab;          /* specials, then the table's words, then added words */
    al_embedding embedding;  /* vocab.size x d: the specials' rows are 0           */
    int d;                   /* d_model: number of named dimensions                */
    char **dimension_names;  /* d names ("living", "action", ...)                  */
    int table_words;         /* words that came from the file                      */
} al_word_embeddings;

/* Read a labelled table (table_file.h format; row labels are lower-case
 * words) into *words. The caller owns it: al_word_embeddings_free. */
al_status al_word_embeddings_read(al_word_embeddings *words, const char *path, al_error *err);

void al_word_embeddings_free(al_word_embeddings *words);

/* Give every unknown token of tokens (from al_tokenize with words->vocab)
 * an entry: the word is added to the vocabulary with the vector
 * al_word_vector makes from it, and its id is set. tokens->unknown[i]
 * stays true, so the caller can still say which words were made up.
 * *added receives how many new words there were. */
al_status al_word_embeddings_cover(al_word_embeddings *words, al_tokens *tokens, int *added,
                                   al_error *err);

/* A vector for a word nobody wrote down: d numbers uniform in [-0.5, 0.5)
 * from a PCG32 stream seeded by the word's FNV-1a hash. The same word gives
 * the same vector on every machine; different words, unrelated vectors. */
void al_word_vector(float *vector, int d, const char *word);

#endif
