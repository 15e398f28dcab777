/* positional.h: telling attention where each token sits. Three encodings,
 * each writing one row per position, so that x = embed + pos:
 *
 *   sinusoidal  PE[p][2i] = sin(p / 10000^(2i/d)), PE[p][2i+1] = cos(same)
 *               (Vaswani et al. 2017, section 3.5). A formula, not a table:
 *               any position works, including past the longest sentence a
 *               model was trained on (train to 512, use 513).
 *   one-hot     row p is 1 in column p and 0 elsewhere (L x L_max). No sense
 *               of distance, and nothing past L_max.
 *   learned     row p of a trained table (L_max x d); nothing past L_max.
 *
 * Positions count from first_position (0 for a whole sentence; the decoder
 * step t of generation uses t). Each function traces its result as one
 * tensor (op "sinusoidal", "one_hot" or "learned_lookup") under the name the
 * caller gives, usually "pos", with the caller's row labels (the tokens).
 * Nothing here adds pos to the embeddings: that is layers.h's residual add. */
#ifndef ATTNLAB_POSITIONAL_H
#define ATTNLAB_POSITIONAL_H

#include "attnlab/matrix.h"
#include "attnlab/trace.h"

/* The base of the wavelengths in the paper: dimension pair i turns at
 * angular frequency 1 / 10000^(2i/d), so wavelengths run from 2π to
 * 10000 · 2π. */
#define AL_SINUSOID_BASE 10000.0

/* pos (L x d): row r is PE(first_position + r), d = pos->cols (an odd d
 * ends with a sine column). Computed in double and rounded once to float.
 * Fails with AL_ERR_VALUE if first_position is negative or the last
 * position would pass AL_MATRIX_MAX_DIM. */
al_status al_positional_sinusoidal(al_matrix *pos, int first_position,
                                   const char *const *row_labels, al_trace_at at, al_error *err);

/* pos (L x L_max): row r is 1 in column first_position + r, 0 elsewhere.
 * L_max = pos->cols. A position at or past L_max fails with AL_ERR_VALUE
 * ("position 3 is past the one-hot encoding's 3 positions (0 to 2)"). */
al_status al_positional_one_hot(al_matrix *pos, int first_position,
                                const char *const *row_labels, al_trace_at at, al_error *err);

/* pos (L x d): row r is row first_position + r of table (L_max x d).
 * A position at or past L_max fails with AL_ERR_VALUE: a learned table
 * knows nothing about positions it never saw. The table is traced as a
 * parameter "<at.name>.table". */
al_status al_positional_learned(al_matrix *pos, int first_position, const al_matrix *table,
                                const char *const *row_labels, al_trace_at at, al_error *err);

#endif
