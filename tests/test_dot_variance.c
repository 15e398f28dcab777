/* test_dot_variance.c: the measurement behind scaled dot-product
 * attention: Var(q · k) ≈ d and Var(q · k / √d) ≈ 1 for random vectors,
 * within a tolerance worked out from the statistics; the largest softmax
 * weight with and without the scaling; seeds; the trace; bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "attnlab/dot_variance.h"
#include "check.h"
#include "trace_capture.h"

static const int DIMS[] = {1, 4, 16, 64, 256, 1024};
#define N_DIMS 6
#define SAMPLES 4000

/* How far a sample variance may stray from d. S = q · k is a sum of d
 * products x·y of independent standard normals, each with E[(xy)²] = 1
 * and E[(xy)⁴] = 9, so E[S⁴] = 9d + 3d(d − 1) = 3d² + 6d and the sample
 * variance over N samples has standard error
 *     sqrt((E[S⁴] − d²) / N) = sqrt((2d² + 6d) / N).
 * Five standard errors: a correct implementation fails with probability
 * below one in a million; a variance off by 15% at d = 1024 (or by a
 * factor √d) fails. */
static double variance_tolerance(int d, int samples)
{
    return 5.0 * sqrt((2.0 * d * d + 6.0 * d) / samples);
}

static void measure(al_matrix *variance, uint64_t seed)
{
    al_rng rng;
    al_rng_seed(&rng, seed, 0);
    assert_int_equal(al_matrix_alloc(variance, 2, N_DIMS, NULL), AL_OK);
    assert_int_equal(al_dot_variance(variance, DIMS, N_DIMS, SAMPLES, &rng, (al_trace_at){0}, NULL),
                     AL_OK);
}

static void variance_of_q_dot_k_is_about_d(void **state)
{
    (void)state;
    al_matrix variance;
    measure(&variance, 42);
    for (int i = 0; i < N_DIMS; i++)
        assert_close(*al_at(&variance, 0, i), DIMS[i], variance_tolerance(DIMS[i], SAMPLES));
    al_matrix_free(&variance);
}

/* Dividing each product by √d divides the variance by d exactly (up to
 * float rounding, 1e-6 relative), so it is about 1 at every width. */
static void scaled_variance_is_about_1(void **state)
{
    (void)state;
    al_matrix variance;
    measure(&variance, 42);
    for (int i = 0; i < N_DIMS; i++) {
        double d = DIMS[i];
        assert_close(*al_at(&variance, 1, i), 1.0, variance_tolerance(DIMS[i], SAMPLES) / d);
        assert_close(*al_at(&variance, 1, i), *al_at(&variance, 0, i) / d,
                     1e-6 * *al_at(&variance, 1, i));
    }
    al_matrix_free(&variance);
}

static void same_seed_same_numbers_other_seed_others(void **state)
{
    (void)state;
    al_matrix a, b, c;
    measure(&a, 7);
    measure(&b, 7);
    measure(&c, 8);
    for (int i = 0; i < N_DIMS; i++) {
        assert_same_float(*al_at(&a, 0, i), *al_at(&b, 0, i));
        assert_true(*al_at(&a, 0, i) != *al_at(&c, 0, i));
    }
    al_matrix_free(&a);
    al_matrix_free(&b);
    al_matrix_free(&c);
}

/* An independent reference for the largest weight: softmax of 8 scores
 * that are independent standard normals, drawn with a generator of the
 * test's own (splitmix64 and Box-Muller). For large d the scaled scores
 * q·k_j/√d are nearly that (given q they are normal with variance
 * |q|²/d ≈ 1). */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static double reference_normal(uint64_t *x)
{
    double u1 = ((double)(splitmix64(x) >> 11) + 1.0) / 9007199254740993.0;
    double u2 = (double)(splitmix64(x) >> 11) / 9007199254740992.0;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static double reference_peak(int keys, int draws)
{
    uint64_t x = 12345;
    double total = 0.0;
    for (int r = 0; r < draws; r++) {
        double s[64], max = -INFINITY, sum = 0.0;
        for (int j = 0; j < keys; j++) {
            s[j] = reference_normal(&x);
            max = fmax(max, s[j]);
        }
        for (int j = 0; j < keys; j++)
            sum += exp(s[j] - max);
        total += 1.0 / sum; /* the largest weight is exp(0) / sum */
    }
    return total / draws;
}

/* The largest weight of a softmax over 8 keys:
 *  - at d = 1 scaling changes nothing, so both rows are the same;
 *  - unscaled, it climbs towards 1 as d grows (scores spread like √d);
 *  - scaled, it stays near the reference of unit-variance scores (about
 *    0.36; each draw's largest weight has a spread near 0.12, so over
 *    1000 draws of each side the means agree within 0.02);
 *  - every value lies between 1/8 (even) and 1 (one key takes all). */
static void scaling_keeps_the_softmax_from_saturating(void **state)
{
    (void)state;
    enum { KEYS = 8, DRAWS = 1000 };
    al_matrix peak;
    assert_int_equal(al_matrix_alloc(&peak, 2, N_DIMS, NULL), AL_OK);
    al_rng rng;
    al_rng_seed(&rng, 42, 0);
    assert_int_equal(al_softmax_peak(&peak, DIMS, N_DIMS, KEYS, DRAWS, &rng, (al_trace_at){0},
                                     NULL),
                     AL_OK);
    assert_same_float(*al_at(&peak, 0, 0), *al_at(&peak, 1, 0));
    for (int i = 0; i < N_DIMS; i++)
        for (int c = 0; c < 2; c++)
            assert_true(*al_at(&peak, c, i) >= 1.0f / KEYS && *al_at(&peak, c, i) <= 1.0f);
    for (int i = 1; i < N_DIMS; i++)
        assert_true(*al_at(&peak, 0, i) > *al_at(&peak, 0, i - 1));
    assert_true(*al_at(&peak, 0, N_DIMS - 1) > 0.95f);
    double reference = reference_peak(KEYS, DRAWS);
    for (int i = 3; i < N_DIMS; i++) /* d = 64, 256, 1024 */
        assert_close(*al_at(&peak, 1, i), reference, 0.02);
    al_matrix_free(&peak);
}

static void tables_are_traced_with_their_widths(void **state)
{
    (void)state;
    trace_capture c;
    capture_start(&c);
    al_rng rng;
    al_rng_seed(&rng, 1, 0);
    const int dims[] = {1, 4};
    al_matrix variance, peak;
    assert_int_equal(al_matrix_alloc(&variance, 2, 2, NULL), AL_OK);
    assert_int_equal(al_matrix_alloc(&peak, 2, 2, NULL), AL_OK);
    assert_int_equal(al_dot_variance(&variance, dims, 2, 50, &rng,
                                     (al_trace_at){c.trace, "scaling"}, NULL),
                     AL_OK);
    assert_int_equal(al_softmax_peak(&peak, dims, 2, 4, 10, &rng,
                                     (al_trace_at){c.trace, "scaling"}, NULL),
                     AL_OK);
    capture_finish(&c);
    /* The generator's state before the first draw, by hand from
     * al_rng_seed(seed 1, stream 0): increment = (0 << 1) | 1 = 1; state
     * 0 steps to 0 · M + 1 = 1, plus the seed is 2, steps to 2M + 1 with
     * M = 0x5851f42d4c957f2d: 0xb0a3e85a992afe5b. */
    assert_trace_has(&c, "\"name\": \"scaling.variance\", \"role\": \"output\", \"op\": "
                         "\"dot_variance\", \"inputs\": [], \"attrs\": {\"samples\": 50, "
                         "\"widths\": [1, 4], \"rng\": \"pcg32\", \"rng_state\": "
                         "\"0xb0a3e85a992afe5b\", \"rng_increment\": \"0x0000000000000001\"}, "
                         "\"shape\": [2, 2], \"rows\": "
                         "[\"q·k\", \"q·k/√d\"], \"cols\": [\"d=1\", \"d=4\"]");
    assert_trace_has(&c, "over 50 pairs");
    assert_trace_has(&c, "\"name\": \"scaling.peak\", \"role\": \"output\", \"op\": "
                         "\"softmax_peak\", \"inputs\": [], \"attrs\": {\"keys\": 4, "
                         "\"draws\": 10, \"widths\": [1, 4], \"rng\": \"pcg32\", "
                         "\"rng_state\": \"0x");
    assert_trace_has(&c, "over 10 draws of the largest weight of a softmax over 4");
    capture_free(&c);
    al_matrix_free(&variance);
    al_matrix_free(&peak);
}

static void bad_input_is_refused(void **state)
{
    (void)state;
    al_rng rng;
    al_rng_seed(&rng, 1, 0);
    al_matrix table;
    assert_int_equal(al_matrix_alloc(&table, 2, 2, NULL), AL_OK);
    al_error err = {0};
    const int good[] = {1, 4}, zero[] = {1, 0};
    assert_int_equal(al_dot_variance(&table, good, 2, 1, &rng, (al_trace_at){0}, &err),
                     AL_ERR_VALUE);
    assert_non_null(strstr(err.message, "at least 2 samples"));
    assert_int_equal(al_dot_variance(&table, zero, 2, 10, &rng, (al_trace_at){0}, &err),
                     AL_ERR_VALUE);
    assert_non_null(strstr(err.message, "not 0"));
    assert_int_equal(al_dot_variance(&table, good, 1, 10, &rng, (al_trace_at){0}, &err),
                     AL_ERR_SHAPE);
    assert_int_equal(al_dot_variance(&table, good, 0, 10, &rng, (al_trace_at){0}, &err),
                     AL_ERR_VALUE);
    assert_int_equal(al_softmax_peak(&table, good, 2, 1, 10, &rng, (al_trace_at){0}, &err),
                     AL_ERR_VALUE);
    assert_int_equal(al_softmax_peak(&table, good, 2, 4, 0, &rng, (al_trace_at){0}, &err),
                     AL_ERR_VALUE);
    trace_capture c;
    capture_start(&c);
    assert_int_equal(al_dot_variance(&table, good, 2, 10, &rng, (al_trace_at){c.trace, NULL},
                                     &err), AL_ERR_ARG);
    capture_finish(&c);
    capture_free(&c);
    al_matrix_free(&table);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(variance_of_q_dot_k_is_about_d),
        cmocka_unit_test(scaled_variance_is_about_1),
        cmocka_unit_test(same_seed_same_numbers_other_seed_others),
        cmocka_unit_test(scaling_keeps_the_softmax_from_saturating),
        cmocka_unit_test(tables_are_traced_with_their_widths),
        cmocka_unit_test(bad_input_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
