/* attention_check.h (private to src/lib): the checks al_attend runs
 * before computing anything, shared between attention_steps.c, where they
 * live, and attention.c, which calls them. Not a public header. */
#ifndef ATTNLAB_ATTENTION_CHECK_H
#define ATTNLAB_ATTENTION_CHECK_H

#include "attnlab/attention.h"

/* The parameter matrices the score kind needs are there (AL_ERR_ARG). */
al_status attention_check_score_params(const al_scoring *scoring, al_error *err);

/* Everything al_attend takes fits together: names (when tracing), score
 * parameters, shapes, mask entries, temperature. */
al_status attention_check(const al_matrix *out, const al_attention_steps *steps,
                          const al_matrix *q, const al_matrix *k, const al_matrix *v,
                          const al_matrix *mask, const al_scoring *scoring,
                          const al_attention_names *names, const al_trace *trace,
                          al_error *err);

#endif
