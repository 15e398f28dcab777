/* test_mask.c: causal and padding masks, checking, combining and applying
 * them, and the trace record of a mask. How masked scores turn into
 * weights inside attention is checked in test_multihead.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "attnlab/mask.h"
#include "check.h"
#include "trace_scratch.h"

/* "the cat walks": row i may see keys 0..i.
 *   the   1 0 0
 *   cat   1 1 0
 *   walks 1 1 1 */
static void causal_mask_is_lower_triangular(void **state)
{
    (void)state;
    float data[9];
    al_matrix mask = al_matrix_wrap(data, 3, 3);
    al_causal_mask(&mask);
    const float expected[9] = {1, 0, 0, 1, 1, 0, 1, 1, 1};
    for (int i = 0; i < 9; i++)
        assert_same_float(data[i], expected[i]);
}

/* Key length 2 of 4: every row sees keys 0 and 1, not the padding 2, 3. */
static void padding_mask_hides_keys_past_the_length(void **state)
{
    (void)state;
    float data[8];
    al_matrix mask = al_matrix_wrap(data, 2, 4);
    assert_int_equal(al_padding_mask(&mask, 2, NULL), AL_OK);
    const float expected[8] = {1, 1, 0, 0, 1, 1, 0, 0};
    for (int i = 0; i < 8; i++)
        assert_same_float(data[i], expected[i]);
    al_error err = {0};
    assert_int_equal(al_padding_mask(&mask, 5, &err), AL_ERR_ARG);
    assert_non_null(strstr(err.message, "key length 5 is outside 0 .. 4"));
    assert_int_equal(al_padding_mask(&mask, -1, NULL), AL_ERR_ARG);
}

/* Causal AND padding (length 2) over 3 tokens:
 *   1 0 0      1 1 0      1 0 0
 *   1 1 0  and 1 1 0  =   1 1 0
 *   1 1 1      1 1 0      1 1 0 */
static void masks_combine_with_and(void **state)
{
    (void)state;
    float causal[9], padding[9], both[9];
    al_matrix c = al_matrix_wrap(causal, 3, 3), p = al_matrix_wrap(padding, 3, 3);
    al_matrix b = al_matrix_wrap(both, 3, 3);
    al_causal_mask(&c);
    assert_int_equal(al_padding_mask(&p, 2, NULL), AL_OK);
    assert_int_equal(al_mask_and(&b, &c, &p, NULL), AL_OK);
    const float expected[9] = {1, 0, 0, 1, 1, 0, 1, 1, 0};
    for (int i = 0; i < 9; i++)
        assert_same_float(both[i], expected[i]);
}

/* Kept scores pass through unchanged, masked ones become -inf, and a row
 * with nothing kept is counted. */
static void applying_a_mask_writes_minus_infinity(void **state)
{
    (void)state;
    float scores[] = {0.5f, -2.0f, 3.0f, 4.0f}, keep[] = {1, 0, 0, 0}, masked[4];
    al_matrix s = al_matrix_wrap(scores, 2, 2), k = al_matrix_wrap(keep, 2, 2);
    al_matrix m = al_matrix_wrap(masked, 2, 2);
    int empty_rows = -1;
    assert_int_equal(al_apply_mask(&m, &s, &k, &empty_rows, NULL), AL_OK);
    assert_same_float(masked[0], 0.5f);
    assert_same_float(masked[1], -INFINITY);
    assert_same_float(masked[2], -INFINITY);
    assert_same_float(masked[3], -INFINITY);
    assert_int_equal(empty_rows, 1);
}

/* A mask holds only 0 and 1, and must have the scores' shape. */
static void bad_masks_are_refused(void **state)
{
    (void)state;
    float scores[6] = {0}, keep[6] = {1, 1, 0.5f, 1, 1, 1}, masked[6];
    al_matrix s = al_matrix_wrap(scores, 2, 3), k = al_matrix_wrap(keep, 2, 3);
    al_matrix m = al_matrix_wrap(masked, 2, 3);
    al_error err = {0};
    assert_int_equal(al_apply_mask(&m, &s, &k, NULL, &err), AL_ERR_VALUE);
    assert_non_null(strstr(err.message, "mask entry (0, 2) is 0.5"));
    al_matrix k_wrong = al_matrix_wrap(keep, 3, 2);
    assert_int_equal(al_apply_mask(&m, &s, &k_wrong, NULL, &err), AL_ERR_SHAPE);
    assert_non_null(strstr(err.message, "scores are 2 x 3 but the mask is 3 x 2"));
}

/* The mask's trace record: role input, op causal_mask, labelled rows and
 * columns, 1s and 0s. */
static void mask_is_traced_as_its_own_tensor(void **state)
{
    (void)state;
    trace_scratch s;
    al_trace *trace = trace_scratch_open(&s);
    float data[4];
    al_matrix mask = al_matrix_wrap(data, 2, 2);
    al_causal_mask(&mask);
    const char *labels[] = {"the", "cat"};
    assert_int_equal(al_trace_mask(trace, "dec.0.self_attn.mask", &mask, AL_MASK_OP_CAUSAL,
                                   labels, labels, NULL),
                     AL_OK);
    trace_scratch_read(&s, trace);
    trace_scratch_expect(&s, "dec.0.self_attn.mask",
                         "\"role\": \"input\", \"op\": \"causal_mask\", \"inputs\": [], "
                         "\"shape\": [2, 2], \"rows\": [\"the\", \"cat\"], \"cols\": [\"the\", "
                         "\"cat\"], \"dtype\": \"float32\", \"data\": [[1, 0], [1, 1]]");
    trace_scratch_remove(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(causal_mask_is_lower_triangular),
        cmocka_unit_test(padding_mask_hides_keys_past_the_length),
        cmocka_unit_test(masks_combine_with_and),
        cmocka_unit_test(applying_a_mask_writes_minus_infinity),
        cmocka_unit_test(bad_masks_are_refused),
        cmocka_unit_test(mask_is_traced_as_its_own_tensor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
