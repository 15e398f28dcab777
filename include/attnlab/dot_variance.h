/* dot_variance.h: why scaled dot-product attention divides its scores by
 * √d_k, measured rather than asserted.
 *
 * Take q and k with d independent entries of mean 0 and variance 1. Then
 * q · k = Σ_c q_c k_c is a sum of d independent products, each of mean 0
 * and variance 1, so Var(q · k) = d: the wider the vectors, the further
 * apart the scores, and a softmax of scores far apart puts nearly all its
 * weight on one key (and its gradient on the others nearly vanishes).
 * Dividing by √d brings the variance back to 1 for every d.
 *
 * Both measurements draw q and k from the caller's seeded generator
 * (rng.h), so the same seed gives the same numbers on every machine. This
 * is the experiment behind the scaling, for lesson03; attention.h does the
 * scaling itself (al_scale_scores). Each result is a 2 x count table: row 0
 * "q·k" (unscaled), row 1 "q·k/√d" (scaled); column i "d=4" for
 * d = dims[i]. The labels are below, for printouts that show the same
 * table. */
#ifndef ATTNLAB_DOT_VARIANCE_H
#define ATTNLAB_DOT_VARIANCE_H

#include "attnlab/matrix.h"
#include "attnlab/rng.h"
#include "attnlab/trace.h"

/* Largest d the experiments accept, and most widths in one call. */
#define AL_DOT_VARIANCE_MAX_D 65536
#define AL_DOT_VARIANCE_MAX_DIMS 32

/* The row labels of both tables, and the format of their column labels. */
#define AL_DOT_UNSCALED_LABEL "q·k"
#define AL_DOT_SCALED_LABEL "q·k/√d"
#define AL_DOT_WIDTH_LABEL "d=%d"

/* variance (2 x count): for d = dims[i], the sample variance (divided by
 * samples - 1) of q · k over `samples` independent pairs q, k of d
 * standard normal entries (row 0), and of q · k / √d for the same pairs
 * (row 1). Expect about d and about 1.
 *
 * Allocates nothing. Fails with AL_ERR_SHAPE if variance is not 2 x count,
 * AL_ERR_VALUE for count outside 1 .. AL_DOT_VARIANCE_MAX_DIMS, a d outside
 * 1 .. AL_DOT_VARIANCE_MAX_D or samples < 2. Traces "<name>.variance"
 * (op "dot_variance", with a note saying how it was drawn). */
al_status al_dot_variance(al_matrix *variance, const int *dims, int count, int samples,
                          al_rng *rng, al_trace_at at, al_error *err);

/* peak (2 x count): for d = dims[i], the mean over `draws` draws of the
 * largest weight of softmax(q · Kᵀ) (row 0) and of softmax(q · Kᵀ / √d)
 * (row 1), where q (1 x d) and K (keys x d) have standard normal entries
 * and both rows use the same q and K. 1 / keys means the weight is spread
 * evenly; 1 means one key takes it all. At d = 1 the two rows are equal
 * (√1 = 1).
 *
 * The scores go through al_dot_scores (BLAS), al_scale_scores and
 * al_softmax_rows, exactly as in attention. Allocates its scratch
 * (keys x largest d) once and frees it before returning. Fails like
 * al_dot_variance, and for keys < 2 or draws < 1. Traces "<name>.peak"
 * (op "softmax_peak"). */
al_status al_softmax_peak(al_matrix *peak, const int *dims, int count, int keys, int draws,
                          al_rng *rng, al_trace_at at, al_error *err);

#endif
