/* beam_search.h: generating a sentence by keeping the `width` most probable
 * partial sentences (beams) at every step, instead of only the single most
 * probable next token (greedy, decoding.h). Width 1 is greedy decoding.
 *
 * A beam's score is the sum of the log-probabilities of its tokens,
 * log P(y_1 .. y_t) = Σ log softmax(logits_s)[y_s]. At each step every
 * unfinished beam is extended by every token of the vocabulary, a finished
 * beam (one that produced <eos>) is carried over unchanged, and the `width`
 * highest scores survive (ties: the earlier beam, then the lower token id).
 * The search stops when every surviving beam has finished or max_length
 * tokens have been generated. No length normalisation: longer sentences
 * pay for every token, as in the plain algorithm.
 *
 * The model is the caller's: a step function that, given a beam's tokens
 * so far (starting with <bos>), fills the logits for the next token.
 *
 * Trace: after step t (from 0) the surviving beams' scores as
 * "<name>.step<t>.scores" (n x 1, each row labelled by the beam's words,
 * e.g. "<bos> the cat"), so the book can show which sentences survived,
 * with attrs step, width, max_length, bos, eos and model, and the model's
 * table as input (FORMAT.md). */
#ifndef ATTNLAB_BEAM_SEARCH_H
#define ATTNLAB_BEAM_SEARCH_H

#include <stdbool.h>

#include "attnlab/matrix.h"
#include "attnlab/trace.h"

/* Fill logits (1 x V) with the model's scores for the token that follows
 * prefix[0 .. length), where prefix[0] is <bos>. context is the caller's.
 * Return AL_OK, or a status (with err filled) that stops the search. */
typedef al_status (*al_next_logits)(al_matrix *logits, const int *prefix, int length,
                                    void *context, al_error *err);

typedef struct al_beam_options {
    int width;        /* beams kept at each step, >= 1 (1 = greedy)             */
    int max_length;   /* most tokens generated after <bos>, <eos> included, >= 1 */
    int bos_id;       /* the token every beam starts with                       */
    int eos_id;       /* the token that finishes a beam                          */
    /* For the trace, so that a step can be redone from it: what the step
     * function computes (the step records' attr "model", e.g.
     * AL_BIGRAM_BEAM_MODEL) and the traced tensor it reads (their input),
     * or NULL when the model is not in the trace. */
    const char *model;
    const char *model_table;
} al_beam_options;

/* A beam row's label in the trace: its words, cut short with "..." if
 * longer than this. */
#define AL_BEAM_LABEL_SIZE 160

/* The memory one search needs, allocated once by al_beam_alloc for the
 * given options and vocabulary size; release it with al_beam_free. */
typedef struct al_beam_search {
    al_beam_options options;
    int vocab_size;
    int count;             /* beams alive now (1 at the start, <= width)        */
    int *tokens;           /* width x (max_length + 1): beam b's tokens at row b */
    int *lengths;          /* width: tokens in each beam, <bos> included         */
    double *scores;        /* width: sum of log-probabilities                    */
    bool *finished;        /* width: ended with <eos>                            */
    int *next_tokens;      /* the same four, for the step being built            */
    int *next_lengths;
    double *next_scores;
    bool *next_finished;
    int *parent;           /* width: which beam each candidate extends           */
    int *extension;        /* width: the token it adds, or -1 (carried over)     */
    double *candidate_scores;
    al_matrix logits;      /* 1 x V, filled by the step function                 */
    al_matrix score_column;/* width x 1, for the trace                           */
    char *label_text;      /* width x AL_BEAM_LABEL_SIZE                         */
    const char **labels;   /* width pointers into label_text                     */
} al_beam_search;

/* Allocate for options (checked: width >= 1, max_length >= 1, ids inside
 * the vocabulary). On failure *search is empty. */
al_status al_beam_alloc(al_beam_search *search, const al_beam_options *options, int vocab_size,
                        al_error *err);

void al_beam_free(al_beam_search *search);

/* Run the search. On success tokens receives the best beam's generated
 * tokens (without <bos>, with <eos> if it finished; the caller's array of
 * max_length ints), *length their number and *score its log-probability.
 * words (V strings, or NULL for numbers) label the trace. */
al_status al_beam_run(int *tokens, int *length, double *score, al_beam_search *search,
                      al_next_logits next_logits, void *context, al_trace *trace,
                      const char *name, const char *const *words, al_error *err);

#endif
