/* test_beam_search.c: beam search over toy step functions: width 1 is
 * greedy decoding, width 2 finds the better sentence greedy misses (worked
 * by hand), max_length stops unfinished beams, bad options and failing
 * step functions are reported, and each step's beams are traced. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "attnlab/beam_search.h"
#include "attnlab/decoding.h"
#include "check.h"
#include "trace_capture.h"

/* The log-probabilities are sums of logs of floats, in double: within a
 * few float roundings of the exact log. */
#define LOG_TOLERANCE 1e-6

enum { BOS = 0, EOS = 1, A = 2, B = 3, V = 4 };
static const char *const WORDS[V] = {"<bos>", "<eos>", "A", "B"};

/* --- width 1 is greedy -------------------------------------------------------------- */

/* A made-up model: the logits depend on the last token, the length and a
 * seed in context, through a sine with incommensurate frequencies, so every
 * prefix gets different scores and ties do not happen. V = 12, <eos> = 1. */
static al_status wavy_model(al_matrix *logits, const int *prefix, int length, void *context,
                            al_error *err)
{
    (void)err;
    double seed = *(const double *)context;
    int last = prefix[length - 1];
    for (int v = 0; v < logits->cols; v++)
        *al_at(logits, 0, v) = (float)(3.0 * sin(1.7 * last + 0.37 * v * v + 0.91 * length + seed));
    return AL_OK;
}

/* Greedy decoding by hand: al_greedy on each step's logits, until <eos> or
 * max_length tokens. */
static int greedy_decode(int *tokens, int max_length, double seed)
{
    int prefix[32] = {BOS}, length = 1;
    float logit_data[12];
    al_matrix logits = al_matrix_wrap(logit_data, 1, 12);
    while (length - 1 < max_length) {
        wavy_model(&logits, prefix, length, &seed, NULL);
        int token;
        assert_int_equal(al_greedy(&token, al_unnamed(&logits), NULL, (al_trace_at){0}, NULL),
                         AL_OK);
        prefix[length++] = token;
        if (token == EOS)
            break;
    }
    memcpy(tokens, prefix + 1, (size_t)(length - 1) * sizeof(int));
    return length - 1;
}

static void width_one_is_greedy(void **state)
{
    (void)state;
    al_beam_options options = {.width = 1, .max_length = 20, .bos_id = BOS, .eos_id = EOS};
    al_beam_search search;
    assert_int_equal(al_beam_alloc(&search, &options, 12, NULL), AL_OK);
    int stopped_early = 0;
    for (int s = 0; s < 30; s++) {
        double seed = 0.1 * s;
        int expected[20], got[20], length;
        double score;
        int expected_length = greedy_decode(expected, 20, seed);
        assert_int_equal(al_beam_run(got, &length, &score, &search, wavy_model, &seed, NULL,
                                     NULL, NULL, NULL),
                         AL_OK);
        assert_int_equal(length, expected_length);
        assert_memory_equal(got, expected, (size_t)length * sizeof(int));
        stopped_early += length < 20;
    }
    assert_true(stopped_early > 0); /* some runs reached <eos>, not only max_length */
    al_beam_free(&search);
}

/* --- width 2 finds what greedy misses ----------------------------------------------- */

/* A model given as probabilities (logits = their logs):
 *   after <bos>:    A 0.5, B 0.4, <eos> 0.1
 *   after <bos> A:  <eos> 0.4, A 0.3, B 0.3
 *   after <bos> B:  <eos> 0.9, A 0.05, B 0.05
 * Greedy takes A (0.5), then <eos> (0.4): P = 0.2.
 * Width 2 keeps A (0.5) and B (0.4); step 1's best two are
 *   B <eos> = 0.4 · 0.9 = 0.36 and A <eos> = 0.5 · 0.4 = 0.2,
 * both finished, so the search stops with "B <eos>", log 0.36. */
static al_status hand_model(al_matrix *logits, const int *prefix, int length, void *context,
                            al_error *err)
{
    (void)context;
    (void)err;
    const float after_bos[V] = {0, 0.1f, 0.5f, 0.4f}, after_a[V] = {0, 0.4f, 0.3f, 0.3f},
                after_b[V] = {0, 0.9f, 0.05f, 0.05f};
    const float *p = length == 1 ? after_bos : prefix[1] == A ? after_a : after_b;
    for (int v = 0; v < V; v++)
        *al_at(logits, 0, v) = p[v] > 0 ? logf(p[v]) : -INFINITY;
    return AL_OK;
}

static void width_two_finds_the_more_probable_sentence(void **state)
{
    (void)state;
    int tokens[4], length;
    double score;
    al_beam_options greedy_options = {.width = 1, .max_length = 4, .bos_id = BOS, .eos_id = EOS};
    al_beam_search search;
    assert_int_equal(al_beam_alloc(&search, &greedy_options, V, NULL), AL_OK);
    assert_int_equal(al_beam_run(tokens, &length, &score, &search, hand_model, NULL, NULL, NULL,
                                 NULL, NULL),
                     AL_OK);
    assert_int_equal(length, 2);
    assert_int_equal(tokens[0], A);
    assert_close(score, log(0.2), LOG_TOLERANCE);
    al_beam_free(&search);

    al_beam_options beam_options = {.width = 2, .max_length = 4, .bos_id = BOS, .eos_id = EOS};
    assert_int_equal(al_beam_alloc(&search, &beam_options, V, NULL), AL_OK);
    assert_int_equal(al_beam_run(tokens, &length, &score, &search, hand_model, NULL, NULL, NULL,
                                 NULL, NULL),
                     AL_OK);
    assert_int_equal(length, 2);
    assert_int_equal(tokens[0], B);
    assert_int_equal(tokens[1], EOS);
    assert_close(score, log(0.36), LOG_TOLERANCE);
    al_beam_free(&search);
}

/* The trace of the width-2 search: step 0 holds "<bos> A" (log 0.5) and
 * "<bos> B" (log 0.4); step 1 "<bos> B <eos>" (log 0.36) and
 * "<bos> A <eos>" (log 0.2). */
static void each_step_traces_the_surviving_beams(void **state)
{
    (void)state;
    al_beam_options options = {.width = 2, .max_length = 4, .bos_id = BOS, .eos_id = EOS};
    al_beam_search search;
    assert_int_equal(al_beam_alloc(&search, &options, V, NULL), AL_OK);
    int tokens[4], length;
    double score;
    trace_capture capture;
    capture_start(&capture);
    assert_int_equal(al_beam_run(tokens, &length, &score, &search, hand_model, NULL,
                                 capture.trace, "beam", WORDS, NULL),
                     AL_OK);
    capture_finish(&capture);
    assert_trace_has(&capture, "\"name\": \"beam.step0.scores\", \"role\": \"activation\", "
                               "\"op\": \"beam_search\", \"inputs\": [], \"attrs\": {\"step\": 0, "
                               "\"width\": 2, \"max_length\": 4, \"bos\": 0, \"eos\": 1, "
                               "\"model\": \"untraced\"}, \"shape\": [2, 1], "
                               "\"rows\": [\"<bos> A\", \"<bos> B\"], \"cols\": [\"log p\"]");
    assert_trace_has(&capture, "\"name\": \"beam.step1.scores\"");
    assert_trace_has(&capture, "\"rows\": [\"<bos> B <eos>\", \"<bos> A <eos>\"]");
    assert_null(strstr(capture.text, "beam.step2"));
    capture_free(&capture);
    al_beam_free(&search);
}

/* A and B tie after <bos>; then only <eos> is possible. Like greedy, the
 * lower id wins the tie: width 1 gives "A <eos>", log 0.5. */
static al_status tied_model(al_matrix *logits, const int *prefix, int length, void *context,
                            al_error *err)
{
    (void)prefix;
    (void)context;
    (void)err;
    const float after_bos[V] = {-INFINITY, -INFINITY, 0, 0};
    const float then_end[V] = {-INFINITY, 0, -INFINITY, -INFINITY};
    for (int v = 0; v < V; v++)
        *al_at(logits, 0, v) = length == 1 ? after_bos[v] : then_end[v];
    return AL_OK;
}

static void ties_go_to_the_lower_token_id(void **state)
{
    (void)state;
    al_beam_options options = {.width = 1, .max_length = 4, .bos_id = BOS, .eos_id = EOS};
    al_beam_search search;
    assert_int_equal(al_beam_alloc(&search, &options, V, NULL), AL_OK);
    int tokens[4], length;
    double score;
    assert_int_equal(al_beam_run(tokens, &length, &score, &search, tied_model, NULL, NULL, NULL,
                                 NULL, NULL),
                     AL_OK);
    assert_int_equal(length, 2);
    assert_int_equal(tokens[0], A);
    assert_int_equal(tokens[1], EOS);
    assert_close(score, log(0.5), LOG_TOLERANCE);
    al_beam_free(&search);
}

/* --- limits and failures -------------------------------------------------------------- */

/* A model that never ends a sentence: logits (<bos> -inf, <eos> -inf, A 1,
 * B 0), so p(A) = e / (e + 1) at every step and <eos> never comes. The
 * search stops at max_length = 3 with "A A A", whose log-probability is
 * 3 · log p(A) = 3 · (1 - log(e + 1)). */
static al_status endless_model(al_matrix *logits, const int *prefix, int length, void *context,
                               al_error *err)
{
    (void)prefix;
    (void)length;
    (void)context;
    (void)err;
    const float s[V] = {-INFINITY, -INFINITY, 1, 0};
    for (int v = 0; v < V; v++)
        *al_at(logits, 0, v) = s[v];
    return AL_OK;
}

static void max_length_stops_unfinished_beams(void **state)
{
    (void)state;
    al_beam_options options = {.width = 2, .max_length = 3, .bos_id = BOS, .eos_id = EOS};
    al_beam_search search;
    assert_int_equal(al_beam_alloc(&search, &options, V, NULL), AL_OK);
    int tokens[3], length;
    double score;
    assert_int_equal(al_beam_run(tokens, &length, &score, &search, endless_model, NULL, NULL,
                                 NULL, NULL, NULL),
                     AL_OK);
    assert_int_equal(length, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(tokens[i], A);
    assert_close(score, 3 * (1 - log(exp(1.0) + 1)), LOG_TOLERANCE);
    al_beam_free(&search);
}

static al_status failing_model(al_matrix *logits, const int *prefix, int length, void *context,
                               al_error *err)
{
    (void)logits;
    (void)prefix;
    (void)length;
    (void)context;
    return al_fail(err, AL_ERR_SHAPE, "model: something is the wrong shape");
}

static void step_function_failure_stops_the_search(void **state)
{
    (void)state;
    al_beam_options options = {.width = 2, .max_length = 3, .bos_id = BOS, .eos_id = EOS};
    al_beam_search search;
    assert_int_equal(al_beam_alloc(&search, &options, V, NULL), AL_OK);
    int tokens[3], length;
    double score;
    al_error err = {0};
    assert_int_equal(al_beam_run(tokens, &length, &score, &search, failing_model, NULL, NULL,
                                 NULL, NULL, &err),
                     AL_ERR_SHAPE);
    assert_string_equal(err.message, "model: something is the wrong shape");
    al_beam_free(&search);
}

static void bad_options_are_refused(void **state)
{
    (void)state;
    al_beam_search search;
    al_error err = {0};
    al_beam_options zero_width = {.width = 0, .max_length = 3, .bos_id = BOS, .eos_id = EOS};
    assert_int_equal(al_beam_alloc(&search, &zero_width, V, &err), AL_ERR_VALUE);
    assert_string_equal(err.message, "beam search: width must be between 1 and V = 4, not 0");
    al_beam_options bad_eos = {.width = 1, .max_length = 3, .bos_id = BOS, .eos_id = 4};
    assert_int_equal(al_beam_alloc(&search, &bad_eos, V, &err), AL_ERR_VALUE);
    al_beam_options no_length = {.width = 1, .max_length = 0, .bos_id = BOS, .eos_id = EOS};
    assert_int_equal(al_beam_alloc(&search, &no_length, V, &err), AL_ERR_VALUE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(width_one_is_greedy),
        cmocka_unit_test(width_two_finds_the_more_probable_sentence),
        cmocka_unit_test(each_step_traces_the_surviving_beams),
        cmocka_unit_test(ties_go_to_the_lower_token_id),
        cmocka_unit_test(max_length_stops_unfinished_beams),
        cmocka_unit_test(step_function_failure_stops_the_search),
        cmocka_unit_test(bad_options_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
