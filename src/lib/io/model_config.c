/* model_config.c: checking a model configuration for consistency and
 * naming its choices. What the configuration implies (tensors, counts,
 * files) is model_layout.c, param_count.c and model_file.c. */
#include "attnlab/model_config.h"

#include <math.h>
#include <string.h>

#include "attnlab/vocab.h"

static const char *const FAMILY_NAMES[] = {"encoder-decoder", "encoder-only", "decoder-only"};
static const char *const NORM_NAMES[] = {"post", "pre"};
static const char *const POSITIONS_NAMES[] = {"sinusoidal", "learned"};

const char *al_family_name(al_family family)
{
    return FAMILY_NAMES[family];
}

const char *al_norm_name(al_norm_placement norm)
{
    return NORM_NAMES[norm];
}

const char *al_positions_name(al_positions positions)
{
    return POSITIONS_NAMES[positions];
}

/* The index of name in names[0..n), or -1. */
static int find_name(const char *const *names, int n, const char *name)
{
    for (int k = 0; k < n; k++)
        if (strcmp(names[k], name) == 0)
            return k;
    return -1;
}

al_status al_family_parse(al_family *out, const char *name, al_error *err)
{
    int k = find_name(FAMILY_NAMES, 3, name);
    if (k < 0)
        return al_fail(err, AL_ERR_VALUE, "unknown family '%s' (encoder-decoder, encoder-only "
                       "or decoder-only)", name);
    *out = (al_family)k;
    return AL_OK;
}

al_status al_norm_parse(al_norm_placement *out, const char *name, al_error *err)
{
    int k = find_name(NORM_NAMES, 2, name);
    if (k < 0)
        return al_fail(err, AL_ERR_VALUE, "unknown norm placement '%s' (post or pre)", name);
    *out = (al_norm_placement)k;
    return AL_OK;
}

al_status al_positions_parse(al_positions *out, const char *name, al_error *err)
{
    int k = find_name(POSITIONS_NAMES, 2, name);
    if (k < 0)
        return al_fail(err, AL_ERR_VALUE, "unknown positional encoding '%s' (sinusoidal or "
                       "learned)", name);
    *out = (al_positions)k;
    return AL_OK;
}

/* Widths and counts first, then how they must fit together. */
static al_status check_sizes(const al_model_config *c, al_error *err)
{
    const struct {
        const char *name;
        int value;
    } sizes[] = {{"d_model", c->d_model}, {"heads", c->heads}, {"d_ff", c->d_ff},
                 {"encoder_layers", c->encoder_layers}, {"decoder_layers", c->decoder_layers},
                 {"max_positions", c->max_positions}, {"segments", c->segments}};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        bool may_be_zero = k >= 3; /* layers, positions and segments */
        if (sizes[k].value < (may_be_zero ? 0 : 1) || sizes[k].value > 1000000)
            return al_fail(err, AL_ERR_VALUE, "%s must be %s 1000000, not %d", sizes[k].name,
                           may_be_zero ? "between 0 and" : "between 1 and", sizes[k].value);
    }
    if (c->vocab_size <= AL_SPECIAL_TOKENS || c->vocab_size > 10000000)
        return al_fail(err, AL_ERR_VALUE, "vocab_size must be more than the %d special tokens "
                       "and at most 10000000, not %d", AL_SPECIAL_TOKENS, c->vocab_size);
    if (c->d_model % c->heads != 0)
        return al_fail(err, AL_ERR_VALUE, "d_model %d is not a multiple of heads %d",
                       c->d_model, c->heads);
    if (!(c->norm_epsilon > 0.0f) || isinf(c->norm_epsilon))
        return al_fail(err, AL_ERR_VALUE, "norm_epsilon must be a positive number, not %g",
                       (double)c->norm_epsilon);
    return AL_OK;
}

al_status al_model_config_check(const al_model_config *c, al_error *err)
{
    if ((unsigned)c->family > AL_FAMILY_DECODER_ONLY || (unsigned)c->norm > AL_NORM_PRE ||
        (unsigned)c->positions > AL_POSITIONS_LEARNED)
        return al_fail(err, AL_ERR_VALUE, "the configuration's family, norm or positions is "
                       "not one of the named choices");
    al_status status = check_sizes(c, err);
    if (status != AL_OK)
        return status;
    bool has_encoder = c->family != AL_FAMILY_DECODER_ONLY;
    bool has_decoder = c->family != AL_FAMILY_ENCODER_ONLY;
    if (has_encoder != (c->encoder_layers > 0) || has_decoder != (c->decoder_layers > 0))
        return al_fail(err, AL_ERR_VALUE, "the %s family has %s, not %d encoder and %d "
                       "decoder layers", al_family_name(c->family),
                       has_encoder && has_decoder ? "encoder and decoder layers"
                       : has_encoder              ? "encoder layers only"
                                                  : "decoder layers only",
                       c->encoder_layers, c->decoder_layers);
    if (c->positions == AL_POSITIONS_LEARNED && c->max_positions == 0)
        return al_fail(err, AL_ERR_VALUE, "learned positions need max_positions, the number "
                       "of rows in their table");
    if (c->pooler && c->family != AL_FAMILY_ENCODER_ONLY)
        return al_fail(err, AL_ERR_VALUE, "a pooler summarises [CLS] in the encoder-only "
                       "family, not in the %s family", al_family_name(c->family));
    return AL_OK;
}
