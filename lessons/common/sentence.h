/* sentence.h: the inputs lessons 05 to 08 share: a sentence looked up in
 * data/lesson05's word vectors with named dimensions (a word the table
 * lacks gets a made-up vector, and the printout says so), and one
 * attention layer's parameters: data/lesson05's hand-made W_Q, W_K, W_V
 * with W_O = I, or seeded random ones for --random. Program code over the
 * library (word_embeddings.h, attention_tables.h): it prints notes, it
 * computes nothing. */
#ifndef LESSONS_SENTENCE_H
#define LESSONS_SENTENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "attnlab/multihead.h"
#include "attnlab/word_embeddings.h"
#include "printout.h"
#include "runner.h"

/* Read <data_dir>/lesson05/embeddings.txt into *words (the caller frees
 * it with al_word_embeddings_free, also after a failure). */
al_status lesson_words_read(al_word_embeddings *words, const char *data_dir, al_error *err);

/* Split sentence into tokens looked up in words. An empty sentence, or one
 * of more than max_tokens tokens, fails with one sentence in err
 * ("the sentence has 40 tokens; this lesson takes at most 32"). Each word
 * the table lacks becomes <unk>, whose row is 0 (the rule of every lesson:
 * a model knows only its vocabulary, and <unk> stands for the rest), and a
 * note naming it is printed. The caller frees *tokens with al_tokens_free. */
al_status lesson_sentence(al_tokens *tokens, al_word_embeddings *words, const char *sentence,
                          int max_tokens, const char *data_dir, printout *p, al_error *err);

/* Where a lesson's attention weights come from. */
typedef struct lesson_weights {
    bool random;           /* --random: seeded random vectors and weights   */
    uint64_t seed;         /* --seed                                        */
    int d_model;           /* --d-model, used with --random only            */
    int heads;             /* --heads (1 for single-head lessons)           */
    const char *data_dir;  /* the data folder holding lesson05/             */
    bool trained;          /* --trained (05, 06): also the bank corpus model */
} lesson_weights;

/* The options of a lesson on one sentence's attention (05 to 07), added to
 * o after its first n own options: --random and --d-model into weights,
 * and the shared inputs: --sentence into *sentence, --seed and --data into
 * weights. The defaults are the caller's, set in weights beforehand. */
void lesson_weights_options(lesson_options *o, int n, const char **sentence,
                            lesson_weights *weights);

/* Allocate *params for heads heads and fill them. With random, a fresh
 * vocabulary-size x d_model table of N(0, 1) vectors replaces words's
 * table, then W_Q, W_K, W_V, W_O are Glorot-uniform, all from one stream
 * seeded by seed; so call this after every lesson_sentence. Otherwise
 * d_model is the table's number of named dimensions and the weights are
 * data/lesson05's (al_attention_params_read: W_O = I). A d_model that does
 * not split into heads fails with al_attention_params_alloc's message. The
 * caller frees *params with al_attention_params_free. */
al_status lesson_attention_params(al_attention_params *params, al_word_embeddings *words,
                                  const lesson_weights *weights, al_error *err);

/* The inputs of a lesson on one sentence: lesson_words_read from
 * weights->data_dir, lesson_sentence, then lesson_attention_params, stopping
 * at the first failure. The caller frees all three as those say. */
al_status lesson_sentence_inputs(al_word_embeddings *words, al_tokens *tokens,
                                 al_attention_params *params, const char *sentence,
                                 int max_tokens, const lesson_weights *weights, printout *p,
                                 al_error *err);

#endif
