/* encoder_fixture.c: one seeded encoder layer, in attnlab and as doubles
 * for plain_reference.c (encoder_fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "encoder_fixture.h"
#include "gradient_check.h"

void build_layers(both_layers *b, al_norm_placement norm, al_rng *rng)
{
    al_model_config config = {
        .family = AL_FAMILY_ENCODER_ONLY, .norm = norm, .d_model = D_MODEL, .heads = HEADS,
        .encoder_layers = 1, .d_ff = D_FF, .vocab_size = 16,
        .positions = AL_POSITIONS_SINUSOIDAL, .biases = true,
        .norm_epsilon = AL_LAYER_NORM_EPSILON};
    al_error err;
    if (al_encoder_layer_alloc(&b->layer, &config, &err) != AL_OK)
        fail_msg("al_encoder_layer_alloc: %s", err.message);
    al_encoder_layer *l = &b->layer;
    al_encoder_layer_init(l, rng);
    al_matrix *biases[] = {&l->attn.b_q, &l->attn.b_k, &l->attn.b_v, &l->attn.b_o,
                           &l->ffn.first.b, &l->ffn.second.b, &l->attn_norm.beta,
                           &l->ffn_norm.beta};
    for (size_t n = 0; n < sizeof biases / sizeof biases[0]; n++)
        al_rng_fill_uniform(biases[n], rng, -0.5f, 0.5f);
    al_rng_fill_uniform(&l->attn_norm.gamma, rng, 0.5f, 1.5f);
    al_rng_fill_uniform(&l->ffn_norm.gamma, rng, 0.5f, 1.5f);

    const struct { double *plain; const al_matrix *library; } copies[] = {
        {b->w_q, &l->attn.w_q}, {b->w_k, &l->attn.w_k}, {b->w_v, &l->attn.w_v},
        {b->w_o, &l->attn.w_o}, {b->b_q, &l->attn.b_q}, {b->b_k, &l->attn.b_k},
        {b->b_v, &l->attn.b_v}, {b->b_o, &l->attn.b_o},
        {b->gamma1, &l->attn_norm.gamma}, {b->beta1, &l->attn_norm.beta},
        {b->w1, &l->ffn.first.w}, {b->b1, &l->ffn.first.b},
        {b->w2, &l->ffn.second.w}, {b->b2, &l->ffn.second.b},
        {b->gamma2, &l->ffn_norm.gamma}, {b->beta2, &l->ffn_norm.beta}};
    for (size_t n = 0; n < sizeof copies / sizeof copies[0]; n++)
        gc_to_double(copies[n].plain, copies[n].library);
    assert_true(l->attn_norm.epsilon == l->ffn_norm.epsilon);
    b->plain = (plain_encoder_weights){
        .d_model = D_MODEL, .heads = HEADS, .d_ff = D_FF,
        .w_q = b->w_q, .w_k = b->w_k, .w_v = b->w_v, .w_o = b->w_o,
        .b_q = b->b_q, .b_k = b->b_k, .b_v = b->b_v, .b_o = b->b_o,
        .gamma1 = b->gamma1, .beta1 = b->beta1, .w1 = b->w1, .b1 = b->b1,
        .w2 = b->w2, .b2 = b->b2, .gamma2 = b->gamma2, .beta2 = b->beta2,
        .epsilon = l->attn_norm.epsilon};
}

