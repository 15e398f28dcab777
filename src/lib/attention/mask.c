/* mask.c: building causal and padding masks, checking and applying masks.
 * A mask only says who may attend to whom; turning masked scores into
 * weights of exactly 0 is softmax's job (softmax.c). */
#include "attnlab/mask.h"

#include <math.h>

/* mask[i][j] = 1 if j <= i (key j is not in query i's future), else 0 */
void al_causal_mask(al_matrix *mask)
{
    for (int i = 0; i < mask->rows; i++)
        for (int j = 0; j < mask->cols; j++)
            *al_at(mask, i, j) = j <= i ? 1.0f : 0.0f;
}

/* mask[i][j] = 1 if j < key_length (a real key), else 0 (padding) */
al_status al_padding_mask(al_matrix *mask, int key_length, al_error *err)
{
    if (key_length < 0 || key_length > mask->cols)
        return al_fail(err, AL_ERR_ARG,
                       "padding mask: key length %d is outside 0 .. %d (the mask is %d x %d)",
                       key_length, mask->cols, mask->rows, mask->cols);
    for (int i = 0; i < mask->rows; i++)
        for (int j = 0; j < mask->cols; j++)
            *al_at(mask, i, j) = j < key_length ? 1.0f : 0.0f;
    return AL_OK;
}

al_status al_mask_check(const al_matrix *mask, al_error *err)
{
    for (int i = 0; i < mask->rows; i++) {
        /* how many entries of the row are neither 0 nor 1: counted over
         * the whole row (no early exit, so it runs in vector registers);
         * the first one is looked for only when there is one */
        const float *row = al_at(mask, i, 0);
        int bad = 0;
        for (int j = 0; j < mask->cols; j++)
            bad += row[j] != 0.0f && row[j] != 1.0f;
        if (bad == 0)
            continue;
        for (int j = 0; j < mask->cols; j++) {
            float keep = *al_at(mask, i, j);
            if (keep != 0.0f && keep != 1.0f)
                return al_fail(err, AL_ERR_VALUE,
                               "mask entry (%d, %d) is %g; a mask holds only 0 and 1", i, j,
                               (double)keep);
        }
    }
    return AL_OK;
}

al_status al_mask_and(al_matrix *mask, const al_matrix *a, const al_matrix *b, al_error *err)
{
    if (!al_same_shape(a, b) || !al_same_shape(mask, a))
        return al_fail(err, AL_ERR_SHAPE,
                       "mask and: a is %d x %d, b is %d x %d, out is %d x %d; all must agree",
                       a->rows, a->cols, b->rows, b->cols, mask->rows, mask->cols);
    al_status status = al_mask_check(a, err);
    if (status == AL_OK)
        status = al_mask_check(b, err);
    if (status != AL_OK)
        return status;
    for (int i = 0; i < a->rows; i++)
        for (int j = 0; j < a->cols; j++)
            *al_at(mask, i, j) = *al_at(a, i, j) * *al_at(b, i, j);
    return AL_OK;
}

/* masked[i][j] = scores[i][j] where mask[i][j] = 1, -inf where it is 0.
 * -inf rather than a large negative number: exp(-inf) is exactly 0, so
 * softmax gives masked keys no weight at all, and the trace can show the
 * entry as null, plainly "not there", instead of a made-up score. */
al_status al_apply_mask(al_matrix *masked, const al_matrix *scores, const al_matrix *mask,
                        int *fully_masked_rows, al_error *err)
{
    if (!al_same_shape(scores, mask) || !al_same_shape(masked, scores))
        return al_fail(err, AL_ERR_SHAPE,
                       "apply mask: scores are %d x %d but the mask is %d x %d "
                       "(and the output %d x %d)",
                       scores->rows, scores->cols, mask->rows, mask->cols, masked->rows,
                       masked->cols);
    al_status status = al_mask_check(mask, err);
    if (status != AL_OK)
        return status;
    int empty_rows = 0;
    for (int i = 0; i < scores->rows; i++) {
        int kept = 0;
        for (int j = 0; j < scores->cols; j++) {
            bool keep = *al_at(mask, i, j) == 1.0f;
            *al_at(masked, i, j) = keep ? *al_at(scores, i, j) : -INFINITY;
            kept += keep;
        }
        empty_rows += kept == 0;
    }
    if (fully_masked_rows)
        *fully_masked_rows = empty_rows;
    return AL_OK;
}

al_status al_trace_mask(al_trace *trace, const char *name, const al_matrix *mask, const char *op,
                        const char *const *query_labels, const char *const *key_labels,
                        al_error *err)
{
    al_tensor_info info = {.name = name, .role = AL_ROLE_INPUT, .op = op ? op : AL_MASK_OP_GIVEN,
                           .row_labels = query_labels, .col_labels = key_labels,
                           .note = "1 = may attend, 0 = masked"};
    return al_trace_matrix(trace, &info, mask, err);
}
