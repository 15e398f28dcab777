/* test_layers.c: linear, layer norm, feed-forward, residual add and
 * embedding lookup against values worked by hand, their shape checks, the
 * seeded initialisations, and the names they trace under. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "attnlab/layers.h"
#include "check.h"
#include "trace_capture.h"

/* An untraced call: no trace, and no names needed. */
#define NO_TRACE ((al_trace_at){0})

/* Sums of a few small numbers with exact binary fractions: exact in float. */
#define EXACT 0.0

/* Layer norm divides by sqrt(var + eps) in double and rounds once; the
 * outputs are below 2 in size, so within 2^-23 of the double formula. */
#define LAYER_NORM_TOLERANCE 2.4e-7

/* Put values into a matrix allocated by the test (freed by the test). */
static void set(al_matrix *m, const float *values)
{
    for (int i = 0; i < m->rows; i++)
        for (int j = 0; j < m->cols; j++)
            *al_at(m, i, j) = values[i * m->cols + j];
}

/* --- linear ------------------------------------------------------------------ */

/* x = (1, 2), W = [[1, 0, 2], [0, 1, -1]], b = (0.5, 0, 1):
 * x · W = (1, 2, 2 - 2) = (1, 2, 0); + b = (1.5, 2, 1). */
static void linear_by_hand(void **state)
{
    (void)state;
    al_linear layer;
    assert_int_equal(al_linear_alloc(&layer, 2, 3, true, NULL), AL_OK);
    set(&layer.w, (const float[]){1, 0, 2, 0, 1, -1});
    set(&layer.b, (const float[]){0.5f, 0, 1});
    float x_data[2] = {1, 2}, y_data[3];
    al_matrix x = al_matrix_wrap(x_data, 1, 2), y = al_matrix_wrap(y_data, 1, 3);
    assert_int_equal(al_linear_forward(&y, al_unnamed(&x), &layer, NO_TRACE, NULL), AL_OK);
    assert_close(y_data[0], 1.5, EXACT);
    assert_close(y_data[1], 2.0, EXACT);
    assert_close(y_data[2], 1.0, EXACT);
    al_linear_free(&layer);
}

/* Without a bias the layer is x · W alone: (1, 2, 0). */
static void linear_without_bias(void **state)
{
    (void)state;
    al_linear layer;
    assert_int_equal(al_linear_alloc(&layer, 2, 3, false, NULL), AL_OK);
    assert_null(layer.b.data);
    set(&layer.w, (const float[]){1, 0, 2, 0, 1, -1});
    float x_data[2] = {1, 2}, y_data[3];
    al_matrix x = al_matrix_wrap(x_data, 1, 2), y = al_matrix_wrap(y_data, 1, 3);
    assert_int_equal(al_linear_forward(&y, al_unnamed(&x), &layer, NO_TRACE, NULL), AL_OK);
    assert_close(y_data[2], 0.0, EXACT);
    al_linear_free(&layer);
}

static void linear_names_the_shapes_that_disagree(void **state)
{
    (void)state;
    al_linear layer;
    assert_int_equal(al_linear_alloc(&layer, 2, 3, true, NULL), AL_OK);
    float x_data[3] = {0}, y_data[3];
    al_matrix x = al_matrix_wrap(x_data, 1, 3), y = al_matrix_wrap(y_data, 1, 3);
    al_error err = {0};
    assert_int_equal(al_linear_forward(&y, al_unnamed(&x), &layer, (al_trace_at){NULL, "logits"},
                                       &err),
                     AL_ERR_SHAPE);
    assert_string_equal(err.message,
                        "logits: x is 1 x 3 but W is 2 x 3 (x needs 2 columns)");
    al_linear_free(&layer);
}

/* Glorot uniform: every |w| <= sqrt(6 / (d_in + d_out)); the same seed gives
 * the same weights; the bias starts at 0. */
static void linear_init_is_bounded_and_seeded(void **state)
{
    (void)state;
    al_linear a, b;
    assert_int_equal(al_linear_alloc(&a, 8, 4, true, NULL), AL_OK);
    assert_int_equal(al_linear_alloc(&b, 8, 4, true, NULL), AL_OK);
    al_rng rng_a, rng_b;
    al_rng_seed(&rng_a, 7, 0);
    al_rng_seed(&rng_b, 7, 0);
    al_linear_init(&a, &rng_a);
    al_linear_init(&b, &rng_b);
    float limit = sqrtf(6.0f / 12.0f);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++) {
            assert_true(fabsf(*al_at(&a.w, i, j)) <= limit);
            assert_same_float(*al_at(&a.w, i, j), *al_at(&b.w, i, j));
        }
    for (int j = 0; j < 4; j++)
        assert_same_float(*al_at(&a.b, 0, j), 0.0f);
    assert_true(*al_at(&a.w, 0, 0) != 0.0f); /* filled, not left at zero */
    al_linear_free(&a);
    al_linear_free(&b);
}

static void linear_traces_params_and_output(void **state)
{
    (void)state;
    al_linear layer;
    assert_int_equal(al_linear_alloc(&layer, 1, 1, true, NULL), AL_OK);
    set(&layer.w, (const float[]){2});
    set(&layer.b, (const float[]){1});
    float x_data[1] = {3}, y_data[1];
    al_matrix x = al_matrix_wrap(x_data, 1, 1), y = al_matrix_wrap(y_data, 1, 1);
    const char *labels[] = {"cat"};
    trace_capture capture;
    capture_start(&capture);
    assert_int_equal(al_linear_forward(&y, (al_named){&x, "dec.1.norm3", labels}, &layer,
                                       (al_trace_at){capture.trace, "logits"}, NULL),
                     AL_OK);
    capture_finish(&capture);
    assert_trace_has(&capture, "\"name\": \"logits.w\", \"role\": \"param\", \"op\": \"given\"");
    assert_trace_has(&capture, "\"name\": \"logits.b\", \"role\": \"param\"");
    assert_trace_has(&capture, "\"name\": \"logits\", \"role\": \"activation\", \"op\": "
                               "\"linear\", \"inputs\": [\"dec.1.norm3\", \"logits.w\", "
                               "\"logits.b\"], \"shape\": [1, 1], \"rows\": [\"cat\"], "
                               "\"cols\": null, \"dtype\": \"float32\", \"data\": [[7]]");
    capture_free(&capture);
    al_linear_free(&layer);
}

/* --- layer norm ------------------------------------------------------------- */

/* Row (1, 2, 3, 4): mean 2.5, deviations (-1.5, -0.5, 0.5, 1.5), squares
 * (2.25, 0.25, 0.25, 2.25), var = 5 / 4 = 1.25 (divided by d = 4, not 3).
 * With gamma (1, 2, 1, 1) and beta (0, 0, 1, 0):
 *   y = (-1.5 s, 2 · -0.5 s, 0.5 s + 1, 1.5 s),  s = 1 / sqrt(1.25 + 1e-5).
 * Row (3, 3, 3, 3): mean 3, var 0; y = beta (the epsilon keeps it finite). */
static void layer_norm_by_hand(void **state)
{
    (void)state;
    al_layer_norm norm;
    assert_int_equal(al_layer_norm_alloc(&norm, 4, 1e-5f, NULL), AL_OK);
    set(&norm.gamma, (const float[]){1, 2, 1, 1});
    set(&norm.beta, (const float[]){0, 0, 1, 0});
    float x_data[8] = {1, 2, 3, 4, 3, 3, 3, 3}, y_data[8], mean_data[2], var_data[2];
    al_matrix x = al_matrix_wrap(x_data, 2, 4), y = al_matrix_wrap(y_data, 2, 4);
    al_matrix mean = al_matrix_wrap(mean_data, 2, 1), var = al_matrix_wrap(var_data, 2, 1);
    assert_int_equal(
        al_layer_norm_forward(&y, &mean, &var, al_unnamed(&x), &norm, NO_TRACE, NULL), AL_OK);
    assert_same_float(mean_data[0], 2.5f);
    assert_same_float(var_data[0], 1.25f);
    assert_same_float(mean_data[1], 3.0f);
    assert_same_float(var_data[1], 0.0f);
    double s = 1.0 / sqrt(1.25 + (double)1e-5f);
    const double expected[8] = {-1.5 * s, -1.0 * s, 0.5 * s + 1, 1.5 * s, 0, 0, 1, 0};
    for (int j = 0; j < 8; j++)
        assert_close(y_data[j], expected[j], LAYER_NORM_TOLERANCE);
    al_layer_norm_free(&norm);
}

/* With gamma 1 and beta 0 every output row has mean 0 and variance
 * var / (var + eps), just under 1, whatever its scale: rows around 1000
 * with a spread of 0.01 included (the two-pass variance keeps them). */
static void layer_norm_rows_come_out_standardised(void **state)
{
    (void)state;
    al_layer_norm norm;
    assert_int_equal(al_layer_norm_alloc(&norm, 4, 1e-5f, NULL), AL_OK);
    float x_data[8] = {1000.01f, 1000.02f, 999.99f, 1000.0f, -40, 7, 13, 2}, y_data[8];
    float mean_data[2], var_data[2];
    al_matrix x = al_matrix_wrap(x_data, 2, 4), y = al_matrix_wrap(y_data, 2, 4);
    al_matrix mean = al_matrix_wrap(mean_data, 2, 1), var = al_matrix_wrap(var_data, 2, 1);
    assert_int_equal(
        al_layer_norm_forward(&y, &mean, &var, al_unnamed(&x), &norm, NO_TRACE, NULL), AL_OK);
    for (int i = 0; i < 2; i++) {
        double sum = 0, squares = 0;
        for (int j = 0; j < 4; j++)
            sum += y_data[4 * i + j];
        for (int j = 0; j < 4; j++)
            squares += (double)y_data[4 * i + j] * y_data[4 * i + j];
        double v = var_data[i];
        assert_close(sum / 4, 0.0, 1e-6);
        assert_close(squares / 4, v / (v + 1e-5), 1e-5);
    }
    al_layer_norm_free(&norm);
}

/* In place (y = x) gives the same numbers as out of place. */
static void layer_norm_in_place(void **state)
{
    (void)state;
    al_layer_norm norm;
    assert_int_equal(al_layer_norm_alloc(&norm, 3, 1e-5f, NULL), AL_OK);
    float x_data[3] = {1, -2, 4}, y_data[3], mean_data[1], var_data[1];
    al_matrix x = al_matrix_wrap(x_data, 1, 3), y = al_matrix_wrap(y_data, 1, 3);
    al_matrix mean = al_matrix_wrap(mean_data, 1, 1), var = al_matrix_wrap(var_data, 1, 1);
    assert_int_equal(
        al_layer_norm_forward(&y, &mean, &var, al_unnamed(&x), &norm, NO_TRACE, NULL), AL_OK);
    assert_int_equal(
        al_layer_norm_forward(&x, &mean, &var, al_unnamed(&x), &norm, NO_TRACE, NULL), AL_OK);
    for (int j = 0; j < 3; j++)
        assert_same_float(x_data[j], y_data[j]);
    al_layer_norm_free(&norm);
}

static void layer_norm_refuses_bad_shapes_and_epsilon(void **state)
{
    (void)state;
    al_layer_norm norm;
    al_error err = {0};
    assert_int_equal(al_layer_norm_alloc(&norm, 3, 0.0f, &err), AL_ERR_VALUE);
    assert_non_null(strstr(err.message, "epsilon"));
    assert_int_equal(al_layer_norm_alloc(&norm, 3, 1e-5f, NULL), AL_OK);
    float x_data[6] = {0}, y_data[6], mean_data[2], var_data[2];
    al_matrix x = al_matrix_wrap(x_data, 2, 3), y = al_matrix_wrap(y_data, 2, 3);
    al_matrix mean = al_matrix_wrap(mean_data, 1, 2), var = al_matrix_wrap(var_data, 2, 1);
    assert_int_equal(al_layer_norm_forward(&y, &mean, &var, al_unnamed(&x), &norm,
                                           (al_trace_at){NULL, "enc.0.norm1"}, &err),
                     AL_ERR_SHAPE);
    assert_string_equal(err.message, "enc.0.norm1: mean and var must be 2 x 1 (one per row), "
                                     "not 1 x 2 and 2 x 1");
    al_layer_norm_free(&norm);
}

static void layer_norm_traces_mean_var_and_output(void **state)
{
    (void)state;
    al_layer_norm norm;
    assert_int_equal(al_layer_norm_alloc(&norm, 2, 0.25f, NULL), AL_OK);
    /* row (1, 3): mean 2, var 1, y = (-1, 1) / sqrt(1.25) */
    float x_data[2] = {1, 3}, y_data[2], mean_data[1], var_data[1];
    al_matrix x = al_matrix_wrap(x_data, 1, 2), y = al_matrix_wrap(y_data, 1, 2);
    al_matrix mean = al_matrix_wrap(mean_data, 1, 1), var = al_matrix_wrap(var_data, 1, 1);
    const char *labels[] = {"bank"};
    trace_capture capture;
    capture_start(&capture);
    assert_int_equal(al_layer_norm_forward(&y, &mean, &var, (al_named){&x, "enc.0.add1", labels},
                                           &norm, (al_trace_at){capture.trace, "enc.0.norm1"},
                                           NULL),
                     AL_OK);
    capture_finish(&capture);
    assert_trace_has(&capture, "\"name\": \"enc.0.norm1.gamma\", \"role\": \"param\"");
    assert_trace_has(&capture, "\"name\": \"enc.0.norm1.epsilon\", \"role\": \"param\", \"op\": "
                               "\"given\", \"inputs\": [], \"shape\": [1, 1], \"rows\": null, "
                               "\"cols\": null, \"dtype\": \"float32\", \"data\": [[0.25]]");
    assert_trace_has(&capture, "\"name\": \"enc.0.norm1.mean\", \"role\": \"activation\", "
                               "\"op\": \"row_mean\", \"inputs\": [\"enc.0.add1\"], "
                               "\"shape\": [1, 1], \"rows\": [\"bank\"], \"cols\": null, "
                               "\"dtype\": \"float32\", \"data\": [[2]]");
    assert_trace_has(&capture, "\"name\": \"enc.0.norm1.var\"");
    assert_trace_has(&capture, "\"data\": [[1]]");
    assert_trace_has(&capture, "\"name\": \"enc.0.norm1\", \"role\": \"activation\", \"op\": "
                               "\"layer_norm\", \"inputs\": [\"enc.0.add1\", "
                               "\"enc.0.norm1.mean\", \"enc.0.norm1.var\", "
                               "\"enc.0.norm1.gamma\", \"enc.0.norm1.beta\", "
                               "\"enc.0.norm1.epsilon\"]");
    capture_free(&capture);
    al_layer_norm_free(&norm);
}

/* A row of ±3e38 has variance 9e76: y is still computed (±1 exactly, in
 * double), but traced, the variance cannot be written as a float32, and
 * the call says so rather than recording inf. */
static void layer_norm_refuses_to_trace_a_variance_beyond_float32(void **state)
{
    (void)state;
    al_layer_norm norm;
    assert_int_equal(al_layer_norm_alloc(&norm, 2, 1e-5f, NULL), AL_OK);
    float x_data[2] = {-3e38f, 3e38f}, y_data[2], mean_data[1], var_data[1];
    al_matrix x = al_matrix_wrap(x_data, 1, 2), y = al_matrix_wrap(y_data, 1, 2);
    al_matrix mean = al_matrix_wrap(mean_data, 1, 1), var = al_matrix_wrap(var_data, 1, 1);
    assert_int_equal(al_layer_norm_forward(&y, &mean, &var, (al_named){&x, "x", NULL}, &norm,
                                           (al_trace_at){0}, NULL),
                     AL_OK);
    assert_true(y_data[0] == -1.0f && y_data[1] == 1.0f);
    trace_capture capture;
    capture_start(&capture);
    al_error err;
    assert_int_equal(al_layer_norm_forward(&y, &mean, &var, (al_named){&x, "x", NULL}, &norm,
                                           (al_trace_at){capture.trace, "norm"}, &err),
                     AL_ERR_VALUE);
    assert_string_equal(err.message, "norm: row 0's variance is beyond float32's largest number "
                                     "(3.4e38), so the trace cannot record it; scale the input "
                                     "down");
    capture_finish(&capture);
    capture_free(&capture);
    al_layer_norm_free(&norm);
}

/* --- feed-forward ------------------------------------------------------------ */

/* x = (1, -1), W1 = [[1, 2, -1], [1, -1, 0]], b1 = (0, 0, 0.5):
 *   pre = (1 - 1, 2 + 1, -1 + 0 + 0.5) = (0, 3, -0.5)
 *   hidden = max(0, pre) = (0, 3, 0)
 * W2 = [[1, 0], [1, 1], [1, -1]], b2 = (0.25, 0):
 *   out = (0 + 3 + 0, 0 + 3 - 0) + b2 = (3.25, 3). */
static void feed_forward_by_hand(void **state)
{
    (void)state;
    al_feed_forward ffn;
    assert_int_equal(al_feed_forward_alloc(&ffn, 2, 3, true, NULL), AL_OK);
    set(&ffn.first.w, (const float[]){1, 2, -1, 1, -1, 0});
    set(&ffn.first.b, (const float[]){0, 0, 0.5f});
    set(&ffn.second.w, (const float[]){1, 0, 1, 1, 1, -1});
    set(&ffn.second.b, (const float[]){0.25f, 0});
    float x_data[2] = {1, -1}, hidden_data[3], y_data[2];
    al_matrix x = al_matrix_wrap(x_data, 1, 2), y = al_matrix_wrap(y_data, 1, 2);
    al_matrix hidden = al_matrix_wrap(hidden_data, 1, 3);
    assert_int_equal(
        al_feed_forward_forward(&y, &hidden, al_unnamed(&x), &ffn, NO_TRACE, NULL), AL_OK);
    assert_close(hidden_data[0], 0.0, EXACT);
    assert_close(hidden_data[1], 3.0, EXACT);
    assert_close(hidden_data[2], 0.0, EXACT);
    assert_close(y_data[0], 3.25, EXACT);
    assert_close(y_data[1], 3.0, EXACT);
    al_feed_forward_free(&ffn);
}

/* d_ff = 0 asks for the paper's 4 · d_model: 512 -> 2048. */
static void feed_forward_hidden_width_defaults_to_four_d_model(void **state)
{
    (void)state;
    al_feed_forward ffn;
    assert_int_equal(al_feed_forward_alloc(&ffn, 512, 0, true, NULL), AL_OK);
    assert_int_equal(ffn.first.w.rows, 512);
    assert_int_equal(ffn.first.w.cols, 2048);
    assert_int_equal(ffn.second.w.rows, 2048);
    assert_int_equal(ffn.second.w.cols, 512);
    assert_int_equal(ffn.second.b.cols, 512);
    al_feed_forward_free(&ffn);
}

static void feed_forward_checks_hidden_shape_first(void **state)
{
    (void)state;
    al_feed_forward ffn;
    assert_int_equal(al_feed_forward_alloc(&ffn, 2, 3, true, NULL), AL_OK);
    float x_data[2] = {0}, hidden_data[2], y_data[2];
    al_matrix x = al_matrix_wrap(x_data, 1, 2), y = al_matrix_wrap(y_data, 1, 2);
    al_matrix hidden = al_matrix_wrap(hidden_data, 1, 2);
    al_error err = {0};
    assert_int_equal(al_feed_forward_forward(&y, &hidden, al_unnamed(&x), &ffn,
                                             (al_trace_at){NULL, "enc.0.ffn"}, &err),
                     AL_ERR_SHAPE);
    assert_string_equal(err.message, "enc.0.ffn: hidden must be 1 x 3 (L x d_ff), not 1 x 2");
    al_feed_forward_free(&ffn);
}

static void feed_forward_traces_every_step(void **state)
{
    (void)state;
    al_feed_forward ffn;
    assert_int_equal(al_feed_forward_alloc(&ffn, 1, 2, true, NULL), AL_OK);
    set(&ffn.first.w, (const float[]){1, -1});
    set(&ffn.second.w, (const float[]){1, 1});
    /* x = 2: pre (2, -2), hidden (2, 0), out 2 */
    float x_data[1] = {2}, hidden_data[2], y_data[1];
    al_matrix x = al_matrix_wrap(x_data, 1, 1), y = al_matrix_wrap(y_data, 1, 1);
    al_matrix hidden = al_matrix_wrap(hidden_data, 1, 2);
    trace_capture capture;
    capture_start(&capture);
    assert_int_equal(al_feed_forward_forward(&y, &hidden, (al_named){&x, "enc.0.norm1", NULL}, &ffn,
                                             (al_trace_at){capture.trace, "enc.0.ffn"}, NULL),
                     AL_OK);
    capture_finish(&capture);
    assert_trace_has(&capture, "\"name\": \"enc.0.ffn.w1\", \"role\": \"param\"");
    assert_trace_has(&capture, "\"name\": \"enc.0.ffn.b2\", \"role\": \"param\"");
    assert_trace_has(&capture, "\"name\": \"enc.0.ffn.pre_relu\", \"role\": \"activation\", "
                               "\"op\": \"linear\", \"inputs\": [\"enc.0.norm1\", "
                               "\"enc.0.ffn.w1\", \"enc.0.ffn.b1\"]");
    assert_trace_has(&capture, "\"data\": [[2, -2]]");
    assert_trace_has(&capture, "\"name\": \"enc.0.ffn.hidden\", \"role\": \"activation\", "
                               "\"op\": \"relu\", \"inputs\": [\"enc.0.ffn.pre_relu\"], "
                               "\"shape\": [1, 2], \"rows\": null, \"cols\": null, "
                               "\"dtype\": \"float32\", \"data\": [[2, 0]]");
    assert_trace_has(&capture, "\"name\": \"enc.0.ffn.out\", \"role\": \"activation\", "
                               "\"op\": \"linear\", \"inputs\": [\"enc.0.ffn.hidden\", "
                               "\"enc.0.ffn.w2\", \"enc.0.ffn.b2\"]");
    capture_free(&capture);
    al_feed_forward_free(&ffn);
}

/* --- residual add --------------------------------------------------------------- */

static void residual_add_sums_and_traces(void **state)
{
    (void)state;
    float x_data[2] = {1, 2}, sub_data[2] = {0.5f, -3}, y_data[2];
    al_matrix x = al_matrix_wrap(x_data, 1, 2), sub = al_matrix_wrap(sub_data, 1, 2);
    al_matrix y = al_matrix_wrap(y_data, 1, 2);
    trace_capture capture;
    capture_start(&capture);
    assert_int_equal(al_residual_add(&y, (al_named){&x, "x", NULL},
                                     (al_named){&sub, "enc.0.attn.out", NULL},
                                     (al_trace_at){capture.trace, "enc.0.add1"}, NULL),
                     AL_OK);
    capture_finish(&capture);
    assert_close(y_data[0], 1.5, EXACT);
    assert_close(y_data[1], -1.0, EXACT);
    assert_trace_has(&capture, "\"name\": \"enc.0.add1\", \"role\": \"activation\", \"op\": "
                               "\"add\", \"inputs\": [\"x\", \"enc.0.attn.out\"]");
    capture_free(&capture);
    al_matrix narrow = al_matrix_wrap(sub_data, 1, 1);
    al_error err = {0};
    assert_int_equal(al_residual_add(&y, al_unnamed(&x), al_unnamed(&narrow), NO_TRACE, &err),
                     AL_ERR_SHAPE);
}

/* --- embedding ------------------------------------------------------------------ */

/* Table rows (10v, 10v + 1) for v = 0..3; ids (3, 0, 3) pick rows 3, 0, 3. */
static void embedding_copies_rows_by_id(void **state)
{
    (void)state;
    al_embedding embedding;
    assert_int_equal(al_embedding_alloc(&embedding, 4, 2, NULL), AL_OK);
    set(&embedding.table, (const float[]){0, 1, 10, 11, 20, 21, 30, 31});
    const int ids[] = {3, 0, 3};
    float out_data[6];
    al_matrix out = al_matrix_wrap(out_data, 3, 2);
    assert_int_equal(al_embedding_forward(&out, (al_named_ids){.ids = ids}, &embedding, NO_TRACE,
                                          NULL),
                     AL_OK);
    const float expected[6] = {30, 31, 0, 1, 30, 31};
    for (int j = 0; j < 6; j++)
        assert_same_float(out_data[j], expected[j]);
    al_embedding_free(&embedding);
}

static void embedding_refuses_an_id_outside_the_vocabulary(void **state)
{
    (void)state;
    al_embedding embedding;
    assert_int_equal(al_embedding_alloc(&embedding, 4, 2, NULL), AL_OK);
    const int ids[] = {1, 4};
    float out_data[4];
    al_matrix out = al_matrix_wrap(out_data, 2, 2);
    al_error err = {0};
    assert_int_equal(al_embedding_forward(&out, (al_named_ids){.ids = ids}, &embedding, NO_TRACE,
                                          &err),
                     AL_ERR_VALUE);
    assert_string_equal(err.message,
                        "embedding: token 1 has id 4, outside the vocabulary (0 to 3)");
    al_embedding_free(&embedding);
}

static void embedding_traces_tokens_table_and_rows(void **state)
{
    (void)state;
    al_embedding embedding;
    assert_int_equal(al_embedding_alloc(&embedding, 3, 1, NULL), AL_OK);
    set(&embedding.table, (const float[]){0.5f, 1.5f, 2.5f});
    const int ids[] = {2, 1};
    const char *labels[] = {"The", "cat"};
    float out_data[2];
    al_matrix out = al_matrix_wrap(out_data, 2, 1);
    trace_capture capture;
    capture_start(&capture);
    assert_int_equal(al_embedding_forward(&out, (al_named_ids){ids, "tokens", labels}, &embedding,
                                          (al_trace_at){capture.trace, "embed"}, NULL),
                     AL_OK);
    capture_finish(&capture);
    assert_trace_has(&capture, "\"name\": \"tokens\", \"role\": \"input\", \"op\": \"given\", "
                               "\"inputs\": [], \"shape\": [1, 2], \"rows\": null, "
                               "\"cols\": [\"The\", \"cat\"], \"dtype\": \"float32\", "
                               "\"data\": [[2, 1]]");
    assert_trace_has(&capture, "\"name\": \"embed.table\", \"role\": \"param\"");
    assert_trace_has(&capture, "\"name\": \"embed\", \"role\": \"activation\", \"op\": "
                               "\"embedding_lookup\", \"inputs\": [\"tokens\", "
                               "\"embed.table\"], \"shape\": [2, 1], \"rows\": [\"The\", "
                               "\"cat\"], \"cols\": null, \"dtype\": \"float32\", "
                               "\"data\": [[2.5], [1.5]]");
    capture_free(&capture);
    al_embedding_free(&embedding);
}

/* N(0, 1) entries: the same seed gives the same table, and 4000 samples have
 * a mean within 0.1 and a variance within 0.15 of (0, 1) (several standard
 * errors: 1/sqrt(4000) ≈ 0.016 for the mean, ≈ 0.022 for the variance). */
static void embedding_init_is_seeded_standard_normal(void **state)
{
    (void)state;
    al_embedding a, b;
    assert_int_equal(al_embedding_alloc(&a, 100, 40, NULL), AL_OK);
    assert_int_equal(al_embedding_alloc(&b, 100, 40, NULL), AL_OK);
    al_rng rng_a, rng_b;
    al_rng_seed(&rng_a, 3, 1);
    al_rng_seed(&rng_b, 3, 1);
    al_embedding_init(&a, &rng_a);
    al_embedding_init(&b, &rng_b);
    assert_close(al_max_abs_diff(&a.table, &b.table), 0.0, 0.0);
    double sum = 0, squares = 0;
    for (int i = 0; i < 100; i++)
        for (int j = 0; j < 40; j++) {
            double v = *al_at(&a.table, i, j);
            sum += v;
            squares += v * v;
        }
    assert_close(sum / 4000, 0.0, 0.1);
    assert_close(squares / 4000 - (sum / 4000) * (sum / 4000), 1.0, 0.15);
    al_embedding_free(&a);
    al_embedding_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(linear_by_hand),
        cmocka_unit_test(linear_without_bias),
        cmocka_unit_test(linear_names_the_shapes_that_disagree),
        cmocka_unit_test(linear_init_is_bounded_and_seeded),
        cmocka_unit_test(linear_traces_params_and_output),
        cmocka_unit_test(layer_norm_by_hand),
        cmocka_unit_test(layer_norm_rows_come_out_standardised),
        cmocka_unit_test(layer_norm_in_place),
        cmocka_unit_test(layer_norm_refuses_bad_shapes_and_epsilon),
        cmocka_unit_test(layer_norm_traces_mean_var_and_output),
        cmocka_unit_test(layer_norm_refuses_to_trace_a_variance_beyond_float32),
        cmocka_unit_test(feed_forward_by_hand),
        cmocka_unit_test(feed_forward_hidden_width_defaults_to_four_d_model),
        cmocka_unit_test(feed_forward_checks_hidden_shape_first),
        cmocka_unit_test(feed_forward_traces_every_step),
        cmocka_unit_test(residual_add_sums_and_traces),
        cmocka_unit_test(embedding_copies_rows_by_id),
        cmocka_unit_test(embedding_refuses_an_id_outside_the_vocabulary),
        cmocka_unit_test(embedding_traces_tokens_table_and_rows),
        cmocka_unit_test(embedding_init_is_seeded_standard_normal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
