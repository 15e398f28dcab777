/* gram.c: G = A · Aᵀ through the BLAS wrapper, traced (see gram.h). */
#include "attnlab/gram.h"

#include "attnlab/blas.h"
#include "trace/traced.h"

al_status al_gram_matrix(al_matrix *gram, al_named input, al_trace_at at, al_error *err)
{
    const al_matrix *a = input.value;
    const char *input_name = input.name;
    const char *const *labels = input.labels;
    al_trace *trace = at.trace;
    const char *name = at.name;
    al_status status = need_name_when_tracing(trace, name, "gram matrix", err);
    if (status == AL_OK)
        status = need_name_when_tracing(trace, input_name, "gram matrix input", err);
    /* gram (n x n) = a (n x d) · aᵀ (d x n) */
    if (status == AL_OK)
        status = al_matmul_bt(gram, a, a, err);
    al_tensor_info info = {.name = name, .role = AL_ROLE_ACTIVATION, .op = "matmul_bt",
                           .inputs = {input_name, input_name}, .row_labels = labels,
                           .col_labels = labels, .note = "row i · row j for every pair"};
    if (status == AL_OK)
        status = al_trace_matrix(trace, &info, gram, err);
    return status;
}
