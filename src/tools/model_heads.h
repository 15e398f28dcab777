/* model_heads.h: `attnlab-model heads`, where a trained Transformer's
 * self-attention heads look from one word (model_heads.c). Program code. */
#ifndef TOOLS_MODEL_HEADS_H
#define TOOLS_MODEL_HEADS_H

#include "attnlab/status.h"

typedef struct model_heads_settings {
    const char *model, *sentences, *word;
    const char *senses[2];   /* the two words that tell the meanings apart, or NULLs */
} model_heads_settings;

/* Print the heads' tally (and, with senses, the sense measures). Returns
 * the exit status: 0, 2 for a word the model does not know or a file
 * without it, 1 for a failure (err says which). */
int model_heads(const model_heads_settings *settings, al_error *err);

#endif
