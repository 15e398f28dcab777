/* test_backward_attention.c: al_softmax_rows_backward and
 * al_attend_backward against central finite differences of one head
 * written again in plain double loops (gradient_check.h): the dot, scaled
 * dot, general and additive (Bahdanau) scores, at T = 1 and T = 0.5, with
 * no mask, a causal mask and a fully masked row, Lq != Lk != d_k != d_v
 * (and d_a = 3 for additive: dq, dk, dv, dW_q, dW_k, dv_a).
 *
 * Can it fail? Tried while writing it, then undone: dropping the
 * 1 / sqrt(d_k) in the backward fails dq of the scaled-dot cases by 0.76;
 * dropping the Σ_k dw_ik · w_ik term of the softmax backward fails dq in
 * every case. Additive: dropping tanh's (1 − t²) fails dq in all three
 * additive cases (by 0.03 to 0.27: dq_proj then sums a row of dscores,
 * which is 0); dv_a summing t without the dscores weight fails dv_a in all
 * three (by 4.7 to 8.7). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>

#include "attnlab/attention.h"
#include "attnlab/rng.h"
#include "attnlab/softmax.h"
#include "check.h"
#include "gradient_check.h"

/* As test_backward_layers.c: float backward against a double forward. */
#define FLOAT_GRADIENT 1e-5
#define REASON "float backward against a double forward: ~1e-6 of rounding"

enum { LQ = 3, LK = 4, DK = 5, DV = 2, DA = 3, MAX = 64 };

typedef struct head_case {
    double q[LQ * DK], k[LK * DK], v[LK * DV], w_a[DK * DK], r[LQ * DV];
    double w_q[DK * DA], w_k[DK * DA], v_a[DA];   /* additive */
    const int *mask;     /* LQ x LK of 1/0, or NULL */
    al_score_kind kind;
    double temperature;
} head_case;

/* Bahdanau: v_aᵀ tanh(q_i · W_q + k_j · W_k), every product a plain loop */
static double additive_score(const head_case *c, int i, int j)
{
    double score = 0.0;
    for (int a = 0; a < DA; a++) {
        double sum = 0.0;
        for (int p = 0; p < DK; p++)
            sum += c->q[i * DK + p] * c->w_q[p * DA + a] + c->k[j * DK + p] * c->w_k[p * DA + a];
        score += c->v_a[a] * tanh(sum);
    }
    return score;
}

/* out = softmax(score(q, k) / T over the allowed keys) · v, then Σ r ⊙ out */
static double head_loss(void *context)
{
    head_case *c = context;
    double out[LQ * DV] = {0};
    for (int i = 0; i < LQ; i++) {
        double q_row[DK];
        for (int p = 0; p < DK; p++) {
            q_row[p] = c->q[i * DK + p];
            if (c->kind == AL_SCORE_GENERAL) {
                q_row[p] = 0.0;
                for (int t = 0; t < DK; t++)
                    q_row[p] += c->q[i * DK + t] * c->w_a[t * DK + p];
            }
        }
        double s[LK], max = -INFINITY;
        for (int j = 0; j < LK; j++) {
            s[j] = 0.0;
            for (int p = 0; p < DK; p++)
                s[j] += q_row[p] * c->k[j * DK + p];
            if (c->kind == AL_SCORE_SCALED_DOT)
                s[j] /= sqrt((double)DK);
            if (c->kind == AL_SCORE_ADDITIVE)
                s[j] = additive_score(c, i, j);
            s[j] /= c->temperature;
            if (!c->mask || c->mask[i * LK + j])
                max = fmax(max, s[j]);
        }
        double sum = 0.0, e[LK];
        for (int j = 0; j < LK; j++) {
            e[j] = (!c->mask || c->mask[i * LK + j]) ? exp(s[j] - max) : 0.0;
            sum += e[j];
        }
        for (int j = 0; j < LK && sum > 0.0; j++)
            for (int p = 0; p < DV; p++)
                out[i * DV + p] += e[j] / sum * c->v[j * DV + p];
    }
    return gc_weighted_sum(out, c->r, LQ * DV);
}

static void check_head(al_score_kind kind, float temperature, const int *mask_bits,
                       uint64_t seed)
{
    al_rng rng;
    al_rng_seed(&rng, seed, 0);
    float q_data[LQ * DK], k_data[LK * DK], v_data[LK * DV], w_a_data[DK * DK];
    float r_data[LQ * DV], out_data[LQ * DV], mask_data[LQ * LK];
    float dq_data[LQ * DK], dk_data[LK * DK], dv_data[LK * DV], dw_a_data[DK * DK] = {0};
    float scratch_data[LQ * LK], scratch_q_data[LQ * DK], scratch_k_data[LK * DA];
    float w_q_data[DK * DA], w_k_data[DK * DA], v_a_data[DA];
    float dw_q_data[DK * DA] = {0}, dw_k_data[DK * DA] = {0}, dv_a_data[DA] = {0};
    bool additive = kind == AL_SCORE_ADDITIVE;
    al_matrix q = al_matrix_wrap(q_data, LQ, DK), k = al_matrix_wrap(k_data, LK, DK);
    al_matrix v = al_matrix_wrap(v_data, LK, DV), w_a = al_matrix_wrap(w_a_data, DK, DK);
    al_matrix r = al_matrix_wrap(r_data, LQ, DV), out = al_matrix_wrap(out_data, LQ, DV);
    al_matrix mask = al_matrix_wrap(mask_data, LQ, LK);
    al_matrix dq = al_matrix_wrap(dq_data, LQ, DK), dk = al_matrix_wrap(dk_data, LK, DK);
    al_matrix dv = al_matrix_wrap(dv_data, LK, DV), dw_a = al_matrix_wrap(dw_a_data, DK, DK);
    al_matrix scratch = al_matrix_wrap(scratch_data, LQ, LK);
    al_matrix scratch_q = al_matrix_wrap(scratch_q_data, LQ, additive ? DA : DK);
    al_matrix scratch_k = al_matrix_wrap(scratch_k_data, LK, DA);
    al_matrix w_q = al_matrix_wrap(w_q_data, DK, DA), w_k = al_matrix_wrap(w_k_data, DK, DA);
    al_matrix v_a = al_matrix_wrap(v_a_data, DA, 1), dv_a = al_matrix_wrap(dv_a_data, DA, 1);
    al_matrix dw_q = al_matrix_wrap(dw_q_data, DK, DA), dw_k = al_matrix_wrap(dw_k_data, DK, DA);
    al_rng_fill_normal(&q, &rng, 0, 1), al_rng_fill_normal(&k, &rng, 0, 1);
    al_rng_fill_normal(&v, &rng, 0, 1), al_rng_fill_normal(&w_a, &rng, 0, 0.5f);
    al_rng_fill_normal(&r, &rng, 0, 1);
    al_rng_fill_normal(&w_q, &rng, 0, 0.5f), al_rng_fill_normal(&w_k, &rng, 0, 0.5f);
    al_rng_fill_normal(&v_a, &rng, 0, 1);
    for (int i = 0; mask_bits && i < LQ * LK; i++)
        mask_data[i] = (float)mask_bits[i];

    al_scoring scoring = al_scoring_scaled_dot();
    scoring.kind = kind;
    scoring.temperature = temperature;
    scoring.w_a = kind == AL_SCORE_GENERAL ? &w_a : NULL;
    if (additive)
        scoring.w_q = &w_q, scoring.w_k = &w_k, scoring.v_a = &v_a;
    al_attention_steps steps;
    assert_int_equal(al_attention_steps_alloc(&steps, LQ, LK, &scoring, mask_bits != NULL,
                                              NULL), AL_OK);
    const al_matrix *m = mask_bits ? &mask : NULL;
    assert_int_equal(al_attend(&out, &steps, &q, &k, &v, m, &scoring, NULL, NULL, NULL), AL_OK);
    al_score_grads grads = {.w_a = &dw_a, .w_q = &dw_q, .w_k = &dw_k, .v_a = &dv_a,
                            .scratch_k = &scratch_k};
    bool projected = kind == AL_SCORE_GENERAL || additive;
    assert_int_equal(al_attend_backward(&dq, &dk, &dv, &grads, &scratch,
                                        projected ? &scratch_q : NULL, &r,
                                        &steps, &q, &k, &v, m, &scoring, NULL), AL_OK);

    head_case c = {.mask = mask_bits, .kind = kind, .temperature = temperature};
    gc_to_double(c.q, &q), gc_to_double(c.k, &k), gc_to_double(c.v, &v);
    gc_to_double(c.w_a, &w_a), gc_to_double(c.r, &r);
    gc_to_double(c.w_q, &w_q), gc_to_double(c.w_k, &w_k), gc_to_double(c.v_a, &v_a);
    double numeric[MAX];
    gc_central_differences(numeric, c.q, LQ * DK, head_loss, &c);
    gc_expect_gradient("dq", &dq, numeric, FLOAT_GRADIENT, REASON);
    gc_central_differences(numeric, c.k, LK * DK, head_loss, &c);
    gc_expect_gradient("dk", &dk, numeric, FLOAT_GRADIENT, REASON);
    gc_central_differences(numeric, c.v, LK * DV, head_loss, &c);
    gc_expect_gradient("dv", &dv, numeric, FLOAT_GRADIENT, REASON);
    if (kind == AL_SCORE_GENERAL) {
        gc_central_differences(numeric, c.w_a, DK * DK, head_loss, &c);
        gc_expect_gradient("dW_a", &dw_a, numeric, FLOAT_GRADIENT, REASON);
    }
    if (additive) {
        gc_central_differences(numeric, c.w_q, DK * DA, head_loss, &c);
        gc_expect_gradient("dW_q", &dw_q, numeric, FLOAT_GRADIENT, REASON);
        gc_central_differences(numeric, c.w_k, DK * DA, head_loss, &c);
        gc_expect_gradient("dW_k", &dw_k, numeric, FLOAT_GRADIENT, REASON);
        gc_central_differences(numeric, c.v_a, DA, head_loss, &c);
        gc_expect_gradient("dv_a", &dv_a, numeric, FLOAT_GRADIENT, REASON);
    }
    al_attention_steps_free(&steps);
}

static const int CAUSAL[LQ * LK] = {1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0};
/* row 1 sees no key: its weights, its out and its gradients are all 0 */
static const int ONE_ROW_EMPTY[LQ * LK] = {1, 1, 0, 1, 0, 0, 0, 0, 0, 1, 1, 1};

static void scaled_dot_no_mask(void **state)
{
    (void)state;
    check_head(AL_SCORE_SCALED_DOT, 1.0f, NULL, 21);
}

static void scaled_dot_causal_mask(void **state)
{
    (void)state;
    check_head(AL_SCORE_SCALED_DOT, 1.0f, CAUSAL, 22);
}

static void scaled_dot_fully_masked_row(void **state)
{
    (void)state;
    check_head(AL_SCORE_SCALED_DOT, 1.0f, ONE_ROW_EMPTY, 23);
}

static void dot_at_half_temperature(void **state)
{
    (void)state;
    check_head(AL_SCORE_DOT, 0.5f, CAUSAL, 24);
}

static void general_scores(void **state)
{
    (void)state;
    check_head(AL_SCORE_GENERAL, 1.0f, NULL, 25);
}

static void additive_no_mask(void **state)
{
    (void)state;
    check_head(AL_SCORE_ADDITIVE, 1.0f, NULL, 26);
}

static void additive_causal_mask(void **state)
{
    (void)state;
    check_head(AL_SCORE_ADDITIVE, 1.0f, CAUSAL, 27);
}

static void additive_fully_masked_row_half_temperature(void **state)
{
    (void)state;
    check_head(AL_SCORE_ADDITIVE, 0.5f, ONE_ROW_EMPTY, 28);
}

/* Softmax backward by hand: weights (0.5, 0.5, 0) (the third masked),
 * dweights (1, 0, 7): along = 0.5, dscores = (0.25, -0.25, 0); at T = 2
 * each is halved. The masked entry gets exactly 0 whatever its dweight. */
static void softmax_backward_by_hand(void **state)
{
    (void)state;
    float w_data[3] = {0.5f, 0.5f, 0.0f}, dw_data[3] = {1, 0, 7}, ds_data[3];
    al_matrix w = al_matrix_wrap(w_data, 1, 3), dw = al_matrix_wrap(dw_data, 1, 3);
    al_matrix ds = al_matrix_wrap(ds_data, 1, 3);
    assert_int_equal(al_softmax_rows_backward(&ds, &w, &dw, 1.0f, NULL), AL_OK);
    assert_same_float(ds_data[0], 0.25f);
    assert_same_float(ds_data[1], -0.25f);
    assert_same_float(ds_data[2], 0.0f);
    assert_int_equal(al_softmax_rows_backward(&ds, &w, &dw, 2.0f, NULL), AL_OK);
    assert_same_float(ds_data[0], 0.125f);
}

static void gaussian_has_no_backward_yet(void **state)
{
    (void)state;
    float one[1] = {1};
    al_matrix m = al_matrix_wrap(one, 1, 1);
    al_attention_steps steps = {.weights = m};
    al_scoring scoring = al_scoring_scaled_dot();
    scoring.kind = AL_SCORE_GAUSSIAN;
    al_error err;
    assert_int_equal(al_attend_backward(NULL, NULL, NULL, NULL, &m, NULL, &m, &steps, &m, &m, &m,
                                        NULL, &scoring, &err), AL_ERR_ARG);
    assert_non_null(strstr(err.message, "no backward yet"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scaled_dot_no_mask),
        cmocka_unit_test(scaled_dot_causal_mask),
        cmocka_unit_test(scaled_dot_fully_masked_row),
        cmocka_unit_test(dot_at_half_temperature),
        cmocka_unit_test(general_scores),
        cmocka_unit_test(additive_no_mask),
        cmocka_unit_test(additive_causal_mask),
        cmocka_unit_test(additive_fully_masked_row_half_temperature),
        cmocka_unit_test(softmax_backward_by_hand),
        cmocka_unit_test(gaussian_has_no_backward_yet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
