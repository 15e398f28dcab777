/* encoder_fixture.h: one encoder layer with seeded weights, in attnlab and
 * as the same numbers in double for plain_reference.h, for the tests that
 * compare the two (test_plain_reference.c) or differentiate the plain one
 * (test_backward_blocks.c). Include after <cmocka.h>. */
#ifndef ATTNLAB_TESTS_ENCODER_FIXTURE_H
#define ATTNLAB_TESTS_ENCODER_FIXTURE_H

#include "attnlab/blocks.h"
#include "attnlab/rng.h"
#include "plain_reference.h"

#define D_MODEL 8
#define HEADS 2
#define D_FF 16

/* The library's layer, and the same numbers as doubles for the plain one. */
typedef struct both_layers {
    al_encoder_layer layer;
    double w_q[D_MODEL * D_MODEL], w_k[D_MODEL * D_MODEL], w_v[D_MODEL * D_MODEL];
    double w_o[D_MODEL * D_MODEL], b_q[D_MODEL], b_k[D_MODEL], b_v[D_MODEL], b_o[D_MODEL];
    double gamma1[D_MODEL], beta1[D_MODEL], gamma2[D_MODEL], beta2[D_MODEL];
    double w1[D_MODEL * D_FF], b1[D_FF], w2[D_FF * D_MODEL], b2[D_MODEL];
    plain_encoder_weights plain;
} both_layers;

/* Seeded weights; biases, gamma and beta drawn too (the library starts
 * them at 0 and 1, which would hide a bias added twice or not at all).
 * The caller frees b->layer with al_encoder_layer_free. */
void build_layers(both_layers *b, al_norm_placement norm, al_rng *rng);

#endif
