/* test_optimizer.c: AdamW, SGD, clipping by the global norm and the
 * learning-rate schedule (optimizer.h), by hand and against the update
 * rules written again in double, and one small problem actually learned. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>

#include <cmocka.h>

#include "attnlab/optimizer.h"
#include "check.h"

/* float32 updates of numbers near 1: a few ulps (1e-7) each step */
#define FLOAT_STEP 1e-6

/* Step 1 from p = 1, g = 0.5, lr = 0.1, PyTorch's defaults:
 *   p = 1 · (1 - 0.1 · 0.01)                   = 0.999
 *   m = 0.1 · 0.5 = 0.05,  v = 0.001 · 0.25    = 0.00025
 *   step size = 0.1 / (1 - 0.9) = 1;  sqrt(v) / sqrt(1 - 0.999) = 0.5
 *   p = 0.999 - 1 · 0.05 / (0.5 + 1e-8)        = 0.899000002
 * Adam's first step moves every weight by about lr, whatever the size of
 * its gradient. */
static void adamw_first_step_by_hand(void **state)
{
    (void)state;
    float p_data[1] = {1}, g_data[1] = {0.5f}, m_data[1] = {0}, v_data[1] = {0};
    al_matrix p = al_matrix_wrap(p_data, 1, 1), g = al_matrix_wrap(g_data, 1, 1);
    al_matrix m = al_matrix_wrap(m_data, 1, 1), v = al_matrix_wrap(v_data, 1, 1);
    al_adamw_settings settings = AL_ADAMW_DEFAULTS;
    assert_int_equal(al_adamw_update(&p, &g, &m, &v, &settings, 0.1f, 1, NULL), AL_OK);
    assert_close(m_data[0], 0.05, FLOAT_STEP);
    assert_close(v_data[0], 0.00025, FLOAT_STEP);
    assert_close(p_data[0], 0.899000002, FLOAT_STEP);
}

/* Five steps with changing gradients against the rule in double. */
static void adamw_follows_the_rule_for_five_steps(void **state)
{
    (void)state;
    float p_data[2] = {0.3f, -1.2f}, g_data[2], m_data[2] = {0}, v_data[2] = {0};
    al_matrix p = al_matrix_wrap(p_data, 1, 2), g = al_matrix_wrap(g_data, 1, 2);
    al_matrix m = al_matrix_wrap(m_data, 1, 2), v = al_matrix_wrap(v_data, 1, 2);
    al_adamw_settings settings = AL_ADAMW_DEFAULTS;
    double ref_p[2] = {0.3f, -1.2f}, ref_m[2] = {0}, ref_v[2] = {0};
    const double grads[5][2] = {{0.5, -2}, {0.1, 1}, {-0.3, 0.02}, {2, -0.5}, {0, 0.7}};
    for (int t = 1; t <= 5; t++) {
        double lr = 0.01 * t;
        for (int j = 0; j < 2; j++) {
            g_data[j] = (float)grads[t - 1][j];
            ref_p[j] *= 1.0 - lr * 0.01;
            ref_m[j] = 0.9 * ref_m[j] + 0.1 * grads[t - 1][j];
            ref_v[j] = 0.999 * ref_v[j] + 0.001 * grads[t - 1][j] * grads[t - 1][j];
            double denominator = sqrt(ref_v[j]) / sqrt(1 - pow(0.999, t)) + 1e-8;
            ref_p[j] -= lr / (1 - pow(0.9, t)) * ref_m[j] / denominator;
        }
        assert_int_equal(al_adamw_update(&p, &g, &m, &v, &settings, (float)lr, t, NULL), AL_OK);
        for (int j = 0; j < 2; j++)
            assert_close(p_data[j], ref_p[j], FLOAT_STEP);
    }
}

/* p = 1, g = 0.5, lr = 0.1: p = 1 - 0.05 = 0.95. */
static void sgd_by_hand(void **state)
{
    (void)state;
    float p_data[1] = {1}, g_data[1] = {0.5f};
    al_matrix p = al_matrix_wrap(p_data, 1, 1), g = al_matrix_wrap(g_data, 1, 1);
    assert_int_equal(al_sgd_update(&p, &g, 0.1f, NULL), AL_OK);
    assert_close(p_data[0], 0.95, FLOAT_STEP);
}

/* Gradients (3) and (4) have global norm 5: clipped to 1 they become
 * 3/5 and 4/5 (over 5 + 1e-6); a norm under the limit is left alone. */
static void clipping_by_global_norm(void **state)
{
    (void)state;
    float a_data[1] = {3}, b_data[1] = {4};
    al_matrix a = al_matrix_wrap(a_data, 1, 1), b = al_matrix_wrap(b_data, 1, 1);
    al_matrix *grads[2] = {&a, &b};
    assert_close(al_clip_grad_norm(grads, 2, 10.0), 5.0, 1e-12);
    assert_same_float(a_data[0], 3.0f);
    assert_close(al_clip_grad_norm(grads, 2, 1.0), 5.0, 1e-12);
    assert_close(a_data[0], 0.6, FLOAT_STEP);
    assert_close(b_data[0], 0.8, FLOAT_STEP);
}

/* warm-up 10 steps to 1e-3, cosine down to 1e-4 at step 110:
 * step 5 = 5e-4, step 10 = 1e-3, step 60 (half way) = 1e-4 + 9e-4 / 2 =
 * 5.5e-4, step 110 = 1e-4, later still 1e-4. */
static void schedule_warms_up_then_decays(void **state)
{
    (void)state;
    al_lr_schedule s = {.max_lr = 1e-3, .min_lr = 1e-4, .warmup = 10, .total = 110};
    assert_close(al_lr_at(&s, 5), 5e-4, 1e-15);
    assert_close(al_lr_at(&s, 10), 1e-3, 1e-15);
    assert_close(al_lr_at(&s, 60), 5.5e-4, 1e-15);
    assert_close(al_lr_at(&s, 110), 1e-4, 1e-15);
    assert_close(al_lr_at(&s, 200), 1e-4, 1e-15);
    al_lr_schedule flat = {.max_lr = 0.01, .min_lr = 0, .warmup = 0, .total = 0};
    assert_close(al_lr_at(&flat, 1), 0.01, 1e-15);
}

/* Something learned: minimise (p - 3)² from p = 0, gradient 2 (p - 3),
 * AdamW at lr 0.1 without weight decay; after 300 steps p is within 0.01
 * of 3. */
static void adamw_finds_a_minimum(void **state)
{
    (void)state;
    float p_data[1] = {0}, g_data[1], m_data[1] = {0}, v_data[1] = {0};
    al_matrix p = al_matrix_wrap(p_data, 1, 1), g = al_matrix_wrap(g_data, 1, 1);
    al_matrix m = al_matrix_wrap(m_data, 1, 1), v = al_matrix_wrap(v_data, 1, 1);
    al_adamw_settings settings = AL_ADAMW_DEFAULTS;
    settings.weight_decay = 0.0f;
    for (long t = 1; t <= 300; t++) {
        g_data[0] = 2.0f * (p_data[0] - 3.0f);
        assert_int_equal(al_adamw_update(&p, &g, &m, &v, &settings, 0.1f, t, NULL), AL_OK);
    }
    print_message("after 300 steps p = %.9g (the minimum is at 3)\n", p_data[0]);
    assert_close(p_data[0], 3.0, 0.01);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(adamw_first_step_by_hand),
        cmocka_unit_test(adamw_follows_the_rule_for_five_steps),
        cmocka_unit_test(sgd_by_hand),
        cmocka_unit_test(clipping_by_global_norm),
        cmocka_unit_test(schedule_warms_up_then_decays),
        cmocka_unit_test(adamw_finds_a_minimum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
