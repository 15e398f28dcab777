/* test_lesson03.c: lesson03 (softmax, temperature and scaling) as a
 * student runs it: softmax(2.0, 1.0, 0.1) = (0.659, 0.242, 0.099) with its
 * steps, the temperature sweep from greedy to uniform, the measured
 * Var(q · k) ≈ d and the saturating softmax, other inputs, figures,
 * determinism and every refusal. The default run (the slow one: it draws
 * a few million random numbers) is made once and shared. */
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

static const char *lesson03; /* the program, from argv[1] */

/* float32 softmax weights against the double formula: a few units in the
 * last place of numbers below 1. */
#define WEIGHT_TOLERANCE 1e-6
/* The lesson's defaults for the measurement. */
#define DEFAULT_SAMPLES 10000

/* The default run, shared by the tests that only read it. */
typedef struct default_run {
    lesson_folder folder;
    run_result result;
    al_trace_file *trace;
} default_run;

static int run_defaults(void **state)
{
    default_run *d = calloc(1, sizeof *d);
    lesson_folder_make(&d->folder);
    d->trace = lesson_run_ok(&d->result, lesson03, &d->folder, "t.jsonl", NULL);
    *state = d;
    return 0;
}

static int free_defaults(void **state)
{
    default_run *d = *state;
    al_trace_file_free(d->trace);
    run_result_free(&d->result);
    lesson_folder_remove(&d->folder);
    free(d);
    return 0;
}

/* Small measurements for the tests that do not look at them. */
static const char *const QUICK[] = {"--samples", "200", "--draws", "20", NULL};

static void defaults_trace_every_step_with_labels(void **state)
{
    default_run *d = *state;
    const char *steps[] = {"softmax.scores", "softmax.shifted", "softmax.exp", "softmax.weights",
                           NULL};
    for (int i = 0; steps[i]; i++)
        expect_labels(expect_tensor(d->trace, steps[i], 1, 3), 'c', "2,1,0.1");
    expect_tensor(d->trace, "softmax.max", 1, 1);
    expect_tensor(d->trace, "softmax.sum", 1, 1);
    const char *sweep[] = {"sweep.T=0.1.probs", "sweep.T=0.5.probs", "sweep.T=1.0.probs",
                           "sweep.T=2.0.probs", "sweep.T=10.0.probs", NULL};
    for (int i = 0; sweep[i]; i++)
        expect_labels(expect_tensor(d->trace, sweep[i], 1, 3), 'c', "2,1,0.1");
    const char *tables[] = {"scaling.variance", "scaling.peak", NULL};
    for (int i = 0; tables[i]; i++) {
        const al_trace_tensor *t = expect_tensor(d->trace, tables[i], 2, 6);
        expect_labels(t, 'r', "q·k,q·k/√d");
        expect_labels(t, 'c', "d=1,d=4,d=16,d=64,d=256,d=1024");
    }
    const char *printed[] = {"Step 1: the scores", "Step 2: subtract the largest score",
                             "softmax.max", "Step 3: exponentials", "Step 4: their sum",
                             "softmax.sum", "Step 5: divide: the weights",
                             "Step 6: temperature", "sweep.T=0.1.probs", "sweep.T=10.0.probs",
                             "Step 7: why divide by √d_k", "scaling.variance",
                             "Step 8: what the spread does to the softmax", "scaling.peak",
                             NULL};
    expect_in_order(d->result.out, printed);
}

/* exp(2 - 2), exp(1 - 2), exp(0.1 - 2) = 1, 0.367879, 0.149569; sum
 * 1.517448; weights 0.659001, 0.242433, 0.098566. */
static void chapter_softmax_is_0_659_0_242_0_099(void **state)
{
    default_run *d = *state;
    assert_non_null(strstr(d->result.out, "softmax(2.0, 1.0, 0.1) = (0.659, 0.242, 0.099)"));
    const double s[3] = {2.0, 1.0, (double)0.1f};
    double sum = 0.0;
    for (int j = 0; j < 3; j++)
        sum += exp(s[j] - 2.0);
    const al_trace_tensor *max = al_trace_file_find(d->trace, "softmax.max");
    const al_trace_tensor *exps = al_trace_file_find(d->trace, "softmax.exp");
    const al_trace_tensor *total = al_trace_file_find(d->trace, "softmax.sum");
    const al_trace_tensor *w = al_trace_file_find(d->trace, "softmax.weights");
    assert_same_float(al_trace_tensor_at(max, 0, 0), 2.0f);
    assert_close(al_trace_tensor_at(total, 0, 0), sum, WEIGHT_TOLERANCE);
    for (int j = 0; j < 3; j++) {
        assert_close(al_trace_tensor_at(exps, 0, j), exp(s[j] - 2.0), WEIGHT_TOLERANCE);
        assert_close(al_trace_tensor_at(w, 0, j), exp(s[j] - 2.0) / sum, WEIGHT_TOLERANCE);
    }
}

/* Each temperature's weights are softmax(s / T) recomputed in double;
 * T = 0.1 is all but one-hot (the runner-up gets e^-10 / (1 + ...) <
 * 5e-5) and T = 10 all but uniform (each within 0.04 of 1/3). */
static void temperature_goes_from_greedy_to_uniform(void **state)
{
    default_run *d = *state;
    const double s[3] = {2.0, 1.0, (double)0.1f};
    const double temperatures[5] = {0.1, 0.5, 1.0, 2.0, 10.0};
    const char *names[5] = {"sweep.T=0.1.probs", "sweep.T=0.5.probs", "sweep.T=1.0.probs",
                            "sweep.T=2.0.probs", "sweep.T=10.0.probs"};
    for (int t = 0; t < 5; t++) {
        const al_trace_tensor *p = al_trace_file_find(d->trace, names[t]);
        double T = (double)(float)temperatures[t], sum = 0.0;
        for (int j = 0; j < 3; j++)
            sum += exp((s[j] - 2.0) / T);
        for (int j = 0; j < 3; j++)
            assert_close(al_trace_tensor_at(p, 0, j), exp((s[j] - 2.0) / T) / sum,
                         WEIGHT_TOLERANCE);
    }
    const al_trace_tensor *cold = al_trace_file_find(d->trace, "sweep.T=0.1.probs");
    const al_trace_tensor *hot = al_trace_file_find(d->trace, "sweep.T=10.0.probs");
    assert_true(al_trace_tensor_at(cold, 0, 0) > 0.9999f);
    for (int j = 0; j < 3; j++)
        assert_close(al_trace_tensor_at(hot, 0, j), 1.0 / 3.0, 0.04);
}

/* Var(q · k) ≈ d within five standard errors of a sample variance,
 * sqrt((2d² + 6d) / N) (see test_dot_variance.c); ≈ 1 after ÷√d. The
 * largest softmax weight climbs past 0.9 unscaled and stays below 0.5
 * scaled (about 0.36 for 8 keys). */
static void scaling_measurements_say_what_the_chapter_says(void **state)
{
    default_run *d = *state;
    const al_trace_tensor *variance = al_trace_file_find(d->trace, "scaling.variance");
    const al_trace_tensor *peak = al_trace_file_find(d->trace, "scaling.peak");
    const int dims[6] = {1, 4, 16, 64, 256, 1024};
    for (int i = 0; i < 6; i++) {
        double tolerance = 5.0 * sqrt((2.0 * dims[i] * dims[i] + 6.0 * dims[i]) /
                                      DEFAULT_SAMPLES);
        assert_close(al_trace_tensor_at(variance, 0, i), dims[i], tolerance);
        assert_close(al_trace_tensor_at(variance, 1, i), 1.0, tolerance / dims[i]);
        assert_true(al_trace_tensor_at(peak, 1, i) < 0.5f);
    }
    assert_true(al_trace_tensor_at(peak, 0, 5) > 0.9f);
    assert_non_null(strstr(d->result.out, "Measured over 10000"));
    /* The figures' x axis and the lines the measurements should follow:
     * exactly d, and d and 1. */
    const al_trace_tensor *widths = expect_tensor(d->trace, "scaling.d", 1, 6);
    const al_trace_tensor *predicted = expect_tensor(d->trace, "scaling.predicted", 2, 6);
    expect_labels(predicted, 'r', "Var = d,Var = 1");
    for (int i = 0; i < 6; i++) {
        assert_true(al_trace_tensor_at(widths, 0, i) == (float)dims[i]);
        assert_true(al_trace_tensor_at(predicted, 0, i) == (float)dims[i]);
        assert_true(al_trace_tensor_at(predicted, 1, i) == 1.0f);
    }
}

/* The same seed gives the same bytes; another seed other measurements. */
static void seed_decides_every_byte(void **state)
{
    lesson_folder *folder = *state;
    const char *seed_7[] = {"--samples", "200", "--draws", "20", "--seed", "7", NULL};
    const char *seed_8[] = {"--samples", "200", "--draws", "20", "--seed", "8", NULL};
    expect_runs_repeat_exactly(lesson03, folder, seed_7);
    char *first = lesson_file_text(folder, "t.jsonl", NULL);
    run_result r;
    al_trace_file_free(lesson_run_ok(&r, lesson03, folder, "t.jsonl", seed_8));
    char *third = lesson_file_text(folder, "t.jsonl", NULL);
    assert_string_not_equal(first, third);
    free(first);
    free(third);
    run_result_free(&r);
}

static void help_example_works_as_typed(void **state)
{
    lesson_folder *folder = *state;
    const char *help[] = {"lesson03 --scores 3,1,0.2,-1 --temperatures 0.25,1,4", NULL};
    expect_help_mentions(lesson03, help);
    run_result r;
    const char *example[] = {"--scores", "3,1,0.2,-1", "--temperatures", "0.25,1,4", NULL};
    al_trace_file *trace = lesson_run_ok(&r, lesson03, folder, "t.jsonl", example);
    expect_labels(expect_tensor(trace, "softmax.weights", 1, 4), 'c', "3,1,0.2,-1");
    expect_tensor(trace, "sweep.T=0.25.probs", 1, 4);
    expect_tensor(trace, "sweep.T=4.0.probs", 1, 4);
    assert_null(al_trace_file_find(trace, "sweep.T=10.0.probs"));
    al_trace_file_free(trace);
    run_result_free(&r);
}

static void figures_are_drawn_when_asked(void **state)
{
    lesson_folder *folder = *state;
    run_result r;
    const char *files[] = {"t-softmax.png", "t-softmax.svg", "t-temperature.png",
                           "t-temperature.svg", "t-variance.png", "t-peak.png", "t-flow.svg",
                           NULL};
    expect_figures(&r, lesson03, folder, QUICK, files);
    run_result_free(&r);
}

static void bad_input_is_refused_with_one_line(void **state)
{
    const char *zero[] = {"--temperatures", "1,0", NULL};
    expect_refusal(lesson03, *state, zero, "every T must be greater than 0, not 0");
    const char *many[] = {"--temperatures", "1,2,3,4,5,6,7,8,9", NULL};
    expect_refusal(lesson03, *state, many, "--temperatures needs 1 to 8 numbers");
    const char *half[] = {"--dims", "4,3.5", NULL};
    expect_refusal(lesson03, *state, half,
                   "every d must be a whole number from 1 to 65536, not 3.5");
    const char *empty[] = {"--scores", "", NULL};
    expect_refusal(lesson03, *state, empty, "--scores needs 1 to 32 numbers");
    const char *samples[] = {"--samples", "1", NULL};
    expect_refusal(lesson03, *state, samples, "--samples needs a whole number from 2 to 1000000");
    const char *unknown[] = {"--sentence", "the cat", NULL};
    expect_refusal(lesson03, *state, unknown, "unknown option '--sentence'");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_lesson03 PATH-TO-lesson03\n");
        return 2;
    }
    lesson03 = argv[1];
    const struct CMUnitTest default_tests[] = {
        cmocka_unit_test(defaults_trace_every_step_with_labels),
        cmocka_unit_test(chapter_softmax_is_0_659_0_242_0_099),
        cmocka_unit_test(temperature_goes_from_greedy_to_uniform),
        cmocka_unit_test(scaling_measurements_say_what_the_chapter_says),
    };
    const struct CMUnitTest other_tests[] = {
        lesson_test(seed_decides_every_byte),
        lesson_test(help_example_works_as_typed),
        lesson_test(figures_are_drawn_when_asked),
        lesson_test(bad_input_is_refused_with_one_line),
    };
    int failed = cmocka_run_group_tests(default_tests, run_defaults, free_defaults);
    return failed + cmocka_run_group_tests(other_tests, NULL, NULL);
}
