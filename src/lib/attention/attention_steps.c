/* attention_steps.c: the caller's side of one head: the usual scoring,
 * allocating the step matrices, and checking that every matrix, name and
 * number fits before al_attend computes anything. No maths: the steps
 * themselves are in attention.c. */
#include "attnlab/attention.h"

#include <math.h>

#include "attnlab/mask.h"
#include "attention/attention_check.h"

al_scoring al_scoring_scaled_dot(void)
{
    return (al_scoring){.kind = AL_SCORE_SCALED_DOT, .normalizer = AL_NORMALIZE_SOFTMAX,
                        .temperature = 1.0f};
}

/* ---- the caller's step matrices ------------------------------------------ */

void al_attention_steps_free(al_attention_steps *steps)
{
    al_matrix_free(&steps->scores);
    al_matrix_free(&steps->scaled);
    al_matrix_free(&steps->masked);
    al_matrix_free(&steps->weights);
    al_matrix_free(&steps->q_proj);
    al_matrix_free(&steps->k_proj);
    *steps = (al_attention_steps){0};
}

/* The parameter matrices a score kind cannot do without. */
al_status attention_check_score_params(const al_scoring *scoring, al_error *err)
{
    if (scoring->kind == AL_SCORE_ADDITIVE && (!scoring->w_q || !scoring->w_k || !scoring->v_a))
        return al_fail(err, AL_ERR_ARG, "additive attention needs W_q, W_k and v_a");
    if (scoring->kind == AL_SCORE_GENERAL && !scoring->w_a)
        return al_fail(err, AL_ERR_ARG, "general attention needs W_a");
    if (scoring->kind < AL_SCORE_DOT || scoring->kind > AL_SCORE_GAUSSIAN)
        return al_fail(err, AL_ERR_ARG, "unknown score kind %d", (int)scoring->kind);
    return AL_OK;
}

al_status al_attention_steps_alloc(al_attention_steps *steps, int queries, int keys,
                                   const al_scoring *scoring, bool with_mask, al_error *err)
{
    *steps = (al_attention_steps){0};
    al_status status = attention_check_score_params(scoring, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&steps->scores, queries, keys, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&steps->weights, queries, keys, err);
    if (status == AL_OK && scoring->kind == AL_SCORE_SCALED_DOT)
        status = al_matrix_alloc(&steps->scaled, queries, keys, err);
    if (status == AL_OK && with_mask)
        status = al_matrix_alloc(&steps->masked, queries, keys, err);
    if (status == AL_OK && scoring->kind == AL_SCORE_ADDITIVE) {
        status = al_matrix_alloc(&steps->q_proj, queries, scoring->w_q->cols, err);
        if (status == AL_OK)
            status = al_matrix_alloc(&steps->k_proj, keys, scoring->w_k->cols, err);
    }
    if (status == AL_OK && scoring->kind == AL_SCORE_GENERAL)
        status = al_matrix_alloc(&steps->q_proj, queries, scoring->w_a->cols, err);
    if (status != AL_OK)
        al_attention_steps_free(steps);
    return status;
}

/* ---- checking everything before computing anything ----------------------- */

static bool has_shape(const al_matrix *m, int rows, int cols)
{
    return m->data && m->rows == rows && m->cols == cols;
}

/* "steps.scaled is 2 x 2 but must be 3 x 2 (queries x keys)" */
static al_status check_step(const char *what, const al_matrix *m, int queries, int keys,
                            al_error *err)
{
    if (has_shape(m, queries, keys))
        return AL_OK;
    return al_fail(err, AL_ERR_SHAPE, "attention: steps.%s is %d x %d but must be %d x %d "
                   "(queries x keys)", what, m->rows, m->cols, queries, keys);
}

static al_status check_shapes(const al_matrix *out, const al_attention_steps *steps,
                              const al_matrix *q, const al_matrix *k, const al_matrix *v,
                              const al_matrix *mask, const al_scoring *scoring, al_error *err)
{
    int queries = q->rows, keys = k->rows;
    if (v->rows != keys)
        return al_fail(err, AL_ERR_SHAPE, "attention: keys are %d x %d but values are %d x %d; "
                       "there must be one value per key", k->rows, k->cols, v->rows, v->cols);
    if (out->rows != queries || out->cols != v->cols)
        return al_fail(err, AL_ERR_SHAPE, "attention: out is %d x %d but must be %d x %d "
                       "(queries x value width)", out->rows, out->cols, queries, v->cols);
    al_status status = check_step("scores", &steps->scores, queries, keys, err);
    if (status == AL_OK)
        status = check_step("weights", &steps->weights, queries, keys, err);
    if (status == AL_OK && scoring->kind == AL_SCORE_SCALED_DOT)
        status = check_step("scaled", &steps->scaled, queries, keys, err);
    if (status != AL_OK || !mask)
        return status;
    if (mask->rows != queries || mask->cols != keys)
        return al_fail(err, AL_ERR_SHAPE, "attention: the mask is %d x %d but the scores are "
                       "%d x %d (queries x keys)", mask->rows, mask->cols, queries, keys);
    status = check_step("masked", &steps->masked, queries, keys, err);
    if (status == AL_OK)
        status = al_mask_check(mask, err);
    return status;
}

static al_status check_names(const al_attention_names *names, const al_matrix *mask,
                             al_error *err)
{
    if (!names || !names->prefix || !names->q || !names->k || !names->v ||
        (mask && !names->mask))
        return al_fail(err, AL_ERR_ARG, "attention: tracing needs a prefix and the names of q, "
                       "k, v%s", mask ? " and the mask" : "");
    return AL_OK;
}

al_status attention_check(const al_matrix *out, const al_attention_steps *steps,
                              const al_matrix *q, const al_matrix *k, const al_matrix *v,
                              const al_matrix *mask, const al_scoring *scoring,
                              const al_attention_names *names, const al_trace *trace,
                              al_error *err)
{
    al_status status = trace ? check_names(names, mask, err) : AL_OK;
    if (status == AL_OK)
        status = attention_check_score_params(scoring, err);
    if (status == AL_OK)
        status = check_shapes(out, steps, q, k, v, mask, scoring, err);
    if (status != AL_OK)
        return status;
    float t = scoring->temperature;
    if (scoring->normalizer == AL_NORMALIZE_SOFTMAX && (!(t > 0.0f) || isinf(t)))
        return al_fail(err, AL_ERR_VALUE, "attention: temperature must be a positive finite "
                       "number, not %g (1 is the usual softmax)", (double)t);
    if (scoring->normalizer != AL_NORMALIZE_SOFTMAX && scoring->normalizer != AL_NORMALIZE_SUM)
        return al_fail(err, AL_ERR_ARG, "unknown normaliser %d", (int)scoring->normalizer);
    return AL_OK;
}
