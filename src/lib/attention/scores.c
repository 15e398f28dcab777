/* scores.c: how a query scores a key, every kind the chapter teaches: dot
 * product, scaled, Luong's general, Bahdanau's additive, and the kernel
 * similarities of attention-as-retrieval. Computes scores only: masks,
 * normalising and tracing are in mask.c and attention.c. */
#include "attnlab/attention.h"

#include <math.h>

#include "attnlab/blas.h"
#include "attention/distance.h"

const char *al_score_kind_name(al_score_kind kind)
{
    switch (kind) {
    case AL_SCORE_DOT: return "dot";
    case AL_SCORE_SCALED_DOT: return "scaled_dot";
    case AL_SCORE_ADDITIVE: return "additive";
    case AL_SCORE_GENERAL: return "general";
    case AL_SCORE_INVERSE_DISTANCE: return "inverse_distance";
    case AL_SCORE_GAUSSIAN: return "gaussian";
    }
    return "unknown";
}

/* The shape check every query-against-key score shares: q (Lq x d) and
 * k (Lk x d) must have the same width, scores must be Lq x Lk. */
static al_status check_query_key_shapes(const char *what, const al_matrix *scores,
                                        const al_matrix *q, const al_matrix *k, al_error *err)
{
    if (q->cols != k->cols)
        return al_fail(err, AL_ERR_SHAPE,
                       "%s: queries are %d x %d but keys are %d x %d; "
                       "a query and a key must have the same width",
                       what, q->rows, q->cols, k->rows, k->cols);
    if (scores->rows != q->rows || scores->cols != k->rows)
        return al_fail(err, AL_ERR_SHAPE,
                       "%s: scores are %d x %d but must be %d x %d (queries x keys)", what,
                       scores->rows, scores->cols, q->rows, k->rows);
    return AL_OK;
}

/* scores (Lq x Lk) = q (Lq x d) · kᵀ (d x Lk) */
al_status al_dot_scores(al_matrix *scores, const al_matrix *q, const al_matrix *k,
                        al_error *err)
{
    al_status status = check_query_key_shapes("dot scores", scores, q, k, err);
    if (status != AL_OK)
        return status;
    return al_matmul_bt(scores, q, k, err);
}

/* scaled = scores / sqrt(d_k). A division (not a multiplication by the
 * reciprocal) so that the numbers are exactly what the formula says. */
al_status al_scale_scores(al_matrix *scaled, const al_matrix *scores, int d_k, al_error *err)
{
    if (d_k <= 0)
        return al_fail(err, AL_ERR_ARG, "scale scores: d_k must be positive, not %d", d_k);
    if (!al_same_shape(scaled, scores))
        return al_fail(err, AL_ERR_SHAPE, "scale scores: scores are %d x %d but scaled is %d x %d",
                       scores->rows, scores->cols, scaled->rows, scaled->cols);
    float root = sqrtf((float)d_k);
    for (int i = 0; i < scores->rows; i++)
        for (int j = 0; j < scores->cols; j++)
            *al_at(scaled, i, j) = *al_at(scores, i, j) / root;
    return AL_OK;
}

/* q_proj (Lq x d_k) = q (Lq x d_q) · w_a (d_q x d_k)
 * scores (Lq x Lk)  = q_proj · kᵀ (d_k x Lk) */
al_status al_general_scores(al_matrix *scores, al_matrix *q_proj, const al_matrix *q,
                            const al_matrix *k, const al_matrix *w_a, al_error *err)
{
    if (w_a->rows != q->cols || w_a->cols != k->cols)
        return al_fail(err, AL_ERR_SHAPE,
                       "general scores: W_a is %d x %d but queries are %d x %d and keys %d x %d; "
                       "W_a must be %d x %d (query width x key width)",
                       w_a->rows, w_a->cols, q->rows, q->cols, k->rows, k->cols, q->cols,
                       k->cols);
    al_status status = al_matmul(q_proj, q, w_a, err);
    if (status != AL_OK)
        return status;
    return al_dot_scores(scores, q_proj, k, err);
}

/* The shapes additive attention needs: W_q (d_q x d_a), W_k (d_k x d_a),
 * v_a (d_a x 1), q_proj (Lq x d_a), k_proj (Lk x d_a), scores (Lq x Lk). */
static al_status check_additive_shapes(const al_matrix *scores, const al_matrix *q_proj,
                                       const al_matrix *k_proj, const al_matrix *q,
                                       const al_matrix *k, const al_matrix *w_q,
                                       const al_matrix *w_k, const al_matrix *v_a,
                                       al_error *err)
{
    if (w_q->rows != q->cols || w_k->rows != k->cols || w_q->cols != w_k->cols)
        return al_fail(err, AL_ERR_SHAPE,
                       "additive scores: W_q is %d x %d and W_k is %d x %d, but queries are "
                       "%d x %d and keys %d x %d; W_q must be d_q x d_a and W_k d_k x d_a",
                       w_q->rows, w_q->cols, w_k->rows, w_k->cols, q->rows, q->cols, k->rows,
                       k->cols);
    if (v_a->rows != w_q->cols || v_a->cols != 1)
        return al_fail(err, AL_ERR_SHAPE, "additive scores: v_a is %d x %d but must be %d x 1",
                       v_a->rows, v_a->cols, w_q->cols);
    if (scores->rows != q->rows || scores->cols != k->rows)
        return al_fail(err, AL_ERR_SHAPE,
                       "additive scores: scores are %d x %d but must be %d x %d (queries x keys)",
                       scores->rows, scores->cols, q->rows, k->rows);
    if (q_proj->rows != q->rows || q_proj->cols != w_q->cols || k_proj->rows != k->rows ||
        k_proj->cols != w_k->cols)
        return al_fail(err, AL_ERR_SHAPE,
                       "additive scores: q_proj is %d x %d and k_proj %d x %d but must be "
                       "%d x %d and %d x %d",
                       q_proj->rows, q_proj->cols, k_proj->rows, k_proj->cols, q->rows,
                       w_q->cols, k->rows, w_k->cols);
    return AL_OK;
}

/* q_proj (Lq x d_a) = q (Lq x d_q) · W_q (d_q x d_a)
 * k_proj (Lk x d_a) = k (Lk x d_k) · W_k (d_k x d_a)
 * scores[i][j]      = sum_a v_a[a] · tanh(q_proj[i][a] + k_proj[j][a])
 * The last line is not a matrix product (tanh sits between the sum and
 * v_a), so it is a loop over every (query, key) pair; summed in double. */
al_status al_additive_scores(al_matrix *scores, al_matrix *q_proj, al_matrix *k_proj,
                             const al_matrix *q, const al_matrix *k, const al_matrix *w_q,
                             const al_matrix *w_k, const al_matrix *v_a, al_error *err)
{
    al_status status =
        check_additive_shapes(scores, q_proj, k_proj, q, k, w_q, w_k, v_a, err);
    if (status == AL_OK)
        status = al_matmul(q_proj, q, w_q, err);
    if (status == AL_OK)
        status = al_matmul(k_proj, k, w_k, err);
    if (status != AL_OK)
        return status;
    for (int i = 0; i < scores->rows; i++) {
        for (int j = 0; j < scores->cols; j++) {
            double sum = 0.0;
            for (int a = 0; a < v_a->rows; a++)
                sum += (double)*al_at(v_a, a, 0) *
                       tanh((double)*al_at(q_proj, i, a) + (double)*al_at(k_proj, j, a));
            *al_at(scores, i, j) = (float)sum;
        }
    }
    return AL_OK;
}

/* One row of inverse-distance scores. Normally scores_j = 1 / ‖k_j − q‖.
 * If some keys are at distance 0 (1/0 is infinite), they get 1 and every
 * other key -inf: the limit of the normalised weights as the query moves
 * onto those keys. Returns true when that rule applied. */
static bool inverse_distance_row(float *scores, const al_matrix *q, int i, const al_matrix *k)
{
    bool exact = false;
    for (int j = 0; j < k->rows; j++)
        exact = exact || al_is_exact_match(al_distance(q, i, k, j));
    for (int j = 0; j < k->rows; j++) {
        double distance = al_distance(q, i, k, j);
        if (exact)
            scores[j] = al_is_exact_match(distance) ? 1.0f : -INFINITY;
        else
            scores[j] = (float)(1.0 / distance);
    }
    return exact;
}

bool al_exact_match(const al_matrix *q, int i, const al_matrix *k, int j)
{
    return al_is_exact_match(al_distance(q, i, k, j));
}

/* scores[i][j] = 1 / ‖k_j − q_i‖ */
al_status al_inverse_distance_scores(al_matrix *scores, const al_matrix *q, const al_matrix *k,
                                     int *exact_match_rows, al_error *err)
{
    al_status status = check_query_key_shapes("inverse distance", scores, q, k, err);
    if (status != AL_OK)
        return status;
    int exact_rows = 0;
    for (int i = 0; i < q->rows; i++)
        exact_rows += inverse_distance_row(al_at(scores, i, 0), q, i, k);
    if (exact_match_rows)
        *exact_match_rows = exact_rows;
    return AL_OK;
}

/* scores[i][j] = exp(−‖k_j − q_i‖² / (2σ²)): 1 at the query, falling off
 * over a distance of about σ. Never negative; far from every key it
 * underflows to 0 (softmax of −‖k − q‖² / (2σ²) avoids that). */
al_status al_gaussian_scores(al_matrix *scores, const al_matrix *q, const al_matrix *k,
                             float sigma, al_error *err)
{
    if (!(sigma > 0.0f) || isinf(sigma))
        return al_fail(err, AL_ERR_VALUE,
                       "Gaussian kernel: sigma must be a positive finite number, not %g",
                       (double)sigma);
    al_status status = check_query_key_shapes("Gaussian kernel", scores, q, k, err);
    if (status != AL_OK)
        return status;
    double two_sigma_squared = 2.0 * (double)sigma * (double)sigma;
    for (int i = 0; i < q->rows; i++) {
        for (int j = 0; j < k->rows; j++) {
            double distance = al_distance(q, i, k, j);
            *al_at(scores, i, j) = (float)exp(-distance * distance / two_sigma_squared);
        }
    }
    return AL_OK;
}
