/* model_layout.c: listing the parameter tensors of a configuration, in the
 * order and with the names documented in model_layout.h. No weights and no
 * counting here: param_count.c sums this list, model_file.c checks files
 * against it. */
#include "attnlab/model_layout.h"

/* The list being written, and where the next tensor goes. */
typedef struct layout {
    al_param_spec *specs;
    int capacity;
    int count;
    const al_model_config *config;
    al_stack stack;  /* where the tensors being added live */
    int layer;
} layout;

/* Add one tensor "<prefix>.<suffix>" (or just prefix when suffix is NULL). */
static void add(layout *l, const char *prefix, const char *suffix, int rows, int cols,
                const char *shape_text, al_param_part part, bool is_bias)
{
    if (l->count < l->capacity) {
        al_param_spec *spec = &l->specs[l->count];
        if (suffix)
            al_name(spec->name, "%s.%s", prefix, suffix);
        else
            al_name(spec->name, "%s", prefix);
        spec->rows = rows;
        spec->cols = cols;
        spec->shape_text = shape_text;
        spec->part = part;
        spec->is_bias = is_bias;
        spec->stack = l->stack;
        spec->layer = l->layer;
    }
    l->count++;
}

static void add_norm(layout *l, const char *prefix)
{
    int d = l->config->d_model;
    add(l, prefix, "gamma", 1, d, "1 x d_model", AL_PART_NORM, false);
    add(l, prefix, "beta", 1, d, "1 x d_model", AL_PART_NORM, false);
}

/* W_Q, W_K, W_V, W_O (d_model x d_model), then their biases. */
static void add_attention(layout *l, const char *prefix)
{
    int d = l->config->d_model;
    static const char *const weights[] = {"w_q", "w_k", "w_v", "w_o"};
    static const char *const biases[] = {"b_q", "b_k", "b_v", "b_o"};
    for (int k = 0; k < 4; k++)
        add(l, prefix, weights[k], d, d, "d_model x d_model", AL_PART_ATTENTION, false);
    if (l->config->biases)
        for (int k = 0; k < 4; k++)
            add(l, prefix, biases[k], 1, d, "1 x d_model", AL_PART_ATTENTION, true);
}

/* W1 (d_model x d_ff), b1, W2 (d_ff x d_model), b2. */
static void add_ffn(layout *l, const char *prefix)
{
    int d = l->config->d_model, d_ff = l->config->d_ff;
    bool biases = l->config->biases;
    add(l, prefix, "w1", d, d_ff, "d_model x d_ff", AL_PART_FFN, false);
    if (biases)
        add(l, prefix, "b1", 1, d_ff, "1 x d_ff", AL_PART_FFN, true);
    add(l, prefix, "w2", d_ff, d, "d_ff x d_model", AL_PART_FFN, false);
    if (biases)
        add(l, prefix, "b2", 1, d, "1 x d_model", AL_PART_FFN, true);
}

static void add_inputs(layout *l)
{
    const al_model_config *c = l->config;
    add(l, "embed.table", NULL, c->vocab_size, c->d_model, "vocab_size x d_model",
        AL_PART_EMBEDDING, false);
    if (c->positions == AL_POSITIONS_LEARNED)
        add(l, "pos.table", NULL, c->max_positions, c->d_model, "max_positions x d_model",
            AL_PART_POSITIONAL, false);
    if (c->segments > 0)
        add(l, "segment.table", NULL, c->segments, c->d_model, "segments x d_model",
            AL_PART_SEGMENT, false);
    if (c->embedding_norm)
        add_norm(l, "embed_norm");
}

/* Self-attention, norm1, FFN, norm2. */
static void add_encoder(layout *l)
{
    char prefix[AL_NAME_SIZE];
    l->stack = AL_STACK_ENCODER;
    for (l->layer = 0; l->layer < l->config->encoder_layers; l->layer++) {
        add_attention(l, al_name(prefix, "enc.%d.attn", l->layer));
        add_norm(l, al_name(prefix, "enc.%d.norm1", l->layer));
        add_ffn(l, al_name(prefix, "enc.%d.ffn", l->layer));
        add_norm(l, al_name(prefix, "enc.%d.norm2", l->layer));
    }
    l->layer = -1;
    if (l->config->encoder_layers > 0 && l->config->norm == AL_NORM_PRE)
        add_norm(l, "enc.norm");
    l->stack = AL_STACK_NONE;
}

/* Masked self-attention, norm1, [cross-attention, norm2,] FFN, last norm. */
static void add_decoder(layout *l)
{
    char prefix[AL_NAME_SIZE];
    bool cross = l->config->family == AL_FAMILY_ENCODER_DECODER;
    l->stack = AL_STACK_DECODER;
    for (l->layer = 0; l->layer < l->config->decoder_layers; l->layer++) {
        add_attention(l, al_name(prefix, "dec.%d.self_attn", l->layer));
        add_norm(l, al_name(prefix, "dec.%d.norm1", l->layer));
        if (cross) {
            add_attention(l, al_name(prefix, "dec.%d.cross_attn", l->layer));
            add_norm(l, al_name(prefix, "dec.%d.norm2", l->layer));
        }
        add_ffn(l, al_name(prefix, "dec.%d.ffn", l->layer));
        add_norm(l, al_name(prefix, "dec.%d.norm%d", l->layer, cross ? 3 : 2));
    }
    l->layer = -1;
    if (l->config->decoder_layers > 0 && l->config->norm == AL_NORM_PRE)
        add_norm(l, "dec.norm");
    l->stack = AL_STACK_NONE;
}

static void add_outputs(layout *l)
{
    const al_model_config *c = l->config;
    if (c->pooler) {
        add(l, "pooler.w", NULL, c->d_model, c->d_model, "d_model x d_model", AL_PART_POOLER,
            false);
        add(l, "pooler.b", NULL, 1, c->d_model, "1 x d_model", AL_PART_POOLER, true);
    }
    if (!c->tied_output)
        add(l, "logits.w", NULL, c->d_model, c->vocab_size, "d_model x vocab_size",
            AL_PART_OUTPUT, false);
    if (c->output_bias)
        add(l, "logits.b", NULL, 1, c->vocab_size, "1 x vocab_size", AL_PART_OUTPUT, true);
}

al_status al_model_layout(al_param_spec *specs, int capacity, int *count,
                          const al_model_config *config, al_error *err)
{
    al_status status = al_model_config_check(config, err);
    if (status != AL_OK)
        return status;
    layout l = {.specs = specs, .capacity = capacity, .config = config,
                .stack = AL_STACK_NONE, .layer = -1};
    add_inputs(&l);
    add_encoder(&l);
    add_decoder(&l);
    add_outputs(&l);
    *count = l.count;
    return AL_OK;
}
