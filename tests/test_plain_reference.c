/* test_plain_reference.c: the library against plain_reference.c, a
 * one-screen version of the same maths in plain loops over doubles, on
 * the same seeded numbers: al_attend for one head (no mask, a causal mask,
 * a fully masked row, Lq != Lk != d_k), al_self_attention with 2 heads and
 * al_encoder_layer_forward, post-norm and pre-norm. Every output entry is
 * compared; the largest difference is printed whether or not it passes.
 * Not a test of tracing or of the error paths (test_attention.c and
 * test_blocks.c do those).
 *
 * Can it fail? Tried while writing it, one change at a time, then undone:
 * in plain_reference.c, scores / d_k instead of / sqrt(d_k), or no scale at
 * all, fails all seven cases (differences 0.06 to 0.9); keeping masked keys
 * fails the two masked cases (0.7); no b_O fails multi-head and both layers
 * (0.5 to 1.6); the variance divided by d - 1 fails both layers (0.23);
 * pre-norm's FFN reading a instead of LayerNorm2(a) fails pre-norm (0.8);
 * even dropping epsilon from sqrt(var + epsilon) fails both layers (1.7e-5
 * and 7.4e-5). In the library, src/lib/layer_norm.c dividing by d - 1 fails
 * both layers. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "attnlab/attention.h"
#include "attnlab/blocks.h"
#include "attnlab/multihead.h"
#include "attnlab/rng.h"
#include "encoder_fixture.h"
#include "gradient_check.h"
#include "plain_reference.h"

/* One head and multi-head attention: entries of q, k, v are N(0, 1), so
 * outputs stay below about 4, where one float32 rounding is at most 2.4e-7
 * (half of 2^-21). The library rounds each product, score, exp and weight
 * to float, a few ulps in all: 2e-6. Measured: at most 2e-7 under every
 * OpenBLAS kernel tried (OPENBLAS_CORETYPE Prescott, Sandybridge, Haswell,
 * SkylakeX). */
#define ATTENTION_TOLERANCE 2e-6

/* The encoder layer: about ten float32 steps in a row (projections, two
 * heads, W_O, add, norm, FFN, add, norm), and each layer norm divides by a
 * standard deviation that can be below 1, magnifying what came before:
 * 1e-5 on outputs of size about 3. Measured: at most 4.2e-7 under those
 * kernels. A wrong scale, variance or bias moves outputs by 0.01 or more. */
#define LAYER_TOLERANCE 1e-5

#define LENGTH 5
#define MAX_ENTRIES 64 /* room for each matrix of one_head: Lq x Lk, Lk x d_v, ... */

/* m = a new rows x cols matrix of N(0, 1) draws. Free with al_matrix_free. */
static void random_matrix(al_matrix *m, int rows, int cols, al_rng *rng)
{
    assert_int_equal(al_matrix_alloc(m, rows, cols, NULL), AL_OK);
    al_rng_fill_normal(m, rng, 0.0f, 1.0f);
}

/* Every entry of library against reference (packed, same shape); print
 * the largest difference, fail if it passes tolerance (or is NaN). */
static void compare(const char *what, const al_matrix *library, const double *reference,
                    double tolerance)
{
    double largest = 0.0;
    int worst_i = 0, worst_j = 0;
    for (int i = 0; i < library->rows; i++)
        for (int j = 0; j < library->cols; j++) {
            double difference = fabs(*al_at(library, i, j) - reference[i * library->cols + j]);
            if (!(difference <= largest)) {
                largest = difference;
                worst_i = i;
                worst_j = j;
            }
        }
    print_message("%s: largest difference %.9g at (%d, %d), tolerance %.9g\n", what, largest,
                  worst_i, worst_j, tolerance);
    if (!(largest <= tolerance))
        fail_msg("%s (%d x %d): entry (%d, %d) is %.9g in the library, %.9g in the plain "
                 "reference (difference %.9g, tolerance %.9g)", what, library->rows,
                 library->cols, worst_i, worst_j, (double)*al_at(library, worst_i, worst_j),
                 reference[worst_i * library->cols + worst_j], largest, tolerance);
}

/* --- one head --------------------------------------------------------------- */

/* al_attend and plain_attention on the same seeded q (Lq x d_k), k
 * (Lk x d_k), v (Lk x d_v), under mask (Lq x Lk of 0/1, or NULL). Where the
 * mask is 0, the library's weight must be exactly 0. */
static void one_head(int queries, int keys, int d_k, int d_v, const int *mask, uint64_t seed)
{
    assert_true(queries * keys <= MAX_ENTRIES && keys * d_k <= MAX_ENTRIES &&
                queries * d_k <= MAX_ENTRIES && keys * d_v <= MAX_ENTRIES);
    al_rng rng;
    al_rng_seed(&rng, seed, 0);
    al_matrix q, k, v, mask_matrix = {0}, out;
    random_matrix(&q, queries, d_k, &rng);
    random_matrix(&k, keys, d_k, &rng);
    random_matrix(&v, keys, d_v, &rng);
    assert_int_equal(al_matrix_alloc(&out, queries, d_v, NULL), AL_OK);
    if (mask) {
        assert_int_equal(al_matrix_alloc(&mask_matrix, queries, keys, NULL), AL_OK);
        for (int i = 0; i < queries; i++)
            for (int j = 0; j < keys; j++)
                *al_at(&mask_matrix, i, j) = (float)mask[i * keys + j];
    }
    al_scoring scoring = al_scoring_scaled_dot();
    al_attention_steps steps;
    assert_int_equal(al_attention_steps_alloc(&steps, queries, keys, &scoring, mask != NULL,
                                              NULL), AL_OK);
    al_error err;
    if (al_attend(&out, &steps, &q, &k, &v, mask ? &mask_matrix : NULL, &scoring, NULL, NULL,
                  &err) != AL_OK)
        fail_msg("al_attend: %s", err.message);

    double q_plain[MAX_ENTRIES], k_plain[MAX_ENTRIES], v_plain[MAX_ENTRIES];
    double out_plain[MAX_ENTRIES], weights_plain[MAX_ENTRIES];
    gc_to_double(q_plain, &q);
    gc_to_double(k_plain, &k);
    gc_to_double(v_plain, &v);
    plain_attention(out_plain, weights_plain, q_plain, k_plain, v_plain, mask, queries, keys,
                    d_k, d_v, d_k, d_v);

    compare("weights", &steps.weights, weights_plain, ATTENTION_TOLERANCE);
    compare("out", &out, out_plain, ATTENTION_TOLERANCE);
    for (int i = 0; mask && i < queries; i++)
        for (int j = 0; j < keys; j++)
            if (!mask[i * keys + j] && *al_at(&steps.weights, i, j) != 0.0f)
                fail_msg("weight (%d, %d) is masked but is %.9g, not exactly 0", i, j,
                         (double)*al_at(&steps.weights, i, j));
    al_attention_steps_free(&steps);
    al_matrix *all[] = {&q, &k, &v, &mask_matrix, &out};
    for (size_t n = 0; n < sizeof all / sizeof all[0]; n++)
        al_matrix_free(all[n]);
}

static void one_head_no_mask(void **state)
{
    (void)state;
    one_head(4, 4, 4, 4, NULL, 1);
}

/* causal: query i may attend to keys 0 .. i */
static void one_head_causal_mask(void **state)
{
    (void)state;
    int causal[4 * 4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            causal[i * 4 + j] = j <= i;
    one_head(4, 4, 4, 4, causal, 2);
}

/* Row 1 may attend to nothing: weights and out are 0 in both. */
static void one_head_fully_masked_row(void **state)
{
    (void)state;
    const int mask[3 * 3] = {1, 1, 0,
                             0, 0, 0,
                             1, 0, 1};
    one_head(3, 3, 2, 2, mask, 3);
}

/* 3 queries, 6 keys, d_k 4, d_v 2: no two sizes alike, so a transposed
 * index or a wrong stride cannot hide. */
static void one_head_sizes_differ(void **state)
{
    (void)state;
    one_head(3, 6, 4, 2, NULL, 4);
}

/* --- multi-head attention and the encoder layer ------------------------------ */

/* al_self_attention with 2 heads, d_model 8, L 5, against plain_multihead. */
static void multihead_two_heads(void **state)
{
    (void)state;
    al_rng rng;
    al_rng_seed(&rng, 5, 0);
    both_layers b;
    build_layers(&b, AL_NORM_POST, &rng);
    al_matrix x, out;
    random_matrix(&x, LENGTH, D_MODEL, &rng);
    assert_int_equal(al_matrix_alloc(&out, LENGTH, D_MODEL, NULL), AL_OK);
    al_attention_workspace ws;
    assert_int_equal(al_attention_workspace_alloc(&ws, &b.layer.attn, LENGTH, LENGTH, NULL),
                     AL_OK);
    al_attention_call call = {.temperature = 1.0f};
    al_error err;
    if (al_self_attention(&out, &ws, al_unnamed(&x), &b.layer.attn, &call, (al_trace_at){0},
                          &err) != AL_OK)
        fail_msg("al_self_attention: %s", err.message);

    double x_plain[LENGTH * D_MODEL], out_plain[LENGTH * D_MODEL];
    gc_to_double(x_plain, &x);
    assert_true(plain_multihead(out_plain, x_plain, &b.plain, LENGTH));
    compare("multi-head out", &out, out_plain, ATTENTION_TOLERANCE);

    al_attention_workspace_free(&ws);
    al_matrix_free(&x);
    al_matrix_free(&out);
    al_encoder_layer_free(&b.layer);
}

/* al_encoder_layer_forward against plain_encoder_layer, L 5. */
static void encoder_layer(al_norm_placement norm, uint64_t seed)
{
    al_rng rng;
    al_rng_seed(&rng, seed, 0);
    both_layers b;
    build_layers(&b, norm, &rng);
    al_matrix x;
    random_matrix(&x, LENGTH, D_MODEL, &rng);
    al_encoder_layer_workspace ws;
    assert_int_equal(al_encoder_layer_workspace_alloc(&ws, &b.layer, LENGTH, NULL), AL_OK);
    al_layer_output y;
    al_error err;
    if (al_encoder_layer_forward(&y, &ws, al_unnamed(&x), &b.layer, norm, (al_trace_at){0},
                                 &err) != AL_OK)
        fail_msg("al_encoder_layer_forward: %s", err.message);

    double x_plain[LENGTH * D_MODEL], y_plain[LENGTH * D_MODEL];
    gc_to_double(x_plain, &x);
    assert_true(plain_encoder_layer(y_plain, x_plain, &b.plain, LENGTH, norm == AL_NORM_PRE));
    compare(norm == AL_NORM_PRE ? "pre-norm layer out" : "post-norm layer out", &y.value,
            y_plain, LAYER_TOLERANCE);

    al_encoder_layer_workspace_free(&ws);
    al_matrix_free(&x);
    al_encoder_layer_free(&b.layer);
}

static void encoder_layer_post_norm(void **state)
{
    (void)state;
    encoder_layer(AL_NORM_POST, 6);
}

static void encoder_layer_pre_norm(void **state)
{
    (void)state;
    encoder_layer(AL_NORM_PRE, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_head_no_mask),
        cmocka_unit_test(one_head_causal_mask),
        cmocka_unit_test(one_head_fully_masked_row),
        cmocka_unit_test(one_head_sizes_differ),
        cmocka_unit_test(multihead_two_heads),
        cmocka_unit_test(encoder_layer_post_norm),
        cmocka_unit_test(encoder_layer_pre_norm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
