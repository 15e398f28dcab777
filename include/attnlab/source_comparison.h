/* source_comparison.h: how much of an early word reaches the decoder
 * through the RNN encoder's single context vector (the bottleneck of
 * lesson01). Two sources of the same length that differ in a word go
 * through the same encoder; after every token j the distance between the
 * two encoders' states says how much of the difference is still carried.
 * Without attention the decoder sees only the last state, so the last
 * distance is all the decoder can ever learn of that word. Not a general
 * similarity measure, and not a second seq2seq pass: only the encoder runs.
 *
 *   d_j    = ‖h_j − h'_j‖                       (1 x S)   s2s.compare.distance
 *   kept_j = d_j / d_f,  f the first token where the states part
 *                                                (1 x S)   s2s.compare.kept
 *   kept_j is 0 before f, 1 at f, and kept_{S-1} is the share of the
 *   first difference left in the context.
 *
 * Trace names (the first source's are seq2seq.h's s2s.enc.*):
 *   s2s.compare.enc.tokens .embed (.table)  the second source's ids and
 *                             vectors (the table is s2s.enc.embed.table's,
 *                             recorded again by the lookup)
 *   s2s.compare.enc.h        S x d_h   its encoder states: the same cell,
 *                             parameters s2s.enc.w_x ..., start s2s.enc.init
 *                             (a GRU also s2s.compare.enc.z .r .n)
 *   s2s.compare.distance     1 x S     op "row_distance" of s2s.enc.h and
 *                             s2s.compare.enc.h
 *   s2s.compare.kept         1 x S     op "ratio": the distances over the
 *                             distance at token f */
#ifndef ATTNLAB_SOURCE_COMPARISON_H
#define ATTNLAB_SOURCE_COMPARISON_H

#include "attnlab/seq2seq.h"

typedef struct al_source_comparison {
    int max_source;
    al_matrix embed;           /* max_source x d_e: the second source's vectors   */
    al_matrix states;          /* max_source x d_h: s2s.compare.enc.h             */
    al_rnn_gates gates;        /* the GRU's gates, when the cell is a GRU         */
    al_matrix distance;        /* 1 x max_source: d_j                             */
    al_matrix kept;            /* 1 x max_source: d_j / d_f                       */
    /* Filled in by al_compare_sources: */
    int length;                /* S                                               */
    int first_difference;      /* f, or -1 when the states never part             */
} al_source_comparison;

/* Allocate room for sources of up to max_source tokens read by model's
 * encoder. On failure *comparison is empty. Free with
 * al_source_comparison_free. */
al_status al_source_comparison_alloc(al_source_comparison *comparison, const al_seq2seq *model,
                                     int max_source, al_error *err);

void al_source_comparison_free(al_source_comparison *comparison);

/* ws holds a source read by al_seq2seq_encode; encode other with the same
 * encoder into comparison->states and measure, token by token, how far
 * apart the two encoders' states are (the equations above). labels (S
 * strings, e.g. "agreement/treaty" where the sources differ; NULL: the
 * first source's labels) label the columns of the distances;
 * other->labels label the second source's rows.
 *
 * When the states never part (the same source, or words with the same
 * vector), first_difference is -1 and kept is all 0. Fails with AL_ERR_ARG
 * before any source was encoded, AL_ERR_SHAPE when other's length is not
 * the encoded source's (states are compared token by token) or exceeds
 * max_source, AL_ERR_VALUE for an id outside the vocabulary. */
al_status al_compare_sources(al_source_comparison *comparison, const al_seq2seq_workspace *ws,
                             const al_seq2seq *model, const al_sequence *other,
                             const char *const *labels, al_trace *trace, al_error *err);

#endif
