/* residual.c: the residual (shortcut) addition y = x + sublayer(x) that
 * wraps every sublayer of a Transformer block, traced under its own name.
 * The normalisation that follows it is layer_norm.c. */
#include "attnlab/layers.h"

#include "trace/traced.h"

al_status al_residual_add(al_matrix *y, const al_matrix *x, const al_matrix *sublayer,
                          al_trace *trace, const char *name, const char *x_name,
                          const char *sublayer_name, const char *const *row_labels,
                          al_error *err)
{
    al_status status = need_name_when_tracing(trace, name, "residual add", err);
    if (status != AL_OK)
        return status;
    if (!al_same_shape(x, sublayer) || !al_same_shape(y, x))
        return al_fail(err, AL_ERR_SHAPE, "%s: x is %d x %d, the sublayer's output %d x %d "
                       "and y %d x %d; all three must agree",
                       name_for_message(name, "residual add"), x->rows, x->cols,
                       sublayer->rows, sublayer->cols, y->rows, y->cols);
    /* y (L x d) = x (L x d) + sublayer (L x d) */
    al_add(y, x, sublayer, NULL);
    al_tensor_info info = {.name = name, .role = AL_ROLE_ACTIVATION, .op = "add",
                           .inputs = {x_name, sublayer_name}, .row_labels = row_labels};
    return al_trace_matrix(trace, &info, y, err);
}
