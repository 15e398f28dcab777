/* decoding.h: choosing the next token from a row of logits (1 x V), the
 * scores the output layer gives every word of the vocabulary:
 *
 *   greedy       the largest logit (the lowest id on a tie)
 *   temperature  probs = softmax(logits / T): T < 1 sharpens towards greedy
 *                (T -> 0 is greedy), T > 1 flattens towards uniform
 *   top-k        only the k largest logits keep any probability
 *   top-p        only the nucleus keeps any probability: the fewest most
 *                probable tokens whose probabilities add up to at least p
 *   roulette     the wheel that turns probabilities into a choice: lay the
 *                probabilities end to end (cumulative sums), draw u in
 *                [0, 1), pick the first token i with u < cumsum[i].
 *                With probabilities 0.5, 0.2, 0.3 the sums are 0.5, 0.7, 1:
 *                a draw of 0.4 picks token 0, a draw of 0.6 picks token 1.
 *
 * Beam search, which keeps several candidate sentences, is beam_search.h.
 * Nothing here runs a model: the logits come from the caller.
 *
 * Tracing: every function takes the trace (NULL: not tracing), a name that
 * its records start with (e.g. "sample" or "dec.step3"), and the vocabulary
 * as column labels (V strings, or NULL). Functions that read logits take
 * their trace name; functions that read probabilities read "<name>.probs",
 * the name the probability functions write. Records:
 *   <name>.temperature  1 x 1   input: T
 *   <name>.kept         1 x V   top-k: logits, null outside the k kept
 *   <name>.all_probs    1 x V   top-p: softmax(logits / T) before the cut
 *   <name>.probs        1 x V   the probabilities the roulette wheel uses
 *   <name>.cumsum       1 x V   the roulette wheel's running sums
 *   <name>.draw         1 x 1   input: the draw u
 *   <name>.token        1 x 1   the chosen id, its column labelled by the word */
#ifndef ATTNLAB_DECODING_H
#define ATTNLAB_DECODING_H

#include "attnlab/matrix.h"
#include "attnlab/rng.h"
#include "attnlab/trace.h"

/* One vocabulary entry while ranking: its value (logit or probability) and
 * its id. */
typedef struct al_ranked_token {
    float value;
    int id;
} al_ranked_token;

/* The memory sampling needs for a vocabulary of V tokens, allocated once
 * by al_sampler_alloc and released with al_sampler_free. */
typedef struct al_sampler {
    al_matrix probs;           /* 1 x V */
    al_matrix cumsum;          /* 1 x V */
    al_ranked_token *ranking;  /* V entries, for top-k and top-p */
} al_sampler;

al_status al_sampler_alloc(al_sampler *sampler, int vocab_size, al_error *err);
void al_sampler_free(al_sampler *sampler);

/* *token = the id of the largest logit; the lowest id wins a tie. NaN
 * logits fail with AL_ERR_VALUE. Traces "<name>.token" (op "argmax"). */
al_status al_greedy(int *token, al_named logits, const char *const *words, al_trace_at at,
                    al_error *err);

/* probs (1 x V) = softmax(logits / T). T must be a positive finite number
 * (T <= 0 fails with AL_ERR_VALUE: for T -> 0 use al_greedy). Traces
 * "<name>.temperature" and "<name>.probs" (op "softmax_temperature"). */
al_status al_temperature_probs(al_matrix *probs, al_named logits, float temperature,
                               const char *const *words, al_trace_at at, al_error *err);

/* probs (1 x V) = softmax(kept / T), where kept is logits with every entry
 * outside the k largest set to -inf (ties: lower id first), so the k kept
 * probabilities are renormalised to sum to 1 and the rest are exactly 0.
 * 1 <= k <= V. ranking holds V entries of workspace. Traces
 * "<name>.temperature", "<name>.kept" (op "top_k") and "<name>.probs". */
al_status al_top_k_probs(al_matrix *probs, al_ranked_token *ranking, al_named logits, int k,
                         float temperature, const char *const *words, al_trace_at at,
                         al_error *err);

/* probs (1 x V): softmax(logits / T), then only the nucleus kept: sort by
 * probability (ties: lower id first), keep the shortest run from the top
 * whose probabilities sum to at least p, set the rest to 0 and divide the
 * kept ones by their sum. 0 < p <= 1. ranking holds V entries of
 * workspace. Traces "<name>.temperature", "<name>.all_probs" and
 * "<name>.probs" (op "top_p"). */
al_status al_top_p_probs(al_matrix *probs, al_ranked_token *ranking, al_named logits,
                         float p, float temperature, const char *const *words, al_trace_at at,
                         al_error *err);

/* The roulette wheel: cumsum (1 x V, the caller's) receives the running
 * sums of probs in float, cumsum[i] = cumsum[i-1] + probs[i], and *token
 * is the first i with draw < cumsum[i]. Because the comparison is strict,
 * a draw exactly on a boundary belongs to the next token, and a token of
 * probability 0 is never picked. If rounding leaves the last sum just
 * below 1 and the draw above it, the last token with nonzero probability
 * is picked. draw must be in [0, 1); probs must be in [0, 1] and sum to 1
 * within 1e-3. Traces "<name>.cumsum" (op "cumulative_sum"), "<name>.draw"
 * and "<name>.token" (op "roulette"). */
al_status al_roulette(int *token, al_matrix *cumsum, const al_matrix *probs, float draw,
                      const char *const *words, al_trace_at at, al_error *err);

/* How to choose: greedy, or sampling at a temperature, optionally limited
 * to the top k or the top p. */
typedef enum al_sampling_method {
    AL_SAMPLE_GREEDY,
    AL_SAMPLE_TEMPERATURE,
    AL_SAMPLE_TOP_K,
    AL_SAMPLE_TOP_P
} al_sampling_method;

typedef struct al_sampling {
    al_sampling_method method;
    float temperature;  /* all but greedy */
    int top_k;          /* AL_SAMPLE_TOP_K */
    float top_p;        /* AL_SAMPLE_TOP_P */
} al_sampling;

/* One token from logits the way how says: probabilities, then one draw
 * u = al_rng_uniform(rng) on the roulette wheel (greedy draws nothing).
 * The same seed gives the same tokens. */
al_status al_sample(int *token, al_sampler *sampler, al_named logits,
                    const al_sampling *how, al_rng *rng, const char *const *words,
                    al_trace_at at, al_error *err);

#endif
