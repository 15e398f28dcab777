/* test_matrix.c: allocation, views and the elementwise helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "attnlab/matrix.h"
#include "check.h"

static void alloc_gives_zeros_and_free_clears(void **state)
{
    (void)state;
    al_matrix m;
    assert_int_equal(al_matrix_alloc(&m, 2, 3, NULL), AL_OK);
    assert_int_equal(m.rows, 2);
    assert_int_equal(m.cols, 3);
    assert_int_equal(m.stride, 3);
    for (int i = 0; i < 6; i++)
        assert_same_float(m.data[i], 0.0f);
    al_matrix_free(&m);
    assert_null(m.data);
    al_matrix_free(&m); /* twice is harmless */
}

static void alloc_rejects_empty_shape_with_message(void **state)
{
    (void)state;
    al_matrix m;
    al_error err = {0};
    assert_int_equal(al_matrix_alloc(&m, 0, 3, &err), AL_ERR_ARG);
    assert_non_null(strstr(err.message, "0 x 3"));
    assert_null(m.data);
}

/* A head slice: columns 2..3 of a 2 x 4 matrix holding 0..7. */
static void column_view_shares_data_with_parent_stride(void **state)
{
    (void)state;
    al_matrix m;
    assert_int_equal(al_matrix_alloc(&m, 2, 4, NULL), AL_OK);
    for (int i = 0; i < 8; i++)
        m.data[i] = (float)i;
    al_matrix head = al_matrix_cols(&m, 2, 2);
    assert_int_equal(head.stride, 4);
    assert_same_float(*al_at(&head, 0, 0), 2.0f);
    assert_same_float(*al_at(&head, 1, 1), 7.0f);
    *al_at(&head, 1, 0) = 60.0f;
    assert_same_float(m.data[6], 60.0f);
    al_matrix row1 = al_matrix_rows(&m, 1, 1);
    assert_same_float(*al_at(&row1, 0, 2), 60.0f);
    al_matrix_free(&head); /* a view: only cleared, parent still valid */
    assert_same_float(m.data[6], 60.0f);
    al_matrix_free(&m);
}

/* [1 2; 3 4] + [10 20; 30 40] = [11 22; 33 44]; then 0.5 · that. */
static void add_and_scale_by_hand(void **state)
{
    (void)state;
    float a_data[] = {1, 2, 3, 4}, b_data[] = {10, 20, 30, 40}, out_data[4];
    al_matrix a = al_matrix_wrap(a_data, 2, 2), b = al_matrix_wrap(b_data, 2, 2);
    al_matrix out = al_matrix_wrap(out_data, 2, 2);
    assert_int_equal(al_add(&out, &a, &b, NULL), AL_OK);
    float sum[] = {11, 22, 33, 44};
    for (int i = 0; i < 4; i++)
        assert_same_float(out_data[i], sum[i]);
    assert_int_equal(al_scale(&out, &out, 0.5f, NULL), AL_OK);
    float half[] = {5.5f, 11, 16.5f, 22};
    for (int i = 0; i < 4; i++)
        assert_same_float(out_data[i], half[i]);
}

static void add_names_both_shapes_on_mismatch(void **state)
{
    (void)state;
    float a_data[6] = {0}, b_data[6] = {0};
    al_matrix a = al_matrix_wrap(a_data, 2, 3), b = al_matrix_wrap(b_data, 3, 2);
    al_error err = {0};
    assert_int_equal(al_add(&a, &a, &b, &err), AL_ERR_SHAPE);
    assert_non_null(strstr(err.message, "2 x 3"));
    assert_non_null(strstr(err.message, "3 x 2"));
}

/* [1 2; 3 4] + bias [10 20] on every row = [11 22; 13 24]. */
static void row_vector_is_added_to_every_row(void **state)
{
    (void)state;
    float a_data[] = {1, 2, 3, 4}, bias_data[] = {10, 20};
    al_matrix a = al_matrix_wrap(a_data, 2, 2), bias = al_matrix_wrap(bias_data, 1, 2);
    assert_int_equal(al_add_row_vector(&a, &a, &bias, NULL), AL_OK);
    float expected[] = {11, 22, 13, 24};
    for (int i = 0; i < 4; i++)
        assert_same_float(a_data[i], expected[i]);
    al_matrix wrong = al_matrix_wrap(bias_data, 2, 1);
    assert_int_equal(al_add_row_vector(&a, &a, &wrong, NULL), AL_ERR_SHAPE);
}

static void max_abs_diff_finds_largest_and_treats_nan_as_infinite(void **state)
{
    (void)state;
    float a_data[] = {1, 2, -INFINITY}, b_data[] = {1.5f, 2, -INFINITY};
    al_matrix a = al_matrix_wrap(a_data, 1, 3), b = al_matrix_wrap(b_data, 1, 3);
    assert_close(al_max_abs_diff(&a, &b), 0.5, 0);
    b_data[1] = NAN;
    assert_true(isinf(al_max_abs_diff(&a, &b)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(alloc_gives_zeros_and_free_clears),
        cmocka_unit_test(alloc_rejects_empty_shape_with_message),
        cmocka_unit_test(column_view_shares_data_with_parent_stride),
        cmocka_unit_test(add_and_scale_by_hand),
        cmocka_unit_test(add_names_both_shapes_on_mismatch),
        cmocka_unit_test(row_vector_is_added_to_every_row),
        cmocka_unit_test(max_abs_diff_finds_largest_and_treats_nan_as_infinite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
