/* generate.h: writing a sentence with a Transformer, one token at a time:
 * encode the source once, then run the decoder on <bos>, then on <bos> y0,
 * then on <bos> y0 y1, ..., each time choosing the next token from the
 * last row of the logits, until <eos> or a length limit. The choice is
 * decoding.h's (greedy, temperature, top-k, top-p, one seeded draw each
 * step) or beam_search.h's. Not a faster decoder: every step reruns the
 * whole prefix (no cache of keys and values), which keeps each step's
 * trace a complete, ordinary decoder pass.
 *
 * Trace names: the encoder is traced once, under its usual names (tokens,
 * embed, ..., enc.N-1.*). Step t (from 0) of greedy or sampled decoding
 * writes its decoder pass and output layer under the prefix "step<t>.":
 *   step3.dec.tokens ... step3.dec.0.self_attn.h0.weights ... step3.logits,
 *   step3.probs                     (decoder-only: step3.tokens, step3.dec.0...)
 *   step3.next.logits   1 x V      the last row of step3.logits: the scores
 *                                  of the token that comes next (op take_row)
 *   step3.next.token    1 x 1      the choice, and whatever the rule traces
 *                                  on the way (step3.next.probs, .cumsum,
 *                                  .draw; decoding.h)
 * so the cross-attention of the step that chose word t is
 * step<t>.dec.<l>.cross_attn.h<i>.weights. Every step records the
 * parameters it used again under its prefix, so any step can be redone
 * from the trace alone (and a trace filter such as "step*.next.*" keeps
 * only the choices). With beam search the decoder runs once per beam per
 * step and is not traced; the surviving beams are, as beam.step<t>.scores
 * (beam_search.h). */
#ifndef ATTNLAB_GENERATE_H
#define ATTNLAB_GENERATE_H

#include "attnlab/decoding.h"
#include "attnlab/rng.h"
#include "attnlab/trace.h"
#include "attnlab/transformer.h"

typedef struct al_generate_options {
    al_sampling sampling;  /* greedy, temperature, top-k or top-p (decoding.h)   */
    int beam_width;        /* > 0: beam search of this width instead             */
    int max_tokens;        /* most tokens to generate, <eos> included, >= 1      */
} al_generate_options;

/* Generate up to options->max_tokens tokens into tokens (the caller's
 * array of max_tokens ints) and their number into *length (<eos>
 * included when it came). For an encoder-decoder model, input is the
 * source, and the decoder starts from <bos>; for a decoder-only model,
 * input is the prompt the sentence continues (its tokens are the first
 * decoder input). An encoder-only model generates nothing (AL_ERR_ARG).
 * rng gives sampling's draws (it may be NULL for greedy and beam search).
 * words (V strings, or NULL) label the trace.
 *
 * The decoder's input grows to <bos> plus max_tokens - 1 tokens (the
 * prompt plus max_tokens - 1), which must fit ws (AL_ERR_SHAPE
 * otherwise, before anything is computed). Sampling and beam search
 * allocate their memory for the call and free it before returning. */
al_status al_transformer_generate(int *tokens, int *length, al_transformer_workspace *ws,
                                  const al_transformer *model, const al_sequence *input,
                                  const al_generate_options *options, al_rng *rng,
                                  const char *const *words, al_trace *trace, al_error *err);

/* "step<t>.", the prefix step t's decoder pass and output layer are traced
 * under (above): al_generate_step_prefix(buf, 0) = "step0.". Given as
 * name_prefix to transformer.h's name builders, it names the step's
 * tensors: al_output_names_init(&n, "step0.") gives n.logits = "step0.logits". */
char *al_generate_step_prefix(char buf[AL_NAME_SIZE], int t);

#endif
