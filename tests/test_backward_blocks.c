/* test_backward_blocks.c: al_encoder_layer_backward and
 * al_decoder_layer_backward, post-norm and pre-norm, against central
 * finite differences of plain_encoder_layer and plain_decoder_layer
 * (plain_reference.c, plain loops over doubles): the encoder layer of
 * encoder_fixture.c (dx and all 16 parameters: W_Q ... b_O, both norms'
 * gamma and beta, W1, b1, W2, b2), the same layer as a decoder-only
 * model's (causal mask), and an encoder-decoder model's decoder layer
 * with cross-attention (dx, dmemory, which is added to, and 22 of its
 * tensors). Writing this test found the layer's backward workspace sized
 * its attention for the memory's keys only, too few for self-attention.
 *
 * Can it fail? Tried while writing it, then undone: leaving out the
 * shortcut's share (dx = F's backward alone) fails "dx" in both
 * placements (by 1.9 and 4.1); the pre-norm layer norm's backward given
 * add_1 instead of x fails "pre-norm dx" by 1.3; the reference for the
 * decoder-only layer without its causal mask fails "decoder post-norm dx"
 * and "decoder pre-norm dx". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "encoder_fixture.h"
#include "gradient_check.h"

/* About a dozen float steps in a row and two layer norms that divide by
 * row spreads below 1: the float gradient is a few times rougher than one
 * layer's (test_backward_layers.c), 1e-5 of its scale is still ten times
 * the rounding measured (gaps below 1e-6). */
#define FLOAT_GRADIENT 1e-5
#define REASON "float backward against a double forward through a whole layer"

enum { LENGTH = 5, MAX = D_FF * D_MODEL };

typedef struct layer_case {
    both_layers *b;
    double x[LENGTH * D_MODEL], r[LENGTH * D_MODEL];
    bool pre_norm;
} layer_case;

static double layer_loss(void *context)
{
    layer_case *c = context;
    double y[LENGTH * D_MODEL];
    assert_true(plain_encoder_layer(y, c->x, &c->b->plain, LENGTH, c->pre_norm));
    return gc_weighted_sum(y, c->r, LENGTH * D_MODEL);
}

static void check_layer(al_norm_placement norm, uint64_t seed)
{
    al_rng rng;
    al_rng_seed(&rng, seed, 0);
    static both_layers b;
    build_layers(&b, norm, &rng);
    al_model_config config = {
        .family = AL_FAMILY_ENCODER_ONLY, .norm = norm, .d_model = D_MODEL, .heads = HEADS,
        .encoder_layers = 1, .d_ff = D_FF, .vocab_size = 16,
        .positions = AL_POSITIONS_SINUSOIDAL, .biases = true,
        .norm_epsilon = AL_LAYER_NORM_EPSILON};
    al_encoder_layer grad;
    assert_int_equal(al_encoder_layer_alloc(&grad, &config, NULL), AL_OK);
    al_fill(&grad.attn_norm.gamma, 0.0f), al_fill(&grad.ffn_norm.gamma, 0.0f);

    float x_data[LENGTH * D_MODEL], r_data[LENGTH * D_MODEL], dx_data[LENGTH * D_MODEL];
    al_matrix x = al_matrix_wrap(x_data, LENGTH, D_MODEL);
    al_matrix r = al_matrix_wrap(r_data, LENGTH, D_MODEL);
    al_matrix dx = al_matrix_wrap(dx_data, LENGTH, D_MODEL);
    al_rng_fill_normal(&x, &rng, 0, 1), al_rng_fill_normal(&r, &rng, 0, 1);
    al_encoder_layer_workspace ws;
    al_layer_backward_workspace bw;
    assert_int_equal(al_encoder_layer_workspace_alloc(&ws, &b.layer, LENGTH, NULL), AL_OK);
    assert_int_equal(al_layer_backward_workspace_alloc(&bw, &b.layer.attn, D_FF, LENGTH, LENGTH,
                                                       NULL), AL_OK);
    al_layer_output y;
    assert_int_equal(al_encoder_layer_forward(&y, &ws, al_unnamed(&x), &b.layer, norm,
                                              (al_trace_at){0}, NULL), AL_OK);
    assert_int_equal(al_encoder_layer_backward(&dx, &grad, &bw, &r, &ws, &x, &b.layer, norm,
                                               NULL), AL_OK);

    layer_case c = {.b = &b, .pre_norm = norm == AL_NORM_PRE};
    gc_to_double(c.x, &x), gc_to_double(c.r, &r);
    const char *placement = c.pre_norm ? "pre-norm" : "post-norm";
    double numeric[MAX];
    char what[64];
    gc_central_differences(numeric, c.x, LENGTH * D_MODEL, layer_loss, &c);
    snprintf(what, sizeof what, "%s dx", placement);
    gc_expect_gradient(what, &dx, numeric, FLOAT_GRADIENT, REASON);

    const struct { const char *name; double *plain; const al_matrix *grad; } params[] = {
        {"dW_Q", b.w_q, &grad.attn.w_q}, {"dW_K", b.w_k, &grad.attn.w_k},
        {"dW_V", b.w_v, &grad.attn.w_v}, {"dW_O", b.w_o, &grad.attn.w_o},
        {"db_Q", b.b_q, &grad.attn.b_q}, {"db_K", b.b_k, &grad.attn.b_k},
        {"db_V", b.b_v, &grad.attn.b_v}, {"db_O", b.b_o, &grad.attn.b_o},
        {"dgamma1", b.gamma1, &grad.attn_norm.gamma}, {"dbeta1", b.beta1, &grad.attn_norm.beta},
        {"dW1", b.w1, &grad.ffn.first.w}, {"db1", b.b1, &grad.ffn.first.b},
        {"dW2", b.w2, &grad.ffn.second.w}, {"db2", b.b2, &grad.ffn.second.b},
        {"dgamma2", b.gamma2, &grad.ffn_norm.gamma}, {"dbeta2", b.beta2, &grad.ffn_norm.beta}};
    for (size_t n = 0; n < sizeof params / sizeof params[0]; n++) {
        const al_matrix *g = params[n].grad;
        gc_central_differences(numeric, params[n].plain, g->rows * g->cols, layer_loss, &c);
        snprintf(what, sizeof what, "%s %s", placement, params[n].name);
        gc_expect_gradient(what, g, numeric, FLOAT_GRADIENT, REASON);
    }
    al_layer_backward_workspace_free(&bw);
    al_encoder_layer_workspace_free(&ws);
    al_encoder_layer_free(&grad);
    al_encoder_layer_free(&b.layer);
}

/* A decoder-only model's layer is the encoder layer's two sublayers with
 * the causal mask on the self-attention: the same seeded weights copied
 * into an al_decoder_layer, against plain_encoder_layer with causal set. */
static void check_decoder_only_layer(al_norm_placement norm, uint64_t seed)
{
    al_rng rng;
    al_rng_seed(&rng, seed, 0);
    static both_layers b;
    build_layers(&b, norm, &rng);
    b.plain.causal = true;
    al_model_config config = {
        .family = AL_FAMILY_DECODER_ONLY, .norm = norm, .d_model = D_MODEL, .heads = HEADS,
        .decoder_layers = 1, .d_ff = D_FF, .vocab_size = 16,
        .positions = AL_POSITIONS_SINUSOIDAL, .biases = true,
        .norm_epsilon = AL_LAYER_NORM_EPSILON};
    al_decoder_layer layer, grad;
    assert_int_equal(al_decoder_layer_alloc(&layer, &config, NULL), AL_OK);
    assert_int_equal(al_decoder_layer_alloc(&grad, &config, NULL), AL_OK);
    assert_false(layer.has_cross);
    al_fill(&grad.self_attn_norm.gamma, 0.0f), al_fill(&grad.ffn_norm.gamma, 0.0f);
    const al_encoder_layer *e = &b.layer;
    const struct { al_matrix *to; const al_matrix *from; } copies[] = {
        {&layer.self_attn.w_q, &e->attn.w_q}, {&layer.self_attn.w_k, &e->attn.w_k},
        {&layer.self_attn.w_v, &e->attn.w_v}, {&layer.self_attn.w_o, &e->attn.w_o},
        {&layer.self_attn.b_q, &e->attn.b_q}, {&layer.self_attn.b_k, &e->attn.b_k},
        {&layer.self_attn.b_v, &e->attn.b_v}, {&layer.self_attn.b_o, &e->attn.b_o},
        {&layer.self_attn_norm.gamma, &e->attn_norm.gamma},
        {&layer.self_attn_norm.beta, &e->attn_norm.beta},
        {&layer.ffn.first.w, &e->ffn.first.w}, {&layer.ffn.first.b, &e->ffn.first.b},
        {&layer.ffn.second.w, &e->ffn.second.w}, {&layer.ffn.second.b, &e->ffn.second.b},
        {&layer.ffn_norm.gamma, &e->ffn_norm.gamma}, {&layer.ffn_norm.beta, &e->ffn_norm.beta}};
    for (size_t n = 0; n < sizeof copies / sizeof copies[0]; n++)
        assert_int_equal(al_copy(copies[n].to, copies[n].from, NULL), AL_OK);

    float x_data[LENGTH * D_MODEL], r_data[LENGTH * D_MODEL], dx_data[LENGTH * D_MODEL];
    al_matrix x = al_matrix_wrap(x_data, LENGTH, D_MODEL);
    al_matrix r = al_matrix_wrap(r_data, LENGTH, D_MODEL);
    al_matrix dx = al_matrix_wrap(dx_data, LENGTH, D_MODEL);
    al_rng_fill_normal(&x, &rng, 0, 1), al_rng_fill_normal(&r, &rng, 0, 1);
    al_decoder_layer_workspace ws;
    al_layer_backward_workspace bw;
    assert_int_equal(al_decoder_layer_workspace_alloc(&ws, &layer, LENGTH, 0, NULL), AL_OK);
    assert_int_equal(al_layer_backward_workspace_alloc(&bw, &layer.self_attn, D_FF, LENGTH,
                                                       LENGTH, NULL), AL_OK);
    al_layer_output y;
    assert_int_equal(al_decoder_layer_forward(&y, &ws, al_unnamed(&x), (al_named){0}, &layer,
                                              norm, (al_trace_at){0}, NULL), AL_OK);
    assert_int_equal(al_decoder_layer_backward(&dx, NULL, &grad, &bw, &r, &ws, &x, NULL, &layer,
                                               norm, NULL), AL_OK);

    layer_case c = {.b = &b, .pre_norm = norm == AL_NORM_PRE};
    gc_to_double(c.x, &x), gc_to_double(c.r, &r);
    const char *placement = c.pre_norm ? "decoder pre-norm" : "decoder post-norm";
    double numeric[MAX];
    char what[64];
    gc_central_differences(numeric, c.x, LENGTH * D_MODEL, layer_loss, &c);
    snprintf(what, sizeof what, "%s dx", placement);
    gc_expect_gradient(what, &dx, numeric, FLOAT_GRADIENT, REASON);
    const struct { const char *name; double *plain; const al_matrix *grad; } params[] = {
        {"dW_Q", b.w_q, &grad.self_attn.w_q}, {"dW_K", b.w_k, &grad.self_attn.w_k},
        {"dW_V", b.w_v, &grad.self_attn.w_v}, {"dW_O", b.w_o, &grad.self_attn.w_o},
        {"dgamma1", b.gamma1, &grad.self_attn_norm.gamma},
        {"dW1", b.w1, &grad.ffn.first.w}, {"dbeta2", b.beta2, &grad.ffn_norm.beta}};
    for (size_t n = 0; n < sizeof params / sizeof params[0]; n++) {
        const al_matrix *g = params[n].grad;
        gc_central_differences(numeric, params[n].plain, g->rows * g->cols, layer_loss, &c);
        snprintf(what, sizeof what, "%s %s", placement, params[n].name);
        gc_expect_gradient(what, g, numeric, FLOAT_GRADIENT, REASON);
    }
    al_layer_backward_workspace_free(&bw);
    al_decoder_layer_workspace_free(&ws);
    al_decoder_layer_free(&layer), al_decoder_layer_free(&grad);
    al_encoder_layer_free(&b.layer);
}

static void decoder_only_post_norm(void **state)
{
    (void)state;
    check_decoder_only_layer(AL_NORM_POST, 43);
}

static void decoder_only_pre_norm(void **state)
{
    (void)state;
    check_decoder_only_layer(AL_NORM_PRE, 44);
}

/* ---- a decoder layer with cross-attention ------------------------------------ */

enum { MEMORY = 4, DECODER_TENSORS = 22 };

/* Every parameter of an encoder-decoder model's decoder layer, as doubles,
 * and the plain layer pointing into them. */
typedef struct cross_case {
    double values[DECODER_TENSORS][D_FF * D_MODEL];
    double x[LENGTH * D_MODEL], memory[MEMORY * D_MODEL], r[LENGTH * D_MODEL];
    plain_decoder_weights plain;
    bool pre_norm;
} cross_case;

/* The 22 tensors checked here, in one fixed order: self-attention's 8,
 * cross-attention's 8, the three norms' gamma, W1, W2, b1. (The betas and
 * b2 are drawn too but only read: their gradients are plain sums that
 * test_backward_layers.c checks.) */
static void decoder_tensors(al_matrix *out[DECODER_TENSORS], al_decoder_layer *l)
{
    al_matrix *all[DECODER_TENSORS] = {
        &l->self_attn.w_q, &l->self_attn.w_k, &l->self_attn.w_v, &l->self_attn.w_o,
        &l->self_attn.b_q, &l->self_attn.b_k, &l->self_attn.b_v, &l->self_attn.b_o,
        &l->cross_attn.w_q, &l->cross_attn.w_k, &l->cross_attn.w_v, &l->cross_attn.w_o,
        &l->cross_attn.b_q, &l->cross_attn.b_k, &l->cross_attn.b_v, &l->cross_attn.b_o,
        &l->self_attn_norm.gamma, &l->cross_attn_norm.gamma, &l->ffn_norm.gamma,
        &l->ffn.first.w, &l->ffn.second.w, &l->ffn.first.b};
    memcpy(out, all, sizeof all);
}

static double cross_loss(void *context)
{
    cross_case *c = context;
    double y[LENGTH * D_MODEL];
    assert_true(plain_decoder_layer(y, c->x, c->memory, &c->plain, LENGTH, MEMORY, c->pre_norm));
    return gc_weighted_sum(y, c->r, LENGTH * D_MODEL);
}

static void check_cross_layer(al_norm_placement norm, uint64_t seed)
{
    al_rng rng;
    al_rng_seed(&rng, seed, 0);
    al_model_config config = {
        .family = AL_FAMILY_ENCODER_DECODER, .norm = norm, .d_model = D_MODEL, .heads = HEADS,
        .encoder_layers = 1, .decoder_layers = 1, .d_ff = D_FF, .vocab_size = 16,
        .positions = AL_POSITIONS_SINUSOIDAL, .biases = true,
        .norm_epsilon = AL_LAYER_NORM_EPSILON};
    al_decoder_layer layer, grad;
    assert_int_equal(al_decoder_layer_alloc(&layer, &config, NULL), AL_OK);
    assert_int_equal(al_decoder_layer_alloc(&grad, &config, NULL), AL_OK);
    assert_true(layer.has_cross);
    al_decoder_layer_init(&layer, &rng);
    al_matrix *betas[] = {&layer.self_attn_norm.beta, &layer.cross_attn_norm.beta,
                          &layer.ffn_norm.beta, &layer.ffn.second.b};
    al_matrix *t[DECODER_TENSORS], *g[DECODER_TENSORS];
    decoder_tensors(t, &layer), decoder_tensors(g, &grad);
    for (int k = 4; k < 8; k++) {  /* the biases of both attentions */
        al_rng_fill_uniform(t[k], &rng, -0.5f, 0.5f);
        al_rng_fill_uniform(t[k + 8], &rng, -0.5f, 0.5f);
    }
    for (int k = 16; k < 19; k++)
        al_rng_fill_uniform(t[k], &rng, 0.5f, 1.5f), al_fill(g[k], 0.0f);
    al_rng_fill_uniform(t[21], &rng, -0.5f, 0.5f);
    for (int k = 0; k < 4; k++)
        al_rng_fill_uniform(betas[k], &rng, -0.5f, 0.5f);

    static cross_case c;
    c.pre_norm = norm == AL_NORM_PRE;
    double beta_values[4][D_MODEL];
    for (int k = 0; k < DECODER_TENSORS; k++)
        gc_to_double(c.values[k], t[k]);
    for (int k = 0; k < 4; k++)
        gc_to_double(beta_values[k], betas[k]);
    double *v[DECODER_TENSORS];
    for (int k = 0; k < DECODER_TENSORS; k++)
        v[k] = c.values[k];
    c.plain = (plain_decoder_weights){
        .d_model = D_MODEL, .heads = HEADS, .d_ff = D_FF,
        .self = {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]},
        .cross = {v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15]},
        .gamma1 = v[16], .beta1 = beta_values[0], .gamma2 = v[17], .beta2 = beta_values[1],
        .gamma3 = v[18], .beta3 = beta_values[2], .w1 = v[19], .b1 = v[21], .w2 = v[20],
        .b2 = beta_values[3], .epsilon = layer.ffn_norm.epsilon};

    float x_data[LENGTH * D_MODEL], m_data[MEMORY * D_MODEL], r_data[LENGTH * D_MODEL];
    float dx_data[LENGTH * D_MODEL], dm_data[MEMORY * D_MODEL];
    al_matrix x = al_matrix_wrap(x_data, LENGTH, D_MODEL);
    al_matrix memory = al_matrix_wrap(m_data, MEMORY, D_MODEL);
    al_matrix r = al_matrix_wrap(r_data, LENGTH, D_MODEL);
    al_matrix dx = al_matrix_wrap(dx_data, LENGTH, D_MODEL);
    al_matrix dmemory = al_matrix_wrap(dm_data, MEMORY, D_MODEL);
    al_rng_fill_normal(&x, &rng, 0, 1), al_rng_fill_normal(&memory, &rng, 0, 1);
    al_rng_fill_normal(&r, &rng, 0, 1);
    /* dmemory is added to: start it at 1 and take the 1 off again below */
    al_fill(&dmemory, 1.0f);
    al_decoder_layer_workspace ws;
    al_layer_backward_workspace bw;
    assert_int_equal(al_decoder_layer_workspace_alloc(&ws, &layer, LENGTH, MEMORY, NULL), AL_OK);
    assert_int_equal(al_layer_backward_workspace_alloc(&bw, &layer.self_attn, D_FF, LENGTH,
                                                       MEMORY, NULL), AL_OK);
    al_layer_output y;
    assert_int_equal(al_decoder_layer_forward(&y, &ws, al_unnamed(&x), al_unnamed(&memory),
                                              &layer, norm, (al_trace_at){0}, NULL), AL_OK);
    assert_int_equal(al_decoder_layer_backward(&dx, &dmemory, &grad, &bw, &r, &ws, &x, &memory,
                                               &layer, norm, NULL), AL_OK);
    for (int i = 0; i < MEMORY * D_MODEL; i++)
        dm_data[i] -= 1.0f;

    gc_to_double(c.x, &x), gc_to_double(c.memory, &memory), gc_to_double(c.r, &r);
    const char *placement = c.pre_norm ? "cross pre-norm" : "cross post-norm";
    double numeric[MAX];
    char what[64];
    gc_central_differences(numeric, c.x, LENGTH * D_MODEL, cross_loss, &c);
    snprintf(what, sizeof what, "%s dx", placement);
    gc_expect_gradient(what, &dx, numeric, FLOAT_GRADIENT, REASON);
    gc_central_differences(numeric, c.memory, MEMORY * D_MODEL, cross_loss, &c);
    snprintf(what, sizeof what, "%s dmemory", placement);
    gc_expect_gradient(what, &dmemory, numeric, FLOAT_GRADIENT, REASON);
    const char *names[DECODER_TENSORS] = {
        "self dW_Q", "self dW_K", "self dW_V", "self dW_O", "self db_Q", "self db_K",
        "self db_V", "self db_O", "cross dW_Q", "cross dW_K", "cross dW_V", "cross dW_O",
        "cross db_Q", "cross db_K", "cross db_V", "cross db_O", "dgamma1", "dgamma2",
        "dgamma3", "dW1", "dW2", "db1"};
    for (int k = 0; k < DECODER_TENSORS; k++) {
        gc_central_differences(numeric, c.values[k], t[k]->rows * t[k]->cols, cross_loss, &c);
        snprintf(what, sizeof what, "%s %s", placement, names[k]);
        gc_expect_gradient(what, g[k], numeric, FLOAT_GRADIENT, REASON);
    }
    al_layer_backward_workspace_free(&bw);
    al_decoder_layer_workspace_free(&ws);
    al_decoder_layer_free(&layer), al_decoder_layer_free(&grad);
}

static void cross_post_norm(void **state)
{
    (void)state;
    check_cross_layer(AL_NORM_POST, 45);
}

static void cross_pre_norm(void **state)
{
    (void)state;
    check_cross_layer(AL_NORM_PRE, 46);
}

static void post_norm_layer(void **state)
{
    (void)state;
    check_layer(AL_NORM_POST, 41);
}

static void pre_norm_layer(void **state)
{
    (void)state;
    check_layer(AL_NORM_PRE, 42);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(post_norm_layer),
        cmocka_unit_test(pre_norm_layer),
        cmocka_unit_test(decoder_only_post_norm),
        cmocka_unit_test(decoder_only_pre_norm),
        cmocka_unit_test(cross_post_norm),
        cmocka_unit_test(cross_pre_norm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
