/* test_lesson02.c: lesson02 (attention as retrieval) as a student runs it:
 * the chapter's 1250, the other queries (1100, and 1000 by the exact-match
 * rule), the Gaussian, softmax and dot-product lookups checked against the
 * formulas, other tables, figures, determinism and every refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "lesson_check.h"

static const char *lesson02; /* the program, from argv[1] */

/* Answers in the thousands from float32 weights: a weight is off by at most
 * half a unit in the last place (6e-8), times values of 1500, plus the
 * rounding of a sum near 1000 (6e-5): well inside 1e-3. */
#define ANSWER_TOLERANCE 1e-3
/* Weights recomputed in double from the formula; float32 rounding of an
 * exp and a division stays within a few 1e-8. */
#define WEIGHT_TOLERANCE 1e-6

static const char *const METHODS[] = {"inverse_sum", "gaussian_sum", "inverse_softmax",
                                      "dot_softmax"};

static const al_trace_tensor *method_tensor(const al_trace_file *trace, const char *method,
                                            const char *step, int rows, int cols)
{
    char name[128];
    snprintf(name, sizeof name, "retrieve.%s.%s", method, step);
    return expect_tensor(trace, name, rows, cols);
}

static void defaults_trace_every_step_with_labels(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson02, *state, "t.jsonl", NULL);
    expect_labels(expect_tensor(trace, "retrieve.q", 3, 1), 'r', "q=75,q=72,q=70");
    expect_labels(expect_tensor(trace, "retrieve.k", 2, 1), 'r', "k=70,k=80");
    expect_labels(expect_tensor(trace, "retrieve.v", 2, 1), 'r', "k=70,k=80");
    for (int m = 0; m < 4; m++) {
        const al_trace_tensor *w = method_tensor(trace, METHODS[m], "weights", 3, 2);
        expect_labels(w, 'r', "q=75,q=72,q=70");
        expect_labels(w, 'c', "k=70,k=80");
        method_tensor(trace, METHODS[m], "scores", 3, 2);
        method_tensor(trace, METHODS[m], "out", 3, 1);
    }
    expect_tensor(trace, "retrieve.gaussian_sum.sigma", 1, 1);
    const char *steps[] = {"Step 1: the table", "Step 2: how similar",
                           "Step 3: scores become weights", "Step 4: the answer is the weighted",
                           "Step 5: a query equal to a key", "Step 6: another similarity",
                           "Step 7: the same scores, normalised by a softmax",
                           "Step 8: the Transformer's similarity", "Step 9: the four lookups",
                           NULL};
    expect_in_order(r.out, steps);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* The chapter: 1/|70-75| = 1/|80-75| = 0.2; 0.2/0.4 = 0.5 each;
 * 0.5·1000 + 0.5·1500 = 1250. */
static void query_75_retrieves_1250(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson02, *state, "t.jsonl", NULL);
    const al_trace_tensor *scores = al_trace_file_find(trace, "retrieve.inverse_sum.scores");
    const al_trace_tensor *w = al_trace_file_find(trace, "retrieve.inverse_sum.weights");
    const al_trace_tensor *out = al_trace_file_find(trace, "retrieve.inverse_sum.out");
    assert_close(al_trace_tensor_at(scores, 0, 0), 0.2, WEIGHT_TOLERANCE);
    assert_close(al_trace_tensor_at(scores, 0, 1), 0.2, WEIGHT_TOLERANCE);
    assert_same_float(al_trace_tensor_at(w, 0, 0), 0.5f);
    assert_same_float(al_trace_tensor_at(w, 0, 1), 0.5f);
    assert_same_float(al_trace_tensor_at(out, 0, 0), 1250.0f);
    assert_non_null(strstr(r.out, "Query 75 retrieves 1250"));
    assert_non_null(strstr(r.out, "0.5000 x 1000 + 0.5000 x 1500 = 1250"));
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* 72: scores 1/2 = 0.5 and 1/8 = 0.125, sum 0.625, weights 0.8 and 0.2,
 * 800 + 300 = 1100. 70 lies on key 70: score 1 for it, null for 80,
 * weights 1 and 0, answer 1000 (not NaN), and the record says why. */
static void queries_72_and_70_retrieve_1100_and_1000(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson02, *state, "t.jsonl", NULL);
    const al_trace_tensor *scores = al_trace_file_find(trace, "retrieve.inverse_sum.scores");
    const al_trace_tensor *w = al_trace_file_find(trace, "retrieve.inverse_sum.weights");
    const al_trace_tensor *out = al_trace_file_find(trace, "retrieve.inverse_sum.out");
    assert_close(al_trace_tensor_at(w, 1, 0), 0.8, WEIGHT_TOLERANCE);
    assert_close(al_trace_tensor_at(w, 1, 1), 0.2, WEIGHT_TOLERANCE);
    assert_close(al_trace_tensor_at(out, 1, 0), 1100.0, ANSWER_TOLERANCE);
    assert_same_float(al_trace_tensor_at(scores, 2, 0), 1.0f);
    assert_true(al_trace_tensor_is_null(scores, 2, 1));
    assert_true(scores->n_warnings == 1 && strstr(scores->warnings[0], "distance 0"));
    assert_same_float(al_trace_tensor_at(w, 2, 0), 1.0f);
    assert_same_float(al_trace_tensor_at(w, 2, 1), 0.0f);
    assert_same_float(al_trace_tensor_at(out, 2, 0), 1000.0f);
    assert_non_null(strstr(r.out, "Query 72 retrieves 1100"));
    assert_non_null(strstr(r.out, "Query 70 retrieves 1000"));
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* The other lookups against their formulas, in double:
 *   Gaussian:  w_j ∝ exp(-(k_j - q)² / (2·5²))
 *   softmax:   w_j ∝ exp(1 / |k_j - q|)  (query 70: the exact-match rule)
 *   dot:       scores q·k in the thousands, all weight on k = 80 -> 1500. */
static void other_similarities_follow_their_formulas(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson02, *state, "t.jsonl", NULL);
    const double q[3] = {75, 72, 70}, k[2] = {70, 80}, v[2] = {1000, 1500};
    const al_trace_tensor *gauss = al_trace_file_find(trace, "retrieve.gaussian_sum.weights");
    const al_trace_tensor *soft = al_trace_file_find(trace, "retrieve.inverse_softmax.weights");
    const al_trace_tensor *soft_out = al_trace_file_find(trace, "retrieve.inverse_softmax.out");
    const al_trace_tensor *dot_out = al_trace_file_find(trace, "retrieve.dot_softmax.out");
    for (int i = 0; i < 3; i++) {
        double g[2], e[2];
        for (int j = 0; j < 2; j++) {
            g[j] = exp(-(k[j] - q[i]) * (k[j] - q[i]) / 50.0);
            e[j] = exp(1.0 / fabs(k[j] - q[i]));
        }
        for (int j = 0; j < 2; j++)
            assert_close(al_trace_tensor_at(gauss, i, j), g[j] / (g[0] + g[1]), WEIGHT_TOLERANCE);
        if (i < 2) {
            assert_close(al_trace_tensor_at(soft, i, 0), e[0] / (e[0] + e[1]), WEIGHT_TOLERANCE);
            assert_close(al_trace_tensor_at(soft_out, i, 0),
                         (e[0] * v[0] + e[1] * v[1]) / (e[0] + e[1]), ANSWER_TOLERANCE);
        }
        assert_same_float(al_trace_tensor_at(dot_out, i, 0), 1500.0f);
    }
    assert_same_float(al_trace_tensor_at(soft_out, 2, 0), 1000.0f);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* Keys 0, 10, 20 holding 1, 2, 3; query 5: scores 1/5, 1/5, 1/15, sum
 * 7/15, weights 3/7, 3/7, 1/7, answer (3 + 6 + 3) / 7 = 12/7. */
static void another_table_gives_its_hand_computed_answer(void **state)
{
    const char *extra[] = {"--keys", "0,10,20", "--values", "1,2,3", "--query", "5", NULL};
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson02, *state, "t.jsonl", extra);
    const al_trace_tensor *w = method_tensor(trace, "inverse_sum", "weights", 1, 3);
    expect_labels(w, 'c', "k=0,k=10,k=20");
    assert_close(al_trace_tensor_at(w, 0, 0), 3.0 / 7.0, WEIGHT_TOLERANCE);
    assert_close(al_trace_tensor_at(w, 0, 2), 1.0 / 7.0, WEIGHT_TOLERANCE);
    const al_trace_tensor *out = method_tensor(trace, "inverse_sum", "out", 1, 1);
    assert_close(al_trace_tensor_at(out, 0, 0), 12.0 / 7.0, WEIGHT_TOLERANCE);
    assert_null(strstr(r.out, "a query equal to a key")); /* no exact match, no step */
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* Keys 70 and 70 holding 1 and 2, query 70: the query is on both keys, so
 * the exact-match rule gives each score 1 and masks nothing (there is no
 * other key), weights 1/2 and 1/2, answer (1 + 2) / 2 = 1.5. The printout
 * must say so, not "1 / |70 - 70| = 1.0000", and step 5 must say why. */
static void a_query_on_two_equal_keys_shares_their_weight(void **state)
{
    const char *extra[] = {"--keys", "70,70", "--values", "1,2", "--query", "70", NULL};
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson02, *state, "t.jsonl", extra);
    const al_trace_tensor *scores = method_tensor(trace, "inverse_sum", "scores", 1, 2);
    const al_trace_tensor *w = method_tensor(trace, "inverse_sum", "weights", 1, 2);
    assert_same_float(al_trace_tensor_at(scores, 0, 0), 1.0f);
    assert_same_float(al_trace_tensor_at(scores, 0, 1), 1.0f);
    assert_same_float(al_trace_tensor_at(w, 0, 0), 0.5f);
    assert_same_float(al_trace_tensor_at(w, 0, 1), 0.5f);
    assert_same_float(al_trace_tensor_at(method_tensor(trace, "inverse_sum", "out", 1, 1), 0, 0),
                      1.5f);
    assert_null(strstr(r.out, "1 / |70 - 70|"));
    assert_null(strstr(r.out, "\"masked\": a query lies")); /* nothing is masked */
    const char *lines[] = {"(A query lies exactly on a key; step 5 explains.)",
                           "|70 - 70| = 0: the query is on this key, score 1.0000 (the "
                           "exact-match rule, step 5)",
                           "k=70   1.0000 / (1.0000 + 1.0000) = 0.5000",
                           "Query 70 retrieves 1.5:",
                           "Step 5: a query equal to a key",
                           "So the rule: a key at distance 0 gets score 1",
                           "Query 70 sits on 2 keys equal to 70: each gets weight 0.5000, and "
                           "it retrieves\n  1.5, the mean of their values (no other key to "
                           "mask).", NULL};
    expect_in_order(r.out, lines);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* Query 70 against keys 70 and 80, explained first: key 70 by the rule,
 * key 80 masked and left out of the sum (not "1 / |80 - 70| = -inf" nor
 * "1.0000 + -inf"); weights 1 and 0. */
static void a_query_on_a_key_masks_the_other(void **state)
{
    const char *extra[] = {"--query", "70,75", NULL};
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson02, *state, "t.jsonl", extra);
    assert_null(strstr(r.out, "-inf")); /* "masked", as in the tables */
    const char *lines[] = {"(\"masked\": a query lies exactly on a key; step 5 explains.)",
                           "|70 - 70| = 0: the query is on this key, score 1.0000",
                           "1 / |80 - 70|: masked, as the query is on another key (step 5)",
                           "k=70   1.0000 / 1.0000 = 1.0000",
                           "k=80   masked: left out of the sum, weight 0.0000",
                           "Query 70 sits on key 70: it retrieves 1000, that key's own value",
                           NULL};
    expect_in_order(r.out, lines);
    al_trace_file_free(trace);
    run_result_free(&r);
}

static void runs_repeat_byte_for_byte(void **state)
{
    expect_runs_repeat_exactly(lesson02, *state, NULL);
}

static void figures_are_drawn_when_asked(void **state)
{
    lesson_folder *folder = *state;
    run_result r;
    const char *files[] = {"t-weights.png", "t-weights.svg", "t-bars-q75.png", "t-bars-q72.png",
                           "t-bars-q70.svg", "t-flow.svg", NULL};
    expect_figures(&r, lesson02, folder, NULL, files);
    run_result_free(&r);
}

static void bad_input_is_refused_with_one_line(void **state)
{
    const char *mismatch[] = {"--keys", "1,2,3", NULL};
    expect_refusal(lesson02, *state, mismatch, "--keys gives 3 keys but --values gives 2 values");
    const char *gap[] = {"--query", "70,,80", NULL};
    expect_refusal(lesson02, *state, gap, "--query needs 1 to 32 numbers separated by commas");
    const char *word[] = {"--values", "ten,twenty", NULL};
    expect_refusal(lesson02, *state, word, "--values needs 1 to 32 numbers");
    const char *sigma[] = {"--sigma", "0", NULL};
    expect_refusal(lesson02, *state, sigma, "--sigma must be greater than 0");
    const char *temperature[] = {"--temperature", "-1", NULL};
    expect_refusal(lesson02, *state, temperature, "--temperature must be greater than 0");
    const char *unknown[] = {"--heads", "2", NULL};
    expect_refusal(lesson02, *state, unknown, "unknown option '--heads'");
    const char *missing[] = {"--query", NULL};
    expect_refusal(lesson02, *state, missing, "--query needs a value");
}

static void help_example_works_as_typed(void **state)
{
    const char *help[] = {"lesson02 --keys 70,80 --values 1000,1500 --query 75,72,70", NULL};
    expect_help_mentions(lesson02, help);
    run_result r;
    const char *example[] = {"--keys", "70,80", "--values", "1000,1500", "--query", "75,72,70",
                             NULL};
    al_trace_file_free(lesson_run_ok(&r, lesson02, *state, "t.jsonl", example));
    assert_non_null(strstr(r.out, "Query 75 retrieves 1250"));
    run_result_free(&r);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_lesson02 PATH-TO-lesson02\n");
        return 2;
    }
    lesson02 = argv[1];
    const struct CMUnitTest tests[] = {
        lesson_test(defaults_trace_every_step_with_labels),
        lesson_test(query_75_retrieves_1250),
        lesson_test(queries_72_and_70_retrieve_1100_and_1000),
        lesson_test(other_similarities_follow_their_formulas),
        lesson_test(another_table_gives_its_hand_computed_answer),
        lesson_test(a_query_on_two_equal_keys_shares_their_weight),
        lesson_test(a_query_on_a_key_masks_the_other),
        lesson_test(runs_repeat_byte_for_byte),
        lesson_test(figures_are_drawn_when_asked),
        lesson_test(bad_input_is_refused_with_one_line),
        lesson_test(help_example_works_as_typed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
