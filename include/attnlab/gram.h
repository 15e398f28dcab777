/* gram.h: the dot product of every row of a matrix with every other row,
 * G = A · Aᵀ, traced: how alike the positional encodings of two positions
 * are (lesson08), or any set of vectors. Not attention scores (queries
 * against keys, attention.h), and no normalising to cosines. */
#ifndef ATTNLAB_GRAM_H
#define ATTNLAB_GRAM_H

#include "attnlab/matrix.h"
#include "attnlab/trace.h"

/* gram (n x n) = a (n x d) · aᵀ (d x n), so gram[i][j] = row i · row j and
 * gram is symmetric. gram is the caller's, n x n, and must not overlap a.
 * Traced under name (op "matmul_bt", inputs [input_name, input_name]),
 * rows and columns both labelled by labels (n strings, or NULL). Fails with
 * AL_ERR_SHAPE naming both shapes, or AL_ERR_ARG when tracing without a
 * name or an input name; a NULL trace records nothing. */
al_status al_gram_matrix(al_matrix *gram, al_named input, al_trace_at at, al_error *err);

#endif
