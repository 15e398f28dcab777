/* transformer_traces.c: writes traces of whole Transformer forward passes
 * (every family, post- and pre-norm, biases or not, tied or separate
 * output weights, sinusoidal or learned positions, segments, embedding
 * norm, pooler) and of greedy generation, from seeded random weights, for
 * the NumPy reference (transformer_reference.py) to redo from the trace
 * alone. Not a test by itself: it checks nothing, it only computes.
 *
 *   transformer_traces FOLDER     writes FOLDER/<case>.jsonl, one per case
 *
 * Each trace's header "args" say what the case is ("family=encoder-only",
 * "norm=pre", ...), so the reference knows what to expect. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnlab/blas.h"
#include "attnlab/generate.h"
#include "attnlab/model_layout.h"
#include "attnlab/transformer.h"

#define V 16
#define MAX_TOKENS 8

static const char *const WORDS[V] = {"<pad>", "<unk>", "<bos>", "<eos>", "[CLS]", "[MASK]",
                                     "what", "can", "you", "do", "i", "sing", "read", "and",
                                     "the", "cat"};

typedef struct case_spec {
    const char *name;
    al_model_config config;
    int source_length, target_length;  /* target: encoder-decoder only          */
    bool segments_given;               /* pass segment ids 0 .. 0 1 .. 1        */
    int generate;                      /* > 0: greedy generation of this many   */
    bool rows_level;
    uint64_t seed;
} case_spec;

/* The case as the header's args: "family=encoder-decoder", ... */
typedef struct case_args {
    char text[24][48];
    const char *argv[24];
    int argc;
} case_args;

static void add_arg(case_args *a, const char *key, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static void add_arg(case_args *a, const char *key, const char *format, ...)
{
    char value[32];
    va_list args;
    va_start(args, format);
    vsnprintf(value, sizeof value, format, args);
    va_end(args);
    snprintf(a->text[a->argc], sizeof a->text[a->argc], "%s=%s", key, value);
    a->argv[a->argc] = a->text[a->argc];
    a->argc++;
}

static void describe(case_args *a, const case_spec *s)
{
    const al_model_config *c = &s->config;
    a->argc = 0;
    add_arg(a, "family", "%s", al_family_name(c->family));
    add_arg(a, "norm", "%s", al_norm_name(c->norm));
    add_arg(a, "d_model", "%d", c->d_model);
    add_arg(a, "heads", "%d", c->heads);
    add_arg(a, "encoder_layers", "%d", c->encoder_layers);
    add_arg(a, "decoder_layers", "%d", c->decoder_layers);
    add_arg(a, "d_ff", "%d", c->d_ff);
    add_arg(a, "positions", "%s", al_positions_name(c->positions));
    add_arg(a, "segments", "%d", c->segments);
    add_arg(a, "biases", "%d", c->biases);
    add_arg(a, "tied_output", "%d", c->tied_output);
    add_arg(a, "output_bias", "%d", c->output_bias);
    add_arg(a, "embedding_norm", "%d", c->embedding_norm);
    add_arg(a, "pooler", "%d", c->pooler);
    add_arg(a, "generate", "%d", s->generate);
}

/* Biases and norms away from their initial 0 and 1, so that a reference
 * that forgot one would disagree. Found by their layout names. */
static al_status perturb(al_transformer *model, al_rng *rng, al_error *err)
{
    int count;
    al_status status = al_model_layout(NULL, 0, &count, &model->config, err);
    al_param_spec *specs = status == AL_OK ? malloc((size_t)count * sizeof *specs) : NULL;
    if (status == AL_OK && !specs)
        status = al_fail(err, AL_ERR_NOMEM, "out of memory");
    if (status == AL_OK)
        status = al_model_layout(specs, count, &count, &model->config, err);
    for (int k = 0; k < count && status == AL_OK; k++) {
        al_matrix *p = al_transformer_param(model, specs[k].name);
        size_t n = strlen(specs[k].name);
        bool gamma = n > 6 && strcmp(specs[k].name + n - 6, ".gamma") == 0;
        if (specs[k].is_bias || specs[k].part == AL_PART_NORM)
            al_rng_fill_normal(p, rng, gamma ? 1.0f : 0.0f, 0.3f);
    }
    free(specs);
    return status;
}

/* Token ids: [CLS] first for an encoder-only model, <bos> first for a
 * target, the rest drawn from the ordinary words. */
static void draw_ids(int *ids, const char **labels, int length, int first, al_rng *rng)
{
    for (int i = 0; i < length; i++) {
        ids[i] = i == 0 && first >= 0 ? first
                                      : AL_SPECIAL_TOKENS + (int)al_rng_below(rng, V - 6);
        labels[i] = WORDS[ids[i]];
    }
    if (length > 2 && first == AL_TOKEN_CLS)
        ids[2] = AL_TOKEN_MASK, labels[2] = WORDS[AL_TOKEN_MASK];
}

static al_status run_case(const case_spec *s, al_trace *trace, al_error *err)
{
    al_transformer model;
    al_transformer_workspace ws = {0};
    al_rng rng;
    al_rng_seed(&rng, s->seed, 1);
    al_status status = al_transformer_alloc(&model, &s->config, err);
    if (status == AL_OK) {
        al_transformer_init(&model, &rng);
        status = perturb(&model, &rng, err);
    }
    if (status == AL_OK)
        status = al_transformer_workspace_alloc(&ws, &model, MAX_TOKENS, err);
    if (status != AL_OK) {
        al_transformer_free(&model);
        return status;
    }
    int source_ids[MAX_TOKENS], target_ids[MAX_TOKENS], segments[MAX_TOKENS];
    const char *source_labels[MAX_TOKENS], *target_labels[MAX_TOKENS];
    bool encoder_only = s->config.family == AL_FAMILY_ENCODER_ONLY;
    draw_ids(source_ids, source_labels, s->source_length, encoder_only ? AL_TOKEN_CLS : -1,
             &rng);
    draw_ids(target_ids, target_labels, s->target_length, AL_TOKEN_BOS, &rng);
    for (int i = 0; i < s->source_length; i++)
        segments[i] = i < s->source_length / 2 ? 0 : 1;
    al_sequence source = {s->source_length, source_ids, source_labels,
                          s->segments_given ? segments : NULL};
    al_sequence target = {s->target_length, target_ids, target_labels, NULL};
    if (s->generate > 0) {
        int tokens[MAX_TOKENS], length;
        al_generate_options options = {.sampling = {.method = AL_SAMPLE_GREEDY},
                                       .max_tokens = s->generate};
        status = al_transformer_generate(tokens, &length, &ws, &model, &source, &options, NULL,
                                         WORDS, trace, err);
    } else {
        status = al_transformer_forward(&ws, &model, &source,
                                        s->target_length > 0 ? &target : NULL, WORDS, trace,
                                        err);
    }
    al_transformer_workspace_free(&ws);
    al_transformer_free(&model);
    return status;
}

static al_model_config base(al_family family, al_norm_placement norm, int encoder_layers,
                            int decoder_layers)
{
    return (al_model_config){.family = family, .norm = norm, .d_model = 8, .heads = 2,
                             .encoder_layers = encoder_layers, .decoder_layers = decoder_layers,
                             .d_ff = 12, .vocab_size = V,
                             .positions = AL_POSITIONS_SINUSOIDAL, .biases = true,
                             .norm_epsilon = 1e-5f};
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: transformer_traces FOLDER\n");
        return 2;
    }
    al_blas_set_threads(1);
    case_spec cases[8];
    int n = 0;
    /* the original Transformer: post-norm, separate output weights */
    cases[n++] = (case_spec){"encoder-decoder-post", base(AL_FAMILY_ENCODER_DECODER,
                             AL_NORM_POST, 2, 2), 4, 3, false, 0, true, 1};
    /* pre-norm, no biases, tied output with a bias, learned positions, 4 heads */
    cases[n] = (case_spec){"encoder-decoder-pre-tied", base(AL_FAMILY_ENCODER_DECODER,
                           AL_NORM_PRE, 1, 2), 5, 5, false, 0, false, 2};
    cases[n].config.heads = 4, cases[n].config.biases = false;
    cases[n].config.tied_output = true, cases[n].config.output_bias = true;
    cases[n].config.positions = AL_POSITIONS_LEARNED, cases[n++].config.max_positions = 6;
    /* BERT-style: learned positions, segments, embedding norm, pooler, tied */
    cases[n] = (case_spec){"encoder-only-bert", base(AL_FAMILY_ENCODER_ONLY, AL_NORM_POST, 2,
                           0), 6, 0, true, 0, true, 3};
    cases[n].config.positions = AL_POSITIONS_LEARNED, cases[n].config.max_positions = 8;
    cases[n].config.segments = 2, cases[n].config.embedding_norm = true;
    cases[n].config.pooler = true, cases[n].config.tied_output = true;
    cases[n++].config.output_bias = true;
    /* encoder-only, pre-norm, one head, segments not given (all 0) */
    cases[n] = (case_spec){"encoder-only-pre", base(AL_FAMILY_ENCODER_ONLY, AL_NORM_PRE, 1, 0),
                           4, 0, false, 0, false, 4};
    cases[n].config.heads = 1, cases[n++].config.segments = 2;
    /* GPT-style: pre-norm, learned positions, tied */
    cases[n] = (case_spec){"decoder-only-gpt", base(AL_FAMILY_DECODER_ONLY, AL_NORM_PRE, 0, 2),
                           7, 0, false, 0, true, 5};
    cases[n].config.positions = AL_POSITIONS_LEARNED, cases[n].config.max_positions = 8;
    cases[n++].config.tied_output = true;
    /* decoder-only, post-norm, three layers, no biases */
    cases[n] = (case_spec){"decoder-only-post", base(AL_FAMILY_DECODER_ONLY, AL_NORM_POST, 0,
                           3), 3, 0, false, 0, false, 6};
    cases[n++].config.biases = false;
    /* generation: the encoder once, then greedy steps under step<t>. */
    cases[n++] = (case_spec){"generate-encoder-decoder", base(AL_FAMILY_ENCODER_DECODER,
                             AL_NORM_POST, 1, 2), 3, 0, false, 4, false, 7};
    cases[n] = (case_spec){"generate-decoder-only", base(AL_FAMILY_DECODER_ONLY, AL_NORM_PRE,
                           0, 1), 2, 0, false, 3, false, 8};
    cases[n++].config.tied_output = true;

    for (int k = 0; k < n; k++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s.jsonl", argv[1], cases[k].name);
        case_args args;
        describe(&args, &cases[k]);
        al_trace_options options = {.program = "transformer_traces", .argc = args.argc,
                                    .argv = args.argv, .seed = cases[k].seed,
                                    .level = cases[k].rows_level ? AL_TRACE_ROWS
                                                                 : AL_TRACE_TENSORS};
        al_trace *trace;
        al_error err;
        al_status status = al_trace_open(&trace, path, &options, &err);
        if (status == AL_OK)
            status = run_case(&cases[k], trace, &err);
        if (status == AL_OK)
            status = al_trace_close(trace, &err);
        else
            al_trace_discard(trace);
        if (status != AL_OK) {
            fprintf(stderr, "transformer_traces: %s: %s\n", cases[k].name, err.message);
            return 1;
        }
    }
    return 0;
}
