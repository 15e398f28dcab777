/* param_count.c: summing a configuration's parameter tensors by part, and
 * the presets for published models with notes on where the exact counts
 * differ from the published round figures. The list of tensors itself is
 * model_layout.c. */
#include "attnlab/param_count.h"

#include <stdlib.h>
#include <string.h>

static const char *const PART_NAMES[AL_PARTS] = {
    "embeddings", "positional", "segments", "attention",
    "feed-forward", "layer norms", "pooler", "output"};

const char *al_param_part_name(al_param_part part)
{
    return PART_NAMES[part];
}

/* Each tensor's rows x cols goes to its part, and to its layer's count when
 * it is in the first layer of a stack. specs list a model with at most one
 * layer per stack, and every layer of a stack is the same size, so a
 * tensor of layer 0 counts once for each of the stack's layers (encoder
 * and decoder layers of config). */
static void sum_specs(al_param_count *count, const al_param_spec *specs, int n,
                      const al_model_config *config)
{
    *count = (al_param_count){0};
    for (int k = 0; k < n; k++) {
        long long size = (long long)specs[k].rows * specs[k].cols;
        long long times = specs[k].layer < 0                      ? 1
                          : specs[k].stack == AL_STACK_ENCODER ? config->encoder_layers
                          : specs[k].stack == AL_STACK_DECODER ? config->decoder_layers
                                                               : 1;
        count->parts[specs[k].part] += size * times;
        count->total += size * times;
        if (specs[k].is_bias)
            count->biases += size * times;
        if (specs[k].layer == 0 && specs[k].stack == AL_STACK_ENCODER)
            count->per_encoder_layer += size;
        if (specs[k].layer == 0 && specs[k].stack == AL_STACK_DECODER)
            count->per_decoder_layer += size;
    }
}

al_status al_param_count_config(al_param_count *count, const al_model_config *config,
                                al_error *err)
{
    al_status status = al_model_config_check(config, err);
    if (status != AL_OK)
        return status;
    /* the tensors of one layer per stack: memory does not grow with the
     * layers (a million layers are counted, not listed) */
    al_model_config one = *config;
    one.encoder_layers = config->encoder_layers > 0;
    one.decoder_layers = config->decoder_layers > 0;
    int n;
    status = al_model_layout(NULL, 0, &n, &one, err);
    if (status != AL_OK)
        return status;
    al_param_spec *specs = malloc((size_t)n * sizeof *specs);
    if (!specs)
        return al_fail(err, AL_ERR_NOMEM, "out of memory listing %d tensors", n);
    status = al_model_layout(specs, n, &n, &one, err);
    if (status == AL_OK)
        sum_specs(count, specs, n, config);
    free(specs);
    return status;
}

/* --- presets ------------------------------------------------------------------------- */

static const al_preset PRESETS[] = {
    {.name = "transformer-base",
     .description = "the original Transformer, base size (Vaswani et al. 2017, \"Attention Is "
                    "All You Need\", Table 3: 65 x 10^6)",
     .published = 65000000,
     .differences =
         "One 37000 x 512 table is shared by the encoder input, the decoder input and the "
         "output layer (section 3.4), positions are sinusoidal (no parameters) and, as in "
         "most implementations, the attention projections have biases (the paper does not "
         "say; without them 36,864 fewer). That gives 63,082,496, 3% under the published "
         "figure, which the paper does not break down: the 1.9M difference is the size of "
         "about 3,700 more vocabulary rows.",
     .config = {.family = AL_FAMILY_ENCODER_DECODER, .norm = AL_NORM_POST, .d_model = 512,
                .heads = 8, .encoder_layers = 6, .decoder_layers = 6, .d_ff = 2048,
                .vocab_size = 37000, .positions = AL_POSITIONS_SINUSOIDAL,
                .max_positions = 512, .biases = true, .tied_output = true,
                .norm_epsilon = 1e-6f}},
    {.name = "bert-base",
     .description = "BERT base (Devlin et al. 2019, \"BERT: Pre-training of Deep "
                    "Bidirectional Transformers\", section 3: 110M)",
     .published = 110000000,
     .differences =
         "Counted as the released model: 30522 x 768 token, 512 x 768 learned position and "
         "2 x 768 segment embeddings with a layer norm, 12 encoder layers, and the pooler "
         "that summarises [CLS]: 109,482,240, published rounded to 110M. The masked-word head "
         "used in pre-training shares the token table; its transform, layer norm and output "
         "bias (622,650 more) are not in the published figure, nor here.",
     .config = {.family = AL_FAMILY_ENCODER_ONLY, .norm = AL_NORM_POST, .d_model = 768,
                .heads = 12, .encoder_layers = 12, .d_ff = 3072, .vocab_size = 30522,
                .positions = AL_POSITIONS_LEARNED, .max_positions = 512, .segments = 2,
                .biases = true, .tied_output = true, .embedding_norm = true, .pooler = true,
                .norm_epsilon = 1e-12f}},
    {.name = "gpt1",
     .description = "GPT-1 (Radford et al. 2018, \"Improving Language Understanding by "
                    "Generative Pre-Training\"; 117M as quoted for it in Radford et al. 2019, "
                    "Table 2)",
     .published = 117000000,
     .differences =
         "Counted as the released model: 40478 x 768 token and 512 x 768 learned position "
         "embeddings, 12 decoder layers without cross-attention, and an output layer tied to "
         "the token table without a bias: 116,534,784, quoted as 117M. The token table alone "
         "is 31M, a quarter of the model.",
     .config = {.family = AL_FAMILY_DECODER_ONLY, .norm = AL_NORM_POST, .d_model = 768,
                .heads = 12, .decoder_layers = 12, .d_ff = 3072, .vocab_size = 40478,
                .positions = AL_POSITIONS_LEARNED, .max_positions = 512, .biases = true,
                .tied_output = true, .norm_epsilon = 1e-5f}},
};

int al_preset_count(void)
{
    return (int)(sizeof PRESETS / sizeof PRESETS[0]);
}

const al_preset *al_preset_at(int index)
{
    return index >= 0 && index < al_preset_count() ? &PRESETS[index] : NULL;
}

const al_preset *al_preset_find(const char *name)
{
    for (int k = 0; k < al_preset_count(); k++)
        if (strcmp(PRESETS[k].name, name) == 0)
            return &PRESETS[k];
    return NULL;
}
