/* model_printout.h: how lessons 09, 10 and 12 narrate a Transformer pass:
 * an attention sublayer (queries, keys, values, each head's scores and
 * weights, its output), an add & norm, a feed-forward network, and the
 * most probable words of a row of probabilities. Printing only: every
 * number comes from the workspace of a pass that has already run
 * (blocks.h), and is printed under the name the pass traced it with. */
#ifndef LESSONS_MODEL_PRINTOUT_H
#define LESSONS_MODEL_PRINTOUT_H

#include <stdbool.h>

#include "attnlab/blocks.h"
#include "printout.h"

/* One sublayer of a pass that ran, and how to label it. */
typedef struct sublayer_view {
    const al_sublayer_workspace *ws;
    const al_sublayer_names *names;   /* its trace names (blocks.h): "enc.0.attn" ... */
    int rows;                         /* L: the queries, one per token                */
    int keys;                         /* attention: the keys (S for cross-attention)  */
    const char *const *row_labels;    /* L tokens                                     */
    const char *const *key_labels;    /* the keys' tokens (the rows' for self-attn)   */
    const char *const *dims;          /* d_model column names, or NULL                */
    const char *const *hidden;        /* FFN: d_ff column names, or NULL              */
} sublayer_view;

/* Q, K and V of an attention sublayer (<prefix>.q, .k, .v, multihead.h). */
void print_projections(printout *p, const sublayer_view *v);

/* Each head's scores (when with_scores), masked scores (when masked),
 * and weights, then where each row looks most. */
void print_head_weights(printout *p, const sublayer_view *v, bool with_scores, bool masked);

/* The attention's output <prefix>.out (heads joined, times W_O). */
void print_attention_output(printout *p, const sublayer_view *v);

/* The FFN's hidden layer (when with_hidden) and output <prefix>.out. */
void print_ffn(printout *p, const sublayer_view *v, bool with_hidden);

/* add_k and norm_k, in the order the norm placement computes them. */
void print_add_norm(printout *p, const sublayer_view *v, al_norm_placement norm);

/* A trace filter for the weights of every head of the attention traced
 * under prefix ("enc.*.attn" gives "enc.*.attn.h*.weights"), into buf. */
const char *every_head_weights(char buf[AL_NAME_SIZE], const char *prefix);

/* The count largest entries of a 1 x V row of probabilities, best first,
 * one line each: "  1. walks   0.0714". Ties keep the lower id first. */
void print_top_words(printout *p, const al_matrix *probs, const char *const *words, int count);

#endif
