/* test_softmax.c: the stable row softmax: the chapter's example, masks,
 * saturation without overflow, temperature and bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "attnlab/softmax.h"
#include "check.h"

/* float32 keeps about 7 significant digits; a softmax of a few terms is
 * within a few units in the last place of the exact value. */
#define WEIGHT_TOLERANCE 1e-7

/* The chapter's example. Exactly: e^2, e^1, e^0.1 over their sum
 * = 7.389056 / 11.212509 ≈ 0.659, 2.718282 / 11.212509 ≈ 0.242,
 *   1.105171 / 11.212509 ≈ 0.099. The test recomputes them in double. */
static void chapter_example_2_1_point1(void **state)
{
    (void)state;
    float scores[] = {2.0f, 1.0f, 0.1f}, weights[3];
    al_matrix s = al_matrix_wrap(scores, 1, 3), w = al_matrix_wrap(weights, 1, 3);
    assert_int_equal(al_softmax_rows(&w, &s, 1.0f, NULL, NULL), AL_OK);
    double total = exp(2.0) + exp(1.0) + exp((double)0.1f);
    assert_close(weights[0], exp(2.0) / total, WEIGHT_TOLERANCE);
    assert_close(weights[1], exp(1.0) / total, WEIGHT_TOLERANCE);
    assert_close(weights[2], exp((double)0.1f) / total, WEIGHT_TOLERANCE);
    assert_close(weights[0], 0.659, 0.0005);
    assert_close(weights[1], 0.242, 0.0005);
    assert_close(weights[2], 0.099, 0.0005);
}

/* The steps one row reports: max 2, exps e^0, e^-1, e^-1.9, sum of those. */
static void row_reports_max_exps_and_sum(void **state)
{
    (void)state;
    float scores[] = {2.0f, 1.0f, 0.1f}, weights[3], exps[3];
    al_softmax_steps steps = al_softmax_row(weights, exps, scores, 3, 1.0f);
    assert_same_float(steps.max, 2.0f);
    assert_same_float(exps[0], 1.0f);
    assert_close(exps[1], exp(-1.0), WEIGHT_TOLERANCE);
    assert_close(exps[2], exp(0.1 - 2.0), WEIGHT_TOLERANCE);
    assert_close(steps.sum, 1.0 + exp(-1.0) + exp(0.1 - 2.0), 1e-6);
    assert_false(steps.all_masked);
}

/* Masked (-inf) entries get exactly 0 and the rest renormalise: (1, -inf, 1)
 * gives (0.5, 0, 0.5); a row of only -inf gives zeros and is counted. */
static void masked_entries_are_exactly_zero_and_full_mask_is_reported(void **state)
{
    (void)state;
    float scores[] = {1.0f, -INFINITY, 1.0f, -INFINITY, -INFINITY, -INFINITY}, weights[6];
    al_matrix s = al_matrix_wrap(scores, 2, 3), w = al_matrix_wrap(weights, 2, 3);
    int fully_masked = -1;
    assert_int_equal(al_softmax_rows(&w, &s, 1.0f, &fully_masked, NULL), AL_OK);
    assert_same_float(weights[0], 0.5f);
    assert_same_float(weights[1], 0.0f);
    assert_same_float(weights[2], 0.5f);
    for (int j = 3; j < 6; j++)
        assert_same_float(weights[j], 0.0f);
    assert_int_equal(fully_masked, 1);
}

/* Scores of 1e30 would overflow exp directly; after subtracting the max the
 * largest exponent is 0, so the row is one-hot and finite. */
static void huge_scores_saturate_to_one_hot_without_overflow(void **state)
{
    (void)state;
    float scores[] = {1e30f, 5e29f, -1e30f}, weights[3];
    al_matrix s = al_matrix_wrap(scores, 1, 3), w = al_matrix_wrap(weights, 1, 3);
    assert_int_equal(al_softmax_rows(&w, &s, 1.0f, NULL, NULL), AL_OK);
    assert_same_float(weights[0], 1.0f);
    assert_same_float(weights[1], 0.0f);
    assert_same_float(weights[2], 0.0f);
}

/* Temperature T divides the scores: softmax(s / 0.5) = softmax(2s). */
static void temperature_divides_scores(void **state)
{
    (void)state;
    float scores[] = {0.3f, -0.2f, 0.9f}, doubled[] = {0.6f, -0.4f, 1.8f};
    float at_half[3], plain_doubled[3];
    al_softmax_row(at_half, NULL, scores, 3, 0.5f);
    al_softmax_row(plain_doubled, NULL, doubled, 3, 1.0f);
    for (int j = 0; j < 3; j++)
        assert_close(at_half[j], plain_doubled[j], WEIGHT_TOLERANCE);
}

static void rows_sum_to_one(void **state)
{
    (void)state;
    float scores[4 * 5], weights[4 * 5];
    for (int i = 0; i < 20; i++)
        scores[i] = (float)((i * 37) % 11) - 5.0f;
    al_matrix s = al_matrix_wrap(scores, 4, 5), w = al_matrix_wrap(weights, 4, 5);
    assert_int_equal(al_softmax_rows(&w, &s, 1.0f, NULL, NULL), AL_OK);
    for (int i = 0; i < 4; i++) {
        double sum = 0;
        for (int j = 0; j < 5; j++)
            sum += weights[i * 5 + j];
        assert_close(sum, 1.0, 1e-6);
    }
}

/* The chapter's form, without the max: exps e^2 = 7.389056, e^1 =
 * 2.718282, e^0.1 = 1.105171, sum 11.212509 (the chapter's 7.39 + 2.72 +
 * 1.11 = 11.22 adds rounded terms), and the same weights as the stable
 * row. Each exp is one float rounding of a number below 8 (5e-7); the sum
 * adds three of them (1.5e-6). */
#define PLAIN_EXP_TOLERANCE 5e-7
#define PLAIN_SUM_TOLERANCE 1.5e-6
static void plain_form_gives_the_same_weights_until_it_overflows(void **state)
{
    (void)state;
    float scores[] = {2.0f, 1.0f, 0.1f}, plain[3], exps[3], stable[3];
    float sum = al_softmax_row_plain(plain, exps, scores, 3, 1.0f);
    assert_close(exps[0], exp(2.0), PLAIN_EXP_TOLERANCE);
    assert_close(exps[1], exp(1.0), PLAIN_EXP_TOLERANCE);
    assert_close(exps[2], exp((double)0.1f), PLAIN_EXP_TOLERANCE);
    assert_close(sum, exp(2.0) + exp(1.0) + exp((double)0.1f), PLAIN_SUM_TOLERANCE);
    al_softmax_row(stable, NULL, scores, 3, 1.0f);
    for (int j = 0; j < 3; j++)
        assert_close(plain[j], stable[j], WEIGHT_TOLERANCE);

    /* exp(100) is about 2.7e43, past float32's 3.4e38: infinite, and so is
     * the sum; inf / inf is NaN, where the stable row gives 1 and e^-10. */
    float big[] = {100.0f, 90.0f};
    sum = al_softmax_row_plain(plain, exps, big, 2, 1.0f);
    assert_true(isinf(exps[0]) && isinf(sum));
    assert_true(isnan(plain[0]) && isnan(plain[1]));
    al_softmax_row(stable, NULL, big, 2, 1.0f);
    assert_close(stable[1], exp(-10.0) / (1.0 + exp(-10.0)), WEIGHT_TOLERANCE);

    /* A masked score gives exp 0 in this form too. */
    float masked[] = {1.0f, -INFINITY};
    sum = al_softmax_row_plain(plain, exps, masked, 2, 1.0f);
    assert_same_float(exps[1], 0.0f);
    assert_same_float(plain[0], 1.0f);
    assert_same_float(plain[1], 0.0f);
}

static void bad_temperature_and_nan_are_refused(void **state)
{
    (void)state;
    float scores[] = {1.0f, 2.0f}, weights[2];
    al_matrix s = al_matrix_wrap(scores, 1, 2), w = al_matrix_wrap(weights, 1, 2);
    al_error err = {0};
    assert_int_equal(al_softmax_rows(&w, &s, 0.0f, NULL, &err), AL_ERR_VALUE);
    assert_non_null(strstr(err.message, "temperature"));
    assert_int_equal(al_softmax_rows(&w, &s, -1.0f, NULL, NULL), AL_ERR_VALUE);
    scores[1] = NAN;
    assert_int_equal(al_softmax_rows(&w, &s, 1.0f, NULL, &err), AL_ERR_VALUE);
    assert_non_null(strstr(err.message, "(0, 1)"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chapter_example_2_1_point1),
        cmocka_unit_test(row_reports_max_exps_and_sum),
        cmocka_unit_test(masked_entries_are_exactly_zero_and_full_mask_is_reported),
        cmocka_unit_test(huge_scores_saturate_to_one_hot_without_overflow),
        cmocka_unit_test(temperature_divides_scores),
        cmocka_unit_test(rows_sum_to_one),
        cmocka_unit_test(plain_form_gives_the_same_weights_until_it_overflows),
        cmocka_unit_test(bad_temperature_and_nan_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
