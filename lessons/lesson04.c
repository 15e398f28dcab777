/* lesson04: seq2seq with attention. An RNN encoder reads the source into
 * one state per token; at every step the decoder scores each encoder state
 * against its own state (additive, dot or general), turns the scores into
 * weights and reads their weighted sum as this step's context. The model
 * trained on data/translate/pairs.tsv turns "european economic area" into
 * "zone économique européenne", and the alignment it learned shows the
 * reordering; --hand-made runs data/lesson04's made-up model, --random
 * seeded weights. A thin program: the maths is in seq2seq.h. */
#include <stdio.h>
#include <string.h>

#include "runner.h"
#include "seq2seq_model.h"

#define MAX_WORDS LESSON_S2S_HAND_MADE_MAX_WORDS  /* hand-made and random */
#define MAX_SOURCE (MAX_WORDS + 1)    /* <bos> and the words            */
#define MAX_STEPS (MAX_SOURCE + 1)    /* the words, <eos>, and one more */
#define RANDOM_D_EMBED 8
/* The trained model read phrases of up to 4 words into up to 6 (its
 * corpus) and was trained on windows of 8 tokens: it takes up to 8 words
 * and writes at most 12 before it must have said <eos>. */
#define TRAINED_MAX_WORDS 8
#define TRAINED_MAX_STEPS 12
#define TRAINED_SENTENCE "european economic area"
#define HAND_MADE_SENTENCE "European Economic Area"
#define RECORD_SIZE 512

static const lesson_about ABOUT = {
    .program = "lesson04",
    .title = "seq2seq with attention",
    .summary =
        "An RNN encoder reads the source into one state per token. At each step the\n"
        "decoder scores every encoder state against its own state (the score:\n"
        "additive, dot or general), turns the scores into weights with a softmax and\n"
        "reads their weighted sum: a context made for this step. Every step's weights\n"
        "stacked are the alignment: which source word each target word used.\n"
        "The model is data/translate/rnn.safetensors (a GRU with additive attention,\n"
        "trained by attnlab-train on data/translate/pairs.tsv, see data/README.md):\n"
        "\"european economic area\" becomes \"zone économique européenne\", each French\n"
        "word looking at the English word it translates. A word it does not know\n"
        "becomes <unk>. --hand-made runs data/lesson04's made-up model instead (Elman\n"
        "cells, general or additive score, 7 English words); --score dot, which those\n"
        "weights cannot use, and --random run on seeded random weights.",
    .example = "lesson04 --sentence \"the red car\"",
    .sentence_help = "the English source, at most 8 words, 4 with --hand-made or --random\n"
                     "(default \"european economic area\")",
    .seed_help = "seed of the random weights",
    .takes_data = true,
    .sentence = NULL,
};

typedef struct lesson04_settings {
    const char *sentence;       /* NULL: not given (the model's default) */
    const char *score;          /* NULL: not given (general)  */
    bool hand_made, random;
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
    char path[LESSON_PATH_SIZE];/* trained only: the file    */
    char record[RECORD_SIZE];   /* trained only: how it was made */
    al_seq2seq model;
    al_seq2seq_workspace ws;
    int max_steps;              /* the decoder's length limit */
    int said[TRAINED_MAX_STEPS], steps;
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
    return !name                         ? AL_SCORE_GENERAL
           : strcmp(name, "additive") == 0 ? AL_SCORE_ADDITIVE
           : strcmp(name, "dot") == 0    ? AL_SCORE_DOT
                                         : AL_SCORE_GENERAL;
}

static lesson_options options(void *lesson_settings)
{
    lesson04_settings *settings = lesson_settings;
    lesson_options o = {.own = {
        {.name = "hand-made", .kind = CLI_FLAG, .target = &settings->hand_made,
         .help = "data/lesson04's made-up model, not the trained one"},
        {.name = "score", .kind = CLI_CHOICE, .target = &settings->score, .value_name = "KIND",
         .help = "how a --hand-made or --random model scores an encoder state\n"
                 "(default general; the trained model's is additive)",
         .choices = "additive|dot|general"},
        {.name = "random", .kind = CLI_FLAG, .target = &settings->random,
         .help = "seeded random weights (--hand-made --score dot runs them too)"},
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

/* The trained model unless --hand-made or --random. */
static bool trained(const lesson04_settings *settings)
{
    return !settings->hand_made && !settings->random;
}

/* The hand-made model when asked for, unless with --score dot, whose plain
 * dot product these hand-made states cannot use: that runs random weights. */
static bool hand_made(const lesson04_settings *settings)
{
    return settings->hand_made && score_kind(settings->score) != AL_SCORE_DOT;
}

/* The trained and hand-made models have one shape and one score: the
 * shape options need a random one, --score a hand-made or random one; the
 * default sentence is the model's. */
static al_status check(void *lesson_settings, al_error *err)
{
    lesson04_settings *settings = lesson_settings;
    if (settings->hand_made && settings->random)
        return al_fail(err, AL_ERR_VALUE, "--hand-made and --random are two different models; "
                                          "give one of them");
    if (!settings->random && (settings->cell || settings->d_hidden))
        return al_fail(err, AL_ERR_VALUE, "--cell and --d-hidden shape a random model; add "
                                          "--random (the trained model is a GRU with d_h = 64, "
                                          "the hand-made one an Elman RNN with d_h = 13)");
    if (trained(settings) && settings->score)
        return al_fail(err, AL_ERR_VALUE, "--score chooses the score of the hand-made or a "
                                          "random model; add --hand-made or --random (the "
                                          "trained model keeps the additive score it was "
                                          "trained with)");
    if (!settings->sentence)
        settings->sentence = trained(settings) ? TRAINED_SENTENCE : HAND_MADE_SENTENCE;
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

/* The trained model with its own vocabulary and a source as it was
 * trained on (no <bos>); an unknown word becomes <unk>, with a note. */
static al_status build_trained(lesson04_state *s, const lesson04_settings *settings,
                               printout *p, al_error *err)
{
    if (lesson_s2s_trained_read(&s->model, &s->vocab, s->path, sizeof s->path,
                                settings->data_dir, err) != AL_OK ||
        lesson_model_record(s->record, sizeof s->record, s->path, err) != AL_OK ||
        lesson_s2s_source_unknown(&s->tokens, settings->sentence, &s->vocab, AL_TOKENIZE_PLAIN,
                                  TRAINED_MAX_WORDS, p, err) != AL_OK)
        return err->status;
    s->choice.score = s->model.config.score;
    s->max_steps = TRAINED_MAX_STEPS;
    return al_seq2seq_workspace_alloc(&s->ws, &s->model, TRAINED_MAX_WORDS, TRAINED_MAX_STEPS,
                                      err);
}

/* Vocabulary, source tokens, model and workspace. The hand-made model
 * counts <bos> as position 0 and translates only its own seven words, so
 * it refuses any other; a random one reads an unknown word as <unk>. */
static al_status build(void *lesson_state, const void *lesson_settings, printout *p,
                       al_error *err)
{
    lesson04_state *s = lesson_state;
    const lesson04_settings *settings = lesson_settings;
    s->choice = choose_model(settings);
    if (trained(settings))
        return build_trained(s, settings, p, err);
    if (lesson_s2s_vocab_read(&s->vocab, settings->data_dir, err) != AL_OK ||
        (s->choice.hand_made
             ? lesson_s2s_source(&s->tokens, settings->sentence, &s->vocab, AL_TOKENIZE_BOS,
                                 MAX_WORDS, err)
             : lesson_s2s_source_unknown(&s->tokens, settings->sentence, &s->vocab,
                                         AL_TOKENIZE_BOS, MAX_WORDS, p, err)) != AL_OK ||
        (s->choice.hand_made && lesson_s2s_names_read(&s->names, settings->data_dir, err) !=
                                    AL_OK) ||
        lesson_s2s_model(&s->model, &s->vocab, &s->choice, err) != AL_OK ||
        al_seq2seq_workspace_alloc(&s->ws, &s->model, MAX_SOURCE, MAX_STEPS, err) != AL_OK)
        return err->status;
    if (s->choice.hand_made)  /* the traces name the state's units as the printout does */
        s->model.unit_labels = (const char *const *)s->names.state.col_labels;
    s->max_steps = s->tokens.count + 1;
    return AL_OK;
}

/* Encode, then decode greedily until <eos> (at most the source's length
 * plus one steps, or TRAINED_MAX_STEPS for the trained model), everything
 * traced. */
static al_status translate(void *lesson_state, const void *lesson_settings, printout *p,
                           al_trace *trace, al_error *err)
{
    lesson04_state *s = lesson_state;
    al_sequence source = {.length = s->tokens.count, .ids = s->tokens.ids,
                          .labels = (const char *const *)s->tokens.labels};
    al_status status = al_seq2seq_encode(&s->ws, &s->model, &source, trace, err);
    if (status == AL_OK)
        status = al_seq2seq_decode(s->said, &s->steps, &s->ws, &s->model, NULL,
                                   s->max_steps, (const char *const *)s->vocab.words, trace, err);
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

/* Which weights ran and how they were made. */
static void print_weights_origin(printout *p, const lesson04_state *s,
                                 const lesson04_settings *settings)
{
    const al_seq2seq_config *c = &s->model.config;
    int S = s->tokens.count;
    if (s->path[0]) {
        print_text(p, "  The weights: %s,\n  %s\n  (data/README.md, \"Trained models\", "
                      "tells how).\n  A %s encoder-decoder: d_e = %d, d_h = %d, %s attention "
                      "(d_a = %d), V = %d words.\n  The source is read as in training: its "
                      "words, no <bos>. S = %d tokens.",
                   s->path, s->record, c->cell == AL_RNN_ELMAN ? "Elman" : "GRU", c->d_embed,
                   c->d_hidden, al_score_kind_name(c->score), c->d_attention, c->vocab_size, S);
    } else if (s->choice.hand_made) {
        print_text(p, "  The weights: made by hand, %s/lesson04 (make_weights.py; data/README.md,"
                      "\n  \"lesson04/\"): Elman cells, %s attention. S = %d tokens; d_e = %d: "
                      "one named\n  column per English word.",
                   settings->data_dir, al_score_kind_name(s->choice.score), S, c->d_embed);
    } else {
        print_text(p, "  The weights: seeded random (seed %llu), untrained: %s cells, d_e = %d, "
                      "d_h = %d, %s\n  attention.%s\n  The words this model says mean nothing, "
                      "but every step's scores, weights and\n  context are computed exactly as "
                      "with a trained model. S = %d tokens.",
                   (unsigned long long)settings->seed, al_rnn_kind_name(c->cell), c->d_embed,
                   c->d_hidden, al_score_kind_name(s->choice.score),
                   s->choice.score == AL_SCORE_DOT && !settings->random
                       ? "\n  Why not the hand-made model: its states count positions with a "
                         "thermometer, and a\n  plain dot product, which has no weights of its "
                         "own, cannot single one position out."
                       : "",
                   S);
    }
}

static void print_source(printout *p, const lesson04_state *s, const lesson04_settings *settings)
{
    const char *const *tokens = (const char *const *)s->tokens.labels;
    int S = s->tokens.count;
    print_step(p, s->path[0] ? "the source sentence" : "the source sentence, <bos> first",
               "e_j = source embedding of token j    (S x d_e)");
    print_weights_origin(p, s, settings);
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
    else if (s->path[0])
        print_text(p, "  Trained states have no named columns: what each of the %d numbers "
                      "holds is whatever\n  helped the decoder during training.",
                   s->model.config.d_hidden);

    print_step(p, "the decoder starts from the encoder's last state",
               "s_{-1} = h_{S-1}    (1 x d_h)");
    al_matrix last = al_matrix_rows(&s->ws.encoder_states, S - 1, 1);
    if (s->path[0])
        print_text(p, "  %s is the last row of %s above, '%s' (1 x %d).", AL_S2S_DEC_INIT,
                   AL_S2S_ENC_H, tokens[S - 1], s->model.config.d_hidden);
    else
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
    /* A trained model's 64-wide vectors are printed once; the trace has every step's. */
    if (t == 0 || !s->path[0]) {
        print_matrix(p, al_s2s_step_name(name, t, "context"), "c", &context, read,
                     state_names(s));
        print_matrix(p, al_s2s_step_name(name, t, "h"), "s", &state, read, state_names(s));
    }
    if (t == 0 && s->path[0])
        print_text(p, "  c_t and s_t are 1 x %d at every step; from here on only the scores "
                      "and weights are\n  printed (the trace holds every step's context and "
                      "state).", s->model.config.d_hidden);
    if (t == 0 && s->choice.score == AL_SCORE_ADDITIVE)
        print_text(p, "  The additive scores may all be negative: softmax sees only their "
                      "differences.");
    if (t == 0 && s->choice.hand_made)
        print_text(p, "  The decoder counts down: the thermometer of s_0 is one position "
                      "shorter than s_{-1}'s,\n  so the next step looks one word further "
                      "left.");
    print_text(p, "\n  Where '%s' looks (most, and next most):", said);
    print_strongest_links(p, &weights, &said, tokens);
    print_text(p, "  The decoder says '%s' (probability %.*f, %s)%s", said, p->precision,
               (double)*al_at(&ws->probs, t, s->said[t]), al_s2s_step_name(name, t, "next.token"),
               s->said[t] == AL_TOKEN_EOS ? ":\n  the end of the sentence, not a word of it."
                                          : ".");
}

/* The words said, without the <eos> that ends them, one space apart. */
static void translation_text(char *buf, size_t size, const lesson04_state *s)
{
    buf[0] = '\0';
    for (int t = 0; t < s->steps && s->said[t] != AL_TOKEN_EOS; t++) {
        append(buf, size, t ? " " : "");
        append(buf, size, s->ws.output_labels[t]);
    }
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
    if (s->path[0])
        print_text(p, "\n  Nobody told the model which English word a French word translates: "
                      "its corpus holds\n  whole phrases only. Training found that looking at "
                      "the word being translated helps,\n  so each word's row peaks on it. "
                      "Where French puts the noun first, the peaks leave the\n  diagonal: "
                      "attention lets "
                      "each French word fetch the English word it needs,\n  wherever it "
                      "stands.");
    else if (s->choice.hand_made)
        print_text(p, "\n  The strongest weights run from the top right to the bottom left: "
                      "the decoder reads\n  the source backwards. French puts the noun first "
                      "(\"zone\" for \"Area\"), and attention\n  lets each French word fetch "
                      "the English word it needs, wherever it stands.\n  Reaching the <bos>, "
                      "the decoder says <eos>.");
    else
        print_text(p, "\n  Random weights: the alignment shows the mechanics, not a "
                      "translation.");
    char sentence[256];
    translation_text(sentence, sizeof sentence, s);
    print_text(p, "\n  Shapes: S = %d source tokens, T = %d steps; each step 1 x S scores and "
                  "weights,\n  a 1 x d_h context; the alignment T x S = %d x %d.", S, T, T, S);
    bool ended = T > 0 && s->said[T - 1] == AL_TOKEN_EOS;
    print_text(p, "\n  Translation: %s%s", sentence, ended ? "" : "  (no <eos> within the steps)");
    if (ended)
        print_text(p, "  The decoder said <eos> at step %d, which ends the translation.", T - 1);
}

/* "european economic area → zone économique européenne": the words,
 * without <bos> and <eos>, for the alignment's title; then which weights,
 * unless they are the trained ones ("made by hand", "random weights") and
 * the score, unless it is the model's own. */
static void alignment_title(char *buf, size_t size, const lesson04_state *s)
{
    int first = s->path[0] ? 0 : 1;   /* after the <bos> of the other models */
    buf[0] = '\0';
    for (int j = first; j < s->tokens.count; j++) {
        append(buf, size, j > first ? " " : "");
        append(buf, size, s->tokens.labels[j]);
    }
    append(buf, size, " →");
    char sentence[256];
    translation_text(sentence, sizeof sentence, s);
    if (sentence[0]) {
        append(buf, size, " ");
        append(buf, size, sentence);
    }
    if (s->path[0])
        return;
    append(buf, size, s->choice.hand_made ? " (made by hand" : " (random weights");
    if (!s->choice.hand_made || s->choice.score != AL_SCORE_GENERAL) {
        append(buf, size, ", ");
        append(buf, size, al_score_kind_name(s->choice.score));
        append(buf, size, " score");
    }
    append(buf, size, ")");
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
    lesson04_settings settings = {0};
    lesson04_state state = {0};
    const lesson_program lesson = {.about = &ABOUT, .options = options, .check = check,
                                   .build = build, .compute = translate, .narrate = narrate,
                                   .draw = draw, .free = free_state};
    return lesson_run(&lesson, &settings, &state, argc, argv);
}
