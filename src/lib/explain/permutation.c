/* permutation.c: shuffled orders and rows put in an order (see
 * permutation.h). Moving rows only: no arithmetic on their values. */
#include "attnlab/permutation.h"

#include <stdlib.h>
#include <string.h>

#include "trace/traced.h"

void al_shuffle_order(int *order, int n, al_rng *rng)
{
    for (int i = 0; i < n; i++)
        order[i] = i;
    /* Sattolo: j < i strictly, so the result is one cycle through all n. */
    for (int i = n - 1; i > 0; i--) {
        int j = (int)al_rng_below(rng, (uint32_t)i);
        int kept = order[i];
        order[i] = order[j];
        order[j] = kept;
    }
}

static al_status check_order(const al_matrix *out, const al_matrix *in, const int *order,
                             al_error *err)
{
    if (!al_same_shape(out, in))
        return al_fail(err, AL_ERR_SHAPE, "permute rows: out is %d x %d but in is %d x %d",
                       out->rows, out->cols, in->rows, in->cols);
    for (int i = 0; i < in->rows; i++)
        if (order[i] < 0 || order[i] >= in->rows)
            return al_fail(err, AL_ERR_VALUE, "permute rows: place %d takes row %d, but the "
                           "rows are 0 to %d", i, order[i], in->rows - 1);
    return AL_OK;
}

al_status al_permute_rows(al_matrix *out, al_named input, const int *order,
                          const char *order_name, const char *const *labels, al_trace_at at,
                          al_error *err)
{
    const al_matrix *in = input.value;
    const char *input_name = input.name;
    al_trace *trace = at.trace;
    const char *name = at.name;
    al_status status = need_name_when_tracing(trace, name, "permute rows", err);
    if (status == AL_OK)
        status = check_order(out, in, order, err);
    if (status != AL_OK)
        return status;
    /* out row i = in row order[i] */
    for (int i = 0; i < in->rows; i++)
        memcpy(al_at(out, i, 0), al_at(in, order[i], 0), (size_t)in->cols * sizeof(float));
    al_tensor_info info = {.name = name, .role = AL_ROLE_ACTIVATION, .op = "permute_rows",
                           .inputs = {input_name, order_name}, .row_labels = labels};
    return al_trace_matrix(trace, &info, out, err);
}

void al_permute_labels(const char **out, const char *const *in, const int *order, int n)
{
    for (int i = 0; i < n; i++)
        out[i] = in[order[i]];
}

al_status al_trace_order(al_trace *trace, const char *name, const int *order, int n,
                         const char *const *labels, al_error *err)
{
    al_status status = need_name_when_tracing(trace, name, "order", err);
    if (status != AL_OK || !al_trace_wants(trace, name))
        return status;
    float *positions = malloc((size_t)n * sizeof *positions);
    if (!positions)
        return al_fail(err, AL_ERR_NOMEM, "out of memory tracing an order of %d", n);
    for (int i = 0; i < n; i++)
        positions[i] = (float)order[i];
    al_matrix row = al_matrix_wrap(positions, 1, n);
    al_tensor_info info = {.name = name, .role = AL_ROLE_INPUT, .col_labels = labels,
                           .note = "entry i: the original position of the row now at place i"};
    status = al_trace_matrix(trace, &info, &row, err);
    free(positions);
    return status;
}
