/* test_positional.c: sinusoidal encodings against the formula worked by
 * hand, the rotation property, positions past a training length, one-hot
 * and learned tables with their limits, and what the trace records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "attnlab/positional.h"
#include "check.h"
#include "trace_capture.h"

/* sin and cos are computed in double and rounded once to float: within
 * half a unit in the last place, and |PE| <= 1, so within 2^-25 ≈ 3e-8. */
#define ROUNDED_ONCE 6e-8

/* d = 4: pair 0 turns at 1 / 10000^(0/4) = 1, pair 1 at 1 / 10000^(2/4)
 * = 1/100. So
 *   PE(0) = (sin 0, cos 0, sin 0, cos 0)           = (0, 1, 0, 1)
 *   PE(1) = (sin 1, cos 1, sin 0.01, cos 0.01)
 *   PE(2) = (sin 2, cos 2, sin 0.02, cos 0.02) */
static void sinusoidal_matches_the_formula_by_hand(void **state)
{
    (void)state;
    float data[3 * 4];
    al_matrix pos = al_matrix_wrap(data, 3, 4);
    assert_int_equal(al_positional_sinusoidal(&pos, 0, NULL, (al_trace_at){0}, NULL), AL_OK);
    const double expected[3][4] = {{0, 1, 0, 1},
                                   {sin(1.0), cos(1.0), sin(0.01), cos(0.01)},
                                   {sin(2.0), cos(2.0), sin(0.02), cos(0.02)}};
    for (int p = 0; p < 3; p++)
        for (int j = 0; j < 4; j++)
            assert_close(*al_at(&pos, p, j), expected[p][j], ROUNDED_ONCE);
}

/* An odd width ends with a sine column: d = 3, column 2 is
 * sin(p / 10000^(2/3)). */
static void odd_width_ends_with_a_sine(void **state)
{
    (void)state;
    float data[2 * 3];
    al_matrix pos = al_matrix_wrap(data, 2, 3);
    assert_int_equal(al_positional_sinusoidal(&pos, 0, NULL, (al_trace_at){0}, NULL), AL_OK);
    assert_close(data[3 + 2], sin(1.0 / pow(10000.0, 2.0 / 3.0)), ROUNDED_ONCE);
}

/* PE(p + k) = R_k PE(p) for every p, with one fixed rotation per pair:
 *   sin(a + b) = sin a cos b + cos a sin b
 *   cos(a + b) = cos a cos b - sin a sin b,   b = k · w_i
 * Checked for p = 0 .. 600 and k = 5, d = 16. Each side carries two
 * roundings of numbers up to 1, plus the products: 3e-7 covers it. */
#define ROTATION_TOLERANCE 3e-7

static void shifting_by_k_is_the_same_rotation_for_every_position(void **state)
{
    (void)state;
    enum { D = 16, K = 5, POSITIONS = 606 };
    static float data[POSITIONS * D];
    al_matrix pos = al_matrix_wrap(data, POSITIONS, D);
    assert_int_equal(al_positional_sinusoidal(&pos, 0, NULL, (al_trace_at){0}, NULL), AL_OK);
    double largest = 0.0;
    for (int p = 0; p + K < POSITIONS; p++) {
        for (int i = 0; i < D / 2; i++) {
            double b = K / pow(10000.0, 2.0 * i / D);
            double s = *al_at(&pos, p, 2 * i), c = *al_at(&pos, p, 2 * i + 1);
            double rotated_s = s * cos(b) + c * sin(b);
            double rotated_c = c * cos(b) - s * sin(b);
            largest = fmax(largest, fabs(rotated_s - *al_at(&pos, p + K, 2 * i)));
            largest = fmax(largest, fabs(rotated_c - *al_at(&pos, p + K, 2 * i + 1)));
        }
    }
    assert_close(largest, 0.0, ROTATION_TOLERANCE);
}

static double distance(const al_matrix *a, int row_a, const al_matrix *b, int row_b)
{
    double sum = 0.0;
    for (int j = 0; j < a->cols; j++) {
        double d = (double)*al_at(a, row_a, j) - *al_at(b, row_b, j);
        sum += d * d;
    }
    return sqrt(sum);
}

/* A model trained on 512 positions meets position 513: the formula just
 * continues. Starting the encoding at 513 gives the same vector as row 513
 * of a longer encoding, and the step 512 -> 513 is as long as 0 -> 1
 * (|PE(p+1) - PE(p)|² = Σ_i 2 - 2 cos(w_i) does not depend on p), while a
 * far position is farther away. */
static void positions_past_the_training_length_continue_smoothly(void **state)
{
    (void)state;
    enum { D = 32 };
    static float all_data[514 * D], one_data[D];
    al_matrix all = al_matrix_wrap(all_data, 514, D), at_513 = al_matrix_wrap(one_data, 1, D);
    assert_int_equal(al_positional_sinusoidal(&all, 0, NULL, (al_trace_at){0}, NULL), AL_OK);
    assert_int_equal(al_positional_sinusoidal(&at_513, 513, NULL, (al_trace_at){0}, NULL), AL_OK);
    for (int j = 0; j < D; j++)
        assert_same_float(one_data[j], *al_at(&all, 513, j));
    double step_at_start = distance(&all, 0, &all, 1);
    double step_past_512 = distance(&all, 512, &at_513, 0);
    assert_close(step_past_512, step_at_start, 1e-6);
    assert_true(distance(&all, 512, &all, 400) > 2 * step_past_512);
}

static void negative_position_is_refused(void **state)
{
    (void)state;
    float data[4];
    al_matrix pos = al_matrix_wrap(data, 1, 4);
    al_error err = {0};
    assert_int_equal(al_positional_sinusoidal(&pos, -1, NULL, (al_trace_at){0}, &err),
                     AL_ERR_VALUE);
    assert_non_null(strstr(err.message, "negative"));
}

/* Rows 2, 3 of a 4-position one-hot encoding: (0 0 1 0), (0 0 0 1). */
static void one_hot_puts_a_single_one_per_row(void **state)
{
    (void)state;
    float data[2 * 4];
    al_matrix pos = al_matrix_wrap(data, 2, 4);
    assert_int_equal(al_positional_one_hot(&pos, 2, NULL, (al_trace_at){0}, NULL), AL_OK);
    const float expected[8] = {0, 0, 1, 0, 0, 0, 0, 1};
    for (int j = 0; j < 8; j++)
        assert_same_float(data[j], expected[j]);
}

static void one_hot_refuses_a_position_past_its_width(void **state)
{
    (void)state;
    float data[2 * 3];
    al_matrix pos = al_matrix_wrap(data, 2, 3);
    al_error err = {0};
    assert_int_equal(al_positional_one_hot(&pos, 2, NULL, (al_trace_at){0}, &err), AL_ERR_VALUE);
    assert_string_equal(err.message, "one-hot positional encoding: position 3 is past the "
                                     "encoding's 3 positions (0 to 2)");
}

/* Table rows are (10r, 10r + 1); positions 1 and 2 pick rows 1 and 2. */
static void learned_copies_table_rows(void **state)
{
    (void)state;
    float table_data[3 * 2] = {0, 1, 10, 11, 20, 21}, data[2 * 2];
    al_matrix table = al_matrix_wrap(table_data, 3, 2), pos = al_matrix_wrap(data, 2, 2);
    assert_int_equal(al_positional_learned(&pos, 1, &table, NULL, (al_trace_at){0}, NULL), AL_OK);
    assert_same_float(data[0], 10.0f);
    assert_same_float(data[1], 11.0f);
    assert_same_float(data[2], 20.0f);
    assert_same_float(data[3], 21.0f);
}

/* A learned table of 3 rows knows nothing about position 3. */
static void learned_refuses_a_position_past_its_table(void **state)
{
    (void)state;
    float table_data[3 * 2] = {0}, data[2 * 2];
    al_matrix table = al_matrix_wrap(table_data, 3, 2), pos = al_matrix_wrap(data, 2, 2);
    al_error err = {0};
    assert_int_equal(al_positional_learned(&pos, 2, &table, NULL, (al_trace_at){0}, &err),
                     AL_ERR_VALUE);
    assert_non_null(strstr(err.message, "position 3 is past"));
    al_matrix narrow = al_matrix_wrap(table_data, 2, 3);
    assert_int_equal(al_positional_learned(&pos, 0, &narrow, NULL, (al_trace_at){0}, &err),
                     AL_ERR_SHAPE);
}

static void traces_record_op_and_labels(void **state)
{
    (void)state;
    float data[2 * 2], table_data[2 * 2] = {1, 2, 3, 4};
    al_matrix pos = al_matrix_wrap(data, 2, 2), table = al_matrix_wrap(table_data, 2, 2);
    const char *labels[] = {"The", "cat"};
    trace_capture capture;
    capture_start(&capture);
    assert_int_equal(al_positional_sinusoidal(&pos, 0, labels, (al_trace_at){capture.trace, "pos"},
                                              NULL),
                     AL_OK);
    assert_int_equal(al_positional_one_hot(&pos, 0, labels, (al_trace_at){capture.trace, "pos1"},
                                           NULL),
                     AL_OK);
    assert_int_equal(
        al_positional_learned(&pos, 0, &table, labels, (al_trace_at){capture.trace, "pos2"},
                              NULL), AL_OK);
    capture_finish(&capture);
    assert_trace_has(&capture, "\"name\": \"pos\", \"role\": \"activation\", \"op\": "
                               "\"sinusoidal\", \"inputs\": [], \"attrs\": {\"first_position\": "
                               "0, \"base\": 10000}, \"shape\": [2, 2], "
                               "\"rows\": [\"The\", \"cat\"]");
    assert_trace_has(&capture, "\"name\": \"pos1\", \"role\": \"activation\", \"op\": "
                               "\"one_hot\"");
    assert_trace_has(&capture, "\"name\": \"pos2.table\", \"role\": \"param\"");
    assert_trace_has(&capture, "\"op\": \"learned_lookup\", \"inputs\": [\"pos2.table\"]");
    capture_free(&capture);
}

static void tracing_without_a_name_is_refused(void **state)
{
    (void)state;
    float data[2];
    al_matrix pos = al_matrix_wrap(data, 1, 2);
    trace_capture capture;
    capture_start(&capture);
    al_error err = {0};
    assert_int_equal(al_positional_sinusoidal(&pos, 0, NULL, (al_trace_at){capture.trace, NULL},
                                              &err),
                     AL_ERR_ARG);
    capture_finish(&capture);
    capture_free(&capture);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sinusoidal_matches_the_formula_by_hand),
        cmocka_unit_test(odd_width_ends_with_a_sine),
        cmocka_unit_test(shifting_by_k_is_the_same_rotation_for_every_position),
        cmocka_unit_test(positions_past_the_training_length_continue_smoothly),
        cmocka_unit_test(negative_position_is_refused),
        cmocka_unit_test(one_hot_puts_a_single_one_per_row),
        cmocka_unit_test(one_hot_refuses_a_position_past_its_width),
        cmocka_unit_test(learned_copies_table_rows),
        cmocka_unit_test(learned_refuses_a_position_past_its_table),
        cmocka_unit_test(traces_record_op_and_labels),
        cmocka_unit_test(tracing_without_a_name_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
