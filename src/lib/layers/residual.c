/* residual.c: the residual (shortcut) addition y = x + sublayer(x) that
 * wraps every sublayer of a Transformer block, traced under its own name.
 * The normalisation that follows it is layer_norm.c. */
#include "attnlab/layers.h"

#include "trace/traced.h"

al_status al_residual_add(al_matrix *y, al_named x, al_named sublayer, al_trace_at at,
                          al_error *err)
{
    al_status status = need_name_when_tracing(at.trace, at.name, "residual add", err);
    if (status != AL_OK)
        return status;
    const al_matrix *a = x.value, *b = sublayer.value;
    if (!al_same_shape(a, b) || !al_same_shape(y, a))
        return al_fail(err, AL_ERR_SHAPE, "%s: x is %d x %d, the sublayer's output %d x %d "
                       "and y %d x %d; all three must agree",
                       name_for_message(at.name, "residual add"), a->rows, a->cols, b->rows,
                       b->cols, y->rows, y->cols);
    /* y (L x d) = x (L x d) + sublayer (L x d) */
    al_add(y, a, b, NULL);
    al_tensor_info info = {.name = at.name, .role = AL_ROLE_ACTIVATION, .op = "add",
                           .inputs = {x.name, sublayer.name}, .row_labels = x.labels};
    return al_trace_matrix(at.trace, &info, y, err);
}

al_status al_residual_backward(al_matrix *dx, const al_matrix *dy, al_error *err)
{
    /* dx += dy: the shortcut's share, beside the sublayer's */
    return al_add(dx, dx, dy, err);
}
