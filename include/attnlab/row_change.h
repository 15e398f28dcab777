/* row_change.h: how much each token's row changed between two runs of a
 * model, e.g. before and after the last word of the sentence was replaced:
 * the measurement behind "a causal decoder's earlier rows do not move".
 * A comparison of two given matrices; not the runs themselves. */
#ifndef ATTNLAB_ROW_CHANGE_H
#define ATTNLAB_ROW_CHANGE_H

#include "attnlab/matrix.h"
#include "attnlab/trace.h"

/* change (L x 1) row i = max over j of |after[i][j] - before[i][j]|, in
 * float, for before and after of the same shape L x d (AL_ERR_SHAPE
 * otherwise, before anything is computed). Row i is exactly 0 when the two
 * rows hold the same numbers; a NaN in either makes the call fail with
 * AL_ERR_VALUE naming the entry.
 *
 * Traced under name as op "row_max_abs_difference", inputs [before_name,
 * after_name], rows labelled by labels (L strings, or NULL), the column
 * "max |Δ|". */
al_status al_row_change(al_matrix *change, al_named before, al_named after,
                        al_trace_at at, al_error *err);

#endif
