/* test_multihead.c: self- and cross-attention with learned projections
 * (multihead.h): hand-worked 2- and 3-token cases, the invariants (rows
 * sum to 1, causal zeros, permutation, padding, fully masked rows), one
 * head against plain attention, heads against their column slices, and
 * the errors. Every step against NumPy is in reference/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "attnlab/blas.h"
#include "attnlab/mask.h"
#include "attnlab/multihead.h"
#include "check.h"
#include "trace_scratch.h"

/* Outputs pass through three float32 products of short rows; each adds at
 * most a few units in the last place, far below 1e-5 of values near 1. */
#define OUTPUT_TOLERANCE 1e-5
/* A row of weights is rounded entry by entry; n entries of relative error
 * 6e-8 each sum to 1 within 1e-6 for the rows used here. */
#define SUM_TOLERANCE 1e-6

/* A layer with its workspace and output, for L tokens. */
typedef struct layer {
    al_attention_params params;
    al_attention_workspace ws;
    al_matrix x, out;
} layer;

static void layer_make(layer *l, int queries, int keys, int d_model, int heads, bool bias)
{
    assert_int_equal(al_attention_params_alloc(&l->params, d_model, heads, bias, NULL), AL_OK);
    assert_int_equal(al_attention_workspace_alloc(&l->ws, &l->params, queries, keys, NULL),
                     AL_OK);
    assert_int_equal(al_matrix_alloc(&l->x, queries, d_model, NULL), AL_OK);
    assert_int_equal(al_matrix_alloc(&l->out, queries, d_model, NULL), AL_OK);
}

/* Random parameters and inputs from a fixed seed. */
static void layer_randomize(layer *l, uint64_t seed)
{
    al_rng rng;
    al_rng_seed(&rng, seed, 1);
    al_attention_params_init(&l->params, &rng);
    al_rng_fill_normal(&l->x, &rng, 0.0f, 1.0f);
}

static void layer_free(layer *l)
{
    al_attention_params_free(&l->params);
    al_attention_workspace_free(&l->ws);
    al_matrix_free(&l->x);
    al_matrix_free(&l->out);
}

/* Fail unless a and b have the same shape and differ by at most tolerance
 * anywhere; the message gives the largest difference. */
static void assert_matrices_close(const al_matrix *a, const al_matrix *b, double tolerance)
{
    if (!al_same_shape(a, b))
        fail_msg("shapes %d x %d and %d x %d differ", a->rows, a->cols, b->rows, b->cols);
    double difference = al_max_abs_diff(a, b);
    if (!(difference <= tolerance))
        fail_msg("largest difference %.9g, tolerance %.9g", difference, tolerance);
}

static void set_identity(al_matrix *m, float diagonal)
{
    al_fill(m, 0.0f);
    for (int i = 0; i < m->rows; i++)
        *al_at(m, i, i) = diagonal;
}

static void set_rows(al_matrix *m, const float *values)
{
    for (int i = 0; i < m->rows; i++)
        for (int j = 0; j < m->cols; j++)
            *al_at(m, i, j) = values[i * m->cols + j];
}

static const al_attention_call PLAIN = {.temperature = 1.0f};

/* An untraced call: no trace, and no names needed. */
#define NO_TRACE ((al_trace_at){0})

/* Two tokens, d_model 4, one head (d_head 4, sqrt(d_head) = 2), W_Q = W_K = W_O = I,
 * W_V = 10 I:
 *   X = Q = K = [1 0 1 0]   ("The")      V = [10  0 10 0]
 *               [0 2 0 0]   ("cat")          [ 0 20  0 0]
 *   scores = Q·Kᵀ = [2 0]    (1+1, 0)       scaled = scores / 2 = [1 0]
 *                   [0 4]    (0, 2·2)                             [0 2]
 *   weights row 0 = softmax(1, 0) = (e/(e+1), 1/(e+1))   = (0.7311, 0.2689)
 *   weights row 1 = softmax(0, 2) = (1/(1+e²), e²/(1+e²)) = (0.1192, 0.8808)
 *   out row 0 = 0.7311·(10,0,10,0) + 0.2689·(0,20,0,0) = (7.311, 5.379, 7.311, 0)
 *   out row 1 = 0.1192·(10,0,10,0) + 0.8808·(0,20,0,0) = (1.192, 17.616, 1.192, 0) */
static void two_tokens_by_hand(void **state)
{
    (void)state;
    layer l = {0};
    layer_make(&l, 2, 2, 4, 1, false);
    set_identity(&l.params.w_q, 1), set_identity(&l.params.w_k, 1);
    set_identity(&l.params.w_v, 10), set_identity(&l.params.w_o, 1);
    set_rows(&l.x, (const float[]){1, 0, 1, 0, 0, 2, 0, 0});
    assert_int_equal(al_self_attention(&l.out, &l.ws, al_unnamed(&l.x), &l.params, &PLAIN,
                                       NO_TRACE, NULL),
                     AL_OK);

    al_attention_steps h0 = al_attention_head_steps(&l.ws, 0);
    assert_same_float(*al_at(&h0.scores, 0, 0), 2.0f);
    assert_same_float(*al_at(&h0.scores, 1, 1), 4.0f);
    assert_same_float(*al_at(&h0.scaled, 1, 1), 2.0f);
    double e = exp(1.0), a = e / (e + 1), b = 1 / (1 + e * e);
    assert_close(*al_at(&h0.weights, 0, 0), a, SUM_TOLERANCE);
    assert_close(*al_at(&h0.weights, 1, 0), b, SUM_TOLERANCE);
    const double expected[8] = {10 * a, 20 * (1 - a), 10 * a, 0,
                                10 * b, 20 * (1 - b), 10 * b, 0};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 4; j++)
            assert_close(*al_at(&l.out, i, j), expected[i * 4 + j], 20 * OUTPUT_TOLERANCE);
    assert_close(*al_at(&l.out, 1, 1), 17.616, 0.001);
    layer_free(&l);
}

/* Three tokens with W_Q = 0: every query is 0, every score 0, so each row
 * of weights is uniform over the keys it may see, and out is their mean.
 * W_K = W_V = W_O = I, so V = X:
 *   v0 = (3, 0, 6, 0), v1 = (0, 3, 0, 6), v2 = (3, 3, 0, 0)
 * Unmasked: every row (1/3, 1/3, 1/3) -> out (2, 2, 2, 2) for each token.
 * Causal: row 0 (1, 0, 0) -> v0 = (3, 0, 6, 0)
 *         row 1 (1/2, 1/2, 0) -> (1.5, 1.5, 3, 3)
 *         row 2 (1/3, 1/3, 1/3) -> (2, 2, 2, 2): a running average. */
static void three_tokens_with_zero_queries_average_the_values(void **state)
{
    (void)state;
    layer l = {0};
    layer_make(&l, 3, 3, 4, 1, false);
    al_fill(&l.params.w_q, 0);
    set_identity(&l.params.w_k, 1), set_identity(&l.params.w_v, 1);
    set_identity(&l.params.w_o, 1);
    set_rows(&l.x, (const float[]){3, 0, 6, 0, 0, 3, 0, 6, 3, 3, 0, 0});
    assert_int_equal(al_self_attention(&l.out, &l.ws, al_unnamed(&l.x), &l.params, &PLAIN,
                                       NO_TRACE, NULL),
                     AL_OK);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++)
            assert_close(*al_at(&l.out, i, j), 2.0, OUTPUT_TOLERANCE);

    float causal_data[9];
    al_matrix causal = al_matrix_wrap(causal_data, 3, 3);
    al_causal_mask(&causal);
    al_attention_call call = PLAIN;
    call.mask = &causal;
    call.mask_op = AL_MASK_OP_CAUSAL;
    assert_int_equal(al_self_attention(&l.out, &l.ws, al_unnamed(&l.x), &l.params, &call, NO_TRACE,
                                       NULL),
                     AL_OK);
    const double expected[12] = {3, 0, 6, 0, 1.5, 1.5, 3, 3, 2, 2, 2, 2};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++)
            assert_close(*al_at(&l.out, i, j), expected[i * 4 + j], OUTPUT_TOLERANCE);
    al_attention_steps h0 = al_attention_head_steps(&l.ws, 0);
    assert_same_float(*al_at(&h0.weights, 1, 0), 0.5f);
    assert_same_float(*al_at(&h0.weights, 1, 2), 0.0f);
    layer_free(&l);
}

static void assert_rows_sum_to_one(const al_matrix *weights)
{
    for (int i = 0; i < weights->rows; i++) {
        double sum = 0;
        for (int j = 0; j < weights->cols; j++)
            sum += *al_at(weights, i, j);
        assert_close(sum, 1.0, SUM_TOLERANCE);
    }
}

/* Causal self-attention over 6 tokens, 2 heads: every weight above the
 * diagonal (a key in the query's future) is exactly 0, and rows sum to 1. */
static void causal_weights_above_the_diagonal_are_exactly_zero(void **state)
{
    (void)state;
    layer l = {0};
    layer_make(&l, 6, 6, 8, 2, true);
    layer_randomize(&l, 7);
    float causal_data[36];
    al_matrix causal = al_matrix_wrap(causal_data, 6, 6);
    al_causal_mask(&causal);
    al_attention_call call = PLAIN;
    call.mask = &causal;
    assert_int_equal(al_self_attention(&l.out, &l.ws, al_unnamed(&l.x), &l.params, &call, NO_TRACE,
                                       NULL),
                     AL_OK);
    for (int h = 0; h < 2; h++) {
        al_attention_steps steps = al_attention_head_steps(&l.ws, h);
        for (int i = 0; i < 6; i++) {
            for (int j = 0; j < 6; j++) {
                if (j > i)
                    assert_same_float(*al_at(&steps.weights, i, j), 0.0f);
                else
                    assert_true(*al_at(&steps.weights, i, j) > 0.0f);
            }
        }
        assert_rows_sum_to_one(&steps.weights);
    }
    layer_free(&l);
}

/* Padding: 5 tokens of which the last 2 are padding. No query gives them
 * any weight, and the real keys' weights still sum to 1. */
static void padding_mask_zeroes_the_padded_keys(void **state)
{
    (void)state;
    layer l = {0};
    layer_make(&l, 5, 5, 12, 3, false);
    layer_randomize(&l, 11);
    float padding_data[25];
    al_matrix padding = al_matrix_wrap(padding_data, 5, 5);
    assert_int_equal(al_padding_mask(&padding, 3, NULL), AL_OK);
    al_attention_call call = PLAIN;
    call.mask = &padding;
    call.mask_op = AL_MASK_OP_PADDING;
    assert_int_equal(al_self_attention(&l.out, &l.ws, al_unnamed(&l.x), &l.params, &call, NO_TRACE,
                                       NULL),
                     AL_OK);
    for (int h = 0; h < 3; h++) {
        al_attention_steps steps = al_attention_head_steps(&l.ws, h);
        for (int i = 0; i < 5; i++) {
            assert_same_float(*al_at(&steps.weights, i, 3), 0.0f);
            assert_same_float(*al_at(&steps.weights, i, 4), 0.0f);
        }
        assert_rows_sum_to_one(&steps.weights);
    }
    layer_free(&l);
}

/* A row whose every key is masked ("fish" may see nothing): its weights
 * and its output are 0, not NaN, and each head's weights record says so. */
static void fully_masked_row_gives_zeros_and_a_warning(void **state)
{
    (void)state;
    layer l = {0};
    layer_make(&l, 3, 3, 4, 2, false);
    layer_randomize(&l, 3);
    float keep_data[9] = {1, 1, 1, 1, 1, 0, 0, 0, 0};
    al_matrix keep = al_matrix_wrap(keep_data, 3, 3);
    const char *tokens[] = {"the", "cat", "fish"};
    al_attention_call call = PLAIN;
    call.mask = &keep;
    call.trace_inputs = true;
    trace_scratch s;
    al_trace *trace = trace_scratch_open(&s);
    al_named x = {.value = &l.x, .name = "x", .labels = tokens};
    al_trace_at at = {.trace = trace, .name = "enc.0.attn"};
    assert_int_equal(al_self_attention(&l.out, &l.ws, x, &l.params, &call, at, NULL), AL_OK);
    assert_int_equal(l.ws.fully_masked_rows, 1);
    for (int j = 0; j < 4; j++)
        assert_same_float(*al_at(&l.out, 2, j), 0.0f);
    al_attention_steps h1 = al_attention_head_steps(&l.ws, 1);
    for (int j = 0; j < 3; j++)
        assert_same_float(*al_at(&h1.weights, 2, j), 0.0f);

    trace_scratch_read(&s, trace);
    const char *warning =
        "\"warnings\": [\"row 2 (\\\"fish\\\") has every key masked; its weights are all 0\"]";
    trace_scratch_expect(&s, "enc.0.attn.h0.weights", warning);
    trace_scratch_expect(&s, "enc.0.attn.h1.weights", warning);
    trace_scratch_expect(&s, "enc.0.attn.mask", "\"op\": \"given\"");
    trace_scratch_expect(&s, "enc.0.attn.h1.masked", "[null, null, null]], \"mask\": "
                                                     "\"enc.0.attn.mask\"");
    trace_scratch_remove(&s);
    layer_free(&l);
}

/* Without a mask, self-attention treats the sequence as a set: permuting
 * the input rows permutes the output rows the same way. */
static void permuting_the_input_rows_permutes_the_output_rows(void **state)
{
    (void)state;
    layer l = {0}, p = {0};
    layer_make(&l, 5, 5, 8, 2, true);
    layer_make(&p, 5, 5, 8, 2, true);
    layer_randomize(&l, 5);
    layer_randomize(&p, 5); /* same parameters */
    al_rng rng;
    al_rng_seed(&rng, 9, 2);
    al_rng_fill_normal(&l.params.b_q, &rng, 0, 1); /* non-zero biases matter too */
    assert_int_equal(al_copy(&p.params.b_q, &l.params.b_q, NULL), AL_OK);
    const int order[5] = {3, 0, 4, 1, 2};
    for (int i = 0; i < 5; i++) {
        al_matrix to = al_matrix_rows(&p.x, i, 1), from = al_matrix_rows(&l.x, order[i], 1);
        assert_int_equal(al_copy(&to, &from, NULL), AL_OK);
    }
    assert_int_equal(al_self_attention(&l.out, &l.ws, al_unnamed(&l.x), &l.params, &PLAIN,
                                       NO_TRACE, NULL),
                     AL_OK);
    assert_int_equal(al_self_attention(&p.out, &p.ws, al_unnamed(&p.x), &p.params, &PLAIN,
                                       NO_TRACE, NULL),
                     AL_OK);
    for (int i = 0; i < 5; i++) {
        al_matrix permuted = al_matrix_rows(&p.out, i, 1);
        al_matrix original = al_matrix_rows(&l.out, order[i], 1);
        assert_matrices_close(&permuted, &original, OUTPUT_TOLERANCE);
    }
    layer_free(&l);
    layer_free(&p);
}

/* One head with W_O = I is plain attention: Q = X·W_Q, K = X·W_K,
 * V = X·W_V, then al_attend. Multiplying by I adds only exact zeros, so
 * the two agree to the bit. */
static void one_head_with_identity_w_o_is_plain_attention(void **state)
{
    (void)state;
    layer l = {0};
    layer_make(&l, 4, 4, 6, 1, false);
    layer_randomize(&l, 21);
    set_identity(&l.params.w_o, 1);
    assert_int_equal(al_self_attention(&l.out, &l.ws, al_unnamed(&l.x), &l.params, &PLAIN,
                                       NO_TRACE, NULL),
                     AL_OK);

    al_matrix q, k, v, out;
    al_attention_steps steps;
    al_scoring scoring = al_scoring_scaled_dot();
    assert_int_equal(al_matrix_alloc(&q, 4, 6, NULL), AL_OK);
    assert_int_equal(al_matrix_alloc(&k, 4, 6, NULL), AL_OK);
    assert_int_equal(al_matrix_alloc(&v, 4, 6, NULL), AL_OK);
    assert_int_equal(al_matrix_alloc(&out, 4, 6, NULL), AL_OK);
    assert_int_equal(al_attention_steps_alloc(&steps, 4, 4, &scoring, false, NULL), AL_OK);
    assert_int_equal(al_matmul(&q, &l.x, &l.params.w_q, NULL), AL_OK);
    assert_int_equal(al_matmul(&k, &l.x, &l.params.w_k, NULL), AL_OK);
    assert_int_equal(al_matmul(&v, &l.x, &l.params.w_v, NULL), AL_OK);
    assert_int_equal(al_attend(&out, &steps, &q, &k, &v, NULL, &scoring, NULL, NULL, NULL),
                     AL_OK);
    assert_matrices_close(&out, &l.out, 0.0);
    al_matrix_free(&q), al_matrix_free(&k), al_matrix_free(&v), al_matrix_free(&out);
    al_attention_steps_free(&steps);
    layer_free(&l);
}

/* Each head is plain attention on its own d_head columns of q, k, v, and
 * its output lands in its own columns of concat. Checked against copies
 * of the slices, so the strided views are checked too. */
static void each_head_is_attention_on_its_column_slice(void **state)
{
    (void)state;
    layer l = {0};
    layer_make(&l, 3, 3, 8, 4, true);
    layer_randomize(&l, 33);
    assert_int_equal(al_self_attention(&l.out, &l.ws, al_unnamed(&l.x), &l.params, &PLAIN,
                                       NO_TRACE, NULL),
                     AL_OK);
    al_matrix q = al_matrix_rows(&l.ws.q, 0, 3), k = al_matrix_rows(&l.ws.k, 0, 3);
    al_matrix v = al_matrix_rows(&l.ws.v, 0, 3), concat = al_matrix_rows(&l.ws.concat, 0, 3);
    al_scoring scoring = al_scoring_scaled_dot();
    for (int h = 0; h < 4; h++) {
        al_matrix q_h, k_h, v_h, out_h;
        al_attention_steps steps;
        assert_int_equal(al_matrix_alloc(&q_h, 3, 2, NULL), AL_OK);
        assert_int_equal(al_matrix_alloc(&k_h, 3, 2, NULL), AL_OK);
        assert_int_equal(al_matrix_alloc(&v_h, 3, 2, NULL), AL_OK);
        assert_int_equal(al_matrix_alloc(&out_h, 3, 2, NULL), AL_OK);
        assert_int_equal(al_attention_steps_alloc(&steps, 3, 3, &scoring, false, NULL), AL_OK);
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 2; j++) {
                *al_at(&q_h, i, j) = *al_at(&q, i, 2 * h + j);
                *al_at(&k_h, i, j) = *al_at(&k, i, 2 * h + j);
                *al_at(&v_h, i, j) = *al_at(&v, i, 2 * h + j);
            }
        }
        assert_int_equal(
            al_attend(&out_h, &steps, &q_h, &k_h, &v_h, NULL, &scoring, NULL, NULL, NULL),
            AL_OK);
        al_matrix concat_h = al_matrix_cols(&concat, 2 * h, 2);
        al_attention_steps in_ws = al_attention_head_steps(&l.ws, h);
        assert_matrices_close(&out_h, &concat_h, OUTPUT_TOLERANCE);
        assert_matrices_close(&steps.weights, &in_ws.weights, SUM_TOLERANCE);
        al_matrix_free(&q_h), al_matrix_free(&k_h), al_matrix_free(&v_h);
        al_matrix_free(&out_h);
        al_attention_steps_free(&steps);
    }
    layer_free(&l);
}

/* Cross-attention: 2 target tokens query 3 source tokens, so scores and
 * weights are 2 x 3, rows labelled by the target, columns by the source. */
static void cross_attention_scores_are_target_by_source(void **state)
{
    (void)state;
    layer l = {0};
    layer_make(&l, 2, 3, 4, 2, false);
    layer_randomize(&l, 8);
    al_matrix memory;
    assert_int_equal(al_matrix_alloc(&memory, 3, 4, NULL), AL_OK);
    al_rng rng;
    al_rng_seed(&rng, 4, 4);
    al_rng_fill_normal(&memory, &rng, 0, 1);
    const char *target[] = {"je", "suis"}, *source[] = {"I", "am", "here"};
    al_attention_call call = {.trace_inputs = true, .temperature = 1.0f};
    trace_scratch s;
    al_trace *trace = trace_scratch_open(&s);
    al_named decoder = {.value = &l.x, .name = "dec.0.norm1", .labels = target};
    al_named encoder = {.value = &memory, .name = "memory", .labels = source};
    al_trace_at at = {.trace = trace, .name = "dec.0.cross_attn"};
    assert_int_equal(
        al_cross_attention(&l.out, &l.ws, decoder, encoder, &l.params, &call, at, NULL), AL_OK);
    al_attention_steps h1 = al_attention_head_steps(&l.ws, 1);
    assert_int_equal(h1.weights.rows, 2);
    assert_int_equal(h1.weights.cols, 3);
    assert_rows_sum_to_one(&h1.weights);
    trace_scratch_read(&s, trace);
    trace_scratch_expect(&s, "dec.0.cross_attn.h1.weights",
                         "\"shape\": [2, 3], \"rows\": [\"je\", \"suis\"], "
                         "\"cols\": [\"I\", \"am\", \"here\"]");
    trace_scratch_expect(&s, "dec.0.cross_attn.k",
                         "\"op\": \"matmul\", \"inputs\": [\"memory\", \"dec.0.cross_attn.w_k\"]");
    trace_scratch_expect(&s, "dec.0.cross_attn.q",
                         "\"inputs\": [\"dec.0.norm1\", \"dec.0.cross_attn.w_q\"]");
    trace_scratch_expect(&s, "memory", "\"role\": \"input\"");
    trace_scratch_remove(&s);
    al_matrix_free(&memory);
    layer_free(&l);
}

/* A workspace made for 5 tokens serves 3 as well, with the same numbers
 * as a workspace made for exactly 3. */
static void a_workspace_serves_shorter_sequences(void **state)
{
    (void)state;
    layer big = {0}, small = {0};
    layer_make(&big, 5, 5, 8, 2, true);
    layer_make(&small, 3, 3, 8, 2, true);
    layer_randomize(&big, 13);
    layer_randomize(&small, 13);
    al_matrix x3 = al_matrix_rows(&big.x, 0, 3), out3 = al_matrix_rows(&big.out, 0, 3);
    assert_int_equal(al_copy(&small.x, &x3, NULL), AL_OK);
    assert_int_equal(al_self_attention(&big.out, &big.ws, al_unnamed(&big.x), &big.params, &PLAIN,
                                       NO_TRACE,
                                       NULL),
                     AL_OK);
    assert_int_equal(al_self_attention(&out3, &big.ws, al_unnamed(&x3), &big.params, &PLAIN,
                                       NO_TRACE, NULL),
                     AL_OK);
    assert_int_equal(al_self_attention(&small.out, &small.ws, al_unnamed(&small.x), &small.params,
                                       &PLAIN, NO_TRACE, NULL),
                     AL_OK);
    assert_matrices_close(&out3, &small.out, OUTPUT_TOLERANCE);
    layer_free(&big);
    layer_free(&small);
}

/* d_model must split into whole heads. */
static void d_model_that_does_not_split_into_heads_is_refused(void **state)
{
    (void)state;
    al_attention_params params;
    al_error err = {0};
    assert_int_equal(al_attention_params_alloc(&params, 10, 3, false, &err), AL_ERR_ARG);
    assert_non_null(strstr(err.message, "d_model 10 does not split into 3 heads"));
    assert_null(params.w_q.data);
    assert_int_equal(al_attention_params_alloc(&params, 8, 0, false, &err), AL_ERR_ARG);
    assert_non_null(strstr(err.message, "0 heads"));
}

/* Inputs of the wrong width, too many tokens for the workspace, a mask of
 * the wrong shape, a zero temperature: refused, naming the shapes. */
static void shape_errors_name_both_shapes(void **state)
{
    (void)state;
    layer l = {0};
    layer_make(&l, 3, 3, 4, 2, false);
    al_error err = {0};
    al_matrix wide;
    assert_int_equal(al_matrix_alloc(&wide, 3, 6, NULL), AL_OK);
    assert_int_equal(al_self_attention(&l.out, &l.ws, al_unnamed(&wide), &l.params, &PLAIN,
                                       NO_TRACE, &err),
                     AL_ERR_SHAPE);
    assert_non_null(strstr(err.message, "3 x 6"));
    assert_non_null(strstr(err.message, "d_model is 4"));

    al_matrix long_x, long_out;
    assert_int_equal(al_matrix_alloc(&long_x, 4, 4, NULL), AL_OK);
    assert_int_equal(al_matrix_alloc(&long_out, 4, 4, NULL), AL_OK);
    assert_int_equal(
        al_self_attention(&long_out, &l.ws, al_unnamed(&long_x), &l.params, &PLAIN, NO_TRACE, &err),
        AL_ERR_SHAPE);
    assert_non_null(strstr(err.message, "4 queries and 4 keys do not fit a workspace made for "
                                        "3 queries and 3 keys"));

    float mask_data[4] = {1, 1, 1, 1};
    al_matrix mask = al_matrix_wrap(mask_data, 2, 2);
    al_attention_call call = PLAIN;
    call.mask = &mask;
    assert_int_equal(al_self_attention(&l.out, &l.ws, al_unnamed(&l.x), &l.params, &call, NO_TRACE,
                                       &err),
                     AL_ERR_SHAPE);
    assert_non_null(strstr(err.message, "the mask is 2 x 2 but the scores are 3 x 3"));

    call = PLAIN;
    call.temperature = 0.0f;
    assert_int_equal(al_self_attention(&l.out, &l.ws, al_unnamed(&l.x), &l.params, &call, NO_TRACE,
                                       &err),
                     AL_ERR_VALUE);
    assert_non_null(strstr(err.message, "temperature"));
    al_matrix_free(&wide), al_matrix_free(&long_x), al_matrix_free(&long_out);
    layer_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_tokens_by_hand),
        cmocka_unit_test(three_tokens_with_zero_queries_average_the_values),
        cmocka_unit_test(causal_weights_above_the_diagonal_are_exactly_zero),
        cmocka_unit_test(padding_mask_zeroes_the_padded_keys),
        cmocka_unit_test(fully_masked_row_gives_zeros_and_a_warning),
        cmocka_unit_test(permuting_the_input_rows_permutes_the_output_rows),
        cmocka_unit_test(one_head_with_identity_w_o_is_plain_attention),
        cmocka_unit_test(each_head_is_attention_on_its_column_slice),
        cmocka_unit_test(cross_attention_scores_are_target_by_source),
        cmocka_unit_test(a_workspace_serves_shorter_sequences),
        cmocka_unit_test(d_model_that_does_not_split_into_heads_is_refused),
        cmocka_unit_test(shape_errors_name_both_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
