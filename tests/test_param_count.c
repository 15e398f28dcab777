/* test_param_count.c: parameter counts worked out by hand for the three
 * presets (transformer-base, bert-base, gpt1) and a tiny model, their
 * distance from the published figures, what tying, biases and pre-norm
 * change, the tensor list behind the counts, and refused configurations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "attnlab/model_layout.h"
#include "attnlab/param_count.h"

/* "Within a few percent" of the published round figures. */
#define PUBLISHED_TOLERANCE 0.03

static al_param_count count_of(const al_model_config *config)
{
    al_param_count count;
    assert_int_equal(al_param_count_config(&count, config, NULL), AL_OK);
    return count;
}

static al_param_count preset_count(const char *name)
{
    const al_preset *preset = al_preset_find(name);
    assert_non_null(preset);
    return count_of(&preset->config);
}

static void assert_within_published(const char *name, long long total)
{
    const al_preset *preset = al_preset_find(name);
    double ratio = (double)total / (double)preset->published;
    if (ratio < 1 - PUBLISHED_TOLERANCE || ratio > 1 + PUBLISHED_TOLERANCE)
        fail_msg("%s: %lld is %.2f%% from the published %lld", name, total,
                 100 * (ratio - 1), preset->published);
}

/* transformer-base: d = 512, h = 8, 6 + 6 layers, d_ff = 2048, V = 37000,
 * one shared and tied embedding table, biases, post-norm, sinusoidal.
 *   embeddings        37000 · 512                                  = 18,944,000
 *   one attention     4 · 512 · 512 + 4 · 512 = 1,048,576 + 2,048  =  1,050,624
 *   one FFN           512 · 2048 + 2048 + 2048 · 512 + 512         =  2,099,712
 *   one layer norm    2 · 512                                      =      1,024
 *   encoder layer     1,050,624 + 2,099,712 + 2 · 1,024            =  3,152,384
 *   decoder layer     2 · 1,050,624 + 2,099,712 + 3 · 1,024        =  4,204,032
 *   attention  6 · 1,050,624 + 12 · 1,050,624 = 18 · 1,050,624      = 18,911,232
 *   FFN        12 · 2,099,712                                      = 25,196,544
 *   norms      (6 · 2 + 6 · 3) · 1,024                             =     30,720
 *   total      18,944,000 + 18,911,232 + 25,196,544 + 30,720       = 63,082,496
 *   biases     18 · 2,048 + 12 · (2,048 + 512)                     =     67,584 */
static void transformer_base_by_hand(void **state)
{
    (void)state;
    al_param_count count = preset_count("transformer-base");
    assert_int_equal(count.parts[AL_PART_EMBEDDING], 18944000);
    assert_int_equal(count.parts[AL_PART_POSITIONAL], 0);
    assert_int_equal(count.parts[AL_PART_ATTENTION], 18911232);
    assert_int_equal(count.parts[AL_PART_FFN], 25196544);
    assert_int_equal(count.parts[AL_PART_NORM], 30720);
    assert_int_equal(count.parts[AL_PART_OUTPUT], 0);
    assert_int_equal(count.per_encoder_layer, 3152384);
    assert_int_equal(count.per_decoder_layer, 4204032);
    assert_int_equal(count.biases, 67584);
    assert_int_equal(count.total, 63082496);
    assert_within_published("transformer-base", count.total);
}

/* bert-base: d = 768, h = 12, 12 encoder layers, d_ff = 3072, V = 30522,
 * 512 learned positions, 2 segments, embedding layer norm, pooler.
 *   embeddings   30522 · 768                                       = 23,440,896
 *   positional   512 · 768                                         =    393,216
 *   segments     2 · 768                                           =      1,536
 *   one attention 4 · 768 · 768 + 4 · 768 = 2,359,296 + 3,072       =  2,362,368
 *   one FFN      768 · 3072 + 3072 + 3072 · 768 + 768               =  4,722,432
 *   layer        2,362,368 + 4,722,432 + 2 · 1,536                 =  7,087,872
 *   attention    12 · 2,362,368                                    = 28,348,416
 *   FFN          12 · 4,722,432                                    = 56,669,184
 *   norms        1,536 + 12 · 2 · 1,536                            =     38,400
 *   pooler       768 · 768 + 768                                   =    590,592
 *   total                                                          = 109,482,240 */
static void bert_base_by_hand(void **state)
{
    (void)state;
    al_param_count count = preset_count("bert-base");
    assert_int_equal(count.parts[AL_PART_EMBEDDING], 23440896);
    assert_int_equal(count.parts[AL_PART_POSITIONAL], 393216);
    assert_int_equal(count.parts[AL_PART_SEGMENT], 1536);
    assert_int_equal(count.parts[AL_PART_ATTENTION], 28348416);
    assert_int_equal(count.parts[AL_PART_FFN], 56669184);
    assert_int_equal(count.parts[AL_PART_NORM], 38400);
    assert_int_equal(count.parts[AL_PART_POOLER], 590592);
    assert_int_equal(count.parts[AL_PART_OUTPUT], 0);
    assert_int_equal(count.per_encoder_layer, 7087872);
    assert_int_equal(count.per_decoder_layer, 0);
    assert_int_equal(count.total, 109482240);
    assert_within_published("bert-base", count.total);
}

/* gpt1: d = 768, h = 12, 12 decoder layers (no cross-attention), d_ff =
 * 3072, V = 40478, 512 learned positions, tied output without bias.
 *   embeddings   40478 · 768 = 30,720,000 + 367,104                = 31,087,104
 *   positional   512 · 768                                         =    393,216
 *   layer        as BERT's                                         =  7,087,872
 *   attention, FFN as BERT: 28,348,416 and 56,669,184
 *   norms        12 · 2 · 1,536                                    =     36,864
 *   total        31,087,104 + 393,216 + 12 · 7,087,872             = 116,534,784 */
static void gpt1_by_hand(void **state)
{
    (void)state;
    al_param_count count = preset_count("gpt1");
    assert_int_equal(count.parts[AL_PART_EMBEDDING], 31087104);
    assert_int_equal(count.parts[AL_PART_POSITIONAL], 393216);
    assert_int_equal(count.parts[AL_PART_ATTENTION], 28348416);
    assert_int_equal(count.parts[AL_PART_FFN], 56669184);
    assert_int_equal(count.parts[AL_PART_NORM], 36864);
    assert_int_equal(count.per_decoder_layer, 7087872);
    assert_int_equal(count.total, 116534784);
    assert_within_published("gpt1", count.total);
}

/* Untying the output adds a d_model x V matrix (768 · 40478 = 31,087,104)
 * and an output bias adds V = 40,478. */
static void untied_output_adds_a_second_table(void **state)
{
    (void)state;
    al_model_config config = al_preset_find("gpt1")->config;
    config.tied_output = false;
    config.output_bias = true;
    al_param_count count = count_of(&config);
    assert_int_equal(count.parts[AL_PART_OUTPUT], 31087104 + 40478);
    assert_int_equal(count.total, 116534784 + 31087104 + 40478);
}

/* A tiny encoder-decoder, d = 4, h = 2, 1 + 1 layers, d_ff = 8, V = 10, no
 * biases, tied:
 *   embeddings 10 · 4 = 40; encoder layer: attention 4 · 16 = 64, FFN
 *   4 · 8 + 8 · 4 = 64, norms 2 · 8 = 16 → 144; decoder layer: attention
 *   128, FFN 64, norms 24 → 216; total 40 + 144 + 216 = 400.
 * Pre-norm adds a final norm to each stack: 2 · 8 = 16 more. */
static void tiny_model_and_pre_norm_by_hand(void **state)
{
    (void)state;
    al_model_config config = {.family = AL_FAMILY_ENCODER_DECODER, .norm = AL_NORM_POST,
                              .d_model = 4, .heads = 2, .encoder_layers = 1,
                              .decoder_layers = 1, .d_ff = 8, .vocab_size = 10,
                              .tied_output = true, .norm_epsilon = 1e-5f};
    al_param_count count = count_of(&config);
    assert_int_equal(count.per_encoder_layer, 144);
    assert_int_equal(count.per_decoder_layer, 216);
    assert_int_equal(count.biases, 0);
    assert_int_equal(count.total, 400);
    config.norm = AL_NORM_PRE;
    assert_int_equal(count_of(&config).total, 416);
}

/* The tensor list behind the counts, for the tiny model with biases:
 * names in order, shapes in the configuration's words. */
static void layout_lists_names_shapes_and_order(void **state)
{
    (void)state;
    al_model_config config = {.family = AL_FAMILY_ENCODER_DECODER, .norm = AL_NORM_PRE,
                              .d_model = 4, .heads = 2, .encoder_layers = 1,
                              .decoder_layers = 1, .d_ff = 8, .vocab_size = 10,
                              .biases = true, .tied_output = false, .norm_epsilon = 1e-5f};
    int n;
    assert_int_equal(al_model_layout(NULL, 0, &n, &config, NULL), AL_OK);
    /* embed 1; encoder 8 + 2 + 4 + 2 = 16, final norm 2; decoder 8 + 2 + 8 + 2
     * + 4 + 2 = 26, final norm 2; logits.w 1 */
    assert_int_equal(n, 1 + 16 + 2 + 26 + 2 + 1);
    al_param_spec specs[48];
    assert_int_equal(al_model_layout(specs, 48, &n, &config, NULL), AL_OK);
    const char *expected[] = {"embed.table", "enc.0.attn.w_q", "enc.0.attn.w_k",
                              "enc.0.attn.w_v", "enc.0.attn.w_o", "enc.0.attn.b_q"};
    for (int k = 0; k < 6; k++)
        assert_string_equal(specs[k].name, expected[k]);
    assert_string_equal(specs[11].name, "enc.0.ffn.w1");
    assert_int_equal(specs[11].rows, 4);
    assert_int_equal(specs[11].cols, 8);
    assert_string_equal(specs[11].shape_text, "d_model x d_ff");
    assert_string_equal(specs[17].name, "enc.norm.gamma");
    assert_int_equal(specs[17].layer, -1);
    assert_string_equal(specs[29].name, "dec.0.cross_attn.w_q");
    assert_string_equal(specs[44].name, "dec.0.norm3.beta");
    assert_string_equal(specs[n - 1].name, "logits.w");
    assert_int_equal(specs[n - 1].cols, 10);
}

/* A decoder-only layer has no cross-attention, so its FFN's norm is norm2. */
static void decoder_only_layers_have_two_norms(void **state)
{
    (void)state;
    const al_model_config *config = &al_preset_find("gpt1")->config;
    al_param_spec specs[256];
    int n;
    assert_int_equal(al_model_layout(specs, 256, &n, config, NULL), AL_OK);
    assert_string_equal(specs[2].name, "dec.0.self_attn.w_q");
    assert_string_equal(specs[2 + 8 + 2 + 4].name, "dec.0.norm2.gamma");
    for (int k = 0; k < n; k++)
        assert_null(strstr(specs[k].name, "cross_attn"));
}

static void inconsistent_configurations_are_refused(void **state)
{
    (void)state;
    al_model_config config = al_preset_find("bert-base")->config;
    al_param_count count;
    al_error err = {0};
    config.heads = 7;
    assert_int_equal(al_param_count_config(&count, &config, &err), AL_ERR_VALUE);
    assert_string_equal(err.message, "d_model 768 is not a multiple of heads 7");
    config.heads = 12;
    config.decoder_layers = 2;
    assert_int_equal(al_param_count_config(&count, &config, &err), AL_ERR_VALUE);
    assert_string_equal(err.message, "the encoder-only family has encoder layers only, not 12 "
                                     "encoder and 2 decoder layers");
    config.decoder_layers = 0;
    config.max_positions = 0;
    assert_int_equal(al_param_count_config(&count, &config, &err), AL_ERR_VALUE);
    config = al_preset_find("gpt1")->config;
    config.pooler = true;
    assert_int_equal(al_param_count_config(&count, &config, &err), AL_ERR_VALUE);
}

/* The count multiplies one layer's tensors by the layers; checked against
 * summing every tensor of the full list, for an encoder-decoder of 3 + 2
 * pre-norm layers; and a million layers are counted (not listed, which
 * took 5.25 GB): the total grows by one layer's count per layer. */
static void layers_are_counted_not_listed(void **state)
{
    (void)state;
    al_model_config c = {.family = AL_FAMILY_ENCODER_DECODER, .norm = AL_NORM_PRE,
                         .d_model = 8, .heads = 2, .encoder_layers = 3, .decoder_layers = 2,
                         .d_ff = 16, .vocab_size = 20, .positions = AL_POSITIONS_LEARNED,
                         .max_positions = 10, .biases = true, .norm_epsilon = 1e-5f};
    int n;
    assert_int_equal(al_model_layout(NULL, 0, &n, &c, NULL), AL_OK);
    al_param_spec specs[128];
    assert_true(n <= 128);
    assert_int_equal(al_model_layout(specs, n, &n, &c, NULL), AL_OK);
    long long listed = 0;
    for (int k = 0; k < n; k++)
        listed += (long long)specs[k].rows * specs[k].cols;
    al_param_count counted = count_of(&c);
    assert_int_equal(counted.total, listed);
    long long parts = 0;
    for (int p = 0; p < AL_PARTS; p++)
        parts += counted.parts[p];
    assert_int_equal(parts, listed);

    al_model_config deep = c;
    deep.encoder_layers = 1000000;
    al_param_count million = count_of(&deep);
    assert_int_equal(million.total,
                     counted.total + (1000000LL - 3) * counted.per_encoder_layer);
    assert_int_equal(million.per_encoder_layer, counted.per_encoder_layer);
}

static void presets_are_found_by_name(void **state)
{
    (void)state;
    assert_int_equal(al_preset_count(), 3);
    assert_string_equal(al_preset_at(0)->name, "transformer-base");
    assert_null(al_preset_at(3));
    assert_null(al_preset_find("gpt5"));
    assert_int_equal(al_preset_find("bert-base")->published, 110000000);
    assert_string_equal(al_param_part_name(AL_PART_FFN), "feed-forward");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(transformer_base_by_hand),
        cmocka_unit_test(bert_base_by_hand),
        cmocka_unit_test(gpt1_by_hand),
        cmocka_unit_test(untied_output_adds_a_second_table),
        cmocka_unit_test(tiny_model_and_pre_norm_by_hand),
        cmocka_unit_test(layout_lists_names_shapes_and_order),
        cmocka_unit_test(decoder_only_layers_have_two_norms),
        cmocka_unit_test(inconsistent_configurations_are_refused),
        cmocka_unit_test(presets_are_found_by_name),
        cmocka_unit_test(layers_are_counted_not_listed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
