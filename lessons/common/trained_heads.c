/* trained_heads.c: the bank corpus model on a lesson's sentence (see
 * trained_heads.h). */
#include "trained_heads.h"

#include <stdio.h>

al_status lesson_trained_heads_run(lesson_trained_heads *t, const char *data_dir,
                                   const char *sentence, printout *p, al_trace *trace,
                                   al_error *err)
{
    *t = (lesson_trained_heads){0};
    int n = snprintf(t->path, sizeof t->path, "%s/%s", data_dir, LESSON_TRAINED_MODEL);
    if (n < 0 || (size_t)n >= sizeof t->path)
        return al_fail(err, AL_ERR_ARG, "the data folder's path is too long");
    al_status status = al_transformer_load(&t->model, &t->vocab, t->path, NULL, err);
    if (status == AL_OK)
        status = al_tokenize(&t->tokens, sentence, &t->vocab, AL_TOKENIZE_PLAIN, err);
    int room = t->model.config.max_positions;
    if (status == AL_OK && t->tokens.count > room)
        status = al_fail(err, AL_ERR_VALUE, "the sentence has %d tokens; the trained model "
                         "reads at most %d", t->tokens.count, room);
    if (status != AL_OK)
        return status;
    for (int i = 0; i < t->tokens.count; i++)
        if (t->tokens.unknown[i])
            print_text(p, "  note: '%s' is not in the trained model's vocabulary (%d words of "
                          "data/bank/corpus.txt); it becomes <unk>", t->tokens.labels[i],
                       t->vocab.size);
    status = al_transformer_workspace_alloc(&t->ws, &t->model, t->tokens.count, err);
    if (status != AL_OK)
        return status;
    al_sequence input = {.length = t->tokens.count, .ids = t->tokens.ids,
                         .labels = (const char *const *)t->tokens.labels};
    return al_transformer_forward_prefixed(&t->ws, &t->model, &input, NULL,
                                           (const char *const *)t->vocab.words,
                                           LESSON_TRAINED_PREFIX, trace, err);
}

void lesson_trained_heads_free(lesson_trained_heads *t)
{
    al_transformer_workspace_free(&t->ws);
    al_tokens_free(&t->tokens);
    al_transformer_free(&t->model);
    al_vocab_free(&t->vocab);
}

const al_attention_workspace *lesson_trained_layer(const lesson_trained_heads *t, int layer)
{
    return &t->ws.decoder[layer].self_attn.attn;
}
