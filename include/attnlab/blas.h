/* blas.h: the readable wrapper around OpenBLAS's cblas_sgemm.
 * Each product has its own function whose name says what it forms, so a
 * reader never has to decode transpose flags:
 *
 *   al_matmul     out = a · b     (m x k) · (k x n)   -> m x n
 *   al_matmul_bt  out = a · bᵀ    (m x k) · (n x k)ᵀ  -> m x n   (Q · Kᵀ)
 *   al_matmul_at  out = aᵀ · b    (k x m)ᵀ · (k x n)  -> m x n
 *
 * Every one checks the three shapes first and fails with AL_ERR_SHAPE and a
 * message naming the shapes that disagree; out is untouched then. out must
 * not overlap a or b. Views (head slices with a larger stride) are fine: the
 * stride is passed to BLAS as the leading dimension, nothing is copied.
 *
 * al_matmul_reference is the naive triple loop kept beside the fast path, so
 * tests can compare the two. */
#ifndef ATTNLAB_BLAS_H
#define ATTNLAB_BLAS_H

#include <stdbool.h>

#include "attnlab/matrix.h"

/* out (m x n) = a (m x k) · b (k x n) */
al_status al_matmul(al_matrix *out, const al_matrix *a, const al_matrix *b, al_error *err);

/* out (m x n) = a (m x k) · bᵀ, where b is n x k */
al_status al_matmul_bt(al_matrix *out, const al_matrix *a, const al_matrix *b, al_error *err);

/* out (m x n) = aᵀ · b, where a is k x m and b is k x n */
al_status al_matmul_at(al_matrix *out, const al_matrix *a, const al_matrix *b, al_error *err);

/* out += a · b, out += a · bᵀ, out += aᵀ · b: the same products added to
 * what out holds, for gradients summed over rows, heads and steps. */
al_status al_matmul_add(al_matrix *out, const al_matrix *a, const al_matrix *b, al_error *err);
al_status al_matmul_bt_add(al_matrix *out, const al_matrix *a, const al_matrix *b,
                           al_error *err);
al_status al_matmul_at_add(al_matrix *out, const al_matrix *a, const al_matrix *b,
                           al_error *err);

/* out = op(a) · op(b) by three nested loops in double precision, where op
 * transposes when the flag is set. Same shape checks and messages as the
 * fast functions. For tests and for anyone reading how a product works. */
al_status al_matmul_reference(al_matrix *out, const al_matrix *a, bool transpose_a,
                              const al_matrix *b, bool transpose_b, al_error *err);

/* Ask OpenBLAS to use this many threads (1 gives repeatable last bits).
 * Programs call this once at start; a BLAS without thread control ignores it.
 * This is process-wide state owned by OpenBLAS, not by attnlab. */
void al_blas_set_threads(int threads);

#endif
