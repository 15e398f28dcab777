/* calc_attention.c: `attnlab-calc attention --q "1 0; 0 1" --k ... --v ...`:
 * one head of (scaled) dot-product attention on small matrices typed on the
 * command line: scores, scaled, masked, weights, output. The library's
 * al_attend computes every step; this file parses, traces and prints. No
 * learned projections: Q, K and V are given as they are. */
#include <stdlib.h>
#include <string.h>

#include "attnlab/attention.h"
#include "attnlab/mask.h"
#include "calc.h"
#include "calc_print.h"

static const char attention_description[] =
    "One head of attention on matrices you type, every step shown:\n"
    "  scores   = Q · Kᵀ                  (Lq x d_k) · (d_k x Lk) = Lq x Lk\n"
    "  scaled   = scores / sqrt(d_k)      (not with --no-scale)\n"
    "  masked   = -inf where the mask is 0 (with --mask causal)\n"
    "  weights  = softmax of each row     each row adds up to 1\n"
    "  out      = weights · V             (Lq x Lk) · (Lk x d_v) = Lq x d_v\n"
    "\n"
    "A MATRIX is typed row by row: rows separated by ';', numbers by spaces or\n"
    "commas, e.g. \"1 0; 0 1\". Q has one row per query, K and V one row per\n"
    "key; Q and K rows have the same width d_k.\n";

static const char attention_notes[] =
    "trace: attention.q, .k, .v (inputs), attention.mask, then attention.scores,\n"
    ".scaled, .masked, .weights and .out.\n";

static const char attention_examples[] =
    "attnlab-calc attention --q \"1 0; 0 1\" --k \"1 0; 0 1\" --v \"1 2; 3 4\"\n"
    "attnlab-calc attention --q \"1 0; 0 1\" --k \"1 0; 0 1\" --v \"1 2; 3 4\""
    " --mask causal --labels The,cat\n"
    "attnlab-calc attention --q \"1 1\" --k \"1 0; 0 1; 1 1\" --v \"1; 2; 3\""
    " --no-scale --latex\n";

static const calc_option attention_options[] = {
    {.name = "--q", .value_name = "MATRIX", .required = true,
     .help = "the queries, one row each (Lq x d_k)"},
    {.name = "--k", .value_name = "MATRIX", .required = true,
     .help = "the keys, one row each (Lk x d_k)"},
    {.name = "--v", .value_name = "MATRIX", .required = true,
     .help = "the values, one row per key (Lk x d_v)"},
    {.name = "--mask", .value_name = "causal|none",
     .help = "causal: query i sees keys 0 to i only (default none)"},
    {.name = "--no-scale", .help = "plain dot product: do not divide by sqrt(d_k)"},
    {.name = "--labels", .value_name = "LIST",
     .help = "names of the queries, e.g. The,cat; also of the keys\n"
             "when there are as many keys as queries"},
    {.name = "--key-labels", .value_name = "LIST", .help = "names of the keys (cross-attention)"},
    {0},
};

static const char *const mask_names[] = {"none", "causal", NULL};

/* What was typed and what the library computed from it. */
typedef struct attention_calc {
    al_matrix q, k, v;            /* Lq x d_k, Lk x d_k, Lk x d_v */
    al_matrix mask;               /* Lq x Lk, when --mask causal  */
    bool causal;
    al_scoring scoring;
    al_attention_steps steps;
    al_matrix out;                /* Lq x d_v                     */
    char **query_labels;          /* Lq, or NULL                  */
    char **key_labels;            /* Lk, or NULL                  */
    bool shared_labels;           /* key_labels is query_labels   */
} attention_calc;

static void free_calc(void *calc)
{
    attention_calc *c = calc;
    al_matrix_free(&c->q);
    al_matrix_free(&c->k);
    al_matrix_free(&c->v);
    al_matrix_free(&c->mask);
    al_attention_steps_free(&c->steps);
    al_matrix_free(&c->out);
    free(c->query_labels);
    if (!c->shared_labels)
        free(c->key_labels);
}

/* ---- the command line ---------------------------------------------------- */

static int parse_matrices(attention_calc *c, const calc_args *args)
{
    const char *q = calc_required(args, "--q");
    const char *k = q ? calc_required(args, "--k") : NULL;
    const char *v = k ? calc_required(args, "--v") : NULL;
    if (!v || calc_parse_matrix(&c->q, "--q", q, false) != CALC_OK ||
        calc_parse_matrix(&c->k, "--k", k, false) != CALC_OK ||
        calc_parse_matrix(&c->v, "--v", v, false) != CALC_OK)
        return CALC_USAGE;
    if (c->q.cols != c->k.cols)
        return calc_fail("the rows of --q have %d numbers but the rows of --k have %d; queries "
                         "and keys must have the same width d_k", c->q.cols, c->k.cols);
    if (c->v.rows != c->k.rows)
        return calc_fail("--k has %d row%s but --v has %d; give one value row per key",
                         c->k.rows, c->k.rows == 1 ? "" : "s", c->v.rows);
    return CALC_OK;
}

static int parse_labels(attention_calc *c, const calc_args *args)
{
    const char *queries = calc_value(args, "--labels"), *keys = calc_value(args, "--key-labels");
    if (queries && calc_parse_labels(&c->query_labels, "--labels", queries, c->q.rows) != CALC_OK)
        return CALC_USAGE;
    if (keys)
        return calc_parse_labels(&c->key_labels, "--key-labels", keys, c->k.rows);
    if (queries && c->k.rows != c->q.rows)
        return calc_fail("--labels names the %d queries, but there are %d keys: name them with "
                         "--key-labels", c->q.rows, c->k.rows);
    c->key_labels = c->query_labels;
    c->shared_labels = true;
    return CALC_OK;
}

static int parse(void *calc, const calc_args *args)
{
    attention_calc *c = calc;
    int mask = 0;
    const char *text = calc_value(args, "--mask");
    if (text && calc_parse_choice(&mask, "--mask", text, mask_names) != CALC_OK)
        return CALC_USAGE;
    c->causal = mask == 1;
    c->scoring = al_scoring_scaled_dot();
    if (calc_given(args, "--no-scale"))
        c->scoring.kind = AL_SCORE_DOT;
    if (parse_matrices(c, args) != CALC_OK)
        return CALC_USAGE;
    return parse_labels(c, args);
}

/* ---- the calculation ----------------------------------------------------- */

static al_status trace_inputs(al_trace *trace, const attention_calc *c, al_error *err)
{
    const char *const *queries = (const char *const *)c->query_labels;
    const char *const *keys = (const char *const *)c->key_labels;
    al_tensor_info q = {.name = "attention.q", .role = AL_ROLE_INPUT, .row_labels = queries};
    al_tensor_info k = {.name = "attention.k", .role = AL_ROLE_INPUT, .row_labels = keys};
    al_tensor_info v = {.name = "attention.v", .role = AL_ROLE_INPUT, .row_labels = keys};
    al_status status = al_trace_matrix(trace, &q, &c->q, err);
    if (status == AL_OK)
        status = al_trace_matrix(trace, &k, &c->k, err);
    if (status == AL_OK)
        status = al_trace_matrix(trace, &v, &c->v, err);
    if (status == AL_OK && c->causal)
        status = al_trace_mask(trace, "attention.mask", &c->mask, AL_MASK_OP_CAUSAL, queries, keys,
                               err);
    return status;
}

static int compute(void *calc, const calc_args *args)
{
    attention_calc *c = calc;
    al_trace *trace;
    if (calc_trace_open(&trace, args) != CALC_OK)
        return CALC_USAGE;
    al_error err = {0};
    al_status status = al_attention_steps_alloc(&c->steps, c->q.rows, c->k.rows, &c->scoring,
                                                c->causal, &err);
    if (status == AL_OK)
        status = al_matrix_alloc(&c->out, c->q.rows, c->v.cols, &err);
    if (status == AL_OK && c->causal) {
        status = al_matrix_alloc(&c->mask, c->q.rows, c->k.rows, &err);
        if (status == AL_OK)
            al_causal_mask(&c->mask);  /* mask[i][j] = 1 if j <= i */
    }
    if (status == AL_OK && trace)
        status = trace_inputs(trace, c, &err);
    al_attention_names names = {.prefix = "attention", .q = "attention.q", .k = "attention.k",
                                .v = "attention.v", .mask = c->causal ? "attention.mask" : NULL,
                                .query_labels = (const char *const *)c->query_labels,
                                .key_labels = (const char *const *)c->key_labels};
    if (status == AL_OK)
        status = al_attend(&c->out, &c->steps, &c->q, &c->k, &c->v,
                           c->causal ? &c->mask : NULL, &c->scoring, &names, trace, &err);
    return calc_trace_finish(trace, status, &err);
}

/* ---- text ---------------------------------------------------------------- */

static void print_text(calc_printer *p, const void *calc)
{
    const attention_calc *c = calc;
    const char *const *queries = (const char *const *)c->query_labels;
    const char *const *keys = (const char *const *)c->key_labels;
    bool scaled = c->scoring.kind == AL_SCORE_SCALED_DOT;
    char equation[200];
    calc_title(p, "%s attention: %d quer%s, %d key%s, d_k = %d, d_v = %d, %s",
               scaled ? "scaled dot-product" : "dot-product", c->q.rows,
               c->q.rows == 1 ? "y" : "ies", c->k.rows, c->k.rows == 1 ? "" : "s", c->q.cols,
               c->v.cols, c->causal ? "causal mask" : "no mask");

    calc_step(p, "queries, keys and values", NULL);
    calc_print_matrix(p, "Q", "attention.q", &c->q, queries, NULL, true);
    calc_print_matrix(p, "K", "attention.k", &c->k, keys, NULL, true);
    calc_print_matrix(p, "V", "attention.v", &c->v, keys, NULL, true);

    snprintf(equation, sizeof equation, "scores = Q · Kᵀ    (%d x %d) · (%d x %d) = %d x %d",
             c->q.rows, c->q.cols, c->k.cols, c->k.rows, c->q.rows, c->k.rows);
    calc_step(p, "every query against every key", equation);
    calc_print_matrix(p, "Q·Kᵀ", "attention.scores", &c->steps.scores, queries, keys, false);

    if (scaled) {
        snprintf(equation, sizeof equation, "scaled = scores / sqrt(d_k) = scores / sqrt(%d)",
                 c->k.cols);
        calc_step(p, "scaled", equation);
        calc_print_matrix(p, "S", "attention.scaled", &c->steps.scaled, queries, keys, false);
    }
    if (c->causal) {
        calc_step(p, "the causal mask: query i sees keys 0 to i only",
                  "masked = the scores where the mask is 1, -inf where it is 0");
        calc_print_matrix(p, "M", "attention.mask", &c->mask, queries, keys, true);
        calc_print_matrix(p, "masked", "attention.masked", &c->steps.masked, queries, keys, false);
    }
    calc_step(p, "weights: the softmax of each row",
              c->causal ? "each row adds up to 1; exp(-inf) = 0, so masked keys get weight 0"
                        : "each row adds up to 1");
    calc_print_matrix(p, "A", "attention.weights", &c->steps.weights, queries, keys, false);

    snprintf(equation, sizeof equation, "out = weights · V    (%d x %d) · (%d x %d) = %d x %d",
             c->q.rows, c->k.rows, c->v.rows, c->v.cols, c->q.rows, c->v.cols);
    calc_step(p, "the output: for each query, the weighted mean of the values", equation);
    calc_print_matrix(p, "out", "attention.out", &c->out, queries, NULL, false);
}

/* ---- LaTeX --------------------------------------------------------------- */

static void print_latex(calc_printer *p, const calc_args *args, const void *calc)
{
    const attention_calc *c = calc;
    calc_latex_begin(p, args);
    calc_latex_line(p, "Q &= ");
    calc_latex_matrix(p, &c->q, true);
    calc_latex_more(p, ", \\quad K = ");
    calc_latex_matrix(p, &c->k, true);
    calc_latex_more(p, ", \\quad V = ");
    calc_latex_matrix(p, &c->v, true);
    calc_latex_line(p, "S = Q K^\\top &= ");
    calc_latex_matrix(p, &c->steps.scores, false);
    char last[64] = "S";
    if (c->scoring.kind == AL_SCORE_SCALED_DOT) {
        calc_latex_line(p, "S / \\sqrt{%d} &= ", c->k.cols);
        calc_latex_matrix(p, &c->steps.scaled, false);
        snprintf(last, sizeof last, "S / \\sqrt{%d}", c->k.cols);
    }
    if (c->causal) {
        calc_latex_line(p, "M &= ");
        calc_latex_matrix(p, &c->mask, true);
        calc_latex_line(p, "\\operatorname{mask}_M(%s) &= ", last);
        calc_latex_matrix(p, &c->steps.masked, false);
    }
    calc_latex_line(p, "A = \\operatorname{softmax}(%s%s%s) &= ",
                    c->causal ? "\\operatorname{mask}_M(" : "", last, c->causal ? ")" : "");
    calc_latex_matrix(p, &c->steps.weights, false);
    calc_latex_line(p, "A V &= ");
    calc_latex_matrix(p, &c->out, false);
    calc_latex_end(p);
}

const calc_command calc_attention_command = {
    .name = "attention",
    .summary = "Q, K, V matrices -> scores, scaled, masked, weights, output",
    .description = attention_description,
    .notes = attention_notes,
    .examples = attention_examples,
    .options = attention_options,
    .traces = true,
    .calc_size = sizeof(attention_calc),
    .parse = parse,
    .compute = compute,
    .print_text = print_text,
    .print_latex = print_latex,
    .free_calc = free_calc,
};
