/* test_softmax_explained.c: one row's softmax with every step kept: the
 * chapter's softmax(2.0, 1.0, 0.1) step by step, agreement with the
 * attention softmax, a temperature, the records it traces and bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "attnlab/softmax.h"
#include "attnlab/softmax_explained.h"
#include "check.h"
#include "trace_capture.h"

/* float32 keeps about 7 significant digits: an exp or a quotient of a few
 * terms is within a few units in the last place (6e-8 near 1). */
#define STEP_TOLERANCE 2e-7

static al_softmax_explained explain(const float *values, int n, float temperature)
{
    al_softmax_explained steps;
    assert_int_equal(al_softmax_explained_alloc(&steps, n, NULL), AL_OK);
    al_matrix scores = al_matrix_wrap((float *)values, 1, n);
    assert_int_equal(al_softmax_explain(&steps, &scores, NULL, temperature, NULL, (al_trace_at){0},
                                        NULL), AL_OK);
    return steps;
}

/* softmax(2.0, 1.0, 0.1) by hand:
 *   max = 2; shifted = (0, -1, -1.9)
 *   exp = (1, e^-1, e^-1.9) = (1, 0.367879, 0.149569)
 *   sum = 1.517448
 *   weights = (0.659001, 0.242433, 0.098566) ≈ (0.659, 0.242, 0.099)
 * The test recomputes each step in double from the float scores. */
static void chapter_example_step_by_step(void **state)
{
    (void)state;
    const float s[] = {2.0f, 1.0f, 0.1f};
    al_softmax_explained steps = explain(s, 3, 1.0f);
    assert_same_float(steps.max, 2.0f);
    double sum = 0.0;
    for (int j = 0; j < 3; j++) {
        double shifted = (double)s[j] - 2.0;
        assert_close(*al_at(&steps.shifted, 0, j), shifted, STEP_TOLERANCE);
        assert_close(*al_at(&steps.exps, 0, j), exp(shifted), STEP_TOLERANCE);
        sum += exp(shifted);
    }
    assert_close(steps.sum, sum, STEP_TOLERANCE * 3);
    for (int j = 0; j < 3; j++)
        assert_close(*al_at(&steps.weights, 0, j), exp((double)s[j] - 2.0) / sum,
                     STEP_TOLERANCE);
    assert_close(*al_at(&steps.weights, 0, 0), 0.659, 0.0005);
    assert_close(*al_at(&steps.weights, 0, 1), 0.242, 0.0005);
    assert_close(*al_at(&steps.weights, 0, 2), 0.099, 0.0005);
    al_softmax_explained_free(&steps);
}

/* The weights are the attention softmax's, bit for bit, at any T. */
static void weights_are_the_attention_softmax(void **state)
{
    (void)state;
    const float s[] = {0.3f, -1.25f, 4.0f, 4.0f, 2.5f};
    const float temperatures[] = {0.1f, 1.0f, 3.0f};
    for (int t = 0; t < 3; t++) {
        al_softmax_explained steps = explain(s, 5, temperatures[t]);
        float weights[5];
        al_matrix scores = al_matrix_wrap((float *)s, 1, 5), w = al_matrix_wrap(weights, 1, 5);
        assert_int_equal(al_softmax_rows(&w, &scores, temperatures[t], NULL, NULL), AL_OK);
        for (int j = 0; j < 5; j++)
            assert_same_float(*al_at(&steps.weights, 0, j), weights[j]);
        al_softmax_explained_free(&steps);
    }
}

/* T = 2 halves the exponents: shifted = (0, -0.5, -0.95). */
static void temperature_divides_the_shifted_scores(void **state)
{
    (void)state;
    const float s[] = {2.0f, 1.0f, 0.1f};
    al_softmax_explained steps = explain(s, 3, 2.0f);
    assert_same_float(*al_at(&steps.shifted, 0, 0), 0.0f);
    assert_same_float(*al_at(&steps.shifted, 0, 1), -0.5f);
    assert_close(*al_at(&steps.shifted, 0, 2), ((double)0.1f - 2.0) / 2.0, STEP_TOLERANCE);
    assert_close(*al_at(&steps.exps, 0, 1), exp(-0.5), STEP_TOLERANCE);
    al_softmax_explained_free(&steps);
}

static void every_step_is_traced_with_its_inputs(void **state)
{
    (void)state;
    trace_capture c;
    capture_start(&c);
    const float s[] = {2.0f, 1.0f, 0.1f};
    const char *labels[] = {"a", "b", "c"};
    al_softmax_explained steps;
    assert_int_equal(al_softmax_explained_alloc(&steps, 3, NULL), AL_OK);
    al_matrix scores = al_matrix_wrap((float *)s, 1, 3);
    assert_int_equal(al_softmax_explain(&steps, &scores, "sm.scores", 0.5f, labels,
                                        (al_trace_at){c.trace, "sm"}, NULL), AL_OK);
    capture_finish(&c);
    assert_trace_has(&c, "\"name\": \"sm.temperature\", \"role\": \"input\"");
    assert_trace_has(&c, "\"name\": \"sm.max\", \"role\": \"activation\", \"op\": \"max\", "
                         "\"inputs\": [\"sm.scores\"], \"shape\": [1, 1]");
    assert_trace_has(&c, "\"name\": \"sm.shifted\", \"role\": \"activation\", \"op\": "
                         "\"subtract_max\", \"inputs\": [\"sm.scores\", \"sm.max\", "
                         "\"sm.temperature\"]");
    assert_trace_has(&c, "\"name\": \"sm.exp\", \"role\": \"activation\", \"op\": \"exp\", "
                         "\"inputs\": [\"sm.shifted\"], \"shape\": [1, 3], \"rows\": null, "
                         "\"cols\": [\"a\", \"b\", \"c\"]");
    assert_trace_has(&c, "\"name\": \"sm.sum\", \"role\": \"activation\", \"op\": \"sum\", "
                         "\"inputs\": [\"sm.exp\"]");
    assert_trace_has(&c, "\"name\": \"sm.weights\", \"role\": \"activation\", \"op\": "
                         "\"divide\", \"inputs\": [\"sm.exp\", \"sm.sum\"]");
    assert_trace_has(&c, "\"data\": [[0, -2, -3.8]]"); /* shifted at T = 0.5: (s - 2) / 0.5 */
    capture_free(&c);
    al_softmax_explained_free(&steps);
}

static void bad_input_is_refused(void **state)
{
    (void)state;
    al_softmax_explained steps;
    assert_int_equal(al_softmax_explained_alloc(&steps, 3, NULL), AL_OK);
    float s[] = {1.0f, NAN, 0.0f};
    al_matrix scores = al_matrix_wrap(s, 1, 3), two = al_matrix_wrap(s, 1, 2);
    al_error err = {0};
    assert_int_equal(al_softmax_explain(&steps, &scores, NULL, 1.0f, NULL, (al_trace_at){0}, &err),
                     AL_ERR_VALUE);
    assert_non_null(strstr(err.message, "score 1 is nan"));
    s[1] = -INFINITY;
    assert_int_equal(al_softmax_explain(&steps, &scores, NULL, 1.0f, NULL, (al_trace_at){0}, &err),
                     AL_ERR_VALUE);
    s[1] = 0.5f;
    assert_int_equal(al_softmax_explain(&steps, &scores, NULL, 0.0f, NULL, (al_trace_at){0}, &err),
                     AL_ERR_VALUE);
    assert_non_null(strstr(err.message, "temperature"));
    assert_int_equal(al_softmax_explain(&steps, &two, NULL, 1.0f, NULL, (al_trace_at){0}, &err),
                     AL_ERR_SHAPE);
    trace_capture c;
    capture_start(&c);
    assert_int_equal(al_softmax_explain(&steps, &scores, NULL, 1.0f, NULL,
                                        (al_trace_at){c.trace, NULL}, &err),
                     AL_ERR_ARG);
    capture_finish(&c);
    capture_free(&c);
    al_softmax_explained_free(&steps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chapter_example_step_by_step),
        cmocka_unit_test(weights_are_the_attention_softmax),
        cmocka_unit_test(temperature_divides_the_shifted_scores),
        cmocka_unit_test(every_step_is_traced_with_its_inputs),
        cmocka_unit_test(bad_input_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
