/* test_train.c: al_train_step on tiny models. A decoder-only one learns
 * (the loss of one short sentence falls from about log V to near 0 in 150
 * steps), it is deterministic (two runs from the same seed give the same
 * losses bit for bit), a batch weighs its sequences by their targets
 * (two copies of a sentence make the step one copy makes, a sequence of
 * padding adds nothing; one at a time and packed), and a batch with no target is
 * refused. An encoder-decoder model learns a translation of one sentence
 * (its source read by the encoder, teacher forcing in the decoder) and
 * refuses an item without a source. Whether each gradient is right is test_backward_model.c's
 * question; this one asks whether the step puts them together right.
 * Can it fail? Leaving out the N_b / N weighting (tried, then undone)
 * doubles the gradient of the pair: "norm2 = 4.83, expected 2.41". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>

#include "attnlab/train.h"
#include "check.h"

enum { V = 12, L = 6 };

/* "6 7 8 9 10 11": each token's target is the next one; the last has none */
static const int IDS[L] = {6, 7, 8, 9, 10, 11};
static const int NEXT[L] = {7, 8, 9, 10, 11, AL_IGNORE_TARGET};
static const int NONE[L] = {AL_IGNORE_TARGET, AL_IGNORE_TARGET, AL_IGNORE_TARGET,
                            AL_IGNORE_TARGET, AL_IGNORE_TARGET, AL_IGNORE_TARGET};

static void tiny_model(al_transformer *model, uint64_t seed)
{
    al_model_config config = {
        .family = AL_FAMILY_DECODER_ONLY, .norm = AL_NORM_PRE, .d_model = 16, .heads = 2,
        .decoder_layers = 1, .d_ff = 32, .vocab_size = V, .positions = AL_POSITIONS_LEARNED,
        .max_positions = 8, .biases = true, .tied_output = true,
        .norm_epsilon = AL_LAYER_NORM_EPSILON};
    assert_int_equal(al_transformer_alloc(model, &config, NULL), AL_OK);
    al_rng rng;
    al_rng_seed(&rng, seed, 0);
    al_transformer_init(model, &rng);
    /* GPT-2's 0.02 for the embeddings (al_transformer_init draws N(0, 1),
     * which with tied output weights starts far from uniform) */
    al_scale(&model->embed.table, &model->embed.table, 0.02f, NULL);
    al_scale(&model->pos_table, &model->pos_table, 0.02f, NULL);
}

static al_train_settings settings(void)
{
    return (al_train_settings){.adamw = AL_ADAMW_DEFAULTS,
                               .schedule = {.max_lr = 1e-2, .min_lr = 1e-3, .warmup = 10,
                                            .total = 150},
                               .clip_norm = 1.0};
}

/* 150 steps on the one sentence; the losses go into losses[150]. */
static void train_sentence(double *losses, uint64_t seed)
{
    al_transformer model;
    tiny_model(&model, seed);
    al_trainer trainer;
    assert_int_equal(al_trainer_alloc(&trainer, &model, L, NULL), AL_OK);
    al_batch_item batch[1] = {{.input = {.length = L, .ids = IDS}, .targets = NEXT}};
    al_train_settings s = settings();
    al_error err;
    for (int step = 0; step < 150; step++)
        if (al_train_step(&trainer, &model, batch, 1, &s, &losses[step], NULL, &err) != AL_OK)
            fail_msg("step %d: %s", step, err.message);
    assert_int_equal(trainer.step, 150);
    al_trainer_free(&trainer);
    al_transformer_free(&model);
}

static void a_sentence_is_learned(void **state)
{
    (void)state;
    double losses[150];
    train_sentence(losses, 7);
    print_message("loss at step 1 %.9g (log V = %.9g), step 50 %.9g, step 150 %.9g\n",
                  losses[0], log(V), losses[49], losses[149]);
    assert_true(fabs(losses[0] - log(V)) < 0.5);  /* untrained: about uniform */
    assert_true(losses[149] < 0.05);
    assert_true(losses[149] < losses[49] && losses[49] < losses[0]);
}

static void the_same_seed_gives_the_same_run(void **state)
{
    (void)state;
    double first[150], second[150];
    train_sentence(first, 8);
    train_sentence(second, 8);
    assert_memory_equal(first, second, sizeof first);
}

/* One sentence at a time (trainer.packed false), the gradient of
 * [sentence, padding] equals that of [sentence] bit for bit: padding's
 * share is nothing and the sentence's weight is 5/5. Packed (the
 * default), it is the same up to float rounding: OpenBLAS may round a
 * row's products by where the row sits in the stacked matrix. Either way
 * the gradient of [sentence, sentence] is the same up to float rounding:
 * each copy's share is scaled by exactly 1/2, but the halves are summed in
 * another order than one whole (a layer norm's dgamma adds row by row).
 * The gradients are compared, not the weights after the step: AdamW
 * divides by the gradient's own size, so weights would hide a gradient
 * twice too large; no clipping here for the same reason. */
static void check_batch_weighing(bool packed)
{
    al_transformer one, two, padded;
    tiny_model(&one, 9), tiny_model(&two, 9), tiny_model(&padded, 9);
    al_trainer t1, t2, t3;
    assert_int_equal(al_trainer_alloc(&t1, &one, L, NULL), AL_OK);
    assert_int_equal(al_trainer_alloc(&t2, &two, L, NULL), AL_OK);
    assert_int_equal(al_trainer_alloc(&t3, &padded, L, NULL), AL_OK);
    assert_true(t1.packed);   /* the default */
    t1.packed = t2.packed = t3.packed = packed;
    al_batch_item sentence = {.input = {.length = L, .ids = IDS}, .targets = NEXT};
    al_batch_item padding = {.input = {.length = L, .ids = IDS}, .targets = NONE};
    al_batch_item pair[2] = {sentence, sentence}, with_padding[2] = {sentence, padding};
    al_train_settings s = settings();
    s.clip_norm = 0.0;
    double loss1, loss2, loss3, norm1, norm2, norm3;
    assert_int_equal(al_train_step(&t1, &one, &sentence, 1, &s, &loss1, &norm1, NULL), AL_OK);
    assert_int_equal(al_train_step(&t2, &two, pair, 2, &s, &loss2, &norm2, NULL), AL_OK);
    assert_int_equal(al_train_step(&t3, &padded, with_padding, 2, &s, &loss3, &norm3, NULL),
                     AL_OK);
    print_message("%s: losses %.9g, %.9g, %.9g; gradient norms %.9g, %.9g, %.9g\n",
                  packed ? "packed" : "one at a time", loss1, loss2, loss3, norm1, norm2,
                  norm3);
    /* tolerance: float32 rounding of the same sums in another order */
    double rounding = 1e-6;
    if (packed) {
        assert_close(loss2, loss1, rounding * loss1);
        assert_close(loss3, loss1, rounding * loss1);
        assert_close(norm3, norm1, rounding * norm1);
    } else {
        assert_true(loss1 == loss2 && loss1 == loss3);
        assert_true(norm1 == norm3);
    }
    assert_close(norm2, norm1, rounding * norm1);
    double worst_pair = 0.0, worst_padded = 0.0;
    for (int k = 0; k < t1.count; k++) {
        const al_matrix *a = t1.grads[k], *b = t2.grads[k], *c = t3.grads[k];
        if (!packed)
            assert_memory_equal(a->data, c->data, (size_t)a->rows * a->cols * sizeof(float));
        for (int i = 0; i < a->rows; i++)
            for (int j = 0; j < a->cols; j++) {
                float x = *al_at(a, i, j);
                worst_pair = fmax(worst_pair, fabs((double)x - *al_at(b, i, j)));
                worst_padded = fmax(worst_padded, fabs((double)x - *al_at(c, i, j)));
            }
    }
    print_message("one copy against two: gradients differ by at most %.9g, against one with "
                  "padding %.9g (allowed %g: rounding of a sum in another order)\n",
                  worst_pair, worst_padded, rounding);
    assert_true(worst_pair <= rounding && worst_padded <= rounding);
    al_batch_item only_padding[1] = {padding};
    al_error err;
    assert_int_equal(al_train_step(&t1, &one, only_padding, 1, &s, NULL, NULL, &err),
                     AL_ERR_ARG);
    assert_string_equal(err.message, "trainer: the batch has no target that counts (all 1 "
                                     "sequences are padding)");
    al_trainer_free(&t1), al_trainer_free(&t2), al_trainer_free(&t3);
    al_transformer_free(&one), al_transformer_free(&two), al_transformer_free(&padded);
}

static void a_batch_weighs_sequences_by_their_targets(void **state)
{
    (void)state;
    check_batch_weighing(false);
}

static void a_packed_batch_weighs_sequences_by_their_targets(void **state)
{
    (void)state;
    check_batch_weighing(true);
}

/* "6 7 8" -> <bos> 9 10 11, learning 9 10 11 <eos>: only the encoder sees
 * the source, so the loss can fall only through the cross-attention. */
static void a_translation_is_learned(void **state)
{
    (void)state;
    static const int SOURCE[3] = {6, 7, 8};
    static const int READ[4] = {AL_TOKEN_BOS, 9, 10, 11};
    static const int WRITE[4] = {9, 10, 11, AL_TOKEN_EOS};
    al_model_config config = {
        .family = AL_FAMILY_ENCODER_DECODER, .norm = AL_NORM_PRE, .d_model = 16, .heads = 2,
        .encoder_layers = 1, .decoder_layers = 1, .d_ff = 32, .vocab_size = V,
        .positions = AL_POSITIONS_SINUSOIDAL, .biases = true, .tied_output = true,
        .norm_epsilon = AL_LAYER_NORM_EPSILON};
    al_transformer model;
    assert_int_equal(al_transformer_alloc(&model, &config, NULL), AL_OK);
    al_rng rng;
    al_rng_seed(&rng, 10, 0);
    al_transformer_init(&model, &rng);
    al_scale(&model.embed.table, &model.embed.table, 0.02f, NULL);
    al_trainer trainer;
    assert_int_equal(al_trainer_alloc(&trainer, &model, L, NULL), AL_OK);
    al_batch_item pair = {.input = {.length = 4, .ids = READ}, .targets = WRITE,
                          .source = {.length = 3, .ids = SOURCE}};
    al_train_settings s = settings();
    al_error err;
    double first = 0.0, last = 0.0;
    for (int step = 0; step < 150; step++)
        if (al_train_step(&trainer, &model, &pair, 1, &s, step ? &last : &first, NULL, &err) !=
            AL_OK)
            fail_msg("step %d: %s", step, err.message);
    print_message("translation loss at step 1 %.9g (log V = %.9g), step 150 %.9g\n", first,
                  log(V), last);
    assert_true(fabs(first - log(V)) < 0.5);
    assert_true(last < 0.05);

    al_batch_item no_source = {.input = {.length = 4, .ids = READ}, .targets = WRITE};
    assert_int_equal(al_train_step(&trainer, &model, &no_source, 1, &s, NULL, NULL, &err),
                     AL_ERR_ARG);
    assert_string_equal(err.message, "trainer: an encoder-decoder model needs a source for "
                                     "every sequence");
    assert_int_equal(trainer.step, 150);   /* the refused step changed nothing */
    al_trainer_free(&trainer);
    al_transformer_free(&model);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_sentence_is_learned),
        cmocka_unit_test(the_same_seed_gives_the_same_run),
        cmocka_unit_test(a_batch_weighs_sequences_by_their_targets),
        cmocka_unit_test(a_packed_batch_weighs_sequences_by_their_targets),
        cmocka_unit_test(a_translation_is_learned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
