/* calc_retrieve.c: `attnlab-calc retrieve --keys 70,80 --values 1000,1500
 * --query 75`: attention as soft retrieval from a table of keys and values,
 * the chapter's first example: similarities, weights, retrieved value. One
 * call of the library's al_attend does the work; this file parses, traces
 * and prints. Keys and values are numbers, or vectors typed "1 2; 3 4". */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attnlab/attention.h"
#include "attnlab/softmax.h"
#include "calc.h"
#include "calc_print.h"

static const char retrieve_description[] =
    "Attention as retrieval from a table of keys and values: how similar the\n"
    "query is to each key (s_j), the weights those similarities become (w_j,\n"
    "adding up to 1), and the retrieved value, the weighted mean of the values\n"
    "(sum of w_j v_j). A query equal to a key retrieves exactly that key's\n"
    "value, never NaN.\n";

static const char retrieve_notes[] =
    "trace: retrieve.q, retrieve.k, retrieve.v (inputs), retrieve.scores\n"
    "(the similarities), retrieve.weights and retrieve.out (the value), with\n"
    "retrieve.sigma and retrieve.temperature where they apply.\n";

static const char retrieve_examples[] =
    "attnlab-calc retrieve --keys 70,80 --values 1000,1500 --query 75\n"
    "attnlab-calc retrieve --keys 70,80 --values 1000,1500 --query 72\n"
    "attnlab-calc retrieve --keys 70,80 --values 1000,1500 --query 70\n"
    "attnlab-calc retrieve --keys 70,80 --values 1000,1500 --query 72"
    " --similarity gaussian --sigma 5\n"
    "attnlab-calc retrieve --keys '1 0; 0 1' --values 10,20 --query '2 1'"
    " --similarity dot --latex\n";

static const calc_option retrieve_options[] = {
    {.name = "--keys", .value_name = "LIST", .required = true,
     .help = "the keys, e.g. 70,80; vectors as rows: '1 2; 3 4'"},
    {.name = "--values", .value_name = "LIST", .required = true,
     .help = "one value per key, e.g. 1000,1500; vectors: '1 0; 0 1'"},
    {.name = "--query", .value_name = "Q", .required = true,
     .help = "the query, e.g. 75 (a vector for vector keys: '1 2')"},
    {.name = "--similarity", .value_name = "KIND",
     .help = "inverse-distance (default)  s_j = 1 / |k_j - q|\n"
             "dot                         s_j = k_j . q\n"
             "gaussian     s_j = exp(-|k_j - q|^2 / (2 sigma^2))"},
    {.name = "--sigma", .value_name = "S",
     .help = "the width of the gaussian, > 0 (default 5, half the\n"
             "spacing of the chapter's keys 70 and 80, as in lesson02)"},
    {.name = "--normalize", .value_name = "HOW",
     .help = "sum: w_j = s_j / (sum of the s_k), the default for\n"
             "inverse-distance and gaussian (similarities >= 0);\n"
             "softmax: w_j = exp((s_j - max) / T) / (sum of those),\n"
             "the default for dot"},
    {.name = "--temperature", .value_name = "T",
     .help = "softmax only: a number > 0 (default 1)"},
    {0},
};

static const char *const similarity_names[] = {"inverse-distance", "dot", "gaussian", NULL};
static const al_score_kind similarity_kinds[] = {AL_SCORE_INVERSE_DISTANCE, AL_SCORE_DOT,
                                                 AL_SCORE_GAUSSIAN};
static const char *const normalize_names[] = {"sum", "softmax", NULL};

/* The Gaussian's width unless --sigma says otherwise: lesson02's, so the
 * two tell one story. 5 is half the spacing of the chapter's keys 70 and
 * 80: query 72 weighs them 0.77 and 0.23, where sigma 1 would give key 80
 * e^-32 of key 70's weight, an all-or-nothing lookup. */
#define DEFAULT_SIGMA 5.0f

/* What was typed and what the library computed from it. */
typedef struct retrieve_calc {
    al_matrix q, k, v;           /* 1 x d, Lk x d, Lk x d_v             */
    al_scoring scoring;
    al_attention_steps steps;    /* scores and weights, 1 x Lk           */
    al_matrix out;               /* 1 x d_v                              */
    al_matrix exps;              /* 1 x Lk: softmax only, for the printout */
    double sum;                  /* what the weights were divided by     */
    float max;                   /* softmax only: the largest similarity */
    char **key_labels;           /* Lk texts of the keys, for the trace  */
    char query_label[128];
} retrieve_calc;

static void free_calc(void *calc)
{
    retrieve_calc *c = calc;
    al_matrix_free(&c->q);
    al_matrix_free(&c->k);
    al_matrix_free(&c->v);
    al_attention_steps_free(&c->steps);
    al_matrix_free(&c->out);
    al_matrix_free(&c->exps);
    free(c->key_labels);
}

/* ---- the command line ---------------------------------------------------- */

static int parse_scoring(retrieve_calc *c, const calc_args *args)
{
    int kind = 0, how;
    const char *text = calc_value(args, "--similarity");
    if (text && calc_parse_choice(&kind, "--similarity", text, similarity_names) != CALC_OK)
        return CALC_USAGE;
    c->scoring = (al_scoring){.kind = similarity_kinds[kind], .temperature = 1.0f,
                              .sigma = DEFAULT_SIGMA};
    how = c->scoring.kind == AL_SCORE_DOT;  /* softmax for dot, else sum */
    text = calc_value(args, "--normalize");
    if (text && calc_parse_choice(&how, "--normalize", text, normalize_names) != CALC_OK)
        return CALC_USAGE;
    c->scoring.normalizer = how ? AL_NORMALIZE_SOFTMAX : AL_NORMALIZE_SUM;

    text = calc_value(args, "--sigma");
    if (text && c->scoring.kind != AL_SCORE_GAUSSIAN)
        return calc_fail("--sigma is the width of --similarity gaussian only");
    if (text && calc_parse_positive(&c->scoring.sigma, "--sigma", text) != CALC_OK)
        return CALC_USAGE;
    text = calc_value(args, "--temperature");
    if (text && c->scoring.normalizer != AL_NORMALIZE_SOFTMAX)
        return calc_fail("--temperature applies to --normalize softmax only");
    if (text && calc_parse_positive(&c->scoring.temperature, "--temperature", text) != CALC_OK)
        return CALC_USAGE;
    return CALC_OK;
}

/* Keys, values and query: as many values as keys, a query as wide as a key. */
static int parse_table(retrieve_calc *c, const calc_args *args)
{
    const char *keys = calc_required(args, "--keys");
    const char *values = keys ? calc_required(args, "--values") : NULL;
    const char *query = values ? calc_required(args, "--query") : NULL;
    if (!query || calc_parse_matrix(&c->k, "--keys", keys, true) != CALC_OK ||
        calc_parse_matrix(&c->v, "--values", values, true) != CALC_OK ||
        calc_parse_matrix(&c->q, "--query", query, false) != CALC_OK)
        return CALC_USAGE;
    if (c->v.rows != c->k.rows)
        return calc_fail("there %s %d key%s but %d value%s; give one value per key",
                         c->k.rows == 1 ? "is" : "are", c->k.rows, c->k.rows == 1 ? "" : "s",
                         c->v.rows, c->v.rows == 1 ? "" : "s");
    if (c->q.rows != 1)
        return calc_fail("--query is one query, not %d rows", c->q.rows);
    if (c->q.cols != c->k.cols)
        return calc_fail("--query has %d number%s but each key has %d (type vector keys as "
                         "rows: --keys '1 2; 3 4')",
                         c->q.cols, c->q.cols == 1 ? "" : "s", c->k.cols);
    return CALC_OK;
}

/* How to score, then the keys, values and query. */
static int parse(void *calc, const calc_args *args)
{
    retrieve_calc *c = calc;
    int status = parse_scoring(c, args);
    return status == CALC_OK ? parse_table(c, args) : status;
}

/* ---- the calculation ----------------------------------------------------- */

/* The keys as text ("70", "(1, 2)"), to label the score columns in the
 * trace; one block of memory, freed with free(). */
static int make_labels(retrieve_calc *c)
{
    int n = c->k.rows;
    size_t room = 128;
    c->key_labels = malloc((size_t)n * (sizeof(char *) + room));
    if (!c->key_labels)
        return calc_fail("out of memory for the key labels");
    char *text = (char *)(c->key_labels + n);
    for (int j = 0; j < n; j++) {
        c->key_labels[j] = text + (size_t)j * room;
        calc_row_text(c->key_labels[j], room, &c->k, j, true, 0);
    }
    calc_row_text(c->query_label, sizeof c->query_label, &c->q, 0, true, 0);
    return CALC_OK;
}

static al_status trace_inputs(al_trace *trace, const retrieve_calc *c, al_error *err)
{
    const char *const *keys = (const char *const *)c->key_labels;
    const char *query[1] = {c->query_label};
    al_tensor_info q = {.name = "retrieve.q", .role = AL_ROLE_INPUT, .row_labels = query};
    al_tensor_info k = {.name = "retrieve.k", .role = AL_ROLE_INPUT, .row_labels = keys};
    al_tensor_info v = {.name = "retrieve.v", .role = AL_ROLE_INPUT, .row_labels = keys};
    al_status status = al_trace_matrix(trace, &q, &c->q, err);
    if (status == AL_OK)
        status = al_trace_matrix(trace, &k, &c->k, err);
    if (status == AL_OK)
        status = al_trace_matrix(trace, &v, &c->v, err);
    return status;
}

/* What the weights were divided by, for the printout: the library's row
 * functions again on the scores al_attend computed. */
static al_status explain_weights(retrieve_calc *c, al_error *err)
{
    int n = c->k.rows;
    float *scratch = malloc((size_t)n * sizeof *scratch);
    if (!scratch)
        return al_fail(err, AL_ERR_NOMEM, "out of memory for %d weights", n);
    al_status status = AL_OK;
    if (c->scoring.normalizer == AL_NORMALIZE_SUM) {
        c->sum = al_normalize_sum_row(scratch, c->steps.scores.data, n);
    } else {
        status = al_matrix_alloc(&c->exps, 1, n, err);
        if (status == AL_OK) {
            al_softmax_steps steps = al_softmax_row(scratch, c->exps.data, c->steps.scores.data,
                                                    n, c->scoring.temperature);
            c->sum = steps.sum;
            c->max = steps.max;
        }
    }
    free(scratch);
    return status;
}

static int compute(void *calc, const calc_args *args)
{
    retrieve_calc *c = calc;
    if (make_labels(c) != CALC_OK)
        return CALC_USAGE;
    al_trace *trace;
    if (calc_trace_open(&trace, args) != CALC_OK)
        return CALC_USAGE;
    al_error err = {0};
    al_status status = al_attention_steps_alloc(&c->steps, 1, c->k.rows, &c->scoring, false,
                                                &err);
    if (status == AL_OK)
        status = al_matrix_alloc(&c->out, 1, c->v.cols, &err);
    if (status == AL_OK && trace)
        status = trace_inputs(trace, c, &err);
    al_attention_names names = {.prefix = "retrieve", .q = "retrieve.q", .k = "retrieve.k",
                                .v = "retrieve.v",
                                .query_labels = (const char *const[]){c->query_label},
                                .key_labels = (const char *const *)c->key_labels};
    /* scores (1 x Lk) -> weights (1 x Lk) -> out (1 x d_v) = weights · v */
    if (status == AL_OK)
        status = al_attend(&c->out, &c->steps, &c->q, &c->k, &c->v, NULL, &c->scoring, &names,
                           trace, &err);
    if (status == AL_OK)
        status = explain_weights(c, &err);
    return calc_trace_finish(trace, status, &err);
}

/* ---- text ---------------------------------------------------------------- */

/* The similarity formula in words a terminal can show. */
static const char *similarity_equation(char *text, size_t size, const retrieve_calc *c)
{
    bool scalar = c->k.cols == 1;
    char sigma[CALC_NUMBER_SIZE];
    calc_exact(sigma, c->scoring.sigma);
    switch (c->scoring.kind) {
    case AL_SCORE_DOT:
        snprintf(text, size, "s_j = k_j · q");
        break;
    case AL_SCORE_GAUSSIAN:
        snprintf(text, size, "s_j = exp(-%s / (2 sigma^2)),  sigma = %s",
                 scalar ? "(k_j - q)^2" : "||k_j - q||^2", sigma);
        break;
    default:
        snprintf(text, size, "s_j = 1 / %s", scalar ? "|k_j - q|" : "||k_j - q||");
        break;
    }
    return text;
}

static void print_keys(calc_printer *p, const retrieve_calc *c)
{
    char text[128];
    calc_step(p, "the keys and their values", NULL);
    text_table *t = text_table_new(c->k.rows, 3);
    text_table_set(t, -1, 0, "j");
    text_table_set(t, -1, 1, "key k_j");
    text_table_set(t, -1, 2, "value v_j");
    for (int j = 0; j < c->k.rows; j++) {
        text_table_set(t, j, 0, "%d", j);
        text_table_set(t, j, 1, "%s", calc_row_text(text, sizeof text, &c->k, j, true, 0));
        text_table_set(t, j, 2, "%s", calc_row_text(text, sizeof text, &c->v, j, true, 0));
    }
    calc_table_print(p, t);
}

/* A similarity as the tables print it: "masked" for a key the exact-match
 * rule left out (-inf inside, null in the trace), as lesson02 prints it. */
static const char *score_text(char text[CALC_NUMBER_SIZE], float s, int precision)
{
    if (s == -INFINITY) {
        snprintf(text, CALC_NUMBER_SIZE, "masked");
        return text;
    }
    return calc_fixed(text, s, precision);
}

/* The keys a query sits on exactly: under the exact-match rule they score 1
 * and every other key is masked (-inf). */
static void print_exact_match(calc_printer *p, const retrieve_calc *c)
{
    const float *s = c->steps.scores.data;
    int matches = 0, first = -1;
    for (int j = 0; j < c->k.rows; j++)
        if (s[j] != -INFINITY) {
            matches++;
            first = first < 0 ? j : first;
        }
    fputc('\n', p->out);
    /* the rule also takes a key so near that 1 / distance overflows float32 */
    double distance = 0;
    for (int i = 0; matches == 1 && i < c->q.cols; i++) {
        double d = (double)*al_at(&c->q, 0, i) - (double)*al_at(&c->k, first, i);
        distance += d * d;
    }
    distance = sqrt(distance);
    if (matches == 1 && distance > 0)
        calc_say(p, "The query is %.9g from key %d (%s), so near that 1 / %.9g is beyond\n"
                    "float32 (above 3.4e38): it counts as infinite, as if q were the key. As q "
                    "comes near", distance, first, c->key_labels[first], distance);
    else if (matches == 1)
        calc_say(p, "The query equals key %d (%s) exactly. 1 / 0 is infinite: as q comes near",
                 first, c->key_labels[first]);
    else
        calc_say(p, "The query equals %d keys exactly. 1 / 0 is infinite: as q comes near",
                 matches);
    if (matches < c->k.rows) {
        calc_say(p, "a key, that key's weight tends to 1. So %s, and the",
                 matches == 1 ? "it takes all the weight" : "they share the weight equally");
        calc_say(p, "other keys are masked: left out, weight exactly 0.");
    } else {
        calc_say(p, "a key, that key's weight tends to 1. So they share the weight equally;");
        calc_say(p, "there is no other key to mask.");
    }
}

static void print_similarities(calc_printer *p, const retrieve_calc *c)
{
    char text[128], number[CALC_NUMBER_SIZE];
    calc_step(p, "how similar the query is to each key", similarity_equation(text, sizeof text, c));
    calc_say(p, "q = %s", c->query_label);
    text_table *t = text_table_new(c->k.rows, 3);
    text_table_set(t, -1, 0, "j");
    text_table_set(t, -1, 1, "k_j");
    text_table_set(t, -1, 2, "s_j");
    for (int j = 0; j < c->k.rows; j++) {
        text_table_set(t, j, 0, "%d", j);
        text_table_set(t, j, 1, "%s", c->key_labels[j]);
        text_table_set(t, j, 2, "%s", score_text(number, c->steps.scores.data[j], p->precision));
    }
    calc_table_print(p, t);
    if (c->steps.exact_match_rows > 0)
        print_exact_match(p, c);
}

/* Whether the exact-match rule masked any key. */
static bool has_masked(const retrieve_calc *c)
{
    for (int j = 0; j < c->k.rows; j++)
        if (c->steps.scores.data[j] == -INFINITY)
            return true;
    return false;
}

static void print_weights(calc_printer *p, const retrieve_calc *c)
{
    bool softmax = c->scoring.normalizer == AL_NORMALIZE_SOFTMAX;
    char equation[320], sum[CALC_NUMBER_SIZE], max[CALC_NUMBER_SIZE], t_text[CALC_NUMBER_SIZE];
    calc_fixed(sum, (float)c->sum, p->precision);
    calc_fixed(max, c->max, p->precision);
    calc_exact(t_text, c->scoring.temperature);
    if (softmax)
        snprintf(equation, sizeof equation,
                 "w_j = e_j / sum,  e_j = exp((s_j - max) / T),  max = %s, T = %s, sum = %s", max,
                 t_text, sum);
    else
        snprintf(equation, sizeof equation, "w_j = s_j / sum,  sum = %s%s", sum,
                 has_masked(c) ? "  (masked keys count as 0)" : "");
    calc_step(p, "the weights", equation);
    int cols = softmax ? 4 : 3;
    text_table *t = text_table_new(c->k.rows, cols);
    const char *headers[] = {"j", "s_j", softmax ? "e_j" : "w_j", "w_j"};
    for (int k = 0; k < cols; k++)
        text_table_set(t, -1, k, "%s", headers[k]);
    char number[CALC_NUMBER_SIZE];
    for (int j = 0; j < c->k.rows; j++) {
        text_table_set(t, j, 0, "%d", j);
        text_table_set(t, j, 1, "%s", score_text(number, c->steps.scores.data[j], p->precision));
        if (softmax)
            text_table_set(t, j, 2, "%s", calc_fixed(number, c->exps.data[j], p->precision));
        text_table_set(t, j, cols - 1, "%s",
                        calc_fixed(number, c->steps.weights.data[j], p->precision));
    }
    calc_table_print(p, t);
    if (c->steps.fully_masked_rows > 0) {
        fputc('\n', p->out);
        calc_say(p, "Every similarity is 0 (the query is far from every key for this sigma),");
        calc_say(p, "so there is nothing to share out: the weights and the value are 0.");
    }
}

/* "0.5 · 1000 + 0.5 · 1500 = 1250"; just the result for many keys. */
static void print_value(calc_printer *p, const retrieve_calc *c)
{
    char weight[CALC_NUMBER_SIZE], value[128], result[128];
    calc_step(p, "the retrieved value, the weighted mean of the values", "sum of w_j v_j");
    fputs("  ", p->out);
    for (int j = 0; j < c->k.rows && c->k.rows <= 6; j++)
        fprintf(p->out, "%s · %s%s", calc_short(weight, c->steps.weights.data[j], p->precision),
                calc_row_text(value, sizeof value, &c->v, j, true, 0),
                j + 1 < c->k.rows ? " + " : " = ");
    fprintf(p->out, "%s\n", calc_row_text(result, sizeof result, &c->out, 0, false, p->precision));
    fprintf(p->out, "\n  retrieved value: %s\n", result);
}

static void print_text(calc_printer *p, const void *calc)
{
    const retrieve_calc *c = calc;
    static const char *const similarity_words[] = {
        [AL_SCORE_INVERSE_DISTANCE] = "inverse distance", [AL_SCORE_DOT] = "dot product",
        [AL_SCORE_GAUSSIAN] = "gaussian kernel"};
    calc_title(p, "retrieval: query %s against %d key%s, similarity by %s, weights by %s",
               c->query_label, c->k.rows, c->k.rows == 1 ? "" : "s",
               similarity_words[c->scoring.kind],
               c->scoring.normalizer == AL_NORMALIZE_SUM ? "dividing by the sum" : "softmax");
    print_keys(p, c);
    print_similarities(p, c);
    print_weights(p, c);
    print_value(p, c);
}

/* ---- LaTeX --------------------------------------------------------------- */

/* s_j = <formula with the numbers put in> = value, for key j. */
static void latex_similarity(calc_printer *p, const retrieve_calc *c, int j)
{
    char k[CALC_NUMBER_SIZE], q[CALC_NUMBER_SIZE], sigma[CALC_NUMBER_SIZE], s[CALC_NUMBER_SIZE];
    bool scalar = c->k.cols == 1;
    calc_exact(k, *al_at(&c->k, j, 0));
    calc_exact(q, c->q.data[0]);
    calc_exact(sigma, c->scoring.sigma);
    calc_latex_number(s, c->steps.scores.data[j], false, p->precision);
    calc_latex_line(p, "s_%d &= ", j);
    if (c->steps.exact_match_rows > 0) {
        bool match = c->steps.scores.data[j] != -INFINITY;
        if (match)
            calc_latex_more(p, "%s \\quad (q = k_%d)", s, j);
        else
            calc_latex_more(p, "\\text{masked} \\quad (\\text{weight } 0)");
        return;
    }
    switch (c->scoring.kind) {
    case AL_SCORE_DOT:
        if (scalar)
            calc_latex_more(p, "%s \\cdot %s", k, q);
        else
            calc_latex_more(p, "k_%d \\cdot q", j);
        break;
    case AL_SCORE_GAUSSIAN:
        if (scalar)
            calc_latex_more(p, "\\exp\\bigl(-(%s - %s)^2 / (2 \\cdot %s^2)\\bigr)", k, q, sigma);
        else
            calc_latex_more(p, "\\exp\\bigl(-\\lVert k_%d - q \\rVert^2 / (2 \\cdot %s^2)\\bigr)",
                            j, sigma);
        break;
    default:
        if (scalar)
            calc_latex_more(p, "1 / \\lvert %s - %s \\rvert", k, q);
        else
            calc_latex_more(p, "1 / \\lVert k_%d - q \\rVert", j);
        break;
    }
    calc_latex_more(p, " = %s", s);
}

static void latex_weight(calc_printer *p, const retrieve_calc *c, int j)
{
    char s[CALC_NUMBER_SIZE], w[CALC_NUMBER_SIZE], sum[CALC_NUMBER_SIZE], max[CALC_NUMBER_SIZE],
        t[CALC_NUMBER_SIZE];
    calc_latex_number(s, c->steps.scores.data[j], false, p->precision);
    calc_fixed(w, c->steps.weights.data[j], p->precision);
    calc_fixed(sum, (float)c->sum, p->precision);
    calc_fixed(max, c->max, p->precision);
    calc_exact(t, c->scoring.temperature);
    if (c->steps.scores.data[j] == -INFINITY)
        calc_latex_line(p, "w_%d &= 0 \\quad (\\text{masked})", j);
    else if (c->scoring.normalizer == AL_NORMALIZE_SUM)
        calc_latex_line(p, "w_%d &= %s / %s = %s", j,
                        c->steps.scores.data[j] == -INFINITY ? "0" : s, sum, w);
    else if (c->scoring.temperature == 1.0f)
        calc_latex_line(p, "w_%d &= e^{%s - %s} / %s = %s", j, s, max, sum, w);
    else
        calc_latex_line(p, "w_%d &= e^{(%s - %s) / %s} / %s = %s", j, s, max, t, sum, w);
}

static void print_latex(calc_printer *p, const calc_args *args, const void *calc)
{
    const retrieve_calc *c = calc;
    char sum[CALC_NUMBER_SIZE], w[CALC_NUMBER_SIZE];
    calc_latex_begin(p, args);
    calc_latex_line(p, "q &= ");
    calc_latex_row(p, &c->q, 0, true);
    for (int j = 0; j < c->k.rows; j++)
        latex_similarity(p, c, j);
    if (c->scoring.normalizer == AL_NORMALIZE_SUM)
        calc_latex_line(p, "\\textstyle\\sum_j s_j &= %s", calc_fixed(sum, (float)c->sum,
                                                                      p->precision));
    else
        calc_latex_line(p, "\\textstyle\\sum_j e^{(s_j - \\max_k s_k) / T} &= %s",
                        calc_fixed(sum, (float)c->sum, p->precision));
    for (int j = 0; j < c->k.rows; j++)
        latex_weight(p, c, j);
    calc_latex_line(p, "\\hat v &= ");
    for (int j = 0; j < c->k.rows; j++) {
        calc_latex_more(p, "%s%s \\cdot ", j ? " + " : "",
                        calc_fixed(w, c->steps.weights.data[j], p->precision));
        calc_latex_row(p, &c->v, j, true);
    }
    calc_latex_more(p, " = ");
    calc_latex_row(p, &c->out, 0, false);
    calc_latex_end(p);
}

const calc_command calc_retrieve_command = {
    .name = "retrieve",
    .summary = "keys, values, a query -> similarities, weights, retrieved value",
    .description = retrieve_description,
    .notes = retrieve_notes,
    .examples = retrieve_examples,
    .options = retrieve_options,
    .traces = true,
    .calc_size = sizeof(retrieve_calc),
    .parse = parse,
    .compute = compute,
    .print_text = print_text,
    .print_latex = print_latex,
    .free_calc = free_calc,
};
