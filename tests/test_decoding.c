/* test_decoding.c: greedy choice, temperature, top-k, top-p and the
 * roulette wheel: the chapter's draws, exact behaviour at the boundaries,
 * the limits (T -> 0 is greedy, large T is uniform, k = 1 is greedy),
 * seeded repeatability and what the trace records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "attnlab/decoding.h"
#include "check.h"
#include "trace_capture.h"

/* A softmax of a few terms rounds each probability once to float, after a
 * double sum: within a few units in the last place of values below 1. */
#define PROBABILITY_TOLERANCE 2e-7

/* --- the roulette wheel --------------------------------------------------------- */

static int spin(const float *p, int n, float draw)
{
    float cumsum_data[8];
    al_matrix probs = al_matrix_wrap((float *)p, 1, n), cumsum = al_matrix_wrap(cumsum_data, 1, n);
    int token = -1;
    assert_int_equal(al_roulette(&token, &cumsum, &probs, draw, NULL, (al_trace_at){0}, NULL),
                     AL_OK);
    return token;
}

/* The chapter: probabilities 0.5, 0.2, 0.3; a draw of 0.4 is below 0.5 and
 * picks the first token; 0.6 lies between 0.5 and 0.7 and picks the
 * second; 0.75 is past 0.7 and picks the third. */
static void roulette_chapter_draws(void **state)
{
    (void)state;
    const float p[] = {0.5f, 0.2f, 0.3f};
    assert_int_equal(spin(p, 3, 0.4f), 0);
    assert_int_equal(spin(p, 3, 0.6f), 1);
    assert_int_equal(spin(p, 3, 0.75f), 2);
}

/* At each boundary c_i = cumsum[i] (summed in float in this order, as the
 * wheel does): a draw one float below c_i picks i, a draw of exactly c_i
 * belongs to the next token (u < c_i is strict), one float above too. */
static void roulette_boundaries_are_exact(void **state)
{
    (void)state;
    const float p[] = {0.5f, 0.2f, 0.3f};
    const float c0 = p[0], c1 = c0 + p[1];
    assert_int_equal(spin(p, 3, nextafterf(c0, 0.0f)), 0);
    assert_int_equal(spin(p, 3, c0), 1);
    assert_int_equal(spin(p, 3, nextafterf(c0, 1.0f)), 1);
    assert_int_equal(spin(p, 3, nextafterf(c1, 0.0f)), 1);
    assert_int_equal(spin(p, 3, c1), 2);
    assert_int_equal(spin(p, 3, 0.0f), 0);
    assert_int_equal(spin(p, 3, nextafterf(1.0f, 0.0f)), 2);
}

/* A token of probability 0 is never picked, not even by a draw on its
 * boundary: (0.5, 0, 0.5) with u = 0.5 gives token 2, not 1. */
static void roulette_never_picks_a_zero_probability(void **state)
{
    (void)state;
    const float p[] = {0.5f, 0.0f, 0.5f};
    assert_int_equal(spin(p, 3, 0.5f), 2);
    const float first_zero[] = {0.0f, 1.0f};
    assert_int_equal(spin(first_zero, 2, 0.0f), 1);
}

/* Probabilities that round to a total just under 1 (0.99999994 + 0) and a
 * draw at or above it: the last token with any probability takes it. */
static void roulette_rounding_gap_goes_to_the_last_possible_token(void **state)
{
    (void)state;
    const float p[] = {0.99999994f, 0.0f};
    assert_int_equal(spin(p, 2, 0.99999994f), 0);
}

static void roulette_refuses_bad_draws_and_probabilities(void **state)
{
    (void)state;
    float p[] = {0.5f, 0.5f}, cumsum_data[2];
    al_matrix probs = al_matrix_wrap(p, 1, 2), cumsum = al_matrix_wrap(cumsum_data, 1, 2);
    int token;
    al_error err = {0};
    assert_int_equal(al_roulette(&token, &cumsum, &probs, 1.0f, NULL, (al_trace_at){0}, &err),
                     AL_ERR_VALUE);
    assert_string_equal(err.message, "roulette: the draw must be in [0, 1), not 1");
    p[1] = 1.5f;
    assert_int_equal(al_roulette(&token, &cumsum, &probs, 0.5f, NULL, (al_trace_at){0}, &err),
                     AL_ERR_VALUE);
    assert_string_equal(err.message, "roulette: probability 1 is 1.5, not in [0, 1]");
    p[1] = 0.25f;
    assert_int_equal(al_roulette(&token, &cumsum, &probs, 0.5f, NULL, (al_trace_at){0}, &err),
                     AL_ERR_VALUE);
    assert_string_equal(err.message, "roulette: the probabilities sum to 0.75, not 1");
}

static void roulette_traces_sums_draw_and_token(void **state)
{
    (void)state;
    float p[] = {0.5f, 0.25f, 0.25f}, cumsum_data[3];
    al_matrix probs = al_matrix_wrap(p, 1, 3), cumsum = al_matrix_wrap(cumsum_data, 1, 3);
    const char *words[] = {"I", "you", "we"};
    trace_capture capture;
    capture_start(&capture);
    int token;
    assert_int_equal(
        al_roulette(&token, &cumsum, &probs, 0.6f, words, (al_trace_at){capture.trace, "sample"},
                    NULL), AL_OK);
    capture_finish(&capture);
    assert_int_equal(token, 1);
    assert_trace_has(&capture, "\"name\": \"sample.cumsum\", \"role\": \"activation\", \"op\": "
                               "\"cumulative_sum\", \"inputs\": [\"sample.probs\"], "
                               "\"shape\": [1, 3], \"rows\": null, \"cols\": [\"I\", \"you\", "
                               "\"we\"], \"dtype\": \"float32\", \"data\": [[0.5, 0.75, 1]]");
    assert_trace_has(&capture, "\"name\": \"sample.draw\", \"role\": \"input\", \"op\": "
                               "\"given\", \"inputs\": [], \"shape\": [1, 1], \"rows\": null, "
                               "\"cols\": null, \"dtype\": \"float32\", \"data\": [[0.6]]");
    assert_trace_has(&capture, "\"name\": \"sample.token\", \"role\": \"output\", \"op\": "
                               "\"roulette\", \"inputs\": [\"sample.cumsum\", \"sample.draw\"], "
                               "\"shape\": [1, 1], \"rows\": null, \"cols\": [\"you\"], "
                               "\"dtype\": \"float32\", \"data\": [[1]]");
    capture_free(&capture);
}

/* --- greedy and temperature ------------------------------------------------------ */

static int greedy(const float *logits, int n)
{
    al_matrix row = al_matrix_wrap((float *)logits, 1, n);
    int token = -1;
    assert_int_equal(al_greedy(&token, al_unnamed(&row), NULL, (al_trace_at){0}, NULL), AL_OK);
    return token;
}

/* (1, 3, 3, 2): the largest is 3, at ids 1 and 2; the lower id wins. A
 * token ruled out with -inf is never chosen. */
static void greedy_takes_the_lowest_id_on_a_tie(void **state)
{
    (void)state;
    assert_int_equal(greedy((const float[]){1, 3, 3, 2}, 4), 1);
    assert_int_equal(greedy((const float[]){-INFINITY, -5, -7}, 3), 1);
}

static void greedy_refuses_nan_and_all_ruled_out(void **state)
{
    (void)state;
    float logits[] = {1, NAN};
    al_matrix row = al_matrix_wrap(logits, 1, 2);
    int token;
    al_error err = {0};
    assert_int_equal(al_greedy(&token, al_unnamed(&row), NULL, (al_trace_at){0}, &err),
                     AL_ERR_VALUE);
    assert_string_equal(err.message, "greedy: logit 1 is nan");
    logits[0] = logits[1] = -INFINITY;
    assert_int_equal(al_greedy(&token, al_unnamed(&row), NULL, (al_trace_at){0}, &err),
                     AL_ERR_VALUE);
}

/* T <= 0 is not a temperature: T -> 0 is the limit greedy decoding takes. */
static void temperature_must_be_positive(void **state)
{
    (void)state;
    float logits[] = {1, 2}, p[2];
    al_matrix row = al_matrix_wrap(logits, 1, 2), probs = al_matrix_wrap(p, 1, 2);
    al_error err = {0};
    assert_int_equal(al_temperature_probs(&probs, al_unnamed(&row), 0.0f, NULL, (al_trace_at){0},
                                          &err),
                     AL_ERR_VALUE);
    assert_non_null(strstr(err.message, "temperature must be a positive finite number, not 0"));
    assert_int_equal(al_temperature_probs(&probs, al_unnamed(&row), -1.0f, NULL, (al_trace_at){0},
                                          NULL),
                     AL_ERR_VALUE);
}

/* A large T flattens towards uniform: logits 0..4 at T = 10^4 differ by at
 * most 4/10^4 after division, so each p is within a factor e^(4e-4) of
 * 1/5; the order of the tokens is kept. */
static void large_temperature_approaches_uniform(void **state)
{
    (void)state;
    float logits[] = {0, 4, 1, 3, 2}, p[5];
    al_matrix row = al_matrix_wrap(logits, 1, 5), probs = al_matrix_wrap(p, 1, 5);
    assert_int_equal(al_temperature_probs(&probs, al_unnamed(&row), 1e4f, NULL, (al_trace_at){0},
                                          NULL),
                     AL_OK);
    for (int v = 0; v < 5; v++)
        assert_close(p[v], 0.2, 0.2 * 4e-4);
    assert_true(p[1] > p[3] && p[3] > p[4] && p[4] > p[2] && p[2] > p[0]);
}

/* Logits 0, 0.1, ..., 4.9 in a shuffled order: the gap to the runner-up is
 * 0.1, so at T = 10^-3 every other token has probability below
 * e^(-0.1 / 10^-3) = e^-100 ≈ 4e-44, and 200 seeded samples must all be the
 * greedy token. */
static void sampling_near_zero_temperature_is_greedy(void **state)
{
    (void)state;
    enum { V = 50 };
    al_sampler sampler;
    assert_int_equal(al_sampler_alloc(&sampler, V, NULL), AL_OK);
    al_rng shuffle, draws;
    al_rng_seed(&shuffle, 5, 1);
    al_rng_seed(&draws, 5, 2);
    float logits[V];
    for (int trial = 0; trial < 200; trial++) {
        for (int v = 0; v < V; v++)
            logits[v] = 0.1f * (float)v;
        for (int v = V - 1; v > 0; v--) { /* Fisher-Yates shuffle */
            int u = (int)al_rng_below(&shuffle, (uint32_t)v + 1);
            float t = logits[v];
            logits[v] = logits[u];
            logits[u] = t;
        }
        al_matrix row = al_matrix_wrap(logits, 1, V);
        al_sampling cold = {.method = AL_SAMPLE_TEMPERATURE, .temperature = 1e-3f};
        int token = -1;
        assert_int_equal(
            al_sample(&token, &sampler, al_unnamed(&row), &cold, &draws, NULL, (al_trace_at){0},
                      NULL),
            AL_OK);
        assert_int_equal(token, greedy(logits, V));
    }
    al_sampler_free(&sampler);
}

/* --- top-k and top-p ------------------------------------------------------------- */

/* k = 1 keeps only the largest logit (the lower id on a tie), whose
 * probability becomes 1, so every draw picks the greedy token. */
static void top_k_of_one_is_greedy(void **state)
{
    (void)state;
    al_sampler sampler;
    assert_int_equal(al_sampler_alloc(&sampler, 4, NULL), AL_OK);
    float logits[] = {2, 5, 5, 1};
    al_matrix row = al_matrix_wrap(logits, 1, 4);
    al_sampling top_1 = {.method = AL_SAMPLE_TOP_K, .temperature = 1.0f, .top_k = 1};
    al_rng rng;
    al_rng_seed(&rng, 9, 0);
    for (int trial = 0; trial < 50; trial++) {
        int token = -1;
        assert_int_equal(
            al_sample(&token, &sampler, al_unnamed(&row), &top_1, &rng, NULL, (al_trace_at){0},
                      NULL),
            AL_OK);
        assert_int_equal(token, 1);
    }
    assert_same_float(*al_at(&sampler.probs, 0, 1), 1.0f);
    assert_same_float(*al_at(&sampler.probs, 0, 2), 0.0f);
    al_sampler_free(&sampler);
}

/* Logits ln(0.1), ln(0.6), ln(0.2), ln(0.1) are probabilities 0.1, 0.6,
 * 0.2, 0.1. k = 2 keeps 0.6 and 0.2 and renormalises them by 0.8:
 * 0.75 and 0.25; the others are exactly 0. */
static void top_k_renormalises_the_kept(void **state)
{
    (void)state;
    float logits[] = {logf(0.1f), logf(0.6f), logf(0.2f), logf(0.1f)}, p[4];
    al_ranked_token ranking[4];
    al_matrix row = al_matrix_wrap(logits, 1, 4), probs = al_matrix_wrap(p, 1, 4);
    assert_int_equal(
        al_top_k_probs(&probs, ranking, al_unnamed(&row), 2, 1.0f, NULL, (al_trace_at){0},
                       NULL), AL_OK);
    assert_same_float(p[0], 0.0f);
    assert_close(p[1], 0.75, PROBABILITY_TOLERANCE);
    assert_close(p[2], 0.25, PROBABILITY_TOLERANCE);
    assert_same_float(p[3], 0.0f);
    al_error err = {0};
    assert_int_equal(
        al_top_k_probs(&probs, ranking, al_unnamed(&row), 5, 1.0f, NULL, (al_trace_at){0}, &err),
        AL_ERR_VALUE);
    assert_string_equal(err.message, "top-k: k must be between 1 and V = 4, not 5");
}

/* Probabilities 0.2, 0.5, 0.3 (from their logs). Sorted: 0.5 (id 1), 0.3
 * (id 2), 0.2 (id 0).
 *   p = 0.4:  0.5 >= 0.4 already: nucleus {1}, probs (0, 1, 0)
 *   p = 0.75: 0.5 < 0.75, 0.5 + 0.3 = 0.8 >= 0.75: nucleus {1, 2},
 *             renormalised by 0.8: (0, 0.625, 0.375)
 *   p = 0.9:  0.8 < 0.9, so all three: (0.2, 0.5, 0.3) */
static void top_p_keeps_the_smallest_nucleus(void **state)
{
    (void)state;
    float logits[] = {logf(0.2f), logf(0.5f), logf(0.3f)}, p[3];
    al_ranked_token ranking[3];
    al_matrix row = al_matrix_wrap(logits, 1, 3), probs = al_matrix_wrap(p, 1, 3);
    const struct {
        float top_p;
        double expected[3];
    } cases[] = {{0.4f, {0, 1, 0}}, {0.75f, {0, 0.625, 0.375}}, {0.9f, {0.2, 0.5, 0.3}}};
    for (int c = 0; c < 3; c++) {
        assert_int_equal(al_top_p_probs(&probs, ranking, al_unnamed(&row), cases[c].top_p, 1.0f,
                                        NULL, (al_trace_at){0}, NULL),
                         AL_OK);
        for (int v = 0; v < 3; v++)
            assert_close(p[v], cases[c].expected[v], PROBABILITY_TOLERANCE);
    }
    al_error err = {0};
    assert_int_equal(
        al_top_p_probs(&probs, ranking, al_unnamed(&row), 0.0f, 1.0f, NULL, (al_trace_at){0}, &err),
        AL_ERR_VALUE);
    assert_string_equal(err.message, "top-p: p must be in (0, 1], not 0");
}

static void top_p_traces_before_and_after_the_cut(void **state)
{
    (void)state;
    float logits[] = {0, 0}, p[2];
    al_ranked_token ranking[2];
    al_matrix row = al_matrix_wrap(logits, 1, 2), probs = al_matrix_wrap(p, 1, 2);
    trace_capture capture;
    capture_start(&capture);
    /* (0.5, 0.5); p = 0.5: the first (lower id) alone reaches 0.5 */
    assert_int_equal(al_top_p_probs(&probs, ranking, (al_named){&row, "logits", NULL}, 0.5f, 2.0f,
                                    NULL, (al_trace_at){capture.trace, "s"}, NULL),
                     AL_OK);
    capture_finish(&capture);
    assert_trace_has(&capture, "\"name\": \"s.temperature\", \"role\": \"input\"");
    assert_trace_has(&capture, "\"data\": [[2]]");
    assert_trace_has(&capture, "\"name\": \"s.all_probs\", \"role\": \"activation\", \"op\": "
                               "\"softmax_temperature\", \"inputs\": [\"logits\", "
                               "\"s.temperature\"]");
    assert_trace_has(&capture, "\"data\": [[0.5, 0.5]]");
    assert_trace_has(&capture, "\"name\": \"s.probs\", \"role\": \"activation\", \"op\": "
                               "\"top_p\", \"inputs\": [\"s.all_probs\"], \"attrs\": {\"p\": 0.5}, "
                               "\"shape\": [1, 2], "
                               "\"rows\": null, \"cols\": null, \"dtype\": \"float32\", "
                               "\"data\": [[1, 0]]");
    capture_free(&capture);
}

/* --- repeatability ---------------------------------------------------------------- */

static void sample_sequence(int *tokens, int n, uint64_t seed, const al_sampling *how)
{
    float logits[] = {0.3f, 1.2f, -0.4f, 0.9f, 0.0f, 1.1f};
    al_matrix row = al_matrix_wrap(logits, 1, 6);
    al_sampler sampler;
    assert_int_equal(al_sampler_alloc(&sampler, 6, NULL), AL_OK);
    al_rng rng;
    al_rng_seed(&rng, seed, 0);
    for (int i = 0; i < n; i++)
        assert_int_equal(
            al_sample(&tokens[i], &sampler, al_unnamed(&row), how, &rng, NULL, (al_trace_at){0},
                      NULL),
            AL_OK);
    al_sampler_free(&sampler);
}

/* The same seed gives the same 40 tokens; another seed gives another run
 * (at T = 1 with six tokens of similar probability, 40 equal tokens by
 * chance is below 10^-20). */
static void same_seed_same_tokens(void **state)
{
    (void)state;
    const al_sampling ways[] = {{.method = AL_SAMPLE_TEMPERATURE, .temperature = 1.0f},
                                {.method = AL_SAMPLE_TOP_K, .temperature = 1.0f, .top_k = 4},
                                {.method = AL_SAMPLE_TOP_P, .temperature = 1.0f, .top_p = 0.9f}};
    for (int w = 0; w < 3; w++) {
        int a[40], b[40], c[40];
        sample_sequence(a, 40, 123, &ways[w]);
        sample_sequence(b, 40, 123, &ways[w]);
        sample_sequence(c, 40, 124, &ways[w]);
        assert_memory_equal(a, b, sizeof a);
        assert_memory_not_equal(a, c, sizeof a);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roulette_chapter_draws),
        cmocka_unit_test(roulette_boundaries_are_exact),
        cmocka_unit_test(roulette_never_picks_a_zero_probability),
        cmocka_unit_test(roulette_rounding_gap_goes_to_the_last_possible_token),
        cmocka_unit_test(roulette_refuses_bad_draws_and_probabilities),
        cmocka_unit_test(roulette_traces_sums_draw_and_token),
        cmocka_unit_test(greedy_takes_the_lowest_id_on_a_tie),
        cmocka_unit_test(greedy_refuses_nan_and_all_ruled_out),
        cmocka_unit_test(temperature_must_be_positive),
        cmocka_unit_test(large_temperature_approaches_uniform),
        cmocka_unit_test(sampling_near_zero_temperature_is_greedy),
        cmocka_unit_test(top_k_of_one_is_greedy),
        cmocka_unit_test(top_k_renormalises_the_kept),
        cmocka_unit_test(top_p_keeps_the_smallest_nucleus),
        cmocka_unit_test(top_p_traces_before_and_after_the_cut),
        cmocka_unit_test(same_seed_same_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
