/* head_record.h (private to src/lib): recording one head that al_attend
 * computed without a trace, for multihead.c, which computes every head
 * first and records them after. Not a public header. */
#ifndef ATTNLAB_HEAD_RECORD_H
#define ATTNLAB_HEAD_RECORD_H

#include "attnlab/attention.h"

/* Record every step of one head, in the order computed: the score's
 * parameters (unless names->params says they are traced already), the
 * scores, scaled, masked, weights and out, under names->prefix. steps and
 * out hold what al_attend computed from q, k, mask and scoring. */
al_status al_record_head(al_trace *trace, const al_matrix *out,
                         const al_attention_steps *steps, const al_matrix *q,
                         const al_matrix *k, const al_matrix *mask, const al_scoring *scoring,
                         const al_attention_names *names, al_error *err);

#endif
