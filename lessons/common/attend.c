/* attend.c: a sentence's vectors and one self-attention layer over them
 * (see attend.h). */
#include "attend.h"

al_status lesson_attention_alloc(lesson_attention *run, const al_attention_params *params,
                                 int L, al_error *err)
{
    al_status status = al_attention_workspace_alloc(&run->workspace, params, L, L, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&run->x, L, params->d_model, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&run->out, L, params->d_model, err);
    return status;
}

void lesson_attention_free(lesson_attention *run)
{
    al_attention_workspace_free(&run->workspace);
    al_matrix_free(&run->x);
    al_matrix_free(&run->out);
}

al_status lesson_embed_and_attend(lesson_attention *run, const al_tokens *tokens,
                                  const al_word_embeddings *words,
                                  const al_attention_params *params,
                                  const lesson_attention_call *how, const char *embed_name,
                                  al_trace *trace, al_error *err)
{
    const char *const *labels = (const char *const *)tokens->labels;
    const lesson_attention_call plain = {.call = {.temperature = 1.0f},
                                         .prefix = LESSON_ATTENTION_PREFIX,
                                         .input = LESSON_EMBED_NAME};
    if (!how)
        how = &plain;
    al_named_ids ids = {tokens->ids, "tokens", labels};
    al_trace_at lookup = {embed_name ? trace : NULL, embed_name};
    al_status status = al_embedding_forward(&run->x, ids, &words->embedding, lookup, err);
    if (status != AL_OK)
        return status;
    al_named x = {.value = &run->x, .name = how->input, .labels = labels};
    al_trace_at at = {.trace = trace, .name = how->prefix};
    return al_self_attention(&run->out, &run->workspace, x, params, &how->call, at, err);
}

al_status lesson_self_attention_build(lesson_self_attention *s, const char *sentence,
                                      int max_tokens, const lesson_weights *weights, printout *p,
                                      al_error *err)
{
    *s = (lesson_self_attention){0};
    al_status status = lesson_sentence_inputs(&s->words, &s->tokens, &s->params, sentence,
                                              max_tokens, weights, p, err);
    if (status == AL_OK)
        status = lesson_attention_alloc(&s->run, &s->params, s->tokens.count, err);
    return status;
}

void lesson_self_attention_free(lesson_self_attention *s)
{
    al_word_embeddings_free(&s->words);
    al_tokens_free(&s->tokens);
    al_attention_params_free(&s->params);
    lesson_attention_free(&s->run);
    lesson_trained_heads_free(&s->trained);
}

#define MAX_TOKENS 32

static al_status build_step(void *state, const void *settings, printout *p, al_error *err)
{
    const lesson_self_attention_settings *given = settings;
    return lesson_self_attention_build(state, given->sentence, MAX_TOKENS, &given->weights, p,
                                       err);
}

static al_status compute_step(void *state, const void *settings, printout *p, al_trace *trace,
                              al_error *err)
{
    lesson_self_attention *s = state;
    const lesson_self_attention_settings *given = settings;
    al_status status = lesson_embed_and_attend(&s->run, &s->tokens, &s->words, &s->params,
                                               NULL, LESSON_EMBED_NAME, trace, err);
    if (status == AL_OK && given->weights.trained)
        status = lesson_trained_heads_run(&s->trained, given->weights.data_dir,
                                          given->sentence, p, trace, err);
    return status;
}

static void free_step(void *state)
{
    lesson_self_attention_free(state);
}

int lesson_self_attention_run(const lesson_program *program, int heads, int argc, char **argv)
{
    lesson_program shared = *program;
    shared.build = build_step;
    shared.compute = compute_step;
    shared.free = free_step;
    lesson_self_attention_settings settings = {.weights = {.d_model = 6, .heads = heads}};
    lesson_self_attention state = {0};
    return lesson_run(&shared, &settings, &state, argc, argv);
}
