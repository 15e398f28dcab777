/* lesson12: BERT versus GPT. One sentence through an encoder-only stack
 * (BERT-style: no mask, [CLS] first, a hidden word to predict from both
 * sides) and a decoder-only stack (GPT-style: causal mask, <bos> first,
 * every row predicts the next word): the two attention patterns side by
 * side, the two objectives, and what changing the last word does to the
 * earlier rows of each. By default the two are the models trained on
 * data/bank's sentences (the same shape and corpus, one on masked words,
 * one on next words); --random gives two seeded, untrained stacks with
 * the same d_model, heads, layers and seed, and so the same weights. A
 * thin program: the maths is in the library (transformer.h,
 * row_change.h). */
#include <stdio.h>
#include <string.h>

#include "attnlab/row_change.h"
#include "attnlab/word_embeddings.h"
#include "model_printout.h"
#include "random_model.h"
#include "runner.h"
#include "sentence.h"

#define MAX_TOKENS 16   /* [CLS] or <bos> included */

/* The defaults of each mode: a sentence in the model's words, the word
 * number (from 1) BERT hides, the word that replaces the last one. The
 * trained default hides the word that says which bank: only the words
 * after "bank" tell it, which BERT reads and GPT cannot. */
#define TRAINED_SENTENCE "the river was near , so she walked to the bank to watch the boats"
#define TRAINED_HIDE 2
#define TRAINED_CHANGE "ducks"
#define RANDOM_SENTENCE "the cat walks by the river bank"
#define RANDOM_HIDE 3
#define RANDOM_CHANGE "shore"

static const lesson_about ABOUT = {
    .program = "lesson12",
    .title = "BERT versus GPT",
    .summary =
        "The same sentence through two stacks of the same shape. Encoder-only\n"
        "(BERT-style): no mask, every token sees every token; training hides a word\n"
        "([MASK]) and asks for it from both sides. Decoder-only (GPT-style): a causal\n"
        "mask, token t sees tokens 0 .. t; training asks every row for the next word.\n"
        "Change the last word and see which rows move: all of BERT's, only the last\n"
        "of GPT's. The two models are trained on data/bank's sentences; --random gives\n"
        "seeded, untrained stacks with the same weights instead.",
    .example = "lesson12 --hide 2 --change bills --sentence \"the money was near , so he went "
               "to the bank for a loan\"",
    .sentence_help = "the sentence (default\n\"" TRAINED_SENTENCE "\";\n"
                     "with --random \"" RANDOM_SENTENCE "\")",
    .seed_help = "seed of the --random weights",
    .seed_only_with = "random",
    .takes_data = true,
};

typedef struct lesson12_settings {
    const char *sentence;
    bool random;            /* seeded weights instead of the trained models */
    int hide;               /* word number (from 1) BERT hides */
    const char *change;     /* the word that replaces the last one */
    model_shape shape;
    const char *data_dir;
} lesson12_settings;

/* One model's input: ids and labels, [CLS] or <bos> first. */
typedef struct input {
    int length;
    int ids[MAX_TOKENS];
    const char *labels[MAX_TOKENS];
} input;

/* Everything the lesson builds, freed in one place. */
typedef struct lesson12_state {
    al_word_embeddings words;          /* --random: data/lesson05's vocabulary */
    al_vocab bert_vocab, gpt_vocab;    /* the trained models' (the same words)  */
    const al_vocab *vocab;             /* the one in use                        */
    const char *vocab_source;          /* where its words come from, for notes  */
    lesson_trained_file bert_file, gpt_file;
    al_tokens sentence, change;        /* the sentence, and the changed last word */
    input bert, gpt, bert_changed, gpt_changed;
    al_transformer encoder_only, decoder_only;
    al_transformer_workspace bert_ws, gpt_ws, bert_changed_ws, gpt_changed_ws;
    al_matrix bert_change, gpt_change; /* L x 1 */
} lesson12_state;

static void free_state(void *lesson_state)
{
    lesson12_state *s = lesson_state;
    al_matrix_free(&s->bert_change);
    al_matrix_free(&s->gpt_change);
    al_transformer_workspace_free(&s->bert_ws);
    al_transformer_workspace_free(&s->gpt_ws);
    al_transformer_workspace_free(&s->bert_changed_ws);
    al_transformer_workspace_free(&s->gpt_changed_ws);
    al_transformer_free(&s->encoder_only);
    al_transformer_free(&s->decoder_only);
    al_tokens_free(&s->sentence);
    al_tokens_free(&s->change);
    al_vocab_free(&s->bert_vocab);
    al_vocab_free(&s->gpt_vocab);
    al_word_embeddings_free(&s->words);
}

static lesson_options options(void *lesson_settings)
{
    lesson12_settings *settings = lesson_settings;
    lesson_options o = {
        .own = {
            {.name = "hide", .kind = CLI_INT, .target = &settings->hide, .value_name = "N",
             .help = "which word BERT hides behind [MASK], from 1 (default 2: \"river\";\n"
                     "with --random 3: \"walks\")",
             .min = 1, .max = MAX_TOKENS},
            {.name = "change", .kind = CLI_STRING, .target = &settings->change,
             .value_name = "WORD",
             .help = "the word that replaces the last one in the second run\n(default \""
                     TRAINED_CHANGE "\"; with --random \"" RANDOM_CHANGE "\")"},
            {.name = "random", .kind = CLI_FLAG, .target = &settings->random,
             .help = "seeded, untrained stacks instead of the trained\ndata/" LESSON_BANK_ENCODER
                     " and data/" LESSON_BANK_DECODER},
            {.name = "layers", .kind = CLI_INT, .target = &settings->shape.layers,
             .value_name = "N", .help = "layers of each stack with --random (default 2)",
             .min = 1, .max = 6, .only_with = "random"},
        },
        .inputs = {.sentence = &settings->sentence, .seed = &settings->shape.seed,
                   .data_dir = &settings->data_dir},
    };
    lesson_shape_options(o.own + 4, &settings->shape);
    return o;
}

/* The defaults of the chosen mode, for what was not given. */
static al_status check(void *lesson_settings, al_error *err)
{
    lesson12_settings *settings = lesson_settings;
    (void)err;
    if (!settings->sentence)
        settings->sentence = settings->random ? RANDOM_SENTENCE : TRAINED_SENTENCE;
    if (!settings->hide)
        settings->hide = settings->random ? RANDOM_HIDE : TRAINED_HIDE;
    if (!settings->change)
        settings->change = settings->random ? RANDOM_CHANGE : TRAINED_CHANGE;
    return AL_OK;
}

/* The two trained models of data/bank, which must share their words. */
static al_status load_trained(lesson12_state *s, const lesson12_settings *settings,
                              al_error *err)
{
    al_status status = lesson_trained_model(&s->encoder_only, &s->bert_vocab, &s->bert_file,
                                            settings->data_dir, LESSON_BANK_ENCODER,
                                            AL_FAMILY_ENCODER_ONLY, err);
    if (status == AL_OK)
        status = lesson_trained_model(&s->decoder_only, &s->gpt_vocab, &s->gpt_file,
                                      settings->data_dir, LESSON_BANK_DECODER,
                                      AL_FAMILY_DECODER_ONLY, err);
    bool same = status == AL_OK && s->bert_vocab.size == s->gpt_vocab.size;
    for (int i = 0; same && i < s->bert_vocab.size; i++)
        same = !strcmp(s->bert_vocab.words[i], s->gpt_vocab.words[i]);
    if (status == AL_OK && !same)
        status = al_fail(err, AL_ERR_VALUE, "%s and %s have different vocabularies",
                         s->bert_file.path, s->gpt_file.path);
    s->vocab = &s->bert_vocab;
    s->vocab_source = LESSON_BANK_WORDS;
    return status;
}

/* first, then the sentence's tokens; the word at place `hide` (from 1, 0
 * for none) becomes [MASK]; with a replacement, the last word becomes it. */
static void make_input(input *in, int first, const char *first_label, const al_tokens *words,
                       int hide, const al_tokens *replacement)
{
    in->length = words->count + 1;
    in->ids[0] = first;
    in->labels[0] = first_label;
    for (int i = 0; i < words->count; i++) {
        in->ids[i + 1] = words->ids[i];
        in->labels[i + 1] = words->labels[i];
    }
    if (hide) {
        in->ids[hide] = AL_TOKEN_MASK;
        in->labels[hide] = "[MASK]";
    }
    if (replacement) {
        in->ids[in->length - 1] = replacement->ids[0];
        in->labels[in->length - 1] = replacement->labels[0];
    }
}

/* The sentence, the hidden word, the replacement: checked, then the four inputs. */
static al_status build_inputs(lesson12_state *s, const lesson12_settings *settings, printout *p,
                              al_error *err)
{
    al_status status;
    if (settings->random) {
        status = lesson_words_read(&s->words, settings->data_dir, err);
        s->vocab = &s->words.vocab;
        s->vocab_source = "data/lesson05's words";
    } else {
        status = load_trained(s, settings, err);
        /* the trained models' 64-wide vectors: the first columns say enough */
        p->max_columns = MAX_TOKENS;
    }
    if (status == AL_OK)
        status = lesson_model_tokens(&s->sentence, s->vocab, s->vocab_source, settings->sentence,
                                     AL_TOKENIZE_PLAIN, MAX_TOKENS - 1, p, err);
    if (status != AL_OK)
        return status;
    int n = s->sentence.count;
    if (al_tokenize(&s->change, settings->change, s->vocab, AL_TOKENIZE_PLAIN, NULL) !=
            AL_OK || s->change.count != 1)
        return al_fail(err, AL_ERR_VALUE, "--change needs one word, not '%s'", settings->change);
    if (n < 2)
        return al_fail(err, AL_ERR_VALUE, "the sentence needs at least two words: one to hide "
                       "and a later one to change");
    if (settings->hide >= n)
        return al_fail(err, AL_ERR_VALUE, "--hide %d: the sentence has %d words, and the last "
                       "one is the word --change replaces; hide one of words 1 to %d",
                       settings->hide, n, n - 1);
    if (s->change.unknown[0])
        print_text(p, "  note: '%s' is not in the vocabulary (%s); it becomes <unk>",
                   s->change.labels[0], s->vocab_source);
    make_input(&s->bert, AL_TOKEN_CLS, "[CLS]", &s->sentence, settings->hide, NULL);
    make_input(&s->gpt, AL_TOKEN_BOS, "<bos>", &s->sentence, 0, NULL);
    make_input(&s->bert_changed, AL_TOKEN_CLS, "[CLS]", &s->sentence, settings->hide,
               &s->change);
    make_input(&s->gpt_changed, AL_TOKEN_BOS, "<bos>", &s->sentence, 0, &s->change);
    return AL_OK;
}

static al_status build_models(lesson12_state *s, const lesson12_settings *settings, al_error *err)
{
    int V = s->vocab->size, L = s->bert.length;
    al_status status = AL_OK;
    if (settings->random)
        status = lesson_random_model(&s->encoder_only, AL_FAMILY_ENCODER_ONLY,
                                     &settings->shape, false, V, err);
    if (status == AL_OK && settings->random)
        status = lesson_random_model(&s->decoder_only, AL_FAMILY_DECODER_ONLY, &settings->shape,
                                     false, V, err);
    /* room for each pass: both encoder-only passes, then both decoder-only */
    al_transformer_workspace *room[] = {&s->bert_ws, &s->bert_changed_ws, &s->gpt_ws,
                                        &s->gpt_changed_ws};
    for (int i = 0; i < 4 && status == AL_OK; i++)
        status = al_transformer_workspace_alloc(room[i], i < 2 ? &s->encoder_only
                                                               : &s->decoder_only, L, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&s->bert_change, L, 1, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&s->gpt_change, L, 1, err);
    return status;
}

/* The inputs, then the two models and room for their four passes. */
static al_status build(void *lesson_state, const void *lesson_settings, printout *p,
                       al_error *err)
{
    al_status status = build_inputs(lesson_state, lesson_settings, p, err);
    if (status == AL_OK)
        status = build_models(lesson_state, lesson_settings, err);
    return status;
}

static al_sequence sequence_of(const input *in)
{
    return (al_sequence){.length = in->length, .ids = in->ids, .labels = in->labels};
}

/* --- the passes ------------------------------------------------------------------- */

/* The prefixes the lesson traces its four passes under (BERT, CHANGED BERT
 * ...), and the names of the two comparisons. */
#define BERT "bert."
#define GPT "gpt."
#define CHANGED "changed."
#define CHANGE_BERT "change.bert"
#define CHANGE_GPT "change.gpt"

/* One encoder-only pass, traced under prefix ("bert." or "changed.bert."). */
static al_status run_bert(al_transformer_workspace *ws, const lesson12_state *s, const input *in,
                          const char *prefix, al_trace *trace, al_error *err)
{
    al_sequence sentence = sequence_of(in);
    const char *const *words = (const char *const *)s->vocab->words;
    al_status status = al_transformer_encode(ws, &s->encoder_only, &sentence, prefix, trace, err);
    if (status == AL_OK)
        status = al_transformer_output(ws, &s->encoder_only, words, prefix, trace, err);
    return status;
}

/* One decoder-only pass, traced under prefix ("gpt." or "changed.gpt."). */
static al_status run_gpt(al_transformer_workspace *ws, const lesson12_state *s, const input *in,
                         const char *prefix, al_trace *trace, al_error *err)
{
    al_sequence sentence = sequence_of(in);
    const char *const *words = (const char *const *)s->vocab->words;
    al_status status = al_transformer_decode(ws, &s->decoder_only, &sentence, prefix, trace, err);
    if (status == AL_OK)
        status = al_transformer_output(ws, &s->decoder_only, words, prefix, trace, err);
    return status;
}

/* How much each row of each stack's output moved when the last word changed. */
static al_status measure_changes(lesson12_state *s, al_trace *trace, al_error *err)
{
    al_named bert = {&s->bert_ws.final.value, s->bert_ws.final.name, s->bert.labels};
    al_named bert_changed = {&s->bert_changed_ws.final.value, s->bert_changed_ws.final.name,
                             s->bert.labels};
    al_named gpt = {&s->gpt_ws.final.value, s->gpt_ws.final.name, s->gpt.labels};
    al_named gpt_changed = {&s->gpt_changed_ws.final.value, s->gpt_changed_ws.final.name,
                            s->gpt.labels};
    al_status status = al_row_change(&s->bert_change, bert, bert_changed,
                                     (al_trace_at){trace, CHANGE_BERT}, err);
    if (status == AL_OK)
        status = al_row_change(&s->gpt_change, gpt, gpt_changed,
                               (al_trace_at){trace, CHANGE_GPT}, err);
    return status;
}

/* Both stacks on the sentence, both on the changed one, then the changes. */
static al_status compute(void *lesson_state, const void *lesson_settings, printout *p,
                         al_trace *trace, al_error *err)
{
    lesson12_state *s = lesson_state;
    al_status status = run_bert(&s->bert_ws, s, &s->bert, BERT, trace, err);
    if (status == AL_OK)
        status = run_gpt(&s->gpt_ws, s, &s->gpt, GPT, trace, err);
    if (status == AL_OK)
        status = run_bert(&s->bert_changed_ws, s, &s->bert_changed, CHANGED BERT, trace, err);
    if (status == AL_OK)
        status = run_gpt(&s->gpt_changed_ws, s, &s->gpt_changed, CHANGED GPT, trace, err);
    if (status == AL_OK)
        status = measure_changes(s, trace, err);
    return status;
}

/* --- the printout ------------------------------------------------------------------- */

static void narrate_inputs(printout *p, const lesson12_state *s, const lesson12_settings *set)
{
    const al_model_config *c = &s->encoder_only.config;
    print_step(p, set->random ? "one sentence, two models with the same weights"
                              : "one sentence, two models trained on the same sentences",
               "encoder-only reads [CLS] + sentence (one word hidden); decoder-only reads <bos> "
               "+ sentence");
    if (!set->random) {
        print_text(p, "  Both stacks: d_model = %d, h = %d heads, %d %s layers, d_ff = %d, "
                      "trained on\n  data/bank's sentences (data/README.md), where \"bank\" is "
                      "a river bank or a money\n  bank.", c->d_model, c->heads,
                   c->encoder_layers, c->norm == AL_NORM_PRE ? "pre-norm" : "post-norm",
                   c->d_ff);
        print_text(p, "  encoder-only, on masked words: data/%s,\n  %s.", LESSON_BANK_ENCODER,
                   s->bert_file.origin);
        print_text(p, "  decoder-only, on next words: data/%s,\n  %s.", LESSON_BANK_DECODER,
                   s->gpt_file.origin);
        print_text(p, "  The same shape and the same text, different weights: each learned "
                      "what its\n  objective asks, and each may read only what its mask "
                      "allows.");
    } else {
        print_text(p, "  Both stacks: d_model = %d, h = %d heads, %d layers, d_ff = %d, seed "
                      "%llu (untrained).", c->d_model, c->heads, c->encoder_layers, c->d_ff,
                   (unsigned long long)set->shape.seed);
    }
    char prefix[AL_NAME_SIZE];
    al_encoder_layer_names bert;
    al_decoder_layer_names gpt;
    al_encoder_layer_names_init(&bert, al_encoder_layer_prefix(prefix, BERT, 0), c->norm);
    al_decoder_layer_names_init(&gpt, al_decoder_layer_prefix(prefix, GPT, 0), false, c->norm);
    al_attention_layer_names bert_attn, gpt_attn;
    al_attention_layer_names_init(&bert_attn, bert.attn.prefix);
    al_attention_layer_names_init(&gpt_attn, gpt.self_attn.prefix);
    if (set->random)
        print_text(p, "  An encoder layer and a decoder-only layer have the same parameters, "
                      "drawn in the\n  same order, so %s is %s and so on: the only\n  "
                      "difference between the two stacks is the mask.", bert_attn.w_q,
                   gpt_attn.w_q);
    al_stack_input_names bert_input, gpt_input;
    al_stack_input_names_init(&bert_input, BERT);
    al_stack_input_names_init(&gpt_input, al_decoder_input_prefix(prefix, &s->decoder_only, GPT));
    print_text(p, "\n  position  encoder-only (%s)  decoder-only (%s)", bert_input.tokens,
               gpt_input.tokens);
    for (int i = 0; i < s->bert.length; i++)
        print_text(p, "  %8d  %-26s  %s", i, s->bert.labels[i], s->gpt.labels[i]);
}

/* Both stacks' self-attention in one layer: full, then triangular. */
static void narrate_patterns(printout *p, const lesson12_state *s, int layer)
{
    int L = s->bert.length;
    char prefix[AL_NAME_SIZE], title[160];
    al_encoder_layer_names bert_names;
    al_decoder_layer_names gpt_names;
    al_norm_placement norm = s->encoder_only.config.norm;
    al_encoder_layer_names_init(&bert_names, al_encoder_layer_prefix(prefix, BERT, layer), norm);
    al_decoder_layer_names_init(&gpt_names, al_decoder_layer_prefix(prefix, GPT, layer),
                                s->decoder_only.decoder[layer].has_cross, norm);
    sublayer_view bert = {.ws = &s->bert_ws.encoder[layer].attn, .names = &bert_names.attn,
                          .rows = L, .keys = L, .row_labels = s->bert.labels,
                          .key_labels = s->bert.labels};
    sublayer_view gpt = {.ws = &s->gpt_ws.decoder[layer].self_attn,
                         .names = &gpt_names.self_attn, .rows = L, .keys = L,
                         .row_labels = s->gpt.labels, .key_labels = s->gpt.labels};
    snprintf(title, sizeof title, "layer %d, encoder-only: every token sees every token",
             layer);
    print_step(p, title, "weights = softmax(Q · Kᵀ / √d_head): no mask, L x L, every entry > 0");
    print_head_weights(p, &bert, false, false);
    snprintf(title, sizeof title, "layer %d, decoder-only: token t sees tokens 0 .. t", layer);
    print_step(p, title, "masked = scaled, -inf above the diagonal;  weights = softmax(masked): "
                         "exactly 0 above it");
    if (layer == 0) {
        al_matrix rows = al_matrix_rows(&s->gpt_ws.decoder[0].causal_mask, 0, L);
        al_matrix mask = al_matrix_cols(&rows, 0, L);
        al_attention_layer_names attention;
        al_attention_layer_names_init(&attention, gpt_names.self_attn.prefix);
        print_matrix(p, attention.mask, "mask", &mask, s->gpt.labels, s->gpt.labels);
    }
    print_head_weights(p, &gpt, false, false);
}

/* "walks" at the [MASK] row of BERT, after the word before it in GPT. */
static void narrate_objectives(printout *p, const lesson12_state *s, int hide, bool random)
{
    const char *const *words = (const char *const *)s->vocab->words;
    const char *hidden = s->gpt.labels[hide];
    int hidden_id = s->gpt.ids[hide];
    al_matrix bert_row = al_matrix_rows(&s->bert_ws.probs, hide, 1);
    al_matrix gpt_row = al_matrix_rows(&s->gpt_ws.probs, hide - 1, 1);

    print_step(p, "encoder-only objective: the masked word, from both sides",
               "bert.probs row m = softmax(final_m · Eᵀ): the guess for the hidden word");
    print_text(p, "  [MASK] is row %d. It may read every token, [CLS] to \"%s\", on both "
                  "sides.\n  Its five best guesses:", hide, s->bert.labels[s->bert.length - 1]);
    print_top_words(p, &bert_row, words, 5);
    print_text(p, "  p(\"%s\") = %.*f. Training raises it; only masked rows are scored.", hidden,
               p->precision, (double)*al_at(&bert_row, 0, hidden_id));

    print_step(p, "decoder-only objective: the next word, from the left only",
               "gpt.probs row t = softmax(final_t · Eᵀ): the guess for token t + 1");
    print_text(p, "  Row %d (\"%s\") has seen tokens 0 .. %d only, and guesses token %d, the "
                  "hidden word. Its five best:", hide - 1, s->gpt.labels[hide - 1], hide - 1,
               hide);
    print_top_words(p, &gpt_row, words, 5);
    print_text(p, "  p(\"%s\") = %.*f. Every row is scored, each against the word after it:",
               hidden, p->precision, (double)*al_at(&gpt_row, 0, hidden_id));
    for (int t = 0; t + 1 < s->gpt.length; t++)
        print_text(p, "    row %2d  %-10s -> should say %-10s  p = %.*f%s", t, s->gpt.labels[t],
                   s->gpt.labels[t + 1], p->precision,
                   (double)*al_at(&s->gpt_ws.probs, t, s->gpt.ids[t + 1]),
                   s->gpt.ids[t + 1] == AL_TOKEN_UNK ? "  (p of <unk>: not in the vocabulary)"
                                                     : "");
    if (random)
        print_text(p, "  The weights are untrained, so the guesses are arbitrary; what differs "
                      "is what each\n  row may read.");
    else
        print_text(p, "  Both were trained on the same sentences. The encoder's [MASK] row reads "
                      "the words\n  after it too, \"%s\" to \"%s\"; the decoder's row %d "
                      "cannot, so its guess is spread\n  over the words that can come there.",
                   s->bert.labels[hide + 1], s->bert.labels[s->bert.length - 1], hide - 1);
}

static void narrate_change(printout *p, const lesson12_state *s)
{
    int L = s->bert.length;
    print_step(p, "change the last word, run both again",
               "change row i = max_j |after_ij - before_ij| of each stack's final output");
    print_text(p, "  The last word \"%s\" becomes \"%s\" (the %s* and %s* "
                  "passes).", s->gpt.labels[L - 1], s->gpt_changed.labels[L - 1], CHANGED BERT,
               CHANGED GPT);
    print_text(p, "  Compared: %s with %s,\n  and %s with %s.", s->bert_ws.final.name,
               s->bert_changed_ws.final.name, s->gpt_ws.final.name, s->gpt_changed_ws.final.name);
    print_matrix(p, CHANGE_BERT, "encoder-only", &s->bert_change, s->bert.labels, NULL);
    print_matrix(p, CHANGE_GPT, "decoder-only", &s->gpt_change, s->gpt.labels, NULL);
    int bert_moved = 0, gpt_still = 0;
    for (int i = 0; i + 1 < L; i++) {
        bert_moved += *al_at(&s->bert_change, i, 0) != 0.0f;
        gpt_still += *al_at(&s->gpt_change, i, 0) == 0.0f;
    }
    print_text(p, "\n  Encoder-only: %d of the %d earlier rows moved ([CLS] and \"%s\" too): "
                  "with no mask, every\n  token reads the last word.", bert_moved, L - 1,
               s->bert.labels[1]);
    print_text(p, "  Decoder-only: %d of the %d earlier rows are exactly the same, bit for bit: "
                  "under the\n  causal mask no token can see a later one, which is why GPT can "
                  "write left to right.", gpt_still, L - 1);
}

static void narrate(printout *p, const void *lesson_state, const void *lesson_settings,
                    const char *trace_path)
{
    const lesson12_state *s = lesson_state;
    const lesson12_settings *settings = lesson_settings;
    narrate_inputs(p, s, settings);
    for (int l = 0; l < s->encoder_only.config.encoder_layers; l++)
        narrate_patterns(p, s, l);
    narrate_objectives(p, s, settings->hide, settings->random);
    narrate_change(p, s);
}

static void draw(lesson_outputs *outputs, const void *lesson_state, const void *lesson_settings)
{
    const lesson12_state *s = lesson_state;
    char columns[16], prefix[AL_NAME_SIZE], bert_heads[AL_NAME_SIZE], gpt_heads[AL_NAME_SIZE];
    al_norm_placement norm = s->encoder_only.config.norm;
    al_encoder_layer_names bert;
    al_decoder_layer_names gpt;
    al_encoder_layer_names_init(&bert, al_encoder_layer_prefix(prefix, BERT, 0), norm);
    al_decoder_layer_names_init(&gpt, al_decoder_layer_prefix(prefix, GPT, 0), false, norm);
    every_head_weights(bert_heads, bert.attn.prefix);
    every_head_weights(gpt_heads, gpt.self_attn.prefix);
    snprintf(columns, sizeof columns, "%d",
             s->encoder_only.config.heads < 4 ? s->encoder_only.config.heads : 4);
    const char *patterns_args[] = {"--select", bert_heads, "--select", gpt_heads,
                                   "--columns", columns,
                                   "--title", "layer 0: encoder-only (top) and decoder-only "
                                   "(bottom)", "--svg", NULL};
    figure_args patterns = {0};
    figure_args_add(&patterns, patterns_args);
    figure_head_titles(&patterns, "encoder-only", 1, s->encoder_only.config.heads);
    figure_head_titles(&patterns, "decoder-only", 1, s->encoder_only.config.heads);
    outputs_draw(outputs, "attnlab-heatmap", "-patterns.png", patterns.argv);
    const char *change_args[] = {"--select", CHANGE_BERT, "--select", CHANGE_GPT,
                                 "--annotate", "--columns", "2", "--axes", "token,row change",
                                 "--panel-title", "encoder-only", "--panel-title", "decoder-only",
                                 "--title", "the last word changed: how far each row moved",
                                 "--svg", NULL};
    outputs_draw(outputs, "attnlab-heatmap", "-change.png", change_args);
    const char *flow_args[] = {"--depth", "3", NULL};
    outputs_draw(outputs, "attnlab-flow", "-flow.svg", flow_args);
}

int main(int argc, char **argv)
{
    lesson12_settings settings = {.shape = {.d_model = 8, .heads = 2, .layers = 2}};
    lesson12_state state = {0};
    const lesson_program lesson = {.about = &ABOUT, .options = options, .check = check,
                                   .build = build,
                                   .compute = compute, .narrate = narrate, .draw = draw,
                                   .free = free_state};
    return lesson_run(&lesson, &settings, &state, argc, argv);
}
