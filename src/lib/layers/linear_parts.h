/* linear_parts.h: the untraced product and the parameter tracing that
 * linear.c shares with the feed-forward network (whose two linear maps
 * trace as w1, b1, w2, b2). Internal; not installed. */
#ifndef ATTNLAB_LINEAR_PARTS_H
#define ATTNLAB_LINEAR_PARTS_H

#include "attnlab/layers.h"

/* y (L x d_out) = x (L x d_in) · W (d_in x d_out), then + b on every row.
 * what names the layer in a shape message. */
al_status al_linear_apply(al_matrix *y, const al_matrix *x, const al_linear *layer,
                          const char *what, al_error *err);

/* Record W and b as parameters "<name>.<w_suffix>" and "<name>.<b_suffix>".
 * Their full names come back in w_name and b_name ("" when not tracing, and
 * b_name "" when there is no bias). */
al_status al_trace_linear_params(al_trace *trace, const al_linear *layer, const char *name,
                                 const char *w_suffix, const char *b_suffix,
                                 char w_name[AL_NAME_SIZE], char b_name[AL_NAME_SIZE],
                                 al_error *err);

#endif
