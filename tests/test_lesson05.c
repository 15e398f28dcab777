/* test_lesson05.c: lesson05 (self-attention step by step) as a student runs
 * it: defaults, the polysemy of "bank", an unknown word, random weights,
 * figures, determinism and every refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"
#include "lesson_check.h"

static const char *lesson05; /* the program, from argv[1] */

/* Softmax sums of six float32 weights: within a few units of 2^-24 of 1. */
#define ROW_SUM_TOLERANCE 1e-6

static int make(void **state)
{
    lesson_folder *folder = malloc(sizeof *folder);
    lesson_folder_make(folder);
    *state = folder;
    return 0;
}

static int remove_folder(void **state)
{
    lesson_folder_remove(*state);
    free(*state);
    return 0;
}

/* Run with extra arguments; expect exit 0 and return the trace. */
static al_trace_file *run_ok(lesson_folder *folder, const char *const *extra, run_result *r)
{
    lesson_run(r, lesson05, folder, "t.jsonl", 0, extra);
    if (r->exit_code != 0)
        fail_msg("lesson05 exited %d: %s", r->exit_code, r->err);
    return lesson_trace(folder, "t.jsonl");
}

static void defaults_trace_every_step_with_the_chapter_shapes(void **state)
{
    run_result r;
    al_trace_file *trace = run_ok(*state, NULL, &r);
    const al_trace_tensor *w = expect_tensor(trace, "enc.0.attn.h0.weights", 6, 6);
    expect_labels(w, 'r', "The,cat,walks,by,the,bank");
    expect_labels(w, 'c', "The,cat,walks,by,the,bank");
    expect_tensor(trace, "embed", 6, 6);
    expect_tensor(trace, "enc.0.attn.w_q", 6, 6);
    expect_tensor(trace, "enc.0.attn.q", 6, 6);
    expect_tensor(trace, "enc.0.attn.k", 6, 6);
    expect_tensor(trace, "enc.0.attn.v", 6, 6);
    expect_tensor(trace, "enc.0.attn.h0.scores", 6, 6);
    expect_tensor(trace, "enc.0.attn.h0.scaled", 6, 6);
    expect_tensor(trace, "enc.0.attn.out", 6, 6);
    for (int i = 0; i < 6; i++) {
        double sum = 0;
        for (int j = 0; j < 6; j++)
            sum += al_trace_tensor_at(w, i, j);
        assert_close(sum, 1.0, ROW_SUM_TOLERANCE);
    }
    const char *steps[] = {"Step 1: the sentence as vectors", "Step 2: queries, keys and values",
                           "Step 3: every query against every key",
                           "Step 4: scale by the square root of d_k", "Step 5: softmax",
                           "Step 6: the weighted mean of the values",
                           "L x d_model -> L x L -> L x d_model", NULL};
    expect_in_order(r.out, steps);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* The weights again from the traced Q and K, in double:
 * softmax_j(q_i · k_j / sqrt(6)), compared entry by entry. */
static void weights_agree_with_softmax_of_traced_q_and_k(void **state)
{
    run_result r;
    al_trace_file *trace = run_ok(*state, NULL, &r);
    const al_trace_tensor *q = al_trace_file_find(trace, "enc.0.attn.q");
    const al_trace_tensor *k = al_trace_file_find(trace, "enc.0.attn.k");
    const al_trace_tensor *w = al_trace_file_find(trace, "enc.0.attn.h0.weights");
    for (int i = 0; i < 6; i++) {
        double scores[6], max = -1e300, sum = 0;
        for (int j = 0; j < 6; j++) {
            scores[j] = 0;
            for (int c = 0; c < 6; c++)
                scores[j] += (double)al_trace_tensor_at(q, i, c) * al_trace_tensor_at(k, j, c);
            scores[j] /= sqrt(6.0);
            max = scores[j] > max ? scores[j] : max;
        }
        for (int j = 0; j < 6; j++)
            sum += exp(scores[j] - max);
        for (int j = 0; j < 6; j++)
            assert_close(al_trace_tensor_at(w, i, j), exp(scores[j] - max) / sum, 1e-6);
    }
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* The key (other than the query itself) that row `word` weighs most. */
static const char *strongest_other(const al_trace_tensor *w, const char *word)
{
    int i = -1;
    for (int r = 0; r < w->rows; r++)
        if (strcmp(w->row_labels[r], word) == 0)
            i = r;
    assert_true(i >= 0);
    int best = -1;
    for (int j = 0; j < w->cols; j++)
        if (j != i && (best < 0 || al_trace_tensor_at(w, i, j) > al_trace_tensor_at(w, i, best)))
            best = j;
    return w->col_labels[best];
}

static void bank_looks_at_river_or_money(void **state)
{
    const char *river[] = {"--sentence", "The cat walks by the river bank", NULL};
    const char *money[] = {"--sentence", "The man deposits money at the bank", NULL};
    run_result r;
    al_trace_file *trace = run_ok(*state, river, &r);
    const al_trace_tensor *w = al_trace_file_find(trace, "enc.0.attn.h0.weights");
    assert_string_equal(strongest_other(w, "bank"), "river");
    al_trace_file_free(trace);
    run_result_free(&r);

    trace = run_ok(*state, money, &r);
    w = al_trace_file_find(trace, "enc.0.attn.h0.weights");
    assert_string_equal(strongest_other(w, "bank"), "money");
    al_trace_file_free(trace);
    run_result_free(&r);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *text = calloc(1, 1 << 20);
    size_t n = fread(text, 1, (1 << 20) - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

/* "zebra" is not in the table: it gets a made-up vector, the printout
 * says so, and a second run writes the same bytes. */
static void unknown_word_is_announced_and_runs_repeat_exactly(void **state)
{
    lesson_folder *folder = *state;
    const char *extra[] = {"--sentence", "The zebra walks", NULL};
    run_result r;
    al_trace_file *trace = run_ok(folder, extra, &r);
    assert_non_null(strstr(r.out, "'zebra' is not in"));
    const al_trace_tensor *x = expect_tensor(trace, "embed", 3, 6);
    assert_true(al_trace_tensor_at(x, 1, 0) != 0.0f || al_trace_tensor_at(x, 1, 1) != 0.0f);
    al_trace_file_free(trace);
    char path[256];
    snprintf(path, sizeof path, "%s/t.jsonl", folder->path);
    char *first = slurp(path);
    char *first_out = strdup(r.out);
    run_result_free(&r);
    trace = run_ok(folder, extra, &r);
    char *second = slurp(path);
    assert_string_equal(first, second);
    assert_string_equal(first_out, r.out);
    free(first);
    free(second);
    free(first_out);
    al_trace_file_free(trace);
    run_result_free(&r);
}

static void random_weights_take_d_model(void **state)
{
    const char *extra[] = {"--random", "--d-model", "8", "--seed", "7", NULL};
    run_result r;
    al_trace_file *trace = run_ok(*state, extra, &r);
    expect_tensor(trace, "enc.0.attn.q", 6, 8);
    expect_tensor(trace, "enc.0.attn.h0.weights", 6, 6);
    assert_true(trace->seed == 7);
    al_trace_file_free(trace);
    run_result_free(&r);
}

static int exists(const char *folder, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", folder, name);
    return access(path, F_OK) == 0;
}

static void figures_are_drawn_beside_when_asked(void **state)
{
    lesson_folder *folder = *state;
    run_result r;
    lesson_run(&r, lesson05, folder, "t.jsonl", 1, NULL);
    assert_int_equal(r.exit_code, 0);
    assert_true(exists(folder->path, "t-weights.png"));
    assert_true(exists(folder->path, "t-weights.svg"));
    assert_true(exists(folder->path, "t-flow.svg"));
    assert_non_null(strstr(r.out, "Redraw with:"));
    run_result_free(&r);
}

/* Each mistake: exit 2, one line on stderr naming it, no trace left. */
static void expect_refusal(lesson_folder *folder, const char *const *extra, const char *words)
{
    run_result r;
    lesson_run(&r, lesson05, folder, "t.jsonl", 0, extra);
    assert_int_equal(r.exit_code, 2);
    if (!strstr(r.err, words))
        fail_msg("stderr '%s' does not say '%s'", r.err, words);
    assert_non_null(strchr(r.err, '\n'));
    assert_null(strchr(r.err, '\n') + 1 < r.err + r.err_length ? "two lines" : NULL);
    assert_false(exists(folder->path, "t.jsonl"));
    run_result_free(&r);
}

static void bad_input_is_refused_with_one_line(void **state)
{
    const char *empty[] = {"--sentence", "   ", NULL};
    expect_refusal(*state, empty, "empty");
    const char *longer[] = {"--sentence", "a a a a a a a a a a a a a a a a a a a a a a a a a a a a a "
                                          "a a a a", NULL};
    expect_refusal(*state, longer, "at most 32");
    const char *unknown[] = {"--heads", "2", NULL};
    expect_refusal(*state, unknown, "unknown option '--heads'");
    const char *d_model[] = {"--random", "--d-model", "0", NULL};
    expect_refusal(*state, d_model, "--d-model needs a whole number from 1 to 512");
    const char *missing[] = {"--sentence", NULL};
    expect_refusal(*state, missing, "--sentence needs a value");
}

static void help_example_works_as_typed(void **state)
{
    (void)state;
    run_result r;
    assert_int_equal(run_program_args(&r, NULL, lesson05, "--help", NULL), 0);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "lesson05 --sentence \"The cat walks by the river bank\""));
    assert_non_null(strstr(r.out, "--trace-level"));
    run_result_free(&r);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_lesson05 PATH-TO-lesson05\n");
        return 2;
    }
    lesson05 = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(defaults_trace_every_step_with_the_chapter_shapes, make,
                                        remove_folder),
        cmocka_unit_test_setup_teardown(weights_agree_with_softmax_of_traced_q_and_k, make,
                                        remove_folder),
        cmocka_unit_test_setup_teardown(bank_looks_at_river_or_money, make, remove_folder),
        cmocka_unit_test_setup_teardown(unknown_word_is_announced_and_runs_repeat_exactly, make,
                                        remove_folder),
        cmocka_unit_test_setup_teardown(random_weights_take_d_model, make, remove_folder),
        cmocka_unit_test_setup_teardown(figures_are_drawn_beside_when_asked, make, remove_folder),
        cmocka_unit_test_setup_teardown(bad_input_is_refused_with_one_line, make, remove_folder),
        cmocka_unit_test(help_example_works_as_typed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
