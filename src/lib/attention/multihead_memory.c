/* multihead_memory.c: allocating, initialising and freeing the parameters
 * and the workspace of multi-head attention, and viewing one head's steps.
 * No maths beyond the initial random weights; the computation is in
 * multihead.c. */
#include "attnlab/multihead.h"

#include <math.h>

void al_attention_params_free(al_attention_params *params)
{
    al_matrix *all[] = {&params->w_q, &params->w_k, &params->w_v, &params->w_o,
                        &params->b_q, &params->b_k, &params->b_v, &params->b_o};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        al_matrix_free(all[i]);
    *params = (al_attention_params){0};
}

/* d_model must split evenly into heads: each head takes d_head columns. */
static al_status check_heads(int d_model, int heads, al_error *err)
{
    if (heads < 1 || heads > AL_MAX_HEADS)
        return al_fail(err, AL_ERR_ARG, "multi-head attention: %d heads is outside 1 .. %d",
                       heads, AL_MAX_HEADS);
    if (d_model < 1 || d_model % heads != 0)
        return al_fail(err, AL_ERR_ARG,
                       "multi-head attention: d_model %d does not split into %d heads: "
                       "%d / %d is not a whole number",
                       d_model, heads, d_model, heads);
    return AL_OK;
}

al_status al_attention_params_alloc(al_attention_params *params, int d_model, int heads,
                                    bool with_bias, al_error *err)
{
    *params = (al_attention_params){.d_model = d_model, .heads = heads, .has_bias = with_bias};
    al_status status = check_heads(d_model, heads, err);
    al_matrix *weights[] = {&params->w_q, &params->w_k, &params->w_v, &params->w_o};
    al_matrix *biases[] = {&params->b_q, &params->b_k, &params->b_v, &params->b_o};
    for (int i = 0; i < 4 && status == AL_OK; i++) {
        status = al_matrix_alloc(weights[i], d_model, d_model, err);
        if (status == AL_OK && with_bias)
            status = al_matrix_alloc(biases[i], 1, d_model, err);
    }
    if (status != AL_OK)
        al_attention_params_free(params);
    return status;
}

/* Glorot (Xavier) uniform: a = sqrt(6 / (d_in + d_out)) keeps the variance
 * of x · W about that of x, so scores neither vanish nor explode at the
 * start. Here d_in = d_out = d_model. */
void al_attention_params_init(al_attention_params *params, al_rng *rng)
{
    float a = sqrtf(6.0f / (float)(2 * params->d_model));
    al_matrix *weights[] = {&params->w_q, &params->w_k, &params->w_v, &params->w_o};
    for (int i = 0; i < 4; i++)
        al_rng_fill_uniform(weights[i], rng, -a, a);
    if (params->has_bias) {
        al_matrix *biases[] = {&params->b_q, &params->b_k, &params->b_v, &params->b_o};
        for (int i = 0; i < 4; i++)
            al_fill(biases[i], 0.0f);
    }
}

void al_attention_workspace_free(al_attention_workspace *ws)
{
    al_matrix *all[] = {&ws->q, &ws->k, &ws->v, &ws->scores, &ws->scaled,
                        &ws->masked, &ws->weights, &ws->concat};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        al_matrix_free(all[i]);
    *ws = (al_attention_workspace){0};
}

al_status al_attention_workspace_alloc(al_attention_workspace *ws,
                                       const al_attention_params *params, int max_queries,
                                       int max_keys, al_error *err)
{
    return al_attention_workspace_alloc_packed(ws, params, max_queries, max_keys, max_keys,
                                               err);
}

al_status al_attention_workspace_alloc_packed(al_attention_workspace *ws,
                                              const al_attention_params *params,
                                              int max_queries, int max_keys, int max_key_rows,
                                              al_error *err)
{
    int d_model = params->d_model, heads = params->heads;
    *ws = (al_attention_workspace){.d_model = d_model, .heads = heads,
                                   .max_queries = max_queries, .max_keys = max_keys,
                                   .max_key_rows = max_key_rows};
    al_status status = check_heads(d_model, heads, err);
    if (status == AL_OK && (max_queries < 1 || max_keys < 1 || max_key_rows < max_keys ||
                            max_queries > AL_MATRIX_MAX_DIM / heads))
        status = al_fail(err, AL_ERR_ARG, "attention workspace: cannot hold %d queries and %d "
                         "keys (%d key rows) for %d heads", max_queries, max_keys,
                         max_key_rows, heads);
    if (status == AL_OK)
        status = al_matrix_alloc(&ws->q, max_queries, d_model, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&ws->k, max_key_rows, d_model, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&ws->v, max_key_rows, d_model, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&ws->concat, max_queries, d_model, err);
    /* One block of rows per head for each step, so that every head's
     * steps are still there to print after the call. */
    al_matrix *per_head[] = {&ws->scores, &ws->scaled, &ws->masked, &ws->weights};
    for (int i = 0; i < 4 && status == AL_OK; i++)
        status = al_matrix_alloc(per_head[i], heads * max_queries, max_keys, err);
    if (status != AL_OK)
        al_attention_workspace_free(ws);
    return status;
}

/* Rows [head · max_queries + first_row, .. + lq), cols [0, lk) of m. */
static al_matrix head_block(const al_matrix *m, const al_attention_workspace *ws, int head,
                            int first_row, int lq, int lk)
{
    al_matrix rows = al_matrix_rows(m, head * ws->max_queries + first_row, lq);
    return al_matrix_cols(&rows, 0, lk);
}

al_attention_steps al_attention_block_steps(const al_attention_workspace *ws, int head,
                                            int first_row, int lq, int lk)
{
    return (al_attention_steps){.scores = head_block(&ws->scores, ws, head, first_row, lq, lk),
                                .scaled = head_block(&ws->scaled, ws, head, first_row, lq, lk),
                                .masked = head_block(&ws->masked, ws, head, first_row, lq, lk),
                                .weights = head_block(&ws->weights, ws, head, first_row, lq,
                                                      lk)};
}

al_attention_steps al_attention_head_steps(const al_attention_workspace *ws, int head)
{
    return al_attention_block_steps(ws, head, 0, ws->queries, ws->keys);
}

void al_attention_backward_workspace_free(al_attention_backward_workspace *bw)
{
    al_matrix *all[] = {&bw->dq, &bw->dconcat, &bw->dk, &bw->dv, &bw->dweights};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        al_matrix_free(all[i]);
}

al_status al_attention_backward_workspace_alloc(al_attention_backward_workspace *bw,
                                                const al_attention_params *params,
                                                int max_queries, int max_keys, al_error *err)
{
    *bw = (al_attention_backward_workspace){0};
    int d = params->d_model;
    al_status status = al_matrix_alloc(&bw->dq, max_queries, d, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&bw->dconcat, max_queries, d, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&bw->dk, max_keys, d, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&bw->dv, max_keys, d, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&bw->dweights, max_queries, max_keys, err);
    if (status != AL_OK)
        al_attention_backward_workspace_free(bw);
    return status;
}
