/* sampling.c: from a row of logits to probabilities (temperature, top-k,
 * top-p) and to one token (greedy, or a draw through the roulette wheel in
 * roulette.c). The softmax itself is softmax.c's. Beam search is
 * beam_search.c. */
#include "attnlab/decoding.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "attnlab/softmax.h"
#include "decoding/chosen_token.h"
#include "trace/traced.h"

al_status al_sampler_alloc(al_sampler *sampler, int vocab_size, al_error *err)
{
    *sampler = (al_sampler){0};
    al_status status = al_matrix_alloc(&sampler->probs, 1, vocab_size, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&sampler->cumsum, 1, vocab_size, err);
    if (status == AL_OK) {
        sampler->ranking = malloc((size_t)vocab_size * sizeof *sampler->ranking);
        if (!sampler->ranking)
            status = al_fail(err, AL_ERR_NOMEM, "out of memory for a sampler of %d tokens",
                             vocab_size);
    }
    if (status != AL_OK)
        al_sampler_free(sampler);
    return status;
}

void al_sampler_free(al_sampler *sampler)
{
    al_matrix_free(&sampler->probs);
    al_matrix_free(&sampler->cumsum);
    free(sampler->ranking);
    sampler->ranking = NULL;
}

/* Logits are one row; NaN and +inf are refused, -inf (a token ruled out)
 * is allowed as long as one token is left. */
static al_status check_logits(const al_matrix *logits, const char *what, al_error *err)
{
    if (logits->rows != 1)
        return al_fail(err, AL_ERR_SHAPE, "%s: logits must be one row (1 x V), not %d x %d",
                       what, logits->rows, logits->cols);
    bool any_finite = false;
    for (int v = 0; v < logits->cols; v++) {
        float s = *al_at(logits, 0, v);
        if (isnan(s) || s == INFINITY)
            return al_fail(err, AL_ERR_VALUE, "%s: logit %d is %g", what, v, (double)s);
        any_finite = any_finite || s != -INFINITY;
    }
    if (!any_finite)
        return al_fail(err, AL_ERR_VALUE, "%s: every logit is -inf; no token can be chosen",
                       what);
    return AL_OK;
}

static al_status check_temperature(float temperature, const char *what, al_error *err)
{
    if (!(temperature > 0.0f) || isinf(temperature))
        return al_fail(err, AL_ERR_VALUE,
                       "%s: temperature must be a positive finite number, not %g "
                       "(T -> 0 is greedy decoding)",
                       what, (double)temperature);
    return AL_OK;
}

/* Record "<name>.<suffix>" (a 1 x n row) made by op from up to two inputs. */
static al_status trace_row(al_trace *trace, const al_matrix *m, al_role role, const char *name,
                           const char *suffix, const char *op, const char *input_1,
                           const char *input_2, const char *const *words, al_error *err)
{
    char full_name[AL_NAME_SIZE];
    al_name(full_name, "%s.%s", name, suffix);
    al_tensor_info info = {.name = full_name, .role = role, .op = op,
                           .inputs = {input_1, input_2}, .col_labels = words};
    return al_trace_matrix(trace, &info, m, err);
}

/* The same for an op with one parameter (top-k's k, top-p's p). */
static al_status trace_row_with(al_trace *trace, const al_matrix *m, const char *name,
                                const char *suffix, const char *op, const char *input,
                                al_trace_attr attr, const char *const *words, al_error *err)
{
    char full_name[AL_NAME_SIZE];
    al_name(full_name, "%s.%s", name, suffix);
    al_tensor_info info = {.name = full_name, .role = AL_ROLE_ACTIVATION, .op = op,
                           .inputs = {input}, .attrs = {attr}, .col_labels = words};
    return al_trace_matrix(trace, &info, m, err);
}

static al_status trace_temperature(al_trace *trace, float temperature, const char *name,
                                   al_error *err)
{
    al_matrix t = al_matrix_wrap(&temperature, 1, 1);
    return trace_row(trace, &t, AL_ROLE_INPUT, name, "temperature", NULL, NULL, NULL, NULL,
                     err);
}

al_status al_trace_chosen_token(al_trace *trace, int token, const char *name, const char *op,
                                const char *input_1, const char *input_2,
                                const char *const *words, al_error *err)
{
    float id = (float)token;
    al_matrix chosen = al_matrix_wrap(&id, 1, 1);
    const char *label[1] = {words ? words[token] : NULL};
    return trace_row(trace, &chosen, AL_ROLE_OUTPUT, name, "token", op, input_1, input_2,
                     words ? label : NULL, err);
}

/* --- greedy ------------------------------------------------------------------ */

/* The first index of the largest value: a later equal value does not win. */
static int argmax(const al_matrix *row)
{
    int best = 0;
    for (int v = 1; v < row->cols; v++)
        if (*al_at(row, 0, v) > *al_at(row, 0, best))
            best = v;
    return best;
}

al_status al_greedy(int *token, al_named logits_in, const char *const *words, al_trace_at at,
                    al_error *err)
{
    const al_matrix *logits = logits_in.value;
    const char *logits_name = logits_in.name;
    al_trace *trace = at.trace;
    const char *name = at.name;
    al_status status = need_name_when_tracing(trace, name, "greedy", err);
    if (status == AL_OK)
        status = check_logits(logits, name_for_message(name, "greedy"), err);
    if (status != AL_OK)
        return status;
    *token = argmax(logits);
    if (!trace)
        return AL_OK;
    return al_trace_chosen_token(trace, *token, name, "argmax", logits_name, NULL, words, err);
}

/* --- temperature ----------------------------------------------------------- */

al_status al_temperature_probs(al_matrix *probs, al_named logits_in, float temperature,
                               const char *const *words, al_trace_at at, al_error *err)
{
    const al_matrix *logits = logits_in.value;
    const char *logits_name = logits_in.name;
    al_trace *trace = at.trace;
    const char *name = at.name;
    const char *what = name_for_message(name, "temperature");
    al_status status = need_name_when_tracing(trace, name, "temperature", err);
    if (status == AL_OK)
        status = check_logits(logits, what, err);
    if (status == AL_OK)
        status = check_temperature(temperature, what, err);
    /* probs (1 x V) = softmax(logits / T) */
    if (status == AL_OK)
        status = al_softmax_rows(probs, logits, temperature, NULL, err);
    if (status != AL_OK || !trace)
        return status;
    char t_name[AL_NAME_SIZE];
    al_name(t_name, "%s.temperature", name);
    status = trace_temperature(trace, temperature, name, err);
    if (status == AL_OK)
        status = trace_row(trace, probs, AL_ROLE_ACTIVATION, name, "probs",
                           "softmax_temperature", logits_name, t_name, words, err);
    return status;
}

/* --- ranking for top-k and top-p ---------------------------------------------- */

/* Larger values first; equal values by id, smaller first, so the order is
 * total and the same on every machine. */
static int larger_value_first(const void *a, const void *b)
{
    const al_ranked_token *x = a, *y = b;
    if (x->value != y->value)
        return x->value > y->value ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* ranking = the tokens of row (1 x V) sorted by value, largest first. */
static void rank_tokens(al_ranked_token *ranking, const al_matrix *row)
{
    for (int v = 0; v < row->cols; v++)
        ranking[v] = (al_ranked_token){.value = *al_at(row, 0, v), .id = v};
    qsort(ranking, (size_t)row->cols, sizeof *ranking, larger_value_first);
}

/* --- top-k --------------------------------------------------------------------- */

al_status al_top_k_probs(al_matrix *probs, al_ranked_token *ranking, al_named logits_in, int k,
                         float temperature, const char *const *words, al_trace_at at,
                         al_error *err)
{
    const al_matrix *logits = logits_in.value;
    const char *logits_name = logits_in.name;
    al_trace *trace = at.trace;
    const char *name = at.name;
    const char *what = name_for_message(name, "top-k");
    al_status status = need_name_when_tracing(trace, name, "top-k", err);
    if (status == AL_OK)
        status = check_logits(logits, what, err);
    if (status == AL_OK)
        status = check_temperature(temperature, what, err);
    if (status == AL_OK && (k < 1 || k > logits->cols))
        status = al_fail(err, AL_ERR_VALUE, "%s: k must be between 1 and V = %d, not %d", what,
                         logits->cols, k);
    if (status == AL_OK && !al_same_shape(probs, logits))
        status = al_fail(err, AL_ERR_SHAPE, "%s: probs are %d x %d but logits %d x %d", what,
                         probs->rows, probs->cols, logits->rows, logits->cols);
    if (status != AL_OK)
        return status;

    /* kept = logits, with -inf for every token outside the k largest; the
     * softmax then gives those exactly 0 and renormalises the rest. */
    rank_tokens(ranking, logits);
    al_copy(probs, logits, NULL);
    for (int r = k; r < logits->cols; r++)
        *al_at(probs, 0, ranking[r].id) = -INFINITY;
    char t_name[AL_NAME_SIZE] = "", kept_name[AL_NAME_SIZE] = "";
    if (trace) {
        al_name(t_name, "%s.temperature", name);
        al_name(kept_name, "%s.kept", name);
        status = trace_temperature(trace, temperature, name, err);
        if (status == AL_OK)
            status = trace_row_with(trace, probs, name, "kept", "top_k", logits_name,
                                    (al_trace_attr)AL_ATTR("k", k), words, err);
    }
    /* probs (1 x V) = softmax(kept / T), in place */
    if (status == AL_OK)
        status = al_softmax_rows(probs, probs, temperature, NULL, err);
    if (status == AL_OK && trace)
        status = trace_row(trace, probs, AL_ROLE_ACTIVATION, name, "probs",
                           "softmax_temperature", kept_name, t_name, words, err);
    return status;
}

/* --- top-p (nucleus) ------------------------------------------------------------ */

/* Keep the most probable tokens until their mass reaches p (summed in
 * double); zero the others and renormalise the kept ones. */
static void keep_nucleus(al_matrix *probs, al_ranked_token *ranking, float p)
{
    rank_tokens(ranking, probs);
    double mass = 0.0;
    int kept = 0;
    while (kept < probs->cols && mass < p)
        mass += ranking[kept++].value;
    for (int r = kept; r < probs->cols; r++)
        *al_at(probs, 0, ranking[r].id) = 0.0f;
    for (int r = 0; r < kept; r++)
        *al_at(probs, 0, ranking[r].id) = (float)(ranking[r].value / mass);
}

al_status al_top_p_probs(al_matrix *probs, al_ranked_token *ranking, al_named logits_in,
                         float p, float temperature, const char *const *words, al_trace_at at,
                         al_error *err)
{
    const al_matrix *logits = logits_in.value;
    const char *logits_name = logits_in.name;
    al_trace *trace = at.trace;
    const char *name = at.name;
    const char *what = name_for_message(name, "top-p");
    if (!(p > 0.0f && p <= 1.0f))
        return al_fail(err, AL_ERR_VALUE, "%s: p must be in (0, 1], not %g", what, (double)p);
    /* probs = softmax(logits / T), traced below as "<name>.all_probs" */
    al_status status = al_temperature_probs(probs, (al_named){logits, logits_name, NULL},
                                            temperature, words, (al_trace_at){NULL, name}, err);
    if (status != AL_OK)
        return status;
    char all_name[AL_NAME_SIZE] = "", t_name[AL_NAME_SIZE] = "";
    if (trace) {
        al_name(all_name, "%s.all_probs", name);
        al_name(t_name, "%s.temperature", name);
        status = trace_temperature(trace, temperature, name, err);
        if (status == AL_OK)
            status = trace_row(trace, probs, AL_ROLE_ACTIVATION, name, "all_probs",
                               "softmax_temperature", logits_name, t_name, words, err);
    }
    if (status != AL_OK)
        return status;
    keep_nucleus(probs, ranking, p);
    if (!trace)
        return AL_OK;
    return trace_row_with(trace, probs, name, "probs", "top_p", all_name,
                          (al_trace_attr)AL_ATTR("p", p), words, err);
}

/* --- one token ------------------------------------------------------------------- */

/* probabilities the way how says, into sampler->probs */
static al_status make_probs(al_sampler *sampler, const al_matrix *logits,
                            const al_sampling *how, al_trace *trace, const char *name,
                            const char *logits_name, const char *const *words, al_error *err)
{
    switch (how->method) {
    case AL_SAMPLE_TEMPERATURE:
        return al_temperature_probs(&sampler->probs, (al_named){logits, logits_name, NULL},
                                    how->temperature, words, (al_trace_at){trace, name}, err);
    case AL_SAMPLE_TOP_K:
        return al_top_k_probs(&sampler->probs, sampler->ranking,
                              (al_named){logits, logits_name, NULL}, how->top_k, how->temperature,
                              words, (al_trace_at){trace, name}, err);
    case AL_SAMPLE_TOP_P:
        return al_top_p_probs(&sampler->probs, sampler->ranking,
                              (al_named){logits, logits_name, NULL}, how->top_p, how->temperature,
                              words, (al_trace_at){trace, name}, err);
    case AL_SAMPLE_GREEDY:
        break;
    }
    return al_fail(err, AL_ERR_ARG, "sampling: unknown method %d", (int)how->method);
}

al_status al_sample(int *token, al_sampler *sampler, al_named logits_in,
                    const al_sampling *how, al_rng *rng, const char *const *words,
                    al_trace_at at, al_error *err)
{
    const al_matrix *logits = logits_in.value;
    const char *logits_name = logits_in.name;
    al_trace *trace = at.trace;
    const char *name = at.name;
    if (how->method == AL_SAMPLE_GREEDY)
        return al_greedy(token, (al_named){logits, logits_name, NULL}, words,
                         (al_trace_at){trace, name}, err);
    if (logits->cols != sampler->probs.cols)
        return al_fail(err, AL_ERR_SHAPE, "sampling: logits have %d columns but the sampler "
                       "was made for V = %d", logits->cols, sampler->probs.cols);
    al_status status = make_probs(sampler, logits, how, trace, name, logits_name, words, err);
    if (status != AL_OK)
        return status;
    float draw = al_rng_uniform(rng);
    return al_roulette(token, &sampler->cumsum, &sampler->probs, draw, words,
                       (al_trace_at){trace, name}, err);
}
