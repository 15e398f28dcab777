/* attnlab-generate: continue a prompt with a trained decoder-only model,
 * or translate it with an encoder-decoder model (a file attnlab-train
 * wrote, or any such model file): the prompt is split into words and
 * looked up in the model's vocabulary, then the model chooses one word at
 * a time (generate.h) by the rule asked for: greedy, or sampling at a
 * temperature, from the top k, or from the top p. An encoder-decoder model
 * reads the prompt in its encoder and writes from <bos> on; so does the
 * RNN seq2seq with attention (seq2seq.h), greedily, traced as s2s.*.
 * With --trace every step is recorded (step<t>.*, generate.h).
 * Exit status 0, 2 for bad usage, 1 for a failure while running. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnlab/blas.h"
#include "attnlab/generate.h"
#include "attnlab/model_file.h"
#include "attnlab/seq2seq_file.h"
#include "attnlab/trace.h"
#include "attnlab/vocab.h"
#include "cli_options.h"

#define PROGRAM "attnlab-generate"
#define DEFAULT_TOKENS 20   /* words added without --tokens, if the model holds them */

typedef struct settings {
    const char *model, *prompt, *sampling, *trace_path;
    int tokens, top_k;
    float temperature, top_p;
    uint64_t seed;
} settings;

static al_sampling sampling_of(const settings *s)
{
    al_sampling how = {.method = AL_SAMPLE_GREEDY, .temperature = s->temperature,
                       .top_k = s->top_k, .top_p = s->top_p};
    if (strcmp(s->sampling, "temperature") == 0)
        how.method = AL_SAMPLE_TEMPERATURE;
    else if (strcmp(s->sampling, "top-k") == 0)
        how.method = AL_SAMPLE_TOP_K;
    else if (strcmp(s->sampling, "top-p") == 0)
        how.method = AL_SAMPLE_TOP_P;
    return how;
}

typedef struct run {
    bool rnn;                  /* an RNN seq2seq file, not a Transformer's */
    al_seq2seq seq2seq;
    al_seq2seq_workspace s2s_ws;
    al_transformer model;
    al_vocab vocab;
    al_tokens prompt;
    al_transformer_workspace ws;
    al_trace *trace;
    int *tokens;
} run;

static void run_free(run *r)
{
    al_trace_discard(r->trace);
    free(r->tokens);
    al_transformer_workspace_free(&r->ws);
    al_seq2seq_workspace_free(&r->s2s_ws);
    al_seq2seq_free(&r->seq2seq);
    al_tokens_free(&r->prompt);
    al_transformer_free(&r->model);
    al_vocab_free(&r->vocab);
}

/* Load, check, tokenize: problems of the input return 2. */
static int prepare(run *r, settings *s, al_error *err)
{
    /* checked whatever the rule: a temperature of -1 is a mistake even
     * where greedy decoding does not read it */
    if (!(s->temperature > 0)) {
        al_fail(err, AL_ERR_ARG, "--temperature must be above 0, not %g", (double)s->temperature);
        return 2;
    }
    if (al_model_file_family(s->model, &r->rnn, err) != AL_OK)
        return 2;
    if (r->rnn) {
        if (strcmp(s->sampling, "greedy") != 0) {
            al_fail(err, AL_ERR_ARG, "%s is an RNN seq2seq model, which decodes greedily; "
                    "--sampling is for Transformers", s->model);
            return 2;
        }
        if (al_seq2seq_file_read(&r->seq2seq, &r->vocab, s->model, err) != AL_OK ||
            al_tokenize(&r->prompt, s->prompt, &r->vocab, AL_TOKENIZE_PLAIN, err) != AL_OK)
            return 2;
        s->tokens = s->tokens ? s->tokens : DEFAULT_TOKENS;
        return 0;
    }
    if (al_transformer_load(&r->model, &r->vocab, s->model, NULL, err) != AL_OK)
        return 2;
    const al_model_config *c = &r->model.config;
    if (c->family == AL_FAMILY_ENCODER_ONLY) {
        al_fail(err, AL_ERR_ARG, "%s is an encoder-only model; attnlab-generate continues "
                "prompts with decoder-only models and translates with encoder-decoder ones",
                s->model);
        return 2;
    }
    if (al_tokenize(&r->prompt, s->prompt, &r->vocab, AL_TOKENIZE_PLAIN, err) != AL_OK)
        return 2;
    int room = c->positions == AL_POSITIONS_LEARNED ? c->max_positions : 1 << 20;
    /* without --tokens: 20 words, or as many as the model's positions hold */
    int fits = c->family == AL_FAMILY_ENCODER_DECODER ? room : room - r->prompt.count;
    if (s->tokens == 0)
        s->tokens = fits < DEFAULT_TOKENS ? (fits > 0 ? fits : 1) : DEFAULT_TOKENS;
    if (c->family == AL_FAMILY_ENCODER_DECODER) {
        /* the encoder reads the prompt; the decoder <bos> and all but the last word */
        if (r->prompt.count > room || s->tokens > room) {
            al_fail(err, AL_ERR_ARG, "the model reads at most %d tokens; the prompt has %d "
                    "and --tokens is %d", room, r->prompt.count, s->tokens);
            return 2;
        }
        return 0;
    }
    if (r->prompt.count + s->tokens > room) {
        al_fail(err, AL_ERR_ARG, "the model reads at most %d tokens; the prompt has %d, so "
                "--tokens can be at most %d", room, r->prompt.count, room - r->prompt.count);
        return 2;
    }
    return 0;
}

/* The RNN: encode the prompt, decode greedily up to s->tokens steps. */
static al_status rnn_translate(run *r, const settings *s, int *length, al_error *err)
{
    al_sequence source = {.length = r->prompt.count, .ids = r->prompt.ids,
                          .labels = (const char *const *)r->prompt.labels};
    al_status status = al_seq2seq_workspace_alloc(&r->s2s_ws, &r->seq2seq, r->prompt.count,
                                                  s->tokens, err);
    if (status == AL_OK)
        status = al_seq2seq_encode(&r->s2s_ws, &r->seq2seq, &source, r->trace, err);
    if (status == AL_OK)
        status = al_seq2seq_decode(r->tokens, length, &r->s2s_ws, &r->seq2seq, NULL, s->tokens,
                                   (const char *const *)r->vocab.words, r->trace, err);
    return status;
}

static int generate(run *r, const settings *s, int argc, char **argv, al_error *err)
{
    int length = 0;
    bool translating = r->rnn || r->model.config.family == AL_FAMILY_ENCODER_DECODER;
    int longest = r->prompt.count + s->tokens;
    if (translating)
        longest = r->prompt.count > s->tokens ? r->prompt.count : s->tokens;
    al_status status = r->rnn ? AL_OK
                     : al_transformer_workspace_alloc(&r->ws, &r->model, longest, err);
    r->tokens = calloc((size_t)s->tokens, sizeof *r->tokens);
    if (status == AL_OK && !r->tokens)
        status = al_fail(err, AL_ERR_NOMEM, "no memory for %d tokens", s->tokens);
    al_trace_options options = {.program = PROGRAM, .argc = argc - 1,
                                .argv = (const char *const *)argv + 1, .seed = s->seed};
    if (status == AL_OK && s->trace_path)
        status = al_trace_open(&r->trace, s->trace_path, &options, err);
    al_rng rng;
    al_rng_seed(&rng, s->seed, 0);
    al_sequence input = {.length = r->prompt.count, .ids = r->prompt.ids,
                         .labels = (const char *const *)r->prompt.labels};
    al_generate_options how = {.sampling = sampling_of(s), .max_tokens = s->tokens};
    if (status == AL_OK && r->rnn)
        status = rnn_translate(r, s, &length, err);
    else if (status == AL_OK)
        status = al_transformer_generate(r->tokens, &length, &r->ws, &r->model, &input, &how,
                                         &rng, (const char *const *)r->vocab.words, r->trace,
                                         err);
    if (status == AL_OK && r->trace) {
        al_trace *trace = r->trace;
        r->trace = NULL;
        status = al_trace_close(trace, err);
    }
    if (status != AL_OK)
        return 1;
    for (int i = 0; i < r->prompt.count; i++)
        printf("%s%s", i ? " " : "", r->prompt.labels[i]);
    if (translating)
        printf(" ->");
    for (int i = 0; i < length; i++)
        printf(" %s", al_vocab_word(&r->vocab, r->tokens[i]));
    printf("\n");
    for (int i = 0; i < r->prompt.count; i++)
        if (r->prompt.unknown[i])
            fprintf(stderr, "%s: '%s' is not in the model's vocabulary; it was read as <unk>\n",
                    PROGRAM, r->prompt.labels[i]);
    return 0;
}

static const char help_top[] =
    "usage: attnlab-generate --model FILE --prompt TEXT [options]\n"
    "Continue the prompt with a decoder-only model (e.g. one attnlab-train\n"
    "wrote), one word at a time, and print the prompt and what followed; or,\n"
    "with an encoder-decoder model (a Transformer, or the RNN seq2seq with\n"
    "attention, which decodes greedily), translate it: print the prompt, '->'\n"
    "and the words the decoder wrote.\n"
    "\n";

static const char help_bottom[] =
    "\n"
    "examples:\n"
    "  attnlab-generate --model book.safetensors --prompt \"in the beginning\"\n"
    "  attnlab-generate --model book.safetensors --prompt \"and god\" --sampling top-p "
    "--seed 7\n"
    "  attnlab-generate --model en-fr.safetensors --prompt \"the red car\"\n";

int main(int argc, char **argv)
{
    settings s = {.sampling = "greedy", .tokens = 0, .top_k = 5, .temperature = 1.0f,
                  .top_p = 0.9f, .seed = AL_DEFAULT_SEED};
    const cli_option options[] = {
        {.name = "model", .kind = CLI_STRING, .target = &s.model, .value_name = "FILE",
         .help = "the model file (decoder-only, encoder-decoder or\n"
                 "rnn-seq2seq)", .required = true},
        {.name = "prompt", .kind = CLI_STRING, .target = &s.prompt, .value_name = "TEXT",
         .help = "the words to continue (or to translate)", .required = true},
        {.name = "tokens", .kind = CLI_INT, .target = &s.tokens, .value_name = "N",
         .help = "how many words to add at most (default 20, or what\n"
                 "the model's positions hold; <eos> ends early)", .min = 1,
         .max = 4096},
        {.name = "sampling", .kind = CLI_CHOICE, .target = &s.sampling, .value_name = "RULE",
         .choices = "greedy|temperature|top-k|top-p",
         .help = "how each word is chosen\n(default greedy)"},
        {.name = "temperature", .kind = CLI_NUMBER, .target = &s.temperature,
         .value_name = "T", .help = "for the sampling rules (default 1)"},
        {.name = "top-k", .kind = CLI_INT, .target = &s.top_k, .value_name = "K",
         .help = "for top-k (default 5)", .min = 1, .max = 1 << 20},
        {.name = "top-p", .kind = CLI_NUMBER, .target = &s.top_p, .value_name = "P",
         .help = "for top-p (default 0.9)"},
        {.name = "seed", .kind = CLI_UINT64, .target = &s.seed, .value_name = "N",
         .help = "seed of the draws (default 42)", .min = 0, .max = 1LL << 53},
        {.name = "trace", .kind = CLI_STRING, .target = &s.trace_path, .value_name = "PATH",
         .help = "also record every step (traces/FORMAT.md)"},
        CLI_HELP_OPTION,
        {0},
    };
    const cli_program program = {PROGRAM, help_top, help_bottom};
    int parsed = cli_parse_program(&program, options, NULL, argc, argv);
    if (parsed >= 0)
        return parsed;
    al_blas_set_threads(1);
    run r = {0};
    al_error err = {0};
    int code = prepare(&r, &s, &err);
    if (code == 0)
        code = generate(&r, &s, argc, argv, &err);
    if (code != 0)
        cli_report(PROGRAM, "%s", err.message);
    run_free(&r);
    return code;
}
