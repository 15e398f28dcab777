/* attention.h: one head of attention, every variant the chapter teaches:
 * how queries score keys, how scores become weights, and the weighted sum
 * of values, each step traced. Not the learned projections X·W_Q, not
 * splitting into heads (multihead.h), not masks themselves (mask.h).
 *
 * Dimension letters: Lq queries, Lk keys (= values), d_q, d_k, d_v the
 * widths of one query, key and value, d_a the hidden width of additive
 * attention. Row i of every score or weight matrix belongs to query i,
 * column j to key j.
 *
 *   scores   (Lq x Lk)  how well each query matches each key (see al_score_kind)
 *   scaled   (Lq x Lk)  scores / sqrt(d_k)        (scaled dot product only)
 *   masked   (Lq x Lk)  -inf where the mask is 0   (only when a mask is given)
 *   weights  (Lq x Lk)  each row normalised to sum to 1
 *   out      (Lq x d_v) weights · V: for each query, the weighted mean of the values
 *
 * The retrieval example of the chapter is one call: keys 70, 80 (Lk = 2,
 * d_k = 1), values 1000, 1500, query 75, inverse distance, plain sum:
 * scores 0.2, 0.2 -> weights 0.5, 0.5 -> out 1250.
 *
 * Two ways to use it. The step kernels (al_dot_scores ... al_weighted_sum)
 * compute one step into matrices the caller owns and never allocate or
 * trace. al_attend runs the whole chain for one head and traces every step
 * under a prefix the caller chooses ("retrieve", "s2s.step3",
 * "enc.0.attn.h1"). */
#ifndef ATTNLAB_ATTENTION_H
#define ATTNLAB_ATTENTION_H

#include <stdbool.h>

#include "attnlab/matrix.h"
#include "attnlab/trace.h"

/* How a query scores a key. q_i is row i of the queries, k_j row j of the
 * keys. */
typedef enum al_score_kind {
    AL_SCORE_DOT,               /* q_i · k_j                                  (d_q = d_k) */
    AL_SCORE_SCALED_DOT,        /* q_i · k_j, then / sqrt(d_k) as "scaled"    (d_q = d_k) */
    AL_SCORE_ADDITIVE,          /* Bahdanau: v_aᵀ tanh(q_i·W_q + k_j·W_k)                 */
    AL_SCORE_GENERAL,           /* Luong "general": q_i · W_a · k_jᵀ                      */
    AL_SCORE_INVERSE_DISTANCE,  /* 1 / ‖k_j − q_i‖, |k − q| for scalars       (d_q = d_k) */
    AL_SCORE_GAUSSIAN           /* exp(−‖k_j − q_i‖² / (2σ²))                 (d_q = d_k) */
} al_score_kind;

/* How a row of scores becomes weights that sum to 1. */
typedef enum al_normalizer {
    AL_NORMALIZE_SOFTMAX,  /* exp(s_j / T) / sum_k exp(s_k / T), by al_softmax_rows      */
    AL_NORMALIZE_SUM       /* s_j / sum_k s_k: the 70/80 example; needs every s_j >= 0    */
} al_normalizer;

/* Everything that decides how scores and weights are computed. The
 * matrices are borrowed (the caller owns them) and only the ones the kind
 * uses need to be set. */
typedef struct al_scoring {
    al_score_kind kind;
    al_normalizer normalizer;
    float temperature;       /* softmax only: > 0 and finite; 1 is the usual softmax   */
    float sigma;             /* Gaussian only: kernel width, > 0 and finite             */
    const al_matrix *w_q;    /* additive: d_q x d_a                                     */
    const al_matrix *w_k;    /* additive: d_k x d_a                                     */
    const al_matrix *v_a;    /* additive: d_a x 1                                       */
    const al_matrix *w_a;    /* general:  d_q x d_k                                     */
} al_scoring;

/* The usual Transformer choice: scaled dot product, softmax at T = 1. */
al_scoring al_scoring_scaled_dot(void);

/* The intermediates of one head, owned by the caller (al_attention_steps_alloc
 * allocates them, al_attention_steps_free frees them; or point them at
 * views of bigger matrices, as multihead.c does). scores and weights are
 * always used; scaled only for AL_SCORE_SCALED_DOT; masked only when a mask
 * is given; q_proj for additive (Lq x d_a) and general (Lq x d_k); k_proj
 * for additive (Lk x d_a). Unused ones may be empty. */
typedef struct al_attention_steps {
    al_matrix scores, scaled, masked, weights;  /* Lq x Lk        */
    al_matrix q_proj, k_proj;                    /* see above      */
    /* Filled in by al_attend: */
    int fully_masked_rows;   /* rows whose weights are all 0 (every key masked, or a
                                sum-normalised row of similarities that are all 0) */
    int exact_match_rows;    /* inverse distance: rows where a key equals the query */
} al_attention_steps;

/* Allocate the steps for Lq queries and Lk keys under scoring (whose
 * matrices give d_a and d_k for q_proj and k_proj). with_mask allocates
 * masked too. On failure everything is freed and the error names the
 * shape. */
al_status al_attention_steps_alloc(al_attention_steps *steps, int queries, int keys,
                                   const al_scoring *scoring, bool with_mask, al_error *err);

/* Free what al_attention_steps_alloc allocated; safe on views and on an
 * empty struct. */
void al_attention_steps_free(al_attention_steps *steps);

/* Names and labels for tracing one head. Tensors are written as
 * <prefix>.scores, .scaled, .masked, .weights, .out, and the additive and
 * general intermediates as <prefix>.q_proj, .k_proj; parameters as
 * <prefix>.w_q, .w_k, .v_a (additive), .w_a (general), and the numbers
 * that are not 1, as 1 x 1 params: <prefix>.sigma (Gaussian),
 * <prefix>.temperature (softmax at T != 1; absent means T = 1).
 * q, k, v and mask name tensors the caller has traced already (al_attend
 * records them only in "inputs" fields); mask is NULL when none applies.
 *
 * params, when not NULL, says the score's matrices (w_q, w_k, v_a or w_a)
 * are already in the trace as <params>.w_q ... (written once by
 * al_trace_score_params), and al_attend only refers to them: an RNN
 * decoder that attends at every step with the same W_a traces it once as
 * "s2s.attn.w_a", not once per step.
 *
 * out, when not NULL, is the output's name instead of <prefix>.out: an RNN
 * decoder's weighted sum of encoder states is its "s2s.step3.context". */
typedef struct al_attention_names {
    const char *prefix;
    const char *q, *k, *v;
    const char *mask;
    const char *params;
    const char *out;
    const char *const *query_labels;  /* Lq strings (score rows), or NULL */
    const char *const *key_labels;    /* Lk strings (score cols), or NULL */
} al_attention_names;

/* Every name al_attend writes under a prefix (the list above), built once
 * by al_head_names_init, so that a program printing a step names it as
 * the trace does: al_head_names_init(&n, "enc.0.attn.h0", NULL) gives
 * n.weights = "enc.0.attn.h0.weights". The score's matrices are under
 * params_prefix (NULL: under prefix). */
typedef struct al_head_names {
    char scores[AL_NAME_SIZE], scaled[AL_NAME_SIZE], masked[AL_NAME_SIZE];
    char weights[AL_NAME_SIZE], out[AL_NAME_SIZE];
    char q_proj[AL_NAME_SIZE], k_proj[AL_NAME_SIZE];
    char w_q[AL_NAME_SIZE], w_k[AL_NAME_SIZE], v_a[AL_NAME_SIZE], w_a[AL_NAME_SIZE];
    char sigma[AL_NAME_SIZE], temperature[AL_NAME_SIZE];
} al_head_names;

void al_head_names_init(al_head_names *names, const char *prefix, const char *params_prefix);

/* One head of attention, every step traced:
 *
 *   scores  = score(q, k)         Lq x Lk   (kind; q_proj, k_proj on the way)
 *   scaled  = scores / sqrt(d_k)  Lq x Lk   (scaled dot only)
 *   masked  = apply mask          Lq x Lk   (mask != NULL only)
 *   weights = normalise rows      Lq x Lk
 *   out     = weights · v         Lq x d_v
 *
 * q is Lq x d_q, k is Lk x d_k, v is Lk x d_v, mask is Lq x Lk of 0/1 or
 * NULL; all may be views (head slices). out (Lq x d_v) and steps are the
 * caller's; nothing is allocated except a little scratch inside
 * al_trace_softmax_rows at trace level "rows".
 *
 * Inverse distance, a query equal to a key: 1/0 is infinite, and as q
 * approaches a key its normalised weight tends to 1. So in a row where
 * one or more keys lie at distance 0 (computed in double; also any
 * distance so small that 1/distance overflows a float), those keys get
 * score 1, every other key gets -INFINITY (traced as null, exactly as if
 * masked), and the row's scores record carries a warning. Either
 * normaliser then gives the matching keys equal shares summing to 1 and
 * the others exactly 0: query 70 returns 1000, not NaN.
 *
 * A row with nothing to attend to (every key masked, or similarities all 0
 * under AL_NORMALIZE_SUM, e.g. a Gaussian that underflows far from every
 * key) gets weights of 0 and out of 0, never NaN, and the weights record
 * carries a warning such as
 *   row 2 ("fish") has every key masked; its weights are all 0
 *
 * Fails before computing anything with AL_ERR_SHAPE naming both shapes
 * when sizes disagree, AL_ERR_VALUE for a bad temperature or sigma or a
 * mask entry other than 0/1, AL_ERR_ARG for a missing parameter matrix or
 * (when tracing) a missing name. A similarity below 0 under
 * AL_NORMALIZE_SUM (e.g. a dot product) is found only when normalising, and
 * fails with AL_ERR_VALUE then. Trace failures are passed on. names may be
 * NULL when trace is NULL. */
al_status al_attend(al_matrix *out, al_attention_steps *steps, const al_matrix *q,
                    const al_matrix *k, const al_matrix *v, const al_matrix *mask,
                    const al_scoring *scoring, const al_attention_names *names,
                    al_trace *trace, al_error *err);

/* Where the gradients of the score's matrices go (added, as in layers.h);
 * NULL for the kinds without parameters, and any one may be NULL when it
 * is not wanted. scratch_k is not a gradient: the additive backward's
 * dk_proj (Lk x d_a), for which al_attend_backward's own arguments have
 * no room. */
typedef struct al_score_grads {
    al_matrix *w_a;          /* general:  d_q x d_k */
    al_matrix *w_q;          /* additive: d_q x d_a */
    al_matrix *w_k;          /* additive: d_k x d_a */
    al_matrix *v_a;          /* additive: d_a x 1   */
    al_matrix *scratch_k;    /* additive: Lk x d_a, required */
} al_score_grads;

/* Backward of one head, from d_out (Lq x d_v) and what al_attend left in
 * steps, for the kinds a model trains: dot, scaled dot, general and
 * additive, with the softmax normaliser at any temperature, with or
 * without a mask:
 *
 *   dweights (Lq x Lk) = d_out · vᵀ        dv (Lk x d_v) = weightsᵀ · d_out
 *   dlast    (Lq x Lk) = softmax backward of dweights (al_softmax_rows_backward):
 *                        0 where the mask removed a key; the mask itself is
 *                        a constant and passes the rest unchanged
 *   dscores  (Lq x Lk) = dlast / sqrt(d_k)  (scaled dot; dlast otherwise)
 *   dq (Lq x d_k)      = dscores · k        dk (Lk x d_k) = dscoresᵀ · q
 *   general, scores = (q · W_a) · kᵀ:  dq_proj = dscores · k,
 *     dk = dscoresᵀ · q_proj,  dW_a += qᵀ · dq_proj,  dq = dq_proj · W_aᵀ
 *   additive, scores_ij = Σ_a v_a[a] · t_ija, t_ija = tanh(q_proj_ia + k_proj_ja):
 *     dv_a[a] += Σ_ij dscores_ij · t_ija
 *     dpre_ija = dscores_ij · v_a[a] · (1 − t_ija²)     (never stored)
 *     dq_proj (Lq x d_a) = Σ_j dpre_ija,  dk_proj (Lk x d_a) = Σ_i dpre_ija
 *     dW_q += qᵀ · dq_proj,  dq = dq_proj · W_qᵀ
 *     dW_k += kᵀ · dk_proj,  dk = dk_proj · W_kᵀ
 *
 * dq, dk and dv are written, not added (a head owns its columns of the
 * layer's dQ, dK, dV); any may be NULL. scratch is Lq x Lk (and, for
 * general, scratch_q is Lq x d_k; for additive, scratch_q is Lq x d_a and
 * grads->scratch_k Lk x d_a; NULL otherwise). The other kinds (inverse
 * distance, Gaussian) fail with AL_ERR_ARG ("... scores have no backward
 * yet"), as does the sum normaliser. */
al_status al_attend_backward(al_matrix *dq, al_matrix *dk, al_matrix *dv, al_score_grads *grads,
                             al_matrix *scratch, al_matrix *scratch_q, const al_matrix *d_out,
                             const al_attention_steps *steps, const al_matrix *q,
                             const al_matrix *k, const al_matrix *v, const al_matrix *mask,
                             const al_scoring *scoring, al_error *err);

/* Record the score's parameter matrices (W_q, W_k and v_a for additive,
 * W_a for general; nothing for the other kinds) as <prefix>.w_q ..., role
 * param, for calls to al_attend whose names.params is prefix. */
al_status al_trace_score_params(al_trace *trace, const char *prefix, const al_scoring *scoring,
                                al_error *err);

/* ---- the step kernels: no allocation, no tracing ---------------------- */

/* scores (Lq x Lk) = q (Lq x d) · kᵀ (d x Lk) */
al_status al_dot_scores(al_matrix *scores, const al_matrix *q, const al_matrix *k,
                        al_error *err);

/* scaled = scores / sqrt(d_k): keeps the spread of q · k near 1 when the
 * entries of q and k have variance 1, whatever d_k. scaled may be scores. */
al_status al_scale_scores(al_matrix *scaled, const al_matrix *scores, int d_k, al_error *err);

/* Luong general: q_proj (Lq x d_k) = q (Lq x d_q) · w_a (d_q x d_k);
 *                scores (Lq x Lk) = q_proj · kᵀ (d_k x Lk). */
al_status al_general_scores(al_matrix *scores, al_matrix *q_proj, const al_matrix *q,
                            const al_matrix *k, const al_matrix *w_a, al_error *err);

/* Bahdanau additive: q_proj (Lq x d_a) = q · w_q, k_proj (Lk x d_a) = k · w_k,
 * scores[i][j] = sum_a v_a[a] · tanh(q_proj[i][a] + k_proj[j][a]). */
al_status al_additive_scores(al_matrix *scores, al_matrix *q_proj, al_matrix *k_proj,
                             const al_matrix *q, const al_matrix *k, const al_matrix *w_q,
                             const al_matrix *w_k, const al_matrix *v_a, al_error *err);

/* scores[i][j] = 1 / ‖k_j − q_i‖, with the exact-match rule of al_attend.
 * If exact_match_rows is not NULL it receives how many rows used it. */
al_status al_inverse_distance_scores(al_matrix *scores, const al_matrix *q, const al_matrix *k,
                                     int *exact_match_rows, al_error *err);

/* Whether the exact-match rule takes key j for query i: ‖k_j − q_i‖ is 0,
 * or so small that 1 / ‖k_j − q_i‖ overflows float32. Such keys score 1
 * and every other key of row i scores -INFINITY (masked). For printouts
 * that say why a row looks as it does; al_attend applies the rule itself.
 * q is Lq x d and k is Lk x d, 0 <= i < Lq and 0 <= j < Lk. */
bool al_exact_match(const al_matrix *q, int i, const al_matrix *k, int j);

/* scores[i][j] = exp(−‖k_j − q_i‖² / (2σ²)), the Gaussian kernel of
 * Nadaraya–Watson regression; sigma > 0 and finite. */
al_status al_gaussian_scores(al_matrix *scores, const al_matrix *q, const al_matrix *k,
                             float sigma, al_error *err);

/* weights[i][j] = s[i][j] / sum_k s[i][k], a -INFINITY (masked) s counting
 * as 0. Every other s must be >= 0 and finite (AL_ERR_VALUE names the first
 * that is not; use softmax for scores of any sign). A row summing to 0 gets
 * weights 0 and is counted in *empty_rows (if not NULL). weights may be
 * scores. */
al_status al_normalize_sum(al_matrix *weights, const al_matrix *scores, int *empty_rows,
                           al_error *err);

/* One row of al_normalize_sum (n scores), returning the sum it divided by,
 * for a printout that shows it: 0 when the row has nothing to share out
 * (then every weight is 0). Does not check the scores, as al_normalize_sum
 * does. weights may be scores. */
double al_normalize_sum_row(float *weights, const float *scores, int n);

/* out (Lq x d_v) = weights (Lq x Lk) · v (Lk x d_v) */
al_status al_weighted_sum(al_matrix *out, const al_matrix *weights, const al_matrix *v,
                          al_error *err);

/* "dot", "scaled_dot", "additive", "general", "inverse_distance", "gaussian". */
const char *al_score_kind_name(al_score_kind kind);

#endif
