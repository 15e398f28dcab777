/* sentence.c: a sentence in data/lesson05's named dimensions and the
 * attention weights that go with it (see sentence.h). */
#include "sentence.h"

#include <stdio.h>

#include "attnlab/attention_tables.h"
#include "attnlab/rng.h"
#include "options.h"

static void embeddings_path(char *buf, size_t size, const char *data_dir)
{
    snprintf(buf, size, "%s/lesson05/embeddings.txt", data_dir);
}

al_status lesson_words_read(al_word_embeddings *words, const char *data_dir, al_error *err)
{
    char path[LESSON_PATH_SIZE];
    embeddings_path(path, sizeof path, data_dir);
    return al_word_embeddings_read(words, path, err);
}

al_status lesson_sentence(al_tokens *tokens, al_word_embeddings *words, const char *sentence,
                          int max_tokens, const char *data_dir, printout *p, al_error *err)
{
    al_status status = al_tokenize(tokens, sentence, &words->vocab, AL_TOKENIZE_PLAIN, err);
    if (status == AL_OK && tokens->count > max_tokens)
        status = al_fail(err, AL_ERR_VALUE, "the sentence has %d tokens; this lesson takes at "
                         "most %d", tokens->count, max_tokens);
    if (status != AL_OK)
        return status;
    /* every lesson's rule: a word the vocabulary lacks becomes <unk>, named
     * in a note; here <unk>'s row of the table is 0 in every dimension */
    char path[LESSON_PATH_SIZE];
    embeddings_path(path, sizeof path, data_dir);
    for (int i = 0; i < tokens->count; i++)
        if (tokens->unknown[i])
            print_text(p, "  note: '%s' is not in %s; it becomes <unk>, whose vector is 0 in "
                          "every dimension", tokens->labels[i], path);
    return AL_OK;
}

/* A fresh vocabulary-size x d_model table of random vectors replaces the
 * named one, then the weights, from one seeded stream. */
static al_status random_params(al_attention_params *params, al_word_embeddings *words,
                               uint64_t seed, al_error *err)
{
    al_rng rng;
    al_rng_seed(&rng, seed, 0);
    al_embedding_free(&words->embedding);
    al_status status = al_embedding_alloc(&words->embedding, words->vocab.size,
                                          params->d_model, err);
    if (status != AL_OK)
        return status;
    al_embedding_init(&words->embedding, &rng);
    /* the special tokens' rows stay 0, as in data/lesson05's table: <unk>,
     * every word the table lacks, is 0 in both */
    al_matrix *table = &words->embedding.table;
    for (int id = 0; id < AL_SPECIAL_TOKENS && id < table->rows; id++)
        for (int j = 0; j < table->cols; j++)
            *al_at(table, id, j) = 0.0f;
    al_attention_params_init(params, &rng);
    return AL_OK;
}

void lesson_weights_options(lesson_options *o, int n, const char **sentence,
                            lesson_weights *weights)
{
    o->own[n++] = (cli_option){
        .name = "random", .kind = CLI_FLAG, .target = &weights->random,
        .help = "seeded random embeddings and weights instead of data/lesson05"};
    o->own[n++] = (cli_option){
        .name = "d-model", .kind = CLI_INT, .target = &weights->d_model, .value_name = "N",
        .help = "d_model with --random (default 6; the data fixes 6)", .min = 1, .max = 512,
        .only_with = "random"};
    o->inputs = (lesson_inputs){.sentence = sentence, .seed = &weights->seed,
                                .data_dir = &weights->data_dir};
}

al_status lesson_attention_params(al_attention_params *params, al_word_embeddings *words,
                                  const lesson_weights *weights, al_error *err)
{
    int d_model = weights->random ? weights->d_model : words->d;
    al_status status = al_attention_params_alloc(params, d_model, weights->heads, false, err);
    if (status != AL_OK)
        return status;
    if (weights->random)
        return random_params(params, words, weights->seed, err);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/lesson05", weights->data_dir);
    return al_attention_params_read(params, dir, err);
}

al_status lesson_sentence_inputs(al_word_embeddings *words, al_tokens *tokens,
                                 al_attention_params *params, const char *sentence,
                                 int max_tokens, const lesson_weights *weights, printout *p,
                                 al_error *err)
{
    al_status status = lesson_words_read(words, weights->data_dir, err);
    if (status == AL_OK)
        status = lesson_sentence(tokens, words, sentence, max_tokens, weights->data_dir, p, err);
    if (status == AL_OK)
        status = lesson_attention_params(params, words, weights, err);
    return status;
}
