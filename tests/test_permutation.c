/* test_permutation.c: shuffled orders are single cycles (every row moves)
 * and repeat for a seed; rows and labels follow an order worked by hand;
 * bad orders are refused; the order and the permuted rows are traced. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "attnlab/permutation.h"
#include "check.h"
#include "trace_capture.h"

/* Following order from 0 must visit all n places before coming back:
 * Sattolo's algorithm makes one cycle, so nothing stays in place. */
static void shuffles_are_one_cycle_through_every_row(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 20; seed++)
        for (int n = 1; n <= 12; n++) {
            int order[12];
            al_rng rng;
            al_rng_seed(&rng, seed, 0);
            al_shuffle_order(order, n, &rng);
            int place = 0, steps = 0;
            do {
                assert_true(order[place] >= 0 && order[place] < n);
                if (n > 1)
                    assert_int_not_equal(order[place], place);
                place = order[place];
                steps++;
            } while (place != 0 && steps <= n);
            assert_int_equal(steps, n);
        }
}

static void the_same_seed_gives_the_same_order(void **state)
{
    (void)state;
    int first[9], second[9];
    al_rng rng;
    al_rng_seed(&rng, 42, 0);
    al_shuffle_order(first, 9, &rng);
    al_rng_seed(&rng, 42, 0);
    al_shuffle_order(second, 9, &rng);
    assert_memory_equal(first, second, sizeof first);
}

/* order {2, 0, 1}: place 0 takes row 2, place 1 row 0, place 2 row 1. */
static void rows_and_labels_follow_the_order(void **state)
{
    (void)state;
    float in_data[] = {1, 2, 3, 4, 5, 6}, out_data[6];
    al_matrix in = al_matrix_wrap(in_data, 3, 2), out = al_matrix_wrap(out_data, 3, 2);
    const int order[] = {2, 0, 1};
    assert_int_equal(al_permute_rows(&out, al_unnamed(&in), order, NULL, NULL, (al_trace_at){0},
                                     NULL),
                     AL_OK);
    const float expected[] = {5, 6, 1, 2, 3, 4};
    for (int i = 0; i < 6; i++)
        assert_same_float(out_data[i], expected[i]);
    const char *labels[] = {"the", "cat", "walks"}, *moved[3];
    al_permute_labels(moved, labels, order, 3);
    assert_string_equal(moved[0], "walks");
    assert_string_equal(moved[1], "the");
    assert_string_equal(moved[2], "cat");
}

static void orders_outside_the_rows_and_wrong_shapes_are_refused(void **state)
{
    (void)state;
    float in_data[4] = {0}, out_data[4];
    al_matrix in = al_matrix_wrap(in_data, 2, 2), out = al_matrix_wrap(out_data, 2, 2);
    const int bad[] = {0, 2};
    al_error err = {0};
    assert_int_equal(al_permute_rows(&out, al_unnamed(&in), bad, NULL, NULL, (al_trace_at){0},
                                     &err),
                     AL_ERR_VALUE);
    assert_non_null(strstr(err.message, "place 1 takes row 2"));
    al_matrix narrow = al_matrix_wrap(out_data, 2, 1);
    const int good[] = {1, 0};
    assert_int_equal(al_permute_rows(&narrow, al_unnamed(&in), good, NULL, NULL, (al_trace_at){0},
                                     &err),
                     AL_ERR_SHAPE);
}

static void order_and_rows_are_traced(void **state)
{
    (void)state;
    float in_data[] = {1, 2}, out_data[2];
    al_matrix in = al_matrix_wrap(in_data, 2, 1), out = al_matrix_wrap(out_data, 2, 1);
    const int order[] = {1, 0};
    const char *labels[] = {"cat", "the"};
    trace_capture capture;
    capture_start(&capture);
    assert_int_equal(al_trace_order(capture.trace, "shuffle.order", order, 2, labels, NULL),
                     AL_OK);
    assert_int_equal(al_permute_rows(&out, (al_named){&in, "embed", NULL}, order, "shuffle.order",
                                     labels, (al_trace_at){capture.trace, "shuffled.embed"}, NULL),
                     AL_OK);
    capture_finish(&capture);
    assert_trace_has(&capture, "\"name\": \"shuffle.order\", \"role\": \"input\", \"op\": "
                               "\"given\", \"inputs\": [], \"shape\": [1, 2], \"rows\": null, "
                               "\"cols\": [\"cat\", \"the\"], \"dtype\": \"float32\", "
                               "\"data\": [[1, 0]]");
    assert_trace_has(&capture, "\"name\": \"shuffled.embed\", \"role\": \"activation\", "
                               "\"op\": \"permute_rows\", \"inputs\": [\"embed\", "
                               "\"shuffle.order\"]");
    assert_trace_has(&capture, "\"data\": [[2], [1]]");
    capture_free(&capture);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shuffles_are_one_cycle_through_every_row),
        cmocka_unit_test(the_same_seed_gives_the_same_order),
        cmocka_unit_test(rows_and_labels_follow_the_order),
        cmocka_unit_test(orders_outside_the_rows_and_wrong_shapes_are_refused),
        cmocka_unit_test(order_and_rows_are_traced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
