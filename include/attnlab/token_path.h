/* token_path.h: one token followed through a stack of layers: its row of
 * each layer's output, stacked into one matrix, so the [CLS] vector of a
 * BERT-style encoder can be read (and drawn) layer by layer. Reading rows
 * only: no arithmetic, and not the layers themselves (blocks.h). */
#ifndef ATTNLAB_TOKEN_PATH_H
#define ATTNLAB_TOKEN_PATH_H

#include "attnlab/matrix.h"
#include "attnlab/trace.h"

/* path (count x d) row s = row `row` of stages[s] (each n_s x d with
 * row < n_s): stage 0 is usually the stack's input x, stage s the output
 * of layer s - 1. count is 1 to AL_TRACE_MAX_INPUTS, because the record
 * names every stage as an input. Fails before copying with AL_ERR_SHAPE
 * (a stage too short or of another width than path) or AL_ERR_ARG (no
 * stages, too many, or a trace without a name).
 *
 * Traced under name as op "gather_row", inputs stage_names in order, rows
 * labelled by stage_labels (count strings, e.g. "x", "enc.0", "enc.1", or
 * NULL), columns by col_labels (d strings, or NULL); the attr "row" says
 * which row was taken. */
al_status al_token_path(al_matrix *path, const al_matrix *const *stages,
                        const char *const *stage_names, int count, int row,
                        const char *const *stage_labels, const char *const *col_labels,
                        al_trace_at at, al_error *err);

#endif
