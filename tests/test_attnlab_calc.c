/* test_attnlab_calc.c: the attnlab-calc program (src/tools), run as a
 * student would run it: the numbers each subcommand prints (the chapter's
 * examples, and values recomputed here from the formulas), its LaTeX, the
 * traces it writes (read back with the trace reader), its refusals of bad
 * input, and the examples of its --help.
 *
 * Arguments (from tests/meson.build): the attnlab-calc program, and a
 * folder where the traces may be written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "attnlab/trace_file.h"
#include "check.h"
#include "run_program.h"

typedef struct test_paths {
    const char *program;
    const char *scratch;  /* where traces go */
} test_paths;

#define PATH_SIZE 4096

/* Numbers printed with --precision 6 are rounded to half a unit in the 6th
 * decimal (5e-7); float32 adds at most 6e-8 for values below 1. */
#define SIX_DECIMALS 6e-7
/* The same for the default 4 decimals. */
/* A float32 value computed through a few roundings (log, exp, a division),
 * each about 6e-8 for numbers below 1, against the exact formula. */
#define FLOAT_ROUNDINGS 1e-6

/* Run attnlab-calc with the arguments after paths, ending with NULL. */
#define run_calc(result, paths, ...)                                                      \
    assert_int_equal(run_program_args(&(result), NULL, (paths)->program, __VA_ARGS__, NULL), 0)

#define assert_contains(text, expected)                                                   \
    do {                                                                                  \
        if (!strstr((text), (expected))) {                                                \
            fail_msg("output does not contain \"%s\"; it is:\n%s", (expected), (text));   \
        }                                                                                 \
    } while (0)

/* A run that worked: exit 0, nothing on stderr. */
static void assert_success(const run_result *r)
{
    if (r->exit_code != 0 || r->err_length != 0)
        fail_msg("exit %d, stderr: %s", r->exit_code, r->err);
}

static const char *scratch_file(char path[PATH_SIZE], const test_paths *paths, const char *name)
{
    snprintf(path, PATH_SIZE, "%s/%s", paths->scratch, name);
    unlink(path);
    return path;
}

/* ---- reading numbers out of the printout -----------------------------------------
 * Tables print one row per line, cells separated by spaces. table_cell finds,
 * after the first occurrence of marker (e.g. "Step 4:"), the first line whose
 * first cell is row, and returns cell col of it as a number. */

static double table_cell(const char *out, const char *marker, const char *row, int col)
{
    const char *at = strstr(out, marker);
    if (!at)
        fail_msg("no \"%s\" in:\n%s", marker, out);
    for (const char *line = strchr(at, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        char first[64], cells[8][64];
        if (sscanf(line + 1, "%63s", first) != 1 || strcmp(first, row) != 0)
            continue;
        int n = sscanf(line + 1, "%63s %63s %63s %63s %63s %63s %63s %63s", cells[0], cells[1],
                       cells[2], cells[3], cells[4], cells[5], cells[6], cells[7]);
        if (col >= n)
            fail_msg("row %s after \"%s\" has no cell %d", row, marker, col);
        return strtod(cells[col], NULL);
    }
    fail_msg("no row \"%s\" after \"%s\" in:\n%s", row, marker, out);
    return 0.0;
}

/* The number right after text (e.g. "retrieved value: "). */
static double number_after(const char *out, const char *text)
{
    const char *at = strstr(out, text);
    if (!at)
        fail_msg("no \"%s\" in:\n%s", text, out);
    return strtod(at + strlen(text), NULL);
}

/* ---- softmax ------------------------------------------------------------- */

static void softmax_of_the_chapter_example(void **state)
{
    run_result r;
    run_calc(r, (const test_paths *)*state, "softmax", "2.0", "1.0", "0.1", "--precision", "3");
    assert_success(&r);
    /* e = exp(0), exp(-1), exp(-1.9) = 1, 0.3679, 0.1496; sum 1.5174;
     * p = 0.659, 0.242, 0.099 */
    assert_contains(r.out, "max = 2\n");
    assert_contains(r.out, "\n  0    2  1.000  0.659\n");
    assert_contains(r.out, "\n  1    1  0.368  0.242\n");
    assert_contains(r.out, "\n  2  0.1  0.150  0.099\n");
    run_result_free(&r);
}

/* Every step, to 6 decimals, against the formula computed here in double. */
static void softmax_steps_follow_the_formula(void **state, const char *t_text, double t)
{
    const double s[3] = {2.0, 1.0, 0.1};
    run_result r;
    run_calc(r, (const test_paths *)*state, "softmax", "2", "1", "0.1", "--temperature", t_text,
             "--precision", "6");
    assert_success(&r);
    double e[3], sum = 0.0;
    for (int j = 0; j < 3; j++) {
        e[j] = exp((s[j] - 2.0) / t);
        sum += e[j];
    }
    const char *rows[3] = {"0", "1", "2"};
    for (int j = 0; j < 3; j++) {
        assert_close(table_cell(r.out, "Step 2:", rows[j], 2), e[j], SIX_DECIMALS);
        assert_close(table_cell(r.out, "Step 4:", rows[j], 3), e[j] / sum, SIX_DECIMALS);
    }
    assert_close(number_after(strstr(r.out, "Step 3:"), " = 1.000000 + "), e[1], SIX_DECIMALS);
    run_result_free(&r);
}

static void softmax_at_temperature_one(void **state)
{
    softmax_steps_follow_the_formula(state, "1", 1.0);
}

static void softmax_at_temperature_one_half_sharpens(void **state)
{
    softmax_steps_follow_the_formula(state, "0.5", 0.5);
}

static void softmax_at_temperature_ten_flattens(void **state)
{
    softmax_steps_follow_the_formula(state, "10", 10.0);
}

static void softmax_takes_negative_scores_and_commas(void **state)
{
    run_result r;
    /* "-1" is a score, not an option; "2," and "3" join one list. */
    run_calc(r, (const test_paths *)*state, "softmax", "-1", "2,", "3", "--precision", "6");
    assert_success(&r);
    double sum = exp(-4.0) + exp(-1.0) + 1.0;
    assert_close(table_cell(r.out, "Step 4:", "0", 3), exp(-4.0) / sum, SIX_DECIMALS);
    assert_close(table_cell(r.out, "Step 4:", "2", 3), 1.0 / sum, SIX_DECIMALS);
    run_result_free(&r);
}

/* ---- retrieve ------------------------------------------------------------ */

/* keys 70, 80; values 1000, 1500; similarity 1 / |k - q|. */
static void retrieve_query_75_gives_1250(void **state)
{
    run_result r;
    run_calc(r, (const test_paths *)*state, "retrieve", "--keys", "70,80", "--values",
             "1000,1500", "--query", "75");
    assert_success(&r);
    /* s = 1/5, 1/5; sum 0.4; w = 0.5, 0.5; 0.5 · 1000 + 0.5 · 1500 = 1250 */
    assert_contains(r.out, "\n  0   70  0.2000\n  1   80  0.2000\n");
    assert_contains(r.out, "sum = 0.4000");
    assert_contains(r.out, "\n  0  0.2000  0.5000\n  1  0.2000  0.5000\n");
    assert_contains(r.out, "0.5 · 1000 + 0.5 · 1500 = 1250\n");
    assert_contains(r.out, "retrieved value: 1250\n");
    run_result_free(&r);
}

static void retrieve_query_72_gives_1100(void **state)
{
    run_result r;
    run_calc(r, (const test_paths *)*state, "retrieve", "--keys", "70,80", "--values",
             "1000,1500", "--query", "72");
    assert_success(&r);
    /* s = 1/2, 1/8; sum 0.625; w = 0.8, 0.2; 0.8 · 1000 + 0.2 · 1500 = 1100 */
    assert_contains(r.out, "\n  0   70  0.5000\n  1   80  0.1250\n");
    assert_contains(r.out, "\n  0  0.5000  0.8000\n  1  0.1250  0.2000\n");
    assert_contains(r.out, "retrieved value: 1100\n");
    run_result_free(&r);
}

/* 1e-45 is float32's smallest subnormal (1.4e-45), not 0: the query is
 * not key 0, but 1 / 1.4e-45 overflows float32, so the exact-match rule
 * takes key 0, and the printout says why rather than "equals". */
static void retrieve_query_a_subnormal_from_a_key_says_so(void **state)
{
    run_result r;
    run_calc(r, (const test_paths *)*state, "retrieve", "--keys", "0,1", "--values", "1,2",
             "--query", "1e-45");
    assert_success(&r);
    assert_contains(r.out, "The query is 1.40129846e-45 from key 0 (0), so near that");
    if (strstr(r.out, "equals key 0"))
        fail_msg("the printout says the query equals key 0:\n%s", r.out);
    assert_contains(r.out, "retrieved value: 1\n");
    run_result_free(&r);
}

static void retrieve_query_on_a_key_gives_its_value_exactly(void **state)
{
    run_result r;
    run_calc(r, (const test_paths *)*state, "retrieve", "--keys", "70,80", "--values",
             "1000,1500", "--query", "70", "--precision", "9");
    assert_success(&r);
    assert_contains(r.out, "The query equals key 0 (70) exactly.");
    /* The matching key takes all the weight; the other is masked, the word
     * lesson02 prints for it (not -inf). */
    assert_contains(r.out, "\n  0  1.000000000  1.000000000\n  1       masked  0.000000000\n");
    assert_contains(r.out, "  1   80       masked\n");
    assert_contains(r.out, "other keys are masked: left out, weight exactly 0.\n");
    assert_contains(r.out, "sum = 1.000000000  (masked keys count as 0)\n");
    assert_contains(r.out, "retrieved value: 1000\n");
    if (strstr(r.out, "inf\n") || strstr(r.out, "-inf"))
        fail_msg("the printout shows -inf:\n%s", r.out);
    run_result_free(&r);

    run_calc(r, (const test_paths *)*state, "retrieve", "--keys", "70,80", "--values",
             "1000,1500", "--query", "70", "--latex");
    assert_contains(r.out, "  s_1 &= \\text{masked} \\quad (\\text{weight } 0) \\\\\n");
    assert_contains(r.out, "  w_1 &= 0 \\quad (\\text{masked}) \\\\\n");
    run_result_free(&r);
}

/* Keys 70 and 70 holding 1 and 2, query 70: on both keys, each scores 1,
 * weights 1/2 each, value (1 + 2) / 2 = 1.5, and no key is left to mask. */
static void retrieve_query_on_two_equal_keys_shares_the_weight(void **state)
{
    run_result r;
    run_calc(r, (const test_paths *)*state, "retrieve", "--keys", "70,70", "--values", "1,2",
             "--query", "70");
    assert_success(&r);
    assert_contains(r.out, "The query equals 2 keys exactly.");
    assert_contains(r.out, "So they share the weight equally;\n  there is no other key to mask.\n");
    assert_contains(r.out, "  w_j = s_j / sum,  sum = 2.0000\n");
    assert_contains(r.out, "\n  0  1.0000  0.5000\n  1  1.0000  0.5000\n");
    assert_contains(r.out, "retrieved value: 1.5\n");
    if (strstr(r.out, "masked"))
        fail_msg("nothing is masked, but the printout says so:\n%s", r.out);
    run_result_free(&r);
}

/* Without --sigma the Gaussian is lesson02's, sigma = 5: query 72 scores
 * key 70 exp(-2^2 / 50) = 0.923116 and key 80 exp(-8^2 / 50) = 0.278037
 * (sigma 1 would give 0.135335 and 1.3e-14). */
static void retrieve_gaussian_sigma_defaults_to_lesson02s(void **state)
{
    run_result r;
    run_calc(r, (const test_paths *)*state, "retrieve", "--keys", "70,80", "--values",
             "1000,1500", "--query", "72", "--similarity", "gaussian", "--precision", "6");
    assert_success(&r);
    assert_contains(r.out, "s_j = exp(-(k_j - q)^2 / (2 sigma^2)),  sigma = 5\n");
    assert_close(table_cell(r.out, "Step 2:", "0", 2), exp(-4.0 / 50.0), SIX_DECIMALS);
    assert_close(table_cell(r.out, "Step 2:", "1", 2), exp(-64.0 / 50.0), SIX_DECIMALS);
    run_result_free(&r);
}

static void retrieve_gaussian_follows_the_formula(void **state)
{
    run_result r;
    run_calc(r, (const test_paths *)*state, "retrieve", "--keys", "70,80", "--values",
             "1000,1500", "--query", "72", "--similarity", "gaussian", "--sigma", "5",
             "--precision", "6");
    assert_success(&r);
    /* s_j = exp(-(k_j - 72)^2 / 50) */
    double s0 = exp(-4.0 / 50.0), s1 = exp(-64.0 / 50.0);
    double w0 = s0 / (s0 + s1), w1 = s1 / (s0 + s1);
    assert_close(table_cell(r.out, "Step 2:", "0", 2), s0, SIX_DECIMALS);
    assert_close(table_cell(r.out, "Step 2:", "1", 2), s1, SIX_DECIMALS);
    assert_close(table_cell(r.out, "Step 3:", "0", 2), w0, SIX_DECIMALS);
    /* The value is about 1000, so float32 holds it to 6e-5. */
    assert_close(number_after(r.out, "\n  retrieved value: "), w0 * 1000 + w1 * 1500, 1e-4);
    run_result_free(&r);
}

static void retrieve_dot_with_vectors_uses_softmax(void **state)
{
    run_result r;
    run_calc(r, (const test_paths *)*state, "retrieve", "--keys", "1 0; 0 1", "--values",
             "10 1; 20 2", "--query", "2 1", "--similarity", "dot", "--precision", "6");
    assert_success(&r);
    /* s = k · q = 2, 1; w = softmax = e^0, e^-1 over their sum */
    double w0 = 1.0 / (1.0 + exp(-1.0)), w1 = 1.0 - w0;
    assert_contains(r.out, "\n  0  (1, 0)  2.000000\n  1  (0, 1)  1.000000\n");
    assert_close(table_cell(r.out, "Step 3:", "0", 3), w0, SIX_DECIMALS);
    assert_close(table_cell(r.out, "Step 3:", "1", 3), w1, SIX_DECIMALS);
    char expected[64];
    snprintf(expected, sizeof expected, "retrieved value: (%.4f, %.4f)", 10 * w0 + 20 * w1,
             w0 + 2 * w1);
    run_result_free(&r);
    run_calc(r, (const test_paths *)*state, "retrieve", "--keys", "1 0; 0 1", "--values",
             "10 1; 20 2", "--query", "2 1", "--similarity", "dot");
    assert_contains(r.out, expected);
    run_result_free(&r);
}

/* ---- attention ----------------------------------------------------------- */

static void attention_causal_by_hand(void **state)
{
    run_result r;
    /* Q = K = I, V = (1 2; 3 4), no scaling: scores = I.
     * Causal: row 0 sees key 0 only -> weights (1, 0), out (1, 2).
     * Row 1: softmax(0, 1) = (1, e) / (1 + e) -> out = (1 + 3e, 2 + 4e) / (1 + e). */
    run_calc(r, (const test_paths *)*state, "attention", "--q", "1 0; 0 1", "--k", "1 0; 0 1",
             "--v", "1 2; 3 4", "--mask", "causal", "--no-scale", "--labels", "The,cat",
             "--precision", "6");
    assert_success(&r);
    double e = exp(1.0), a = 1.0 / (1.0 + e), b = e / (1.0 + e);
    assert_contains(r.out, "\n  M  attention.mask  (2 x 2)\n       The  cat\n"
                           "  The    1    0\n  cat    1    1\n");
    assert_contains(r.out, "\n  The  1.000000      -inf\n");
    assert_contains(r.out, "\n  The  1.000000  0.000000\n");
    assert_close(table_cell(r.out, "attention.weights", "cat", 1), a, SIX_DECIMALS);
    assert_close(table_cell(r.out, "attention.weights", "cat", 2), b, SIX_DECIMALS);
    assert_close(table_cell(r.out, "attention.out", "The", 1), 1.0, SIX_DECIMALS);
    assert_close(table_cell(r.out, "attention.out", "cat", 1), a * 1 + b * 3, 4 * SIX_DECIMALS);
    assert_close(table_cell(r.out, "attention.out", "cat", 2), a * 2 + b * 4, 4 * SIX_DECIMALS);
    run_result_free(&r);
}

static void attention_scales_by_the_root_of_d_k(void **state)
{
    run_result r;
    /* q = (1 1), keys (1 0), (0 1), (1 1): scores 1, 1, 2; d_k = 2, so
     * scaled = 1/√2, 1/√2, 2/√2; weights their softmax. */
    run_calc(r, (const test_paths *)*state, "attention", "--q", "1 1", "--k", "1 0; 0 1; 1 1",
             "--v", "1; 2; 3", "--labels", "q", "--key-labels", "a,b,c", "--precision", "6");
    assert_success(&r);
    assert_contains(r.out, "scaled = scores / sqrt(d_k) = scores / sqrt(2)");
    double s[3] = {1 / sqrt(2.0), 1 / sqrt(2.0), 2 / sqrt(2.0)}, sum = 0.0, out = 0.0;
    for (int j = 0; j < 3; j++)
        sum += exp(s[j]);
    for (int j = 0; j < 3; j++)
        out += exp(s[j]) / sum * (j + 1);
    assert_close(table_cell(r.out, "attention.scaled", "q", 3), s[2], SIX_DECIMALS);
    assert_close(table_cell(r.out, "attention.weights", "q", 3), exp(s[2]) / sum, SIX_DECIMALS);
    assert_close(table_cell(r.out, "attention.out", "q", 1), out, 4 * SIX_DECIMALS);
    run_result_free(&r);
}

/* ---- sample -------------------------------------------------------------- */

/* The token the wheel picks for probabilities 0.5, 0.2, 0.3 (sums 0.5, 0.7, 1). */
static void assert_roulette_picks(void **state, const char *draw, const char *expected)
{
    run_result r;
    run_calc(r, (const test_paths *)*state, "sample", "--probs", "0.5,0.2,0.3", "--draw", draw);
    assert_success(&r);
    assert_contains(r.out, expected);
    run_result_free(&r);
}

static void roulette_draw_04_picks_the_first(void **state)
{
    assert_roulette_picks(state, "0.4", "the wheel picks token 0, the first\n");
    assert_roulette_picks(state, "0.4", "u = 0.4 < c_0 = 0.5\n");
}

static void roulette_draw_06_picks_the_second(void **state)
{
    assert_roulette_picks(state, "0.6", "the wheel picks token 1, the second\n");
    assert_roulette_picks(state, "0.6", "c_0 = 0.5 <= u = 0.6 < c_1 = 0.7\n");
    assert_roulette_picks(state, "0.6", "\n  0  0.5  0.5000  [0, 0.5)\n");
    assert_roulette_picks(state, "0.6", "\n  1  0.2  0.7000  [0.5, 0.7)          <- u = 0.6\n");
}

static void roulette_draw_on_a_boundary_belongs_to_the_next_token(void **state)
{
    /* 0.5 is c_0 exactly: 0.5 < 0.5 is false, so token 1. */
    assert_roulette_picks(state, "0.5", "the wheel picks token 1, the second\n");
    assert_roulette_picks(state, "0.5", "(u is exactly c_0: a draw on a boundary belongs to the "
                                        "next token)\n");
    /* c_1 = 0.5f + 0.2f rounds to 0.7f exactly (0.70000000298 is nearer to
     * 0.69999998808 than to the next float up, 0.70000004768), so a draw of
     * 0.7 is on the boundary too and picks token 2. */
    assert_roulette_picks(state, "0.7", "the wheel picks token 2, the third\n");
    assert_roulette_picks(state, "0", "the wheel picks token 0, the first\n");
    assert_roulette_picks(state, "0.999999", "the wheel picks token 2, the third\n");
}

static void roulette_with_temperature_reshapes_first(void **state)
{
    const double p[3] = {0.5, 0.2, 0.3}, t = 0.5;
    run_result r;
    run_calc(r, (const test_paths *)*state, "sample", "--probs", "0.5,0.2,0.3", "--draw", "0.6",
             "--temperature", "0.5", "--labels", "cat,dog,fish", "--precision", "6");
    assert_success(&r);
    /* p'_i = p_i^(1/T) / sum_k p_k^(1/T) = 0.25, 0.04, 0.09 over 0.38 */
    double reshaped[3], sum = 0.0, cumulative = 0.0;
    for (int i = 0; i < 3; i++)
        sum += reshaped[i] = pow(p[i], 1.0 / t);
    const char *rows[3] = {"0", "1", "2"};
    for (int i = 0; i < 3; i++) {
        reshaped[i] /= sum;
        cumulative += reshaped[i];
        /* cells: "0", "(cat)", p_i, log p_i, p'_i; then "0", "(cat)", p'_i, c_i */
        assert_close(table_cell(r.out, "Step 1:", rows[i], 3), log(p[i]), SIX_DECIMALS);
        assert_close(table_cell(r.out, "Step 1:", rows[i], 4), reshaped[i], SIX_DECIMALS);
        assert_close(table_cell(r.out, "Step 2:", rows[i], 3), cumulative, SIX_DECIMALS);
    }
    /* 0.6 < 0.25 / 0.38 = 0.658: the reshaped wheel picks cat. */
    assert_contains(r.out, "the wheel picks token 0 (cat), the first\n");
    run_result_free(&r);
}

/* ---- params -------------------------------------------------------------- */

static void params_presets_are_compared_with_their_published_figure(void **state)
{
    /* Totals checked by hand in test_param_count.c. */
    const char *presets[3][3] = {
        {"transformer-base", "total         63,082,496", "published:     65,000,000"},
        {"bert-base", "total         109,482,240", "published:     110,000,000"},
        {"gpt1", "total         116,534,784", "published:     117,000,000"}};
    for (int k = 0; k < 3; k++) {
        run_result r;
        run_calc(r, (const test_paths *)*state, "params", "--preset", presets[k][0]);
        assert_success(&r);
        assert_contains(r.out, presets[k][1]);
        assert_contains(r.out, presets[k][2]);
        run_result_free(&r);
    }
}

static void params_of_a_small_configuration_by_hand(void **state)
{
    run_result r;
    run_calc(r, (const test_paths *)*state, "params", "--family", "decoder-only", "--d-model",
             "64", "--heads", "4", "--layers", "2", "--vocab", "1000");
    assert_success(&r);
    /* d_ff = 4 · 64 = 256. Embeddings 1000 · 64 = 64,000 (tied output).
     * One layer: attention 4 · (64 · 64 + 64) = 16,640; two norms 2 · 128;
     * FFN 64 · 256 + 256 + 256 · 64 + 64 = 33,088; 49,984 in all.
     * Total 64,000 + 2 · 49,984 = 163,968. */
    assert_contains(r.out, "d_ff            256\n");
    assert_contains(r.out, "embeddings        64,000");
    assert_contains(r.out, "attention         33,280");
    assert_contains(r.out, "feed-forward      66,176");
    assert_contains(r.out, "one decoder layer: 49,984\n");
    assert_contains(r.out, "total            163,968");
    assert_contains(r.out, "so there is no\n  published figure to compare with.\n");
    run_result_free(&r);
}

/* ---- LaTeX --------------------------------------------------------------- */

static void assert_latex(const run_result *r)
{
    assert_success(r);
    assert_true(strncmp(r->out, "% attnlab-calc ", 15) == 0);
    assert_contains(r->out, "\n\\begin{align*}\n");
    assert_contains(r->out, "\n\\end{align*}\n");
    assert_null(strstr(r->out, "Step "));
}

static void latex_blocks_hold_the_same_numbers(void **state)
{
    const test_paths *paths = *state;
    run_result r;
    run_calc(r, paths, "softmax", "2.0", "1.0", "0.1", "--latex", "--precision", "3");
    assert_latex(&r);
    assert_contains(r.out, "p &= (0.659,\\ 0.242,\\ 0.099)\n");
    run_result_free(&r);

    /* One precision throughout: every computed number with --precision
     * decimals, as in the tables (0.6590, not 0.659 beside 0.2424; e_0 =
     * exp(0) = 1.0000); what was typed stays as typed (2, 1, 0.1). */
    run_calc(r, paths, "softmax", "2", "1", "0.1", "--latex");
    assert_latex(&r);
    assert_contains(r.out, "s &= (2,\\ 1,\\ 0.1), \\qquad \\max_j s_j = 2 \\\\\n");
    assert_contains(r.out, "e &= (1.0000,\\ 0.3679,\\ 0.1496) \\\\\n");
    assert_contains(r.out, "\\textstyle\\sum_j e_j &= 1.5174 \\\\\n");
    assert_contains(r.out, "p &= (0.6590,\\ 0.2424,\\ 0.0986)\n");
    run_result_free(&r);

    run_calc(r, paths, "retrieve", "--keys", "70,80", "--values", "1000,1500", "--query", "75",
             "--latex");
    assert_latex(&r);
    assert_contains(r.out, "s_0 &= 1 / \\lvert 70 - 75 \\rvert = 0.2000 \\\\\n");
    assert_contains(r.out, "w_1 &= 0.2000 / 0.4000 = 0.5000 \\\\\n");
    assert_contains(r.out, "\\hat v &= 0.5000 \\cdot 1000 + 0.5000 \\cdot 1500 = 1250.0000\n");
    run_result_free(&r);

    run_calc(r, paths, "attention", "--q", "1 0; 0 1", "--k", "1 0; 0 1", "--v", "1 2; 3 4",
             "--mask", "causal", "--latex");
    assert_latex(&r);
    assert_contains(r.out, "% attnlab-calc attention --q '1 0; 0 1' --k '1 0; 0 1'");
    assert_contains(r.out, "\\begin{pmatrix} 0.7071 & -\\infty \\\\ 0.0000 & 0.7071 "
                           "\\end{pmatrix}");
    run_result_free(&r);

    run_calc(r, paths, "sample", "--probs", "0.5,0.2,0.3", "--draw", "0.6", "--latex");
    assert_latex(&r);
    assert_contains(r.out, "c &= (0.5000,\\ 0.7000,\\ 1.0000) \\\\\n");
    assert_contains(r.out, "c_0 = 0.5 \\le u = 0.6 &< c_1 = 0.7 \\;\\Rightarrow\\; i = 1\n");
    run_result_free(&r);

    run_calc(r, paths, "params", "--preset", "transformer-base", "--latex");
    assert_latex(&r);
    assert_contains(r.out, "\\text{total} &= 63\\,082\\,496 \\\\\n");
    run_result_free(&r);
}

/* --plain: the chapter's form beside the library's. e^2 = 7.3891, e^1 =
 * 2.7183, e^0.1 = 1.1052, sum 11.2125 (the chapter adds the rounded
 * terms: 11.22), p the same as step 4's; the printout says why the
 * library subtracts the max. Scores 100 and 90 overflow exp in float32:
 * the plain form gives NaN, the library's 1 and e^-10 / (1 + e^-10). */
static void softmax_plain_shows_the_chapters_form(void **state)
{
    const test_paths *paths = *state;
    const double s[3] = {2.0, 1.0, 0.1};
    double e[3], sum = 0.0;
    for (int j = 0; j < 3; j++)
        sum += e[j] = exp(s[j]);
    run_result r;
    run_calc(r, paths, "softmax", "2", "1", "0.1", "--plain", "--precision", "6");
    assert_success(&r);
    const char *rows[3] = {"0", "1", "2"};
    for (int j = 0; j < 3; j++) {
        /* cells after "Step 5:": j, s_j, exp(s_j), p_j */
        assert_close(table_cell(r.out, "Step 5:", rows[j], 2), e[j], SIX_DECIMALS * 8);
        assert_close(table_cell(r.out, "Step 5:", rows[j], 3), e[j] / sum, SIX_DECIMALS);
        assert_close(table_cell(r.out, "Step 5:", rows[j], 3),
                     table_cell(r.out, "Step 4:", rows[j], 3), 0.0);
    }
    /* a sum near 11 in float32: 1e-6 of rounding, and 6 decimals */
    assert_close(number_after(r.out, "1.105171 = "), sum, 2e-6);
    assert_contains(r.out, "Step 5: the chapter's form: no max subtracted\n"
                           "  p_j = exp(s_j) / sum_k exp(s_k)\n");
    assert_contains(r.out, "and exp(max) = exp(2) cancels between each term and the sum.\n");
    assert_contains(r.out, "attnlab's softmax (softmax.h, used by every attention) subtracts "
                           "the max:\n");
    run_result_free(&r);

    run_calc(r, paths, "softmax", "2", "1", "0.1", "--plain", "--latex");
    assert_latex(&r);
    assert_contains(r.out, "  e^{s_j} &= (7.3891,\\ 2.7183,\\ 1.1052), \\qquad "
                           "\\textstyle\\sum_j e^{s_j} = 11.2125 \\\\\n");
    assert_contains(r.out, "  p &= (7.3891,\\ 2.7183,\\ 1.1052) / 11.2125 = (0.6590,\\ "
                           "0.2424,\\ 0.0986)\n");
    run_result_free(&r);

    run_calc(r, paths, "softmax", "100", "90", "--plain", "--precision", "6");
    assert_success(&r);
    assert_contains(r.out, "\n  0  100       inf  NaN\n  1   90       inf  NaN\n");
    assert_contains(r.out, "exp(s_j) overflows past 3.4e38\n");
    assert_close(table_cell(r.out, "Step 4:", "1", 3), exp(-10.0) / (1.0 + exp(-10.0)),
                 SIX_DECIMALS);
    run_result_free(&r);
}

/* ---- traces -------------------------------------------------------------- */

/* Read the trace at path (failing the test if the reader refuses it). */
static al_trace_file *read_trace(const char *path)
{
    al_trace_file *trace = NULL;
    al_error err = {0};
    if (al_trace_file_read(&trace, path, &err) != AL_OK)
        fail_msg("the reader refuses %s: %s", path, err.message);
    return trace;
}

static const al_trace_tensor *find(const al_trace_file *trace, const char *name, int rows,
                                   int cols)
{
    const al_trace_tensor *t = al_trace_file_find(trace, name);
    if (!t)
        fail_msg("no tensor %s in the trace", name);
    assert_int_equal(t->rows, rows);
    assert_int_equal(t->cols, cols);
    return t;
}

static void retrieve_trace_holds_every_step(void **state)
{
    const test_paths *paths = *state;
    char path[PATH_SIZE];
    run_result r;
    run_calc(r, paths, "retrieve", "--keys", "70,80", "--values", "1000,1500", "--query", "75",
             "--trace", scratch_file(path, paths, "calc_retrieve.jsonl"));
    assert_success(&r);
    assert_contains(r.out, "Trace written to ");
    run_result_free(&r);
    al_trace_file *trace = read_trace(path);
    assert_string_equal(trace->program, "attnlab-calc");
    assert_same_float(al_trace_tensor_at(find(trace, "retrieve.q", 1, 1), 0, 0), 75.0f);
    assert_same_float(al_trace_tensor_at(find(trace, "retrieve.k", 2, 1), 1, 0), 80.0f);
    assert_same_float(al_trace_tensor_at(find(trace, "retrieve.v", 2, 1), 1, 0), 1500.0f);
    const al_trace_tensor *scores = find(trace, "retrieve.scores", 1, 2);
    assert_string_equal(scores->op, "inverse_distance");
    assert_string_equal(scores->col_labels[0], "70");
    assert_same_float(al_trace_tensor_at(scores, 0, 0), 0.2f);
    const al_trace_tensor *weights = find(trace, "retrieve.weights", 1, 2);
    assert_string_equal(weights->op, "normalize_sum");
    assert_same_float(al_trace_tensor_at(weights, 0, 1), 0.5f);
    assert_same_float(al_trace_tensor_at(find(trace, "retrieve.out", 1, 1), 0, 0), 1250.0f);
    al_trace_file_free(trace);
}

static void softmax_trace_has_the_row_steps(void **state)
{
    const test_paths *paths = *state;
    char path[PATH_SIZE];
    run_result r;
    run_calc(r, paths, "softmax", "2", "1", "0.1", "--temperature", "0.5", "--trace",
             scratch_file(path, paths, "calc_softmax.jsonl"));
    assert_success(&r);
    run_result_free(&r);
    al_trace_file *trace = read_trace(path);
    find(trace, "softmax.scores", 1, 3);
    assert_same_float(al_trace_tensor_at(find(trace, "softmax.temperature", 1, 1), 0, 0), 0.5f);
    const al_trace_tensor *weights = find(trace, "softmax.weights", 1, 3);
    double sum = 1.0 + exp(-2.0) + exp(-3.8);
    assert_close(al_trace_tensor_at(weights, 0, 0), 1.0 / sum, FLOAT_ROUNDINGS);
    assert_int_equal(trace->n_softmax_rows, 1);
    assert_same_float(trace->softmax_rows[0].max, 2.0f);
    assert_close(trace->softmax_rows[0].sum, sum, FLOAT_ROUNDINGS);
    al_trace_file_free(trace);
}

static void attention_trace_has_the_mask_and_nulls(void **state)
{
    const test_paths *paths = *state;
    char path[PATH_SIZE];
    run_result r;
    run_calc(r, paths, "attention", "--q", "1 0; 0 1", "--k", "1 0; 0 1", "--v", "1 2; 3 4",
             "--mask", "causal", "--labels", "The,cat", "--trace",
             scratch_file(path, paths, "calc_attention.jsonl"));
    assert_success(&r);
    run_result_free(&r);
    al_trace_file *trace = read_trace(path);
    const al_trace_tensor *mask = find(trace, "attention.mask", 2, 2);
    assert_string_equal(mask->op, "causal_mask");
    assert_same_float(al_trace_tensor_at(mask, 0, 1), 0.0f);
    find(trace, "attention.scores", 2, 2);
    find(trace, "attention.scaled", 2, 2);
    const al_trace_tensor *masked = find(trace, "attention.masked", 2, 2);
    assert_string_equal(masked->mask, "attention.mask");
    assert_true(al_trace_tensor_is_null(masked, 0, 1));
    assert_string_equal(masked->row_labels[1], "cat");
    const al_trace_tensor *weights = find(trace, "attention.weights", 2, 2);
    assert_same_float(al_trace_tensor_at(weights, 0, 1), 0.0f);
    find(trace, "attention.out", 2, 2);
    al_trace_file_free(trace);
}

static void sample_trace_has_the_wheel(void **state)
{
    const test_paths *paths = *state;
    char path[PATH_SIZE];
    run_result r;
    run_calc(r, paths, "sample", "--probs", "0.5,0.2,0.3", "--draw", "0.6", "--trace",
             scratch_file(path, paths, "calc_sample.jsonl"));
    assert_success(&r);
    run_result_free(&r);
    al_trace_file *trace = read_trace(path);
    assert_same_float(al_trace_tensor_at(find(trace, "sample.probs", 1, 3), 0, 1), 0.2f);
    const al_trace_tensor *cumsum = find(trace, "sample.cumsum", 1, 3);
    assert_same_float(al_trace_tensor_at(cumsum, 0, 1), 0.5f + 0.2f);
    assert_same_float(al_trace_tensor_at(find(trace, "sample.draw", 1, 1), 0, 0), 0.6f);
    assert_same_float(al_trace_tensor_at(find(trace, "sample.token", 1, 1), 0, 0), 1.0f);
    al_trace_file_free(trace);

    run_calc(r, paths, "sample", "--probs", "0.5,0.2,0.3", "--draw", "0.6", "--temperature",
             "0.5", "--trace", path);
    assert_success(&r);
    run_result_free(&r);
    trace = read_trace(path);
    find(trace, "sample.given", 1, 3);
    assert_string_equal(find(trace, "sample.logits", 1, 3)->op, "log");
    find(trace, "sample.temperature", 1, 1);
    const al_trace_tensor *probs = find(trace, "sample.probs", 1, 3);
    assert_string_equal(probs->op, "softmax_temperature");
    assert_close(al_trace_tensor_at(probs, 0, 0), 0.25 / 0.38, FLOAT_ROUNDINGS);
    assert_same_float(al_trace_tensor_at(find(trace, "sample.token", 1, 1), 0, 0), 0.0f);
    al_trace_file_free(trace);
}

/* --logits 2,1,0.1: the wheel is their softmax, e^2, e^1, e^0.1 over
 * 7.3890561 + 2.7182818 + 1.1051709 = 11.2125088, so p = 0.6590011,
 * 0.2424330, 0.0985659 and the sums 0.6590011, 0.9014341, 1; a draw of
 * 0.9 picks token 1 (0.659 <= 0.9 < 0.9014). The sums the choice prints
 * are the traced float32 sums, to the last digit (they read back as the
 * same floats), in the text and in the LaTeX alike. */
static void roulette_from_logits_spins_their_softmax(void **state)
{
    const test_paths *paths = *state;
    char path[PATH_SIZE];
    const double e[3] = {exp(2.0), exp(1.0), exp(0.1)}, sum = e[0] + e[1] + e[2];
    run_result r;
    run_calc(r, paths, "sample", "--logits", "2,1,0.1", "--draw", "0.9", "--labels",
             "cat,dog,fish", "--trace", scratch_file(path, paths, "calc_logits.jsonl"));
    assert_success(&r);
    assert_contains(r.out, "roulette wheel: 3 logits, draw u = 0.9\n");
    for (int i = 0; i < 3; i++) {
        const char *rows[3] = {"0", "1", "2"};
        /* cells: "0", "(cat)", z_i, p_i */
        assert_close(table_cell(r.out, "Step 1:", rows[i], 3), e[i] / sum, 5e-5); /* 4 decimals */
    }
    double below = number_after(r.out, "c_0 = "), above = number_after(r.out, "< c_1 = ");
    assert_close(below, e[0] / sum, FLOAT_ROUNDINGS);
    assert_close(above, (e[0] + e[1]) / sum, FLOAT_ROUNDINGS);
    assert_contains(r.out, "the wheel picks token 1 (dog), the second\n");
    run_result_free(&r);

    al_trace_file *trace = read_trace(path);
    assert_string_equal(find(trace, "sample.logits", 1, 3)->role, "input");
    assert_string_equal(find(trace, "sample.probs", 1, 3)->op, "softmax_temperature");
    const al_trace_tensor *cumsum = find(trace, "sample.cumsum", 1, 3);
    assert_same_float((float)below, al_trace_tensor_at(cumsum, 0, 0));
    assert_same_float((float)above, al_trace_tensor_at(cumsum, 0, 1));
    assert_same_float(al_trace_tensor_at(find(trace, "sample.token", 1, 1), 0, 0), 1.0f);
    al_trace_file_free(trace);

    run_calc(r, paths, "sample", "--logits", "2,1,0.1", "--draw", "0.9", "--latex");
    assert_latex(&r);
    assert_close(number_after(r.out, "c_0 = "), below, 0.0);
    assert_close(number_after(r.out, "&< c_1 = "), above, 0.0);
    run_result_free(&r);
}

/* A sum that the print's 4 decimals would show as the draw itself: the
 * choice shows it whole. 0.4 + 0.5000001 = 0.9000001 in float32 (the
 * nearest float to 0.9000001 is 0.900000095), above the draw 0.9
 * (0.899999976): token 1, and the line must not say "0.9 < 0.9". */
static void roulette_shows_the_digits_that_decide(void **state)
{
    run_result r;
    run_calc(r, (const test_paths *)*state, "sample", "--probs", "0.4,0.5000001,0.0999999",
             "--draw", "0.9");
    assert_success(&r);
    assert_contains(r.out, "c_0 = 0.4 <= u = 0.9 < c_1 = 0.9000001\n");
    assert_contains(r.out, "[0.4, 0.9000001)    <- u = 0.9\n");
    assert_contains(r.out, "the wheel picks token 1, the second\n");
    run_result_free(&r);
}

/* The whole file at path, malloc'd and NUL-terminated; *length its size. */
static char *read_file(const char *path, size_t *length)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    char *text = malloc(1 << 16);
    assert_non_null(text);
    *length = fread(text, 1, (1 << 16) - 1, f);
    text[*length] = '\0';
    fclose(f);
    return text;
}

static void the_same_command_gives_the_same_bytes(void **state)
{
    const test_paths *paths = *state;
    char first[PATH_SIZE], second[PATH_SIZE];
    scratch_file(first, paths, "calc_same_1.jsonl");
    scratch_file(second, paths, "calc_same_2.jsonl");
    run_result a, b;
    run_calc(a, paths, "attention", "--q", "1 2; 3 4", "--k", "1 0; 0 1", "--v", "5 6; 7 8",
             "--trace", first);
    run_calc(b, paths, "attention", "--q", "1 2; 3 4", "--k", "1 0; 0 1", "--v", "5 6; 7 8",
             "--trace", second);
    assert_success(&a);
    /* The printouts differ only in the trace's name, on their last line. */
    const char *note = strstr(a.out, "Trace written to ");
    assert_non_null(note);
    assert_int_equal(a.out_length, b.out_length);
    assert_memory_equal(a.out, b.out, (size_t)(note - a.out));
    /* The traces differ only in the file name recorded among the arguments. */
    size_t length_1, length_2;
    char *trace_1 = read_file(first, &length_1), *trace_2 = read_file(second, &length_2);
    assert_int_equal(length_1, length_2);
    char *name = strstr(trace_1, "calc_same_1.jsonl");
    assert_non_null(name);
    name[10] = '2';
    assert_memory_equal(trace_1, trace_2, length_1);
    free(trace_1);
    free(trace_2);
    run_result_free(&a);
    run_result_free(&b);
}

/* ---- bad input ----------------------------------------------------------- */

#define MAX_WORDS 16

/* Each case: what is wrong, then the arguments. "TRACE" stands for a trace
 * path that must not exist afterwards. */
typedef struct bad_case {
    const char *expected;  /* part of the one-line message */
    const char *words[MAX_WORDS];
} bad_case;

static const bad_case bad_cases[] = {
    {"missing subcommand", {NULL}},
    {"unknown subcommand 'softmaxx'", {"softmaxx", "1", NULL}},
    {"unknown option '--temp'", {"softmax", "1", "2", "--temp", "2", NULL}},
    {"softmax needs SCORES", {"softmax", "--trace", "TRACE", NULL}},
    {"'abc' is not a number", {"softmax", "1", "abc", "--trace", "TRACE", NULL}},
    {"'inf' is not a finite", {"softmax", "1", "inf", NULL}},
    {"'0x10' is not a decimal number (hexadecimal is not read)",
     {"softmax", "0x10", "--trace", "TRACE", NULL}},
    {"empty entry", {"softmax", "1,,2", NULL}},
    {"--temperature must be a number > 0, not 0",
     {"softmax", "1", "2", "--temperature", "0", "--trace", "TRACE", NULL}},
    {"--temperature must be a number > 0, not -1", {"softmax", "1", "--temperature", "-1", NULL}},
    {"--temperature needs a value", {"softmax", "1", "--temperature", NULL}},
    {"--precision needs a whole number from 0 to 9", {"softmax", "1", "--precision", "10", NULL}},
    {"--latex takes no value", {"softmax", "1", "--latex=yes", NULL}},
    {"2 keys but 3 values",
     {"retrieve", "--keys", "70,80", "--values", "1,2,3", "--query", "75", "--trace", "TRACE",
      NULL}},
    {"--keys is empty", {"retrieve", "--keys", "", "--values", "1", "--query", "1", NULL}},
    {"retrieve needs --query", {"retrieve", "--keys", "70,80", "--values", "1,2", NULL}},
    {"retrieve needs --keys", {"retrieve", NULL}},
    {"--query has 1 number but each key has 2",
     {"retrieve", "--keys", "1 2; 3 4", "--values", "1,2", "--query", "1", NULL}},
    {"--similarity must be inverse-distance, dot or gaussian, not 'cosine'",
     {"retrieve", "--keys", "1", "--values", "1", "--query", "1", "--similarity", "cosine", NULL}},
    {"--sigma is the width of --similarity gaussian only",
     {"retrieve", "--keys", "1", "--values", "1", "--query", "1", "--sigma", "2", NULL}},
    {"--sigma must be a number > 0",
     {"retrieve", "--keys", "1", "--values", "1", "--query", "1", "--similarity", "gaussian",
      "--sigma", "0", NULL}},
    {"dividing by the sum needs similarities >= 0",
     {"retrieve", "--keys", "-1,1", "--values", "1,2", "--query", "1", "--similarity", "dot",
      "--normalize", "sum", "--trace", "TRACE", NULL}},
    {"--keys is given twice",
     {"retrieve", "--keys", "1", "--keys", "2", "--values", "1", "--query", "1", NULL}},
    {"retrieve takes no argument '75'", {"retrieve", "75", NULL}},
    {"--q: row 1 has 1 number but row 0 has 2",
     {"attention", "--q", "1 0; 0", "--k", "1 0", "--v", "1", NULL}},
    {"queries and keys must have the same width",
     {"attention", "--q", "1 0", "--k", "1", "--v", "1", "--trace", "TRACE", NULL}},
    {"--k has 2 rows but --v has 3",
     {"attention", "--q", "1 0", "--k", "1 0; 0 1", "--v", "1; 2; 3", NULL}},
    {"--mask must be none or causal, not 'future'",
     {"attention", "--q", "1", "--k", "1", "--v", "1", "--mask", "future", NULL}},
    {"--labels has 1 label but there are 2",
     {"attention", "--q", "1; 2", "--k", "1; 2", "--v", "1; 2", "--labels", "cat", NULL}},
    {"name them with --key-labels",
     {"attention", "--q", "1; 2", "--k", "1", "--v", "1", "--labels", "a,b", NULL}},
    {"attention needs --v", {"attention", "--q", "1", "--k", "1", NULL}},
    {"--probs add up to 0.9", {"sample", "--probs", "0.5,0.2,0.2", "--draw", "0.5", NULL}},
    {"probability 1 is -0.2", {"sample", "--probs", "0.5,-0.2,0.7", "--draw", "0.5", NULL}},
    {"--draw must be in [0, 1), not 1", {"sample", "--probs", "0.5,0.5", "--draw", "1", NULL}},
    {"--draw must be in [0, 1), not -0.1",
     {"sample", "--probs", "0.5,0.5", "--draw", "-0.1", "--trace", "TRACE", NULL}},
    {"--temperature must be a number > 0",
     {"sample", "--probs", "0.5,0.5", "--draw", "0.1", "--temperature", "0", NULL}},
    {"--probs is empty", {"sample", "--probs", " ", "--draw", "0.1", NULL}},
    {"--probs and --logits do not go together",
     {"sample", "--probs", "0.5,0.5", "--logits", "1,2", "--draw", "0.1", NULL}},
    {"--logits is one list of numbers", {"sample", "--logits", "1; 2", "--draw", "0.1", NULL}},
    {"params computes no tensors", {"params", "--trace", "TRACE", NULL}},
    {"unknown preset 'gpt2'", {"params", "--preset", "gpt2", NULL}},
    {"d_model 100 is not a multiple of heads 3",
     {"params", "--d-model", "100", "--heads", "3", NULL}},
    {"--layers needs a whole number", {"params", "--layers", "many", NULL}},
};

/* Exit 2, nothing on stdout, exactly one line on stderr naming the problem,
 * and no trace file. */
static void bad_input_exits_2_with_one_line(void **state)
{
    const test_paths *paths = *state;
    char trace_path[PATH_SIZE];
    scratch_file(trace_path, paths, "calc_must_not_exist.jsonl");
    for (size_t k = 0; k < sizeof bad_cases / sizeof bad_cases[0]; k++) {
        const char *argv[MAX_WORDS + 2] = {paths->program};
        int n = 1;
        for (const char *const *word = bad_cases[k].words; *word; word++)
            argv[n++] = strcmp(*word, "TRACE") == 0 ? trace_path : *word;
        argv[n] = NULL;
        run_result r;
        assert_int_equal(run_program(&r, argv, NULL), 0);
        bool one_line = strchr(r.err, '\n') == r.err + r.err_length - 1;
        if (r.exit_code != 2 || r.out_length != 0 || strncmp(r.err, "attnlab-calc: ", 14) != 0 ||
            !one_line || !strstr(r.err, bad_cases[k].expected))
            fail_msg("case %zu (%s): exit %d, stdout \"%s\", stderr \"%s\"", k,
                     bad_cases[k].expected, r.exit_code, r.out, r.err);
        if (access(trace_path, F_OK) == 0)
            fail_msg("case %zu (%s) left a trace file", k, bad_cases[k].expected);
        run_result_free(&r);
    }
}

/* ---- help ---------------------------------------------------------------- */

/* Split a command line as a shell would for our examples: words separated
 * by spaces, '...' and "..." quote spaces. Writes into buffer. */
static int split_words(const char *words[MAX_WORDS + 1], char *buffer, const char *line)
{
    int n = 0;
    char *out = buffer;
    while (*line) {
        line += strspn(line, " ");
        if (!*line)
            break;
        assert_true(n < MAX_WORDS);
        words[n++] = out;
        while (*line && *line != ' ') {
            if (*line == '\'' || *line == '"') {
                char quote = *line++;
                while (*line && *line != quote)
                    *out++ = *line++;
                assert_true(*line == quote);
                line++;
            } else {
                *out++ = *line++;
            }
        }
        *out++ = '\0';
    }
    words[n] = NULL;
    return n;
}

/* Run every "  attnlab-calc ..." line of help; returns how many ran. */
static int run_examples(const test_paths *paths, const char *help)
{
    int ran = 0;
    const char *examples = strstr(help, "\nexamples:\n");
    assert_non_null(examples);
    for (const char *line = strstr(examples, "\n  attnlab-calc "); line;
         line = strstr(line + 1, "\n  attnlab-calc ")) {
        char text[512], buffer[512];
        size_t length = strcspn(line + 1, "\n");
        assert_true(length < sizeof text);
        memcpy(text, line + 1, length);
        text[length] = '\0';
        const char *words[MAX_WORDS + 1];
        split_words(words, buffer, text);
        words[0] = paths->program;
        run_result r;
        assert_int_equal(run_program(&r, words, NULL), 0);
        if (r.exit_code != 0 || r.err_length != 0 || r.out_length == 0)
            fail_msg("example '%s': exit %d, stderr %s", text, r.exit_code, r.err);
        run_result_free(&r);
        ran++;
    }
    return ran;
}

static void help_examples_work_as_typed(void **state)
{
    const test_paths *paths = *state;
    const char *subcommands[] = {NULL, "softmax", "retrieve", "attention", "sample", "params"};
    for (size_t k = 0; k < sizeof subcommands / sizeof subcommands[0]; k++) {
        run_result r;
        if (subcommands[k])
            run_calc(r, paths, subcommands[k], "--help");
        else
            run_calc(r, paths, "--help");
        assert_success(&r);
        assert_contains(r.out, "usage");
        assert_true(run_examples(paths, r.out) >= 3);
        run_result_free(&r);
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s ATTNLAB_CALC_PROGRAM SCRATCH_DIR\n", argv[0]);
        return 2;
    }
    test_paths paths = {argv[1], argv[2]};
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(softmax_of_the_chapter_example, &paths),
        cmocka_unit_test_prestate(softmax_plain_shows_the_chapters_form, &paths),
        cmocka_unit_test_prestate(softmax_at_temperature_one, &paths),
        cmocka_unit_test_prestate(softmax_at_temperature_one_half_sharpens, &paths),
        cmocka_unit_test_prestate(softmax_at_temperature_ten_flattens, &paths),
        cmocka_unit_test_prestate(softmax_takes_negative_scores_and_commas, &paths),
        cmocka_unit_test_prestate(retrieve_query_75_gives_1250, &paths),
        cmocka_unit_test_prestate(retrieve_query_72_gives_1100, &paths),
        cmocka_unit_test_prestate(retrieve_query_on_a_key_gives_its_value_exactly, &paths),
        cmocka_unit_test_prestate(retrieve_query_a_subnormal_from_a_key_says_so, &paths),
        cmocka_unit_test_prestate(retrieve_gaussian_follows_the_formula, &paths),
        cmocka_unit_test_prestate(retrieve_query_on_two_equal_keys_shares_the_weight, &paths),
        cmocka_unit_test_prestate(retrieve_gaussian_sigma_defaults_to_lesson02s, &paths),
        cmocka_unit_test_prestate(retrieve_dot_with_vectors_uses_softmax, &paths),
        cmocka_unit_test_prestate(attention_causal_by_hand, &paths),
        cmocka_unit_test_prestate(attention_scales_by_the_root_of_d_k, &paths),
        cmocka_unit_test_prestate(roulette_draw_04_picks_the_first, &paths),
        cmocka_unit_test_prestate(roulette_draw_06_picks_the_second, &paths),
        cmocka_unit_test_prestate(roulette_draw_on_a_boundary_belongs_to_the_next_token, &paths),
        cmocka_unit_test_prestate(roulette_with_temperature_reshapes_first, &paths),
        cmocka_unit_test_prestate(roulette_from_logits_spins_their_softmax, &paths),
        cmocka_unit_test_prestate(roulette_shows_the_digits_that_decide, &paths),
        cmocka_unit_test_prestate(params_presets_are_compared_with_their_published_figure, &paths),
        cmocka_unit_test_prestate(params_of_a_small_configuration_by_hand, &paths),
        cmocka_unit_test_prestate(latex_blocks_hold_the_same_numbers, &paths),
        cmocka_unit_test_prestate(retrieve_trace_holds_every_step, &paths),
        cmocka_unit_test_prestate(softmax_trace_has_the_row_steps, &paths),
        cmocka_unit_test_prestate(attention_trace_has_the_mask_and_nulls, &paths),
        cmocka_unit_test_prestate(sample_trace_has_the_wheel, &paths),
        cmocka_unit_test_prestate(the_same_command_gives_the_same_bytes, &paths),
        cmocka_unit_test_prestate(bad_input_exits_2_with_one_line, &paths),
        cmocka_unit_test_prestate(help_examples_work_as_typed, &paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
