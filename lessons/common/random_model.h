/* random_model.h: the models of lessons 09 and 12: the trained ones of
 * data/bank by default, and with --random seeded, untrained Transformers
 * over data/lesson05's vocabulary in the shape the options give. A
 * sentence is tokenized into the model's vocabulary (a word it lacks
 * becomes <unk>, and the printout says so). Program code over the library
 * (vocab.h, transformer.h, model_file.h): it prints notes, it computes
 * nothing. */
#ifndef LESSONS_RANDOM_MODEL_H
#define LESSONS_RANDOM_MODEL_H

#include <stdint.h>

#include "attnlab/transformer.h"
#include "attnlab/vocab.h"
#include "cli_options.h"
#include "printout.h"

/* Split sentence into vocab's words with flags' extra tokens
 * (AL_TOKENIZE_CLS, AL_TOKENIZE_BOS). An empty sentence, or more than
 * max_tokens tokens in all, fails with one sentence in err. Each unknown
 * word gets a note naming it and where the vocabulary comes from
 * (vocab_source: "data/lesson05's words"). The caller frees *tokens with
 * al_tokens_free (also after a failure). */
al_status lesson_model_tokens(al_tokens *tokens, const al_vocab *vocab, const char *vocab_source,
                              const char *sentence, int flags, int max_tokens, printout *p,
                              al_error *err);

/* Where the trained models live under the data folder, and where their
 * vocabulary comes from. */
#define LESSON_BANK_ENCODER "bank/encoder.safetensors"
#define LESSON_BANK_DECODER "bank/decoder.safetensors"
#define LESSON_BANK_WORDS "the words of data/bank/corpus.txt"

/* A trained model file data_dir/file (LESSON_BANK_ENCODER ...) of the
 * family expected, with its vocabulary; path gets the file's path and
 * origin its training record in words (lesson_model_record). A file of
 * another family fails with one sentence. Free with al_transformer_free
 * and al_vocab_free (also after a failure). */
typedef struct lesson_trained_file {
    char path[1024];
    char origin[512];
} lesson_trained_file;
al_status lesson_trained_model(al_transformer *model, al_vocab *vocab, lesson_trained_file *file,
                               const char *data_dir, const char *name, al_family family,
                               al_error *err);

/* The shape the options give. */
typedef struct model_shape {
    int d_model, heads, layers;
    uint64_t seed;
} model_shape;

/* --d-model and --heads, bound to shape, at out[0] and out[1], as lessons
 * 09 and 12 take them (the defaults are the caller's, set in shape); both
 * need --random. */
void lesson_shape_options(cli_option *out, model_shape *shape);

/* Allocate *model as a small post-norm Transformer of family with shape's
 * d_model, heads and layers, d_ff = 4 d_model, sinusoidal positions,
 * biases, the output tied to the embeddings (logits = x · Eᵀ), and a
 * pooler when with_pooler; then draw every weight from shape->seed
 * (al_transformer_init). Two families with the same shape and seed get
 * the same numbers in the same places: an encoder layer's and a decoder-
 * only layer's parameters are drawn alike. A d_model that does not split
 * into the heads fails with the configuration check's message. Free with
 * al_transformer_free (also after a failure). */
al_status lesson_random_model(al_transformer *model, al_family family, const model_shape *shape,
                              bool with_pooler, int vocab_size, al_error *err);

#endif
