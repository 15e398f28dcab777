/* roulette.c: roulette-wheel selection, the step that turns a row of
 * probabilities and one uniform draw into a token. Where the probabilities
 * and the draw come from is sampling.c's business. */
#include "attnlab/decoding.h"

#include <math.h>

#include "decoding/chosen_token.h"
#include "trace/traced.h"

/* How far from 1 the probabilities may sum: each comes from a softmax
 * rounded to float (half a unit in the last place each), so a vocabulary of
 * tens of thousands stays far inside this; logits passed by mistake do not. */
#define PROBABILITY_SUM_TOLERANCE 1e-3

static al_status check_probs(const al_matrix *probs, const al_matrix *cumsum, float draw,
                             const char *what, al_error *err)
{
    if (probs->rows != 1 || !al_same_shape(cumsum, probs))
        return al_fail(err, AL_ERR_SHAPE,
                       "%s: probs must be one row (1 x V) and cumsum the same, not %d x %d "
                       "and %d x %d",
                       what, probs->rows, probs->cols, cumsum->rows, cumsum->cols);
    if (!(draw >= 0.0f && draw < 1.0f))
        return al_fail(err, AL_ERR_VALUE, "%s: the draw must be in [0, 1), not %.9g", what,
                       (double)draw);
    double sum = 0.0;
    for (int v = 0; v < probs->cols; v++) {
        float p = *al_at(probs, 0, v);
        if (!(p >= 0.0f && p <= 1.0f))
            return al_fail(err, AL_ERR_VALUE, "%s: probability %d is %g, not in [0, 1]", what,
                           v, (double)p);
        sum += p;
    }
    if (fabs(sum - 1.0) > PROBABILITY_SUM_TOLERANCE)
        return al_fail(err, AL_ERR_VALUE, "%s: the probabilities sum to %.9g, not 1", what, sum);
    return AL_OK;
}

/* cumsum[i] = probs[0] + ... + probs[i], added in float in this order, so
 * the sums in the trace are exactly the ones the draw is compared with. */
static void cumulative_sums(al_matrix *cumsum, const al_matrix *probs)
{
    float running = 0.0f;
    for (int v = 0; v < probs->cols; v++) {
        running += *al_at(probs, 0, v);
        *al_at(cumsum, 0, v) = running;
    }
}

/* The first i with draw < cumsum[i]. A token of probability 0 has the same
 * sum as the one before it, so it can never be the first to exceed the
 * draw. If rounding left the last sum at or below the draw (0.99999994 <=
 * 0.9999999), the last token with any probability takes it. */
static int spin(const al_matrix *cumsum, const al_matrix *probs, float draw)
{
    for (int v = 0; v < cumsum->cols; v++)
        if (draw < *al_at(cumsum, 0, v))
            return v;
    int last = cumsum->cols - 1;
    while (last > 0 && *al_at(probs, 0, last) == 0.0f)
        last--;
    return last;
}

al_status al_roulette(int *token, al_matrix *cumsum, const al_matrix *probs, float draw,
                      const char *const *words, al_trace_at at, al_error *err)
{
    al_trace *trace = at.trace;
    const char *name = at.name;
    al_status status = need_name_when_tracing(trace, name, "roulette", err);
    if (status == AL_OK)
        status = check_probs(probs, cumsum, draw, name_for_message(name, "roulette"), err);
    if (status != AL_OK)
        return status;
    cumulative_sums(cumsum, probs);
    *token = spin(cumsum, probs, draw);
    if (!trace)
        return AL_OK;

    char probs_name[AL_NAME_SIZE], cumsum_name[AL_NAME_SIZE], draw_name[AL_NAME_SIZE];
    al_name(probs_name, "%s.probs", name);
    al_name(cumsum_name, "%s.cumsum", name);
    al_name(draw_name, "%s.draw", name);
    al_matrix draw_matrix = al_matrix_wrap(&draw, 1, 1);
    al_tensor_info cumsum_info = {.name = cumsum_name, .role = AL_ROLE_ACTIVATION,
                                  .op = "cumulative_sum", .inputs = {probs_name},
                                  .col_labels = words};
    al_tensor_info draw_info = {.name = draw_name, .role = AL_ROLE_INPUT,
                                .note = "u in [0, 1); the token is the first i with "
                                        "u < cumsum[i]"};
    status = al_trace_matrix(trace, &cumsum_info, cumsum, err);
    if (status == AL_OK)
        status = al_trace_matrix(trace, &draw_info, &draw_matrix, err);
    if (status == AL_OK)
        status = al_trace_chosen_token(trace, *token, name, "roulette", cumsum_name, draw_name,
                                       words, err);
    return status;
}
