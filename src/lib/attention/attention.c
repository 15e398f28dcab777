/* attention.c: one head of attention from given q, k, v: scores, scaled,
 * masked, weights, out. compute_head does the maths, one step per kernel,
 * and nothing else; al_record_head then records every step, in order.
 * The kernels themselves are in scores.c, mask.c, softmax.c and
 * normalize.c; argument checks and step memory in attention_steps.c;
 * projections and heads in multihead.c. */
#include "attnlab/attention.h"

#include <math.h>
#include <stdio.h>

#include "attnlab/blas.h"
#include "attnlab/mask.h"
#include "attnlab/softmax.h"
#include "attention/attention_check.h"
#include "attention/distance.h"
#include "attention/head_record.h"
#include "attention/row_warnings.h"

/* out (Lq x d_v) = weights (Lq x Lk) · v (Lk x d_v) */
al_status al_weighted_sum(al_matrix *out, const al_matrix *weights, const al_matrix *v,
                          al_error *err)
{
    return al_matmul(out, weights, v, err);
}

/* ---- the trace ------------------------------------------------------------ */

void al_head_names_init(al_head_names *n, const char *prefix, const char *params_prefix)
{
    if (!params_prefix)
        params_prefix = prefix;
    al_name(n->scores, "%s.scores", prefix);
    al_name(n->scaled, "%s.scaled", prefix);
    al_name(n->masked, "%s.masked", prefix);
    al_name(n->weights, "%s.weights", prefix);
    al_name(n->out, "%s.out", prefix);
    al_name(n->q_proj, "%s.q_proj", prefix);
    al_name(n->k_proj, "%s.k_proj", prefix);
    al_name(n->w_q, "%s.w_q", params_prefix);
    al_name(n->w_k, "%s.w_k", params_prefix);
    al_name(n->v_a, "%s.v_a", params_prefix);
    al_name(n->w_a, "%s.w_a", params_prefix);
    al_name(n->sigma, "%s.sigma", prefix);
    al_name(n->temperature, "%s.temperature", prefix);
}

static al_status trace_param(al_trace *trace, const char *name, const al_matrix *m,
                             al_error *err)
{
    al_tensor_info info = {.name = name, .role = AL_ROLE_PARAM};
    return al_trace_matrix(trace, &info, m, err);
}

/* A number such as sigma or the temperature, as a 1 x 1 param, so that the
 * computation can be redone from the trace alone. */
static al_status trace_number(al_trace *trace, const char *name, float value, al_error *err)
{
    al_matrix m = al_matrix_wrap(&value, 1, 1);
    return trace_param(trace, name, &m, err);
}

/* W_q, W_k, v_a (additive) or W_a (general), under their names in n. */
static al_status trace_score_params(al_trace *trace, const al_head_names *n,
                                    const al_scoring *scoring, al_error *err)
{
    al_status status = AL_OK;
    if (scoring->kind == AL_SCORE_GENERAL)
        status = trace_param(trace, n->w_a, scoring->w_a, err);
    if (scoring->kind == AL_SCORE_ADDITIVE) {
        status = trace_param(trace, n->w_q, scoring->w_q, err);
        if (status == AL_OK)
            status = trace_param(trace, n->w_k, scoring->w_k, err);
        if (status == AL_OK)
            status = trace_param(trace, n->v_a, scoring->v_a, err);
    }
    return status;
}

al_status al_trace_score_params(al_trace *trace, const char *prefix, const al_scoring *scoring,
                                al_error *err)
{
    al_status status = attention_check_score_params(scoring, err);
    if (status != AL_OK || !trace)
        return status;
    al_head_names n;
    al_head_names_init(&n, prefix, NULL);
    return trace_score_params(trace, &n, scoring, err);
}

/* Membership tests for the rows a warning lists. */
static bool row_has_exact_match(const void *context, int i)
{
    const al_matrix *const *qk = context;
    for (int j = 0; j < qk[1]->rows; j++)
        if (al_is_exact_match(al_distance(qk[0], i, qk[1], j)))
            return true;
    return false;
}

static bool row_is_all_zero(const void *context, int i)
{
    const al_matrix *m = context;
    for (int j = 0; j < m->cols; j++)
        if (*al_at(m, i, j) != 0.0f)
            return false;
    return true;
}

static bool row_is_all_masked(const void *context, int i)
{
    const al_matrix *m = context;
    for (int j = 0; j < m->cols; j++)
        if (*al_at(m, i, j) != -INFINITY)
            return false;
    return true;
}

/* The parameters of the score (unless traced already), then q_proj /
 * k_proj, then the scores. */
static al_status trace_scores(al_trace *trace, const al_head_names *n,
                              const al_attention_steps *steps, const al_matrix *q,
                              const al_matrix *k, const al_scoring *scoring,
                              const al_attention_names *names, al_error *err)
{
    const char *const *rows = names->query_labels;
    al_tensor_info info = {.name = n->scores, .role = AL_ROLE_ACTIVATION,
                           .row_labels = rows, .col_labels = names->key_labels};
    al_status status = names->params ? AL_OK : trace_score_params(trace, n, scoring, err);
    char warning[AL_ERROR_MESSAGE_SIZE];
    switch (scoring->kind) {
    case AL_SCORE_DOT:
    case AL_SCORE_SCALED_DOT:
        info.op = "matmul_bt";
        info.inputs[0] = names->q, info.inputs[1] = names->k;
        break;
    case AL_SCORE_GENERAL: {
        al_tensor_info proj = {.name = n->q_proj, .role = AL_ROLE_ACTIVATION, .op = "matmul",
                               .inputs = {names->q, n->w_a}, .row_labels = rows};
        if (status == AL_OK)
            status = al_trace_matrix(trace, &proj, &steps->q_proj, err);
        info.op = "matmul_bt";
        info.inputs[0] = n->q_proj, info.inputs[1] = names->k;
        break;
    }
    case AL_SCORE_ADDITIVE: {
        al_tensor_info q_proj = {.name = n->q_proj, .role = AL_ROLE_ACTIVATION, .op = "matmul",
                                 .inputs = {names->q, n->w_q}, .row_labels = rows};
        al_tensor_info k_proj = {.name = n->k_proj, .role = AL_ROLE_ACTIVATION, .op = "matmul",
                                 .inputs = {names->k, n->w_k}, .row_labels = names->key_labels};
        if (status == AL_OK)
            status = al_trace_matrix(trace, &q_proj, &steps->q_proj, err);
        if (status == AL_OK)
            status = al_trace_matrix(trace, &k_proj, &steps->k_proj, err);
        info.op = "additive_scores";
        info.inputs[0] = n->q_proj, info.inputs[1] = n->k_proj, info.inputs[2] = n->v_a;
        break;
    }
    case AL_SCORE_INVERSE_DISTANCE: {
        const al_matrix *qk[2] = {q, k};
        al_row_set exact = {q->rows, row_has_exact_match, qk, rows};
        info.op = "inverse_distance";
        info.inputs[0] = names->q, info.inputs[1] = names->k;
        info.warning = al_exact_match_warning(warning, sizeof warning, &exact);
        break;
    }
    case AL_SCORE_GAUSSIAN:
        if (status == AL_OK)
            status = trace_number(trace, n->sigma, scoring->sigma, err);
        info.op = "gaussian_kernel";
        info.inputs[0] = names->q, info.inputs[1] = names->k, info.inputs[2] = n->sigma;
        break;
    }
    if (status != AL_OK)
        return status;
    return al_trace_matrix(trace, &info, &steps->scores, err);
}

/* ---- the steps ------------------------------------------------------------ */

/* Step 1, scores (Lq x Lk), by the kind of score. */
static al_status compute_scores(al_attention_steps *steps, const al_matrix *q,
                                const al_matrix *k, const al_scoring *scoring, al_error *err)
{
    switch (scoring->kind) {
    case AL_SCORE_DOT:
    case AL_SCORE_SCALED_DOT:
        return al_dot_scores(&steps->scores, q, k, err);
    case AL_SCORE_GENERAL:
        return al_general_scores(&steps->scores, &steps->q_proj, q, k, scoring->w_a, err);
    case AL_SCORE_ADDITIVE:
        return al_additive_scores(&steps->scores, &steps->q_proj, &steps->k_proj, q, k,
                                  scoring->w_q, scoring->w_k, scoring->v_a, err);
    case AL_SCORE_INVERSE_DISTANCE:
        return al_inverse_distance_scores(&steps->scores, q, k, &steps->exact_match_rows, err);
    case AL_SCORE_GAUSSIAN:
        return al_gaussian_scores(&steps->scores, q, k, scoring->sigma, err);
    }
    return al_fail(err, AL_ERR_ARG, "unknown score kind %d", (int)scoring->kind);
}

/* Step 4, weights: each row of the last scores normalised to sum to 1. */
static al_status compute_weights(al_attention_steps *steps, const al_matrix *last,
                                 const al_scoring *scoring, al_error *err)
{
    if (scoring->normalizer == AL_NORMALIZE_SOFTMAX)
        return al_softmax_rows(&steps->weights, last, scoring->temperature,
                               &steps->fully_masked_rows, err);
    return al_normalize_sum(&steps->weights, last, &steps->fully_masked_rows, err);
}

/* The scores as the score kind leaves them: scaled, or as computed. */
static const al_matrix *scored_step(const al_attention_steps *steps, const al_scoring *scoring)
{
    return scoring->kind == AL_SCORE_SCALED_DOT ? &steps->scaled : &steps->scores;
}

/* What went into the normaliser: those scores, or them masked. */
static const al_matrix *normalized_step(const al_attention_steps *steps, const al_matrix *mask,
                                        const al_scoring *scoring)
{
    return mask ? &steps->masked : scored_step(steps, scoring);
}

/* The maths of one head, nothing traced. Each step reads the one before. */
static al_status compute_head(al_matrix *out, al_attention_steps *steps, const al_matrix *q,
                              const al_matrix *k, const al_matrix *v, const al_matrix *mask,
                              const al_scoring *scoring, al_error *err)
{
    /* 1. scores (Lq x Lk) = score(q_i, k_j) */
    al_status status = compute_scores(steps, q, k, scoring, err);

    /* 2. scaled (Lq x Lk) = scores / sqrt(d_k), for the scaled dot product */
    if (status == AL_OK && scoring->kind == AL_SCORE_SCALED_DOT)
        status = al_scale_scores(&steps->scaled, &steps->scores, k->cols, err);

    /* 3. masked (Lq x Lk) = scaled (or scores), -inf wherever the mask is 0 */
    if (status == AL_OK && mask)
        status = al_apply_mask(&steps->masked, scored_step(steps, scoring), mask, NULL, err);

    /* 4. weights (Lq x Lk): each row normalised to sum to 1 */
    if (status == AL_OK)
        status = compute_weights(steps, normalized_step(steps, mask, scoring), scoring, err);

    /* 5. out (Lq x d_v) = weights (Lq x Lk) · v (Lk x d_v) */
    if (status == AL_OK)
        status = al_weighted_sum(out, &steps->weights, v, err);
    return status;
}

/* The weights, with the temperature before them when it is not 1, a
 * warning if some row had nothing to attend to, and (at level rows) the
 * steps of each softmax row. */
static al_status trace_weights(al_trace *trace, const al_head_names *n,
                               const al_attention_steps *steps, const al_matrix *last,
                               const char *last_name, const al_scoring *scoring,
                               const al_attention_names *names, al_error *err)
{
    bool softmax = scoring->normalizer == AL_NORMALIZE_SOFTMAX;
    float t = scoring->temperature;
    bool traced_temperature = softmax && t != 1.0f;
    al_status status = traced_temperature ? trace_number(trace, n->temperature, t, err) : AL_OK;
    const char *const *rows = names->query_labels;
    al_row_set empty = {last->rows, row_is_all_zero, &steps->weights, rows};
    al_row_set masked = {last->rows, row_is_all_masked, last, rows};
    char warning[AL_ERROR_MESSAGE_SIZE];
    al_tensor_info info = {
        .name = n->weights, .role = AL_ROLE_ACTIVATION,
        .op = softmax ? "softmax_rows" : "normalize_sum",
        .inputs = {last_name, traced_temperature ? n->temperature : NULL},
        .row_labels = rows, .col_labels = names->key_labels,
        .warning = al_empty_rows_warning(warning, sizeof warning, &empty, &masked)};
    if (status == AL_OK)
        status = al_trace_matrix(trace, &info, &steps->weights, err);
    if (status == AL_OK && softmax)
        status = al_trace_softmax_rows(trace, n->weights, last, t, rows, err);
    return status;
}

al_status al_record_head(al_trace *trace, const al_matrix *out,
                         const al_attention_steps *steps, const al_matrix *q,
                         const al_matrix *k, const al_matrix *mask, const al_scoring *scoring,
                         const al_attention_names *names, al_error *err)
{
    al_head_names n;
    al_head_names_init(&n, names->prefix, names->params);
    if (names->out)
        al_name(n.out, "%s", names->out);
    const char *const *rows = names->query_labels, *const *cols = names->key_labels;

    al_status status = trace_scores(trace, &n, steps, q, k, scoring, names, err);
    const char *last_name = n.scores;
    if (status == AL_OK && scoring->kind == AL_SCORE_SCALED_DOT) {
        al_tensor_info info = {.name = n.scaled, .role = AL_ROLE_ACTIVATION, .op = "scale",
                               .inputs = {n.scores}, .attrs = {AL_ATTR("d_k", k->cols)},
                               .row_labels = rows, .col_labels = cols};
        status = al_trace_matrix(trace, &info, &steps->scaled, err);
        last_name = n.scaled;
    }
    if (status == AL_OK && mask) {
        al_tensor_info info = {.name = n.masked, .role = AL_ROLE_ACTIVATION, .op = "apply_mask",
                               .inputs = {last_name, names->mask}, .row_labels = rows,
                               .col_labels = cols, .mask = names->mask};
        status = al_trace_matrix(trace, &info, &steps->masked, err);
        last_name = n.masked;
    }
    if (status == AL_OK)
        status = trace_weights(trace, &n, steps, normalized_step(steps, mask, scoring),
                               last_name, scoring, names, err);
    al_tensor_info info = {.name = n.out, .role = AL_ROLE_ACTIVATION, .op = "matmul",
                           .inputs = {n.weights, names->v}, .row_labels = rows};
    if (status == AL_OK)
        status = al_trace_matrix(trace, &info, out, err);
    return status;
}

al_status al_attend(al_matrix *out, al_attention_steps *steps, const al_matrix *q,
                    const al_matrix *k, const al_matrix *v, const al_matrix *mask,
                    const al_scoring *scoring, const al_attention_names *names,
                    al_trace *trace, al_error *err)
{
    al_status status = attention_check(out, steps, q, k, v, mask, scoring, names, trace, err);
    if (status != AL_OK)
        return status;
    steps->exact_match_rows = 0;
    steps->fully_masked_rows = 0;
    status = compute_head(out, steps, q, k, v, mask, scoring, err);
    if (status != AL_OK || !trace)
        return status;
    return al_record_head(trace, out, steps, q, k, mask, scoring, names, err);
}

/* ---- the gradients -------------------------------------------------------- */

static al_status check_backward(const al_matrix *scratch, const al_matrix *scratch_q,
                                const al_score_grads *grads, const al_matrix *d_out,
                                const al_attention_steps *steps, const al_matrix *q,
                                const al_matrix *v, const al_scoring *scoring, al_error *err)
{
    al_score_kind kind = scoring->kind;
    if (kind != AL_SCORE_DOT && kind != AL_SCORE_SCALED_DOT && kind != AL_SCORE_GENERAL &&
        kind != AL_SCORE_ADDITIVE)
        return al_fail(err, AL_ERR_ARG, "attention backward: %s scores have no backward yet",
                       al_score_kind_name(kind));
    if (scoring->normalizer != AL_NORMALIZE_SOFTMAX)
        return al_fail(err, AL_ERR_ARG, "attention backward: only the softmax normaliser has "
                       "a backward");
    if (!al_same_shape(scratch, &steps->weights))
        return al_fail(err, AL_ERR_SHAPE, "attention backward: scratch is %d x %d but the "
                       "weights are %d x %d", scratch->rows, scratch->cols,
                       steps->weights.rows, steps->weights.cols);
    if (kind == AL_SCORE_GENERAL && (!scratch_q || !al_same_shape(scratch_q, &steps->q_proj)))
        return al_fail(err, AL_ERR_SHAPE, "attention backward: general scores need scratch_q "
                       "shaped like q_proj (%d x %d)", steps->q_proj.rows, steps->q_proj.cols);
    if (kind == AL_SCORE_ADDITIVE &&
        (!scratch_q || !al_same_shape(scratch_q, &steps->q_proj) || !grads ||
         !grads->scratch_k || !al_same_shape(grads->scratch_k, &steps->k_proj)))
        return al_fail(err, AL_ERR_SHAPE, "attention backward: additive scores need scratch_q "
                       "shaped like q_proj (%d x %d) and grads->scratch_k like k_proj "
                       "(%d x %d)", steps->q_proj.rows, steps->q_proj.cols,
                       steps->k_proj.rows, steps->k_proj.cols);
    if (d_out->rows != q->rows || d_out->cols != v->cols)
        return al_fail(err, AL_ERR_SHAPE, "attention backward: d_out is %d x %d but out is "
                       "%d x %d", d_out->rows, d_out->cols, q->rows, v->cols);
    return AL_OK;
}

/* t_ija = tanh(q_proj_ia + k_proj_ja), in double as al_additive_scores has it */
static double additive_tanh(const al_attention_steps *steps, int i, int j, int a)
{
    return tanh((double)*al_at(&steps->q_proj, i, a) + (double)*al_at(&steps->k_proj, j, a));
}

/* dpre_ija = dscores_ij · v_a[a] · (1 − t_ija²): the gradient of the sum
 * inside tanh for query i, key j, hidden unit a */
static double additive_pre(const al_matrix *dscores, const al_attention_steps *steps,
                           const al_matrix *v_a, int i, int j, int a)
{
    double t = additive_tanh(steps, i, j, a);
    return (double)*al_at(dscores, i, j) * (double)*al_at(v_a, a, 0) * (1.0 - t * t);
}

/* Step 1 for Bahdanau's scores, scores_ij = Σ_a v_a[a] · tanh(q_proj_ia + k_proj_ja),
 * with q_proj = q · W_q and k_proj = k · W_k (al_additive_scores). tanh sits
 * between the sum and v_a, so these are loops, not products; each sum is
 * taken in double and t recomputed for it rather than kept (Lq Lk d_a of them):
 *   dv_a    (d_a x 1)  += Σ_ij dscores_ij · t_ija
 *   dq_proj (Lq x d_a)  = Σ_j dpre_ija,   dk_proj (Lk x d_a) = Σ_i dpre_ija
 *   dW_q += qᵀ · dq_proj,  dq = dq_proj · W_qᵀ,  dW_k += kᵀ · dk_proj,  dk = dk_proj · W_kᵀ */
static al_status additive_backward(al_matrix *dq, al_matrix *dk, al_score_grads *grads,
                                   al_matrix *dq_proj, const al_matrix *dscores,
                                   const al_attention_steps *steps, const al_matrix *q,
                                   const al_matrix *k, const al_scoring *scoring, al_error *err)
{
    const al_matrix *v_a = scoring->v_a;
    al_matrix *dk_proj = grads->scratch_k;
    int queries = dscores->rows, keys = dscores->cols, d_a = v_a->rows;
    for (int a = 0; a < d_a && grads->v_a; a++) {
        double sum = 0.0;
        for (int i = 0; i < queries; i++)
            for (int j = 0; j < keys; j++)
                sum += (double)*al_at(dscores, i, j) * additive_tanh(steps, i, j, a);
        *al_at(grads->v_a, a, 0) += (float)sum;
    }
    for (int i = 0; i < queries; i++)
        for (int a = 0; a < d_a; a++) {
            double sum = 0.0;
            for (int j = 0; j < keys; j++)
                sum += additive_pre(dscores, steps, v_a, i, j, a);
            *al_at(dq_proj, i, a) = (float)sum;
        }
    for (int j = 0; j < keys; j++)
        for (int a = 0; a < d_a; a++) {
            double sum = 0.0;
            for (int i = 0; i < queries; i++)
                sum += additive_pre(dscores, steps, v_a, i, j, a);
            *al_at(dk_proj, j, a) = (float)sum;
        }
    al_status status = AL_OK;
    if (grads->w_q)
        status = al_matmul_at_add(grads->w_q, q, dq_proj, err);
    if (status == AL_OK && dq)
        status = al_matmul_bt(dq, dq_proj, scoring->w_q, err);
    if (status == AL_OK && grads->w_k)
        status = al_matmul_at_add(grads->w_k, k, dk_proj, err);
    if (status == AL_OK && dk)
        status = al_matmul_bt(dk, dk_proj, scoring->w_k, err);
    return status;
}

al_status al_attend_backward(al_matrix *dq, al_matrix *dk, al_matrix *dv, al_score_grads *grads,
                             al_matrix *scratch, al_matrix *scratch_q, const al_matrix *d_out,
                             const al_attention_steps *steps, const al_matrix *q,
                             const al_matrix *k, const al_matrix *v, const al_matrix *mask,
                             const al_scoring *scoring, al_error *err)
{
    (void)mask;  /* the weights already hold its zeros, and so will the gradient */
    al_status status = check_backward(scratch, scratch_q, grads, d_out, steps, q, v, scoring,
                                      err);
    if (status != AL_OK)
        return status;
    al_matrix *d = scratch;  /* dweights, then dlast, then dscores, in place */

    /* 5. out = weights · v:  dweights = d_out · vᵀ,  dv = weightsᵀ · d_out */
    status = al_matmul_bt(d, d_out, v, err);
    if (status == AL_OK && dv)
        status = al_matmul_at(dv, &steps->weights, d_out, err);

    /* 4. and 3. weights = softmax(masked / T): masked keys get 0 */
    if (status == AL_OK)
        status = al_softmax_rows_backward(d, &steps->weights, d, scoring->temperature, err);

    /* 2. scaled = scores / sqrt(d_k) */
    if (status == AL_OK && scoring->kind == AL_SCORE_SCALED_DOT)
        status = al_scale(d, d, 1.0f / sqrtf((float)k->cols), err);

    /* 1. scores = q · kᵀ (or q_proj · kᵀ, q_proj = q · W_a; or additive) */
    if (status == AL_OK && scoring->kind == AL_SCORE_ADDITIVE)
        return additive_backward(dq, dk, grads, scratch_q, d, steps, q, k, scoring, err);
    const al_matrix *left = scoring->kind == AL_SCORE_GENERAL ? &steps->q_proj : q;
    if (status == AL_OK && dk)
        status = al_matmul_at(dk, d, left, err);
    if (status != AL_OK)
        return status;
    if (scoring->kind != AL_SCORE_GENERAL)
        return dq ? al_matmul(dq, d, k, err) : AL_OK;
    /* general: dq_proj = dscores · k;  dW_a += qᵀ · dq_proj;  dq = dq_proj · W_aᵀ */
    status = al_matmul(scratch_q, d, k, err);
    if (status == AL_OK && grads && grads->w_a)
        status = al_matmul_at_add(grads->w_a, q, scratch_q, err);
    if (status == AL_OK && dq)
        status = al_matmul_bt(dq, scratch_q, scoring->w_a, err);
    return status;
}
