/* test_blas.c: the named products against hand-worked examples and against
 * the naive reference loop on random shapes, views and shape errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "attnlab/blas.h"
#include "attnlab/rng.h"
#include "check.h"

/* Sums of up to ~100 products of numbers below 1 in float32: each rounding
 * costs at most 2^-24 relative, so 1e-5 absolute leaves a wide margin. */
#define PRODUCT_TOLERANCE 1e-5

/* a (2x3) = [1 2 3; 4 5 6], b (3x2) = [7 8; 9 10; 11 12]
 * a · b = [1·7+2·9+3·11   1·8+2·10+3·12 ] = [ 58  64]
 *         [4·7+5·9+6·11   4·8+5·10+6·12 ]   [139 154]  */
static float A23[] = {1, 2, 3, 4, 5, 6};
static float B32[] = {7, 8, 9, 10, 11, 12};

static void matmul_2x3_by_3x2_by_hand(void **state)
{
    (void)state;
    float out_data[4];
    al_matrix a = al_matrix_wrap(A23, 2, 3), b = al_matrix_wrap(B32, 3, 2);
    al_matrix out = al_matrix_wrap(out_data, 2, 2);
    assert_int_equal(al_matmul(&out, &a, &b, NULL), AL_OK);
    assert_same_float(out_data[0], 58.0f);
    assert_same_float(out_data[1], 64.0f);
    assert_same_float(out_data[2], 139.0f);
    assert_same_float(out_data[3], 154.0f);
}

/* a · aᵀ with a = [1 2 3; 4 5 6]:
 * [1+4+9      4+10+18 ]   [14 32]
 * [4+10+18   16+25+36 ] = [32 77]  (the Q·Kᵀ shape: rows against rows) */
static void matmul_bt_forms_a_times_b_transposed(void **state)
{
    (void)state;
    float out_data[4];
    al_matrix a = al_matrix_wrap(A23, 2, 3), out = al_matrix_wrap(out_data, 2, 2);
    assert_int_equal(al_matmul_bt(&out, &a, &a, NULL), AL_OK);
    float expected[] = {14, 32, 32, 77};
    for (int i = 0; i < 4; i++)
        assert_same_float(out_data[i], expected[i]);
}

/* aᵀ · a with a = [1 2 3; 4 5 6] (3x3):
 * [1+16  2+20  3+24]   [17 22 27]
 * [2+20  4+25  6+30] = [22 29 36]
 * [3+24  6+30  9+36]   [27 36 45] */
static void matmul_at_forms_a_transposed_times_b(void **state)
{
    (void)state;
    float out_data[9];
    al_matrix a = al_matrix_wrap(A23, 2, 3), out = al_matrix_wrap(out_data, 3, 3);
    assert_int_equal(al_matmul_at(&out, &a, &a, NULL), AL_OK);
    float expected[] = {17, 22, 27, 22, 29, 36, 27, 36, 45};
    for (int i = 0; i < 9; i++)
        assert_same_float(out_data[i], expected[i]);
}

/* The _add forms start from what out holds: out = 1 everywhere, then
 * out += a · b gives [59 65; 140 155], out += a · aᵀ gives [15 33; 33 78]
 * and out += aᵀ · a gives the aᵀ · a above plus 1. A wrong shape leaves
 * out as it was. */
static void add_forms_add_to_out(void **state)
{
    (void)state;
    float out_data[9];
    al_matrix a = al_matrix_wrap(A23, 2, 3), b = al_matrix_wrap(B32, 3, 2);
    al_matrix out = al_matrix_wrap(out_data, 2, 2);
    al_fill(&out, 1.0f);
    assert_int_equal(al_matmul_add(&out, &a, &b, NULL), AL_OK);
    float ab[] = {59, 65, 140, 155};
    for (int i = 0; i < 4; i++)
        assert_same_float(out_data[i], ab[i]);
    al_fill(&out, 1.0f);
    assert_int_equal(al_matmul_bt_add(&out, &a, &a, NULL), AL_OK);
    float abt[] = {15, 33, 33, 78};
    for (int i = 0; i < 4; i++)
        assert_same_float(out_data[i], abt[i]);
    al_matrix square = al_matrix_wrap(out_data, 3, 3);
    al_fill(&square, 1.0f);
    assert_int_equal(al_matmul_at_add(&square, &a, &a, NULL), AL_OK);
    float atb[] = {18, 23, 28, 23, 30, 37, 28, 37, 46};
    for (int i = 0; i < 9; i++)
        assert_same_float(out_data[i], atb[i]);
    al_error err;
    assert_int_equal(al_matmul_add(&square, &a, &b, &err), AL_ERR_SHAPE);
    assert_string_equal(err.message, "out += a · b: a is 2 x 3, b is 3 x 2, out is 3 x 3; "
                                     "the shapes do not fit");
    assert_same_float(out_data[0], 18.0f);
}

static void mismatch_names_every_shape_and_leaves_out_untouched(void **state)
{
    (void)state;
    float out_data[4] = {-1, -1, -1, -1};
    al_matrix a = al_matrix_wrap(A23, 2, 3), out = al_matrix_wrap(out_data, 2, 2);
    al_error err = {0};
    assert_int_equal(al_matmul(&out, &a, &a, &err), AL_ERR_SHAPE);
    assert_non_null(strstr(err.message, "out = a · b"));
    assert_non_null(strstr(err.message, "a is 2 x 3, b is 2 x 3"));
    for (int i = 0; i < 4; i++)
        assert_same_float(out_data[i], -1.0f);
}

/* Fill, run the fast product and the reference, return the largest gap. */
static float compare_with_reference(al_rng *rng, int m, int k, int n, bool transpose_a,
                                    bool transpose_b)
{
    al_matrix a, b, fast, slow;
    assert_int_equal(al_matrix_alloc(&a, transpose_a ? k : m, transpose_a ? m : k, NULL), AL_OK);
    assert_int_equal(al_matrix_alloc(&b, transpose_b ? n : k, transpose_b ? k : n, NULL), AL_OK);
    assert_int_equal(al_matrix_alloc(&fast, m, n, NULL), AL_OK);
    assert_int_equal(al_matrix_alloc(&slow, m, n, NULL), AL_OK);
    al_rng_fill_uniform(&a, rng, -1.0f, 1.0f);
    al_rng_fill_uniform(&b, rng, -1.0f, 1.0f);
    al_status status = transpose_a   ? al_matmul_at(&fast, &a, &b, NULL)
                       : transpose_b ? al_matmul_bt(&fast, &a, &b, NULL)
                                     : al_matmul(&fast, &a, &b, NULL);
    assert_int_equal(status, AL_OK);
    assert_int_equal(al_matmul_reference(&slow, &a, transpose_a, &b, transpose_b, NULL), AL_OK);
    float gap = al_max_abs_diff(&fast, &slow);
    al_matrix_free(&a);
    al_matrix_free(&b);
    al_matrix_free(&fast);
    al_matrix_free(&slow);
    return gap;
}

static void all_products_match_reference_on_random_shapes(void **state)
{
    (void)state;
    al_rng rng;
    al_rng_seed(&rng, 7, 0);
    for (int trial = 0; trial < 60; trial++) {
        int m = 1 + (int)al_rng_below(&rng, 40);
        int k = 1 + (int)al_rng_below(&rng, 70);
        int n = 1 + (int)al_rng_below(&rng, 40);
        for (int form = 0; form < 3; form++) {
            float gap = compare_with_reference(&rng, m, k, n, form == 2, form == 1);
            if (!(gap <= PRODUCT_TOLERANCE))
                fail_msg("form %d, %d x %d x %d: max difference %.9g > %.9g", form, m, k, n,
                         (double)gap, PRODUCT_TOLERANCE);
        }
    }
}

/* Q · Kᵀ for head 1 of a 3 x 4 matrix with two heads of width 2: the
 * column views have stride 4, and the product must equal the one formed
 * from contiguous copies of the same columns. */
static void head_slices_multiply_through_their_stride(void **state)
{
    (void)state;
    float q_data[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    al_matrix q = al_matrix_wrap(q_data, 3, 4);
    al_matrix head1 = al_matrix_cols(&q, 2, 2);
    float copy_data[] = {3, 4, 7, 8, 11, 12}, fast_data[9], slow_data[9];
    al_matrix copy = al_matrix_wrap(copy_data, 3, 2);
    al_matrix fast = al_matrix_wrap(fast_data, 3, 3), slow = al_matrix_wrap(slow_data, 3, 3);
    assert_int_equal(al_matmul_bt(&fast, &head1, &head1, NULL), AL_OK);
    assert_int_equal(al_matmul_reference(&slow, &copy, false, &copy, true, NULL), AL_OK);
    for (int i = 0; i < 9; i++)
        assert_same_float(fast_data[i], slow_data[i]);
    /* row 0 · row 1 = 3·7 + 4·8 = 53 */
    assert_same_float(fast_data[1], 53.0f);
}

int main(void)
{
    al_blas_set_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matmul_2x3_by_3x2_by_hand),
        cmocka_unit_test(matmul_bt_forms_a_times_b_transposed),
        cmocka_unit_test(matmul_at_forms_a_transposed_times_b),
        cmocka_unit_test(add_forms_add_to_out),
        cmocka_unit_test(mismatch_names_every_shape_and_leaves_out_untouched),
        cmocka_unit_test(all_products_match_reference_on_random_shapes),
        cmocka_unit_test(head_slices_multiply_through_their_stride),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
