/* positional.c: sinusoidal, one-hot and learned positional encodings
 * (see positional.h for the formulas and why there are three).
 * Adding them to the embeddings is not done here. */
#include "attnlab/positional.h"

#include <math.h>
#include <stdio.h>

#include "trace/traced.h"

/* Positions first .. first + L - 1 must be >= 0 and, for a table, below its
 * length (limit); limit <= 0 means "no table: any position". */
static al_status check_positions(int first_position, int length, int limit, const char *kind,
                                 al_error *err)
{
    if (first_position < 0)
        return al_fail(err, AL_ERR_VALUE, "%s positional encoding: position %d is negative",
                       kind, first_position);
    if (first_position > AL_MATRIX_MAX_DIM - length)
        return al_fail(err, AL_ERR_VALUE, "%s positional encoding: position %d is past %d",
                       kind, first_position + length - 1, AL_MATRIX_MAX_DIM);
    int last = first_position + length - 1;
    if (limit > 0 && last >= limit)
        return al_fail(err, AL_ERR_VALUE,
                       "%s positional encoding: position %d is past the encoding's %d "
                       "positions (0 to %d)",
                       kind, last, limit, limit - 1);
    return AL_OK;
}

/* PE[p][2i]   = sin(p / 10000^(2i/d))
 * PE[p][2i+1] = cos(p / 10000^(2i/d))
 * Both columns of pair i share one angle, so moving k positions on turns
 * every pair by a fixed angle k / 10000^(2i/d): PE(p + k) is a rotation of
 * PE(p) that does not depend on p. */
static void fill_sinusoids(al_matrix *pos, int first_position)
{
    int d = pos->cols;
    for (int r = 0; r < pos->rows; r++) {
        double p = (double)(first_position + r);
        for (int column = 0; column < d; column += 2) {
            double angle = p / pow(AL_SINUSOID_BASE, (double)column / d);
            *al_at(pos, r, column) = (float)sin(angle);
            if (column + 1 < d)
                *al_at(pos, r, column + 1) = (float)cos(angle);
        }
    }
}

al_status al_positional_sinusoidal(al_matrix *pos, int first_position,
                                   const char *const *row_labels, al_trace_at at, al_error *err)
{
    al_trace *trace = at.trace;
    const char *name = at.name;
    al_status status = need_name_when_tracing(trace, name, "sinusoidal positional encoding", err);
    if (status == AL_OK)
        status = check_positions(first_position, pos->rows, 0, "sinusoidal", err);
    if (status != AL_OK)
        return status;
    fill_sinusoids(pos, first_position);
    char note[160];
    snprintf(note, sizeof note,
             "PE[p][2i] = sin(p / 10000^(2i/d)), PE[p][2i+1] = cos(p / 10000^(2i/d)), "
             "p from %d, d = %d", first_position, pos->cols);
    al_tensor_info info = {.name = name, .role = AL_ROLE_ACTIVATION, .op = "sinusoidal",
                           .attrs = {AL_ATTR("first_position", first_position),
                                     AL_ATTR("base", AL_SINUSOID_BASE)},
                           .row_labels = row_labels, .note = note};
    return al_trace_matrix(trace, &info, pos, err);
}

al_status al_positional_one_hot(al_matrix *pos, int first_position,
                                const char *const *row_labels, al_trace_at at, al_error *err)
{
    al_trace *trace = at.trace;
    const char *name = at.name;
    al_status status = need_name_when_tracing(trace, name, "one-hot positional encoding", err);
    if (status == AL_OK)
        status = check_positions(first_position, pos->rows, pos->cols, "one-hot", err);
    if (status != AL_OK)
        return status;
    /* row r: 1 in column first_position + r */
    al_fill(pos, 0.0f);
    for (int r = 0; r < pos->rows; r++)
        *al_at(pos, r, first_position + r) = 1.0f;
    al_tensor_info info = {.name = name, .role = AL_ROLE_ACTIVATION, .op = "one_hot",
                           .attrs = {AL_ATTR("first_position", first_position)},
                           .row_labels = row_labels};
    return al_trace_matrix(trace, &info, pos, err);
}

al_status al_positional_learned(al_matrix *pos, int first_position, const al_matrix *table,
                                const char *const *row_labels, al_trace_at at, al_error *err)
{
    al_trace *trace = at.trace;
    const char *name = at.name;
    al_status status = need_name_when_tracing(trace, name, "learned positional encoding", err);
    if (status != AL_OK)
        return status;
    if (table->cols != pos->cols)
        return al_fail(err, AL_ERR_SHAPE,
                       "learned positional encoding: the table is %d x %d but pos is %d x %d "
                       "(the widths must agree)",
                       table->rows, table->cols, pos->rows, pos->cols);
    status = check_positions(first_position, pos->rows, table->rows, "learned", err);
    if (status != AL_OK)
        return status;
    /* pos row r = table row first_position + r */
    al_matrix rows = al_matrix_rows(table, first_position, pos->rows);
    al_copy(pos, &rows, NULL);

    char table_name[AL_NAME_SIZE] = "", note[96];
    if (trace)
        al_name(table_name, "%s.table", name);
    snprintf(note, sizeof note, "rows %d to %d of the table", first_position,
             first_position + pos->rows - 1);
    al_tensor_info table_info = {.name = table_name, .role = AL_ROLE_PARAM};
    status = al_trace_matrix(trace, &table_info, table, err);
    al_tensor_info info = {.name = name, .role = AL_ROLE_ACTIVATION, .op = "learned_lookup",
                           .inputs = {table_name},
                           .attrs = {AL_ATTR("first_position", first_position)},
                           .row_labels = row_labels, .note = note};
    if (status == AL_OK)
        status = al_trace_matrix(trace, &info, pos, err);
    return status;
}
