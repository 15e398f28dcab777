/* calc_softmax.c: `attnlab-calc softmax 2.0 1.0 0.1 [--temperature T]
 * [--plain]`: the largest score, the exponentials, their sum and the
 * probabilities, all from the library's al_softmax_row; with --plain, the
 * chapter's form beside it (al_softmax_row_plain). No maths here: it
 * parses, calls, traces and prints. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attnlab/softmax.h"
#include "calc.h"
#include "calc_print.h"

static const char softmax_description[] =
    "The softmax of a list of scores, step by step:\n"
    "  max        the largest score (subtracting it changes no probability and\n"
    "             keeps every exponential <= 1, so none can overflow)\n"
    "  e_j        exp((s_j - max) / T), the exponentials\n"
    "  sum        their sum\n"
    "  p_j        e_j / sum, the probabilities; they add up to 1\n"
    "\n"
    "This is how attnlab computes every softmax (softmax.h). The chapter writes\n"
    "it without the max, p_j = exp(s_j) / sum of exp(s_k) (e^2 = 7.39, sum\n"
    "7.39 + 2.72 + 1.11 = 11.22): the same probabilities, since exp(-max)\n"
    "cancels, but exp(s_j) overflows float32 past s_j = 88.72 (try\n"
    "'attnlab-calc softmax 100 90 --plain'). --plain shows that form too.\n"
    "\n"
    "SCORES are numbers separated by spaces or commas; type negative ones as\n"
    "they are (-1.5).\n";

static const char softmax_notes[] =
    "trace: softmax.scores, softmax.temperature (when T is not 1) and\n"
    "softmax.weights, with a softmax row record holding max, exp and sum.\n"
    "--plain's numbers are printed only, not traced.\n";

static const char softmax_examples[] =
    "attnlab-calc softmax 2.0 1.0 0.1\n"
    "attnlab-calc softmax 2.0 1.0 0.1 --temperature 0.5\n"
    "attnlab-calc softmax 2, 1, 0.1 --latex\n"
    "attnlab-calc softmax 2.0 1.0 0.1 --plain\n";

static const calc_option softmax_options[] = {
    {.name = "--temperature", .value_name = "T",
     .help = "a number > 0 (default 1): below 1 sharpens the\n"
             "probabilities towards the largest score, above 1\n"
             "flattens them towards uniform"},
    {.name = "--plain",
     .help = "also the chapter's form, exp(s_j / T) / sum of\n"
             "exp(s_k / T), without subtracting the max"},
    {0},
};

/* What was typed and what the library computed from it. */
typedef struct softmax_calc {
    al_matrix scores, exps, weights;  /* 1 x n each */
    float temperature;
    al_softmax_steps steps;
    bool plain;                          /* --plain                          */
    al_matrix plain_exps, plain_weights; /* 1 x n: exp(s_j / T), over sum    */
    float plain_sum;                     /* sum of exp(s_k / T); may be inf  */
} softmax_calc;

static void free_calc(void *calc)
{
    softmax_calc *c = calc;
    al_matrix_free(&c->scores);
    al_matrix_free(&c->exps);
    al_matrix_free(&c->weights);
    al_matrix_free(&c->plain_exps);
    al_matrix_free(&c->plain_weights);
}

/* The scores: every operand, joined with spaces, as one list. */
static int parse_scores(softmax_calc *c, const calc_args *args)
{
    if (args->n_operands == 0)
        return calc_fail("softmax needs SCORES, e.g. 'attnlab-calc softmax 2.0 1.0 0.1'");
    size_t length = 1;
    for (int k = 0; k < args->n_operands; k++)
        length += strlen(args->operands[k]) + 1;
    char *text = malloc(length);
    if (!text)
        return calc_fail("out of memory reading the scores");
    text[0] = '\0';
    for (int k = 0; k < args->n_operands; k++)
        strcat(strcat(text, k ? " " : ""), args->operands[k]);
    int status = calc_parse_matrix(&c->scores, "SCORES", text, false);
    free(text);
    if (status == CALC_OK && c->scores.rows != 1)
        return calc_fail("SCORES are one list of numbers, without ';'");
    return status;
}

static int parse(void *calc, const calc_args *args)
{
    softmax_calc *c = calc;
    c->temperature = 1.0f;
    const char *t = calc_value(args, "--temperature");
    if (t && calc_parse_positive(&c->temperature, "--temperature", t) != CALC_OK)
        return CALC_USAGE;
    c->plain = calc_given(args, "--plain");
    return parse_scores(c, args);
}

static al_status trace_softmax(al_trace *trace, const softmax_calc *c, al_error *err)
{
    bool with_t = c->temperature != 1.0f;
    float t = c->temperature;
    al_matrix t_matrix = al_matrix_wrap(&t, 1, 1);
    al_tensor_info scores = {.name = "softmax.scores", .role = AL_ROLE_INPUT};
    al_tensor_info temperature = {.name = "softmax.temperature", .role = AL_ROLE_PARAM};
    al_tensor_info weights = {.name = "softmax.weights", .role = AL_ROLE_OUTPUT,
                              .op = "softmax_rows",
                              .inputs = {"softmax.scores", with_t ? "softmax.temperature" : NULL}};
    al_status status = al_trace_matrix(trace, &scores, &c->scores, err);
    if (status == AL_OK && with_t)
        status = al_trace_matrix(trace, &temperature, &t_matrix, err);
    if (status == AL_OK)
        status = al_trace_matrix(trace, &weights, &c->weights, err);
    if (status == AL_OK)
        status = al_trace_softmax_rows(trace, "softmax.weights", &c->scores, t, NULL, err);
    return status;
}

/* Allocate, compute with al_softmax_row, trace. */
static int compute(void *calc, const calc_args *args)
{
    softmax_calc *c = calc;
    int n = c->scores.cols;
    al_error err = {0};
    al_trace *trace;
    if (calc_trace_open(&trace, args) != CALC_OK)
        return CALC_USAGE;
    al_status status = al_matrix_alloc(&c->exps, 1, n, &err);
    if (status == AL_OK)
        status = al_matrix_alloc(&c->weights, 1, n, &err);
    if (status == AL_OK) {
        /* p_j = exp((s_j - max) / T) / sum_k exp((s_k - max) / T) */
        c->steps = al_softmax_row(c->weights.data, c->exps.data, c->scores.data, n,
                                  c->temperature);
        if (trace)
            status = trace_softmax(trace, c, &err);
    }
    if (status == AL_OK && c->plain) {
        status = al_matrix_alloc(&c->plain_exps, 1, n, &err);
        if (status == AL_OK)
            status = al_matrix_alloc(&c->plain_weights, 1, n, &err);
        /* p_j = exp(s_j / T) / sum_k exp(s_k / T), the chapter's form */
        if (status == AL_OK)
            c->plain_sum = al_softmax_row_plain(c->plain_weights.data, c->plain_exps.data,
                                                c->scores.data, n, c->temperature);
    }
    return calc_trace_finish(trace, status, &err);
}

/* ---- text ---------------------------------------------------------------- */

/* The table j | s_j | e_j [| p_j]. */
static void print_values(calc_printer *p, const softmax_calc *c, bool with_probabilities)
{
    int n = c->scores.cols;
    text_table *t = text_table_new(n, with_probabilities ? 4 : 3);
    const char *headers[] = {"j", "s_j", "e_j", "p_j"};
    for (int k = 0; k < (with_probabilities ? 4 : 3); k++)
        text_table_set(t, -1, k, "%s", headers[k]);
    char number[CALC_NUMBER_SIZE];
    for (int j = 0; j < n; j++) {
        text_table_set(t, j, 0, "%d", j);
        text_table_set(t, j, 1, "%s", calc_exact(number, c->scores.data[j]));
        text_table_set(t, j, 2, "%s", calc_fixed(number, c->exps.data[j], p->precision));
        if (with_probabilities)
            text_table_set(t, j, 3, "%s", calc_fixed(number, c->weights.data[j], p->precision));
    }
    calc_table_print(p, t);
}

/* "sum = 1.0000 + 0.3679 + 0.1496 = 1.5175"; just the sum for long rows. */
static void print_sum(calc_printer *p, const softmax_calc *c)
{
    char number[CALC_NUMBER_SIZE];
    int n = c->scores.cols;
    fputs("  sum = ", p->out);
    for (int j = 0; j < n && n <= 6; j++)
        fprintf(p->out, "%s%s", calc_fixed(number, c->exps.data[j], p->precision),
                j + 1 < n ? " + " : " = ");
    fprintf(p->out, "%s\n", calc_fixed(number, c->steps.sum, p->precision));
}

/* Whether the chapter's form came out as numbers: every exp finite and
 * the sum neither 0 nor infinite. */
static bool plain_is_finite(const softmax_calc *c)
{
    return c->plain_sum > 0.0f && isfinite(c->plain_sum);
}

/* --plain: the chapter's form, j | s_j | exp(s_j / T) | p_j, its sum, and
 * why the library does not compute it this way. */
static void print_plain(calc_printer *p, const softmax_calc *c)
{
    char number[CALC_NUMBER_SIZE], max[CALC_NUMBER_SIZE], t[CALC_NUMBER_SIZE];
    bool with_t = c->temperature != 1.0f;
    int n = c->scores.cols;
    calc_exact(max, c->steps.max);
    calc_exact(t, c->temperature);
    calc_step(p, "the chapter's form: no max subtracted",
              with_t ? "p_j = exp(s_j / T) / sum_k exp(s_k / T)"
                     : "p_j = exp(s_j) / sum_k exp(s_k)");
    text_table *table = text_table_new(n, 4);
    const char *headers[] = {"j", "s_j", with_t ? "exp(s_j / T)" : "exp(s_j)", "p_j"};
    for (int k = 0; k < 4; k++)
        text_table_set(table, -1, k, "%s", headers[k]);
    for (int j = 0; j < n; j++) {
        text_table_set(table, j, 0, "%d", j);
        text_table_set(table, j, 1, "%s", calc_exact(number, c->scores.data[j]));
        text_table_set(table, j, 2, "%s", calc_fixed(number, c->plain_exps.data[j], p->precision));
        float pj = c->plain_weights.data[j];
        text_table_set(table, j, 3, "%s", isnan(pj) ? "NaN" : calc_fixed(number, pj, p->precision));
    }
    calc_table_print(p, table);
    fputs("\n  sum = ", p->out);
    for (int j = 0; j < n && n <= 6; j++)
        fprintf(p->out, "%s%s", calc_fixed(number, c->plain_exps.data[j], p->precision),
                j + 1 < n ? " + " : " = ");
    fprintf(p->out, "%s\n\n", calc_fixed(number, c->plain_sum, p->precision));
    if (plain_is_finite(c) && with_t) {
        calc_say(p, "The same probabilities as step 4: exp(s_j / T) = exp((s_j - max) / T) ·");
        calc_say(p, "exp(max / T), and exp(max / T) = exp(%s / %s) cancels between each term", max,
                 t);
        calc_say(p, "and the sum.");
    } else if (plain_is_finite(c)) {
        calc_say(p, "The same probabilities as step 4: exp(s_j) = exp(s_j - max) · exp(max),");
        calc_say(p, "and exp(max) = exp(%s) cancels between each term and the sum.", max);
    } else if (c->plain_sum > 0.0f) {
        calc_say(p, "Here the chapter's form fails in float32: exp(s_j%s) overflows past 3.4e38",
                 with_t ? " / T" : "");
        calc_say(p, "(s_j / T above 88.72), the sum is infinite, and the probabilities come");
        calc_say(p, "out NaN or 0 instead of step 4's.");
    } else {
        calc_say(p, "Here the chapter's form fails in float32: every exp(s_j%s) underflows to",
                 with_t ? " / T" : "");
        calc_say(p, "0 (s_j / T below -103), the sum is 0, and the probabilities come out NaN");
        calc_say(p, "instead of step 4's.");
    }
    calc_say(p, "attnlab's softmax (softmax.h, used by every attention) subtracts the max:");
    calc_say(p, "then every exponential is at most exp(0) = 1 and the sum at least 1, so");
    calc_say(p, "nothing overflows however large the scores, nor divides by 0.");
}

static void print_text(calc_printer *p, const void *calc)
{
    const softmax_calc *c = calc;
    char max[CALC_NUMBER_SIZE], t[CALC_NUMBER_SIZE], equation[200];
    calc_exact(max, c->steps.max);
    calc_exact(t, c->temperature);
    calc_title(p, "softmax of %d score%s at temperature T = %s", c->scores.cols,
               c->scores.cols == 1 ? "" : "s", t);

    calc_step(p, "the largest score", NULL);
    calc_say(p, "max = %s", max);
    calc_say(p, "(subtracting it changes no probability, and keeps every exponential <= 1,");
    calc_say(p, "so that none can overflow)");

    if (c->temperature == 1.0f)
        snprintf(equation, sizeof equation, "e_j = exp(s_j - max) = exp(s_j - %s)", max);
    else
        snprintf(equation, sizeof equation, "e_j = exp((s_j - max) / T) = exp((s_j - %s) / %s)",
                 max, t);
    calc_step(p, "the exponentials", equation);
    print_values(p, c, false);

    calc_step(p, "their sum", NULL);
    print_sum(p, c);

    calc_step(p, "the probabilities", "p_j = e_j / sum   (they add up to 1)");
    print_values(p, c, true);
    if (c->plain)
        print_plain(p, c);
}

/* ---- LaTeX --------------------------------------------------------------- */

static void print_latex(calc_printer *p, const calc_args *args, const void *calc)
{
    const softmax_calc *c = calc;
    char max[CALC_NUMBER_SIZE], t[CALC_NUMBER_SIZE], sum[CALC_NUMBER_SIZE];
    calc_exact(max, c->steps.max);
    calc_exact(t, c->temperature);
    calc_fixed(sum, c->steps.sum, p->precision);
    calc_latex_begin(p, args);
    calc_latex_line(p, "s &= ");
    calc_latex_row(p, &c->scores, 0, true);
    calc_latex_more(p, ", \\qquad \\max_j s_j = %s", max);
    if (c->temperature == 1.0f)
        calc_latex_line(p, "e_j &= \\exp(s_j - %s)", max);
    else
        calc_latex_line(p, "e_j &= \\exp\\bigl((s_j - %s) / %s\\bigr)", max, t);
    calc_latex_line(p, "e &= ");
    calc_latex_row(p, &c->exps, 0, false);
    calc_latex_line(p, "\\textstyle\\sum_j e_j &= %s", sum);
    calc_latex_line(p, "p_j &= e_j / %s", sum);
    calc_latex_line(p, "p &= ");
    calc_latex_row(p, &c->weights, 0, false);
    if (c->plain) {
        char plain_sum[CALC_NUMBER_SIZE];
        calc_latex_number(plain_sum, c->plain_sum, false, p->precision);
        if (c->temperature == 1.0f)
            calc_latex_line(p, "e^{s_j} &= ");
        else
            calc_latex_line(p, "e^{s_j / %s} &= ", t);
        calc_latex_row(p, &c->plain_exps, 0, false);
        calc_latex_more(p, ", \\qquad \\textstyle\\sum_j e^{s_j%s%s} = %s",
                        c->temperature == 1.0f ? "" : " / ", c->temperature == 1.0f ? "" : t,
                        plain_sum);
        calc_latex_line(p, "p &= ");
        calc_latex_row(p, &c->plain_exps, 0, false);
        calc_latex_more(p, " / %s = ", plain_sum);
        calc_latex_row(p, &c->plain_weights, 0, false);
    }
    calc_latex_end(p);
}

const calc_command calc_softmax_command = {
    .name = "softmax",
    .summary = "scores -> exponentials, their sum, probabilities",
    .description = softmax_description,
    .notes = softmax_notes,
    .examples = softmax_examples,
    .options = softmax_options,
    .operands_name = "SCORES",
    .traces = true,
    .calc_size = sizeof(softmax_calc),
    .parse = parse,
    .compute = compute,
    .print_text = print_text,
    .print_latex = print_latex,
    .free_calc = free_calc,
};
