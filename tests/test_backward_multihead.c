/* test_backward_multihead.c: al_multihead_attention_backward against
 * central finite differences of multi-head attention in double: the
 * projections written as loops here, each head by plain_attention
 * (plain_reference.c), so that nothing of the library's forward is used
 * for the reference. Self-attention with and without a causal mask, and
 * cross-attention with Lq != Lk; 2 heads, biases.
 *
 * Can it fail? Tried while writing it, then undone: leaving out the
 * dK · W_Kᵀ term of dX fails "self dx"; writing dXkv into dx_query for
 * cross-attention fails the cross-attention case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>

#include "attnlab/mask.h"
#include "attnlab/multihead.h"
#include "attnlab/rng.h"
#include "check.h"
#include "gradient_check.h"
#include "plain_reference.h"

/* As test_backward_layers.c: float backward against a double forward. */
#define FLOAT_GRADIENT 1e-5
#define REASON "float backward against a double forward: ~1e-6 of rounding"

enum { D = 6, HEADS = 2, D_HEAD = D / HEADS, MAX_L = 5, MAX = 64 };

/* The double copy of everything the forward reads. */
typedef struct layer_case {
    int lq, lk;
    double xq[MAX_L * D], xm[MAX_L * D];
    double w[4][D * D], b[4][D];       /* Q, K, V, O */
    double r[MAX_L * D];
    const int *mask;                   /* lq x lk or NULL */
    bool self;
} layer_case;

/* y (rows x D) = x · w + b */
static void project(double *y, const double *x, const double *w, const double *b, int rows)
{
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < D; j++) {
            double sum = b[j];
            for (int p = 0; p < D; p++)
                sum += x[i * D + p] * w[p * D + j];
            y[i * D + j] = sum;
        }
}

static double layer_loss(void *context)
{
    layer_case *c = context;
    const double *xm = c->self ? c->xq : c->xm;
    double q[MAX_L * D], k[MAX_L * D], v[MAX_L * D], concat[MAX_L * D], out[MAX_L * D];
    double weights[MAX_L * MAX_L];
    project(q, c->xq, c->w[0], c->b[0], c->lq);
    project(k, xm, c->w[1], c->b[1], c->lk);
    project(v, xm, c->w[2], c->b[2], c->lk);
    for (int h = 0; h < HEADS; h++)
        plain_attention(concat + h * D_HEAD, weights, q + h * D_HEAD, k + h * D_HEAD,
                        v + h * D_HEAD, c->mask, c->lq, c->lk, D_HEAD, D_HEAD, D, D);
    project(out, concat, c->w[3], c->b[3], c->lq);
    return gc_weighted_sum(out, c->r, c->lq * D);
}

static void check_layer(int lq, int lk, bool self, const int *mask_bits, uint64_t seed)
{
    al_rng rng;
    al_rng_seed(&rng, seed, 0);
    al_attention_params params, grad;
    assert_int_equal(al_attention_params_alloc(&params, D, HEADS, true, NULL), AL_OK);
    assert_int_equal(al_attention_params_alloc(&grad, D, HEADS, true, NULL), AL_OK);
    al_matrix *p[8] = {&params.w_q, &params.w_k, &params.w_v, &params.w_o,
                       &params.b_q, &params.b_k, &params.b_v, &params.b_o};
    al_matrix *g[8] = {&grad.w_q, &grad.w_k, &grad.w_v, &grad.w_o,
                       &grad.b_q, &grad.b_k, &grad.b_v, &grad.b_o};
    for (int i = 0; i < 8; i++)
        al_rng_fill_normal(p[i], &rng, 0.0f, 0.5f);
    float xq_data[MAX_L * D], xm_data[MAX_L * D], out_data[MAX_L * D], r_data[MAX_L * D];
    float dxq_data[MAX_L * D], dxm_data[MAX_L * D], mask_data[MAX_L * MAX_L];
    al_matrix xq = al_matrix_wrap(xq_data, lq, D), xm = al_matrix_wrap(xm_data, lk, D);
    al_matrix out = al_matrix_wrap(out_data, lq, D), r = al_matrix_wrap(r_data, lq, D);
    al_matrix dxq = al_matrix_wrap(dxq_data, lq, D), dxm = al_matrix_wrap(dxm_data, lk, D);
    al_matrix mask = al_matrix_wrap(mask_data, lq, lk);
    al_rng_fill_normal(&xq, &rng, 0, 1), al_rng_fill_normal(&xm, &rng, 0, 1);
    al_rng_fill_normal(&r, &rng, 0, 1);
    for (int i = 0; mask_bits && i < lq * lk; i++)
        mask_data[i] = (float)mask_bits[i];
    const al_matrix *memory = self ? &xq : &xm;

    al_attention_workspace ws;
    al_attention_backward_workspace bw;
    assert_int_equal(al_attention_workspace_alloc(&ws, &params, MAX_L, MAX_L, NULL), AL_OK);
    assert_int_equal(al_attention_backward_workspace_alloc(&bw, &params, MAX_L, MAX_L, NULL),
                     AL_OK);
    al_attention_call call = {.mask = mask_bits ? &mask : NULL, .temperature = 1.0f};
    assert_int_equal(al_multihead_attention(&out, &ws, al_unnamed(&xq), al_unnamed(memory),
                                            &params, &call, (al_trace_at){0}, NULL), AL_OK);
    assert_int_equal(al_multihead_attention_backward(&dxq, self ? NULL : &dxm, &grad, &bw, &r,
                                                     &ws, &xq, memory, &params, &call, NULL),
                     AL_OK);

    layer_case c = {.lq = lq, .lk = lk, .mask = mask_bits, .self = self};
    gc_to_double(c.xq, &xq), gc_to_double(c.xm, &xm), gc_to_double(c.r, &r);
    for (int i = 0; i < 4; i++)
        gc_to_double(c.w[i], p[i]), gc_to_double(c.b[i], p[4 + i]);
    const char *names[8] = {"dW_Q", "dW_K", "dW_V", "dW_O", "db_Q", "db_K", "db_V", "db_O"};
    double numeric[MAX];
    gc_central_differences(numeric, c.xq, lq * D, layer_loss, &c);
    gc_expect_gradient(self ? "self dx" : "cross dx_query", &dxq, numeric, FLOAT_GRADIENT,
                       REASON);
    if (!self) {
        gc_central_differences(numeric, c.xm, lk * D, layer_loss, &c);
        gc_expect_gradient("cross dmemory", &dxm, numeric, FLOAT_GRADIENT, REASON);
    }
    for (int i = 0; i < 8; i++) {
        gc_central_differences(numeric, i < 4 ? c.w[i] : c.b[i - 4], i < 4 ? D * D : D,
                               layer_loss, &c);
        gc_expect_gradient(names[i], g[i], numeric, FLOAT_GRADIENT, REASON);
    }
    al_attention_backward_workspace_free(&bw);
    al_attention_workspace_free(&ws);
    al_attention_params_free(&params), al_attention_params_free(&grad);
}

static const int CAUSAL_4[16] = {1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1};

static void self_attention(void **state)
{
    (void)state;
    check_layer(4, 4, true, NULL, 31);
}

static void self_attention_causal(void **state)
{
    (void)state;
    check_layer(4, 4, true, CAUSAL_4, 32);
}

static void cross_attention(void **state)
{
    (void)state;
    check_layer(3, 5, false, NULL, 33);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(self_attention),
        cmocka_unit_test(self_attention_causal),
        cmocka_unit_test(cross_attention),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
