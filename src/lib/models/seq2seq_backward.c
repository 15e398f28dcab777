/* seq2seq_backward.c: backpropagation through the RNN encoder-decoder
 * under teacher forcing (equations in seq2seq.h, the forward in
 * seq2seq.c, kept apart because that file is already a few hundred lines):
 * the output layer for every step at once, then the decoder's steps last
 * first, each sending its gradient to the state before it, to the encoder
 * states it attended to and to its word vector, then the encoder through
 * time. Not the loss (layers.h), and not greedy decoding, whose choices
 * have no gradient. */
#include "attnlab/seq2seq.h"

#include "attnlab/blas.h"

/* --- the workspace ------------------------------------------------------------------ */

void al_seq2seq_backward_workspace_free(al_seq2seq_backward_workspace *bw)
{
    al_matrix *all[] = {&bw->d_readouts, &bw->d_state, &bw->d_prev, &bw->d_input,
                        &bw->d_context, &bw->d_query, &bw->d_keys, &bw->d_values,
                        &bw->d_encoder_states, &bw->d_source_embed, &bw->d_scores,
                        &bw->q_proj, &bw->d_q_proj, &bw->d_k_proj};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        al_matrix_free(all[k]);
    al_rnn_backward_scratch_free(&bw->cell);
    *bw = (al_seq2seq_backward_workspace){0};
}

al_status al_seq2seq_backward_workspace_alloc(al_seq2seq_backward_workspace *bw,
                                              const al_seq2seq *model, int max_source,
                                              int max_steps, al_error *err)
{
    *bw = (al_seq2seq_backward_workspace){.max_source = max_source, .max_steps = max_steps};
    if (max_source < 1 || max_steps < 1 || max_source > AL_MATRIX_MAX_DIM ||
        max_steps > AL_MATRIX_MAX_DIM)
        return al_fail(err, AL_ERR_ARG, "seq2seq backward workspace: cannot hold %d source "
                       "tokens and %d steps", max_source, max_steps);
    const al_seq2seq_config *c = &model->config;
    int d_e = c->d_embed, d_h = c->d_hidden, s = max_source;
    bool additive = c->attention && c->score == AL_SCORE_ADDITIVE;
    bool general = c->attention && c->score == AL_SCORE_GENERAL;
    int d_proj = additive ? c->d_attention : d_h;
    const struct {
        al_matrix *m;
        int rows, cols;
        bool wanted;
    } all[] = {{&bw->d_readouts, max_steps, 2 * d_h, true}, {&bw->d_state, 1, d_h, true},
               {&bw->d_prev, 1, d_h, true},                 {&bw->d_input, 1, d_e + d_h, true},
               {&bw->d_context, 1, d_h, true},             {&bw->d_query, 1, d_h, true},
               {&bw->d_keys, s, d_h, true},                {&bw->d_values, s, d_h, true},
               {&bw->d_encoder_states, s, d_h, true},      {&bw->d_source_embed, s, d_e, true},
               {&bw->d_scores, 1, s, true},
               {&bw->q_proj, 1, d_proj, additive || general},
               {&bw->d_q_proj, 1, d_proj, additive || general},
               {&bw->d_k_proj, s, d_proj, additive}};
    al_status status = AL_OK;
    for (size_t k = 0; k < sizeof all / sizeof all[0] && status == AL_OK; k++)
        if (all[k].wanted)
            status = al_matrix_alloc(all[k].m, all[k].rows, all[k].cols, err);
    if (status == AL_OK)
        status = al_rnn_backward_scratch_alloc(&bw->cell, &model->decoder, err);
    if (status != AL_OK)
        al_seq2seq_backward_workspace_free(bw);
    return status;
}

/* --- one decoder step ------------------------------------------------------------------ */

/* c_t = attention(q = s_{t-1}, keys = values = h), backwards from
 * bw->d_context: ds_{t-1} += dq (into bw->d_prev), dh_j += dk_j + dv_j.
 * What al_attend_backward reads of the forward: row t of the alignment
 * (the weights), k_proj (k · W_k, the same at every step), and q_proj,
 * which the forward kept only for its last step and is made again here by
 * the same product (q_proj = s_{t-1} · W_q, or · W_a for general). */
static al_status attention_backward(al_seq2seq *grad, al_seq2seq_backward_workspace *bw,
                                    const al_seq2seq_workspace *ws, const al_seq2seq *model,
                                    int t, const al_matrix *prev, al_matrix *d_encoder,
                                    al_error *err)
{
    int length = ws->source_length;
    al_score_kind kind = model->config.score;
    al_matrix keys = al_matrix_rows(&ws->encoder_states, 0, length);
    al_matrix alignment_row = al_matrix_rows(&ws->alignment, t, 1);
    al_matrix scores_row = al_matrix_rows(&ws->scores, t, 1);
    al_attention_steps steps = {.scores = al_matrix_cols(&scores_row, 0, length),
                                .weights = al_matrix_cols(&alignment_row, 0, length)};
    al_status status = AL_OK;
    if (kind == AL_SCORE_ADDITIVE || kind == AL_SCORE_GENERAL) {
        steps.q_proj = bw->q_proj;
        status = al_matmul(&steps.q_proj, prev,
                           kind == AL_SCORE_ADDITIVE ? &model->attn_w_q : &model->attn_w_a, err);
    }
    al_matrix d_k_proj = {0};
    if (kind == AL_SCORE_ADDITIVE) {
        steps.k_proj = al_matrix_rows(&ws->attention.k_proj, 0, length);
        d_k_proj = al_matrix_rows(&bw->d_k_proj, 0, length);
    }
    al_score_grads grads = {.w_a = grad->attn_w_a.data ? &grad->attn_w_a : NULL,
                            .w_q = grad->attn_w_q.data ? &grad->attn_w_q : NULL,
                            .w_k = grad->attn_w_k.data ? &grad->attn_w_k : NULL,
                            .v_a = grad->attn_v_a.data ? &grad->attn_v_a : NULL,
                            .scratch_k = &d_k_proj};
    al_matrix d_scores = al_matrix_cols(&bw->d_scores, 0, length);
    al_matrix d_keys = al_matrix_rows(&bw->d_keys, 0, length);
    al_matrix d_values = al_matrix_rows(&bw->d_values, 0, length);
    al_scoring scoring = al_seq2seq_scoring(model);
    if (status == AL_OK)
        status = al_attend_backward(&bw->d_query, &d_keys, &d_values, &grads, &d_scores,
                                    steps.q_proj.data ? &bw->d_q_proj : NULL, &bw->d_context,
                                    &steps, prev, &keys, &keys, NULL, &scoring, err);
    if (status == AL_OK)
        status = al_add(&bw->d_prev, &bw->d_prev, &bw->d_query, err);
    if (status == AL_OK)
        status = al_add(d_encoder, d_encoder, &d_keys, err);
    if (status == AL_OK)
        status = al_add(d_encoder, d_encoder, &d_values, err);
    return status;
}

/* Step t backwards (seq2seq.h, "then t = T-1 down to 0"). On entry
 * bw->d_state holds what step t + 1 sent back to s_t; on return, what step
 * t sends back to s_{t-1}. d_encoder (S x d_h) collects dL/dh_j. */
static al_status step_backward(al_seq2seq *grad, al_seq2seq_backward_workspace *bw,
                               const al_seq2seq_workspace *ws, const al_seq2seq *model, int t,
                               al_matrix *d_encoder, al_error *err)
{
    int d_e = model->config.d_embed, d_h = model->config.d_hidden;
    int length = ws->source_length;
    al_matrix d_readout = al_matrix_rows(&bw->d_readouts, t, 1);
    al_matrix d_readout_state = al_matrix_cols(&d_readout, 0, d_h);
    al_matrix d_readout_context = al_matrix_cols(&d_readout, d_h, d_h);
    /* readout_t = [s_t ; c_t]: ds_t = d_readout's first half + what came back */
    al_status status = al_add(&bw->d_state, &bw->d_state, &d_readout_state, err);

    /* s_t (1 x d_h) = cell(input_t (1 x (d_e + d_h)), s_{t-1}) */
    al_matrix prev = t == 0 ? al_matrix_rows(&ws->encoder_states, length - 1, 1)
                            : al_matrix_rows(&ws->decoder_states, t - 1, 1);
    al_matrix input = al_matrix_rows(&ws->inputs, t, 1);
    al_matrix state = al_matrix_rows(&ws->decoder_states, t, 1);
    al_matrix z = {0}, r = {0}, n = {0};
    if (al_rnn_is_gru(model->config.cell)) {
        z = al_matrix_rows(&ws->decoder_gates.z, t, 1);
        r = al_matrix_rows(&ws->decoder_gates.r, t, 1);
        n = al_matrix_rows(&ws->decoder_gates.n, t, 1);
    }
    if (status == AL_OK)
        status = al_rnn_step_backward(&bw->d_input, &bw->d_prev, &grad->decoder, &bw->cell,
                                      &bw->d_state, &input, &prev, &state, &z, &r, &n,
                                      &model->decoder, err);

    /* input_t = [e_t ; c_t], e_t = row y_{t-1} of the target table */
    al_matrix d_embed = al_matrix_cols(&bw->d_input, 0, d_e);
    al_matrix d_input_context = al_matrix_cols(&bw->d_input, d_e, d_h);
    if (status == AL_OK)
        status = al_embedding_backward(&grad->target_embed, &d_embed, ws->decoder_ids + t, err);
    /* c_t fed the input and the readout: dc_t is the sum of both shares */
    if (status == AL_OK)
        status = al_add(&bw->d_context, &d_readout_context, &d_input_context, err);
    if (status == AL_OK && model->config.attention) {
        status = attention_backward(grad, bw, ws, model, t, &prev, d_encoder, err);
    } else if (status == AL_OK) {
        /* without attention c_t = h_{S-1} at every step */
        al_matrix d_last = al_matrix_rows(d_encoder, length - 1, 1);
        status = al_add(&d_last, &d_last, &bw->d_context, err);
    }
    /* s_{t-1} is what step t - 1 made: hand it what step t sent back */
    if (status == AL_OK)
        status = al_copy(&bw->d_state, &bw->d_prev, err);
    return status;
}

/* --- the pass ------------------------------------------------------------------------------ */

static al_status check_backward(const al_seq2seq_backward_workspace *bw,
                                const al_matrix *dlogits, const al_seq2seq_workspace *ws,
                                const al_seq2seq *model, const al_sequence *source,
                                al_error *err)
{
    if (ws->steps < 1 || ws->source_length < 1)
        return al_fail(err, AL_ERR_ARG, "seq2seq backward: encode and decode (teacher forcing) "
                       "before the backward");
    if (source->length != ws->source_length)
        return al_fail(err, AL_ERR_SHAPE, "seq2seq backward: the source has %d tokens but the "
                       "pass encoded %d", source->length, ws->source_length);
    if (dlogits->rows != ws->steps || dlogits->cols != model->config.vocab_size)
        return al_fail(err, AL_ERR_SHAPE, "seq2seq backward: dlogits is %d x %d but the pass "
                       "made %d x %d logits", dlogits->rows, dlogits->cols, ws->steps,
                       model->config.vocab_size);
    if (ws->steps > bw->max_steps || ws->source_length > bw->max_source)
        return al_fail(err, AL_ERR_SHAPE, "seq2seq backward: the workspace holds %d steps and "
                       "%d source tokens, the pass had %d and %d", bw->max_steps,
                       bw->max_source, ws->steps, ws->source_length);
    return AL_OK;
}

al_status al_seq2seq_backward(al_seq2seq *grad, al_seq2seq_backward_workspace *bw,
                              const al_matrix *dlogits, const al_seq2seq_workspace *ws,
                              const al_seq2seq *model, const al_sequence *source,
                              al_error *err)
{
    al_status status = check_backward(bw, dlogits, ws, model, source, err);
    if (status != AL_OK)
        return status;
    int steps = ws->steps, length = ws->source_length;
    al_matrix d_encoder = al_matrix_rows(&bw->d_encoder_states, 0, length);
    al_fill(&d_encoder, 0.0f);

    /* 1. logits (T x V) = readouts (T x 2 d_h) · W_out + b_out */
    al_matrix readouts = al_matrix_rows(&ws->readouts, 0, steps);
    al_matrix d_readouts = al_matrix_rows(&bw->d_readouts, 0, steps);
    status = al_linear_backward(&d_readouts, &grad->output, dlogits, &readouts, &model->output,
                                err);

    /* 2. the decoder, last step first; nothing comes back to the last s_t */
    al_fill(&bw->d_state, 0.0f);
    for (int t = steps - 1; t >= 0 && status == AL_OK; t--)
        status = step_backward(grad, bw, ws, model, t, &d_encoder, err);

    /* 3. s_{-1} = h_{S-1}: the decoder's start is the encoder's last state */
    al_matrix d_last = al_matrix_rows(&d_encoder, length - 1, 1);
    if (status == AL_OK)
        status = al_add(&d_last, &d_last, &bw->d_state, err);

    /* 4. h_j = cell(e_j, h_{j-1}) through time, then e_j = row x_j of the source table */
    al_matrix embed = al_matrix_rows(&ws->source_embed, 0, length);
    al_matrix states = al_matrix_rows(&ws->encoder_states, 0, length);
    al_matrix d_embed = al_matrix_rows(&bw->d_source_embed, 0, length);
    if (status == AL_OK)
        status = al_rnn_run_backward(&d_embed, NULL, &grad->encoder, &bw->cell, &d_encoder,
                                     &embed, &ws->zero_state, &states, &ws->encoder_gates,
                                     &model->encoder, err);
    if (status == AL_OK)
        status = al_embedding_backward(&grad->source_embed, &d_embed, source->ids, err);
    return status;
}
