/* lesson10: cross-attention and the decoder. An encoder-decoder Transformer
 * reads "what can you do" and answers it. The default model is the one
 * attnlab-train made from data/qa/pairs.tsv (data/qa/transformer.safetensors):
 * it writes "i can answer questions" and <eos> greedily, one word per step,
 * and the lesson shows where every step's cross-attention looked in the
 * question. --hand-made walks through the first step of data/lesson10's
 * made-up model (every number explained: encoder self-attention, masked
 * self-attention, cross-attention, FFN, the output layer and "I");
 * --random gives that walk-through seeded random weights. A thin program:
 * the maths is in the library (transformer.h, generate.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnlab/generate.h"
#include "attnlab/table_file.h"
#include "attnlab/transformer_tables.h"
#include "model_printout.h"
#include "model_record.h"
#include "runner.h"

#define MAX_TOKENS 16   /* the hand-made and random models' longest question */
/* The trained model, under the data folder (data/README.md, "Trained
 * models"). It was trained on sequences of up to its max_positions (10)
 * tokens: the question and the decoder's input (<bos> and the answer so
 * far) must fit there, so it answers with at most 10 tokens, <eos> among
 * them. */
#define TRAINED_FILE "qa/transformer.safetensors"
#define TRAINED_CORPUS "data/qa/pairs.tsv"
#define RECORD_SIZE 512

static const lesson_about ABOUT = {
    .program = "lesson10",
    .title = "cross-attention and the decoder",
    .summary =
        "An encoder-decoder Transformer answers a question. The encoder reads the\n"
        "question with self-attention; the decoder starts from <bos>, looks back at what\n"
        "it has written (masked self-attention), then asks the encoder (cross-attention:\n"
        "its queries, the encoder's keys and values, a T x S weight matrix), and its\n"
        "output projection and softmax score every word of the vocabulary; the best\n"
        "word is said and read back in, until <eos>. The model is\n"
        "data/qa/transformer.safetensors (trained by attnlab-train on data/qa/pairs.tsv,\n"
        "see data/README.md): \"what can you do\" is answered \"i can answer questions\",\n"
        "and the lesson shows where each step looked in the question. A word it does\n"
        "not know becomes <unk>. --hand-made walks through the first step of\n"
        "data/lesson10's made-up model instead (its <bos> asks who the question is\n"
        "about, finds \"you\", and answers \"I\"); --random gives that walk-through\n"
        "seeded random weights.",
    .example = "lesson10 --sentence \"what can they do\"",
    .sentence_help = "the question, at most 10 tokens (16 with --hand-made or --random;\n"
                     "default \"what can you do\")",
    .seed_help = "seed for --random",
    .seed_only_with = "random",
    .takes_data = true,
    .sentence = "what can you do",
};

typedef struct lesson10_settings {
    const char *sentence;
    bool hand_made, random;
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
    /* the trained model only: */
    bool trained;
    char path[LESSON_PATH_SIZE];   /* the model file                */
    char record[RECORD_SIZE];      /* how it was made               */
    int *said, said_count;         /* the answer's tokens, <eos> included when it came */
    int max_said;                  /* the length limit              */
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
    free(s->said);
}

static lesson_options options(void *lesson_settings)
{
    lesson10_settings *settings = lesson_settings;
    return (lesson_options){
        .own = {
            {.name = "hand-made", .kind = CLI_FLAG, .target = &settings->hand_made,
             .help = "data/lesson10's made-up model, its first step told whole"},
            {.name = "random", .kind = CLI_FLAG, .target = &settings->random,
             .help = "seeded random weights, told as --hand-made is"},
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

/* The trained and hand-made models have one shape each: the shape
 * options go with --random (--seed too: the runner refuses it without). */
static al_status check(void *lesson_settings, al_error *err)
{
    const lesson10_settings *settings = lesson_settings;
    if (settings->hand_made && settings->random)
        return al_fail(err, AL_ERR_VALUE, "--hand-made and --random are two different models; "
                                          "give one of them");
    if (!settings->random && (settings->d_model || settings->heads || settings->layers))
        return al_fail(err, AL_ERR_VALUE, "--d-model, --heads and --layers need --random (the "
                                          "trained model has d_model 64, 4 heads and 2 layers "
                                          "each side, the hand-made one d_model 9, 1 head and "
                                          "1 layer each)");
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

/* The trained model with its own vocabulary, and the question as it was
 * trained on (its words, no <bos>); an unknown word becomes <unk>, with a
 * note. Room for the longest answer it may give. */
static al_status build_trained(lesson10_state *s, const lesson10_settings *settings, printout *p,
                               al_error *err)
{
    s->trained = true;
    snprintf(s->path, sizeof s->path, "%s/%s", settings->data_dir, TRAINED_FILE);
    al_status status = al_transformer_load(&s->model, &s->vocab, s->path, NULL, err);
    if (status == AL_OK)
        status = lesson_model_record(s->record, sizeof s->record, s->path, err);
    if (status == AL_OK)
        status = al_tokenize(&s->tokens, settings->sentence, &s->vocab, AL_TOKENIZE_PLAIN, err);
    if (status != AL_OK)
        return status;
    int room = s->model.config.max_positions;
    if (s->tokens.count > room)
        return al_fail(err, AL_ERR_VALUE, "the question has %d tokens; the trained model reads "
                       "at most %d (its learned positions)", s->tokens.count, room);
    for (int i = 0; i < s->tokens.count; i++)
        if (s->tokens.unknown[i])
            print_text(p, "note: '%s' is not in the trained model's vocabulary (%d words of "
                          TRAINED_CORPUS "); it becomes <unk>", s->tokens.labels[i],
                       s->vocab.size);
    s->max_said = room < MAX_TOKENS ? room : MAX_TOKENS;
    s->said = calloc((size_t)room, sizeof *s->said);
    if (!s->said)
        return al_fail(err, AL_ERR_NOMEM, "no memory for an answer of %d tokens", room);
    return al_transformer_workspace_alloc(&s->ws, &s->model, room, err);
}

/* The vocabulary, the model (trained, hand-made or seeded) and the question. */
static al_status build(void *lesson_state, const void *lesson_settings, printout *p,
                       al_error *err)
{
    lesson10_state *s = lesson_state;
    const lesson10_settings *settings = lesson_settings;
    if (!settings->hand_made && !settings->random)
        return build_trained(s, settings, p, err);
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

/* --- the trained model: the whole answer ------------------------------------------ */

/* What the trained decoder read and said: read[t] is its input at row t
 * (<bos>, then the words said before step t), said[t] the word step t
 * chose. */
typedef struct answer_labels {
    const char *read[MAX_TOKENS];
    const char *said[MAX_TOKENS];
} answer_labels;

static answer_labels answer_labels_of(const lesson10_state *s)
{
    answer_labels a = {.read = {0}};
    for (int t = 0; t < s->said_count; t++) {
        a.read[t] = t == 0 ? BOS_LABEL[0] : s->vocab.words[s->said[t - 1]];
        a.said[t] = s->vocab.words[s->said[t]];
    }
    return a;
}

/* Append text to the string in buf (size bytes), cutting it short if it
 * does not fit. */
static void append(char *buf, size_t size, const char *text)
{
    size_t used = strlen(buf);
    if (used + 1 < size)
        snprintf(buf + used, size - used, "%s", text);
}

/* Append text, then spaces up to width columns on screen. */
static void append_padded(char *buf, size_t size, const char *text, int width)
{
    append(buf, size, text);
    for (int w = text_width(text); w < width; w++)
        append(buf, size, " ");
}

/* Whether the answer ended with <eos> (rather than at the length limit). */
static bool ended(const lesson10_state *s)
{
    return s->said_count > 0 && s->said[s->said_count - 1] == AL_TOKEN_EOS;
}

/* The answer as words, one space apart: no <eos>, and no other special
 * token (the printout names those apart). */
static void answer_text(char *buf, size_t size, const lesson10_state *s)
{
    buf[0] = '\0';
    for (int t = 0; t < s->said_count; t++)
        if (s->said[t] >= AL_SPECIAL_TOKENS) {
            append(buf, size, buf[0] ? " " : "");
            append(buf, size, s->vocab.words[s->said[t]]);
        }
}

static void narrate_trained_model(printout *p, const lesson10_state *s)
{
    const al_model_config *c = &s->model.config;
    print_step(p, "the trained model and the question", "x = embed[tokens] + pos    "
                                                         "(S x d_model)");
    print_text(p, "  The weights: %s,\n  %s\n  (data/README.md, \"Trained models\", tells "
                  "how).", s->path, s->record);
    print_text(p, "  An %s Transformer, %s-norm: d_model = %d, h = %d heads of d_k = %d, %d "
                  "encoder and\n  %d decoder layers, d_ff = %d, %s positions for up to %d "
                  "tokens, V = %d words%s.",
               al_family_name(c->family), al_norm_name(c->norm), c->d_model, c->heads,
               c->d_model / c->heads, c->encoder_layers, c->decoder_layers, c->d_ff,
               al_positions_name(c->positions), c->max_positions, c->vocab_size,
               c->tied_output ? ";\n  the output layer reads the embedding table backwards "
                                "(logits = x · Eᵀ)" : "");
    char line[1024] = "";
    for (int i = 0; i < s->tokens.count; i++) {
        char token[AL_MAX_WORD_BYTES + 32];
        if (s->tokens.unknown[i])
            snprintf(token, sizeof token, "%s%s = <unk> %d", i ? ", " : "", s->tokens.labels[i],
                     s->tokens.ids[i]);
        else
            snprintf(token, sizeof token, "%s%s %d", i ? ", " : "", s->tokens.labels[i],
                     s->tokens.ids[i]);
        append(line, sizeof line, token);
    }
    print_text(p, "  The question as it was trained on, its words and no <bos>: S = %d tokens "
                  "(ids)\n  %s.", s->tokens.count, line);
    print_text(p, "  Trained vectors have no named columns: what each of the %d numbers holds "
                  "is whatever\n  helped during training. The trace has them (tokens, embed, "
                  "pos, x).", c->d_model);
}

static void narrate_trained_encoder(printout *p, const lesson10_state *s)
{
    const al_model_config *c = &s->model.config;
    print_step(p, "the encoder reads the question once",
               "memory = encoder(x)    (S x d_model): self-attention, every word sees every "
               "word");
    print_text(p, "  %d layers of self-attention and FFN (lesson09 tells such a layer step by "
                  "step; the\n  trace has every one: enc.0.attn.h0.weights ... enc.%d.attn.h%d."
                  "weights). Their output,\n  %s (%d x %d), is the memory: the keys and values "
                  "of every cross-attention below.\n  Its rows are not the words alone: the "
                  "encoder mixed each with the others.",
               c->encoder_layers, c->encoder_layers - 1, c->heads - 1, s->ws.memory.name,
               s->tokens.count, c->d_model);
}

static void narrate_trained_steps(printout *p, const lesson10_state *s, const answer_labels *a)
{
    const al_model_config *c = &s->model.config;
    int T = s->said_count;
    al_matrix probs = al_matrix_rows(&s->ws.probs, 0, T);
    print_step(p, "the decoder writes the answer, one word per step",
               "step t reads <bos> y_0 ... y_{t-1};  y_t = the word of largest probability in "
               "its last row");
    print_text(p, "  At every step the decoder runs on all it has written: masked "
                  "self-attention (a row\n  sees only the words up to its own), "
                  "cross-attention (its queries, the memory's keys and\n  values), FFN, %d "
                  "layers; then logits and a softmax over the V = %d words. The most\n  "
                  "probable word is said (greedy) and read back in. Step t is traced under "
                  "step<t>.\n  (step0.dec.0.cross_attn.h0.weights, ..., step0.next.token), "
                  "until <eos> or %d tokens.\n", c->decoder_layers, c->vocab_size,
               s->max_said);
    /* the decoder's whole input at the last step: "<bos> i can answer questions" */
    char inputs[MAX_TOKENS][1024];
    int width = 0;
    for (int t = 0; t < T; t++) {
        snprintf(inputs[t], sizeof inputs[t], "%s%s%s", t ? inputs[t - 1] : "", t ? " " : "",
                 a->read[t]);
        width = text_width(inputs[t]) > width ? text_width(inputs[t]) : width;
    }
    for (int t = 0; t < T; t++) {
        char read[1200] = "";
        append_padded(read, sizeof read, inputs[t], width);
        print_text(p, "  step %d reads %s  says %-10s (probability %.*f)%s", t, read,
                   a->said[t], p->precision, (double)*al_at(&probs, t, s->said[t]),
                   s->said[t] == AL_TOKEN_EOS ? "\n    <eos> ends the answer; it is not a "
                                                "word of it." : "");
    }
}

/* One table per decoder layer: for each word said (a row), the word of
 * the question each head gave the most weight, and that weight. */
static void print_where_heads_look(printout *p, const lesson10_state *s, const answer_labels *a,
                                   int layer)
{
    const al_attention_workspace *cross = &s->ws.decoder[layer].cross_attn.attn;
    int T = s->said_count, S = s->tokens.count, said_width = 9, cell = 0;
    for (int t = 0; t < T; t++)
        said_width = text_width(a->said[t]) > said_width ? text_width(a->said[t]) : said_width;
    for (int j = 0; j < S; j++)
        cell = text_width(s->tokens.labels[j]) > cell ? text_width(s->tokens.labels[j]) : cell;
    cell += 2 + p->precision + 3;   /* " 0.9999" and a gap */
    char line[1024] = "  ", head[32];
    append_padded(line, sizeof line, "word said", said_width + 2);
    for (int h = 0; h < cross->heads; h++) {
        snprintf(head, sizeof head, "dec.%d h%d", layer, h);
        append_padded(line, sizeof line, head, h + 1 < cross->heads ? cell : 0);
    }
    print_text(p, "\n%s", line);
    for (int t = 0; t < T; t++) {
        snprintf(line, sizeof line, "  ");
        append_padded(line, sizeof line, a->said[t], said_width + 2);
        for (int h = 0; h < cross->heads; h++) {
            al_attention_steps steps = al_attention_head_steps(cross, h);
            int best = 0;
            for (int j = 1; j < S; j++)
                if (*al_at(&steps.weights, t, j) > *al_at(&steps.weights, t, best))
                    best = j;
            char entry[AL_MAX_WORD_BYTES + 32];
            snprintf(entry, sizeof entry, "%s %.*f", s->tokens.labels[best], p->precision,
                     (double)*al_at(&steps.weights, t, best));
            append_padded(line, sizeof line, entry, h + 1 < cross->heads ? cell : 0);
        }
        print_text(p, "%s", line);
    }
}

static void narrate_trained_cross(printout *p, const lesson10_state *s, const answer_labels *a)
{
    const al_model_config *c = &s->model.config;
    int T = s->said_count, S = s->tokens.count;
    char step[AL_NAME_SIZE], prefix[AL_NAME_SIZE];
    al_generate_step_prefix(step, T - 1);
    print_step(p, "cross-attention at every step: where each word looked in the question",
               "weights = softmax(Q_dec · K_memoryᵀ / √d_k)    (T x S per head: one row per "
               "step)");
    print_text(p, "  The decoder reran its whole input at every step, and the causal mask keeps "
                  "each row as\n  it was when it was new; so the last step's pass (%s*) "
                  "holds every step's row:\n  row t reads y_{t-1} (<bos> for t = 0) and chose "
                  "word t. Each step's own pass is in the\n  trace too (step<t>.*): its last "
                  "row is this row t, to float32 rounding (about 1e-7).", step);
    for (int l = 0; l < c->decoder_layers; l++) {
        al_decoder_layer_names names;
        al_decoder_layer_names_init(&names, al_decoder_layer_prefix(prefix, step, l), true,
                                    c->norm);
        const al_attention_workspace *cross = &s->ws.decoder[l].cross_attn.attn;
        for (int h = 0; h < cross->heads; h++) {
            al_attention_steps steps = al_attention_head_steps(cross, h);
            al_attention_head_names head;
            al_attention_head_names_init(&head, names.cross_attn.prefix, h);
            al_matrix rows = al_matrix_rows(&steps.weights, 0, T);
            al_matrix weights = al_matrix_cols(&rows, 0, S);
            char symbol[32];
            snprintf(symbol, sizeof symbol, "weights_%d", h);
            print_matrix(p, head.steps.weights, symbol, &weights, a->read,
                         (const char *const *)s->tokens.labels);
        }
    }
    print_text(p, "\n  Word by word, the word of the question each head weighed most:");
    for (int l = 0; l < c->decoder_layers; l++)
        print_where_heads_look(p, s, a, l);
    print_text(p, "\n  Nobody told the heads where to look: training found what helped. A "
                  "head may look at\n  a word that is not the one being answered (\"do\" or "
                  "\"can\" for \"i\"): what it reads there\n  is the memory's row, which "
                  "the encoder already mixed with the rest of the question.");
}

static void narrate_trained_answer(printout *p, const lesson10_state *s)
{
    int T = s->said_count;
    char answer[1024];
    answer_text(answer, sizeof answer, s);
    print_step(p, "the answer", "the words said, without the <eos> that ends them");
    for (int t = 0; t < T; t++)
        if (s->said[t] < AL_SPECIAL_TOKENS && s->said[t] != AL_TOKEN_EOS)
            print_text(p, "  Step %d said %s, a special token, not a word: it is left out of "
                          "the answer.", t, s->vocab.words[s->said[t]]);
    print_text(p, "  Answer: %s", answer[0] ? answer : "(no words)");
    if (ended(s))
        print_text(p, "  Generation stopped at <eos>, said at step %d.", T - 1);
    else
        print_text(p, "  Generation stopped at the limit of %d tokens, without an <eos>.",
                   s->max_said);
    print_text(p, "\n  Shapes: the question S = %d tokens -> memory %d x %d; step t: decoder "
                  "(t+1) x %d,\n  cross-attention weights (t+1) x S per head, logits (t+1) x "
                  "V = (t+1) x %d; the last\n  step's weights T x S = %d x %d.",
               s->tokens.count, s->tokens.count, s->model.config.d_model,
               s->model.config.d_model, s->model.config.vocab_size, T, s->tokens.count);
}

static void narrate_trained(printout *p, const lesson10_state *s)
{
    answer_labels a = answer_labels_of(s);
    narrate_trained_model(p, s);
    narrate_trained_encoder(p, s);
    narrate_trained_steps(p, s, &a);
    narrate_trained_cross(p, s, &a);
    narrate_trained_answer(p, s);
}

static void narrate(printout *p, const void *lesson_state, const void *lesson_settings,
                    const char *trace_path)
{
    const lesson10_state *s = lesson_state;
    const lesson10_settings *settings = lesson_settings;
    if (s->trained) {
        narrate_trained(p, s);
        return;
    }
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

/* Encode the question, then decode greedily: the trained model until
 * <eos> or its length limit, the hand-made and random ones one step (the
 * first token). */
static al_status compute(void *lesson_state, const void *lesson_settings, printout *p,
                         al_trace *trace, al_error *err)
{
    lesson10_state *s = lesson_state;
    al_sequence source = {.length = s->tokens.count, .ids = s->tokens.ids,
                          .labels = (const char *const *)s->tokens.labels};
    al_generate_options options = {.sampling = {.method = AL_SAMPLE_GREEDY},
                                   .max_tokens = s->trained ? s->max_said : 1};
    int length = 0;
    al_status status = al_transformer_generate(s->trained ? s->said : &s->token,
                                               s->trained ? &s->said_count : &length, &s->ws,
                                               &s->model, &source, &options, NULL,
                                               (const char *const *)s->vocab.words, trace, err);
    if (status == AL_OK && s->trained)
        s->token = s->said[0];
    return status;
}

/* "what can you do → i can answer questions": the question and the
 * answer, in words, for the figures' titles. */
static void question_and_answer(char *buf, size_t size, const lesson10_state *s)
{
    buf[0] = '\0';
    for (int j = 0; j < s->tokens.count; j++) {
        append(buf, size, j ? " " : "\"");
        append(buf, size, s->tokens.labels[j]);
    }
    char answer[512];
    answer_text(answer, sizeof answer, s);
    append(buf, size, "\" → \"");
    append(buf, size, answer);
    append(buf, size, "\"");
}

/* The trained model: the last encoder layer's heads, and each decoder
 * layer's cross-attention at every step (the last step's T x S rows). */
static void draw_trained(lesson_outputs *outputs, const lesson10_state *s)
{
    const al_model_config *c = &s->model.config;
    char columns[16], qa[640], title[800], select[AL_NAME_SIZE], prefix[AL_NAME_SIZE];
    char step[AL_NAME_SIZE], suffix[32];
    snprintf(columns, sizeof columns, "%d", c->heads < 4 ? c->heads : 4);
    question_and_answer(qa, sizeof qa, s);
    al_encoder_layer_names encoder;
    al_encoder_layer_names_init(&encoder,
                                al_encoder_layer_prefix(prefix, NULL, c->encoder_layers - 1),
                                c->norm);
    every_head_weights(select, encoder.attn.prefix);
    snprintf(title, sizeof title, "the encoder's self-attention on the question, its last "
                                  "layer (enc.%d, S x S)", c->encoder_layers - 1);
    const char *encoder_args[] = {"--select", select, "--annotate", "--columns", columns,
                                  "--title", title, "--axes", "word,looks at", "--svg", NULL};
    figure_args encoder_figure = {0};
    figure_args_add(&encoder_figure, encoder_args);
    figure_head_titles(&encoder_figure, NULL, 1, c->heads);
    outputs_draw(outputs, "attnlab-heatmap", "-encoder.png", encoder_figure.argv);
    al_generate_step_prefix(step, s->said_count - 1);
    for (int l = 0; l < c->decoder_layers; l++) {
        al_decoder_layer_names decoder;
        al_decoder_layer_names_init(&decoder, al_decoder_layer_prefix(prefix, step, l), true,
                                    c->norm);
        every_head_weights(select, decoder.cross_attn.prefix);
        snprintf(title, sizeof title, "%s: decoder layer %d's cross-attention, one row per "
                                      "step", qa, l);
        snprintf(suffix, sizeof suffix, "-cross-layer%d.png", l);
        const char *cross_args[] = {"--select", select, "--annotate", "--columns", columns,
                                    "--title", title, "--axes",
                                    "the word read,the question",
                                    "--svg", NULL};
        figure_args cross = {0};
        figure_args_add(&cross, cross_args);
        figure_head_titles(&cross, NULL, 1, c->heads);
        outputs_draw(outputs, "attnlab-heatmap", suffix, cross.argv);
    }
    /* five steps of two layers: each sublayer drawn as one node */
    const char *flow_args[] = {"--depth", "3", NULL};
    outputs_draw(outputs, "attnlab-flow", "-flow.svg", flow_args);
}

static void draw(lesson_outputs *outputs, const void *lesson_state, const void *lesson_settings)
{
    const lesson10_state *s = lesson_state;
    if (s->trained) {
        draw_trained(outputs, s);
        return;
    }
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
    /* Step 0 reads only <bos>: one row of weights per head, drawn as bars. */
    const char *cross_args[] = {"--select", cross_heads, "--bars", "--row", "0",
                                "--columns", columns, "--axes", "weight,the question's word",
                                "--title", "cross-attention: where <bos> looks in the question",
                                "--svg", NULL};
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
