/* test_gram.c: G = A · Aᵀ against products worked by hand, its symmetry on
 * sinusoidal encodings (each diagonal constant: the dot product depends
 * only on the distance), shape refusals and the traced record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "attnlab/gram.h"
#include "attnlab/positional.h"
#include "check.h"
#include "trace_capture.h"

/* Small integers: every product and sum is exact in float32. */
static void rows_dotted_with_rows_by_hand(void **state)
{
    (void)state;
    /* rows (1, 2), (3, 4), (0, 1):
     *   (1,2)·(1,2) = 5    (1,2)·(3,4) = 3+8 = 11   (1,2)·(0,1) = 2
     *   (3,4)·(3,4) = 25   (3,4)·(0,1) = 4          (0,1)·(0,1) = 1 */
    float a_data[] = {1, 2, 3, 4, 0, 1}, g_data[9];
    al_matrix a = al_matrix_wrap(a_data, 3, 2), g = al_matrix_wrap(g_data, 3, 3);
    assert_int_equal(al_gram_matrix(&g, al_unnamed(&a), (al_trace_at){0}, NULL), AL_OK);
    const float expected[9] = {5, 11, 2, 11, 25, 4, 2, 4, 1};
    for (int i = 0; i < 9; i++)
        assert_same_float(g_data[i], expected[i]);
}

/* PE(p) · PE(q) = Σ_i sin(p w_i) sin(q w_i) + cos(p w_i) cos(q w_i)
 *              = Σ_i cos((p - q) w_i): a function of p - q alone, so
 * G[p][q] = G[p+1][q+1]. With d = 8 the sum has 4 terms of size <= 1;
 * each encoding entry is rounded once (3e-8) and the products and sums
 * add a few float32 roundings: 1e-6 covers it. */
#define SHIFTED_DOT_TOLERANCE 1e-6

static void sinusoidal_dot_products_depend_only_on_distance(void **state)
{
    (void)state;
    enum { P = 12, D = 8 };
    float pos_data[P * D], g_data[P * P];
    al_matrix pos = al_matrix_wrap(pos_data, P, D), g = al_matrix_wrap(g_data, P, P);
    assert_int_equal(al_positional_sinusoidal(&pos, 0, NULL, (al_trace_at){0}, NULL), AL_OK);
    assert_int_equal(al_gram_matrix(&g, al_unnamed(&pos), (al_trace_at){0}, NULL), AL_OK);
    for (int p = 0; p + 1 < P; p++)
        for (int q = 0; q + 1 < P; q++)
            assert_close(*al_at(&g, p + 1, q + 1), *al_at(&g, p, q), SHIFTED_DOT_TOLERANCE);
    /* and the diagonal is |PE(p)|² = D/2 = 4: sin² + cos² = 1 per pair */
    for (int p = 0; p < P; p++)
        assert_close(*al_at(&g, p, p), D / 2.0, SHIFTED_DOT_TOLERANCE);
}

static void wrong_shape_is_refused(void **state)
{
    (void)state;
    float a_data[6] = {0}, g_data[6];
    al_matrix a = al_matrix_wrap(a_data, 3, 2), g = al_matrix_wrap(g_data, 2, 3);
    al_error err = {0};
    assert_int_equal(al_gram_matrix(&g, al_unnamed(&a), (al_trace_at){0}, &err), AL_ERR_SHAPE);
    assert_non_null(strstr(err.message, "3 x 2"));
}

static void trace_records_op_inputs_and_labels(void **state)
{
    (void)state;
    float a_data[] = {1, 0, 0, 1}, g_data[4];
    al_matrix a = al_matrix_wrap(a_data, 2, 2), g = al_matrix_wrap(g_data, 2, 2);
    const char *labels[] = {"0", "1"};
    trace_capture capture;
    capture_start(&capture);
    assert_int_equal(al_gram_matrix(&g, (al_named){&a, "pos", labels},
                                    (al_trace_at){capture.trace, "pos.similarity"}, NULL),
                     AL_OK);
    al_error err = {0};
    assert_int_equal(al_gram_matrix(&g, (al_named){&a, "pos", labels},
                                    (al_trace_at){capture.trace, NULL}, &err),
                     AL_ERR_ARG);
    capture_finish(&capture);
    assert_trace_has(&capture, "\"name\": \"pos.similarity\", \"role\": \"activation\", "
                               "\"op\": \"matmul_bt\", \"inputs\": [\"pos\", \"pos\"], "
                               "\"shape\": [2, 2], \"rows\": [\"0\", \"1\"], "
                               "\"cols\": [\"0\", \"1\"]");
    capture_free(&capture);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rows_dotted_with_rows_by_hand),
        cmocka_unit_test(sinusoidal_dot_products_depend_only_on_distance),
        cmocka_unit_test(wrong_shape_is_refused),
        cmocka_unit_test(trace_records_op_inputs_and_labels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
