/* chosen_token.h: recording the token a decoding step chose, shared by
 * greedy and sampling (sampling.c) and the roulette wheel (roulette.c).
 * Internal; not installed. */
#ifndef ATTNLAB_CHOSEN_TOKEN_H
#define ATTNLAB_CHOSEN_TOKEN_H

#include "attnlab/trace.h"

/* "<name>.token": the chosen id as a 1 x 1 tensor (role output, made by op
 * from up to two inputs), its column labelled by words[token] when words
 * is not NULL. */
al_status al_trace_chosen_token(al_trace *trace, int token, const char *name, const char *op,
                                const char *input_1, const char *input_2,
                                const char *const *words, al_error *err);

#endif
