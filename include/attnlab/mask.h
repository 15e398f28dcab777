/* mask.h: which keys each query may attend to, as a matrix of 1s and 0s,
 * and applying it to a score matrix. Builds and applies masks only; the
 * softmax that turns masked scores into weights of exactly 0 is in
 * softmax.h, and the attention that uses masks is in attention.h.
 *
 * A mask is an Lq x Lk float matrix (rows: queries, cols: keys) holding
 * 1 where query i may attend to key j and 0 where it may not. It is traced
 * as a tensor of its own (role "input", op "causal_mask", "padding_mask" or
 * "given", e.g. enc.0.attn.mask), and the masked score tensor names it in
 * its "mask" field. Applying a mask writes -INFINITY into the masked
 * scores: the trace writes those as null, and softmax gives them a weight
 * of exactly 0 because exp(-inf) = 0. */
#ifndef ATTNLAB_MASK_H
#define ATTNLAB_MASK_H

#include "attnlab/matrix.h"
#include "attnlab/trace.h"

/* The op names a traced mask carries, saying how it was made. */
#define AL_MASK_OP_CAUSAL "causal_mask"
#define AL_MASK_OP_PADDING "padding_mask"
#define AL_MASK_OP_GIVEN "given"

/* Causal (look-ahead) mask: mask[i][j] = 1 if j <= i, else 0, so query i
 * sees keys 0..i and nothing after it. In "the cat walks", "cat" (row 1)
 * sees "the" and itself. mask is Lq x Lk (usually square), caller-owned. */
void al_causal_mask(al_matrix *mask);

/* Padding mask: mask[i][j] = 1 if j < key_length, else 0, for every row:
 * keys from key_length on are padding and nobody attends to them.
 * key_length must be in [0, mask->cols] (0 masks everything, which gives
 * all-zero weights and a warning); otherwise AL_ERR_ARG. */
al_status al_padding_mask(al_matrix *mask, int key_length, al_error *err);

/* mask = a AND b, elementwise (e.g. causal and padding together for a
 * decoder over a padded target). All three the same shape; mask may be a
 * or b. Traced by the caller with op "given" if at all. */
al_status al_mask_and(al_matrix *mask, const al_matrix *a, const al_matrix *b, al_error *err);

/* Check that every entry of mask is exactly 0 or 1; AL_ERR_VALUE names
 * the first that is not ("mask entry (1, 2) is 0.5; a mask holds only 0 and
 * 1"). */
al_status al_mask_check(const al_matrix *mask, al_error *err);

/* masked[i][j] = scores[i][j] where mask[i][j] == 1, -INFINITY where
 * mask[i][j] == 0. Shapes must agree (AL_ERR_SHAPE names both); any mask
 * entry other than 0 or 1 fails with AL_ERR_VALUE naming it. masked may be
 * scores. If fully_masked_rows is not NULL it receives the number of rows
 * whose every entry is 0 in the mask. */
al_status al_apply_mask(al_matrix *masked, const al_matrix *scores, const al_matrix *mask,
                        int *fully_masked_rows, al_error *err);

/* Record mask as a tensor named name (role input, op one of the
 * AL_MASK_OP_* names; NULL means "given"), rows labelled by the queries and
 * cols by the keys (either may be NULL). A NULL trace does nothing. */
al_status al_trace_mask(al_trace *trace, const char *name, const al_matrix *mask, const char *op,
                        const char *const *query_labels, const char *const *key_labels,
                        al_error *err);

#endif
