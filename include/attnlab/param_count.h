/* param_count.h: how many parameters a configuration has, broken down by
 * part (embeddings, positions, attention, FFN, norms, output, ...), and
 * named presets for published models, so the book's "65 million" can be
 * recomputed and explained. Counting only: no weights are made, nothing is
 * printed (attnlab-calc does the printing).
 *
 * The count is the sum of the sizes of model_layout.h's tensors, so it
 * counts exactly what a model file of that configuration holds. */
#ifndef ATTNLAB_PARAM_COUNT_H
#define ATTNLAB_PARAM_COUNT_H

#include "attnlab/model_config.h"
#include "attnlab/model_layout.h"

typedef struct al_param_count {
    long long parts[AL_PARTS];   /* by al_param_part; they add up to total     */
    long long biases;            /* how many of those are biases (b_q, b1, ...,
                                    not layer-norm betas): already in parts    */
    long long per_encoder_layer; /* one encoder layer (attention, norms, FFN)  */
    long long per_decoder_layer; /* one decoder layer                          */
    long long total;
} al_param_count;

/* Count config's parameters into *count. Fails as al_model_config_check
 * does for an inconsistent configuration. */
al_status al_param_count_config(al_param_count *count, const al_model_config *config,
                                al_error *err);

/* A part's name for a printout: "embeddings", "positional", "segments",
 * "attention", "feed-forward", "layer norms", "pooler", "output". */
const char *al_param_part_name(al_param_part part);

/* A published model's configuration and the figure its authors gave. */
typedef struct al_preset {
    const char *name;          /* "transformer-base", "bert-base", "gpt1"        */
    const char *description;   /* what it is and where it was published         */
    long long published;       /* the parameter count as published              */
    const char *differences;   /* where attnlab's exact count differs, and why  */
    al_model_config config;
} al_preset;

/* The preset called name, or NULL. */
const al_preset *al_preset_find(const char *name);

/* Number of presets, and the one at index (0 <= index < count), for
 * listing them in a --help. */
int al_preset_count(void);
const al_preset *al_preset_at(int index);

#endif
