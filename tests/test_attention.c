/* test_attention.c: one head of attention (attention.h): the chapter's
 * retrieval example with every similarity and normaliser, the exact-match
 * rule, Luong's general and Bahdanau's additive scores worked by hand, and
 * the errors. Masks are in test_mask.c, projections and heads in
 * test_multihead.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "attnlab/attention.h"
#include "check.h"
#include "trace_scratch.h"

/* Weights and values come out of a few float operations; each rounding is
 * within half a unit in the last place (6e-8 relative), a handful of them
 * stay below 1e-6 relative. */
#define WEIGHT_TOLERANCE 1e-6
#define VALUE_TOLERANCE 1e-6 /* relative: multiplied by the value's size */

/* One query against scalar keys: out = retrieved value. weights gets n. */
static al_status retrieve(float *out, float *weights, float query, const float *keys,
                          const float *values, int n, al_scoring scoring, al_error *err)
{
    float q = query, key_data[8], value_data[8], score_data[8];
    memcpy(key_data, keys, (size_t)n * sizeof *keys);
    memcpy(value_data, values, (size_t)n * sizeof *values);
    al_matrix q_m = al_matrix_wrap(&q, 1, 1), k = al_matrix_wrap(key_data, n, 1);
    al_matrix v = al_matrix_wrap(value_data, n, 1), out_m = al_matrix_wrap(out, 1, 1);
    al_attention_steps steps = {.scores = al_matrix_wrap(score_data, 1, n),
                                .weights = al_matrix_wrap(weights, 1, n)};
    return al_attend(&out_m, &steps, &q_m, &k, &v, NULL, &scoring, NULL, NULL, err);
}

static const al_scoring INVERSE_DISTANCE_SUM = {.kind = AL_SCORE_INVERSE_DISTANCE,
                                                .normalizer = AL_NORMALIZE_SUM};

/* The chapter: keys 70, 80 hold values 1000, 1500; query 75.
 * similarities 1/|70 − 75| = 1/5 = 0.2 and 1/|80 − 75| = 0.2
 * weights 0.2 / 0.4 = 0.5 each; value 0.5 · 1000 + 0.5 · 1500 = 1250.
 * All exact in float: 0.5 and the products are representable. */
static void retrieval_query_75_gives_1250(void **state)
{
    (void)state;
    float keys[] = {70, 80}, values[] = {1000, 1500}, weights[2], out;
    assert_int_equal(retrieve(&out, weights, 75, keys, values, 2, INVERSE_DISTANCE_SUM, NULL),
                     AL_OK);
    assert_same_float(weights[0], 0.5f);
    assert_same_float(weights[1], 0.5f);
    assert_same_float(out, 1250.0f);
}

/* Query 72: similarities 1/2 and 1/8, sum 5/8;
 * weights (1/2)/(5/8) = 0.8 and (1/8)/(5/8) = 0.2;
 * value 0.8 · 1000 + 0.2 · 1500 = 800 + 300 = 1100. */
static void retrieval_query_72_gives_1100(void **state)
{
    (void)state;
    float keys[] = {70, 80}, values[] = {1000, 1500}, weights[2], out;
    assert_int_equal(retrieve(&out, weights, 72, keys, values, 2, INVERSE_DISTANCE_SUM, NULL),
                     AL_OK);
    assert_same_float(weights[0], 0.8f);
    assert_same_float(weights[1], 0.2f);
    assert_close(out, 1100.0, 1100.0 * VALUE_TOLERANCE);
}

/* Query 70 sits on key 70: 1/0 is infinite, the weight tends to 1 as the
 * query approaches, so key 70 takes it all: exactly 1000, no NaN. */
static void retrieval_query_on_a_key_returns_its_value(void **state)
{
    (void)state;
    float keys[] = {70, 80}, values[] = {1000, 1500}, weights[2], out;
    assert_int_equal(retrieve(&out, weights, 70, keys, values, 2, INVERSE_DISTANCE_SUM, NULL),
                     AL_OK);
    assert_same_float(weights[0], 1.0f);
    assert_same_float(weights[1], 0.0f);
    assert_same_float(out, 1000.0f);
    /* The same with softmax as the normaliser. */
    al_scoring softmax = {.kind = AL_SCORE_INVERSE_DISTANCE, .temperature = 1.0f};
    assert_int_equal(retrieve(&out, weights, 80, keys, values, 2, softmax, NULL), AL_OK);
    assert_same_float(out, 1500.0f);
}

/* Two keys equal to the query share the weight: keys 70, 70, 80 holding
 * 1000, 2000, 1500, query 70 -> weights 0.5, 0.5, 0 -> 1500. */
static void equal_keys_on_the_query_share_the_weight(void **state)
{
    (void)state;
    float keys[] = {70, 70, 80}, values[] = {1000, 2000, 1500}, weights[3], out;
    assert_int_equal(retrieve(&out, weights, 70, keys, values, 3, INVERSE_DISTANCE_SUM, NULL),
                     AL_OK);
    assert_same_float(weights[0], 0.5f);
    assert_same_float(weights[1], 0.5f);
    assert_same_float(weights[2], 0.0f);
    assert_same_float(out, 1500.0f);
}

/* The trace of query 70: scores [1, null] with the warning, weights [1, 0]. */
/* al_exact_match says which keys the rule takes. Query 70 is on key 70,
 * not on 80. A vector query (1e-39, 0) against key (0, 0): distance 1e-39,
 * whose reciprocal 1e39 is past float32's largest 3.4e38, so it counts as
 * on the key; at distance 1e-38 the reciprocal 1e38 is a float, so not. */
static void exact_match_names_the_keys_the_rule_takes(void **state)
{
    (void)state;
    float keys[2] = {70, 80}, query[1] = {70};
    al_matrix k = al_matrix_wrap(keys, 2, 1), q = al_matrix_wrap(query, 1, 1);
    assert_true(al_exact_match(&q, 0, &k, 0));
    assert_false(al_exact_match(&q, 0, &k, 1));
    float origin[2] = {0, 0}, near[4] = {1e-39f, 0, 1e-38f, 0};
    al_matrix key = al_matrix_wrap(origin, 1, 2), queries = al_matrix_wrap(near, 2, 2);
    assert_true(al_exact_match(&queries, 0, &key, 0));
    assert_false(al_exact_match(&queries, 1, &key, 0));
}

static void exact_match_is_traced_as_null_with_a_warning(void **state)
{
    (void)state;
    trace_scratch s;
    al_trace *trace = trace_scratch_open(&s);
    float q = 70, keys[] = {70, 80}, values[] = {1000, 1500}, scores[2], weights[2], out;
    al_matrix q_m = al_matrix_wrap(&q, 1, 1), k = al_matrix_wrap(keys, 2, 1);
    al_matrix v = al_matrix_wrap(values, 2, 1), out_m = al_matrix_wrap(&out, 1, 1);
    al_attention_steps steps = {.scores = al_matrix_wrap(scores, 1, 2),
                                .weights = al_matrix_wrap(weights, 1, 2)};
    const char *query_labels[] = {"70"}, *key_labels[] = {"70", "80"};
    al_attention_names names = {.prefix = "retrieve", .q = "query", .k = "keys", .v = "values",
                                .query_labels = query_labels, .key_labels = key_labels};
    assert_int_equal(al_attend(&out_m, &steps, &q_m, &k, &v, NULL, &INVERSE_DISTANCE_SUM,
                               &names, trace, NULL),
                     AL_OK);
    assert_int_equal(steps.exact_match_rows, 1);
    trace_scratch_read(&s, trace);
    trace_scratch_expect(&s, "retrieve.scores", "\"data\": [[1, null]]");
    trace_scratch_expect(&s, "retrieve.scores", "\"op\": \"inverse_distance\"");
    trace_scratch_expect(
        &s, "retrieve.scores",
        "\"warnings\": [\"row 0 (\\\"70\\\") is at distance 0 from a key (1/0 is infinite): "
        "the keys at distance 0 get score 1 and share all the weight; the other keys are null\"]");
    trace_scratch_expect(&s, "retrieve.weights", "\"data\": [[1, 0]]");
    trace_scratch_expect(&s, "retrieve.weights", "\"op\": \"normalize_sum\"");
    trace_scratch_expect(&s, "retrieve.out", "\"inputs\": [\"retrieve.weights\", \"values\"]");
    assert_same_float(out, 1000.0f);
    trace_scratch_remove(&s);
}

/* Vector keys (0, 0) and (3, 4), query (3, 0): distances 3 and 4,
 * similarities 1/3 and 1/4, sum 7/12, weights 4/7 and 3/7;
 * values 7 and 14 -> 4 + 6 = 10. */
static void inverse_distance_with_vector_keys(void **state)
{
    (void)state;
    float q[] = {3, 0}, keys[] = {0, 0, 3, 4}, values[] = {7, 14}, scores[2], weights[2], out;
    al_matrix q_m = al_matrix_wrap(q, 1, 2), k = al_matrix_wrap(keys, 2, 2);
    al_matrix v = al_matrix_wrap(values, 2, 1), out_m = al_matrix_wrap(&out, 1, 1);
    al_attention_steps steps = {.scores = al_matrix_wrap(scores, 1, 2),
                                .weights = al_matrix_wrap(weights, 1, 2)};
    assert_int_equal(al_attend(&out_m, &steps, &q_m, &k, &v, NULL, &INVERSE_DISTANCE_SUM, NULL,
                               NULL, NULL),
                     AL_OK);
    assert_same_float(scores[0], 1.0f / 3.0f);
    assert_same_float(scores[1], 0.25f);
    assert_close(weights[0], 4.0 / 7.0, WEIGHT_TOLERANCE);
    assert_close(weights[1], 3.0 / 7.0, WEIGHT_TOLERANCE);
    assert_close(out, 10.0, 10.0 * VALUE_TOLERANCE);
}

/* Nadaraya–Watson with a Gaussian kernel, σ = 5.
 * Query 75: both keys 5 away, exp(−25/50) each -> weights 0.5, 0.5 -> 1250.
 * Query 72: exp(−4/50) = 0.923116 and exp(−64/50) = 0.278037, so
 * weights 0.768541, 0.231459 and 1000 · 0.768541 + 1500 · 0.231459 = 1115.73. */
static void gaussian_kernel_regression(void **state)
{
    (void)state;
    al_scoring gaussian = {.kind = AL_SCORE_GAUSSIAN, .normalizer = AL_NORMALIZE_SUM,
                           .sigma = 5.0f};
    float keys[] = {70, 80}, values[] = {1000, 1500}, weights[2], out;
    assert_int_equal(retrieve(&out, weights, 75, keys, values, 2, gaussian, NULL), AL_OK);
    assert_same_float(weights[0], 0.5f);
    assert_same_float(out, 1250.0f);
    assert_int_equal(retrieve(&out, weights, 72, keys, values, 2, gaussian, NULL), AL_OK);
    double near = exp(-4.0 / 50.0), far = exp(-64.0 / 50.0);
    assert_close(weights[0], near / (near + far), WEIGHT_TOLERANCE);
    assert_close(out, (1000 * near + 1500 * far) / (near + far), 1115.73 * VALUE_TOLERANCE);
    assert_close(out, 1115.73, 0.01);
}

/* Far from every key the Gaussian underflows to 0 for all of them: plain
 * division has nothing to share out, so the weights are 0, not NaN. */
static void gaussian_far_from_every_key_gives_zeros_not_nan(void **state)
{
    (void)state;
    al_scoring gaussian = {.kind = AL_SCORE_GAUSSIAN, .normalizer = AL_NORMALIZE_SUM,
                           .sigma = 1.0f};
    float keys[] = {70, 80}, values[] = {1000, 1500}, weights[2], out;
    assert_int_equal(retrieve(&out, weights, 1e6f, keys, values, 2, gaussian, NULL), AL_OK);
    assert_same_float(weights[0], 0.0f);
    assert_same_float(weights[1], 0.0f);
    assert_same_float(out, 0.0f);
}

/* Dot product with softmax: keys 1, 2, query 1 -> scores 1, 2 ->
 * weights 1/(1 + e), e/(1 + e) = 0.268941, 0.731059. */
static void dot_product_with_softmax_and_temperature(void **state)
{
    (void)state;
    al_scoring dot = {.kind = AL_SCORE_DOT, .temperature = 1.0f};
    float keys[] = {1, 2}, values[] = {0, 10}, weights[2], out;
    assert_int_equal(retrieve(&out, weights, 1, keys, values, 2, dot, NULL), AL_OK);
    double e = exp(1.0);
    assert_close(weights[0], 1 / (1 + e), WEIGHT_TOLERANCE);
    assert_close(weights[1], e / (1 + e), WEIGHT_TOLERANCE);
    assert_close(out, 10 * e / (1 + e), 10 * VALUE_TOLERANCE);
    /* Temperature 2 halves the gap: weights 1/(1 + e^0.5), e^0.5/(1 + e^0.5). */
    dot.temperature = 2.0f;
    assert_int_equal(retrieve(&out, weights, 1, keys, values, 2, dot, NULL), AL_OK);
    assert_close(weights[0], 1 / (1 + sqrt(e)), WEIGHT_TOLERANCE);
}

/* Dividing by the sum needs similarities >= 0; a negative dot product is
 * refused, and the message says what to use instead. */
static void sum_of_negative_similarities_is_refused(void **state)
{
    (void)state;
    al_scoring dot_sum = {.kind = AL_SCORE_DOT, .normalizer = AL_NORMALIZE_SUM};
    float keys[] = {1, -2}, values[] = {0, 10}, weights[2], out;
    al_error err = {0};
    assert_int_equal(retrieve(&out, weights, 1, keys, values, 2, dot_sum, &err), AL_ERR_VALUE);
    assert_non_null(strstr(err.message, "similarity (0, 1) is -2"));
    assert_non_null(strstr(err.message, "softmax"));
}

/* Luong general, q · W_a · kᵀ:
 *   q = (1, 2), W_a = [[0, 1], [1, 0]] swaps the two entries: q · W_a = (2, 1);
 *   keys (1, 0) and (0, 1): scores (2, 1)·(1, 0) = 2 and (2, 1)·(0, 1) = 1;
 *   softmax (2, 1) = (e/(1 + e), 1/(1 + e)) = (0.731059, 0.268941);
 *   values 10, 20: 10 · 0.731059 + 20 · 0.268941 = 12.689414. */
static void general_score_by_hand(void **state)
{
    (void)state;
    float q[] = {1, 2}, w_a[] = {0, 1, 1, 0}, keys[] = {1, 0, 0, 1}, values[] = {10, 20};
    float scores[2], weights[2], q_proj[2], out;
    al_matrix q_m = al_matrix_wrap(q, 1, 2), k = al_matrix_wrap(keys, 2, 2);
    al_matrix v = al_matrix_wrap(values, 2, 1), out_m = al_matrix_wrap(&out, 1, 1);
    al_matrix w = al_matrix_wrap(w_a, 2, 2);
    al_attention_steps steps = {.scores = al_matrix_wrap(scores, 1, 2),
                                .weights = al_matrix_wrap(weights, 1, 2),
                                .q_proj = al_matrix_wrap(q_proj, 1, 2)};
    al_scoring general = {.kind = AL_SCORE_GENERAL, .temperature = 1.0f, .w_a = &w};
    assert_int_equal(al_attend(&out_m, &steps, &q_m, &k, &v, NULL, &general, NULL, NULL, NULL),
                     AL_OK);
    assert_same_float(q_proj[0], 2.0f);
    assert_same_float(q_proj[1], 1.0f);
    assert_same_float(scores[0], 2.0f);
    assert_same_float(scores[1], 1.0f);
    double e = exp(1.0);
    assert_close(weights[0], e / (1 + e), WEIGHT_TOLERANCE);
    assert_close(out, (10 * e + 20) / (1 + e), 12.69 * VALUE_TOLERANCE);
}

/* Bahdanau additive, v_aᵀ tanh(q · W_q + k · W_k), d_a = 2:
 *   q = (1), W_q = [1, 0] -> q · W_q = (1, 0)
 *   keys 1 and −1, W_k = [1, 1] -> k · W_k = (1, 1) and (−1, −1)
 *   v_a = (1, 2)ᵀ:
 *   score 0 = 1 · tanh(1 + 1) + 2 · tanh(0 + 1)   = 0.964028 + 1.523188 = 2.487216
 *   score 1 = 1 · tanh(1 − 1) + 2 · tanh(0 − 1)   = 0 − 1.523188        = −1.523188 */
static void additive_score_by_hand(void **state)
{
    (void)state;
    float q = 1, w_q[] = {1, 0}, keys[] = {1, -1}, w_k[] = {1, 1}, v_a[] = {1, 2};
    float values[] = {10, 20}, scores[2], weights[2], q_proj[2], k_proj[4], out;
    al_matrix q_m = al_matrix_wrap(&q, 1, 1), k = al_matrix_wrap(keys, 2, 1);
    al_matrix v = al_matrix_wrap(values, 2, 1), out_m = al_matrix_wrap(&out, 1, 1);
    al_matrix wq = al_matrix_wrap(w_q, 1, 2), wk = al_matrix_wrap(w_k, 1, 2);
    al_matrix va = al_matrix_wrap(v_a, 2, 1);
    al_attention_steps steps = {.scores = al_matrix_wrap(scores, 1, 2),
                                .weights = al_matrix_wrap(weights, 1, 2),
                                .q_proj = al_matrix_wrap(q_proj, 1, 2),
                                .k_proj = al_matrix_wrap(k_proj, 2, 2)};
    al_scoring additive = {.kind = AL_SCORE_ADDITIVE, .temperature = 1.0f, .w_q = &wq,
                           .w_k = &wk, .v_a = &va};
    assert_int_equal(
        al_attend(&out_m, &steps, &q_m, &k, &v, NULL, &additive, NULL, NULL, NULL), AL_OK);
    double s0 = tanh(2.0) + 2 * tanh(1.0), s1 = 2 * tanh(-1.0);
    assert_close(scores[0], s0, 1e-6);
    assert_close(scores[1], s1, 1e-6);
    assert_close(scores[0], 2.487216, 1e-6);
    double w0 = 1 / (1 + exp(s1 - s0));
    assert_close(weights[0], w0, WEIGHT_TOLERANCE);
    assert_close(out, 10 * w0 + 20 * (1 - w0), 20 * VALUE_TOLERANCE);
}

/* An RNN decoder attends at every step with the same W_a: traced once
 * under "s2s.attn", and each step's q_proj names it among its inputs. */
static void shared_score_params_are_traced_once(void **state)
{
    (void)state;
    trace_scratch s;
    al_trace *trace = trace_scratch_open(&s);
    float w_a[] = {0, 1, 1, 0}, keys[] = {1, 0, 0, 1}, values[] = {10, 20};
    float scores[2], weights[2], q_proj[2], out;
    al_matrix w = al_matrix_wrap(w_a, 2, 2), k = al_matrix_wrap(keys, 2, 2);
    al_matrix v = al_matrix_wrap(values, 2, 1), out_m = al_matrix_wrap(&out, 1, 1);
    al_attention_steps steps = {.scores = al_matrix_wrap(scores, 1, 2),
                                .weights = al_matrix_wrap(weights, 1, 2),
                                .q_proj = al_matrix_wrap(q_proj, 1, 2)};
    al_scoring general = {.kind = AL_SCORE_GENERAL, .temperature = 1.0f, .w_a = &w};
    assert_int_equal(al_trace_score_params(trace, "s2s.attn", &general, NULL), AL_OK);
    for (int step = 0; step < 2; step++) {
        float state_data[2] = {1.0f + (float)step, 2.0f};
        al_matrix decoder_state = al_matrix_wrap(state_data, 1, 2);
        char prefix[AL_NAME_SIZE], q_name[AL_NAME_SIZE];
        al_attention_names names = {.prefix = al_name(prefix, "s2s.step%d", step),
                                    .q = al_name(q_name, "s2s.dec.h%d", step),
                                    .k = "s2s.enc.h", .v = "s2s.enc.h", .params = "s2s.attn"};
        assert_int_equal(al_attend(&out_m, &steps, &decoder_state, &k, &v, NULL, &general,
                                   &names, trace, NULL),
                         AL_OK);
    }
    trace_scratch_read(&s, trace);
    trace_scratch_expect(&s, "s2s.attn.w_a", "\"role\": \"param\"");
    const char *first = strstr(s.text, "\"name\": \"s2s.attn.w_a\"");
    assert_null(strstr(first + 1, "\"name\": \"s2s.attn.w_a\""));
    assert_null(strstr(s.text, "s2s.step0.w_a"));
    trace_scratch_expect(&s, "s2s.step1.q_proj",
                         "\"inputs\": [\"s2s.dec.h1\", \"s2s.attn.w_a\"]");
    trace_scratch_remove(&s);
}

/* Scaled dot product divides by sqrt(d_k): q = (2, 2, 2, 2), k = q gives
 * score 16, scaled 16 / sqrt(4) = 8. */
static void scaled_dot_divides_by_root_d_k(void **state)
{
    (void)state;
    float q[] = {2, 2, 2, 2}, scores[1], scaled[1], weights[1], values[] = {5}, out;
    al_matrix q_m = al_matrix_wrap(q, 1, 4), v = al_matrix_wrap(values, 1, 1);
    al_matrix out_m = al_matrix_wrap(&out, 1, 1);
    al_attention_steps steps = {.scores = al_matrix_wrap(scores, 1, 1),
                                .scaled = al_matrix_wrap(scaled, 1, 1),
                                .weights = al_matrix_wrap(weights, 1, 1)};
    al_scoring scoring = al_scoring_scaled_dot();
    assert_int_equal(
        al_attend(&out_m, &steps, &q_m, &q_m, &v, NULL, &scoring, NULL, NULL, NULL), AL_OK);
    assert_same_float(scores[0], 16.0f);
    assert_same_float(scaled[0], 8.0f);
    assert_same_float(weights[0], 1.0f);
    assert_same_float(out, 5.0f);
}

/* Scores multiplied by ever larger factors approach one-hot, and 1e30
 * (far past where exp overflows) gives exactly one-hot, never NaN:
 * softmax subtracts the row's largest score before exp. */
static void huge_scores_saturate_to_one_hot_without_overflow(void **state)
{
    (void)state;
    float keys[] = {1, 0.5f, -1}, values[] = {1, 2, 3}, weights[3], out;
    al_scoring dot = {.kind = AL_SCORE_DOT, .temperature = 1.0f};
    const float factors[] = {1, 10, 1e3f, 1e6f, 1e30f};
    float previous = 0.0f;
    for (int f = 0; f < 5; f++) {
        float factor = factors[f];
        assert_int_equal(retrieve(&out, weights, factor, keys, values, 3, dot, NULL), AL_OK);
        assert_true(weights[0] >= previous); /* the largest weight only grows */
        previous = weights[0];
        assert_false(isnan(out));
    }
    assert_same_float(weights[0], 1.0f);
    assert_same_float(weights[1], 0.0f);
    assert_same_float(weights[2], 0.0f);
    assert_same_float(out, 1.0f);
}

/* Shape errors name both shapes. */
static void shape_errors_name_both_shapes(void **state)
{
    (void)state;
    float data[16] = {0}, out_data[9] = {0};
    al_matrix q = al_matrix_wrap(data, 2, 3), k = al_matrix_wrap(data, 2, 3);
    al_matrix v = al_matrix_wrap(data, 3, 3), out = al_matrix_wrap(out_data, 2, 3);
    float s[4], w[4], sc[4];
    al_attention_steps steps = {.scores = al_matrix_wrap(s, 2, 2),
                                .scaled = al_matrix_wrap(sc, 2, 2),
                                .weights = al_matrix_wrap(w, 2, 2)};
    al_scoring scoring = al_scoring_scaled_dot();
    al_error err = {0};
    assert_int_equal(al_attend(&out, &steps, &q, &k, &v, NULL, &scoring, NULL, NULL, &err),
                     AL_ERR_SHAPE);
    assert_non_null(strstr(err.message, "keys are 2 x 3 but values are 3 x 3"));

    al_matrix k_narrow = al_matrix_wrap(data, 2, 2);
    al_matrix v_ok = al_matrix_wrap(data, 2, 3);
    assert_int_equal(
        al_attend(&out, &steps, &q, &k_narrow, &v_ok, NULL, &scoring, NULL, NULL, &err),
        AL_ERR_SHAPE);
    assert_non_null(strstr(err.message, "queries are 2 x 3 but keys are 2 x 2"));
}

/* Missing parameters, a bad sigma or temperature: clear refusals. */
static void bad_arguments_are_refused(void **state)
{
    (void)state;
    float keys[] = {70, 80}, values[] = {1000, 1500}, weights[2], out;
    al_error err = {0};
    al_scoring general = {.kind = AL_SCORE_GENERAL, .temperature = 1.0f};
    assert_int_equal(retrieve(&out, weights, 75, keys, values, 2, general, &err), AL_ERR_ARG);
    assert_non_null(strstr(err.message, "W_a"));
    al_scoring gaussian = {.kind = AL_SCORE_GAUSSIAN, .normalizer = AL_NORMALIZE_SUM};
    assert_int_equal(retrieve(&out, weights, 75, keys, values, 2, gaussian, &err), AL_ERR_VALUE);
    assert_non_null(strstr(err.message, "sigma"));
    al_scoring cold = {.kind = AL_SCORE_DOT, .temperature = 0.0f};
    assert_int_equal(retrieve(&out, weights, 75, keys, values, 2, cold, &err), AL_ERR_VALUE);
    assert_non_null(strstr(err.message, "temperature"));
}

/* al_attention_steps_alloc gives each kind what it needs, and frees. */
static void steps_alloc_sizes_follow_the_kind(void **state)
{
    (void)state;
    float w_q[6] = {0}, w_k[6] = {0}, v_a[3] = {0};
    al_matrix wq = al_matrix_wrap(w_q, 2, 3), wk = al_matrix_wrap(w_k, 2, 3);
    al_matrix va = al_matrix_wrap(v_a, 3, 1);
    al_scoring additive = {.kind = AL_SCORE_ADDITIVE, .w_q = &wq, .w_k = &wk, .v_a = &va};
    al_attention_steps steps;
    assert_int_equal(al_attention_steps_alloc(&steps, 4, 5, &additive, true, NULL), AL_OK);
    assert_int_equal(steps.scores.rows, 4);
    assert_int_equal(steps.scores.cols, 5);
    assert_non_null(steps.masked.data);
    assert_null(steps.scaled.data);
    assert_int_equal(steps.q_proj.rows, 4);
    assert_int_equal(steps.q_proj.cols, 3);
    assert_int_equal(steps.k_proj.rows, 5);
    al_attention_steps_free(&steps);
    assert_null(steps.scores.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(retrieval_query_75_gives_1250),
        cmocka_unit_test(retrieval_query_72_gives_1100),
        cmocka_unit_test(retrieval_query_on_a_key_returns_its_value),
        cmocka_unit_test(equal_keys_on_the_query_share_the_weight),
        cmocka_unit_test(exact_match_is_traced_as_null_with_a_warning),
        cmocka_unit_test(exact_match_names_the_keys_the_rule_takes),
        cmocka_unit_test(inverse_distance_with_vector_keys),
        cmocka_unit_test(gaussian_kernel_regression),
        cmocka_unit_test(gaussian_far_from_every_key_gives_zeros_not_nan),
        cmocka_unit_test(dot_product_with_softmax_and_temperature),
        cmocka_unit_test(sum_of_negative_similarities_is_refused),
        cmocka_unit_test(general_score_by_hand),
        cmocka_unit_test(additive_score_by_hand),
        cmocka_unit_test(shared_score_params_are_traced_once),
        cmocka_unit_test(scaled_dot_divides_by_root_d_k),
        cmocka_unit_test(huge_scores_saturate_to_one_hot_without_overflow),
        cmocka_unit_test(shape_errors_name_both_shapes),
        cmocka_unit_test(bad_arguments_are_refused),
        cmocka_unit_test(steps_alloc_sizes_follow_the_kind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
