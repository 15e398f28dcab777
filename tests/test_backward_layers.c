/* test_backward_layers.c: the backward functions of layers.h (linear,
 * layer norm, feed-forward, residual, embedding, cross-entropy) against
 * central finite differences in double (gradient_check.h) on small random
 * inputs, and a few gradients worked by hand.
 *
 * Each test writes the forward pass again as plain loops over doubles,
 * loss = Σ r ⊙ f(inputs) for a fixed random r, so that the library's
 * backward is given dy = r; every input and parameter entry is then moved
 * by ±h and the loss's change compared with the library's gradient.
 *
 * Can it fail? Tried one at a time while writing it, then undone: db left
 * out fails "linear db"; the layer norm's x̂ · mean_j(g ⊙ x̂) term dropped
 * fails "layer norm dx" by 0.85; the ReLU mask taken from dhidden instead
 * of hidden fails the FFN; the cross-entropy's gradient divided by L
 * instead of N (the padding row counted) fails "cross-entropy dlogits". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>

#include "attnlab/layers.h"
#include "attnlab/rng.h"
#include "check.h"
#include "gradient_check.h"

/* The library's gradient is float: each product of k terms rounds at
 * about k · 2^-24 relative to its largest terms, and these layers chain at
 * most four such steps on entries of size ~1. 1e-5 of the gradient's
 * largest entry is ten times that and far below any mistake in the maths
 * (a missing term moves the gradient by 1e-2 or more). */
#define FLOAT_GRADIENT 1e-5
#define REASON "float backward against a double forward: ~1e-6 of rounding"

#define MAX 64

static void random_fill(al_matrix *m, al_rng *rng)
{
    al_rng_fill_normal(m, rng, 0.0f, 1.0f);
}

/* ---- linear: y = x · W + b ------------------------------------------------- */

enum { L = 3, D_IN = 4, D_OUT = 5, D_FF = 6 };

typedef struct linear_case {
    double x[L * D_IN], w[D_IN * D_OUT], b[D_OUT], r[L * D_OUT];
} linear_case;

static double linear_loss(void *context)
{
    linear_case *c = context;
    double y[L * D_OUT];
    for (int i = 0; i < L; i++)
        for (int j = 0; j < D_OUT; j++) {
            double sum = c->b[j];
            for (int p = 0; p < D_IN; p++)
                sum += c->x[i * D_IN + p] * c->w[p * D_OUT + j];
            y[i * D_OUT + j] = sum;
        }
    return gc_weighted_sum(y, c->r, L * D_OUT);
}

static void linear_matches_finite_differences(void **state)
{
    (void)state;
    al_rng rng;
    al_rng_seed(&rng, 11, 0);
    al_linear layer, grad;
    assert_int_equal(al_linear_alloc(&layer, D_IN, D_OUT, true, NULL), AL_OK);
    assert_int_equal(al_linear_alloc(&grad, D_IN, D_OUT, true, NULL), AL_OK);
    float x_data[L * D_IN], y_data[L * D_OUT], r_data[L * D_OUT], dx_data[L * D_IN];
    al_matrix x = al_matrix_wrap(x_data, L, D_IN), y = al_matrix_wrap(y_data, L, D_OUT);
    al_matrix r = al_matrix_wrap(r_data, L, D_OUT), dx = al_matrix_wrap(dx_data, L, D_IN);
    random_fill(&x, &rng), random_fill(&layer.w, &rng), random_fill(&layer.b, &rng);
    random_fill(&r, &rng);
    assert_int_equal(al_linear_forward(&y, al_unnamed(&x), &layer, (al_trace_at){0}, NULL),
                     AL_OK);
    assert_int_equal(al_linear_backward(&dx, &grad, &r, &x, &layer, NULL), AL_OK);

    linear_case c;
    gc_to_double(c.x, &x), gc_to_double(c.w, &layer.w), gc_to_double(c.b, &layer.b);
    gc_to_double(c.r, &r);
    double numeric[MAX];
    gc_central_differences(numeric, c.x, L * D_IN, linear_loss, &c);
    gc_expect_gradient("linear dx", &dx, numeric, FLOAT_GRADIENT, REASON);
    gc_central_differences(numeric, c.w, D_IN * D_OUT, linear_loss, &c);
    gc_expect_gradient("linear dW", &grad.w, numeric, FLOAT_GRADIENT, REASON);
    gc_central_differences(numeric, c.b, D_OUT, linear_loss, &c);
    gc_expect_gradient("linear db", &grad.b, numeric, FLOAT_GRADIENT, REASON);
    al_linear_free(&layer), al_linear_free(&grad);
}

/* Gradients add up: two backward calls on the same dy leave twice the
 * first call's dW and db, as PyTorch's .grad does. */
static void linear_gradients_accumulate(void **state)
{
    (void)state;
    al_linear layer, grad;
    assert_int_equal(al_linear_alloc(&layer, 1, 1, true, NULL), AL_OK);
    assert_int_equal(al_linear_alloc(&grad, 1, 1, true, NULL), AL_OK);
    /* y = 3x + b at x = 2, dy = 5: dW = x · dy = 10, db = 5, dx = W · dy = 15 */
    *al_at(&layer.w, 0, 0) = 3.0f;
    float x_data[1] = {2}, dy_data[1] = {5}, dx_data[1];
    al_matrix x = al_matrix_wrap(x_data, 1, 1), dy = al_matrix_wrap(dy_data, 1, 1);
    al_matrix dx = al_matrix_wrap(dx_data, 1, 1);
    assert_int_equal(al_linear_backward(&dx, &grad, &dy, &x, &layer, NULL), AL_OK);
    assert_same_float(dx_data[0], 15.0f);
    assert_int_equal(al_linear_backward(NULL, &grad, &dy, &x, &layer, NULL), AL_OK);
    assert_same_float(*al_at(&grad.w, 0, 0), 20.0f);
    assert_same_float(*al_at(&grad.b, 0, 0), 10.0f);
    al_linear_free(&layer), al_linear_free(&grad);
}

/* ---- layer norm -------------------------------------------------------------- */

enum { D_NORM = 6 };

typedef struct norm_case {
    double x[L * D_NORM], gamma[D_NORM], beta[D_NORM], r[L * D_NORM], epsilon;
} norm_case;

static double norm_loss(void *context)
{
    norm_case *c = context;
    double y[L * D_NORM];
    for (int i = 0; i < L; i++) {
        const double *row = c->x + i * D_NORM;
        double mean = 0.0, var = 0.0;
        for (int j = 0; j < D_NORM; j++)
            mean += row[j] / D_NORM;
        for (int j = 0; j < D_NORM; j++)
            var += (row[j] - mean) * (row[j] - mean) / D_NORM;
        for (int j = 0; j < D_NORM; j++)
            y[i * D_NORM + j] = c->gamma[j] * (row[j] - mean) / sqrt(var + c->epsilon) +
                                c->beta[j];
    }
    return gc_weighted_sum(y, c->r, L * D_NORM);
}

static void layer_norm_matches_finite_differences(void **state)
{
    (void)state;
    al_rng rng;
    al_rng_seed(&rng, 12, 0);
    al_layer_norm norm, grad;
    assert_int_equal(al_layer_norm_alloc(&norm, D_NORM, AL_LAYER_NORM_EPSILON, NULL), AL_OK);
    assert_int_equal(al_layer_norm_alloc(&grad, D_NORM, AL_LAYER_NORM_EPSILON, NULL), AL_OK);
    al_fill(&grad.gamma, 0.0f);
    float x_data[L * D_NORM], y_data[L * D_NORM], r_data[L * D_NORM], dx_data[L * D_NORM];
    float mean_data[L], var_data[L];
    al_matrix x = al_matrix_wrap(x_data, L, D_NORM), y = al_matrix_wrap(y_data, L, D_NORM);
    al_matrix r = al_matrix_wrap(r_data, L, D_NORM), dx = al_matrix_wrap(dx_data, L, D_NORM);
    al_matrix mean = al_matrix_wrap(mean_data, L, 1), var = al_matrix_wrap(var_data, L, 1);
    random_fill(&x, &rng), random_fill(&norm.gamma, &rng), random_fill(&norm.beta, &rng);
    random_fill(&r, &rng);
    assert_int_equal(al_layer_norm_forward(&y, &mean, &var, al_unnamed(&x), &norm,
                                           (al_trace_at){0}, NULL), AL_OK);
    assert_int_equal(al_layer_norm_backward(&dx, &grad, &r, &x, &mean, &var, &norm, NULL),
                     AL_OK);

    norm_case c = {.epsilon = norm.epsilon};
    gc_to_double(c.x, &x), gc_to_double(c.gamma, &norm.gamma);
    gc_to_double(c.beta, &norm.beta), gc_to_double(c.r, &r);
    double numeric[MAX];
    gc_central_differences(numeric, c.x, L * D_NORM, norm_loss, &c);
    gc_expect_gradient("layer norm dx", &dx, numeric, FLOAT_GRADIENT, REASON);
    gc_central_differences(numeric, c.gamma, D_NORM, norm_loss, &c);
    gc_expect_gradient("layer norm dgamma", &grad.gamma, numeric, FLOAT_GRADIENT, REASON);
    gc_central_differences(numeric, c.beta, D_NORM, norm_loss, &c);
    gc_expect_gradient("layer norm dbeta", &grad.beta, numeric, FLOAT_GRADIENT, REASON);

    /* Each row of dx sums to 0: adding a constant to a row changes nothing */
    for (int i = 0; i < L; i++) {
        double sum = 0.0;
        for (int j = 0; j < D_NORM; j++)
            sum += dx_data[i * D_NORM + j];
        assert_close(sum, 0.0, 1e-5);
    }
    al_layer_norm_free(&norm), al_layer_norm_free(&grad);
}

/* ---- feed-forward: max(0, x · W1 + b1) · W2 + b2 ----------------------------- */

typedef struct ffn_case {
    double x[L * D_IN], w1[D_IN * D_FF], b1[D_FF], w2[D_FF * D_IN], b2[D_IN], r[L * D_IN];
} ffn_case;

static double ffn_loss(void *context)
{
    ffn_case *c = context;
    double y[L * D_IN];
    for (int i = 0; i < L; i++) {
        double hidden[D_FF];
        for (int j = 0; j < D_FF; j++) {
            double sum = c->b1[j];
            for (int p = 0; p < D_IN; p++)
                sum += c->x[i * D_IN + p] * c->w1[p * D_FF + j];
            hidden[j] = sum > 0.0 ? sum : 0.0;
        }
        for (int j = 0; j < D_IN; j++) {
            double sum = c->b2[j];
            for (int p = 0; p < D_FF; p++)
                sum += hidden[p] * c->w2[p * D_IN + j];
            y[i * D_IN + j] = sum;
        }
    }
    return gc_weighted_sum(y, c->r, L * D_IN);
}

static void feed_forward_matches_finite_differences(void **state)
{
    (void)state;
    al_rng rng;
    al_rng_seed(&rng, 13, 0);
    al_feed_forward ffn, grad;
    assert_int_equal(al_feed_forward_alloc(&ffn, D_IN, D_FF, true, NULL), AL_OK);
    assert_int_equal(al_feed_forward_alloc(&grad, D_IN, D_FF, true, NULL), AL_OK);
    float x_data[L * D_IN], y_data[L * D_IN], r_data[L * D_IN], dx_data[L * D_IN];
    float hidden_data[L * D_FF], dhidden_data[L * D_FF];
    al_matrix x = al_matrix_wrap(x_data, L, D_IN), y = al_matrix_wrap(y_data, L, D_IN);
    al_matrix r = al_matrix_wrap(r_data, L, D_IN), dx = al_matrix_wrap(dx_data, L, D_IN);
    al_matrix hidden = al_matrix_wrap(hidden_data, L, D_FF);
    al_matrix dhidden = al_matrix_wrap(dhidden_data, L, D_FF);
    random_fill(&x, &rng), random_fill(&ffn.first.w, &rng), random_fill(&ffn.first.b, &rng);
    random_fill(&ffn.second.w, &rng), random_fill(&ffn.second.b, &rng), random_fill(&r, &rng);
    assert_int_equal(al_feed_forward_forward(&y, &hidden, al_unnamed(&x), &ffn,
                                             (al_trace_at){0}, NULL), AL_OK);
    int zeros = 0;
    for (int i = 0; i < L * D_FF; i++)
        zeros += hidden_data[i] == 0.0f;
    assert_true(zeros > 0 && zeros < L * D_FF);  /* the ReLU cuts some, not all */
    assert_int_equal(al_feed_forward_backward(&dx, &grad, &dhidden, &r, &x, &hidden, &ffn,
                                              NULL), AL_OK);

    ffn_case c;
    gc_to_double(c.x, &x), gc_to_double(c.w1, &ffn.first.w), gc_to_double(c.b1, &ffn.first.b);
    gc_to_double(c.w2, &ffn.second.w), gc_to_double(c.b2, &ffn.second.b);
    gc_to_double(c.r, &r);
    double numeric[MAX];
    gc_central_differences(numeric, c.x, L * D_IN, ffn_loss, &c);
    gc_expect_gradient("ffn dx", &dx, numeric, FLOAT_GRADIENT, REASON);
    gc_central_differences(numeric, c.w1, D_IN * D_FF, ffn_loss, &c);
    gc_expect_gradient("ffn dW1", &grad.first.w, numeric, FLOAT_GRADIENT, REASON);
    gc_central_differences(numeric, c.b1, D_FF, ffn_loss, &c);
    gc_expect_gradient("ffn db1", &grad.first.b, numeric, FLOAT_GRADIENT, REASON);
    gc_central_differences(numeric, c.w2, D_FF * D_IN, ffn_loss, &c);
    gc_expect_gradient("ffn dW2", &grad.second.w, numeric, FLOAT_GRADIENT, REASON);
    gc_central_differences(numeric, c.b2, D_IN, ffn_loss, &c);
    gc_expect_gradient("ffn db2", &grad.second.b, numeric, FLOAT_GRADIENT, REASON);
    al_feed_forward_free(&ffn), al_feed_forward_free(&grad);
}

/* ---- residual, embedding ----------------------------------------------------- */

/* y = x + F(x): dx already holds F's share 1, 2; adding dy = 10, 20 gives
 * 11, 22: the shortcut passes dy on unchanged. */
static void residual_passes_the_gradient_on(void **state)
{
    (void)state;
    float dx_data[2] = {1, 2}, dy_data[2] = {10, 20};
    al_matrix dx = al_matrix_wrap(dx_data, 1, 2), dy = al_matrix_wrap(dy_data, 1, 2);
    assert_int_equal(al_residual_backward(&dx, &dy, NULL), AL_OK);
    assert_same_float(dx_data[0], 11.0f);
    assert_same_float(dx_data[1], 22.0f);
}

/* ids 2, 0, 2: table row 2 collects rows 0 and 2 of dout, row 0 collects
 * row 1, rows 1 and 3 get nothing. */
static void embedding_rows_collect_their_tokens(void **state)
{
    (void)state;
    al_embedding grad;
    assert_int_equal(al_embedding_alloc(&grad, 4, 2, NULL), AL_OK);
    const int ids[3] = {2, 0, 2};
    float dout_data[6] = {1, 2, 30, 40, 500, 600};
    al_matrix dout = al_matrix_wrap(dout_data, 3, 2);
    assert_int_equal(al_embedding_backward(&grad, &dout, ids, NULL), AL_OK);
    const float expected[8] = {30, 40, 0, 0, 501, 602, 0, 0};
    for (int i = 0; i < 8; i++)
        assert_same_float(grad.table.data[i], expected[i]);
    const int bad[3] = {2, 4, 0};
    al_error err;
    assert_int_equal(al_embedding_backward(&grad, &dout, bad, &err), AL_ERR_VALUE);
    assert_string_equal(err.message, "embedding backward: token 1 has id 4, outside the "
                                     "vocabulary (0 to 3)");
    al_embedding_free(&grad);
}

/* ---- cross-entropy ------------------------------------------------------------- */

enum { ROWS = 4, V = 5 };
static const int TARGETS[ROWS] = {1, AL_IGNORE_TARGET, 4, 0};

typedef struct loss_case {
    double logits[ROWS * V];
} loss_case;

static double cross_entropy_loss(void *context)
{
    loss_case *c = context;
    double total = 0.0;
    int counted = 0;
    for (int i = 0; i < ROWS; i++) {
        if (TARGETS[i] == AL_IGNORE_TARGET)
            continue;
        double sum = 0.0;
        for (int j = 0; j < V; j++)
            sum += exp(c->logits[i * V + j]);
        total += -log(exp(c->logits[i * V + TARGETS[i]]) / sum);
        counted++;
    }
    return total / counted;
}

static void cross_entropy_matches_finite_differences(void **state)
{
    (void)state;
    al_rng rng;
    al_rng_seed(&rng, 14, 0);
    float logits_data[ROWS * V], probs_data[ROWS * V], dlogits_data[ROWS * V];
    al_matrix logits = al_matrix_wrap(logits_data, ROWS, V);
    al_matrix probs = al_matrix_wrap(probs_data, ROWS, V);
    al_matrix dlogits = al_matrix_wrap(dlogits_data, ROWS, V);
    random_fill(&logits, &rng);
    double loss;
    assert_int_equal(al_cross_entropy(&loss, &probs, &logits, TARGETS, NULL), AL_OK);
    assert_int_equal(al_cross_entropy_backward(&dlogits, &probs, TARGETS, NULL), AL_OK);

    loss_case c;
    gc_to_double(c.logits, &logits);
    double reference = cross_entropy_loss(&c);
    print_message("cross-entropy loss %.9g, reference %.9g\n", loss, reference);
    assert_close(loss, reference, 1e-6);
    double numeric[MAX];
    gc_central_differences(numeric, c.logits, ROWS * V, cross_entropy_loss, &c);
    gc_expect_gradient("cross-entropy dlogits", &dlogits, numeric, FLOAT_GRADIENT, REASON);
    for (int j = 0; j < V; j++)  /* the padding row gets nothing at all */
        assert_same_float(dlogits_data[1 * V + j], 0.0f);
    for (int i = 0; i < ROWS; i++) {  /* each kept row's gradient sums to 0 */
        double sum = 0.0;
        for (int j = 0; j < V; j++)
            sum += dlogits_data[i * V + j];
        assert_close(sum, 0.0, 1e-7);
    }
}

/* Equal logits over V = 4 words: every p is 1/4 and the loss is log 4 =
 * 1.386294361, whatever the target; the gradient is 1/4 - 1 = -0.75 at the
 * target and 0.25 elsewhere (one row, N = 1). A confident wrong answer
 * (logit 100 on another word) gives a loss near 100, finite. */
static void cross_entropy_by_hand(void **state)
{
    (void)state;
    float logits_data[4] = {0, 0, 0, 0}, probs_data[4], dlogits_data[4];
    al_matrix logits = al_matrix_wrap(logits_data, 1, 4), probs = al_matrix_wrap(probs_data, 1, 4);
    al_matrix dlogits = al_matrix_wrap(dlogits_data, 1, 4);
    const int target[1] = {2};
    double loss;
    assert_int_equal(al_cross_entropy(&loss, &probs, &logits, target, NULL), AL_OK);
    assert_close(loss, log(4.0), 1e-12);
    assert_int_equal(al_cross_entropy_backward(&dlogits, &probs, target, NULL), AL_OK);
    assert_same_float(dlogits_data[2], -0.75f);
    assert_same_float(dlogits_data[0], 0.25f);

    logits_data[0] = 100.0f;
    assert_int_equal(al_cross_entropy(&loss, &probs, &logits, target, NULL), AL_OK);
    assert_close(loss, 100.0, 1e-9);

    const int bad[1] = {4};
    al_error err;
    assert_int_equal(al_cross_entropy(&loss, &probs, &logits, bad, &err), AL_ERR_VALUE);
    assert_string_equal(err.message, "cross-entropy: row 0 has target 4, outside the "
                                     "vocabulary (0 to 3)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(linear_matches_finite_differences),
        cmocka_unit_test(linear_gradients_accumulate),
        cmocka_unit_test(layer_norm_matches_finite_differences),
        cmocka_unit_test(feed_forward_matches_finite_differences),
        cmocka_unit_test(residual_passes_the_gradient_on),
        cmocka_unit_test(embedding_rows_collect_their_tokens),
        cmocka_unit_test(cross_entropy_matches_finite_differences),
        cmocka_unit_test(cross_entropy_by_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
