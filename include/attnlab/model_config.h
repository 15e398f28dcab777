/* model_config.h: the numbers and choices that fix a Transformer's shape:
 * which family (encoder-decoder, encoder-only, decoder-only), where the
 * layer norms sit, the widths, the number of layers, the vocabulary size,
 * how positions are encoded, and the small extras some published models
 * have (segment embeddings, a pooler, tied output weights). One struct
 * serves building a model, counting its parameters (param_count.h),
 * listing its tensors (model_layout.h) and checking a model file against it
 * (model_file.h). It holds no weights. */
#ifndef ATTNLAB_MODEL_CONFIG_H
#define ATTNLAB_MODEL_CONFIG_H

#include <stdbool.h>

#include "attnlab/status.h"

typedef enum al_family {
    AL_FAMILY_ENCODER_DECODER,  /* the original Transformer: translation      */
    AL_FAMILY_ENCODER_ONLY,     /* BERT-style: no mask, [CLS], masked words   */
    AL_FAMILY_DECODER_ONLY      /* GPT-style: causal mask, next token         */
} al_family;

typedef enum al_norm_placement {
    AL_NORM_POST,  /* the paper: x = norm(x + sublayer(x))                      */
    AL_NORM_PRE    /* x = x + sublayer(norm(x)), and one more norm at the end  */
} al_norm_placement;

typedef enum al_positions {
    AL_POSITIONS_SINUSOIDAL,  /* a formula: no parameters, any length       */
    AL_POSITIONS_LEARNED      /* a max_positions x d_model table            */
} al_positions;

typedef struct al_model_config {
    al_family family;
    al_norm_placement norm;
    int d_model;          /* width of every token vector                        */
    int heads;            /* h; d_model must be a multiple (d_head = d_model/h) */
    int encoder_layers;   /* 0 for decoder-only                                 */
    int decoder_layers;   /* 0 for encoder-only                                 */
    int d_ff;             /* the FFN's hidden width (the paper: 4 · d_model)    */
    int vocab_size;       /* V, the six special tokens included                 */
    al_positions positions;
    int max_positions;    /* learned: rows of the table; sinusoidal: the longest
                             length trained on, for information (0: unstated)   */
    int segments;         /* BERT's sentence A / B embeddings; 0: none          */
    bool biases;          /* attention and FFN projections have biases          */
    bool tied_output;     /* logits = x · Eᵀ with the embedding table E; no
                             separate d_model x V output matrix                 */
    bool output_bias;     /* the output projection adds a 1 x V bias            */
    bool embedding_norm;  /* a layer norm after embeddings + positions (BERT)   */
    bool pooler;          /* BERT: tanh(x_[CLS] · W + b), d_model x d_model     */
    float norm_epsilon;   /* every layer norm's epsilon                          */
} al_model_config;

/* AL_OK if the configuration describes a model attnlab can build: positive
 * widths, d_model a multiple of heads, encoder layers exactly when the
 * family has an encoder and decoder layers exactly when it has a decoder, a
 * vocabulary with room beyond the six special tokens, max_positions for a
 * learned table, a positive epsilon. Otherwise AL_ERR_VALUE with the first
 * problem, e.g. "d_model 10 is not a multiple of heads 4". */
al_status al_model_config_check(const al_model_config *config, al_error *err);

/* "encoder-decoder", "encoder-only", "decoder-only". */
const char *al_family_name(al_family family);

/* "post", "pre". */
const char *al_norm_name(al_norm_placement norm);

/* "sinusoidal", "learned". */
const char *al_positions_name(al_positions positions);

/* The reverse of the three above: AL_OK and *out set, or AL_ERR_VALUE
 * naming the accepted spellings. */
al_status al_family_parse(al_family *out, const char *name, al_error *err);
al_status al_norm_parse(al_norm_placement *out, const char *name, al_error *err);
al_status al_positions_parse(al_positions *out, const char *name, al_error *err);

#endif
