/* generate.c: generation with a Transformer: encode once, then decode the
 * growing prefix step by step and choose each next token from the last
 * row of the logits, by a sampling rule (decoding.h) or by beam search
 * (beam_search.h). The passes themselves are transformer.c's. */
#include "attnlab/generate.h"

#include <stdio.h>
#include <stdlib.h>

#include "attnlab/beam_search.h"

/* The decoder's input as it grows, with labels for the trace. */
typedef struct generation {
    al_transformer_workspace *ws;
    const al_transformer *model;
    const al_sequence *prompt;     /* decoder-only: the tokens to continue   */
    const char *const *words;
    int *ids;                      /* ws->max_length ids                     */
    const char **labels;           /* ws->max_length labels                  */
    bool labelled;                 /* every token has a label                */
    int length;
} generation;

static al_status generation_start(generation *g, al_error *err)
{
    int capacity = g->ws->max_length;
    g->ids = malloc((size_t)capacity * sizeof *g->ids);
    g->labels = malloc((size_t)capacity * sizeof *g->labels);
    if (!g->ids || !g->labels)
        return al_fail(err, AL_ERR_NOMEM, "out of memory for a decoder input of %d tokens",
                       capacity);
    g->length = 0;
    g->labelled = g->words != NULL;
    return AL_OK;
}

static void generation_end(generation *g)
{
    free(g->ids);
    free(g->labels);
}

/* Add one token to the decoder's input, labelled by label or its word. */
static void append(generation *g, int id, const char *label)
{
    g->ids[g->length] = id;
    g->labels[g->length] = label ? label : g->words ? g->words[id] : NULL;
    g->length++;
}

/* The start of the decoder's input: <bos>, or the whole prompt. */
static void begin_input(generation *g)
{
    g->length = 0;
    if (g->model->config.family == AL_FAMILY_ENCODER_DECODER) {
        append(g, AL_TOKEN_BOS, NULL);
        return;
    }
    for (int i = 0; i < g->prompt->length; i++)
        append(g, g->prompt->ids[i], g->prompt->labels ? g->prompt->labels[i] : NULL);
}

static al_sequence current_input(const generation *g)
{
    return (al_sequence){.length = g->length, .ids = g->ids,
                         .labels = g->labelled ? g->labels : NULL};
}

/* One decoder pass and output layer on the current input; next (1 x V)
 * views the last row of the logits: the scores of the token to come. */
static al_status run_decoder(al_matrix *next, generation *g, const char *prefix,
                             al_trace *trace, al_error *err)
{
    al_sequence input = current_input(g);
    al_status status = al_transformer_decode(g->ws, g->model, &input, prefix, trace, err);
    if (status == AL_OK)
        status = al_transformer_output(g->ws, g->model, g->words, prefix, trace, err);
    *next = al_matrix_rows(&g->ws->logits, g->length - 1, 1);
    return status;
}

/* --- greedy and sampling -------------------------------------------------------- */

/* <prefix>next.logits (1 x V): the last row of <prefix>logits */
static al_status trace_next_logits(al_trace *trace, const al_matrix *next, const char *prefix,
                                   const generation *g, al_error *err)
{
    char name[AL_NAME_SIZE], logits[AL_NAME_SIZE], note[AL_NAME_SIZE + 64];
    al_name(name, "%snext.logits", prefix);
    al_name(logits, "%slogits", prefix);
    snprintf(note, sizeof note, "row %d of %s: the scores of the next token", g->length - 1,
             logits);
    const char *label[1] = {g->labelled ? g->labels[g->length - 1] : NULL};
    al_tensor_info info = {.name = name, .role = AL_ROLE_ACTIVATION, .op = "take_row",
                           .inputs = {logits}, .attrs = {AL_ATTR("row", g->length - 1)},
                           .row_labels = g->labelled ? label : NULL,
                           .col_labels = g->words, .note = note};
    return al_trace_matrix(trace, &info, next, err);
}

char *al_generate_step_prefix(char buf[AL_NAME_SIZE], int t)
{
    return al_name(buf, "step%d.", t);
}

static al_status sample_tokens(int *tokens, int *length, generation *g,
                               const al_generate_options *options, al_rng *rng,
                               al_trace *trace, al_error *err)
{
    al_sampler sampler;
    al_status status = al_sampler_alloc(&sampler, g->model->config.vocab_size, err);
    *length = 0;
    for (int t = 0; t < options->max_tokens && status == AL_OK; t++) {
        char prefix[AL_NAME_SIZE], rule[AL_NAME_SIZE], next_name[AL_NAME_SIZE];
        al_generate_step_prefix(prefix, t);
        al_name(rule, "%snext", prefix);
        al_name(next_name, "%snext.logits", prefix);
        al_matrix next;
        status = run_decoder(&next, g, prefix, trace, err);
        if (status == AL_OK)
            status = trace_next_logits(trace, &next, prefix, g, err);
        int token = 0;
        if (status == AL_OK)
            status = al_sample(&token, &sampler, (al_named){&next, next_name, NULL},
                               &options->sampling, rng, g->words, (al_trace_at){trace, rule}, err);
        if (status != AL_OK)
            break;
        tokens[(*length)++] = token;
        if (token == AL_TOKEN_EOS)
            break;
        if (t + 1 < options->max_tokens)
            append(g, token, NULL);
    }
    al_sampler_free(&sampler);
    return status;
}

/* --- beam search ----------------------------------------------------------------- */

/* beam_search.h's step: the decoder on the beam's tokens, untraced. A
 * decoder-only beam's tokens after its <bos> continue the prompt. */
static al_status beam_step(al_matrix *logits, const int *prefix, int length, void *context,
                           al_error *err)
{
    generation *g = context;
    begin_input(g);
    for (int i = 1; i < length; i++)  /* prefix[0] is the beam's <bos> */
        append(g, prefix[i], NULL);
    al_matrix next;
    al_status status = run_decoder(&next, g, NULL, NULL, err);
    if (status == AL_OK)
        status = al_copy(logits, &next, err);
    return status;
}

static al_status beam_tokens(int *tokens, int *length, generation *g,
                             const al_generate_options *options, al_trace *trace,
                             al_error *err)
{
    /* The decoder runs untraced for every beam, so the trace cannot redo a
     * step: its records say "transformer" and name no table. */
    al_beam_options beam = {.width = options->beam_width, .max_length = options->max_tokens,
                            .bos_id = AL_TOKEN_BOS, .eos_id = AL_TOKEN_EOS,
                            .model = "transformer"};
    al_beam_search search;
    al_status status = al_beam_alloc(&search, &beam, g->model->config.vocab_size, err);
    double score;
    if (status == AL_OK)
        status = al_beam_run(tokens, length, &score, &search, beam_step, g, trace, "beam",
                             g->words, err);
    al_beam_free(&search);
    return status;
}

/* --- the whole ------------------------------------------------------------------ */

static al_status check_options(const generation *g, const al_generate_options *options,
                               const al_rng *rng, al_error *err)
{
    al_family family = g->model->config.family;
    if (family == AL_FAMILY_ENCODER_ONLY)
        return al_fail(err, AL_ERR_ARG, "an encoder-only model does not generate: it has no "
                       "decoder (it predicts [MASK] words in place)");
    if (options->max_tokens < 1)
        return al_fail(err, AL_ERR_ARG, "generation needs max_tokens >= 1, not %d",
                       options->max_tokens);
    int start = family == AL_FAMILY_ENCODER_DECODER ? 1 : g->prompt->length;
    if (start + options->max_tokens - 1 > g->ws->max_length)
        return al_fail(err, AL_ERR_SHAPE, "generating %d tokens after %d makes a decoder input "
                       "of %d tokens; the workspace holds %d", options->max_tokens, start,
                       start + options->max_tokens - 1, g->ws->max_length);
    if (options->beam_width <= 0 && options->sampling.method != AL_SAMPLE_GREEDY && !rng)
        return al_fail(err, AL_ERR_ARG, "sampling needs a random number generator");
    return AL_OK;
}

al_status al_transformer_generate(int *tokens, int *length, al_transformer_workspace *ws,
                                  const al_transformer *model, const al_sequence *input,
                                  const al_generate_options *options, al_rng *rng,
                                  const char *const *words, al_trace *trace, al_error *err)
{
    *length = 0;
    generation g = {.ws = ws, .model = model, .prompt = input, .words = words};
    al_status status = check_options(&g, options, rng, err);
    if (status == AL_OK)
        status = generation_start(&g, err);
    /* the source is read once; every step attends to the same memory */
    if (status == AL_OK && model->config.family == AL_FAMILY_ENCODER_DECODER)
        status = al_transformer_encode(ws, model, input, NULL, trace, err);
    if (status == AL_OK) {
        begin_input(&g);
        status = options->beam_width > 0
                     ? beam_tokens(tokens, length, &g, options, trace, err)
                     : sample_tokens(tokens, length, &g, options, rng, trace, err);
    }
    generation_end(&g);
    return status;
}
