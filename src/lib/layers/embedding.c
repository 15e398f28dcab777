/* embedding.c: turning token ids into vectors by looking up rows of a
 * V x d_model table. Which word has which id is vocab.h's business. */
#include "attnlab/layers.h"

#include "trace/traced.h"

al_status al_embedding_alloc(al_embedding *embedding, int vocab_size, int d_model,
                             al_error *err)
{
    return al_matrix_alloc(&embedding->table, vocab_size, d_model, err);
}

void al_embedding_init(al_embedding *embedding, al_rng *rng)
{
    al_rng_fill_normal(&embedding->table, rng, 0.0f, 1.0f);
}

void al_embedding_free(al_embedding *embedding)
{
    al_matrix_free(&embedding->table);
}

/* The ids as a 1 x L row of numbers, labelled by the tokens they stand
 * for, so a trace shows "The" above 6. Ids below 2^24 are exact in float.
 * The one allocation in this file, and only when tracing: the ids are ints
 * and a trace records floats. */
static al_status trace_token_ids(al_trace *trace, const int *token_ids, int length,
                                 const char *tokens_name, const char *const *token_labels,
                                 al_error *err)
{
    if (!al_trace_wants(trace, tokens_name))
        return AL_OK;
    al_matrix ids;
    al_status status = al_matrix_alloc(&ids, 1, length, err);
    if (status != AL_OK)
        return status;
    for (int i = 0; i < length; i++)
        *al_at(&ids, 0, i) = (float)token_ids[i];
    al_tensor_info info = {.name = tokens_name, .role = AL_ROLE_INPUT,
                           .col_labels = token_labels, .note = "token ids"};
    status = al_trace_matrix(trace, &info, &ids, err);
    al_matrix_free(&ids);
    return status;
}

al_status al_embedding_forward(al_matrix *out, al_named_ids tokens,
                               const al_embedding *embedding, al_trace_at at, al_error *err)
{
    al_trace *trace = at.trace;
    const char *name = at.name, *tokens_name = tokens.name;
    const int *token_ids = tokens.ids;
    const char *const *token_labels = tokens.labels;
    const al_matrix *table = &embedding->table;
    const char *what = name_for_message(name, "embedding");
    al_status status = need_name_when_tracing(trace, name, "embedding", err);
    if (status == AL_OK && trace && !tokens_name)
        status = al_fail(err, AL_ERR_ARG, "%s: tracing needs a name for the token ids", what);
    if (status != AL_OK)
        return status;
    if (out->cols != table->cols)
        return al_fail(err, AL_ERR_SHAPE, "%s: the table is %d x %d but out is %d x %d", what,
                       table->rows, table->cols, out->rows, out->cols);
    for (int i = 0; i < out->rows; i++)
        if (token_ids[i] < 0 || token_ids[i] >= table->rows)
            return al_fail(err, AL_ERR_VALUE,
                           "%s: token %d has id %d, outside the vocabulary (0 to %d)", what, i,
                           token_ids[i], table->rows - 1);

    /* out row i = table row token_ids[i] */
    for (int i = 0; i < out->rows; i++) {
        al_matrix source = al_matrix_rows(table, token_ids[i], 1);
        al_matrix target = al_matrix_rows(out, i, 1);
        al_copy(&target, &source, NULL);
    }
    if (!trace)
        return AL_OK;

    char table_name[AL_NAME_SIZE];
    al_name(table_name, "%s.table", name);
    status = trace_token_ids(trace, token_ids, out->rows, tokens_name, token_labels, err);
    if (status == AL_OK)
        status = al_trace_matrix(trace, &(al_tensor_info){.name = table_name,
                                                          .role = AL_ROLE_PARAM},
                                 table, err);
    al_tensor_info info = {.name = name, .role = AL_ROLE_ACTIVATION, .op = "embedding_lookup",
                           .inputs = {tokens_name, table_name}, .row_labels = token_labels};
    if (status == AL_OK)
        status = al_trace_matrix(trace, &info, out, err);
    return status;
}

al_status al_embedding_backward(al_embedding *grad, const al_matrix *dout, const int *ids,
                                al_error *err)
{
    al_matrix *table = &grad->table;
    if (dout->cols != table->cols)
        return al_fail(err, AL_ERR_SHAPE, "embedding backward: dout is %d x %d but the table "
                       "is %d x %d", dout->rows, dout->cols, table->rows, table->cols);
    for (int i = 0; i < dout->rows; i++)
        if (ids[i] < 0 || ids[i] >= table->rows)
            return al_fail(err, AL_ERR_VALUE, "embedding backward: token %d has id %d, outside "
                           "the vocabulary (0 to %d)", i, ids[i], table->rows - 1);
    /* dtable[ids[i]] += dout_i */
    for (int i = 0; i < dout->rows; i++)
        for (int j = 0; j < dout->cols; j++)
            *al_at(table, ids[i], j) += *al_at(dout, i, j);
    return AL_OK;
}
