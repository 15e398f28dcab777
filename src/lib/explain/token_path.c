/* token_path.c: one token's row of every stage of a stack, stacked (see
 * token_path.h). Copying rows only. */
#include "attnlab/token_path.h"

#include <stdio.h>
#include <string.h>

#include "trace/traced.h"

static al_status check_stages(const al_matrix *path, const al_matrix *const *stages,
                              int count, int row, al_error *err)
{
    if (count < 1 || count > AL_TRACE_MAX_INPUTS)
        return al_fail(err, AL_ERR_ARG, "token path: %d stages; it takes 1 to %d", count,
                       AL_TRACE_MAX_INPUTS);
    if (path->rows != count)
        return al_fail(err, AL_ERR_SHAPE, "token path: the path has %d rows for %d stages",
                       path->rows, count);
    for (int s = 0; s < count; s++) {
        if (stages[s]->cols != path->cols)
            return al_fail(err, AL_ERR_SHAPE, "token path: stage %d is %d x %d but the path "
                           "is %d wide", s, stages[s]->rows, stages[s]->cols, path->cols);
        if (row < 0 || row >= stages[s]->rows)
            return al_fail(err, AL_ERR_SHAPE, "token path: row %d is outside stage %d "
                           "(%d rows)", row, s, stages[s]->rows);
    }
    return AL_OK;
}

al_status al_token_path(al_matrix *path, const al_matrix *const *stages,
                        const char *const *stage_names, int count, int row,
                        const char *const *stage_labels, const char *const *col_labels,
                        al_trace_at at, al_error *err)
{
    al_trace *trace = at.trace;
    const char *name = at.name;
    al_status status = need_name_when_tracing(trace, name, "token path", err);
    if (status == AL_OK)
        status = check_stages(path, stages, count, row, err);
    if (status != AL_OK)
        return status;
    /* path row s = stage s row `row` */
    for (int s = 0; s < count; s++)
        memcpy(al_at(path, s, 0), al_at(stages[s], row, 0), (size_t)path->cols * sizeof(float));
    char note[96];
    snprintf(note, sizeof note, "row %d of each input, in the order of the inputs", row);
    al_tensor_info info = {.name = name, .role = AL_ROLE_ACTIVATION, .op = "gather_row",
                           .attrs = {AL_ATTR("row", row)}, .row_labels = stage_labels, .col_labels = col_labels, .note = note};
    for (int s = 0; s < count; s++)
        info.inputs[s] = stage_names[s];
    return al_trace_matrix(trace, &info, path, err);
}
