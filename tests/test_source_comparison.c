/* test_source_comparison.c: two sources through one RNN encoder and the
 * distance between their states, token by token: by hand on a one-number
 * Elman cell, exact zeros where the sources agree, the second encoding
 * equal to al_seq2seq_encode's, the names traced, and refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "attnlab/source_comparison.h"
#include "check.h"
#include "trace_capture.h"

/* tanh and the products are float32 and the distances below 2: a few ulps
 * of 2^-23. */
#define TOLERANCE 5e-7

/* Words 6, 7, 8 of a 9-word vocabulary: A, B and C. */
enum { A = 6, B = 7, C = 8, V = 9 };

typedef struct comparison_case {
    al_seq2seq model;
    al_seq2seq_workspace ws;
    al_source_comparison comparison;
} comparison_case;

/* d_e = d_h = 1: h_j = tanh(x_j + 0.5 h_{j-1}), with the word vectors
 * A = 1, B = -1, C = 0. */
static void start_by_hand(comparison_case *c)
{
    al_seq2seq_config config = {.cell = AL_RNN_ELMAN, .vocab_size = V, .d_embed = 1,
                                .d_hidden = 1};
    assert_int_equal(al_seq2seq_alloc(&c->model, &config, NULL), AL_OK);
    al_matrix *table = al_seq2seq_param(&c->model, "s2s.enc.embed.table");
    *al_at(table, A, 0) = 1.0f;
    *al_at(table, B, 0) = -1.0f;
    al_fill(al_seq2seq_param(&c->model, "s2s.enc.w_x"), 1.0f);
    al_fill(al_seq2seq_param(&c->model, "s2s.enc.w_h"), 0.5f);
    assert_int_equal(al_seq2seq_workspace_alloc(&c->ws, &c->model, 4, 1, NULL), AL_OK);
    assert_int_equal(al_source_comparison_alloc(&c->comparison, &c->model, 4, NULL), AL_OK);
}

static void start_random(comparison_case *c, al_rnn_kind cell)
{
    al_seq2seq_config config = {.cell = cell, .vocab_size = V, .d_embed = 3, .d_hidden = 5};
    assert_int_equal(al_seq2seq_alloc(&c->model, &config, NULL), AL_OK);
    al_rng rng;
    al_rng_seed(&rng, 11, 0);
    al_seq2seq_init(&c->model, &rng);
    assert_int_equal(al_seq2seq_workspace_alloc(&c->ws, &c->model, 4, 1, NULL), AL_OK);
    assert_int_equal(al_source_comparison_alloc(&c->comparison, &c->model, 4, NULL), AL_OK);
}

static void end(comparison_case *c)
{
    al_source_comparison_free(&c->comparison);
    al_seq2seq_workspace_free(&c->ws);
    al_seq2seq_free(&c->model);
}

static void compare(comparison_case *c, const int *first, const int *second, int length,
                    al_trace *trace)
{
    al_sequence one = {.length = length, .ids = first}, two = {.length = length, .ids = second};
    al_error err;
    if (al_seq2seq_encode(&c->ws, &c->model, &one, trace, &err) != AL_OK ||
        al_compare_sources(&c->comparison, &c->ws, &c->model, &two, NULL, trace, &err) != AL_OK)
        fail_msg("%s", err.message);
}

/* "A C C" and "B C C": tanh is odd and B = -A, C = 0, so h'_j = -h_j and
 * d_j = 2 |h_j|:
 *   h_0 = tanh(1)                 = 0.761594156   d_0 = 1.52318831
 *   h_1 = tanh(0.5 · 0.761594156) = 0.363399484   d_1 = 0.726798969
 *   h_2 = tanh(0.5 · 0.363399484) = 0.179726207   d_2 = 0.359452414
 * The states part at token 0, so kept_j = h_j / h_0 = 1, 0.477156346,
 * 0.235986852: less than a quarter of the first word's trace is left. */
static void distances_by_hand(void **state)
{
    (void)state;
    comparison_case c;
    start_by_hand(&c);
    compare(&c, (const int[]){A, C, C}, (const int[]){B, C, C}, 3, NULL);
    const double distance[3] = {1.52318831, 0.726798969, 0.359452414};
    const double kept[3] = {1.0, 0.477156346, 0.235986852};
    assert_int_equal(c.comparison.length, 3);
    assert_int_equal(c.comparison.first_difference, 0);
    for (int j = 0; j < 3; j++) {
        assert_close(*al_at(&c.comparison.distance, 0, j), distance[j], TOLERANCE);
        assert_close(*al_at(&c.comparison.kept, 0, j), kept[j], TOLERANCE);
        assert_close(*al_at(&c.comparison.states, j, 0), -*al_at(&c.ws.encoder_states, j, 0),
                     TOLERANCE);
    }
    end(&c);
}

/* "C A C" and "C B C" agree on token 0: the same state, so a distance of
 * exactly 0, and the states part at token 1, where kept is exactly 1. */
static void agreeing_prefix_is_exactly_zero(void **state)
{
    (void)state;
    comparison_case c;
    start_by_hand(&c);
    compare(&c, (const int[]){C, A, C}, (const int[]){C, B, C}, 3, NULL);
    assert_int_equal(c.comparison.first_difference, 1);
    assert_same_float(*al_at(&c.comparison.distance, 0, 0), 0.0f);
    assert_same_float(*al_at(&c.comparison.kept, 0, 0), 0.0f);
    assert_same_float(*al_at(&c.comparison.kept, 0, 1), 1.0f);
    /* d_1 = 2 tanh(1) = 1.52318831, as at token 0 above */
    assert_close(*al_at(&c.comparison.distance, 0, 1), 1.52318831, TOLERANCE);
    end(&c);
}

/* The same source twice: the states never part. */
static void same_source_never_parts(void **state)
{
    (void)state;
    comparison_case c;
    start_random(&c, AL_RNN_GRU);
    compare(&c, (const int[]){A, B, C}, (const int[]){A, B, C}, 3, NULL);
    assert_int_equal(c.comparison.first_difference, -1);
    for (int j = 0; j < 3; j++) {
        assert_same_float(*al_at(&c.comparison.distance, 0, j), 0.0f);
        assert_same_float(*al_at(&c.comparison.kept, 0, j), 0.0f);
    }
    end(&c);
}

/* The second source's states are the ones al_seq2seq_encode gives it, bit
 * for bit, for every cell (Elman, both GRU forms); and the distance is
 * ‖h_j − h'_j‖ worked in double from the two sets of states. */
static void second_encoding_is_the_encoders(void **state)
{
    (void)state;
    for (int cell = AL_RNN_ELMAN; cell <= AL_RNN_GRU_PYTORCH; cell++) {
        comparison_case c;
        start_random(&c, (al_rnn_kind)cell);
        const int first[4] = {A, B, C, A}, second[4] = {B, B, C, A};
        compare(&c, first, second, 4, NULL);
        al_seq2seq_workspace fresh;
        assert_int_equal(al_seq2seq_workspace_alloc(&fresh, &c.model, 4, 1, NULL), AL_OK);
        al_sequence two = {.length = 4, .ids = second};
        assert_int_equal(al_seq2seq_encode(&fresh, &c.model, &two, NULL, NULL), AL_OK);
        for (int j = 0; j < 4; j++) {
            double sum = 0.0;
            for (int p = 0; p < 5; p++) {
                float mine = *al_at(&c.comparison.states, j, p);
                assert_same_float(mine, *al_at(&fresh.encoder_states, j, p));
                double difference = (double)mine - *al_at(&c.ws.encoder_states, j, p);
                sum += difference * difference;
            }
            assert_close(*al_at(&c.comparison.distance, 0, j), sqrt(sum), TOLERANCE);
        }
        assert_true(*al_at(&c.comparison.distance, 0, 0) > 0.0f);
        al_seq2seq_workspace_free(&fresh);
        end(&c);
    }
}

static void traced_names(void **state)
{
    (void)state;
    comparison_case c;
    start_random(&c, AL_RNN_ELMAN);
    trace_capture t;
    capture_start(&t);
    compare(&c, (const int[]){A, C}, (const int[]){B, C}, 2, t.trace);
    capture_finish(&t);
    assert_trace_has(&t, "\"name\": \"s2s.compare.enc.tokens\", \"role\": \"input\"");
    assert_trace_has(&t, "\"name\": \"s2s.compare.enc.embed\", \"role\": \"activation\", "
                         "\"op\": \"embedding_lookup\"");
    assert_trace_has(&t, "\"name\": \"s2s.compare.enc.h\", \"role\": \"activation\", \"op\": "
                         "\"elman\", \"inputs\": [\"s2s.compare.enc.embed\", \"s2s.enc.init\", "
                         "\"s2s.enc.w_x\", \"s2s.enc.w_h\", \"s2s.enc.b\"]");
    assert_trace_has(&t, "\"name\": \"s2s.compare.distance\", \"role\": \"output\", \"op\": "
                         "\"row_distance\", \"inputs\": [\"s2s.enc.h\", \"s2s.compare.enc.h\"], "
                         "\"shape\": [1, 2]");
    assert_trace_has(&t, "\"name\": \"s2s.compare.kept\", \"role\": \"output\", \"op\": "
                         "\"ratio\", \"inputs\": [\"s2s.compare.distance\"], \"attrs\": {\"f\": "
                         "0}, \"shape\": [1, 2]");
    assert_trace_has(&t, "divided by its entry 0, the first token where the states part");
    capture_free(&t);
    end(&c);
}

static void refusals(void **state)
{
    (void)state;
    comparison_case c;
    start_by_hand(&c);
    al_error err;
    al_sequence two = {.length = 2, .ids = (const int[]){A, B}};
    assert_int_equal(al_compare_sources(&c.comparison, &c.ws, &c.model, &two, NULL, NULL, &err),
                     AL_ERR_ARG);
    assert_string_equal(err.message, "source comparison: encode the first source before "
                                     "comparing another with it");
    al_sequence three = {.length = 3, .ids = (const int[]){A, B, C}};
    assert_int_equal(al_seq2seq_encode(&c.ws, &c.model, &three, NULL, NULL), AL_OK);
    assert_int_equal(al_compare_sources(&c.comparison, &c.ws, &c.model, &two, NULL, NULL, &err),
                     AL_ERR_SHAPE);
    assert_string_equal(err.message, "source comparison: the sources have 3 and 2 tokens; they "
                                     "must have as many, to be compared token by token");
    al_sequence outside = {.length = 3, .ids = (const int[]){A, B, 9}};
    assert_int_equal(al_compare_sources(&c.comparison, &c.ws, &c.model, &outside, NULL, NULL,
                                        &err), AL_ERR_VALUE);
    al_source_comparison empty;
    assert_int_equal(al_source_comparison_alloc(&empty, &c.model, 0, &err), AL_ERR_ARG);
    assert_null(empty.distance.data);
    end(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(distances_by_hand),
        cmocka_unit_test(agreeing_prefix_is_exactly_zero),
        cmocka_unit_test(same_source_never_parts),
        cmocka_unit_test(second_encoding_is_the_encoders),
        cmocka_unit_test(traced_names),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
