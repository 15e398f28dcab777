/* lesson03: softmax, temperature and scaling.
 * softmax(2.0, 1.0, 0.1) one step at a time (max, shifted scores,
 * exponentials, sum, weights); the same scores at a sweep of temperatures;
 * and why attention divides its scores by √d_k, measured: the variance of
 * q · k for random vectors grows like d, and unscaled scores make the
 * softmax all-or-nothing. A thin program: the maths is in the library
 * (softmax_explained.h, decoding.h, dot_variance.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "attnlab/decoding.h"
#include "attnlab/dot_variance.h"
#include "attnlab/rng.h"
#include "attnlab/softmax_explained.h"
#include "runner.h"

/* The sweep draws one bar chart per temperature; more would not fit. */
#define MAX_TEMPERATURES 8
#define MAX_DIMS 12

/* The prefixes the lesson traces under, each written once: the softmax's
 * steps (softmax_explained.h names them SOFTMAX ".shifted" ...), the
 * temperature sweep and the scaling measurements (dot_variance.h). */
#define SOFTMAX "softmax"
#define SCORES SOFTMAX ".scores"    /* the input row, traced by the lesson */
#define SWEEP "sweep"
#define SCALING "scaling"

static const lesson_about ABOUT = {
    .program = "lesson03",
    .title = "softmax, temperature and scaling",
    .summary =
        "The softmax turns any row of scores into weights that are positive and sum\n"
        "to 1: subtract the largest score, take exponentials, divide by their sum.\n"
        "A temperature T divides the scores first: small T sharpens the weights\n"
        "towards the largest score, large T flattens them. And it explains why\n"
        "attention divides q · k by √d_k: measured on random vectors, the spread of\n"
        "q · k grows with d until the softmax gives everything to one key.",
    .example = "lesson03 --scores 3,1,0.2,-1 --temperatures 0.25,1,4",
    .seed_help = "seed of the random vectors",
};

typedef struct lesson03_settings {
    cli_numbers scores, temperatures, dims;
    int samples, keys, draws;
    uint64_t seed;
} lesson03_settings;

/* Everything the lesson builds, freed in one place. */
typedef struct lesson03_state {
    al_matrix scores;              /* 1 x n                       */
    al_softmax_explained steps;    /* softmax(scores), every step */
    al_matrix sweep;               /* temperatures x n            */
    al_matrix variance, peak;      /* 2 x dims each               */
    al_matrix widths;              /* 1 x dims: each d, the x axis */
    al_matrix predicted;           /* 2 x dims: d and 1            */
    int dims[MAX_DIMS];
    char score_text[CLI_MAX_NUMBERS][32], width_text[MAX_DIMS][16];
    const char *score_labels[CLI_MAX_NUMBERS], *width_labels[MAX_DIMS];
} lesson03_state;

/* One-row tables print without a row label. */
static const char *const NO_LABEL[1] = {""};
static const char *const SCALING_ROWS[2] = {AL_DOT_UNSCALED_LABEL, AL_DOT_SCALED_LABEL};
static const char *const PREDICTED_ROWS[2] = {"Var = d", "Var = 1"};

static void free_state(void *lesson_state)
{
    lesson03_state *s = lesson_state;
    al_matrix_free(&s->scores);
    al_softmax_explained_free(&s->steps);
    al_matrix_free(&s->sweep);
    al_matrix_free(&s->widths);
    al_matrix_free(&s->predicted);
    al_matrix_free(&s->variance);
    al_matrix_free(&s->peak);
}

static lesson_options options(void *lesson_settings)
{
    lesson03_settings *settings = lesson_settings;
    lesson_options o = {.own = {
        {.name = "scores", .kind = CLI_NUMBERS, .target = &settings->scores, .value_name = "LIST",
         .help = "the scores to softmax, comma-separated (default 2.0,1.0,0.1)", .min = 1,
         .max = CLI_MAX_NUMBERS},
        {.name = "temperatures", .kind = CLI_NUMBERS, .target = &settings->temperatures,
         .value_name = "LIST", .help = "the temperatures of the sweep (default 0.1,0.5,1,2,10)",
         .min = 1, .max = MAX_TEMPERATURES},
        {.name = "dims", .kind = CLI_NUMBERS, .target = &settings->dims, .value_name = "LIST",
         .help = "the widths d to measure (default 1,4,16,64,256,1024)", .min = 1, .max = MAX_DIMS},
        {.name = "samples", .kind = CLI_INT, .target = &settings->samples, .value_name = "N",
         .help = "random pairs q, k per width for the variance (default 10000)", .min = 2,
         .max = 1000000},
        {.name = "keys", .kind = CLI_INT, .target = &settings->keys, .value_name = "N",
         .help = "keys per softmax row when measuring its largest weight (default 8)", .min = 2,
         .max = 1024},
        {.name = "draws", .kind = CLI_INT, .target = &settings->draws, .value_name = "N",
         .help = "random rows per width for the largest weight (default 500)", .min = 1,
         .max = 100000},
    }};
    o.inputs = (lesson_inputs){.seed = &settings->seed};
    return o;
}

static al_status check(void *lesson_settings, al_error *err)
{
    const lesson03_settings *settings = lesson_settings;
    for (int t = 0; t < settings->temperatures.count; t++)
        if (!(settings->temperatures.values[t] > 0.0f))
            return al_fail(err, AL_ERR_VALUE, "--temperatures: every T must be greater than 0, "
                           "not %g (T -> 0 is the greedy choice)",
                           (double)settings->temperatures.values[t]);
    for (int i = 0; i < settings->dims.count; i++) {
        float d = settings->dims.values[i];
        if (!(d >= 1.0f && d <= (float)AL_DOT_VARIANCE_MAX_D) || d != (float)(int)d)
            return al_fail(err, AL_ERR_VALUE, "--dims: every d must be a whole number from 1 to "
                           "%d, not %g", AL_DOT_VARIANCE_MAX_D, (double)d);
    }
    return AL_OK;
}

static al_status allocate(void *lesson_state, const void *lesson_settings, printout *p,
                          al_error *err)
{
    lesson03_state *s = lesson_state;
    const lesson03_settings *settings = lesson_settings;
    int n = settings->scores.count, widths = settings->dims.count;
    if (al_matrix_alloc(&s->scores, 1, n, err) != AL_OK ||
        al_softmax_explained_alloc(&s->steps, n, err) != AL_OK ||
        al_matrix_alloc(&s->sweep, settings->temperatures.count, n, err) != AL_OK ||
        al_matrix_alloc(&s->variance, 2, widths, err) != AL_OK ||
        al_matrix_alloc(&s->peak, 2, widths, err) != AL_OK ||
        al_matrix_alloc(&s->widths, 1, widths, err) != AL_OK ||
        al_matrix_alloc(&s->predicted, 2, widths, err) != AL_OK)
        return err->status;
    for (int j = 0; j < n; j++) {
        *al_at(&s->scores, 0, j) = settings->scores.values[j];
        snprintf(s->score_text[j], sizeof s->score_text[j], "%g",
                 (double)settings->scores.values[j]);
        s->score_labels[j] = s->score_text[j];
    }
    for (int i = 0; i < widths; i++) {
        s->dims[i] = (int)settings->dims.values[i];
        snprintf(s->width_text[i], sizeof s->width_text[i], AL_DOT_WIDTH_LABEL, s->dims[i]);
        s->width_labels[i] = s->width_text[i];
        /* What the argument predicts: Var(q · k) = d, Var(q · k / √d) = 1. */
        *al_at(&s->widths, 0, i) = (float)s->dims[i];
        *al_at(&s->predicted, 0, i) = (float)s->dims[i];
        *al_at(&s->predicted, 1, i) = 1.0f;
    }
    return AL_OK;
}

/* The widths (the figures' x axis) and the variances the argument
 * predicts, traced beside the measured ones so the figure can draw both. */
static al_status trace_predictions(const lesson03_state *s, al_trace *trace, al_error *err)
{
    al_tensor_info widths = {.name = SCALING ".d", .role = AL_ROLE_INPUT,
                             .col_labels = s->width_labels,
                             .note = "the widths d of q and k"};
    al_tensor_info predicted = {.name = SCALING ".predicted", .role = AL_ROLE_INPUT,
                                .row_labels = PREDICTED_ROWS, .col_labels = s->width_labels,
                                .note = "what the argument predicts: Var(q·k) = d, "
                                        "Var(q·k/√d) = 1"};
    al_status status = al_trace_matrix(trace, &widths, &s->widths, err);
    return status == AL_OK ? al_trace_matrix(trace, &predicted, &s->predicted, err) : status;
}

/* "sweep.T=0.5": the name one temperature's probabilities are traced under. */
static char *sweep_name(char buf[AL_NAME_SIZE], float temperature)
{
    char number[32];
    return al_name(buf, SWEEP ".T=%s", decimal_text(number, sizeof number, temperature));
}

static al_status compute(void *lesson_state, const void *lesson_settings, printout *p,
                         al_trace *trace, al_error *err)
{
    lesson03_state *s = lesson_state;
    const lesson03_settings *settings = lesson_settings;
    const char *const *labels = s->score_labels;
    al_tensor_info scores_info = {.name = SCORES, .role = AL_ROLE_INPUT,
                                  .col_labels = labels};
    al_status status = al_trace_matrix(trace, &scores_info, &s->scores, err);
    if (status == AL_OK)
        status = al_softmax_explain(&s->steps, &s->scores, SCORES, 1.0f, labels,
                                    (al_trace_at){trace, SOFTMAX}, err);
    for (int t = 0; t < settings->temperatures.count && status == AL_OK; t++) {
        char name[AL_NAME_SIZE];
        float temperature = settings->temperatures.values[t];
        al_matrix row = al_matrix_rows(&s->sweep, t, 1);
        al_named scores = {&s->scores, SCORES, NULL};
        al_trace_at at = {trace, sweep_name(name, temperature)};
        status = al_temperature_probs(&row, scores, temperature, labels, at, err);
    }
    /* Two streams of the same seed: the variance and the softmax draws do
     * not depend on each other's numbers of samples. */
    al_rng variance_rng, peak_rng;
    al_rng_seed(&variance_rng, settings->seed, 0);
    al_rng_seed(&peak_rng, settings->seed, 1);
    if (status == AL_OK)
        status = al_dot_variance(&s->variance, s->dims, settings->dims.count, settings->samples,
                                 &variance_rng, (al_trace_at){trace, SCALING}, err);
    if (status == AL_OK)
        status = al_softmax_peak(&s->peak, s->dims, settings->dims.count, settings->keys,
                                 settings->draws, &peak_rng, (al_trace_at){trace, SCALING},
                                 err);
    /* After the measurements, so a figure of both lists them first. */
    if (status == AL_OK)
        status = trace_predictions(s, trace, err);
    return status;
}

/* ---- the printout --------------------------------------------------------- */

/* "(0.659, 0.242, 0.099)": a row to three decimals, for a sentence. */
static const char *row_text(char *buf, size_t size, const al_matrix *row, int decimals)
{
    int used = snprintf(buf, size, "(");
    for (int j = 0; j < row->cols && used < (int)size - 32; j++)
        used += snprintf(buf + used, size - (size_t)used, "%s%.*f", j ? ", " : "", decimals,
                         (double)*al_at(row, 0, j));
    snprintf(buf + used, size - (size_t)used, ")");
    return buf;
}

static void print_softmax(printout *p, const lesson03_state *s)
{
    const char *const *labels = s->score_labels;
    const al_softmax_explained *st = &s->steps;
    char text[512], scores[sizeof text];
    int n = s->scores.cols;
    snprintf(scores, sizeof scores, "%s", row_text(text, sizeof text, &s->scores, 1));

    print_step(p, "the scores", "s = a row of any real numbers");
    print_text(p, "  %d scores; the softmax will turn them into %d weights.", n, n);
    print_matrix(p, SCORES, "s", &s->scores, NO_LABEL, labels);

    print_step(p, "subtract the largest score", "shifted_j = s_j - max_j s_j");
    print_text(p, "  max = %.*f   (" SOFTMAX ".max)", p->precision, (double)st->max);
    print_matrix(p, SOFTMAX ".shifted", "s - max", &st->shifted, NO_LABEL, labels);
    print_text(p, "  Subtracting the same number from every score changes no weight (it "
                  "cancels\n  between numerator and denominator), but now every exponent is "
                  "<= 0, so exp\n  cannot overflow, however large the scores.");

    print_step(p, "exponentials", "exp_j = exp(shifted_j)");
    print_matrix(p, SOFTMAX ".exp", "exp", &st->exps, NO_LABEL, labels);
    print_text(p, "  Every exponential is positive, and the largest score's is exp(0) = 1.");

    print_step(p, "their sum", "sum = sum_j exp_j");
    print_text(p, "  sum = %.*f   (" SOFTMAX ".sum; at least 1, never 0)", p->precision,
               (double)st->sum);

    print_step(p, "divide: the weights", "weight_j = exp_j / sum");
    print_matrix(p, SOFTMAX ".weights", "weights", &st->weights, NO_LABEL, labels);
    print_text(p, "\n  softmax%s = %s", scores, row_text(text, sizeof text, &st->weights, 3));
    print_text(p, "  Positive, summing to 1, in the order of the scores; the largest score "
                  "takes\n  more than its share.");
}

static void print_sweep(printout *p, const lesson03_state *s, const lesson03_settings *settings)
{
    print_step(p, "temperature: divide the scores by T first",
               "weight_j = exp(s_j / T) / sum_k exp(s_k / T)");
    for (int t = 0; t < settings->temperatures.count; t++) {
        char name[AL_NAME_SIZE], symbol[48], probs[AL_NAME_SIZE];
        snprintf(symbol, sizeof symbol, "T = %g", (double)settings->temperatures.values[t]);
        sweep_name(name, settings->temperatures.values[t]);
        al_name(probs, "%s.probs", name);
        al_matrix row = al_matrix_rows(&s->sweep, t, 1);
        print_matrix(p, probs, symbol, &row, NO_LABEL, s->score_labels);
    }
    print_text(p, "\n  T < 1 stretches the differences between scores: as T -> 0 the largest "
                  "score\n  takes all the weight (a one-hot vector: the greedy choice). T > 1 "
                  "shrinks them:\n  as T grows the weights approach 1/%d each (uniform). T = 1 "
                  "is the plain softmax.", s->scores.cols);
}

static void print_scaling(printout *p, const lesson03_state *s, const lesson03_settings *settings)
{
    print_step(p, "why divide by √d_k: q · k spreads out as d grows",
               "Var(q · k) = Var(sum_c q_c k_c) = d,  Var(q · k / √d) = 1");
    print_text(p, "  q and k have d random entries of mean 0 and variance 1 (seed %llu). Each\n"
                  "  product q_c k_c has variance 1, and q · k adds d of them. Measured over "
                  "%d\n  pairs per width:", (unsigned long long)settings->seed, settings->samples);
    print_matrix(p, SCALING ".variance", "Var", &s->variance, SCALING_ROWS, s->width_labels);
    print_text(p, "  The first row grows like d; divided by √d (second row) it stays near 1.");

    print_step(p, "what the spread does to the softmax",
               "largest weight of softmax(q · Kᵀ) and of softmax(q · Kᵀ / √d)");
    print_text(p, "  One query against %d random keys, %d draws per width: the mean of the "
                  "largest\n  weight. 1/%d would be an even split; 1 means one key takes "
                  "everything.", settings->keys, settings->draws, settings->keys);
    print_matrix(p, SCALING ".peak", "max weight", &s->peak, SCALING_ROWS, s->width_labels);
    print_text(p, "  Unscaled (first row), wide vectors give scores so far apart that the "
                  "softmax\n  is nearly one-hot: the other keys get weights, and gradients, "
                  "near 0, and\n  training stalls. Scaled by 1/√d_k (second row), the weights "
                  "look the same\n  at every width. This is the ÷√d_k of scaled dot-product "
                  "attention.");
}

static void draw(lesson_outputs *outputs, const void *lesson_state, const void *lesson_settings)
{
    const lesson03_state *s = lesson_state;
    char title[512], scores[256];
    row_text(scores, sizeof scores, &s->scores, 1);
    snprintf(title, sizeof title, "softmax%s, step by step", scores);
    const char *steps_args[] = {"--select", SCORES, "--select", SOFTMAX ".shifted",
                                "--select", SOFTMAX ".exp", "--select", SOFTMAX ".weights",
                                "--panel-title", "the scores s", "--panel-title", "s − max s",
                                "--panel-title", "exp(s − max s)",
                                "--panel-title", "weights: exp / sum",
                                "--bars", "--axes", "value,score", "--title", title, "--svg",
                                NULL};
    outputs_draw(outputs, "attnlab-heatmap", "-softmax.png", steps_args);
    snprintf(title, sizeof title, "softmax%s at each temperature T", scores);
    char columns[16];
    snprintf(columns, sizeof columns, "%d", s->sweep.rows);
    const lesson03_settings *settings = lesson_settings;
    figure_args sweep = {0};
    const char *const sweep_args[] = {"--select", SWEEP ".*.probs", "--bars", "--columns",
                                      columns, "--axes", "probability,score", "--title", title,
                                      "--svg", NULL};
    figure_args_add(&sweep, sweep_args);
    figure_temperature_titles(&sweep, settings->temperatures.values,
                              settings->temperatures.count);
    outputs_draw(outputs, "attnlab-heatmap", "-temperature.png", sweep.argv);
    /* Both measurements against d on a log axis: the variance on log–log
     * axes beside the lines it should follow (Var = d, Var = 1). */
    const char *variance_args[] = {
        "--lines", "--select", SCALING ".variance", "--select", SCALING ".predicted",
        "--x", SCALING ".d", "--log-x", "--log-y", "--axes", "d (entries of q and k),variance",
        "--legend", "q·k measured,q·k/√d measured,Var = d,Var = 1",
        "--title", "Var(q·k) grows like d; divided by √d it stays at 1", "--svg", NULL};
    outputs_draw(outputs, "attnlab-heatmap", "-variance.png", variance_args);
    char peak_title[160];
    snprintf(peak_title, sizeof peak_title, "the largest of %d softmax weights, scaled or not",
             settings->keys);
    const char *peak_args[] = {
        "--lines", "--select", SCALING ".peak", "--x", SCALING ".d", "--log-x", "--range", "0,1",
        "--axes", "d (entries of q and k),largest weight",
        "--legend", "softmax(q·Kᵀ),softmax(q·Kᵀ/√d)", "--title", peak_title, "--svg", NULL};
    outputs_draw(outputs, "attnlab-heatmap", "-peak.png", peak_args);
    outputs_draw(outputs, "attnlab-flow", "-flow.svg", NULL);
}

static void narrate(printout *p, const void *lesson_state, const void *lesson_settings,
                    const char *trace_path)
{
    print_softmax(p, lesson_state);
    print_sweep(p, lesson_state, lesson_settings);
    print_scaling(p, lesson_state, lesson_settings);
}

int main(int argc, char **argv)
{
    lesson03_settings settings = {
        .scores = {3, {2.0f, 1.0f, 0.1f}}, .temperatures = {5, {0.1f, 0.5f, 1.0f, 2.0f, 10.0f}},
        .dims = {6, {1, 4, 16, 64, 256, 1024}}, .samples = 10000, .keys = 8, .draws = 500};
    lesson03_state state = {0};
    const lesson_program lesson = {.about = &ABOUT, .options = options, .check = check,
                                   .build = allocate, .compute = compute, .narrate = narrate,
                                   .draw = draw, .free = free_state};
    return lesson_run(&lesson, &settings, &state, argc, argv);
}
