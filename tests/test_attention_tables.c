/* test_attention_tables.c: data/lesson05's hand-made W_Q, W_K, W_V read
 * into attention parameters for one head or several, W_O = I, and the
 * refusals of a table whose size does not match d_model or is missing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "attnlab/attention_tables.h"
#include "check.h"

static void lesson05_dir(char *buf, size_t size)
{
    const char *source = getenv("SRCDIR");
    assert_non_null(source);
    snprintf(buf, size, "%s/data/lesson05", source);
}

/* Entries quoted from data/lesson05: W_Q row action = (4, 0, 2, 0, 0, 0),
 * row place = (0, 0, 0, 4, 4, 0); W_K and W_V are the identity. */
static void hand_made_weights_are_read_for_any_number_of_heads(void **state)
{
    (void)state;
    char dir[512];
    lesson05_dir(dir, sizeof dir);
    const int heads[] = {1, 2, 3, 6};
    for (int n = 0; n < 4; n++) {
        al_attention_params params;
        assert_int_equal(al_attention_params_alloc(&params, 6, heads[n], false, NULL), AL_OK);
        al_error err = {0};
        if (al_attention_params_read(&params, dir, &err) != AL_OK)
            fail_msg("%s", err.message);
        assert_same_float(*al_at(&params.w_q, 1, 0), 4.0f);
        assert_same_float(*al_at(&params.w_q, 1, 2), 2.0f);
        assert_same_float(*al_at(&params.w_q, 2, 3), 4.0f);
        assert_same_float(*al_at(&params.w_q, 5, 5), 0.0f);
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++) {
                float identity = i == j ? 1.0f : 0.0f;
                assert_same_float(*al_at(&params.w_k, i, j), identity);
                assert_same_float(*al_at(&params.w_v, i, j), identity);
                assert_same_float(*al_at(&params.w_o, i, j), identity);
            }
        al_attention_params_free(&params);
    }
}

static void a_table_of_another_size_is_refused(void **state)
{
    (void)state;
    char dir[512];
    lesson05_dir(dir, sizeof dir);
    al_attention_params params;
    assert_int_equal(al_attention_params_alloc(&params, 4, 1, false, NULL), AL_OK);
    al_error err = {0};
    assert_int_equal(al_attention_params_read(&params, dir, &err), AL_ERR_SHAPE);
    assert_non_null(strstr(err.message, "w_q.txt is 6 x 6 but d_model is 4"));
    al_attention_params_free(&params);
}

static void a_missing_folder_is_named(void **state)
{
    (void)state;
    al_attention_params params;
    assert_int_equal(al_attention_params_alloc(&params, 6, 1, false, NULL), AL_OK);
    al_error err = {0};
    assert_int_not_equal(al_attention_params_read(&params, "/nonexistent", &err), AL_OK);
    assert_non_null(strstr(err.message, "/nonexistent/w_q.txt"));
    al_attention_params_free(&params);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hand_made_weights_are_read_for_any_number_of_heads),
        cmocka_unit_test(a_table_of_another_size_is_refused),
        cmocka_unit_test(a_missing_folder_is_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
