/* calc_sample.c: `attnlab-calc sample --probs 0.5,0.2,0.3 --draw 0.6
 * [--temperature T]`: the roulette wheel that turns probabilities and one
 * uniform draw into a token, and the reshaping by a temperature before it.
 * The library's decoding functions (al_temperature_probs, al_roulette)
 * compute and trace; this file checks what was typed and prints. */
#include <math.h>
#include <stdlib.h>

#include "attnlab/decoding.h"
#include "calc.h"
#include "calc_print.h"

static const char sample_description[] =
    "The roulette wheel of sampling: lay the probabilities end to end (the\n"
    "cumulative sums c_i = p_0 + ... + p_i), then the draw u picks the first\n"
    "token i with u < c_i. With probabilities 0.5, 0.2, 0.3 the sums are 0.5,\n"
    "0.7, 1: a draw of 0.4 picks token 0 (the first), a draw of 0.6 picks\n"
    "token 1 (the second), and a draw exactly on a sum (0.5) belongs to the\n"
    "next token. Tokens are numbered from 0.\n"
    "\n"
    "With --temperature T the probabilities are reshaped first:\n"
    "  p'_i = softmax(log p / T)_i = p_i^(1/T) / (sum of p_k^(1/T))\n"
    "T < 1 sharpens them towards the most likely token, T > 1 flattens them\n"
    "towards uniform; T = 1 changes nothing.\n";

static const char sample_notes[] =
    "trace: sample.probs, sample.cumsum, sample.draw and sample.token; with\n"
    "--temperature, sample.given (as typed), sample.logits (log p) and\n"
    "sample.temperature come first and sample.probs is the reshaped one.\n";

static const char sample_examples[] =
    "attnlab-calc sample --probs 0.5,0.2,0.3 --draw 0.4\n"
    "attnlab-calc sample --probs 0.5,0.2,0.3 --draw 0.6\n"
    "attnlab-calc sample --probs 0.5,0.2,0.3 --draw 0.6 --temperature 0.5 --labels cat,dog,fish\n"
    "attnlab-calc sample --probs 0.5,0.2,0.3 --draw 0.5 --latex\n";

static const calc_option sample_options[] = {
    {.name = "--probs", .value_name = "LIST", .required = true,
     .help = "probabilities >= 0 adding up to 1 (within 1e-6; they\n"
             "are not renormalised, so a typo is caught), e.g.\n"
             "0.5,0.2,0.3"},
    {.name = "--draw", .value_name = "U", .required = true,
     .help = "the uniform draw, 0 <= U < 1"},
    {.name = "--temperature", .value_name = "T",
     .help = "reshape the probabilities first; T > 0"},
    {.name = "--labels", .value_name = "LIST", .help = "names of the tokens, e.g. cat,dog,fish"},
    {0},
};

/* How far the typed probabilities may add up from 1: 1e-6 for what was
 * typed, plus the rounding of each to float32 (at most 2^-25 for a number
 * below 1). */
#define SUM_TOLERANCE 1e-6
#define FLOAT_ROUNDING 0x1p-25

/* What was typed and what the library computed from it. */
typedef struct sample_calc {
    al_matrix given;        /* 1 x V: as typed                                  */
    al_matrix logits;       /* 1 x V: log p, with --temperature                 */
    al_matrix probs;        /* 1 x V: what the wheel uses (reshaped with T)     */
    al_matrix cumsum;       /* 1 x V                                            */
    float draw;
    float temperature;      /* 0: not given                                     */
    int token;
    char **labels;          /* V, or NULL                                       */
} sample_calc;

static void free_calc(void *calc)
{
    sample_calc *c = calc;
    al_matrix_free(&c->given);
    al_matrix_free(&c->logits);
    al_matrix_free(&c->probs);
    al_matrix_free(&c->cumsum);
    free(c->labels);
}

/* ---- the command line ---------------------------------------------------- */

/* Each probability >= 0, and together 1 within the tolerance. Not
 * renormalised: a list that does not add up to 1 is more likely a typo than
 * a wish. */
static int check_probabilities(const al_matrix *p)
{
    double sum = 0.0;
    for (int i = 0; i < p->cols; i++) {
        if (p->data[i] < 0.0f)
            return calc_fail("--probs: probability %d is %g; probabilities are >= 0", i,
                             (double)p->data[i]);
        sum += p->data[i];
    }
    if (fabs(sum - 1.0) > SUM_TOLERANCE + p->cols * FLOAT_ROUNDING)
        return calc_fail("--probs add up to %.9g, not 1 (within 1e-6)", sum);
    return CALC_OK;
}

static int parse(void *calc, const calc_args *args)
{
    sample_calc *c = calc;
    const char *probs = calc_required(args, "--probs");
    const char *draw = probs ? calc_required(args, "--draw") : NULL;
    if (!draw || calc_parse_matrix(&c->given, "--probs", probs, false) != CALC_OK)
        return CALC_USAGE;
    if (c->given.rows != 1)
        return calc_fail("--probs is one list of numbers, without ';'");
    if (check_probabilities(&c->given) != CALC_OK ||
        calc_parse_number(&c->draw, "--draw", draw) != CALC_OK)
        return CALC_USAGE;
    if (!(c->draw >= 0.0f && c->draw < 1.0f))
        return calc_fail("--draw must be in [0, 1), not %s", draw);
    const char *t = calc_value(args, "--temperature");
    if (t && calc_parse_positive(&c->temperature, "--temperature", t) != CALC_OK)
        return CALC_USAGE;
    const char *labels = calc_value(args, "--labels");
    if (labels)
        return calc_parse_labels(&c->labels, "--labels", labels, c->given.cols);
    return CALC_OK;
}

/* ---- the calculation ----------------------------------------------------- */

/* probs = softmax(log p / T) = p^(1/T) renormalised, by the library's
 * temperature softmax. It takes logits, so the typed probabilities are
 * handed over as their logarithms: log 0 = -inf is a token ruled out. */
static al_status reshape(sample_calc *c, al_trace *trace, const char *const *words,
                         al_error *err)
{
    al_status status = al_matrix_alloc(&c->logits, 1, c->given.cols, err);
    if (status != AL_OK)
        return status;
    for (int i = 0; i < c->given.cols; i++)
        c->logits.data[i] = logf(c->given.data[i]);
    al_tensor_info given = {.name = "sample.given", .role = AL_ROLE_INPUT, .col_labels = words,
                            .note = "the probabilities as typed"};
    al_tensor_info logits = {.name = "sample.logits", .role = AL_ROLE_INPUT, .op = "log",
                             .inputs = {"sample.given"}, .col_labels = words,
                             .note = "log p: logits whose softmax is p (null: log 0)"};
    status = al_trace_matrix(trace, &given, &c->given, err);
    if (status == AL_OK)
        status = al_trace_matrix(trace, &logits, &c->logits, err);
    if (status == AL_OK)
        status = al_temperature_probs(&c->probs, (al_named){&c->logits, "sample.logits", NULL},
                                      c->temperature, words, (al_trace_at){trace, "sample"}, err);
    return status;
}

static int compute(void *calc, const calc_args *args)
{
    sample_calc *c = calc;
    al_trace *trace;
    if (calc_trace_open(&trace, args) != CALC_OK)
        return CALC_USAGE;
    const char *const *words = (const char *const *)c->labels;
    al_error err = {0};
    int n = c->given.cols;
    al_status status = al_matrix_alloc(&c->probs, 1, n, &err);
    if (status == AL_OK)
        status = al_matrix_alloc(&c->cumsum, 1, n, &err);
    if (status == AL_OK && c->temperature > 0.0f) {
        status = reshape(c, trace, words, &err);
    } else if (status == AL_OK) {
        al_tensor_info probs = {.name = "sample.probs", .role = AL_ROLE_INPUT,
                                .col_labels = words};
        status = al_copy(&c->probs, &c->given, &err);
        if (status == AL_OK)
            status = al_trace_matrix(trace, &probs, &c->probs, &err);
    }
    /* cumsum_i = p_0 + ... + p_i; token = the first i with draw < cumsum_i */
    if (status == AL_OK)
        status = al_roulette(&c->token, &c->cumsum, &c->probs, c->draw, words,
                             (al_trace_at){trace, "sample"}, &err);
    return calc_trace_finish(trace, status, &err);
}

/* ---- text ---------------------------------------------------------------- */

/* "1 (dog)" or "1". */
static const char *token_text(char *text, size_t size, const sample_calc *c, int i)
{
    if (c->labels)
        snprintf(text, size, "%d (%s)", i, c->labels[i]);
    else
        snprintf(text, size, "%d", i);
    return text;
}

static void print_reshaping(calc_printer *p, const sample_calc *c)
{
    char t[CALC_NUMBER_SIZE], equation[200], number[CALC_NUMBER_SIZE], text[128];
    snprintf(equation, sizeof equation, "p'_i = softmax(log p / T)_i = p_i^(1/T) / sum_k p_k^(1/T),"
             "  T = %s", calc_exact(t, c->temperature));
    calc_step(p, "reshape the probabilities by the temperature", equation);
    text_table *table = text_table_new(c->given.cols, 4);
    const char *headers[] = {"i", "p_i", "log p_i", "p'_i"};
    for (int k = 0; k < 4; k++)
        text_table_set(table, -1, k, "%s", headers[k]);
    for (int i = 0; i < c->given.cols; i++) {
        text_table_set(table, i, 0, "%s", token_text(text, sizeof text, c, i));
        text_table_set(table, i, 1, "%s", calc_exact(number, c->given.data[i]));
        text_table_set(table, i, 2, "%s", calc_fixed(number, c->logits.data[i], p->precision));
        text_table_set(table, i, 3, "%s", calc_fixed(number, c->probs.data[i], p->precision));
    }
    calc_table_print(p, table);
    fputc('\n', p->out);
    calc_say(p, "T < 1 sharpens the probabilities towards the most likely token, T > 1");
    calc_say(p, "flattens them towards uniform. The wheel below uses p'.");
}

/* The slice of the wheel token i owns: [c_{i-1}, c_i). */
static const char *slice_text(char *text, size_t size, const calc_printer *p,
                              const sample_calc *c, int i)
{
    char from[CALC_NUMBER_SIZE], to[CALC_NUMBER_SIZE];
    calc_short(from, i == 0 ? 0.0f : c->cumsum.data[i - 1], p->precision);
    calc_short(to, c->cumsum.data[i], p->precision);
    snprintf(text, size, "[%s, %s)%s", from, to, c->probs.data[i] == 0.0f ? " empty" : "");
    return text;
}

static void print_wheel(calc_printer *p, const sample_calc *c)
{
    char text[3 * CALC_NUMBER_SIZE], number[CALC_NUMBER_SIZE], draw[CALC_NUMBER_SIZE];
    bool reshaped = c->temperature > 0.0f;
    calc_exact(draw, c->draw);
    calc_step(p, "lay the probabilities end to end: the cumulative sums",
              reshaped ? "c_i = p'_0 + p'_1 + ... + p'_i" : "c_i = p_0 + p_1 + ... + p_i");
    text_table *t = text_table_new(c->probs.cols, 5);
    const char *headers[] = {"i", reshaped ? "p'_i" : "p_i", "c_i", "slice of the wheel", ""};
    for (int k = 0; k < 5; k++)
        text_table_set(t, -1, k, "%s", headers[k]);
    text_table_align(t, 3, TEXT_LEFT);
    text_table_align(t, 4, TEXT_LEFT);
    for (int i = 0; i < c->probs.cols; i++) {
        float pi = c->probs.data[i];
        text_table_set(t, i, 0, "%s", token_text(text, sizeof text, c, i));
        text_table_set(t, i, 1, "%s", reshaped ? calc_fixed(number, pi, p->precision)
                                                : calc_exact(number, pi));
        text_table_set(t, i, 2, "%s", calc_fixed(number, c->cumsum.data[i], p->precision));
        text_table_set(t, i, 3, "%s", slice_text(text, sizeof text, p, c, i));
        if (i == c->token)
            text_table_set(t, i, 4, "<- u = %s", draw);
    }
    calc_table_print(p, t);
}

/* Why the wheel picked c->token: the two sums around the draw. */
static void print_choice(calc_printer *p, const sample_calc *c)
{
    char draw[CALC_NUMBER_SIZE], below[CALC_NUMBER_SIZE], above[CALC_NUMBER_SIZE],
        ordinal[CALC_NUMBER_SIZE], token[128];
    int i = c->token;
    calc_exact(draw, c->draw);
    calc_short(above, c->cumsum.data[i], p->precision);
    calc_step(p, "spin: the first i with u < c_i", NULL);
    if (!(c->draw < c->cumsum.data[i])) {
        calc_say(p, "Rounding left the last sum at c = %s, not above u = %s: the last token", above,
                 draw);
        calc_say(p, "with any probability takes the draw.");
    } else if (i == 0) {
        calc_say(p, "u = %s < c_0 = %s", draw, above);
    } else {
        calc_short(below, c->cumsum.data[i - 1], p->precision);
        calc_say(p, "c_%d = %s <= u = %s < c_%d = %s", i - 1, below, draw, i, above);
        if (c->draw == c->cumsum.data[i - 1])
            calc_say(p, "(u is exactly c_%d: a draw on a boundary belongs to the next token)",
                     i - 1);
    }
    fprintf(p->out, "\n  the wheel picks token %s, the %s\n", token_text(token, sizeof token, c, i),
            calc_ordinal(ordinal, i));
}

static void print_text(calc_printer *p, const void *calc)
{
    const sample_calc *c = calc;
    char draw[CALC_NUMBER_SIZE];
    calc_title(p, "roulette wheel: %d probabilities, draw u = %s", c->given.cols,
               calc_exact(draw, c->draw));
    if (c->temperature > 0.0f)
        print_reshaping(p, c);
    print_wheel(p, c);
    print_choice(p, c);
}

/* ---- LaTeX --------------------------------------------------------------- */

static void print_latex(calc_printer *p, const calc_args *args, const void *calc)
{
    const sample_calc *c = calc;
    char draw[CALC_NUMBER_SIZE], t[CALC_NUMBER_SIZE], below[CALC_NUMBER_SIZE],
        above[CALC_NUMBER_SIZE];
    int i = c->token;
    calc_exact(draw, c->draw);
    calc_short(above, c->cumsum.data[i], p->precision);
    calc_latex_begin(p, args);
    calc_latex_line(p, "p &= ");
    calc_latex_row(p, &c->given, 0, true);
    calc_latex_more(p, ", \\qquad u = %s", draw);
    if (c->temperature > 0.0f) {
        calc_latex_line(p, "p'_i &= p_i^{1/T} \\big/ \\textstyle\\sum_k p_k^{1/T}, \\quad T = %s",
                        calc_exact(t, c->temperature));
        calc_latex_line(p, "p' &= ");
        calc_latex_row(p, &c->probs, 0, false);
    }
    calc_latex_line(p, "c &= ");
    calc_latex_row(p, &c->cumsum, 0, false);
    if (i == 0 || !(c->draw < c->cumsum.data[i])) {
        calc_latex_line(p, "u = %s &< c_%d = %s \\;\\Rightarrow\\; i = %d", draw, i, above, i);
    } else {
        calc_short(below, c->cumsum.data[i - 1], p->precision);
        calc_latex_line(p, "c_%d = %s \\le u = %s &< c_%d = %s \\;\\Rightarrow\\; i = %d", i - 1,
                        below, draw, i, above, i);
    }
    calc_latex_end(p);
}

const calc_command calc_sample_command = {
    .name = "sample",
    .summary = "probabilities and a draw -> cumulative sums, the roulette's token",
    .description = sample_description,
    .notes = sample_notes,
    .examples = sample_examples,
    .options = sample_options,
    .traces = true,
    .calc_size = sizeof(sample_calc),
    .parse = parse,
    .compute = compute,
    .print_text = print_text,
    .print_latex = print_latex,
    .free_calc = free_calc,
};
