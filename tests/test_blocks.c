/* test_blocks.c: the encoder and decoder layers: post-norm and pre-norm
 * on a case small enough to work by hand, the names each placement
 * traces, the decoder's causality (a later token never changes an earlier
 * row, bit for bit), cross-attention reading the memory, and the checks
 * made before anything is computed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "attnlab/blocks.h"
#include "check.h"
#include "trace_capture.h"
#include "trace_scratch.h"

#define EPSILON 1e-5f

/* The hand-worked numbers are below 5; each passes through a few float32
 * roundings (2^-21 at that size, about 5e-7) on top of the double maths. */
#define HAND_TOLERANCE 2e-6

static const al_model_config TINY = {
    .family = AL_FAMILY_ENCODER_DECODER, .norm = AL_NORM_POST, .d_model = 2, .heads = 1,
    .encoder_layers = 1, .decoder_layers = 1, .d_ff = 2, .vocab_size = 8,
    .positions = AL_POSITIONS_SINUSOIDAL, .norm_epsilon = EPSILON};

static void identity(al_matrix *m)
{
    al_fill(m, 0.0f);
    for (int i = 0; i < m->rows && i < m->cols; i++)
        *al_at(m, i, i) = 1.0f;
}

/* W_Q = W_K = 0, so every score is 0 and each token's attention weights are
 * 1/2, 1/2: the attention output is the mean of the rows of x · W_V · W_O,
 * with W_V = W_O = I. The FFN has W1 = W2 = I, so FFN(z) = max(0, z). */
static void hand_layer(al_encoder_layer *layer, al_norm_placement norm)
{
    al_model_config config = TINY;
    config.norm = norm;
    assert_int_equal(al_encoder_layer_alloc(layer, &config, NULL), AL_OK);
    identity(&layer->attn.w_v);
    identity(&layer->attn.w_o);
    identity(&layer->ffn.first.w);
    identity(&layer->ffn.second.w);
}

static al_layer_output run_hand_layer(al_encoder_layer *layer, al_encoder_layer_workspace *ws,
                                      al_norm_placement norm, al_trace *trace)
{
    static float x_data[4] = {1, 3, 3, 1};
    static const char *const labels[2] = {"a", "b"};
    al_matrix x = al_matrix_wrap(x_data, 2, 2);
    hand_layer(layer, norm);
    assert_int_equal(al_encoder_layer_workspace_alloc(ws, layer, 4, NULL), AL_OK);
    al_named input = {.value = &x, .name = "x", .labels = labels};
    al_trace_at at = {.trace = trace, .name = "enc.0"};
    al_layer_output y;
    al_error err;
    if (al_encoder_layer_forward(&y, ws, input, layer, norm, at, &err) != AL_OK)
        fail_msg("%s", err.message);
    return y;
}

/* x = (1, 3), (3, 1); k = 1 / sqrt(1 + eps).
 * post-norm:  attn.out = (2, 2) for both rows (the mean of the rows);
 *   add1 = (3, 5), (5, 3); each row has mean 4 and variance 1, so
 *   norm1 = (-k, k), (k, -k); FFN = max(0, .) = (0, k), (k, 0);
 *   add2 = (-k, 2k), (2k, -k): mean k/2, deviations ±1.5k, variance 2.25k²,
 *   norm2 = (-1.5k, 1.5k) / sqrt(2.25k² + eps) ≈ (-1, 1), and (1, -1). */
static void post_norm_by_hand(void **state)
{
    (void)state;
    al_encoder_layer layer;
    al_encoder_layer_workspace ws;
    al_layer_output y = run_hand_layer(&layer, &ws, AL_NORM_POST, NULL);
    double k = 1.0 / sqrt(1.0 + EPSILON);
    double out = 1.5 * k / sqrt(2.25 * k * k + EPSILON);
    assert_string_equal(y.name, "enc.0.norm2");
    assert_close(*al_at(&ws.attn.out, 0, 0), 2.0, HAND_TOLERANCE);
    assert_close(*al_at(&ws.attn.out, 1, 1), 2.0, HAND_TOLERANCE);
    assert_close(*al_at(&ws.attn.norm, 0, 0), -k, HAND_TOLERANCE);
    assert_close(*al_at(&ws.ffn.add, 0, 1), 2.0 * k, HAND_TOLERANCE);
    assert_close(*al_at(&y.value, 0, 0), -out, HAND_TOLERANCE);
    assert_close(*al_at(&y.value, 0, 1), out, HAND_TOLERANCE);
    assert_close(*al_at(&y.value, 1, 0), out, HAND_TOLERANCE);
    assert_close(*al_at(&y.value, 1, 1), -out, HAND_TOLERANCE);
    al_encoder_layer_workspace_free(&ws);
    al_encoder_layer_free(&layer);
}

/* pre-norm: norm1 = LayerNorm(x) = (-k, k), (k, -k); attention averages
 *   the rows: (0, 0) exactly, so add1 = x; norm2 = LayerNorm(add1) =
 *   (-k, k), (k, -k); FFN = (0, k), (k, 0); add2 = (1, 3 + k), (3 + k, 1).
 * The output is add2 ≈ (1, 4), (4, 1), not normalised: a pre-norm stack
 * ends with a layer norm of its own. */
static void pre_norm_by_hand(void **state)
{
    (void)state;
    al_encoder_layer layer;
    al_encoder_layer_workspace ws;
    al_layer_output y = run_hand_layer(&layer, &ws, AL_NORM_PRE, NULL);
    double k = 1.0 / sqrt(1.0 + EPSILON);
    assert_string_equal(y.name, "enc.0.add2");
    assert_close(*al_at(&ws.attn.norm, 0, 1), k, HAND_TOLERANCE);
    assert_close(*al_at(&ws.attn.out, 0, 0), 0.0, HAND_TOLERANCE);
    assert_close(*al_at(&ws.attn.add, 1, 0), 3.0, HAND_TOLERANCE);
    assert_close(*al_at(&y.value, 0, 0), 1.0, HAND_TOLERANCE);
    assert_close(*al_at(&y.value, 0, 1), 3.0 + k, HAND_TOLERANCE);
    assert_close(*al_at(&y.value, 1, 0), 3.0 + k, HAND_TOLERANCE);
    assert_close(*al_at(&y.value, 1, 1), 1.0, HAND_TOLERANCE);
    al_encoder_layer_workspace_free(&ws);
    al_encoder_layer_free(&layer);
}

/* Post-norm: attention reads x, add1 = x + attn.out, norm1 normalises it
 * and the FFN reads norm1. */
static void post_norm_names(void **state)
{
    (void)state;
    trace_capture c;
    capture_start(&c);
    al_encoder_layer layer;
    al_encoder_layer_workspace ws;
    run_hand_layer(&layer, &ws, AL_NORM_POST, c.trace);
    capture_finish(&c);
    assert_trace_has(&c, "\"name\": \"enc.0.attn.q\", \"role\": \"activation\", \"op\": "
                         "\"matmul\", \"inputs\": [\"x\", \"enc.0.attn.w_q\"]");
    assert_trace_has(&c, "\"name\": \"enc.0.add1\", \"role\": \"activation\", \"op\": \"add\", "
                         "\"inputs\": [\"x\", \"enc.0.attn.out\"]");
    assert_trace_has(&c, "\"name\": \"enc.0.norm1\", \"role\": \"activation\", \"op\": "
                         "\"layer_norm\", \"inputs\": [\"enc.0.add1\"");
    /* the hand layer's FFN has no biases: a product, not "linear" */
    assert_trace_has(&c, "\"name\": \"enc.0.ffn.pre_relu\", \"role\": \"activation\", \"op\": "
                         "\"matmul\", \"inputs\": [\"enc.0.norm1\", \"enc.0.ffn.w1\"]");
    assert_trace_has(&c, "\"name\": \"enc.0.add2\", \"role\": \"activation\", \"op\": \"add\", "
                         "\"inputs\": [\"enc.0.norm1\", \"enc.0.ffn.out\"]");
    assert_trace_has(&c, "\"name\": \"enc.0.norm2\", \"role\": \"activation\", \"op\": "
                         "\"layer_norm\", \"inputs\": [\"enc.0.add2\"");
    capture_free(&c);
    al_encoder_layer_workspace_free(&ws);
    al_encoder_layer_free(&layer);
}

/* Pre-norm: norm1 normalises x, attention reads norm1, add1 = x + attn.out;
 * norm2 normalises add1, the FFN reads norm2, add2 = add1 + ffn.out. */
static void pre_norm_names(void **state)
{
    (void)state;
    trace_capture c;
    capture_start(&c);
    al_encoder_layer layer;
    al_encoder_layer_workspace ws;
    run_hand_layer(&layer, &ws, AL_NORM_PRE, c.trace);
    capture_finish(&c);
    assert_trace_has(&c, "\"name\": \"enc.0.norm1\", \"role\": \"activation\", \"op\": "
                         "\"layer_norm\", \"inputs\": [\"x\"");
    assert_trace_has(&c, "\"name\": \"enc.0.attn.q\", \"role\": \"activation\", \"op\": "
                         "\"matmul\", \"inputs\": [\"enc.0.norm1\", \"enc.0.attn.w_q\"]");
    assert_trace_has(&c, "\"name\": \"enc.0.add1\", \"role\": \"activation\", \"op\": \"add\", "
                         "\"inputs\": [\"x\", \"enc.0.attn.out\"]");
    assert_trace_has(&c, "\"name\": \"enc.0.norm2\", \"role\": \"activation\", \"op\": "
                         "\"layer_norm\", \"inputs\": [\"enc.0.add1\"");
    assert_trace_has(&c, "\"name\": \"enc.0.add2\", \"role\": \"activation\", \"op\": \"add\", "
                         "\"inputs\": [\"enc.0.add1\", \"enc.0.ffn.out\"]");
    capture_free(&c);
    al_encoder_layer_workspace_free(&ws);
    al_encoder_layer_free(&layer);
}

/* --- the decoder layer ------------------------------------------------------------ */

#define L 5
#define S 3
#define D 8

typedef struct decoder_case {
    al_decoder_layer layer;
    al_decoder_layer_workspace ws;
    al_matrix x, memory, before;
} decoder_case;

static void decoder_start(decoder_case *d, al_family family, al_norm_placement norm)
{
    al_model_config config = TINY;
    config.family = family;
    config.encoder_layers = family == AL_FAMILY_ENCODER_DECODER ? 1 : 0;
    config.norm = norm;
    config.d_model = D, config.heads = 2, config.d_ff = 16, config.biases = true;
    assert_int_equal(al_decoder_layer_alloc(&d->layer, &config, NULL), AL_OK);
    al_rng rng;
    al_rng_seed(&rng, 7, 0);
    al_decoder_layer_init(&d->layer, &rng);
    assert_int_equal(al_decoder_layer_workspace_alloc(&d->ws, &d->layer, L, S, NULL), AL_OK);
    assert_int_equal(al_matrix_alloc(&d->x, L, D, NULL), AL_OK);
    assert_int_equal(al_matrix_alloc(&d->memory, S, D, NULL), AL_OK);
    assert_int_equal(al_matrix_alloc(&d->before, L, D, NULL), AL_OK);
    al_rng_fill_normal(&d->x, &rng, 0.0f, 1.0f);
    al_rng_fill_normal(&d->memory, &rng, 0.0f, 1.0f);
}

static void decoder_end(decoder_case *d)
{
    al_matrix_free(&d->x);
    al_matrix_free(&d->memory);
    al_matrix_free(&d->before);
    al_decoder_layer_workspace_free(&d->ws);
    al_decoder_layer_free(&d->layer);
}

static al_layer_output decoder_run(decoder_case *d)
{
    al_layer_output y;
    al_error err;
    al_named x = {.value = &d->x, .name = "dec.x"};
    al_named memory = {.value = d->layer.has_cross ? &d->memory : NULL, .name = "memory"};
    al_trace_at named = {.name = "dec.0"};  /* not traced, but y is named */
    if (al_decoder_layer_forward(&y, &d->ws, x, memory, &d->layer, AL_NORM_POST, named, &err))
        fail_msg("%s", err.message);
    return y;
}

/* Rows 0 .. changed-1 of a and b are the same floats, bit for bit, and
 * row changed differs somewhere. */
static void assert_rows_same_before(const al_matrix *a, const al_matrix *b, int changed)
{
    for (int i = 0; i < changed; i++)
        for (int j = 0; j < a->cols; j++)
            assert_same_float(*al_at(a, i, j), *al_at(b, i, j));
    bool differs = false;
    for (int j = 0; j < a->cols; j++)
        differs = differs || *al_at(a, changed, j) != *al_at(b, changed, j);
    assert_true(differs);
}

/* Changing token 3's input changes row 3 of the output but not rows 0-2:
 * the causal mask gives later tokens a weight of exactly 0, and every
 * other step (projections, norms, the FFN) works on each row alone. */
static void decoder_later_token_changes_nothing_before(al_family family, al_norm_placement norm)
{
    decoder_case d;
    decoder_start(&d, family, norm);
    al_layer_output y = decoder_run(&d);
    al_copy(&d.before, &y.value, NULL);
    for (int j = 0; j < D; j++)
        *al_at(&d.x, 3, j) += 1.0f;
    y = decoder_run(&d);
    assert_rows_same_before(&d.before, &y.value, 3);
    decoder_end(&d);
}

static void decoder_is_causal(void **state)
{
    (void)state;
    decoder_later_token_changes_nothing_before(AL_FAMILY_ENCODER_DECODER, AL_NORM_POST);
    decoder_later_token_changes_nothing_before(AL_FAMILY_ENCODER_DECODER, AL_NORM_PRE);
    decoder_later_token_changes_nothing_before(AL_FAMILY_DECODER_ONLY, AL_NORM_POST);
}

/* Cross-attention reads the memory: changing one memory row changes every
 * decoder row (each query sees every source token). */
static void decoder_reads_the_memory(void **state)
{
    (void)state;
    decoder_case d;
    decoder_start(&d, AL_FAMILY_ENCODER_DECODER, AL_NORM_POST);
    al_layer_output y = decoder_run(&d);
    al_copy(&d.before, &y.value, NULL);
    *al_at(&d.memory, S - 1, 0) += 1.0f;
    y = decoder_run(&d);
    for (int i = 0; i < L; i++) {
        bool differs = false;
        for (int j = 0; j < D; j++)
            differs = differs || *al_at(&d.before, i, j) != *al_at(&y.value, i, j);
        assert_true(differs);
    }
    decoder_end(&d);
}

/* A decoder-only layer has no cross-attention and its FFN is sublayer 2. */
static void decoder_only_has_two_sublayers(void **state)
{
    (void)state;
    decoder_case d;
    decoder_start(&d, AL_FAMILY_DECODER_ONLY, AL_NORM_POST);
    assert_false(d.layer.has_cross);
    assert_null(d.layer.cross_attn.w_q.data);
    al_layer_output y = decoder_run(&d);
    assert_string_equal(y.name, "dec.0.norm2");
    decoder_end(&d);
}

/* Too many rows, a memory of the wrong width, a missing memory: refused
 * before computing, with the shapes in the message. */
static void decoder_refusals(void **state)
{
    (void)state;
    decoder_case d;
    decoder_start(&d, AL_FAMILY_ENCODER_DECODER, AL_NORM_POST);
    al_trace_at named = {.name = "dec.0"};  /* not traced; the name is for messages */
    al_named x = al_unnamed(&d.x);
    al_layer_output y;
    al_error err;
    al_matrix narrow = al_matrix_cols(&d.memory, 0, D - 1);
    assert_int_equal(al_decoder_layer_forward(&y, &d.ws, x, al_unnamed(&narrow), &d.layer,
                                              AL_NORM_POST, named, &err), AL_ERR_SHAPE);
    assert_string_equal(err.message, "dec.0: the memory is 3 x 7 but d_model is 8");
    assert_int_equal(al_decoder_layer_forward(&y, &d.ws, x, (al_named){0}, &d.layer,
                                              AL_NORM_POST, named, &err), AL_ERR_ARG);
    al_matrix big;
    assert_int_equal(al_matrix_alloc(&big, L + 1, D, NULL), AL_OK);
    assert_int_equal(al_decoder_layer_forward(&y, &d.ws, al_unnamed(&big), al_unnamed(&d.memory),
                                              &d.layer, AL_NORM_POST, named, &err),
                     AL_ERR_SHAPE);
    assert_string_equal(err.message, "dec.0: x has 6 rows but the workspace holds 1 to 5");
    /* a traced call must say what its input is called */
    trace_scratch s;
    al_trace *trace = trace_scratch_open(&s);
    assert_int_equal(al_decoder_layer_forward(&y, &d.ws, x, al_unnamed(&d.memory), &d.layer,
                                              AL_NORM_POST, (al_trace_at){trace, "dec.0"}, &err),
                     AL_ERR_ARG);
    assert_non_null(strstr(err.message, "tracing needs a prefix, the name of the input"));
    al_trace_discard(trace);
    trace_scratch_remove(&s);
    al_matrix_free(&big);
    decoder_end(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(post_norm_by_hand),
        cmocka_unit_test(pre_norm_by_hand),
        cmocka_unit_test(post_norm_names),
        cmocka_unit_test(pre_norm_names),
        cmocka_unit_test(decoder_is_causal),
        cmocka_unit_test(decoder_reads_the_memory),
        cmocka_unit_test(decoder_only_has_two_sublayers),
        cmocka_unit_test(decoder_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
