/* model_evaluate.h: `attnlab-model evaluate`, a trained model's loss on
 * the text attnlab-train held out, beside a unigram and a bigram baseline
 * (model_evaluate.c). Program code. */
#ifndef TOOLS_MODEL_EVALUATE_H
#define TOOLS_MODEL_EVALUATE_H

#include "attnlab/status.h"

typedef struct model_evaluate_settings {
    const char *model, *corpus;
    float validation;   /* the part held out; 0: as the model's training record says */
} model_evaluate_settings;

/* Print the table. Returns the exit status: 0, 2 for a corpus or model
 * evaluate cannot use, 1 for a failure (err says which). */
int model_evaluate(const model_evaluate_settings *settings, al_error *err);

#endif
