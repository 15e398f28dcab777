/* lesson01: the seq2seq bottleneck. An RNN encoder reads a source sentence
 * one word at a time; its last state, one vector of d_h numbers, is the
 * context: the decoder starts from it and is given it at every step, and
 * sees nothing else of the source. A second sentence that differs in an
 * early word shows how little of that word is left by the end. A thin
 * program: the maths is in seq2seq.h and source_comparison.h. */
#include <stdio.h>
#include <string.h>

#include "attnlab/source_comparison.h"
#include "runner.h"
#include "seq2seq_model.h"

#define MAX_WORDS 24          /* a random model's longest sentence           */
#define MAX_SOURCE (MAX_WORDS + 1)
#define MAX_WIDTH 64          /* largest --d-hidden and --d-embed            */
#define LABEL_SIZE 64
/* al_compare_sources's names (source_comparison.h has no name builder
 * yet), spelled once here */
#define COMPARE_ENC_H "s2s.compare.enc.h"
#define COMPARE_DISTANCE "s2s.compare.distance"
#define COMPARE_KEPT "s2s.compare.kept"

#define DEFAULT_SENTENCE "the agreement on the European Economic Area was signed in August 1992"
#define DEFAULT_COMPARE "the treaty on the European Economic Area was signed in August 1992"
#define HAND_MADE_SENTENCE "European Economic Area"
#define HAND_MADE_COMPARE "Monetary Economic Area"

static const lesson_about ABOUT = {
    .program = "lesson01",
    .title = "the seq2seq bottleneck",
    .summary =
        "An RNN encoder reads the source one word at a time, each state made from\n"
        "the word and the state before. Its last state is the context: one vector of\n"
        "d_h numbers, however long the sentence. The decoder starts from it, is given\n"
        "it at every step, and sees nothing else of the source. A second sentence\n"
        "that differs in an early word (--compare) shows how much of that word is\n"
        "left in the context. By default, with seeded random weights:\n"
        "  \"" DEFAULT_SENTENCE "\"\n"
        "  \"" DEFAULT_COMPARE "\"\n"
        "or --hand-made: the model of data/lesson04 without its attention.",
    .example = "lesson01 --sentence \"the cat sat on the mat\" --compare \"a cat sat on the mat\" "
               "--cell gru",
    .sentence_help = "the source sentence, at most 24 words (default above)",
    .seed_help = "seed of the random weights",
    .takes_data = true,
};

typedef struct lesson01_settings {
    const char *sentence, *compare;
    bool hand_made;
    const char *cell;           /* NULL: not given (Elman)   */
    int d_hidden, d_embed;      /* 0: not given (8)          */
    int steps;
    uint64_t seed;
    const char *data_dir;
} lesson01_settings;

/* Everything the lesson builds, freed in one place. */
typedef struct lesson01_state {
    lesson_s2s_choice choice;
    al_vocab vocab;
    al_tokens tokens, other;
    lesson_s2s_names names;                  /* hand-made only                        */
    al_seq2seq model;
    al_seq2seq_workspace ws;
    al_source_comparison comparison;
    int said[16], steps;
    char pair_text[MAX_SOURCE][LABEL_SIZE];  /* "agreement/treaty" where they differ  */
    const char *pairs[MAX_SOURCE];
    char input_text[2 * MAX_WIDTH][16];      /* "y.0" ... "c.7" for a random model    */
    const char *input_names[2 * MAX_WIDTH];
} lesson01_state;

static void free_state(void *lesson_state)
{
    lesson01_state *s = lesson_state;
    al_vocab_free(&s->vocab);
    al_tokens_free(&s->tokens);
    al_tokens_free(&s->other);
    lesson_s2s_names_free(&s->names);
    al_seq2seq_free(&s->model);
    al_seq2seq_workspace_free(&s->ws);
    al_source_comparison_free(&s->comparison);
}

static lesson_options options(void *lesson_settings)
{
    lesson01_settings *settings = lesson_settings;
    lesson_options o = {.own = {
        {.name = "compare", .kind = CLI_STRING, .target = &settings->compare, .value_name = "TEXT",
         .help = "a sentence as long, compared state by state (default: yours, first word <unk>)"},
        {.name = "hand-made", .kind = CLI_FLAG, .target = &settings->hand_made,
         .help = "data/lesson04's hand-made model without its attention (at most 4 words)"},
        {.name = "cell", .kind = CLI_CHOICE, .target = &settings->cell, .value_name = "CELL",
         .help = "the RNN cell, default elman" LESSON_S2S_CELL_FORMS, .choices = LESSON_S2S_CELLS},
        {.name = "d-hidden", .kind = CLI_INT, .target = &settings->d_hidden, .value_name = "N",
         .help = "d_h, the width of a state and of the context (default 8)", .min = 1,
         .max = MAX_WIDTH},
        {.name = "d-embed", .kind = CLI_INT, .target = &settings->d_embed, .value_name = "N",
         .help = "d_e, the width of a word vector (default 8)", .min = 1, .max = MAX_WIDTH},
        {.name = "steps", .kind = CLI_INT, .target = &settings->steps, .value_name = "N",
         .help = "decoder steps, unless it says <eos> first (default 4)", .min = 1, .max = 16},
    }};
    o.inputs = (lesson_inputs){.sentence = &settings->sentence, .seed = &settings->seed,
                               .data_dir = &settings->data_dir};
    return o;
}

/* The hand-made model has one shape; the default sentences depend on the model. */
static al_status check(void *lesson_settings, al_error *err)
{
    lesson01_settings *settings = lesson_settings;
    if (settings->hand_made && (settings->cell || settings->d_hidden || settings->d_embed))
        return al_fail(err, AL_ERR_VALUE, "--cell, --d-hidden and --d-embed shape a random "
                                          "model; the hand-made one is fixed (Elman, d_h = 13)");
    if (!settings->sentence) {
        settings->sentence = settings->hand_made ? HAND_MADE_SENTENCE : DEFAULT_SENTENCE;
        if (!settings->compare)
            settings->compare = settings->hand_made ? HAND_MADE_COMPARE : DEFAULT_COMPARE;
    }
    return AL_OK;
}

/* ---- the inputs ----------------------------------------------------------------- */

/* The vocabulary: data/lesson04's for the hand-made model, else the words
 * of the two sentences (so no word is unknown). */
static al_status read_vocab(lesson01_state *s, const lesson01_settings *settings,
                            const char *compare, al_error *err)
{
    if (settings->hand_made)
        return lesson_s2s_vocab_read(&s->vocab, settings->data_dir, err);
    al_status status = al_vocab_init(&s->vocab, err);
    if (status == AL_OK)
        status = al_vocab_add_text(&s->vocab, settings->sentence, err);
    if (status == AL_OK && compare)
        status = al_vocab_add_text(&s->vocab, compare, err);
    return status;
}

/* The sentence with its first word (after <bos>) replaced by <unk>, as
 * text the tokenizer reads back into the same tokens. */
static void unknown_first(char *buf, size_t size, const al_tokens *tokens, int first)
{
    int used = snprintf(buf, size, "<unk>");
    for (int i = first + 1; i < tokens->count && used < (int)size; i++)
        used += snprintf(buf + used, size - (size_t)used, " %s", tokens->labels[i]);
}

/* "agreement/treaty" where the two sources differ, the token elsewhere. */
static void pair_labels(lesson01_state *s)
{
    for (int i = 0; i < s->tokens.count; i++) {
        bool same = i >= s->other.count || s->tokens.ids[i] == s->other.ids[i];
        if (same)
            snprintf(s->pair_text[i], LABEL_SIZE, "%s", s->tokens.labels[i]);
        else
            snprintf(s->pair_text[i], LABEL_SIZE, "%s/%s", s->tokens.labels[i],
                     s->other.labels[i]);
        s->pairs[i] = s->pair_text[i];
    }
}

/* "y.0" ... for the word vector's part of a decoder input, "c.0" ... for
 * the context's; the hand-made model's inputs have names of their own. */
static void input_labels(lesson01_state *s)
{
    int d_e = s->model.config.d_embed, d_h = s->model.config.d_hidden;
    for (int i = 0; i < d_e + d_h; i++) {
        snprintf(s->input_text[i], sizeof s->input_text[i], "%s.%d", i < d_e ? "y" : "c",
                 i < d_e ? i : i - d_e);
        s->input_names[i] = s->input_text[i];
    }
}

static al_status build(void *lesson_state, const void *lesson_settings, printout *p,
                       al_error *err)
{
    lesson01_state *s = lesson_state;
    const lesson01_settings *settings = lesson_settings;
    bool hand = settings->hand_made;
    s->choice = (lesson_s2s_choice){
        .hand_made = hand, .attention = false,
        .cell = lesson_s2s_cell(settings->cell),
        .d_embed = settings->d_embed ? settings->d_embed : 8,
        .d_hidden = settings->d_hidden ? settings->d_hidden : 8, .seed = settings->seed,
        .data_dir = settings->data_dir};
    int flags = hand ? AL_TOKENIZE_BOS : AL_TOKENIZE_PLAIN;
    int max_words = hand ? LESSON_S2S_HAND_MADE_MAX_WORDS : MAX_WORDS;
    if (read_vocab(s, settings, settings->compare, err) != AL_OK ||
        lesson_s2s_source(&s->tokens, settings->sentence, &s->vocab, flags, max_words, err) !=
            AL_OK)
        return err->status;
    char compare[1024];
    if (settings->compare)
        snprintf(compare, sizeof compare, "%s", settings->compare);
    else
        unknown_first(compare, sizeof compare, &s->tokens, hand ? 1 : 0);
    if (lesson_s2s_source(&s->other, compare, &s->vocab, flags, max_words, err) != AL_OK ||
        (hand && lesson_s2s_names_read(&s->names, settings->data_dir, err) != AL_OK) ||
        lesson_s2s_model(&s->model, &s->vocab, &s->choice, err) != AL_OK ||
        al_seq2seq_workspace_alloc(&s->ws, &s->model, s->tokens.count, settings->steps, err) !=
            AL_OK ||
        al_source_comparison_alloc(&s->comparison, &s->model, s->tokens.count, err) != AL_OK)
        return err->status;
    if (s->other.count != s->tokens.count)
        return al_fail(err, AL_ERR_VALUE, "--compare has %d tokens but the sentence %d; they "
                       "must have as many, to be compared word by word", s->other.count,
                       s->tokens.count);
    if (hand)  /* the traces name the state's units as the printout does */
        s->model.unit_labels = (const char *const *)s->names.state.col_labels;
    pair_labels(s);
    input_labels(s);
    return AL_OK;
}

/* Encode the sentence, encode the other one beside it, and decode from
 * the context alone, everything traced. */
static al_status compute(void *lesson_state, const void *lesson_settings, printout *p,
                         al_trace *trace, al_error *err)
{
    lesson01_state *s = lesson_state;
    int steps = ((const lesson01_settings *)lesson_settings)->steps;
    al_sequence source = {.length = s->tokens.count, .ids = s->tokens.ids,
                          .labels = (const char *const *)s->tokens.labels};
    al_sequence other = {.length = s->other.count, .ids = s->other.ids,
                         .labels = (const char *const *)s->other.labels};
    al_status status = al_seq2seq_encode(&s->ws, &s->model, &source, trace, err);
    if (status == AL_OK)
        status = al_compare_sources(&s->comparison, &s->ws, &s->model, &other, s->pairs, trace,
                                    err);
    if (status == AL_OK)
        status = al_seq2seq_decode(s->said, &s->steps, &s->ws, &s->model, NULL, steps,
                                   (const char *const *)s->vocab.words, trace, err);
    return status;
}

/* ---- the printout ------------------------------------------------------------ */

static const char *const *state_names(const lesson01_state *s)
{
    return s->choice.hand_made ? (const char *const *)s->names.state.col_labels : NULL;
}

static const char *encoder_equation(const lesson01_state *s)
{
    return al_rnn_is_gru(s->model.config.cell)
               ? "h_j = (1 − z_j) ⊙ n_j + z_j ⊙ h_{j-1}  (a GRU: gates z, r and a candidate n), "
                 "h_{-1} = 0"
               : "h_j = tanh(e_j · W_x + h_{j-1} · W_h + b),  h_{-1} = 0";
}

static void print_encoder(printout *p, const lesson01_state *s,
                          const lesson01_settings *settings)
{
    const char *const *tokens = (const char *const *)s->tokens.labels;
    int S = s->tokens.count, d_e = s->model.config.d_embed, d_h = s->model.config.d_hidden;
    print_step(p, "the source sentence as word vectors", "e_j = source embedding of token j    "
                                                        "(S x d_e)");
    if (s->choice.hand_made)
        print_text(p, "  The hand-made model of %s/lesson04, without its attention.\n"
                      "  S = %d tokens (<bos> first); d_e = %d: one named column per English "
                      "word.", settings->data_dir, S, d_e);
    else
        print_text(p, "  Seeded random weights (seed %llu, %s cells): untrained, so what the "
                      "decoder says\n  will mean nothing; what it is given is the point. "
                      "S = %d tokens, d_e = %d.", (unsigned long long)settings->seed,
                   al_rnn_kind_name(s->model.config.cell), S, d_e);
    al_matrix embed = al_matrix_rows(&s->ws.source_embed, 0, S);
    print_matrix(p, AL_S2S_ENC_EMBED, "e", &embed, tokens,
                 s->choice.hand_made ? (const char *const *)s->names.embed.col_labels : NULL);

    print_step(p, "the encoder reads one word at a time", encoder_equation(s));
    print_text(p, "  Each state is made from the word just read and the state before: "
                  "S x d_h = %d x %d.", S, d_h);
    if (lesson_s2s_gru_form(s->model.config.cell))
        print_text(p, "%s", lesson_s2s_gru_form(s->model.config.cell));
    al_matrix states = al_matrix_rows(&s->ws.encoder_states, 0, S);
    print_matrix(p, AL_S2S_ENC_H, "h", &states, tokens, state_names(s));
    if (s->choice.hand_made)
        print_text(p, "  This encoder keeps only the word it just read (one column per word) "
                      "and how far it\n  has read (pos0, pos1, ...: a thermometer). It forgets "
                      "every earlier word at once.");

    print_step(p, "the whole sentence in one vector: the context", "c = h_{S-1}    (1 x d_h)");
    al_matrix last = al_matrix_rows(&s->ws.encoder_states, S - 1, 1);
    print_matrix(p, AL_S2S_CONTEXT, "c", &last, tokens + S - 1, state_names(s));
    print_text(p, "  %d tokens went in; %d numbers come out. A sentence of 50 words would get "
                  "the same %d.\n  This vector is all the decoder will ever see of the source: "
                  "the bottleneck.", S, d_h, d_h);
}

static void print_comparison(printout *p, const lesson01_state *s)
{
    const al_source_comparison *c = &s->comparison;
    const char *const *other = (const char *const *)s->other.labels;
    int S = s->tokens.count, f = c->first_difference;
    print_step(p, "how much of an early word reaches the context",
               "d_j = ‖h_j − h'_j‖,  kept_j = d_j / d_f    (1 x S each)");
    print_text(p, "  The same encoder reads a second sentence that differs in a word, and "
                  "we measure,\n  after every token, how far apart the two states are.");
    al_matrix states = al_matrix_rows(&c->states, 0, S);
    print_matrix(p, COMPARE_ENC_H, "h'", &states, other, state_names(s));
    al_matrix distance = al_matrix_cols(&c->distance, 0, S);
    al_matrix kept = al_matrix_cols(&c->kept, 0, S);
    const char *d_row[1] = {"d"}, *kept_row[1] = {"kept"};
    print_matrix(p, COMPARE_DISTANCE, "d", &distance, d_row, s->pairs);
    print_matrix(p, COMPARE_KEPT, "kept", &kept, kept_row, s->pairs);
    if (f < 0) {
        print_text(p, "\n  The two sentences give the same states at every token: nothing to "
                      "compare.");
        return;
    }
    print_text(p, "\n  Right after '%s' the states are %.*f apart.\n  After the last word, "
                  "in the context, they are %.*f apart: kept = %.*f of the\n  difference that "
                  "word made.",
               s->pairs[f], p->precision, (double)*al_at(&c->distance, 0, f), p->precision,
               (double)*al_at(&c->distance, 0, S - 1), p->precision,
               (double)*al_at(&c->kept, 0, S - 1));
    if (s->choice.hand_made)
        print_text(p, "  This hand-made encoder forgets every word but the last, so nothing "
                      "of it is left.");
    else
        print_text(p, "  Each new word is mixed into the state through tanh and W_h, and the "
                      "older words'\n  part shrinks step after step: the decoder must tell "
                      "the two sentences apart\n  from what is left.%s",
                   al_rnn_is_gru(s->model.config.cell)
                       ? " (A trained GRU can learn to hold z near 1 and carry a word\n  "
                         "further; with random gates it forgets about as fast.)"
                       : "");
}

static void print_decoder(printout *p, const lesson01_state *s)
{
    const al_seq2seq_workspace *ws = &s->ws;
    const char *const *inputs = s->choice.hand_made
                                    ? (const char *const *)s->names.input.row_labels
                                    : s->input_names;
    const char *const *read = ws->decoder_labels;
    int T = s->steps, d_e = s->model.config.d_embed, d_h = s->model.config.d_hidden;
    print_step(p, "the decoder starts from the context and is given it at every step",
               "s_{-1} = c;  s_t = cell([embed(y_{t-1}) ; c], s_{t-1});  "
               "y_t = argmax([s_t ; c] · W_out + b)");
    char name[AL_NAME_SIZE], next_name[AL_NAME_SIZE];
    print_text(p, "  Each step reads the word said last (y_{t-1}, <bos> first) and the "
                  "context c. One row\n  per step: %s, %s, ... (T x (d_e + d_h) = %d x %d).",
               al_s2s_step_name(name, 0, "input"), al_s2s_step_name(next_name, 1, "input"), T,
               d_e + d_h);
    al_matrix steps_input = al_matrix_rows(&ws->inputs, 0, T);
    print_matrix(p, "s2s.step*.input", "[y ; c]", &steps_input, read, inputs);
    print_text(p, "  The last %d columns are the same in every row: c, %s. No step "
                  "can look back\n  at any other encoder state.", d_h, AL_S2S_CONTEXT);
    al_matrix states = al_matrix_rows(&ws->decoder_states, 0, T);
    print_matrix(p, AL_S2S_DEC_H, "s", &states, read, state_names(s));
    print_text(p, "%s", "");
    for (int t = 0; t < T; t++)
        print_text(p, "  step %d reads '%s' and says '%s' (probability %.*f, %s)", t, read[t],
                   ws->output_labels[t], p->precision, (double)*al_at(&ws->probs, t, s->said[t]),
                   al_s2s_step_name(name, t, "next.token"));
    char sentence[512] = "";
    int specials = 0;
    for (int t = 0; t < T; t++) {
        size_t used = strlen(sentence);
        snprintf(sentence + used, sizeof sentence - used, "%s%s", t ? " " : "",
                 ws->output_labels[t]);
        specials += s->said[t] < AL_SPECIAL_TOKENS;
    }
    if (specials)
        print_text(p, "\n  The decoder's %d choices: %s\n  %d of them are special tokens, "
                      "not words: with untrained weights nothing keeps the\n  argmax off <bos>, "
                      "[CLS] or <pad>. A trained decoder learns never to say them, and to\n  "
                      "end with <eos>.", T, sentence, specials);
    else
        print_text(p, "\n  The decoder said: %s", sentence);
    if (s->choice.hand_made)
        print_text(p, "  The context says 'area', so the dictionary in W_out says 'zone' at "
                      "every step,\n  and the count that would end the sentence never comes. "
                      "lesson04 gives this\n  same model attention: each step looks at every "
                      "encoder state, and it says\n  \"zone économique européenne\".");
    else
        print_text(p, "  (Random weights: the words mean nothing. lesson04 lets each step look "
                      "at every\n  encoder state instead of one fixed context.)");
    print_text(p, "\n  Shapes: S x d_e = %d x %d -> S x d_h = %d x %d -> one context 1 x d_h = "
                  "1 x %d.", s->tokens.count, d_e, s->tokens.count, d_h, d_h);
}

static void narrate(printout *p, const void *lesson_state, const void *lesson_settings,
                    const char *trace_path)
{
    print_encoder(p, lesson_state, lesson_settings);
    print_comparison(p, lesson_state);
    print_decoder(p, lesson_state);
}

static void draw(lesson_outputs *outputs, const void *lesson_state, const void *lesson_settings)
{
    const char *states_args[] = {"--select", AL_S2S_ENC_H, "--select", COMPARE_ENC_H,
                                 "--panel-title", "the sentence",
                                 "--panel-title", "the same, one word changed",
                                 "--columns", "2", "--axes", "token read,state unit", "--title",
                                 "The encoder states of the two sentences", "--svg", NULL};
    outputs_draw(outputs, "attnlab-heatmap", "-states.png", states_args);
    /* The title says the number the bars cannot show: what is left at the
     * end, often a thousandth of the difference, drawn as no bar at all. */
    const lesson01_state *s = lesson_state;
    const al_source_comparison *c = &s->comparison;
    char title[256];
    int f = c->first_difference, S = c->length;
    if (f >= 0)
        snprintf(title, sizeof title, "How far apart the two sentences' states are: %.2g "
                 "after the word that differs, %.2g at the end",
                 (double)*al_at(&c->distance, 0, f), (double)*al_at(&c->distance, 0, S - 1));
    else
        snprintf(title, sizeof title, "How far apart the states of the two sentences are");
    const char *distance_args[] = {"--select", COMPARE_DISTANCE, "--bars", "--axes",
                                   "distance,after the token", "--title", title, "--svg", NULL};
    outputs_draw(outputs, "attnlab-heatmap", "-distance.png", distance_args);
    outputs_draw(outputs, "attnlab-flow", "-flow.svg", NULL);
}

int main(int argc, char **argv)
{
    lesson01_settings settings = {.steps = 4};
    lesson01_state state = {0};
    const lesson_program lesson = {.about = &ABOUT, .options = options, .check = check,
                                   .build = build, .compute = compute, .narrate = narrate,
                                   .draw = draw, .free = free_state};
    return lesson_run(&lesson, &settings, &state, argc, argv);
}
