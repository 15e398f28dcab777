/* lesson11: choosing the next token.
 * One row of logits, from a small bigram model in data/lesson11 (the
 * scores of every word that may follow "the"), and every way the chapter
 * turns it into a word: greedy, temperature, the roulette wheel with a
 * visible draw, top-k, top-p, seeded sampling; then greedy decoding and
 * beam search of a whole sentence with the same model. A thin program:
 * the maths is in decoding.h and beam_search.h; the model is a table
 * lookup handed to the beam search as its step function. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "attnlab/beam_search.h"
#include "attnlab/bigram.h"
#include "attnlab/decoding.h"
#include "attnlab/rng.h"
#include "attnlab/table_file.h"
#include "runner.h"
#include "text_table.h"

#define MAX_DRAWS 4        /* roulette draws shown                       */
#define MAX_SAMPLES 16
#define MAX_TEMPERATURES 8

/* The names the lesson traces under, each written once; what decoding.h
 * and beam_search.h write beneath them is theirs (<name>.probs, .cumsum,
 * .token, <name>.step<t>.scores). */
#define LOGITS "logits"
#define SWEEP "sweep"
#define ROULETTE "roulette"       /* ROULETTE.<draw> */
#define TOP_K "top_k"
#define TOP_P "top_p"
#define SAMPLE "sample"           /* SAMPLE.<i>      */
#define BEAM "beam"

static const lesson_about ABOUT = {
    .program = "lesson11",
    .title = "choosing the next token",
    .summary =
        "A language model scores every word of its vocabulary (the logits); the\n"
        "decoder must choose one. Greedy takes the largest. Sampling turns the\n"
        "logits into probabilities (softmax, sharpened or flattened by a\n"
        "temperature, perhaps cut to the top k or the top p) and spins a roulette\n"
        "wheel. Beam search keeps several sentences alive and picks the most\n"
        "probable whole. The model here is a bigram table (data/lesson11).",
    .example = "lesson11 --context cat --draw 0.9 --seed 7 --beam-width 2",
    .seed_help = "seed of the draws",
    .takes_data = true,
};

typedef struct lesson11_settings {
    const char *context;
    cli_numbers draws, temperatures;
    float temperature, top_p;
    int top_k, samples, beam_width, max_length;
    uint64_t seed;
    const char *data_dir;
} lesson11_settings;


/* Everything the lesson builds, freed in one place. */
typedef struct lesson11_state {
    al_bigram_model model;
    char path[512];
    int context_row;
    al_matrix logits;          /* 1 x V: the context's row              */
    al_matrix sweep;           /* temperatures x V                      */
    al_sampler roulette[MAX_DRAWS], top_k, top_p, sampler;
    int greedy_token, roulette_token[MAX_DRAWS], top_k_token, top_p_token;
    int sampled[MAX_SAMPLES];
} lesson11_state;

static void free_state(void *lesson_state)
{
    lesson11_state *s = lesson_state;
    al_bigram_free(&s->model);
    al_matrix_free(&s->logits);
    al_matrix_free(&s->sweep);
    for (int d = 0; d < MAX_DRAWS; d++)
        al_sampler_free(&s->roulette[d]);
    al_sampler_free(&s->top_k);
    al_sampler_free(&s->top_p);
    al_sampler_free(&s->sampler);
}

static lesson_options options(void *lesson_settings)
{
    lesson11_settings *settings = lesson_settings;
    lesson_options o = {.own = {
        {.name = "context", .kind = CLI_STRING, .target = &settings->context, .value_name = "WORD",
         .help = "the word before the one to choose: a row of the table (default the)"},
        {.name = "draw", .kind = CLI_NUMBERS, .target = &settings->draws, .value_name = "LIST",
         .help = "the roulette draws u to show, each in [0, 1) (default 0.4,0.6)", .min = 1,
         .max = MAX_DRAWS},
        {.name = "temperatures", .kind = CLI_NUMBERS, .target = &settings->temperatures,
         .value_name = "LIST", .help = "the temperatures of the sweep (default 0.1,0.5,1,2,10)",
         .min = 1, .max = MAX_TEMPERATURES},
        {.name = "temperature", .kind = CLI_NUMBER, .target = &settings->temperature,
         .value_name = "T", .help = "temperature for top-k, top-p and the samples (default 1)"},
        {.name = "top-k", .kind = CLI_INT, .target = &settings->top_k, .value_name = "K",
         .help = "tokens top-k keeps (default 3)", .min = 1, .max = AL_BIGRAM_MAX_VOCAB},
        {.name = "top-p", .kind = CLI_NUMBER, .target = &settings->top_p, .value_name = "P",
         .help = "probability mass top-p keeps, in (0, 1] (default 0.9)"},
        {.name = "samples", .kind = CLI_INT, .target = &settings->samples, .value_name = "N",
         .help = "tokens to sample (default 5)", .min = 1, .max = MAX_SAMPLES},
        {.name = "beam-width", .kind = CLI_INT, .target = &settings->beam_width, .value_name = "W",
         .help = "sentences beam search keeps (default 3)", .min = 1, .max = AL_BIGRAM_MAX_VOCAB},
        {.name = "max-length", .kind = CLI_INT, .target = &settings->max_length, .value_name = "N",
         .help = "most words a decoded sentence gets, <eos> included (default 6)", .min = 1,
         .max = 32},
    }};
    o.inputs = (lesson_inputs){.seed = &settings->seed, .data_dir = &settings->data_dir};
    return o;
}

/* Draws on the wheel, temperatures and top-p's mass, in their ranges. */
static al_status check(void *lesson_settings, al_error *err)
{
    const lesson11_settings *settings = lesson_settings;
    const cli_numbers *draws = &settings->draws, *temperatures = &settings->temperatures;
    for (int d = 0; d < draws->count; d++)
        if (!(draws->values[d] >= 0.0f && draws->values[d] < 1.0f))
            return al_fail(err, AL_ERR_VALUE, "--draw: every draw must be in [0, 1), not %g",
                           (double)draws->values[d]);
    for (int t = 0; t < temperatures->count; t++)
        if (!(temperatures->values[t] > 0.0f))
            return al_fail(err, AL_ERR_VALUE, "--temperatures: every T must be greater than 0, "
                           "not %g (T -> 0 is the greedy choice)",
                           (double)temperatures->values[t]);
    if (!(settings->temperature > 0.0f))
        return al_fail(err, AL_ERR_VALUE, "--temperature must be greater than 0, not %g (T -> 0 "
                       "is the greedy choice)", (double)settings->temperature);
    if (!(settings->top_p > 0.0f && settings->top_p <= 1.0f))
        return al_fail(err, AL_ERR_VALUE, "--top-p must be in (0, 1], not %g",
                       (double)settings->top_p);
    return AL_OK;
}

/* ---- the model -------------------------------------------------------------- */

/* Read data/lesson11/bigrams.txt (bigram.h checks it can decode a
 * sentence). */
static al_status load_model(lesson11_state *s, const lesson11_settings *settings, al_error *err)
{
    snprintf(s->path, sizeof s->path, "%s/lesson11/bigrams.txt", settings->data_dir);
    return al_bigram_read(&s->model, s->path, err);
}

/* ---- choosing one token ------------------------------------------------------- */

static al_status allocate(lesson11_state *s, const lesson11_settings *settings, al_error *err)
{
    int V = s->model.table.values.cols;
    al_status status = al_matrix_alloc(&s->logits, 1, V, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&s->sweep, settings->temperatures.count, V, err);
    for (int d = 0; d < settings->draws.count && status == AL_OK; d++)
        status = al_sampler_alloc(&s->roulette[d], V, err);
    if (status == AL_OK)
        status = al_sampler_alloc(&s->top_k, V, err);
    if (status == AL_OK)
        status = al_sampler_alloc(&s->top_p, V, err);
    if (status == AL_OK)
        status = al_sampler_alloc(&s->sampler, V, err);
    if (status != AL_OK)
        return status;
    if (settings->top_k > V)
        return al_fail(err, AL_ERR_VALUE, "--top-k %d is more than the %d words of the "
                       "vocabulary", settings->top_k, V);
    s->context_row = al_table_find_row(&s->model.table, settings->context);
    if (s->context_row < 0) {
        char rows[AL_ERROR_MESSAGE_SIZE] = "";
        int used = 0;
        for (int i = 0; i < s->model.table.values.rows && used < (int)sizeof rows - 64; i++)
            used += snprintf(rows + used, sizeof rows - (size_t)used, "%s %s", i ? "," : "",
                             s->model.table.row_labels[i]);
        return al_fail(err, AL_ERR_VALUE, "--context '%s' is not a row of %s (rows:%s)",
                       settings->context, s->path, rows);
    }
    al_matrix row = al_matrix_rows(&s->model.table.values, s->context_row, 1);
    al_copy(&s->logits, &row, NULL);
    return AL_OK;
}

/* The model, then room for every choice. */
static al_status build(void *lesson_state, const void *lesson_settings, printout *p,
                       al_error *err)
{
    al_status status = load_model(lesson_state, lesson_settings, err);
    if (status == AL_OK)
        status = allocate(lesson_state, lesson_settings, err);
    return status;
}

static char *sweep_name(char buf[AL_NAME_SIZE], float temperature)
{
    char number[32];
    return al_name(buf, SWEEP ".T=%s", decimal_text(number, sizeof number, temperature));
}

/* Greedy, the sweep, the roulette draws, top-k, top-p and the samples,
 * each traced under its own name. */
static al_status choose(lesson11_state *s, const lesson11_settings *settings, al_trace *trace,
                        al_error *err)
{
    const char *const *words = s->model.words;
    const char *context[1] = {settings->context};
    const al_table *table = &s->model.table;
    al_tensor_info model = {.name = "bigrams", .role = AL_ROLE_PARAM,
                            .row_labels = (const char *const *)table->row_labels,
                            .col_labels = words,
                            .note = "the model: row = the word so far, column = the next "
                                    "word; the beam searches read it"};
    al_tensor_info info = {.name = LOGITS, .role = AL_ROLE_INPUT, .row_labels = context,
                           .col_labels = words,
                           .note = "the row of bigrams for the context word"};
    al_status status = al_trace_matrix(trace, &model, &table->values, err);
    if (status == AL_OK)
        status = al_trace_matrix(trace, &info, &s->logits, err);
    if (status == AL_OK)
        status = al_greedy(&s->greedy_token, (al_named){&s->logits, LOGITS, NULL}, words,
                           (al_trace_at){trace, "greedy"}, err);
    for (int t = 0; t < settings->temperatures.count && status == AL_OK; t++) {
        char name[AL_NAME_SIZE];
        float temperature = settings->temperatures.values[t];
        al_matrix row = al_matrix_rows(&s->sweep, t, 1);
        al_named logits = {&s->logits, LOGITS, NULL};
        al_trace_at at = {trace, sweep_name(name, temperature)};
        status = al_temperature_probs(&row, logits, temperature, words, at, err);
    }
    /* The chapter's wheel: plain softmax (T = 1), one spin per draw. */
    for (int d = 0; d < settings->draws.count && status == AL_OK; d++) {
        char name[AL_NAME_SIZE];
        al_name(name, ROULETTE ".%d", d);
        al_sampler *w = &s->roulette[d];
        status = al_temperature_probs(&w->probs, (al_named){&s->logits, LOGITS, NULL}, 1.0f,
                                      words, (al_trace_at){trace, name}, err);
        if (status == AL_OK)
            status = al_roulette(&s->roulette_token[d], &w->cumsum, &w->probs,
                                 settings->draws.values[d], words, (al_trace_at){trace, name}, err);
    }
    /* Seeded draws: top-k, top-p, then the samples, in this order. */
    al_rng rng;
    al_rng_seed(&rng, settings->seed, 0);
    float T = settings->temperature;
    if (status == AL_OK)
        status = al_top_k_probs(&s->top_k.probs, s->top_k.ranking,
                                (al_named){&s->logits, LOGITS, NULL}, settings->top_k, T, words,
                                (al_trace_at){trace, TOP_K}, err);
    if (status == AL_OK)
        status = al_roulette(&s->top_k_token, &s->top_k.cumsum, &s->top_k.probs,
                             al_rng_uniform(&rng), words, (al_trace_at){trace, TOP_K}, err);
    if (status == AL_OK)
        status = al_top_p_probs(&s->top_p.probs, s->top_p.ranking,
                                (al_named){&s->logits, LOGITS, NULL}, settings->top_p, T, words,
                                (al_trace_at){trace, TOP_P}, err);
    if (status == AL_OK)
        status = al_roulette(&s->top_p_token, &s->top_p.cumsum, &s->top_p.probs,
                             al_rng_uniform(&rng), words, (al_trace_at){trace, TOP_P}, err);
    al_sampling how = {.method = AL_SAMPLE_TEMPERATURE, .temperature = T};
    for (int i = 0; i < settings->samples && status == AL_OK; i++) {
        char name[AL_NAME_SIZE];
        status = al_sample(&s->sampled[i], &s->sampler, (al_named){&s->logits, LOGITS, NULL},
                           &how, &rng, words, (al_trace_at){trace, al_name(name, SAMPLE ".%d", i)},
                           err);
    }
    return status;
}

/* ---- the printout: one token ------------------------------------------------------ */

static void print_logits_and_greedy(printout *p, const lesson11_state *s,
                                    const lesson11_settings *settings)
{
    const char *const *words = s->model.words;
    const char *context[1] = {settings->context};
    int V = s->logits.cols;
    print_step(p, "the model's scores for the next word", "logits = one score per word of the "
                                                         "vocabulary    (1 x V)");
    print_text(p, "  The word so far is \"%s\"; V = %d words. The scores are row '%s' of the "
                  "model,\n  a bigram table (%s).", settings->context, V, settings->context,
               s->path);
    print_matrix(p, LOGITS, "logits", &s->logits, context, words);

    print_step(p, "greedy: take the largest logit", "token = argmax_i logits_i");
    print_text(p, "  greedy.token = %d: \"%s\", logit %.*f. Always the same word for the same "
                  "logits.", s->greedy_token, words[s->greedy_token], p->precision,
               (double)*al_at(&s->logits, 0, s->greedy_token));
}

static void print_sweep(printout *p, const lesson11_state *s, const lesson11_settings *settings)
{
    const char *const *words = s->model.words;
    print_step(p, "temperature: probabilities, sharper or flatter",
               "probs_i = exp(logits_i / T) / sum_j exp(logits_j / T)");
    for (int t = 0; t < settings->temperatures.count; t++) {
        char name[AL_NAME_SIZE], probs[AL_NAME_SIZE], symbol[32];
        al_name(probs, "%s.probs", sweep_name(name, settings->temperatures.values[t]));
        snprintf(symbol, sizeof symbol, "T = %g", (double)settings->temperatures.values[t]);
        al_matrix row = al_matrix_rows(&s->sweep, t, 1);
        print_matrix(p, probs, symbol, &row, (const char *const[]){"probs"}, words);
    }
    print_text(p, "\n  Small T piles the probability onto the greedy word (T -> 0 is greedy); "
                  "large T\n  spreads it towards 1/V each (uniform). T = 1 is the model's own "
                  "distribution.");
}

/* Whether the table's rounded sums (precision decimals) would not show why u
 * picked the token: u is closer to a deciding sum than half the table's last
 * digit, so the printed 0.9000 could be either side of 0.9. */
static bool hidden_by_rounding(double below, double u, double above, int precision)
{
    double half_digit = 0.5 * pow(10.0, -precision);
    return fabs(u - below) < half_digit || fabs(above - u) < half_digit;
}

/* One draw: the comparison al_roulette made, every number written as the
 * shortest decimal that reads back as exactly that float32 (text_shortest),
 * so the comparison shown is the comparison made:
 *   cumsum_{i-1} <= u < cumsum_i  ->  token i. */
static bool print_draw(printout *p, const lesson11_state *s, int d, float u)
{
    const char *const *words = s->model.words;
    const al_matrix *cumsum = &s->roulette[d].cumsum;
    int token = s->roulette_token[d];
    char draw[TEXT_NUMBER_SIZE], below[TEXT_NUMBER_SIZE], above[TEXT_NUMBER_SIZE];
    float upper = *al_at(cumsum, 0, token), lower = token ? *al_at(cumsum, 0, token - 1) : 0.0f;
    text_shortest(draw, u);
    text_shortest(above, upper);
    text_shortest(below, lower);
    if (!(u < upper))  /* al_roulette's fallback: rounding left the last sum at or below u */
        print_text(p, "  u = %s:  cumsum_%d = %s <= %s: rounding left the last sum at or below u;"
                      "\n    the last word with any probability takes it  ->  " ROULETTE
                      ".%d.token = %d, \"%s\"", draw, cumsum->cols - 1,
                   text_shortest(above, *al_at(cumsum, 0, cumsum->cols - 1)), draw, d, token,
                   words[token]);
    else if (token == 0)
        print_text(p, "  u = %s:  %s < cumsum_0 = %s  ->  " ROULETTE ".%d.token = 0, \"%s\"", draw,
                   draw, above, d, words[0]);
    else
        print_text(p, "  u = %s:  cumsum_%d = %s <= %s < cumsum_%d = %s  ->  " ROULETTE
                      ".%d.token = %d, \"%s\"", draw, token - 1, below, draw, token, above, d,
                   token, words[token]);
    /* the first word's stretch starts at 0 itself, which no rounding hides */
    return hidden_by_rounding(token ? lower : -1.0, u, upper, p->precision);
}

/* Whether every word can be one item of a comma-separated --labels. */
static bool words_without_commas(const char *const *words, int count)
{
    for (int v = 0; v < count; v++)
        if (strchr(words[v], ','))
            return false;
    return true;
}

/* The calculator's command for the same wheel: the same logits (shortest
 * decimals, so they parse to the same floats), the same softmax, the same
 * al_roulette, so the same sums and the same pick. Written as the redraw
 * commands are, the program's path and the words a shell needs quoted. */
static void print_calculator_check(printout *p, const lesson11_state *s, float u)
{
    const char *const *words = s->model.words;
    char calc[PROGRAM_LOCATION_SIZE], labels[1024] = "", logits[1024] = "";
    char number[TEXT_NUMBER_SIZE];
    program_locations where;
    program_locations_find(&where);
    program_tool_path(calc, sizeof calc, &where, "attnlab-calc");
    for (int v = 0, used_labels = 0, used_logits = 0; v < s->logits.cols; v++) {
        used_labels += snprintf(labels + used_labels, sizeof labels - (size_t)used_labels,
                                "%s%s", v ? "," : "", words[v]);
        used_logits += snprintf(logits + used_logits, sizeof logits - (size_t)used_logits,
                                "%s%s", v ? "," : "",
                                text_shortest(number, *al_at(&s->logits, 0, v)));
        if (used_labels >= (int)sizeof labels || used_logits >= (int)sizeof logits)
            return;  /* a vocabulary too long for one command line: no check offered */
    }
    const char *draw_words[] = {"sample", "--draw", text_shortest(number, u)};
    char draw[256] = "", label_line[1100] = "", logit_line[1100] = "";
    for (size_t k = 0; k < sizeof draw_words / sizeof draw_words[0]; k++)
        cli_shell_append(draw, sizeof draw, draw_words[k]);
    cli_shell_append(label_line, sizeof label_line, "--labels");
    cli_shell_append(label_line, sizeof label_line, labels);
    cli_shell_append(logit_line, sizeof logit_line, "--logits");
    cli_shell_append(logit_line, sizeof logit_line, logits);
    print_text(p, "  The calculator spins the same wheel (the same logits, the same float32 "
                  "sums):");
    if (words_without_commas(words, s->logits.cols))
        print_text(p, "    %s%s \\\n     %s \\\n     %s", calc, draw, label_line, logit_line);
    else  /* --labels is comma-separated: a word holding a comma cannot be one */
        print_text(p, "    %s%s \\\n     %s", calc, draw, logit_line);
}

static void print_roulette(printout *p, const lesson11_state *s,
                           const lesson11_settings *settings)
{
    const char *const *words = s->model.words;
    const al_sampler *w = &s->roulette[0];
    print_step(p, "the roulette wheel: a draw picks a word",
               "cumsum_i = probs_0 + ... + probs_i;  token = the first i with u < cumsum_i");
    print_text(p, "  Lay the probabilities (T = 1) end to end on [0, 1): each word owns a "
                  "stretch as\n  long as its probability. A uniform draw u lands in one "
                  "stretch.");
    print_matrix(p, ROULETTE ".0.probs", "probs", &w->probs, (const char *const[]){"probs"},
                 words);
    print_matrix(p, ROULETTE ".0.cumsum", "cumsum", &w->cumsum, (const char *const[]){"cumsum"},
                 words);
    bool hidden = false;
    for (int d = 0; d < settings->draws.count; d++)
        hidden = print_draw(p, s, d, settings->draws.values[d]) || hidden;
    if (hidden)
        print_text(p, "  A draw lies closer to a sum than the table's %d decimals can show. The "
                      "sums\n  compared are float32 numbers, written above to the last digit "
                      "that tells them\n  apart. data/lesson11's logits are the logarithms of "
                      "round probabilities, rounded\n  to 4 decimals, so the probabilities "
                      "come out near round numbers, not on them,\n  and those last digits "
                      "decide the word.", p->precision);
    print_calculator_check(p, s, settings->draws.values[0]);
}

/* "cat, dog, mat": the words row gives any probability, in id order. */
static const char *kept_words(char *buf, size_t size, const al_matrix *probs,
                              const char *const *words)
{
    int used = 0;
    buf[0] = '\0';
    for (int i = 0; i < probs->cols && used < (int)size - 64; i++)
        if (*al_at(probs, 0, i) > 0.0f)
            used += snprintf(buf + used, size - (size_t)used, "%s%s", used ? ", " : "",
                             words[i]);
    return buf;
}

static void print_top_k_and_p(printout *p, const lesson11_state *s,
                              const lesson11_settings *settings)
{
    const char *const *words = s->model.words;
    char equation[160], kept[512];
    snprintf(equation, sizeof equation, "keep the k = %d largest logits, softmax over them "
             "(T = %g); the rest get 0", settings->top_k, (double)settings->temperature);
    print_step(p, "top-k: only the k most likely words", equation);
    print_matrix(p, TOP_K ".probs", "probs", &s->top_k.probs, (const char *const[]){"probs"},
                 words);
    print_text(p, "  Kept: %s (" TOP_K ".kept in the trace: the logits, null where dropped).",
               kept_words(kept, sizeof kept, &s->top_k.probs, words));
    print_text(p, "  A seeded draw on this wheel: " TOP_K ".token = %d, \"%s\".", s->top_k_token,
               words[s->top_k_token]);

    snprintf(equation, sizeof equation, "keep the fewest most likely words whose probabilities "
             "add up to p = %g", (double)settings->top_p);
    print_step(p, "top-p (nucleus): as many words as it takes", equation);
    print_matrix(p, TOP_P ".probs", "probs", &s->top_p.probs, (const char *const[]){"probs"},
                 words);
    print_text(p, "  Kept: %s, renormalised to sum to 1 (" TOP_P ".all_probs in the trace: before "
                  "the cut).", kept_words(kept, sizeof kept, &s->top_p.probs, words));
    print_text(p, "  A confident model keeps few words, an unsure one many: k adapts to the "
                  "distribution.");
    print_text(p, "  A seeded draw on this wheel: " TOP_P ".token = %d, \"%s\".", s->top_p_token,
               words[s->top_p_token]);
}

static void print_samples(printout *p, const lesson11_state *s,
                          const lesson11_settings *settings)
{
    const char *const *words = s->model.words;
    char equation[96], line[1024];
    snprintf(equation, sizeof equation, "u = uniform draw from the seed; token = roulette(probs "
             "at T = %g, u)", (double)settings->temperature);
    print_step(p, "sampling: a new draw each time", equation);
    int used = snprintf(line, sizeof line, "  seed %llu:", (unsigned long long)settings->seed);
    for (int i = 0; i < settings->samples; i++)
        used += snprintf(line + used, sizeof line - (size_t)used, " %s", words[s->sampled[i]]);
    print_text(p, "%s", line);
    print_text(p, "  (sample.0.token ... sample.%d.token; each draw is sample.<i>.draw.) The "
                  "same seed\n  gives the same words; another seed, other words. Greedy would "
                  "say \"%s\" every time.", settings->samples - 1, words[s->greedy_token]);
}

/* ---- whole sentences ---------------------------------------------------------------- */

/* "<bos> a dog ate": tokens[0 .. length) as words. */
static const char *sentence_text(char *buf, size_t size, const int *tokens, int length,
                                 const al_bigram_model *m)
{
    int used = 0;
    buf[0] = '\0';
    for (int i = 0; i < length && used < (int)size - 64; i++)
        used += snprintf(buf + used, size - (size_t)used, "%s%s", i ? " " : "",
                         m->words[tokens[i]]);
    return buf;
}

/* One search of the given width and length from <bos>, traced under name
 * (or not, when trace is NULL). The best sentence goes to tokens, length
 * and score; the surviving beams stay in *beams, which the caller frees
 * with al_beam_free whatever happened. */
static al_status search(al_beam_search *beams, int width, int max_length, lesson11_state *s,
                        al_trace *trace, const char *name, int *tokens, int *length,
                        double *score, al_error *err)
{
    al_beam_options options = {.width = width, .max_length = max_length,
                               .bos_id = s->model.bos_id, .eos_id = s->model.eos_id,
                               .model = AL_BIGRAM_BEAM_MODEL, .model_table = "bigrams"};
    al_status status = al_beam_alloc(beams, &options, s->model.vocab_size, err);
    if (status == AL_OK)
        status = al_beam_run(tokens, length, score, beams, al_bigram_next_logits, &s->model,
                             trace, name, s->model.words, err);
    return status;
}

/* The beams alive after a search, best first. */
static void print_beams(printout *p, const al_beam_search *beams, const al_bigram_model *m,
                        int step)
{
    char text[AL_BEAM_LABEL_SIZE * 2];
    print_text(p, "  after step %d (" BEAM ".step%d.scores):", step, step);
    for (int b = 0; b < beams->count; b++) {
        const int *row = beams->tokens + (size_t)b * ((size_t)beams->options.max_length + 1);
        print_text(p, "    %-40s log p = %8.*f%s",
                   sentence_text(text, sizeof text, row, beams->lengths[b], m), p->precision,
                   beams->scores[b], beams->finished[b] ? "   (finished)" : "");
    }
}

static bool all_finished(const al_beam_search *beams)
{
    for (int b = 0; b < beams->count; b++)
        if (!beams->finished[b])
            return false;
    return true;
}

/* Greedy decoding (width 1) and beam search, each traced once; the beams
 * of every step are printed from untraced searches of 1, 2, ... steps
 * (a search is deterministic, so the first steps of a longer one are the
 * same). */
static al_status decode(lesson11_state *s, const lesson11_settings *settings, printout *p,
                        al_trace *trace, al_error *err)
{
    const al_bigram_model *m = &s->model;
    int tokens[64], length = 0;
    double score = 0.0;
    char text[AL_BEAM_LABEL_SIZE * 2];
    al_beam_search beams;

    print_step(p, "greedy decoding: the best word at every step",
               "y_t = argmax p(y | y_t-1), until <eos>");
    al_status status = search(&beams, 1, settings->max_length, s, trace, "greedy_search", tokens,
                              &length, &score, err);
    if (status == AL_OK) {
        print_text(p, "  <bos> %s", sentence_text(text, sizeof text, tokens, length, m));
        print_text(p, "  log p = %.*f (greedy_search.step%d.scores)%s", p->precision, score,
                   length - 1, beams.finished[0] ? "" : ", not finished within --max-length");
    }
    al_beam_free(&beams);

    char equation[160];
    snprintf(equation, sizeof equation, "keep the W = %d most probable sentences; score = sum "
             "of log p of their words", settings->beam_width);
    if (status == AL_OK)
        print_step(p, "beam search: several sentences at once", equation);
    for (int steps = 1; steps <= settings->max_length && status == AL_OK; steps++) {
        status = search(&beams, settings->beam_width, steps, s, NULL, NULL, tokens, &length,
                        &score, err);
        bool done = status == AL_OK && all_finished(&beams);
        if (status == AL_OK)
            print_beams(p, &beams, m, steps - 1);
        al_beam_free(&beams);
        if (done)
            break;
    }
    if (status == AL_OK)
        status = search(&beams, settings->beam_width, settings->max_length, s, trace, BEAM,
                        tokens, &length, &score, err);
    if (status == AL_OK) {
        print_text(p, "\n  Beam search's sentence: <bos> %s", sentence_text(text, sizeof text,
                                                                            tokens, length, m));
        print_text(p, "  log p = %.*f%s (the first row of the last " BEAM ".step*.scores)",
                   p->precision, score,
                   beams.finished[0] ? "" : ", not finished within --max-length");
        print_text(p, "  log p closer to 0 means more probable. Greedy commits to the best "
                      "word at each\n  step; beam search keeps runners-up alive, and a "
                      "sentence that starts less\n  likely can end more likely. (No length "
                      "normalisation: every word costs log p.)");
    }
    al_beam_free(&beams);
    return status;
}

/* This lesson's story interleaves computing and telling: one token
 * chosen in every way (traced), told; then whole sentences decoded, told
 * step by step as the beams grow. So it is all one compute step, which
 * narrates as it goes, and there is no narrate step. */
static al_status choose_and_decode(void *lesson_state, const void *lesson_settings, printout *p,
                                   al_trace *trace, al_error *err)
{
    lesson11_state *s = lesson_state;
    const lesson11_settings *settings = lesson_settings;
    al_status status = choose(s, settings, trace, err);
    if (status != AL_OK)
        return status;
    print_logits_and_greedy(p, s, settings);
    print_sweep(p, s, settings);
    print_roulette(p, s, settings);
    print_top_k_and_p(p, s, settings);
    print_samples(p, s, settings);
    return decode(s, settings, p, trace, err);
}

static void draw(lesson_outputs *outputs, const void *lesson_state, const void *lesson_settings)
{
    const lesson11_state *s = lesson_state;
    const lesson11_settings *settings = lesson_settings;
    char title[160], columns[16];
    snprintf(title, sizeof title, "The next word after \"%s\" at each temperature T",
             settings->context);
    snprintf(columns, sizeof columns, "%d", s->sweep.rows < 3 ? s->sweep.rows : 3);
    const char *sweep_args[] = {"--select", SWEEP ".*.probs", "--bars", "--columns", columns,
                                "--axes", "probability,next word", "--title", title, "--svg",
                                NULL};
    figure_args sweep = {0};
    figure_args_add(&sweep, sweep_args);
    figure_temperature_titles(&sweep, settings->temperatures.values,
                              settings->temperatures.count);
    outputs_draw(outputs, "attnlab-heatmap", "-temperature.png", sweep.argv);
    /* The draws u marked on the wheel: each picks the first word whose
     * running sum passes it. */
    const char *roulette_args[] = {"--select", ROULETTE ".0.probs", "--select",
                                   ROULETTE ".0.cumsum", "--bars", "--axes",
                                   "probability,next word", "--panel-title", "p(word)",
                                   "--panel-title", "running sum: the wheel", "--title",
                                   "The roulette wheel: u picks the first word with u < cumsum",
                                   "--svg", NULL};
    figure_args roulette = {0};
    figure_args_add(&roulette, roulette_args);
    for (int d = 0; d < settings->draws.count; d++) {
        figure_arg(&roulette, "--mark-value");
        figure_argf(&roulette, "%g:u = %g", (double)settings->draws.values[d],
                    (double)settings->draws.values[d]);
    }
    outputs_draw(outputs, "attnlab-heatmap", "-roulette.png", roulette.argv);
    const char *top_args[] = {"--select", TOP_K ".probs", "--select", TOP_P ".probs", "--bars",
                              "--axes", "probability,next word", "--title",
                              "What top-k and top-p keep", "--svg", NULL};
    figure_args top = {0};
    figure_args_add(&top, top_args);
    figure_arg(&top, "--panel-title");
    figure_argf(&top, "top-k, k = %d", settings->top_k);
    figure_arg(&top, "--panel-title");
    figure_argf(&top, "top-p, p = %g", (double)settings->top_p);
    outputs_draw(outputs, "attnlab-heatmap", "-top.png", top.argv);
    /* The beam as a tree of the sentences kept, pruned ones grey. */
    const char *beam_args[] = {"--beam", BEAM, NULL};
    outputs_draw(outputs, "attnlab-flow", "-beam.svg", beam_args);
    /* One node per part of the lesson: the full graph has a node per draw. */
    const char *flow_args[] = {"--depth", "1", NULL};
    outputs_draw(outputs, "attnlab-flow", "-flow.svg", flow_args);
}

int main(int argc, char **argv)
{
    lesson11_settings settings = {
        .context = "the", .draws = {2, {0.4f, 0.6f}},
        .temperatures = {5, {0.1f, 0.5f, 1.0f, 2.0f, 10.0f}}, .temperature = 1.0f,
        .top_p = 0.9f, .top_k = 3, .samples = 5, .beam_width = 3,
        .max_length = 6};
    lesson11_state state = {0};
    const lesson_program lesson = {.about = &ABOUT, .options = options, .check = check,
                                   .build = build, .compute = choose_and_decode, .draw = draw,
                                   .free = free_state};
    return lesson_run(&lesson, &settings, &state, argc, argv);
}
