/* test_train_packed.c: the packed pass (al_transformer_forward_packed and
 * al_transformer_backward_packed: a batch's sequences stacked as one
 * matrix, attention block by block) against the sequences run one at a
 * time through al_transformer_forward and al_transformer_backward, for all
 * three families, on a batch of three sequences of different lengths
 * (5, 3 and 7 tokens, with padding targets): the same loss and the same
 * gradient of every parameter tensor, and the same bytes when run twice.
 * Not whether the gradients are right (test_backward_model.c and the
 * NumPy references ask that); only whether packing changes them.
 * Can it fail? Leaving the blocks out of the attention calls (tried, then
 * undone) is refused: "the mask is 7 x 7 but the scores are 15 x 15", and
 * without a mask 15 keys do not fit a workspace made for blocks of 7. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "attnlab/train.h"

/* The packed pass sums the same products in another order: the weight
 * gradients (dW += xᵀ · dy) sum over all 15 rows in one product instead of
 * three products of 5, 3 and 7 rows, and OpenBLAS blocks a longer sum
 * differently. float32 keeps about 7 digits (epsilon 1.2e-7); through two
 * layers the rounding grows by a few tens at most, so the loss may differ
 * by a few parts in 1e7 of itself and a gradient entry by a few parts in
 * 1e6 of the tensor's largest entry. The measured gaps are printed; they
 * are at most 3.5e-8 (loss) and 2.9e-7 (gradients), so the tolerances
 * leave a margin of about 20 for other BLAS kernels (OPENBLAS_CORETYPE). */
#define LOSS_TOLERANCE 1e-6    /* relative to the loss                                 */
#define GRAD_TOLERANCE 5e-6f   /* relative to the tensor's largest |entry|, at least 1 */

enum { V = 14, COUNT = 3, LONGEST = 7, TOKENS = 15 };

static const int LENGTHS[COUNT] = {5, 3, 7};
static const int IDS[COUNT][LONGEST] = {{AL_TOKEN_CLS, 6, 7, 8, 9},
                                        {AL_TOKEN_CLS, 10, 11},
                                        {AL_TOKEN_CLS, 12, 13, 6, 8, 7, 9}};
static const int SOURCES[COUNT][LONGEST] = {{6, 9, 12, 7}, {8, 8, 13, 10, 11, 6}, {7, 13}};
static const int SOURCE_LENGTHS[COUNT] = {4, 6, 2};
static const int SEGMENTS[COUNT][LONGEST] = {{0, 0, 0, 1, 1}, {0, 1, 1}, {0, 0, 0, 0, 1, 1, 1}};
static const int TARGETS[COUNT][LONGEST] = {{7, 8, 9, 10, AL_IGNORE_TARGET},
                                            {11, AL_IGNORE_TARGET, 6},
                                            {12, 13, 6, 8, 7, 9, AL_IGNORE_TARGET}};

static al_model_config family_config(al_family family)
{
    al_model_config c = {.family = family, .d_model = 16, .heads = 2, .d_ff = 24,
                         .vocab_size = V, .biases = true,
                         .norm_epsilon = AL_LAYER_NORM_EPSILON};
    if (family == AL_FAMILY_DECODER_ONLY) {   /* GPT-style: pre-norm, learned, tied */
        c.norm = AL_NORM_PRE, c.decoder_layers = 2, c.positions = AL_POSITIONS_LEARNED;
        c.max_positions = 8, c.tied_output = true;
    } else if (family == AL_FAMILY_ENCODER_ONLY) {  /* BERT-style: segments, embed norm */
        c.norm = AL_NORM_POST, c.encoder_layers = 2, c.segments = 2;
        c.embedding_norm = true, c.output_bias = true;
    } else {                                  /* the paper's: post-norm, both stacks */
        c.norm = AL_NORM_POST, c.encoder_layers = 2, c.decoder_layers = 2;
        c.output_bias = true;
    }
    return c;
}

typedef struct batch {
    al_sequence inputs[COUNT], sources[COUNT];
    int targets[TOKENS];
    int counted[COUNT], all_counted;
} batch;

static void make_batch(batch *b, al_family family)
{
    int row = 0;
    b->all_counted = 0;
    for (int s = 0; s < COUNT; s++) {
        b->inputs[s] = (al_sequence){.length = LENGTHS[s], .ids = IDS[s],
                                     .segments = family == AL_FAMILY_ENCODER_ONLY ? SEGMENTS[s]
                                                                                : NULL};
        b->sources[s] = (al_sequence){.length = SOURCE_LENGTHS[s], .ids = SOURCES[s]};
        b->counted[s] = 0;
        for (int i = 0; i < LENGTHS[s]; i++) {
            b->targets[row++] = TARGETS[s][i];
            b->counted[s] += TARGETS[s][i] != AL_IGNORE_TARGET;
        }
        b->all_counted += b->counted[s];
    }
}

/* A model of the family and a zeroed gradient beside it. */
static void make_model(al_transformer *model, al_transformer *grad, al_family family)
{
    al_model_config config = family_config(family);
    assert_int_equal(al_transformer_alloc(model, &config, NULL), AL_OK);
    assert_int_equal(al_transformer_alloc(grad, &config, NULL), AL_OK);
    al_rng rng;
    al_rng_seed(&rng, 11, 0);
    al_transformer_init(model, &rng);
}

/* One at a time: loss = Σ_b loss_b · N_b / N, and each sequence's
 * gradient from dlogits_b = (probs_b - onehot) / N_b · N_b / N. */
static double one_at_a_time(al_transformer *grad, const al_transformer *model, const batch *b)
{
    bool cross = model->config.family == AL_FAMILY_ENCODER_DECODER;
    al_transformer_workspace ws;
    al_transformer_backward_workspace bw;
    al_matrix probs, dlogits;
    assert_int_equal(al_transformer_workspace_alloc(&ws, model, LONGEST, NULL), AL_OK);
    assert_int_equal(al_transformer_backward_workspace_alloc(&bw, model, LONGEST, NULL), AL_OK);
    assert_int_equal(al_matrix_alloc(&probs, LONGEST, V, NULL), AL_OK);
    assert_int_equal(al_matrix_alloc(&dlogits, LONGEST, V, NULL), AL_OK);
    double total = 0.0;
    al_error err;
    for (int s = 0, row = 0; s < COUNT; row += LENGTHS[s], s++) {
        const al_sequence *first = cross ? &b->sources[s] : &b->inputs[s];
        const al_sequence *second = cross ? &b->inputs[s] : NULL;
        if (al_transformer_forward(&ws, model, first, second, NULL, NULL, &err) != AL_OK)
            fail_msg("forward of sequence %d: %s", s, err.message);
        al_matrix logits = al_matrix_rows(&ws.logits, 0, LENGTHS[s]);
        al_matrix p = al_matrix_rows(&probs, 0, LENGTHS[s]);
        al_matrix d = al_matrix_rows(&dlogits, 0, LENGTHS[s]);
        double loss;
        assert_int_equal(al_cross_entropy(&loss, &p, &logits, &b->targets[row], NULL), AL_OK);
        total += loss * b->counted[s] / b->all_counted;
        assert_int_equal(al_cross_entropy_backward(&d, &p, &b->targets[row], NULL), AL_OK);
        al_scale(&d, &d, (float)((double)b->counted[s] / b->all_counted), NULL);
        if (al_transformer_backward(grad, &bw, &d, &ws, model, first, second, &err) != AL_OK)
            fail_msg("backward of sequence %d: %s", s, err.message);
    }
    al_matrix_free(&probs), al_matrix_free(&dlogits);
    al_transformer_backward_workspace_free(&bw);
    al_transformer_workspace_free(&ws);
    return total;
}

/* Packed: one pass over the 15 rows, one cross-entropy over all of them
 * (its mean is over the N targets that count), one backward. */
static double packed(al_transformer *grad, const al_transformer *model, const batch *b)
{
    bool cross = model->config.family == AL_FAMILY_ENCODER_DECODER;
    al_transformer_workspace ws;
    al_transformer_backward_workspace bw;
    al_matrix probs, dlogits;
    assert_int_equal(al_transformer_workspace_alloc_packed(&ws, model, LONGEST, TOKENS, NULL),
                     AL_OK);
    assert_int_equal(al_transformer_backward_workspace_alloc(&bw, model, TOKENS, NULL), AL_OK);
    assert_int_equal(al_matrix_alloc(&probs, TOKENS, V, NULL), AL_OK);
    assert_int_equal(al_matrix_alloc(&dlogits, TOKENS, V, NULL), AL_OK);
    const al_sequence *firsts = cross ? b->sources : b->inputs;
    const al_sequence *seconds = cross ? b->inputs : NULL;
    al_error err;
    if (al_transformer_forward_packed(&ws, model, firsts, seconds, COUNT, &err) != AL_OK)
        fail_msg("packed forward: %s", err.message);
    al_matrix logits = al_matrix_rows(&ws.logits, 0, TOKENS);
    double loss;
    assert_int_equal(al_cross_entropy(&loss, &probs, &logits, b->targets, NULL), AL_OK);
    assert_int_equal(al_cross_entropy_backward(&dlogits, &probs, b->targets, NULL), AL_OK);
    if (al_transformer_backward_packed(grad, &bw, &dlogits, &ws, model, firsts, seconds, COUNT,
                                       &err) != AL_OK)
        fail_msg("packed backward: %s", err.message);
    al_matrix_free(&probs), al_matrix_free(&dlogits);
    al_transformer_backward_workspace_free(&bw);
    al_transformer_workspace_free(&ws);
    return loss;
}

static float largest_abs(const al_matrix *m)
{
    float largest = 0.0f;
    for (int i = 0; i < m->rows; i++)
        for (int j = 0; j < m->cols; j++)
            largest = fmaxf(largest, fabsf(*al_at(m, i, j)));
    return largest;
}

static void packed_matches_one_at_a_time(al_family family)
{
    batch b;
    make_batch(&b, family);
    al_transformer model, grad_single, grad_packed;
    make_model(&model, &grad_single, family);
    al_model_config config = model.config;
    assert_int_equal(al_transformer_alloc(&grad_packed, &config, NULL), AL_OK);
    double loss_single = one_at_a_time(&grad_single, &model, &b);
    double loss_packed = packed(&grad_packed, &model, &b);
    double loss_gap = fabs(loss_packed - loss_single) / fabs(loss_single);
    printf("%s: loss one at a time %.9g, packed %.9g (relative gap %.3g, tolerance %.3g)\n",
           al_family_name(family), loss_single, loss_packed, loss_gap, LOSS_TOLERANCE);
    assert_true(loss_gap <= LOSS_TOLERANCE);

    int count = al_transformer_param_list(&model, NULL, NULL, 0);
    al_matrix *single[128], *pack[128];
    char names[128][AL_NAME_SIZE];
    assert_true(count <= 128);
    al_transformer_param_list(&grad_single, single, names, count);
    al_transformer_param_list(&grad_packed, pack, NULL, count);
    float worst = 0.0f;
    int worst_k = 0;
    for (int k = 0; k < count; k++) {
        float scale = fmaxf(1.0f, largest_abs(single[k]));
        float gap = al_max_abs_diff(single[k], pack[k]) / scale;
        if (gap >= worst)
            worst = gap, worst_k = k;
    }
    printf("%s: %d gradients, the largest relative gap %.9g in %s (largest entry %.9g one at "
           "a time, %.9g packed; tolerance %.3g)\n", al_family_name(family), count,
           (double)worst, names[worst_k], (double)largest_abs(single[worst_k]),
           (double)largest_abs(pack[worst_k]), (double)GRAD_TOLERANCE);
    assert_true(worst <= GRAD_TOLERANCE);
    al_transformer_free(&grad_packed);
    al_transformer_free(&grad_single);
    al_transformer_free(&model);
}

/* The same packed pass twice gives the same bytes: loss and every gradient. */
static void packed_is_deterministic(al_family family)
{
    batch b;
    make_batch(&b, family);
    al_transformer model, first, second;
    make_model(&model, &first, family);
    al_model_config config = model.config;
    assert_int_equal(al_transformer_alloc(&second, &config, NULL), AL_OK);
    double loss_first = packed(&first, &model, &b), loss_second = packed(&second, &model, &b);
    assert_memory_equal(&loss_first, &loss_second, sizeof loss_first);
    int count = al_transformer_param_list(&model, NULL, NULL, 0);
    al_matrix *a[128], *c[128];
    assert_true(count <= 128);
    al_transformer_param_list(&first, a, NULL, count);
    al_transformer_param_list(&second, c, NULL, count);
    for (int k = 0; k < count; k++)
        for (int i = 0; i < a[k]->rows; i++)
            assert_memory_equal(al_at(a[k], i, 0), al_at(c[k], i, 0),
                                sizeof(float) * (size_t)a[k]->cols);
    al_transformer_free(&second);
    al_transformer_free(&first);
    al_transformer_free(&model);
}

static void decoder_only_matches(void **state)
{
    (void)state;
    packed_matches_one_at_a_time(AL_FAMILY_DECODER_ONLY);
}

static void encoder_only_matches(void **state)
{
    (void)state;
    packed_matches_one_at_a_time(AL_FAMILY_ENCODER_ONLY);
}

static void encoder_decoder_matches(void **state)
{
    (void)state;
    packed_matches_one_at_a_time(AL_FAMILY_ENCODER_DECODER);
}

static void every_family_is_deterministic(void **state)
{
    (void)state;
    packed_is_deterministic(AL_FAMILY_DECODER_ONLY);
    packed_is_deterministic(AL_FAMILY_ENCODER_ONLY);
    packed_is_deterministic(AL_FAMILY_ENCODER_DECODER);
}

/* al_train_step with trainer.packed against without, on the decoder-only
 * batch: the same loss and gradient norm within the tolerances above. */
static void a_packed_step_matches(void **state)
{
    (void)state;
    batch b;
    make_batch(&b, AL_FAMILY_DECODER_ONLY);
    al_batch_item items[COUNT];
    for (int s = 0, row = 0; s < COUNT; row += LENGTHS[s], s++)
        items[s] = (al_batch_item){.input = b.inputs[s], .targets = &b.targets[row]};
    al_transformer one, two, unused;
    make_model(&one, &unused, AL_FAMILY_DECODER_ONLY);
    al_transformer_free(&unused);
    make_model(&two, &unused, AL_FAMILY_DECODER_ONLY);
    al_transformer_free(&unused);
    al_trainer single, pack;
    assert_int_equal(al_trainer_alloc(&single, &one, LONGEST, NULL), AL_OK);
    assert_int_equal(al_trainer_alloc(&pack, &two, LONGEST, NULL), AL_OK);
    pack.packed = true;
    al_train_settings s = {.adamw = AL_ADAMW_DEFAULTS, .schedule = {.max_lr = 1e-3,
                                                                    .min_lr = 1e-3}};
    double loss1, loss2, norm1, norm2;
    assert_int_equal(al_train_step(&single, &one, items, COUNT, &s, &loss1, &norm1, NULL),
                     AL_OK);
    assert_int_equal(al_train_step(&pack, &two, items, COUNT, &s, &loss2, &norm2, NULL), AL_OK);
    printf("al_train_step: loss %.9g one at a time, %.9g packed; gradient norm %.9g, %.9g\n",
           loss1, loss2, norm1, norm2);
    assert_true(fabs(loss2 - loss1) <= LOSS_TOLERANCE * fabs(loss1));
    assert_true(fabs(norm2 - norm1) <= GRAD_TOLERANCE * fmax(1.0, norm1));
    al_trainer_free(&pack), al_trainer_free(&single);
    al_transformer_free(&two), al_transformer_free(&one);
}

/* More tokens than the workspace holds is refused before anything runs. */
static void too_many_tokens_are_refused(void **state)
{
    (void)state;
    batch b;
    make_batch(&b, AL_FAMILY_DECODER_ONLY);
    al_transformer model, grad;
    make_model(&model, &grad, AL_FAMILY_DECODER_ONLY);
    al_transformer_workspace ws;
    assert_int_equal(al_transformer_workspace_alloc_packed(&ws, &model, LONGEST, TOKENS - 1,
                                                           NULL), AL_OK);
    al_error err;
    assert_int_equal(al_transformer_forward_packed(&ws, &model, b.inputs, NULL, COUNT, &err),
                     AL_ERR_SHAPE);
    assert_non_null(strstr(err.message, "15 tokens"));
    al_transformer_workspace_free(&ws);
    al_transformer_free(&grad);
    al_transformer_free(&model);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decoder_only_matches),
        cmocka_unit_test(encoder_only_matches),
        cmocka_unit_test(encoder_decoder_matches),
        cmocka_unit_test(every_family_is_deterministic),
        cmocka_unit_test(a_packed_step_matches),
        cmocka_unit_test(too_many_tokens_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
