/* row_change.c: the largest change in each row between two runs (see
 * row_change.h). */
#include "attnlab/row_change.h"

#include <math.h>

#include "trace/traced.h"

static al_status check_shapes(const al_matrix *change, const al_matrix *before,
                              const al_matrix *after, al_error *err)
{
    if (!al_same_shape(before, after))
        return al_fail(err, AL_ERR_SHAPE, "row change: before is %d x %d but after is %d x %d",
                       before->rows, before->cols, after->rows, after->cols);
    if (change->rows != before->rows || change->cols != 1)
        return al_fail(err, AL_ERR_SHAPE, "row change: the result is %d x %d but needs %d x 1",
                       change->rows, change->cols, before->rows);
    return AL_OK;
}

al_status al_row_change(al_matrix *change, al_named before_in, al_named after_in,
                        al_trace_at at, al_error *err)
{
    const al_matrix *before = before_in.value, *after = after_in.value;
    const char *before_name = before_in.name, *after_name = after_in.name;
    const char *const *labels = before_in.labels;
    al_trace *trace = at.trace;
    const char *name = at.name;
    al_status status = need_name_when_tracing(trace, name, "row change", err);
    if (status == AL_OK)
        status = check_shapes(change, before, after, err);
    if (status != AL_OK)
        return status;
    /* change_i = max_j |after_ij - before_ij| */
    for (int i = 0; i < before->rows; i++) {
        float largest = 0.0f;
        for (int j = 0; j < before->cols; j++) {
            float difference = fabsf(*al_at(after, i, j) - *al_at(before, i, j));
            if (isnan(difference))
                return al_fail(err, AL_ERR_VALUE, "row change: entry (%d, %d) is not a number "
                               "in one of the runs", i, j);
            largest = difference > largest ? difference : largest;
        }
        *al_at(change, i, 0) = largest;
    }
    static const char *const column[] = {"max |Δ|"};
    al_tensor_info info = {.name = name, .role = AL_ROLE_ACTIVATION,
                           .op = "row_max_abs_difference", .inputs = {before_name, after_name},
                           .row_labels = labels, .col_labels = column};
    return al_trace_matrix(trace, &info, change, err);
}
