/* lesson10: cross-attention and the decoder. An encoder-decoder Transformer
 * reads "what can you do" and writes the first word of its answer, "I":
 * encoder self-attention, the decoder's masked self-attention, cross-
 * attention (decoder rows, encoder columns), the FFN, the output
 * projection and softmax over the vocabulary, and the greedy choice. The
 * default model is hand-made (data/lesson10, every number explained);
 * --random gives seeded random weights instead. A thin program: the maths
 * is in the library (transformer.h, generate.h). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "attnlab/generate.h"
#include "attnlab/table_file.h"
#include "attnlab/transformer_tables.h"
#include "model_printout.h"
#include "runner.h"

#define MAX_TOKENS 16

static const lesson_about ABOUT = {
    .program = "lesson10",
    .title = "cross-attention and the decoder",
    .summary =
        "An encoder-decoder Transformer answers a question. The encoder reads the\n"
        "question with self-attention; the decoder starts from <bos>, looks back at what\n"
        "it has written (masked self-attention), then asks the encoder (cross-attention:\n"
        "its queries, the encoder's keys and values, a T x S weight matrix), and its\n"
        "output projection and softmax score every word of the vocabulary. The default\n"
        "model is made by hand (data/lesson10): for \"what can you do\" its <bos> asks\n"
        "who the question is about, finds \"you\", and answers \"I\".",
    .example = "lesson10 --sentence \"what can they do\"",
    .sentence_help = "the question (default \"what can you do\")",
    .seed_help = "seed for --random",
    .seed_only_with = "random",
    .takes_data = true,
    .sentence = "what can you do",
};

typedef struct lesson10_settings {
    const char *sentence;
    bool random;
    uint64_t seed;
    int d_model, heads, layers;   /* 0: not given */
    const char *data_dir;
} lesson10_settings;

/* Everything the lesson builds, freed in one place. */
typedef struct lesson10_state {
    al_vocab vocab;
    al_tokens tokens;
    al_transformer model;
    al_transformer_workspace ws;
    al_table dims, rules;          /* the hand-made tables' column names */
    int token;                     /* the first token chosen */
    int kept;                      /* parameters data/lesson10/defaults.txt keeps at 0 or 1 */
} lesson10_state;

static void free_state(void *lesson_state)
{
    lesson10_state *s = lesson_state;
    al_transformer_workspace_free(&s->ws);
    al_transformer_free(&s->model);
    al_tokens_free(&s->tokens);
    al_vocab_free(&s->vocab);
    al_table_free(&s->dims);
    al_table_free(&s->rules);
}

static lesson_options options(void *lesson_settings)
{
    lesson10_settings *settings = lesson_settings;
    return (lesson_options){
        .own = {
            {.name = "random", .kind = CLI_FLAG, .target = &settings->random,
             .help = "seeded random weights instead of data/lesson10's hand-made model"},
            {.name = "d-model", .kind = CLI_INT, .target = &settings->d_model, .value_name = "N",
             .help = "d_model with --random (default 8; the hand-made model has 9)", .min = 1,
             .max = 512},
            {.name = "heads", .kind = CLI_INT, .target = &settings->heads, .value_name = "N",
             .help = "heads with --random (default 2); d_model must split into them", .min = 1,
             .max = AL_MAX_HEADS},
            {.name = "layers", .kind = CLI_INT, .target = &settings->layers, .value_name = "N",
             .help = "encoder and decoder layers with --random (default 1)", .min = 1, .max = 6},
        },
        .inputs = {.sentence = &settings->sentence, .seed = &settings->seed,
                   .data_dir = &settings->data_dir},
    };
}

/* The hand-made model has one shape: the shape options go with --random. */
static al_status check(void *lesson_settings, al_error *err)
{
    const lesson10_settings *settings = lesson_settings;
    if (!settings->random && (settings->d_model || settings->heads || settings->layers))
        return al_fail(err, AL_ERR_VALUE, "--d-model, --heads and --layers need --random (the "
                                          "hand-made model has d_model 9, 1 head and 1 layer "
                                          "each)");
    return AL_OK;
}

/* data/lesson10's model: the numbers make_weights.py explains. */
static al_model_config hand_made_config(int vocab_size)
{
    return (al_model_config){.family = AL_FAMILY_ENCODER_DECODER, .norm = AL_NORM_POST,
                             .d_model = 9, .heads = 1, .encoder_layers = 1,
                             .decoder_layers = 1, .d_ff = 3, .vocab_size = vocab_size,
                             .positions = AL_POSITIONS_LEARNED, .max_positions = MAX_TOKENS,
                             .biases = true, .norm_epsilon = AL_LAYER_NORM_EPSILON};
}

/* The paper's shape, small: d_ff = 4 d_model, sinusoidal positions. */
static al_model_config random_config(const lesson10_settings *settings, int vocab_size)
{
    int d = settings->d_model ? settings->d_model : 8;
    int layers = settings->layers ? settings->layers : 1;
    return (al_model_config){.family = AL_FAMILY_ENCODER_DECODER, .norm = AL_NORM_POST,
                             .d_model = d, .heads = settings->heads ? settings->heads : 2,
                             .encoder_layers = layers, .decoder_layers = layers, .d_ff = 4 * d,
                             .vocab_size = vocab_size,
                             .positions = AL_POSITIONS_SINUSOIDAL, .biases = true,
                             .norm_epsilon = AL_LAYER_NORM_EPSILON};
}

/* The column names of one of data/lesson10's tables. */
static al_status read_names(al_table *table, const char *folder, const char *file,
                            al_error *err)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", folder, file);
    return al_table_read(table, path, err);
}

/* The vocabulary, the model (hand-made or seeded) and the question. */
static al_status build(void *lesson_state, const void *lesson_settings, printout *p,
                       al_error *err)
{
    lesson10_state *s = lesson_state;
    const lesson10_settings *settings = lesson_settings;
    char folder[1024], path[2048];
    snprintf(folder, sizeof folder, "%s/lesson10", settings->data_dir);
    snprintf(path, sizeof path, "%s/vocab.txt", folder);
    al_status status = al_vocab_read(&s->vocab, path, err);
    if (status != AL_OK)
        return status;
    al_model_config config = settings->random ? random_config(settings, s->vocab.size)
                                              : hand_made_config(s->vocab.size);
    status = al_transformer_alloc(&s->model, &config, err);
    if (status != AL_OK)
        return status;
    if (settings->random) {
        al_rng rng;
        al_rng_seed(&rng, settings->seed, 0);
        al_transformer_init(&s->model, &rng);
    } else {
        status = al_transformer_read_tables(&s->model, &s->vocab, folder, NULL, &s->kept, err);
        if (status == AL_OK)
            status = read_names(&s->dims, folder, "embed.table.txt", err);
        if (status == AL_OK)
            status = read_names(&s->rules, folder, "dec.0.ffn.w1.txt", err);
    }
    if (status == AL_OK)
        status = al_tokenize(&s->tokens, settings->sentence, &s->vocab, AL_TOKENIZE_PLAIN, err);
    if (status != AL_OK)
        return status;
    if (s->tokens.count > MAX_TOKENS)
        return al_fail(err, AL_ERR_VALUE, "the sentence has %d tokens; this lesson takes at most "
                       "%d", s->tokens.count, MAX_TOKENS);
    for (int i = 0; i < s->tokens.count; i++)
        if (s->tokens.unknown[i])
            print_text(p, "Note: '%s' is not in data/lesson10/vocab.txt; it becomes <unk>, a "
                          "vector of zeros.", s->tokens.labels[i]);
    return al_transformer_workspace_alloc(&s->ws, &s->model, s->tokens.count, err);
}

/* Labels for printing: the named dimensions and rules, or indices. */
typedef struct labels {
    const char *const *source;   /* S question tokens            */
    const char *const *target;   /* T = 1: <bos>                 */
    const char *const *words;    /* V vocabulary words           */
    const char *const *dims;     /* d_model names, or NULL       */
    const char *const *rules;    /* d_ff names, or NULL          */
} labels;

static const char *const BOS_LABEL[] = {"<bos>"};

static labels labels_for(const lesson10_state *s, bool random)
{
    return (labels){.source = (const char *const *)s->tokens.labels, .target = BOS_LABEL,
                    .words = (const char *const *)s->vocab.words,
                    .dims = random ? NULL : (const char *const *)s->dims.col_labels,
                    .rules = random ? NULL : (const char *const *)s->rules.col_labels};
}

/* --- the encoder ------------------------------------------------------------------ */

static void narrate_inputs(printout *p, const lesson10_state *s, const labels *l, bool random)
{
    int S = s->tokens.count, d = s->model.config.d_model;
    al_matrix embed = al_matrix_rows(&s->ws.source.embed, 0, S);
    al_matrix pos = al_matrix_rows(&s->ws.source.pos, 0, S);
    al_matrix x = al_matrix_rows(&s->ws.source.x, 0, S);
    al_stack_input_names names;
    al_stack_input_names_init(&names, NULL);
    print_step(p, "the question as vectors", "x = embed + pos    (S x d_model)");
    print_text(p, "  S = %d source tokens, d_model = %d%s, V = %d words in the vocabulary.", S,
               d, random ? "" : " named dimensions", s->vocab.size);
    if (random)
        print_text(p, "  --random: every weight is drawn from the seed; the model is untrained, "
                      "so its answer\n  is arbitrary. Watch the shapes and the steps.");
    print_matrix(p, names.embed, "E[tokens]", &embed, l->source, l->dims);
    if (random) {
        print_matrix(p, names.pos, "PE", &pos, l->source, l->dims);
    } else {
        print_text(p, "  Each word is 1 in the dimension that says what kind of word it is.\n"
                      "  pos is all 0: this hand-made model ignores word order (its learned "
                      "table\n  pos.table is zeros), so x = embed.");
        print_text(p, "  %d parameters have no table and keep their start value (0, or the "
                      "identity for\n  a layer norm): data/lesson10/defaults.txt names them.",
                   s->kept);
    }
    print_matrix(p, names.x, "x", &x, l->source, l->dims);
}

static void narrate_encoder_layer(printout *p, const lesson10_state *s, const labels *l,
                                  int layer, bool random)
{
    const al_encoder_layer_workspace *ws = &s->ws.encoder[layer];
    int S = s->tokens.count;
    char prefix[AL_NAME_SIZE], title[128];
    al_encoder_layer_names names, first;
    al_encoder_layer_names_init(&names, al_encoder_layer_prefix(prefix, NULL, layer),
                                s->model.config.norm);
    al_encoder_layer_names_init(&first, al_encoder_layer_prefix(prefix, NULL, 0),
                                s->model.config.norm);
    al_attention_layer_names first_attn;
    al_attention_layer_names_init(&first_attn, first.attn.prefix);
    sublayer_view attn = {.ws = &ws->attn, .names = &names.attn, .rows = S, .keys = S,
                          .row_labels = l->source, .key_labels = l->source, .dims = l->dims};
    snprintf(title, sizeof title, "encoder layer %d: self-attention, every word sees every "
                                  "word", layer);
    print_step(p, title, "weights = softmax(Q · Kᵀ / √d_head),  out = weights · V · W_O    "
                         "(S x S weights)");
    if (!random)
        print_matrix(p, first_attn.w_q, "W_Q", &s->model.encoder[0].attn.w_q, l->dims, l->dims);
    print_projections(p, &attn);
    print_head_weights(p, &attn, true, false);
    if (!random)
        print_text(p, "  Every word asks for a question word (W_Q), only a question word has a "
                      "key (W_K),\n  and a word's value is its question dimension (W_V): so "
                      "every word takes\n  \"question\" from the question word. An encoder row "
                      "may look forward and back.");
    print_attention_output(p, &attn);

    print_step(p, "add & norm", "add1 = x + attn.out,  norm1 = LayerNorm(add1): each row to "
                                "mean 0, variance 1");
    print_add_norm(p, &attn, AL_NORM_POST);

    sublayer_view ffn = {.ws = &ws->ffn, .names = &names.ffn, .rows = S,
                         .row_labels = l->source, .dims = l->dims, .hidden = l->rules};
    snprintf(title, sizeof title, "encoder layer %d: feed-forward network, then add & norm",
             layer);
    print_step(p, title, "FFN(x) = max(0, x · W1 + b1) · W2 + b2,  add2 = norm1 + FFN,  "
                         "norm2 = LayerNorm(add2)");
    if (!random)
        print_text(p, "  This encoder's FFN weights are all 0 (defaults.txt keeps them): "
                      "FFN(x) = 0, and norm2\n  is norm1 normalised once more.");
    print_ffn(p, &ffn, random);
    print_add_norm(p, &ffn, AL_NORM_POST);
}

/* --- the decoder ------------------------------------------------------------------ */

static void narrate_decoder_input(printout *p, const lesson10_state *s, const labels *l)
{
    al_matrix x = al_matrix_rows(&s->ws.target.x, 0, 1);
    char step[AL_NAME_SIZE], input[AL_NAME_SIZE];
    al_generate_step_prefix(step, 0);
    al_stack_input_names names;
    al_stack_input_names_init(&names, al_decoder_input_prefix(input, &s->model, step));
    print_step(p, "the decoder starts from <bos>", "dec.x = embed(<bos>) + pos    (T x d_model, "
                                                   "T = 1)");
    print_text(p, "  The decoder writes the answer one token at a time. Before the first "
                  "word it has\n  read only <bos>, so T = 1. Its trace names start with %s "
                  "(the first step).", step);
    print_matrix(p, names.x, "x", &x, l->target, l->dims);
}

static void narrate_decoder_self(printout *p, const al_decoder_layer_workspace *ws,
                                 const al_decoder_layer_names *names, const labels *l)
{
    sublayer_view self = {.ws = &ws->self_attn, .names = &names->self_attn, .rows = 1,
                          .keys = 1, .row_labels = l->target, .key_labels = l->target,
                          .dims = l->dims};
    print_step(p, "masked self-attention: the decoder looks back at what it has written",
               "masked = scaled where mask = 1, -inf above the diagonal;  weights = "
               "softmax(masked)");
    al_matrix mask = al_matrix_rows(&ws->causal_mask, 0, 1);
    mask = al_matrix_cols(&mask, 0, 1);
    al_attention_layer_names attention;
    al_attention_layer_names_init(&attention, names->self_attn.prefix);
    print_matrix(p, attention.mask, "mask", &mask, l->target, l->target);
    print_head_weights(p, &self, true, true);
    print_text(p, "  Row t may see tokens 0 .. t only. With one token there is one key: "
                  "weight 1.");
    print_attention_output(p, &self);
    print_add_norm(p, &self, AL_NORM_POST);
}

static void narrate_cross(printout *p, const lesson10_state *s,
                          const al_decoder_layer_workspace *ws,
                          const al_decoder_layer_names *names, const labels *l, bool random)
{
    int S = s->tokens.count;
    sublayer_view cross = {.ws = &ws->cross_attn, .names = &names->cross_attn, .rows = 1,
                           .keys = S, .row_labels = l->target, .key_labels = l->source,
                           .dims = l->dims};
    print_step(p, "cross-attention: decoder queries, encoder keys and values",
               "Q = dec · W_Q (T x d),  K = memory · W_K,  V = memory · W_V (S x d),  "
               "weights T x S");
    print_text(p, "  The queries come from the decoder (rows: target tokens); the keys and "
                  "values\n  from the encoder's output %s, the memory (columns: source "
                  "tokens).", s->ws.memory.name);
    if (!random) {
        char step[AL_NAME_SIZE], prefix[AL_NAME_SIZE];
        al_decoder_layer_names first;
        al_generate_step_prefix(step, 0);
        al_decoder_layer_names_init(&first, al_decoder_layer_prefix(prefix, step, 0), true,
                                    s->model.config.norm);
        al_attention_layer_names first_cross;
        al_attention_layer_names_init(&first_cross, first.cross_attn.prefix);
        print_matrix(p, first_cross.w_q, "W_Q", &s->model.decoder[0].cross_attn.w_q, l->dims,
                     l->dims);
    }
    print_projections(p, &cross);
    if (!random)
        print_text(p, "  <bos>'s query asks \"who is this question about?\": it is large in "
                      "the three\n  person columns, and a word's key is its person columns, "
                      "so the pronoun\n  scores highest.");
    print_head_weights(p, &cross, true, false);
    print_attention_output(p, &cross);
    if (!random)
        print_text(p, "  out is what the found word brings back (W_V): its person and its "
                      "\"question\".");
    print_add_norm(p, &cross, AL_NORM_POST);
}

/* The hand-made rules: which fired, read from the hidden layer. */
static void say_which_rules_fired(printout *p, const al_sublayer_workspace *ffn,
                                  const labels *l)
{
    int fired = 0;
    for (int u = 0; u < ffn->hidden.cols; u++)
        if (*al_at(&ffn->hidden, 0, u) > 0.0f) {
            print_text(p, "  Rule %s fires (%.4f).", l->rules[u],
                       (double)*al_at(&ffn->hidden, 0, u));
            fired++;
        }
    if (!fired)
        print_text(p, "  No rule fires: no person was found clearly in a question.");
}

static void narrate_decoder_ffn(printout *p, const al_decoder_layer_workspace *ws,
                                const al_decoder_layer_names *names, const labels *l,
                                bool random)
{
    sublayer_view ffn = {.ws = &ws->ffn, .names = &names->ffn, .rows = 1,
                         .row_labels = l->target, .dims = l->dims, .hidden = l->rules};
    print_step(p, "the decoder's feed-forward network, then add & norm",
               "hidden = max(0, x · W1 + b1),  FFN(x) = hidden · W2,  norm3 = "
               "LayerNorm(x + FFN(x))");
    if (!random)
        print_text(p, "  Each hidden unit is a rule: it adds its person and \"question\" and "
                      "fires when\n  the sum passes 2 (b1 = -2). W2 writes what to say: asked "
                      "about you -> say.I,\n  about me -> say.you, about others -> say.they.");
    print_ffn(p, &ffn, true);
    if (!random)
        say_which_rules_fired(p, &ws->ffn, l);
    print_add_norm(p, &ffn, AL_NORM_POST);
}

/* --- the output ------------------------------------------------------------------- */

/* "i" as the first word of an answer: "I". */
static void sentence_case(char *buf, size_t size, const char *word)
{
    snprintf(buf, size, "%s", word);
    if (buf[0] != '<')
        buf[0] = (char)toupper((unsigned char)buf[0]);
}

static void narrate_output(printout *p, const lesson10_state *s, const labels *l, bool random)
{
    int V = s->vocab.size;
    al_matrix logits = al_matrix_rows(&s->ws.logits, 0, 1);
    al_matrix probs = al_matrix_rows(&s->ws.probs, 0, 1);
    char step[AL_NAME_SIZE];
    al_output_names names;
    al_output_names_init(&names, al_generate_step_prefix(step, 0));
    print_step(p, "the output projection and softmax over the vocabulary",
               "logits = dec · W_out    (T x d_model) · (d_model x V) = T x V;  probs = "
               "softmax(logits)");
    print_text(p, "  The decoder's last vector (%s) scores each of the V = %d words.",
               s->ws.final.name, V);
    if (!random)
        print_text(p, "  W_out (logits.w) reads say.I as \"i\" (3), \"me\" (1.5) and \"we\" "
                      "(0.75), say.you as \"you\",\n  say.they as \"they\", and start as "
                      "<eos> (1): with no rule fired, the answer ends at once.");
    print_matrix(p, names.logits, "logits", &logits, l->target, l->words);
    print_matrix(p, names.probs, "probs", &probs, l->target, l->words);
    print_text(p, "\n  The most probable next words:");
    print_top_words(p, &probs, l->words, 5);

    print_step(p, "the first token", "greedy: the word with the largest logit");
    const char *word = l->words[s->token];
    char answer[AL_MAX_WORD_BYTES + 1];
    sentence_case(answer, sizeof answer, word);
    print_text(p, "  step0.next.token = %d, the word \"%s\" (probability %.*f).", s->token, word,
               p->precision, (double)*al_at(&probs, 0, s->token));
    if (s->token == AL_TOKEN_EOS)
        print_text(p, "  The answer ends before it starts: the model has nothing to say.");
    else
        print_text(p, "  The answer begins: %s ...", answer);
    print_text(p, "\n  Shapes: source %d x %d -> encoder memory %d x %d; decoder 1 x %d -> "
                  "cross-attention\n  weights 1 x %d (T x S) -> logits and probs 1 x %d (T x V).",
               s->tokens.count, s->model.config.d_model, s->tokens.count,
               s->model.config.d_model, s->model.config.d_model, s->tokens.count, V);
}

static void narrate(printout *p, const void *lesson_state, const void *lesson_settings,
                    const char *trace_path)
{
    const lesson10_state *s = lesson_state;
    const lesson10_settings *settings = lesson_settings;
    bool random = settings->random;
    labels l = labels_for(s, random);
    narrate_inputs(p, s, &l, random);
    for (int i = 0; i < s->model.config.encoder_layers; i++)
        narrate_encoder_layer(p, s, &l, i, random);
    narrate_decoder_input(p, s, &l);
    for (int i = 0; i < s->model.config.decoder_layers; i++) {
        char step[AL_NAME_SIZE], prefix[AL_NAME_SIZE];
        al_decoder_layer_prefix(prefix, al_generate_step_prefix(step, 0), i);
        al_decoder_layer_names names;
        al_decoder_layer_names_init(&names, prefix, s->model.decoder[i].has_cross,
                                    s->model.config.norm);
        narrate_decoder_self(p, &s->ws.decoder[i], &names, &l);
        narrate_cross(p, s, &s->ws.decoder[i], &names, &l, random);
        narrate_decoder_ffn(p, &s->ws.decoder[i], &names, &l, random);
    }
    narrate_output(p, s, &l, random);
}

/* Encode the question, run the decoder on <bos>, choose greedily. */
/* The first token of the answer, greedily: one step of generation. */
static al_status compute(void *lesson_state, const void *lesson_settings, printout *p,
                         al_trace *trace, al_error *err)
{
    lesson10_state *s = lesson_state;
    al_sequence source = {.length = s->tokens.count, .ids = s->tokens.ids,
                          .labels = (const char *const *)s->tokens.labels};
    al_generate_options options = {.sampling = {.method = AL_SAMPLE_GREEDY}, .max_tokens = 1};
    int length = 0;
    return al_transformer_generate(&s->token, &length, &s->ws, &s->model, &source, &options,
                                   NULL, (const char *const *)s->vocab.words, trace, err);
}

static void draw(lesson_outputs *outputs, const void *lesson_state, const void *lesson_settings)
{
    const lesson10_state *s = lesson_state;
    char columns[16], every[AL_NAME_SIZE], step[AL_NAME_SIZE];
    char encoder_heads[AL_NAME_SIZE], cross_heads[AL_NAME_SIZE];
    al_encoder_layer_names encoder;  /* the patterns of every layer's names */
    al_encoder_layer_names_init(&encoder, al_encoder_layer_prefix(every, NULL, -1),
                                s->model.config.norm);
    every_head_weights(encoder_heads, encoder.attn.prefix);
    al_generate_step_prefix(step, 0);
    al_decoder_layer_names decoder;
    al_decoder_layer_names_init(&decoder, al_decoder_layer_prefix(every, step, -1), true,
                                s->model.config.norm);
    every_head_weights(cross_heads, decoder.cross_attn.prefix);
    al_output_names output;
    al_output_names_init(&output, step);
    snprintf(columns, sizeof columns, "%d", s->model.config.heads < 4 ? s->model.config.heads : 4);
    const char *encoder_args[] = {"--select", encoder_heads, "--annotate", "--columns",
                                  columns, "--title", "encoder self-attention (S x S)", "--svg",
                                  NULL};
    outputs_draw(outputs, "attnlab-heatmap", "-encoder.png", encoder_args);
    const char *cross_args[] = {"--select", cross_heads, "--annotate",
                                "--columns", columns, "--title",
                                "cross-attention: decoder rows, encoder columns (T x S)", "--svg",
                                NULL};
    outputs_draw(outputs, "attnlab-heatmap", "-cross.png", cross_args);
    const char *probs_args[] = {"--select", output.probs, "--bars", "--axes", "probability,word",
                                "--title",
                                "the first token: probabilities over the vocabulary", "--svg",
                                NULL};
    outputs_draw(outputs, "attnlab-heatmap", "-probs.png", probs_args);
    const char *flow_args[] = {"--collapse", "heads", NULL};
    outputs_draw(outputs, "attnlab-flow", "-flow.svg", flow_args);
}

int main(int argc, char **argv)
{
    lesson10_settings settings = {0};
    lesson10_state state = {0};
    const lesson_program lesson = {.about = &ABOUT, .options = options, .check = check,
                                   .build = build, .compute = compute, .narrate = narrate,
                                   .draw = draw, .free = free_state};
    return lesson_run(&lesson, &settings, &state, argc, argv);
}
