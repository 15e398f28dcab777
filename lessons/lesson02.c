/* lesson02: attention as retrieval, the chapter's key-value example.
 * Keys 70 and 80 hold 1000 and 1500; query 75 scores both keys by
 * 1/|k - q|, normalises the scores into weights and retrieves their
 * weighted mean, 1250. Then other queries, the exact-match rule, and the
 * same lookup with a softmax, a Gaussian kernel and a dot product.
 * A thin program: every number comes from al_attend (attention.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "attnlab/attention.h"
#include "runner.h"

static const lesson_about ABOUT = {
    .program = "lesson02",
    .title = "attention as retrieval",
    .summary =
        "A dictionary returns the value of the key that matches exactly. Attention\n"
        "returns a blend: it scores every key against the query, turns the scores\n"
        "into weights that sum to 1, and returns the weighted mean of the values.\n"
        "Keys 70 and 80 hold 1000 and 1500; query 75 is as close to both, so it\n"
        "retrieves 1250. Then the same lookup with other similarities.",
    .example = "lesson02 --keys 70,80 --values 1000,1500 --query 75,72,70",

};

/* The four ways of looking up the same table, each one call to al_attend
 * under retrieve.<name>. The first is the chapter's. */
/* Bar charts are drawn for this many queries at most (the first ones). */
#define BAR_FIGURES 3

enum { INVERSE_SUM, GAUSSIAN_SUM, INVERSE_SOFTMAX, DOT_SOFTMAX, N_METHODS };

typedef struct method {
    const char *name;     /* the part of the trace name after "retrieve." */
    const char *title;    /* one line for the printout                    */
    al_scoring scoring;
} method;

typedef struct lesson02_settings {
    cli_numbers keys, values, queries;
    float sigma, temperature;
} lesson02_settings;

/* Everything the lesson builds, freed in one place. */
typedef struct lesson02_state {
    method list[N_METHODS];                  /* the four lookups, in order */
    al_matrix q, k, v;                       /* Lq x 1, Lk x 1, Lk x 1 */
    al_attention_steps steps[N_METHODS];
    al_matrix out[N_METHODS];                /* Lq x 1 each            */
    char query_text[CLI_MAX_NUMBERS][32], key_text[CLI_MAX_NUMBERS][32];
    const char *query_labels[CLI_MAX_NUMBERS], *key_labels[CLI_MAX_NUMBERS];
} lesson02_state;

static void free_state(void *lesson_state)
{
    lesson02_state *s = lesson_state;
    al_matrix_free(&s->q);
    al_matrix_free(&s->k);
    al_matrix_free(&s->v);
    for (int m = 0; m < N_METHODS; m++) {
        al_attention_steps_free(&s->steps[m]);
        al_matrix_free(&s->out[m]);
    }
}

static lesson_options options(void *lesson_settings)
{
    lesson02_settings *settings = lesson_settings;
    lesson_options o = {.own = {
        {.name = "keys", .kind = CLI_NUMBERS, .target = &settings->keys, .value_name = "LIST",
         .help = "the keys, comma-separated (default 70,80)", .min = 1, .max = CLI_MAX_NUMBERS},
        {.name = "values", .kind = CLI_NUMBERS, .target = &settings->values, .value_name = "LIST",
         .help = "the value each key holds (default 1000,1500)", .min = 1, .max = CLI_MAX_NUMBERS},
        {.name = "query", .kind = CLI_NUMBERS, .target = &settings->queries, .value_name = "LIST",
         .help = "one or more queries; the first is explained in full (default 75,72,70)",
         .min = 1, .max = CLI_MAX_NUMBERS},
        {.name = "sigma", .kind = CLI_NUMBER, .target = &settings->sigma, .value_name = "S",
         .help = "width of the Gaussian kernel (default 5)"},
        {.name = "temperature", .kind = CLI_NUMBER, .target = &settings->temperature,
         .value_name = "T", .help = "temperature of the softmax lookups (default 1)"},
    }};
    return o;
}

static al_status check(void *lesson_settings, al_error *err)
{
    const lesson02_settings *settings = lesson_settings;
    if (settings->keys.count != settings->values.count)
        return al_fail(err, AL_ERR_VALUE, "--keys gives %d keys but --values gives %d values; "
                       "each key holds one value", settings->keys.count, settings->values.count);
    if (!(settings->sigma > 0.0f))
        return al_fail(err, AL_ERR_VALUE, "--sigma must be greater than 0, not %g",
                       (double)settings->sigma);
    if (!(settings->temperature > 0.0f))
        return al_fail(err, AL_ERR_VALUE, "--temperature must be greater than 0, not %g",
                       (double)settings->temperature);
    return AL_OK;
}

static void methods(method *list, const lesson02_settings *settings)
{
    float T = settings->temperature;
    list[INVERSE_SUM] = (method){"inverse_sum", "1 / |k - q|, divided by the row's sum",
                                 {.kind = AL_SCORE_INVERSE_DISTANCE,
                                  .normalizer = AL_NORMALIZE_SUM}};
    list[GAUSSIAN_SUM] = (method){"gaussian_sum", "a Gaussian kernel, divided by the row's sum",
                                  {.kind = AL_SCORE_GAUSSIAN, .normalizer = AL_NORMALIZE_SUM,
                                   .sigma = settings->sigma}};
    list[INVERSE_SOFTMAX] = (method){"inverse_softmax", "1 / |k - q|, then a softmax",
                                     {.kind = AL_SCORE_INVERSE_DISTANCE,
                                      .normalizer = AL_NORMALIZE_SOFTMAX, .temperature = T}};
    list[DOT_SOFTMAX] = (method){"dot_softmax", "the dot product q · k, then a softmax",
                                 {.kind = AL_SCORE_DOT, .normalizer = AL_NORMALIZE_SOFTMAX,
                                  .temperature = T}};
}

/* The four methods; q, k, v as one-column matrices, and the labels
 * "q=75", "k=70". */
static al_status build(void *lesson_state, const void *lesson_settings, printout *p,
                       al_error *err)
{
    lesson02_state *s = lesson_state;
    const lesson02_settings *settings = lesson_settings;
    methods(s->list, settings);
    int Lq = settings->queries.count, Lk = settings->keys.count;
    al_matrix *columns[] = {&s->q, &s->k, &s->v};
    int rows[] = {Lq, Lk, Lk};
    for (int c = 0; c < 3; c++) {
        al_status status = al_matrix_alloc(columns[c], rows[c], 1, err);
        if (status != AL_OK)
            return status;
    }
    for (int i = 0; i < Lq; i++) {
        *al_at(&s->q, i, 0) = settings->queries.values[i];
        snprintf(s->query_text[i], sizeof s->query_text[i], "q=%g",
                 (double)settings->queries.values[i]);
        s->query_labels[i] = s->query_text[i];
    }
    for (int j = 0; j < Lk; j++) {
        *al_at(&s->k, j, 0) = settings->keys.values[j];
        *al_at(&s->v, j, 0) = settings->values.values[j];
        snprintf(s->key_text[j], sizeof s->key_text[j], "k=%g", (double)settings->keys.values[j]);
        s->key_labels[j] = s->key_text[j];
    }
    return AL_OK;
}

static al_status trace_input(al_trace *trace, const char *name, const al_matrix *m,
                             const char *const *rows, const char *column, const char *note,
                             al_error *err)
{
    const char *cols[1] = {column};
    al_tensor_info info = {.name = name, .role = AL_ROLE_INPUT, .row_labels = rows,
                           .col_labels = cols, .note = note};
    return al_trace_matrix(trace, &info, m, err);
}

/* Trace q, k, v, then run every method on them. */
/* The lesson's names: the inputs under RETRIEVE, and each method's lookup
 * (al_attend's steps) under RETRIEVE.<method>. */
#define RETRIEVE "retrieve"
#define QUERIES RETRIEVE ".q"
#define KEYS RETRIEVE ".k"
#define VALUES RETRIEVE ".v"

/* Where the lookup of the method called method_name is traced ("*": every
 * method, a trace filter), and the names al_attend gives its steps there. */
static char *lookup_prefix(char prefix[AL_NAME_SIZE], const char *method_name)
{
    return al_name(prefix, "%s.%s", RETRIEVE, method_name);
}

static void lookup_names(al_head_names *names, char prefix[AL_NAME_SIZE],
                         const char *method_name)
{
    al_head_names_init(names, lookup_prefix(prefix, method_name), NULL);
}

static al_status compute(void *lesson_state, const void *lesson_settings, printout *p,
                         al_trace *trace, al_error *err)
{
    lesson02_state *s = lesson_state;
    const method *list = s->list;
    const char *const *queries = s->query_labels, *const *keys = s->key_labels;
    al_status status = trace_input(trace, QUERIES, &s->q, queries, "query",
                                   "the queries, one number each", err);
    if (status == AL_OK)
        status = trace_input(trace, KEYS, &s->k, keys, "key", "the keys", err);
    if (status == AL_OK)
        status = trace_input(trace, VALUES, &s->v, keys, "value",
                             "the value each key holds", err);
    for (int m = 0; m < N_METHODS && status == AL_OK; m++) {
        char prefix[AL_NAME_SIZE];
        al_attention_names names = {.prefix = lookup_prefix(prefix, list[m].name),
                                    .q = QUERIES, .k = KEYS, .v = VALUES,
                                    .query_labels = queries, .key_labels = keys};
        status = al_attention_steps_alloc(&s->steps[m], s->q.rows, s->k.rows, &list[m].scoring,
                                          false, err);
        if (status == AL_OK)
            status = al_matrix_alloc(&s->out[m], s->q.rows, 1, err);
        if (status == AL_OK)
            status = al_attend(&s->out[m], &s->steps[m], &s->q, &s->k, &s->v, NULL,
                               &list[m].scoring, &names, trace, err);
    }
    return status;
}

/* ---- the printout --------------------------------------------------------- */

/* "0.2000 / (0.2000 + 0.2000) = 0.5000" for key j of query i: the
 * arithmetic of the normalisation, written out from the traced numbers.
 * A masked key (-inf, the exact-match rule) is left out of the sum, and
 * its own line says so: it is not a number to divide. */
static void print_division(printout *p, const al_attention_steps *st, int i, int j,
                           const char *key)
{
    if (*al_at(&st->scores, i, j) == -INFINITY) {
        print_text(p, "    %-6s masked: left out of the sum, weight %.*f", key, p->precision,
                   (double)*al_at(&st->weights, i, j));
        return;
    }
    int terms = 0;
    for (int c = 0; c < st->scores.cols; c++)
        terms += *al_at(&st->scores, i, c) != -INFINITY;
    char line[512];
    int used = snprintf(line, sizeof line, "    %-6s %.*f / %s", key, p->precision,
                        (double)*al_at(&st->scores, i, j), terms > 1 ? "(" : "");
    for (int c = 0, shown = 0; c < st->scores.cols && used < (int)sizeof line - 64; c++)
        if (*al_at(&st->scores, i, c) != -INFINITY)
            used += snprintf(line + used, sizeof line - (size_t)used, "%s%.*f",
                             shown++ ? " + " : "", p->precision, (double)*al_at(&st->scores, i, c));
    snprintf(line + used, sizeof line - (size_t)used, "%s = %.*f", terms > 1 ? ")" : "",
             p->precision, (double)*al_at(&st->weights, i, j));
    print_text(p, "%s", line);
}

/* Key j's score for query i, as the formula makes it: "1 / |80 - 75| =
 * 0.2000"; on the key itself the exact-match rule, and for the other keys
 * of such a row "masked". */
static void print_inverse_distance(printout *p, const lesson02_state *s, int i, int j)
{
    const al_attention_steps *st = &s->steps[INVERSE_SUM];
    double k = *al_at(&s->k, j, 0), q = *al_at(&s->q, i, 0);
    float score = *al_at(&st->scores, i, j);
    if (al_exact_match(&s->q, i, &s->k, j))
        print_text(p, "    |%g - %g| = %g: the query is on this key, score %.*f (the exact-match "
                      "rule, step 5)", k, q, fabs(k - q), p->precision, (double)score);
    else if (score == -INFINITY)
        print_text(p, "    1 / |%g - %g|: masked, as the query is on another key (step 5)", k, q);
    else
        print_text(p, "    1 / |%g - %g| = %.*f", k, q, p->precision, (double)score);
}

/* "0.5000 x 1000 + 0.5000 x 1500 = 1250": the weighted sum of query i. */
static void print_weighted_sum(printout *p, const lesson02_state *s, int m, int i)
{
    char line[768];
    int used = snprintf(line, sizeof line, "    ");
    for (int j = 0; j < s->v.rows && used < (int)sizeof line - 64; j++)
        used += snprintf(line + used, sizeof line - (size_t)used, "%s%.*f x %g", j ? " + " : "",
                         p->precision, (double)*al_at(&s->steps[m].weights, i, j),
                         (double)*al_at(&s->v, j, 0));
    snprintf(line + used, sizeof line - (size_t)used, " = %g", (double)*al_at(&s->out[m], i, 0));
    print_text(p, "%s", line);
}

/* True when row i has a masked key (-inf): the exact-match rule left it
 * out. (A query on every key masks none.) */
static bool row_has_exact_match(const al_matrix *scores, int i)
{
    for (int j = 0; j < scores->cols; j++)
        if (*al_at(scores, i, j) == -INFINITY)
            return true;
    return false;
}

static void print_table(printout *p, const lesson02_state *s)
{
    print_step(p, "the table to look things up in: keys and the values they hold", NULL);
    print_text(p, "  %d keys, each one number (d_k = 1), each holding one value (d_v = 1).",
               s->k.rows);
    print_matrix(p, KEYS, "K", &s->k, s->key_labels, (const char *const[]){"key"});
    print_matrix(p, VALUES, "V", &s->v, s->key_labels, (const char *const[]){"value"});
    print_matrix(p, QUERIES, "q", &s->q, s->query_labels, (const char *const[]){"query"});
}

/* Steps 2 to 4: the chapter's lookup, the first query in full. */
static void print_first_query(printout *p, const lesson02_state *s)
{
    const al_attention_steps *st = &s->steps[INVERSE_SUM];
    const char *const *queries = s->query_labels, *const *keys = s->key_labels;
    double q0 = *al_at(&s->q, 0, 0);
    char prefix[AL_NAME_SIZE];
    al_head_names names;
    lookup_names(&names, prefix, s->list[INVERSE_SUM].name);

    print_step(p, "how similar is each query to each key", "score_ij = 1 / |k_j - q_i|    "
                                                           "(Lq x Lk)");
    print_matrix(p, names.scores, "scores", &st->scores, queries, keys);
    bool masked = false;
    for (int i = 0; i < s->q.rows; i++)
        masked = masked || row_has_exact_match(&st->scores, i);
    if (masked)
        print_text(p, "  (\"masked\": a query lies exactly on a key; step 5 explains.)");
    else if (st->exact_match_rows > 0)
        print_text(p, "  (A query lies exactly on a key; step 5 explains.)");
    print_text(p, "\n  Query %g: the nearer a key, the larger its score:", q0);
    for (int j = 0; j < s->k.rows; j++)
        print_inverse_distance(p, s, 0, j);

    print_step(p, "scores become weights that sum to 1",
               "weight_ij = score_ij / sum_j score_ij");
    print_matrix(p, names.weights, "weights", &st->weights, queries, keys);
    print_text(p, "\n  Query %g:", q0);
    for (int j = 0; j < s->k.rows; j++)
        print_division(p, st, 0, j, keys[j]);

    print_step(p, "the answer is the weighted mean of the values",
               "out_i = sum_j weight_ij · v_j    (Lq x Lk) · (Lk x d_v) = Lq x d_v");
    print_matrix(p, names.out, "out", &s->out[INVERSE_SUM], queries,
                 (const char *const[]){"retrieved"});
    for (int i = 0; i < s->q.rows; i++) {
        print_text(p, "\n  Query %g retrieves %g:", (double)*al_at(&s->q, i, 0),
                   (double)*al_at(&s->out[INVERSE_SUM], i, 0));
        print_weighted_sum(p, s, INVERSE_SUM, i);
    }
}

static void print_exact_matches(printout *p, const lesson02_state *s)
{
    const al_attention_steps *st = &s->steps[INVERSE_SUM];
    if (st->exact_match_rows == 0)
        return;
    print_step(p, "a query equal to a key", "1 / |k - q| = 1 / 0 is infinite");
    print_text(p, "  A query on a key would divide by 0: an infinite score, and infinity / "
                  "infinity\n  is NaN. But as a query moves towards a key, that key's weight "
                  "grows towards 1.\n  So the rule: a key at distance 0 gets score 1, every "
                  "other key is masked\n  (printed \"masked\", null in the trace) and gets "
                  "weight exactly 0, and keys in\n  the same place share the weight equally.");
    for (int i = 0; i < s->q.rows; i++) {
        int on = 0, first = -1;
        for (int j = 0; j < s->k.rows; j++)
            if (al_exact_match(&s->q, i, &s->k, j)) {
                first = first < 0 ? j : first;
                on++;
            }
        double q = *al_at(&s->q, i, 0), out = *al_at(&s->out[INVERSE_SUM], i, 0);
        if (on == 1)
            print_text(p, "  Query %g sits on key %g: it retrieves %g, that key's own value, as "
                          "a\n  dictionary would.", q, (double)*al_at(&s->k, first, 0), out);
        else if (on > 1)
            print_text(p, "  Query %g sits on %d keys equal to %g: each gets weight %.*f, and it "
                          "retrieves\n  %g, the mean of their values%s.", q, on,
                       (double)*al_at(&s->k, first, 0), p->precision, 1.0 / on, out,
                       on == s->k.rows ? " (no other key to mask)" : "");
    }
}

/* One of the other methods: its scores, weights and answers. */
static void print_method(printout *p, const lesson02_state *s, const method *list, int m,
                         const char *title, const char *equation, const char *lesson)
{
    char prefix[AL_NAME_SIZE];
    al_head_names names;
    lookup_names(&names, prefix, list[m].name);
    const char *const *queries = s->query_labels, *const *keys = s->key_labels;
    print_step(p, title, equation);
    print_matrix(p, names.scores, "scores", &s->steps[m].scores, queries, keys);
    print_matrix(p, names.weights, "weights", &s->steps[m].weights, queries, keys);
    print_matrix(p, names.out, "out", &s->out[m], queries, (const char *const[]){"retrieved"});
    print_text(p, "%s", lesson);
}

static void print_other_methods(printout *p, const lesson02_state *s, const method *list,
                                const lesson02_settings *settings)
{
    char equation[128];
    snprintf(equation, sizeof equation, "score_ij = exp(-(k_j - q_i)² / (2σ²)),  σ = %g;  "
                                        "weight = score / sum", (double)settings->sigma);
    print_method(p, s, list, GAUSSIAN_SUM, "another similarity: a Gaussian kernel", equation,
                 "\n  Near keys score close to 1, far ones close to 0, and a query on a key "
                 "gets no\n  special rule: the other keys still count a little (Nadaraya-Watson "
                 "regression).");

    snprintf(equation, sizeof equation, "weight_ij = exp(score_ij / T) / sum_j exp(score_ij / "
                                        "T),  T = %g", (double)settings->temperature);
    print_method(p, s, list, INVERSE_SOFTMAX, "the same scores, normalised by a softmax",
                 equation,
                 "\n  A softmax also gives weights that sum to 1, and it accepts scores of any "
                 "sign.\n  Scores this small (below 1) differ little after exp, so the weights "
                 "are flatter\n  than when dividing by the sum.");

    snprintf(equation, sizeof equation, "score_ij = q_i · k_j;  weight = softmax,  T = %g",
             (double)settings->temperature);
    print_method(p, s, list, DOT_SOFTMAX, "the Transformer's similarity: a dot product",
                 equation,
                 "\n  The dot product measures size and direction, not nearness: with one-number "
                 "keys\n  the largest key wins whatever the query. And scores in the thousands "
                 "make the\n  softmax all-or-nothing; lesson03 shows why Transformers divide by "
                 "√d_k.");
}

static void print_summary(printout *p, const lesson02_state *s, const method *list)
{
    print_step(p, "the four lookups side by side", NULL);
    char line[512];
    int used = snprintf(line, sizeof line, "  %-8s", "query");
    for (int m = 0; m < N_METHODS; m++)
        used += snprintf(line + used, sizeof line - (size_t)used, "  %16s", list[m].name);
    print_text(p, "%s", line);
    for (int i = 0; i < s->q.rows; i++) {
        used = snprintf(line, sizeof line, "  %-8g", (double)*al_at(&s->q, i, 0));
        for (int m = 0; m < N_METHODS; m++)
            used += snprintf(line + used, sizeof line - (size_t)used, "  %16.*f", p->precision,
                             (double)*al_at(&s->out[m], i, 0));
        print_text(p, "%s", line);
    }
    print_text(p, "\n  (from retrieve.<method>.out; rows are queries, columns the methods)");
}

/* A bar chart of each of the first queries' weights, by every method:
 * lesson02-bars-q75.png for query 75. */
/* The four similarities' panels, in the order the lesson traces them. */
#define METHOD_PANEL_TITLES                                                                \
    "--panel-title", "inverse distance", "--panel-title", "Gaussian",                     \
    "--panel-title", "inverse distance, softmax", "--panel-title", "dot product, softmax"

static void draw_bars(lesson_outputs *outputs, const lesson02_settings *settings)
{
    char prefix[AL_NAME_SIZE];
    al_head_names every;
    lookup_names(&every, prefix, "*");
    for (int i = 0; i < settings->queries.count && i < BAR_FIGURES; i++) {
        char row[16], suffix[64], title[128];
        double query = settings->queries.values[i];
        snprintf(row, sizeof row, "%d", i);
        snprintf(suffix, sizeof suffix, "-bars-q%g.png", query);
        snprintf(title, sizeof title, "The weights of query %g, by each similarity", query);
        const char *bars_args[] = {"--select", every.weights, "--bars", "--row", row,
                                   "--axes", "weight,key", "--title", title,
                                   METHOD_PANEL_TITLES, "--svg", NULL};
        outputs_draw(outputs, "attnlab-heatmap", suffix, bars_args);
    }
}

static void narrate(printout *p, const void *lesson_state, const void *lesson_settings,
                    const char *trace_path)
{
    const lesson02_state *s = lesson_state;
    print_table(p, s);
    print_first_query(p, s);
    print_exact_matches(p, s);
    print_other_methods(p, s, s->list, lesson_settings);
    print_summary(p, s, s->list);
}

static void draw(lesson_outputs *outputs, const void *lesson_state, const void *lesson_settings)
{
    char prefix[AL_NAME_SIZE];
    al_head_names every;
    lookup_names(&every, prefix, "*");
    const char *weights_args[] = {"--select", every.weights, "--annotate", "--title",
                                  "each query's weights over the keys, four ways",
                                  METHOD_PANEL_TITLES, "--svg", NULL};
    outputs_draw(outputs, "attnlab-heatmap", "-weights.png", weights_args);
    draw_bars(outputs, lesson_settings);
    outputs_draw(outputs, "attnlab-flow", "-flow.svg", NULL);
}

int main(int argc, char **argv)
{
    lesson02_settings settings = {
        .keys = {2, {70, 80}}, .values = {2, {1000, 1500}}, .queries = {3, {75, 72, 70}},
        .sigma = 5.0f, .temperature = 1.0f};
    lesson02_state state = {0};
    const lesson_program lesson = {.about = &ABOUT, .options = options, .check = check,
                                   .build = build, .compute = compute, .narrate = narrate,
                                   .draw = draw, .free = free_state};
    return lesson_run(&lesson, &settings, &state, argc, argv);
}
