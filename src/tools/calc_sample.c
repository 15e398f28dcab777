/* calc_sample.c: `attnlab-calc sample --probs 0.5,0.2,0.3 --draw 0.6
 * [--temperature T]`: the roulette wheel that turns probabilities and one
 * uniform draw into a token, and the reshaping by a temperature before it;
 * or `--logits LIST`, the scores a model gives, turned into probabilities
 * by the softmax first (as lesson11 does).
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
    "next token. Tokens are numbered from 0. The spin prints the two sums\n"
    "around u to their last digit (the shortest decimal that reads back as\n"
    "the same float32: 0.90000075, where the table's 0.9000 could be either\n"
    "side of 0.9), so the comparison shown is the comparison made.\n"
    "\n"
    "With --temperature T the probabilities are reshaped first:\n"
    "  p'_i = softmax(log p / T)_i = p_i^(1/T) / (sum of p_k^(1/T))\n"
    "T < 1 sharpens them towards the most likely token, T > 1 flattens them\n"
    "towards uniform; T = 1 changes nothing.\n"
    "\n"
    "With --logits instead of --probs, the wheel is the softmax of the logits\n"
    "(at T, default 1), computed as lesson11 computes it: the same logits\n"
    "give the same float32 sums and the same token.\n";

static const char sample_notes[] =
    "trace: sample.probs, sample.cumsum, sample.draw and sample.token; with\n"
    "--temperature, sample.given (as typed), sample.logits (log p) and\n"
    "sample.temperature come first and sample.probs is the reshaped one;\n"
    "with --logits, sample.logits (as typed) comes first.\n";

static const char sample_examples[] =
    "attnlab-calc sample --probs 0.5,0.2,0.3 --draw 0.4\n"
    "attnlab-calc sample --probs 0.5,0.2,0.3 --draw 0.6\n"
    "attnlab-calc sample --probs 0.5,0.2,0.3 --draw 0.6 --temperature 0.5 --labels cat,dog,fish\n"
    "attnlab-calc sample --probs 0.5,0.2,0.3 --draw 0.5 --latex\n"
    "attnlab-calc sample --logits 2,1,0.1 --draw 0.9\n";

static const calc_option sample_options[] = {
    {.name = "--probs", .value_name = "LIST",
     .help = "probabilities >= 0 adding up to 1 (within 1e-6; they\n"
             "are not renormalised, so a typo is caught), e.g.\n"
             "0.5,0.2,0.3; this or --logits"},
    {.name = "--logits", .value_name = "LIST",
     .help = "instead of --probs: scores whose softmax is the wheel,\n"
             "e.g. 2,1,0.1 (lesson11 prints the command for its own)"},
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
    al_matrix given;        /* 1 x V: as typed (--probs)                        */
    al_matrix logits;       /* 1 x V: log p with --temperature; or as typed     */
    al_matrix probs;        /* 1 x V: what the wheel uses (reshaped with T)     */
    al_matrix cumsum;       /* 1 x V                                            */
    float draw;
    float temperature;      /* 0: not given                                     */
    bool from_logits;       /* --logits: logits typed, probs their softmax      */
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

/* --logits: one list of numbers; any real number is a logit. */
static int parse_logits(sample_calc *c, const char *logits)
{
    if (calc_parse_matrix(&c->logits, "--logits", logits, false) != CALC_OK)
        return CALC_USAGE;
    if (c->logits.rows != 1)
        return calc_fail("--logits is one list of numbers, without ';'");
    c->from_logits = true;
    return CALC_OK;
}

/* --probs: one list of probabilities adding up to 1. */
static int parse_probs(sample_calc *c, const char *probs)
{
    if (calc_parse_matrix(&c->given, "--probs", probs, false) != CALC_OK)
        return CALC_USAGE;
    if (c->given.rows != 1)
        return calc_fail("--probs is one list of numbers, without ';'");
    return check_probabilities(&c->given);
}

static int parse(void *calc, const calc_args *args)
{
    sample_calc *c = calc;
    const char *probs = calc_value(args, "--probs"), *logits = calc_value(args, "--logits");
    if (probs && logits)
        return calc_fail("--probs and --logits do not go together: give the probabilities or "
                         "the logits they come from");
    if (!probs && !logits)
        return calc_fail("sample needs --probs LIST or --logits LIST; see 'attnlab-calc sample "
                         "--help'");
    const char *draw = calc_required(args, "--draw");
    if (!draw || (logits ? parse_logits(c, logits) : parse_probs(c, probs)) != CALC_OK ||
        calc_parse_number(&c->draw, "--draw", draw) != CALC_OK)
        return CALC_USAGE;
    if (!(c->draw >= 0.0f && c->draw < 1.0f))
        return calc_fail("--draw must be in [0, 1), not %s", draw);
    const char *t = calc_value(args, "--temperature");
    if (t && calc_parse_positive(&c->temperature, "--temperature", t) != CALC_OK)
        return CALC_USAGE;
    const char *labels = calc_value(args, "--labels");
    if (labels)
        return calc_parse_labels(&c->labels, "--labels", labels,
                                 c->from_logits ? c->logits.cols : c->given.cols);
    return CALC_OK;
}

/* ---- the calculation ----------------------------------------------------- */

/* probs = softmax(logits / T), T = 1 unless given: lesson11's wheel, by the
 * same library call on the same floats. */
static al_status softmax_of_logits(sample_calc *c, al_trace *trace, const char *const *words,
                                   al_error *err)
{
    al_tensor_info logits = {.name = "sample.logits", .role = AL_ROLE_INPUT, .col_labels = words,
                             .note = "the logits as typed"};
    float T = c->temperature > 0.0f ? c->temperature : 1.0f;
    al_status status = al_trace_matrix(trace, &logits, &c->logits, err);
    if (status == AL_OK)
        status = al_temperature_probs(&c->probs, (al_named){&c->logits, "sample.logits", NULL},
                                      T, words, (al_trace_at){trace, "sample"}, err);
    return status;
}

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
    int n = c->from_logits ? c->logits.cols : c->given.cols;
    al_status status = al_matrix_alloc(&c->probs, 1, n, &err);
    if (status == AL_OK)
        status = al_matrix_alloc(&c->cumsum, 1, n, &err);
    if (status == AL_OK && c->from_logits) {
        status = softmax_of_logits(c, trace, words, &err);
    } else if (status == AL_OK && c->temperature > 0.0f) {
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

/* --logits: p = softmax(z / T), the table of z_i and p_i. */
static void print_softmax_of_logits(calc_printer *p, const sample_calc *c)
{
    char t[CALC_NUMBER_SIZE], equation[200], number[CALC_NUMBER_SIZE], text[128];
    if (c->temperature > 0.0f)
        snprintf(equation, sizeof equation, "p_i = exp(z_i / T) / sum_k exp(z_k / T),  T = %s",
                 calc_exact(t, c->temperature));
    else
        snprintf(equation, sizeof equation, "p_i = exp(z_i) / sum_k exp(z_k)");
    calc_step(p, "the probabilities: the softmax of the logits z", equation);
    text_table *table = text_table_new(c->logits.cols, 3);
    const char *headers[] = {"i", "z_i", "p_i"};
    for (int k = 0; k < 3; k++)
        text_table_set(table, -1, k, "%s", headers[k]);
    for (int i = 0; i < c->logits.cols; i++) {
        text_table_set(table, i, 0, "%s", token_text(text, sizeof text, c, i));
        text_table_set(table, i, 1, "%s", calc_exact(number, c->logits.data[i]));
        text_table_set(table, i, 2, "%s", calc_fixed(number, c->probs.data[i], p->precision));
    }
    calc_table_print(p, table);
}

/* The slice of the wheel token i owns: [c_{i-1}, c_i); the chosen token's
 * exact (calc_exact), so that u is seen inside it: [0.8800002, 0.90000075),
 * where the print's precision would say [0.88, 0.9). */
static const char *slice_text(char *text, size_t size, const calc_printer *p,
                              const sample_calc *c, int i)
{
    char from[CALC_NUMBER_SIZE], to[CALC_NUMBER_SIZE];
    float start = i == 0 ? 0.0f : c->cumsum.data[i - 1], end = c->cumsum.data[i];
    if (i == c->token) {
        calc_exact(from, start);
        calc_exact(to, end);
    } else {
        calc_short(from, start, p->precision);
        calc_short(to, end, p->precision);
    }
    snprintf(text, size, "[%s, %s)%s", from, to, c->probs.data[i] == 0.0f ? " empty" : "");
    return text;
}

static void print_wheel(calc_printer *p, const sample_calc *c)
{
    char text[3 * CALC_NUMBER_SIZE], number[CALC_NUMBER_SIZE], draw[CALC_NUMBER_SIZE];
    bool reshaped = c->temperature > 0.0f && !c->from_logits;
    bool computed = c->temperature > 0.0f || c->from_logits;  /* not as typed */
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
        text_table_set(t, i, 1, "%s", computed ? calc_fixed(number, pi, p->precision)
                                                : calc_exact(number, pi));
        text_table_set(t, i, 2, "%s", calc_fixed(number, c->cumsum.data[i], p->precision));
        text_table_set(t, i, 3, "%s", slice_text(text, sizeof text, p, c, i));
        if (i == c->token)
            text_table_set(t, i, 4, "<- u = %s", draw);
    }
    calc_table_print(p, t);
}

/* Why the wheel picked c->token: the two sums around the draw, each
 * written as the shortest decimal that reads back as exactly that float32
 * (calc_exact), so the comparison shown is the comparison made: a sum of
 * 0.90000075 is not shown as 0.9, nor 0.9000 as if it were. */
static void print_choice(calc_printer *p, const sample_calc *c)
{
    char draw[CALC_NUMBER_SIZE], below[CALC_NUMBER_SIZE], above[CALC_NUMBER_SIZE],
        ordinal[CALC_NUMBER_SIZE], token[128];
    int i = c->token;
    calc_exact(draw, c->draw);
    calc_exact(above, c->cumsum.data[i]);
    calc_step(p, "spin: the first i with u < c_i", NULL);
    if (!(c->draw < c->cumsum.data[i])) {
        calc_say(p, "Rounding left the last sum at c = %s, not above u = %s: the last token", above,
                 draw);
        calc_say(p, "with any probability takes the draw.");
    } else if (i == 0) {
        calc_say(p, "u = %s < c_0 = %s", draw, above);
    } else {
        calc_exact(below, c->cumsum.data[i - 1]);
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
    calc_title(p, "roulette wheel: %d %s, draw u = %s", c->probs.cols,
               c->from_logits ? "logits" : "probabilities", calc_exact(draw, c->draw));
    if (c->from_logits)
        print_softmax_of_logits(p, c);
    else if (c->temperature > 0.0f)
        print_reshaping(p, c);
    print_wheel(p, c);
    print_choice(p, c);
}

/* ---- LaTeX --------------------------------------------------------------- */

/* The wheel's first lines: what was typed, u, and the probabilities the
 * wheel uses when they are computed (from logits, or reshaped by T). */
static void print_latex_probabilities(calc_printer *p, const sample_calc *c, const char *draw)
{
    char t[CALC_NUMBER_SIZE];
    calc_exact(t, c->temperature);
    if (c->from_logits) {
        calc_latex_line(p, "z &= ");
        calc_latex_row(p, &c->logits, 0, true);
        calc_latex_more(p, ", \\qquad u = %s", draw);
        if (c->temperature > 0.0f)
            calc_latex_line(p, "p_i &= e^{z_i / T} \\big/ \\textstyle\\sum_k e^{z_k / T}, "
                               "\\quad T = %s", t);
        else
            calc_latex_line(p, "p_i &= e^{z_i} \\big/ \\textstyle\\sum_k e^{z_k}");
        calc_latex_line(p, "p &= ");
        calc_latex_row(p, &c->probs, 0, false);
        return;
    }
    calc_latex_line(p, "p &= ");
    calc_latex_row(p, &c->given, 0, true);
    calc_latex_more(p, ", \\qquad u = %s", draw);
    if (c->temperature > 0.0f) {
        calc_latex_line(p, "p'_i &= p_i^{1/T} \\big/ \\textstyle\\sum_k p_k^{1/T}, \\quad T = %s",
                        t);
        calc_latex_line(p, "p' &= ");
        calc_latex_row(p, &c->probs, 0, false);
    }
}

/* The sums at the print's precision, then the comparison that decided with
 * its numbers exact (calc_exact), as in the text. */
static void print_latex(calc_printer *p, const calc_args *args, const void *calc)
{
    const sample_calc *c = calc;
    char draw[CALC_NUMBER_SIZE], below[CALC_NUMBER_SIZE], above[CALC_NUMBER_SIZE];
    int i = c->token;
    calc_exact(draw, c->draw);
    calc_exact(above, c->cumsum.data[i]);
    calc_latex_begin(p, args);
    print_latex_probabilities(p, c, draw);
    calc_latex_line(p, "c &= ");
    calc_latex_row(p, &c->cumsum, 0, false);
    if (!(c->draw < c->cumsum.data[i])) {
        calc_exact(above, c->cumsum.data[c->cumsum.cols - 1]);
        calc_latex_line(p, "c_%d = %s &\\le u = %s \\;\\Rightarrow\\; i = %d \\quad "
                        "(\\text{rounding: the last token with any probability})",
                        c->cumsum.cols - 1, above, draw, i);
    } else if (i == 0) {
        calc_latex_line(p, "u = %s &< c_%d = %s \\;\\Rightarrow\\; i = %d", draw, i, above, i);
    } else {
        calc_exact(below, c->cumsum.data[i - 1]);
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
