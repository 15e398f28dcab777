/* output_layer.c: from the last stack's output to scores and probabilities
 * over the vocabulary, and an encoder-only model's sentence summary:
 *
 *   logits (L x V) = final (L x d) · W (d x V) (+ b)    W = logits.w, or
 *                    embed.tableᵀ when the output shares the embeddings
 *   probs  (L x V) = softmax of each row of logits
 *   cls    (1 x d) = row 0 of final: the [CLS] token's vector
 *   pooler (1 x d) = tanh(cls · pooler.w + pooler.b)
 *
 * Choosing a token from a row of logits is decoding.h's. */
#include <math.h>

#include "attnlab/blas.h"
#include "attnlab/softmax.h"
#include "layers/linear_parts.h"
#include "models/transformer_parts.h"

void al_output_names_init(al_output_names *n, const char *prefix)
{
    al_prefixed(n->logits, prefix, "logits");
    al_prefixed(n->w, prefix, "logits.w");
    al_prefixed(n->b, prefix, "logits.b");
    al_prefixed(n->probs, prefix, "probs");
    al_prefixed(n->cls, prefix, "cls");
    al_prefixed(n->pooler, prefix, "pooler");
    al_prefixed(n->pre_tanh, prefix, "pooler.pre_tanh");
}

static al_status trace_param(al_trace *trace, const char *name, const al_matrix *m,
                             al_error *err)
{
    al_tensor_info info = {.name = name, .role = AL_ROLE_PARAM};
    return m->data ? al_trace_matrix(trace, &info, m, err) : AL_OK;
}

/* logits (L x V) = final · logits.w (+ logits.b), or final · embed.tableᵀ
 * (+ logits.b) with tied weights: the score of word v is how well the
 * final vector matches v's own embedding. */
static al_status compute_logits(al_matrix *logits, const al_layer_output *final,
                                const al_transformer *model, const al_output_names *n,
                                const char *table_name, const char *const *rows,
                                const char *const *words, al_trace *trace, al_error *err)
{
    bool tied = model->config.tied_output;
    const al_matrix *bias = model->output.b.data ? &model->output.b : NULL;
    al_status status = tied ? al_matmul_bt(logits, &final->value, &model->embed.table, err)
                            : al_matmul(logits, &final->value, &model->output.w, err);
    if (status == AL_OK && bias)
        status = al_add_row_vector(logits, logits, bias, err);
    if (status == AL_OK && !tied)
        status = trace_param(trace, n->w, &model->output.w, err);
    if (status == AL_OK && bias)
        status = trace_param(trace, n->b, bias, err);
    const char *op = tied ? (bias ? "linear_bt" : "matmul_bt") : (bias ? "linear" : "matmul");
    al_tensor_info info = {.name = n->logits, .role = AL_ROLE_ACTIVATION, .op = op,
                           .inputs = {final->name, tied ? table_name : n->w,
                                      bias ? n->b : NULL},
                           .row_labels = rows, .col_labels = words};
    if (status == AL_OK)
        status = al_trace_matrix(trace, &info, logits, err);
    return status;
}

/* probs (L x V): each row of logits through softmax, so it sums to 1 */
static al_status compute_probs(al_matrix *probs, const al_matrix *logits,
                               const al_output_names *n, const char *const *rows,
                               const char *const *words, al_trace *trace, al_error *err)
{
    al_status status = al_softmax_rows(probs, logits, 1.0f, NULL, err);
    al_tensor_info info = {.name = n->probs, .role = AL_ROLE_OUTPUT, .op = "softmax_rows",
                           .inputs = {n->logits}, .row_labels = rows, .col_labels = words};
    if (status == AL_OK)
        status = al_trace_matrix(trace, &info, probs, err);
    if (status == AL_OK)
        status = al_trace_softmax_rows(trace, n->probs, logits, 1.0f, rows, err);
    return status;
}

/* cls (1 x d) = row 0 of the encoder's output; with a pooler,
 * pooler (1 x d) = tanh(cls · pooler.w + pooler.b) */
static al_status summarise(al_transformer_workspace *ws, const al_transformer *model,
                           const al_output_names *n, al_trace *trace, al_error *err)
{
    al_matrix first_row = al_matrix_rows(&ws->final.value, 0, 1);
    al_copy(&ws->cls, &first_row, NULL);
    const char *const *labels = ws->final_labels;
    al_tensor_info cls = {.name = n->cls, .role = AL_ROLE_OUTPUT, .op = "take_row",
                          .inputs = {ws->final.name}, .attrs = {AL_ATTR("row", 0)},
                          .row_labels = labels,
                          .note = "row 0: the [CLS] token's final vector, the summary of the "
                                  "sentence"};
    al_status status = al_trace_matrix(trace, &cls, &ws->cls, err);
    if (status != AL_OK || !model->config.pooler)
        return status;
    status = al_linear_apply(&ws->pooler_pre, &ws->cls, &model->pooler, n->pooler, err);
    char w_name[AL_NAME_SIZE], b_name[AL_NAME_SIZE];
    if (status == AL_OK)
        status = al_trace_linear_params(trace, &model->pooler, n->pooler, "w", "b", w_name,
                                        b_name, err);
    bool bias = b_name[0] != '\0';
    al_tensor_info pre = {.name = n->pre_tanh, .role = AL_ROLE_ACTIVATION,
                          .op = bias ? "linear" : "matmul",
                          .inputs = {n->cls, w_name, bias ? b_name : NULL}, .row_labels = labels};
    if (status == AL_OK)
        status = al_trace_matrix(trace, &pre, &ws->pooler_pre, err);
    if (status != AL_OK)
        return status;
    for (int j = 0; j < ws->pooled.cols; j++)
        *al_at(&ws->pooled, 0, j) = tanhf(*al_at(&ws->pooler_pre, 0, j));
    al_tensor_info pooled = {.name = n->pooler, .role = AL_ROLE_OUTPUT, .op = "tanh",
                             .inputs = {n->pre_tanh}, .row_labels = labels};
    return al_trace_matrix(trace, &pooled, &ws->pooled, err);
}

al_status al_transformer_output(al_transformer_workspace *ws, const al_transformer *model,
                                const char *const *words, const char *name_prefix,
                                al_trace *trace, al_error *err)
{
    if (!ws->final.value.data)
        return al_fail(err, AL_ERR_ARG, "output layer: no stack has run yet");
    al_output_names n;
    al_output_names_init(&n, name_prefix);
    int length = ws->final.value.rows;
    al_matrix logits = al_matrix_rows(&ws->logits, 0, length);
    al_matrix probs = al_matrix_rows(&ws->probs, 0, length);
    const char *const *rows = ws->final_labels;
    al_status status = compute_logits(&logits, &ws->final, model, &n, ws->table_name, rows,
                                      words, trace, err);
    if (status == AL_OK)
        status = compute_probs(&probs, &logits, &n, rows, words, trace, err);
    if (status == AL_OK && model->config.family == AL_FAMILY_ENCODER_ONLY)
        status = summarise(ws, model, &n, trace, err);
    return status;
}

al_status al_output_logits(al_transformer_workspace *ws, const al_transformer *model,
                           al_error *err)
{
    al_output_names n;
    al_output_names_init(&n, NULL);
    al_matrix logits = al_matrix_rows(&ws->logits, 0, ws->final.value.rows);
    return compute_logits(&logits, &ws->final, model, &n, ws->table_name, NULL, NULL, NULL,
                          err);
}

al_status al_output_backward(al_matrix *d_final, al_transformer *grad, const al_matrix *dlogits,
                             const al_matrix *final, const al_transformer *model,
                             al_error *err)
{
    al_status status = AL_OK;
    /* db (1 x V) += Σ_i dlogits_i */
    if (model->output.b.data)
        status = al_add_column_sums(&grad->output.b, dlogits, err);
    if (status != AL_OK)
        return status;
    if (model->config.tied_output) {
        /* logits = final · Eᵀ:  dE (V x d) += dlogitsᵀ · final,  d_final = dlogits · E */
        status = al_matmul_at_add(&grad->embed.table, dlogits, final, err);
        return status == AL_OK ? al_matmul(d_final, dlogits, &model->embed.table, err) : status;
    }
    /* logits = final · W:  dW (d x V) += finalᵀ · dlogits,  d_final = dlogits · Wᵀ */
    status = al_matmul_at_add(&grad->output.w, final, dlogits, err);
    return status == AL_OK ? al_matmul_bt(d_final, dlogits, &model->output.w, err) : status;
}
