/* lesson04: seq2seq with attention. An RNN encoder reads the source into
 * one state per token; at every step the decoder scores each encoder state
 * against its own state (additive, dot or general), turns the scores into
 * weights and reads their weighted sum as this step's context. The
 * hand-made model of data/lesson04 turns "European Economic Area" into
 * "zone économique européenne", and the alignment shows the reordering.
 * A thin program: the maths is in seq2seq.h. */
#include <stdio.h>
#include <string.h>

#include "runner.h"
#include "seq2seq_model.h"

#define MAX_WORDS LESSON_S2S_HAND_MADE_MAX_WORDS
#define MAX_SOURCE (MAX_WORDS + 1)    /* <bos> and the words            */
#define MAX_STEPS (MAX_SOURCE + 1)    /* the words, <eos>, and one more */
#define RANDOM_D_EMBED 8

static const lesson_about ABOUT = {
    .program = "lesson04",
    .title = "seq2seq with attention",
    .summary =
        "An RNN encoder reads the source into one state per token. At each step the\n"
        "decoder scores every encoder state against its own state (the score:\n"
        "additive, dot or general), turns the scores into weights with a softmax and\n"
        "reads their weighted sum: a context made for this step. Every step's weights\n"
        "stacked are the alignment: which source word each target word used. The\n"
        "hand-made model of data/lesson04 reorders \"European Economic Area\" into\n"
        "\"zone économique européenne\". It fits the general and additive scores;\n"
        "--score dot (and --random) runs on seeded random weights instead.",
    .example = "lesson04 --sentence \"European Central Bank\" --score additive",
    .sentence_help = "the English source, at most 4 words (default \"European Economic Area\")",
    .seed_help = "seed of the random weights",
    .takes_data = true,
    .sentence = "European Economic Area",
};

typedef struct lesson04_settings {
    const char *sentence;
    const char *score;
    bool random;
    const char *cell;           /* NULL: not given (Elman)   */
    int d_hidden;               /* 0: not given (8)          */
    uint64_t seed;
    const char *data_dir;
} lesson04_settings;

/* Everything the lesson builds, freed in one place. */
typedef struct lesson04_state {
    lesson_s2s_choice choice;
    al_vocab vocab;
    al_tokens tokens;
    lesson_s2s_names names;     /* hand-made only            */
    al_seq2seq model;
    al_seq2seq_workspace ws;
    int said[MAX_STEPS], steps;
} lesson04_state;

static void free_state(void *lesson_state)
{
    lesson04_state *s = lesson_state;
    al_vocab_free(&s->vocab);
    al_tokens_free(&s->tokens);
    lesson_s2s_names_free(&s->names);
    al_seq2seq_free(&s->model);
    al_seq2seq_workspace_free(&s->ws);
}

static al_score_kind score_kind(const char *name)
{
    return strcmp(name, "additive") == 0 ? AL_SCORE_ADDITIVE
           : strcmp(name, "dot") == 0    ? AL_SCORE_DOT
                                         : AL_SCORE_GENERAL;
}

static lesson_options options(void *lesson_settings)
{
    lesson04_settings *settings = lesson_settings;
    lesson_options o = {.own = {
        {.name = "score", .kind = CLI_CHOICE, .target = &settings->score, .value_name = "KIND",
         .help = "how the decoder scores an encoder state (default general)",
         .choices = "additive|dot|general"},
        {.name = "random", .kind = CLI_FLAG, .target = &settings->random,
         .help = "seeded random weights, not data/lesson04 (always with --score dot)"},
        {.name = "cell", .kind = CLI_CHOICE, .target = &settings->cell, .value_name = "CELL",
         .help = "the RNN cell of a random model, default elman" LESSON_S2S_CELL_FORMS,
         .choices = LESSON_S2S_CELLS},
        {.name = "d-hidden", .kind = CLI_INT, .target = &settings->d_hidden, .value_name = "N",
         .help = "d_h, the width of a random model's states (default 8)", .min = 1, .max = 256},
    }};
    o.inputs = (lesson_inputs){.sentence = &settings->sentence, .seed = &settings->seed,
                               .data_dir = &settings->data_dir};
    return o;
}

/* The model the settings ask for: hand-made unless --random or --score
 * dot, whose plain dot product these hand-made states cannot use. */
static bool hand_made(const lesson04_settings *settings)
{
    return !settings->random && score_kind(settings->score) != AL_SCORE_DOT;
}

/* The hand-made model has one shape: the shape options need a random one. */
static al_status check(void *lesson_settings, al_error *err)
{
    const lesson04_settings *settings = lesson_settings;
    if (hand_made(settings) && (settings->cell || settings->d_hidden))
        return al_fail(err, AL_ERR_VALUE, "--cell and --d-hidden shape a random model; add "
                                          "--random (the hand-made model is an Elman RNN with "
                                          "d_h = 13)");
    return AL_OK;
}

static lesson_s2s_choice choose_model(const lesson04_settings *settings)
{
    return (lesson_s2s_choice){
        .hand_made = hand_made(settings), .attention = true,
        .score = score_kind(settings->score),
        .cell = lesson_s2s_cell(settings->cell),
        .d_embed = RANDOM_D_EMBED, .d_hidden = settings->d_hidden ? settings->d_hidden : 8,
        .seed = settings->seed, .data_dir = settings->data_dir};
}

/* Vocabulary, source tokens (<bos> first), model and workspace. */
static al_status build(void *lesson_state, const void *lesson_settings, printout *p,
                       al_error *err)
{
    lesson04_state *s = lesson_state;
    const lesson04_settings *settings = lesson_settings;
    s->choice = choose_model(settings);
    if (lesson_s2s_vocab_read(&s->vocab, settings->data_dir, err) != AL_OK ||
        lesson_s2s_source(&s->tokens, settings->sentence, &s->vocab, AL_TOKENIZE_BOS,
                          MAX_WORDS, err) != AL_OK ||
        (s->choice.hand_made && lesson_s2s_names_read(&s->names, settings->data_dir, err) !=
                                    AL_OK) ||
        lesson_s2s_model(&s->model, &s->vocab, &s->choice, err) != AL_OK ||
        al_seq2seq_workspace_alloc(&s->ws, &s->model, MAX_SOURCE, MAX_STEPS, err) != AL_OK)
        return err->status;
    return AL_OK;
}

/* Encode, then decode greedily until <eos> (at most the source's length
 * plus one steps), everything traced. */
static al_status translate(void *lesson_state, const void *lesson_settings, printout *p,
                           al_trace *trace, al_error *err)
{
    lesson04_state *s = lesson_state;
    al_sequence source = {.length = s->tokens.count, .ids = s->tokens.ids,
                          .labels = (const char *const *)s->tokens.labels};
    al_status status = al_seq2seq_encode(&s->ws, &s->model, &source, trace, err);
    if (status == AL_OK)
        status = al_seq2seq_decode(s->said, &s->steps, &s->ws, &s->model, NULL,
                                   s->tokens.count + 1, (const char *const *)s->vocab.words,
                                   trace, err);
    return status;
}

/* ---- the printout ------------------------------------------------------------ */

/* Append text to the string in buf (size bytes), cutting it short if it
 * does not fit. */
static void append(char *buf, size_t size, const char *text)
{
    size_t used = strlen(buf);
    if (used + 1 < size)
        snprintf(buf + used, size - used, "%s", text);
}

static const char *const *state_names(const lesson04_state *s)
{
    return s->choice.hand_made ? (const char *const *)s->names.state.col_labels : NULL;
}

static const char *score_equation(al_score_kind score)
{
    switch (score) {
    case AL_SCORE_ADDITIVE:
        return "score_j = v_aᵀ · tanh(s_{t-1} · W_q + h_j · W_k)    (Bahdanau, additive)";
    case AL_SCORE_DOT:
        return "score_j = s_{t-1} · h_j    (Luong, dot)";
    default:
        return "score_j = s_{t-1} · W_a · h_jᵀ    (Luong, general)";
    }
}

static void print_source(printout *p, const lesson04_state *s, const lesson04_settings *settings)
{
    const char *const *tokens = (const char *const *)s->tokens.labels;
    int S = s->tokens.count;
    print_step(p, "the source sentence, <bos> first", "e_j = source embedding of token j    "
                                                      "(S x d_e)");
    if (s->choice.hand_made)
        print_text(p, "  The hand-made model of %s/lesson04 (Elman cells, %s attention).\n"
                      "  S = %d tokens; d_e = %d: one named column per English word.",
                   settings->data_dir, settings->score, S, s->model.config.d_embed);
    else
        print_text(p, "  Seeded random weights (seed %llu): %s cells, d_e = %d, d_h = %d, %s "
                      "attention.%s\n  The words this model says mean nothing, but every "
                      "step's scores, weights and\n  context are computed exactly as with the "
                      "hand-made model. S = %d tokens.",
                   (unsigned long long)settings->seed, al_rnn_kind_name(s->model.config.cell),
                   s->model.config.d_embed, s->model.config.d_hidden, settings->score,
                   s->choice.score == AL_SCORE_DOT && !settings->random
                       ? "\n  Why not the hand-made model: its states count positions with a "
                         "thermometer, and a\n  plain dot product, which has no weights of its "
                         "own, cannot single one position out."
                       : "",
                   S);
    al_matrix embed = al_matrix_rows(&s->ws.source_embed, 0, S);
    print_matrix(p, AL_S2S_ENC_EMBED, "e", &embed, tokens,
                 s->choice.hand_made ? (const char *const *)s->names.embed.col_labels : NULL);
}

static void print_encoder(printout *p, const lesson04_state *s)
{
    const char *const *tokens = (const char *const *)s->tokens.labels;
    int S = s->tokens.count;
    print_step(p, "the encoder reads the source, one token at a time",
               al_rnn_is_gru(s->model.config.cell)
                   ? "h_j = GRU(e_j, h_{j-1}),  h_{-1} = 0    (S x d_h: one state per token)"
                   : "h_j = tanh(e_j · W_x + h_{j-1} · W_h + b),  h_{-1} = 0    (S x d_h: one "
                     "state per token)");
    if (lesson_s2s_gru_form(s->model.config.cell))
        print_text(p, "%s", lesson_s2s_gru_form(s->model.config.cell));
    al_matrix states = al_matrix_rows(&s->ws.encoder_states, 0, S);
    print_matrix(p, AL_S2S_ENC_H, "h", &states, tokens, state_names(s));
    if (s->choice.hand_made)
        print_text(p, "  Each state says which word it just read (one column per word) and, "
                      "in pos0, pos1, ...,\n  how far the encoder has read: a thermometer.");

    print_step(p, "the decoder starts from the encoder's last state",
               "s_{-1} = h_{S-1}    (1 x d_h)");
    al_matrix last = al_matrix_rows(&s->ws.encoder_states, S - 1, 1);
    print_matrix(p, AL_S2S_DEC_INIT, "s_{-1}", &last, tokens + S - 1, state_names(s));
    print_text(p, "  Without attention this one vector would be all the decoder ever sees of "
                  "the source\n  (lesson01). Here it is only the start: every step looks at "
                  "all %d encoder states.", S);
}

static void print_decoder_step(printout *p, const lesson04_state *s, int t)
{
    const al_seq2seq_workspace *ws = &s->ws;
    const char *const *tokens = (const char *const *)s->tokens.labels;
    const char *const *read = ws->decoder_labels + t;
    const char *said = ws->output_labels[t];
    int S = s->tokens.count;
    char title[160], name[AL_NAME_SIZE];
    snprintf(title, sizeof title, "decoder step %d reads '%s': score every encoder state", t,
             read[0]);
    print_step(p, title, score_equation(s->choice.score));
    if (t == 0)
        print_text(p, "  then  a = softmax(scores),  c_t = Σ_j a_j h_j,\n"
                      "        s_t = cell([embed(y_{t-1}) ; c_t], s_{t-1}),  "
                      "word = argmax([s_t ; c_t] · W_out + b_out)\n"
                      "  The query s_{t-1} is the decoder's state before the step; the keys "
                      "and values are\n  the encoder states %s. Scores and weights: "
                      "1 x S = 1 x %d; the context: 1 x d_h.", AL_S2S_ENC_H, S);
    else
        print_text(p, "  The query is %s, the state the last step left.",
                   al_s2s_step_name(name, t - 1, "h"));
    al_matrix scores_row = al_matrix_rows(&ws->scores, t, 1);
    al_matrix weights_row = al_matrix_rows(&ws->alignment, t, 1);
    al_matrix scores = al_matrix_cols(&scores_row, 0, S);
    al_matrix weights = al_matrix_cols(&weights_row, 0, S);
    al_matrix context = al_matrix_rows(&ws->contexts, t, 1);
    al_matrix state = al_matrix_rows(&ws->decoder_states, t, 1);
    print_matrix(p, al_s2s_step_name(name, t, "scores"), "scores", &scores, read, tokens);
    print_matrix(p, al_s2s_step_name(name, t, "weights"), "a", &weights, read, tokens);
    print_matrix(p, al_s2s_step_name(name, t, "context"), "c", &context, read, state_names(s));
    print_matrix(p, al_s2s_step_name(name, t, "h"), "s", &state, read, state_names(s));
    if (t == 0 && s->choice.score == AL_SCORE_ADDITIVE)
        print_text(p, "  The additive scores may all be negative: softmax sees only their "
                      "differences.");
    if (t == 0 && s->choice.hand_made)
        print_text(p, "  The decoder counts down: the thermometer of s_0 is one position "
                      "shorter than s_{-1}'s,\n  so the next step looks one word further "
                      "left.");
    print_text(p, "\n  Where '%s' looks (most, and next most):", said);
    print_strongest_links(p, &weights, &said, tokens);
    print_text(p, "  The decoder says '%s' (probability %.*f, %s).", said, p->precision,
               (double)*al_at(&ws->probs, t, s->said[t]), al_s2s_step_name(name, t, "next.token"));
}

static void print_alignment(printout *p, const lesson04_state *s)
{
    const al_seq2seq_workspace *ws = &s->ws;
    const char *const *tokens = (const char *const *)s->tokens.labels;
    int S = s->tokens.count, T = s->steps;
    print_step(p, "the alignment: every step's weights, one row per word said",
               "alignment[t][j] = a_tj    (T x S)");
    al_matrix rows = al_matrix_rows(&ws->alignment, 0, T);
    al_matrix alignment = al_matrix_cols(&rows, 0, S);
    print_matrix(p, AL_S2S_ALIGNMENT, "A", &alignment, ws->output_labels, tokens);
    print_text(p, "\n  Each word said, and the source word it used most:");
    print_strongest_links(p, &alignment, ws->output_labels, tokens);
    if (s->choice.hand_made)
        print_text(p, "\n  The strongest weights run from the top right to the bottom left: "
                      "the decoder reads\n  the source backwards. French puts the noun first "
                      "(\"zone\" for \"Area\"), and attention\n  lets each French word fetch "
                      "the English word it needs, wherever it stands.\n  Reaching the <bos>, "
                      "the decoder says <eos>.");
    else
        print_text(p, "\n  Random weights: the alignment shows the mechanics, not a "
                      "translation.");
    char sentence[256] = "";
    for (int t = 0; t < T && s->said[t] != AL_TOKEN_EOS; t++) {
        append(sentence, sizeof sentence, t ? " " : "");
        append(sentence, sizeof sentence, ws->output_labels[t]);
    }
    print_text(p, "\n  Shapes: S = %d source tokens, T = %d steps; each step 1 x S scores and "
                  "weights,\n  a 1 x d_h context; the alignment T x S = %d x %d.", S, T, T, S);
    print_text(p, "\n  Translation: %s%s", sentence,
               T > 0 && s->said[T - 1] == AL_TOKEN_EOS ? "" : "  (no <eos> within the steps)");
}

/* "European Economic Area → zone économique européenne": the words, without
 * <bos> and <eos>, for the alignment's title; then the score and the
 * weights when they are not the hand-made general ones. */
static void alignment_title(char *buf, size_t size, const lesson04_state *s)
{
    buf[0] = '\0';
    for (int j = 1; j < s->tokens.count; j++) {
        append(buf, size, j > 1 ? " " : "");
        append(buf, size, s->tokens.labels[j]);
    }
    append(buf, size, " →");
    for (int t = 0; t < s->steps && s->said[t] != AL_TOKEN_EOS; t++) {
        append(buf, size, " ");
        append(buf, size, s->ws.output_labels[t]);
    }
    if (s->choice.score != AL_SCORE_GENERAL || !s->choice.hand_made) {
        append(buf, size, s->choice.hand_made ? " (" : " (random weights, ");
        append(buf, size, al_score_kind_name(s->choice.score));
        append(buf, size, " score)");
    }
}

static void narrate(printout *p, const void *lesson_state, const void *lesson_settings,
                    const char *trace_path)
{
    const lesson04_state *s = lesson_state;
    print_source(p, s, lesson_settings);
    print_encoder(p, s);
    for (int t = 0; t < s->steps; t++)
        print_decoder_step(p, s, t);
    print_alignment(p, s);
}

static void draw(lesson_outputs *outputs, const void *lesson_state, const void *lesson_settings)
{
    char title[512];
    alignment_title(title, sizeof title, lesson_state);
    const char *alignment_args[] = {"--select", AL_S2S_ALIGNMENT, "--annotate", "--title", title,
                                    "--svg", NULL};
    outputs_draw(outputs, "attnlab-heatmap", "-alignment.png", alignment_args);
    outputs_draw(outputs, "attnlab-flow", "-flow.svg", NULL);
}

int main(int argc, char **argv)
{
    lesson04_settings settings = {.score = "general"};
    lesson04_state state = {0};
    const lesson_program lesson = {.about = &ABOUT, .options = options, .check = check,
                                   .build = build, .compute = translate, .narrate = narrate,
                                   .draw = draw, .free = free_state};
    return lesson_run(&lesson, &settings, &state, argc, argv);
}
