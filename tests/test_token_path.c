/* test_token_path.c: one token's rows through a stack (token_path.h) and
 * the change of each row between two runs (row_change.h): values worked by
 * hand, refusals, and the trace records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "attnlab/row_change.h"
#include "attnlab/token_path.h"
#include "check.h"
#include "trace_capture.h"

/* Three stages of 2 tokens x 2 columns; row 1 of each is stacked. */
static void the_path_takes_the_row_of_each_stage(void **state)
{
    (void)state;
    float x[] = {1, 2, 3, 4}, l0[] = {5, 6, 7, 8}, l1[] = {9, 10, 11, 12}, path_data[6];
    al_matrix a = al_matrix_wrap(x, 2, 2), b = al_matrix_wrap(l0, 2, 2);
    al_matrix c = al_matrix_wrap(l1, 2, 2), path = al_matrix_wrap(path_data, 3, 2);
    const al_matrix *stages[] = {&a, &b, &c};
    const char *names[] = {"x", "enc.0.norm2", "enc.1.norm2"};
    assert_int_equal(al_token_path(&path, stages, names, 3, 1, NULL, NULL, (al_trace_at){0}, NULL),
                     AL_OK);
    const float expected[] = {3, 4, 7, 8, 11, 12};
    for (int i = 0; i < 6; i++)
        assert_same_float(path_data[i], expected[i]);
}

static void a_row_outside_a_stage_or_a_wrong_width_is_refused(void **state)
{
    (void)state;
    float x[4] = {0}, narrow[2] = {0}, path_data[4];
    al_matrix a = al_matrix_wrap(x, 2, 2), thin = al_matrix_wrap(narrow, 2, 1);
    al_matrix path = al_matrix_wrap(path_data, 2, 2);
    const al_matrix *stages[] = {&a, &a}, *mixed[] = {&a, &thin};
    const char *names[] = {"x", "y"};
    al_error err = {0};
    assert_int_equal(al_token_path(&path, stages, names, 2, 2, NULL, NULL, (al_trace_at){0}, &err),
                     AL_ERR_SHAPE);
    assert_non_null(strstr(err.message, "row 2 is outside stage 0"));
    assert_int_equal(al_token_path(&path, mixed, names, 2, 0, NULL, NULL, (al_trace_at){0}, &err),
                     AL_ERR_SHAPE);
    assert_non_null(strstr(err.message, "stage 1 is 2 x 1"));
    assert_int_equal(al_token_path(&path, stages, names, 0, 0, NULL, NULL, (al_trace_at){0}, &err),
                     AL_ERR_ARG);
}

static void the_path_is_traced_with_every_stage_as_an_input(void **state)
{
    (void)state;
    float x[] = {1, 2}, y[] = {3, 4}, path_data[4];
    al_matrix a = al_matrix_wrap(x, 1, 2), b = al_matrix_wrap(y, 1, 2);
    al_matrix path = al_matrix_wrap(path_data, 2, 2);
    const al_matrix *stages[] = {&a, &b};
    const char *names[] = {"x", "enc.0.norm2"}, *rows[] = {"x", "enc.0"};
    trace_capture capture;
    capture_start(&capture);
    assert_int_equal(al_token_path(&path, stages, names, 2, 0, rows, NULL,
                                   (al_trace_at){capture.trace, "cls.path"}, NULL),
                     AL_OK);
    capture_finish(&capture);
    assert_trace_has(&capture, "\"name\": \"cls.path\", \"role\": \"activation\", \"op\": "
                               "\"gather_row\", \"inputs\": [\"x\", \"enc.0.norm2\"], "
                               "\"attrs\": {\"row\": 0}, \"shape\": [2, 2], \"rows\": [\"x\", \"enc.0\"]");
    assert_trace_has(&capture, "\"data\": [[1, 2], [3, 4]]");
    assert_trace_has(&capture, "\"note\": \"row 0 of each input");
    capture_free(&capture);
}

/* before (2 x 3), after: row 0 the same, row 1 changed by -0.5 and +2:
 * change = (0, 2). */
static void the_change_is_the_largest_difference_in_each_row(void **state)
{
    (void)state;
    float before_data[] = {1, 2, 3, 4, 5, 6}, after_data[] = {1, 2, 3, 3.5f, 7, 6};
    float change_data[2];
    al_matrix before = al_matrix_wrap(before_data, 2, 3);
    al_matrix after = al_matrix_wrap(after_data, 2, 3);
    al_matrix change = al_matrix_wrap(change_data, 2, 1);
    assert_int_equal(al_row_change(&change, al_unnamed(&before), al_unnamed(&after),
                                   (al_trace_at){0}, NULL),
                     AL_OK);
    assert_same_float(change_data[0], 0.0f);
    assert_same_float(change_data[1], 2.0f);
}

static void changes_of_other_shapes_or_nan_are_refused(void **state)
{
    (void)state;
    float a_data[] = {1, 2}, b_data[] = {1, NAN}, change_data[2];
    al_matrix a = al_matrix_wrap(a_data, 1, 2), b = al_matrix_wrap(b_data, 1, 2);
    al_matrix wide = al_matrix_wrap(a_data, 2, 1), change = al_matrix_wrap(change_data, 1, 1);
    al_error err = {0};
    assert_int_equal(al_row_change(&change, al_unnamed(&a), al_unnamed(&wide), (al_trace_at){0},
                                   &err),
                     AL_ERR_SHAPE);
    assert_int_equal(al_row_change(&change, al_unnamed(&a), al_unnamed(&b), (al_trace_at){0}, &err),
                     AL_ERR_VALUE);
    assert_non_null(strstr(err.message, "entry (0, 1)"));
}

static void the_change_is_traced_with_both_runs_as_inputs(void **state)
{
    (void)state;
    float a_data[] = {1, 2}, b_data[] = {1, 2.5f}, change_data[1];
    al_matrix a = al_matrix_wrap(a_data, 1, 2), b = al_matrix_wrap(b_data, 1, 2);
    al_matrix change = al_matrix_wrap(change_data, 1, 1);
    const char *labels[] = {"the"};
    trace_capture capture;
    capture_start(&capture);
    assert_int_equal(al_row_change(&change, (al_named){&a, "gpt.logits", labels},
                                   (al_named){&b, "changed.gpt.logits", labels},
                                   (al_trace_at){capture.trace, "change.gpt"}, NULL),
                     AL_OK);
    capture_finish(&capture);
    assert_trace_has(&capture, "\"name\": \"change.gpt\", \"role\": \"activation\", \"op\": "
                               "\"row_max_abs_difference\", \"inputs\": [\"gpt.logits\", "
                               "\"changed.gpt.logits\"], \"shape\": [1, 1], \"rows\": "
                               "[\"the\"], \"cols\": [\"max |Δ|\"]");
    assert_trace_has(&capture, "\"data\": [[0.5]]");
    capture_free(&capture);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_path_takes_the_row_of_each_stage),
        cmocka_unit_test(a_row_outside_a_stage_or_a_wrong_width_is_refused),
        cmocka_unit_test(the_path_is_traced_with_every_stage_as_an_input),
        cmocka_unit_test(the_change_is_the_largest_difference_in_each_row),
        cmocka_unit_test(changes_of_other_shapes_or_nan_are_refused),
        cmocka_unit_test(the_change_is_traced_with_both_runs_as_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
