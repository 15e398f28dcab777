/* layers.h: the pieces a Transformer block is built from, besides
 * attention: linear maps, layer normalisation, the position-wise
 * feed-forward network, residual additions and embedding lookup.
 * Attention itself, and the blocks that put these together, live elsewhere.
 *
 * Dimension letters: L tokens (rows), d_model width, d_ff the FFN's hidden
 * width, V vocabulary. Every activation is L x width, one row per token.
 * Parameters are d_in x d_out, applied as x · W; biases are 1 x d_out.
 *
 * Memory: each parameter struct has an _alloc (zeros, or the identity
 * where that is the natural start), an _init that fills it from a seeded
 * al_rng, and a _free. The forward functions never allocate: the caller
 * passes every output, including intermediates such as the FFN's hidden
 * layer, already allocated at the right shape.
 *
 * Backward: beside each forward function, its backward function. Given
 * dL/dy (dy) for the forward's output it writes dL/dx for the input (dx;
 * NULL when the input needs no gradient) and ADDS the gradients of the
 * parameters into a struct of the same type as the parameters (grad),
 * as PyTorch's .grad accumulates: zero it before a step (al_..._alloc gives
 * zeros, al_fill(0) after), and a layer used twice collects both shares.
 * It reads what the forward kept (x, and the FFN's hidden, the norm's mean
 * and var) and never traces.
 *
 * Tracing: each forward function takes its input as an al_named (the
 * matrix, its trace name, so the trace says what each tensor was made
 * from, and its row labels, the tokens) and an al_trace_at (the trace and
 * the dotted name it writes under; {0} when not tracing, and then no name
 * is needed). It records its parameters (role param), its intermediates
 * and its output, with the names listed beside each function, as in
 * traces/FORMAT.md; the output's rows carry the input's labels. */
#ifndef ATTNLAB_LAYERS_H
#define ATTNLAB_LAYERS_H

#include <stdbool.h>

#include "attnlab/matrix.h"
#include "attnlab/rng.h"
#include "attnlab/trace.h"

/* --- linear: y = x · W + b ------------------------------------------------ */

typedef struct al_linear {
    al_matrix w;   /* d_in x d_out                          */
    al_matrix b;   /* 1 x d_out; empty (NULL data): no bias */
} al_linear;

/* Allocate W (zeros) and, if with_bias, b (zeros). Free with al_linear_free.
 * On failure *layer is empty. */
al_status al_linear_alloc(al_linear *layer, int d_in, int d_out, bool with_bias, al_error *err);

/* Glorot (Xavier) uniform: every W entry from U(-a, a) with
 * a = sqrt(6 / (d_in + d_out)), drawn row by row; b = 0. This keeps the
 * variance of x · W near that of x in both directions (Glorot and Bengio
 * 2010), and is what PyTorch's nn.Transformer uses. */
void al_linear_init(al_linear *layer, al_rng *rng);

void al_linear_free(al_linear *layer);

/* y (L x d_out) = x (L x d_in) · W (d_in x d_out) + b (1 x d_out, every row).
 * y must not be x. Traces "<name>.w", "<name>.b" (param) and "<name>"
 * (op "linear", inputs [input_name, "<name>.w", "<name>.b"]). */
al_status al_linear_forward(al_matrix *y, al_named x, const al_linear *layer, al_trace_at at,
                            al_error *err);

/* Backward of y = x · W + b, dy (L x d_out):
 *   dx (L x d_in)      = dy · Wᵀ
 *   dW (d_in x d_out) += xᵀ · dy
 *   db (1 x d_out)    += Σ_i dy_i            (every row got the same b) */
al_status al_linear_backward(al_matrix *dx, al_linear *grad, const al_matrix *dy,
                             const al_matrix *x, const al_linear *layer, al_error *err);

/* --- layer normalisation ---------------------------------------------------- */

/* PyTorch's default epsilon, also the Transformer paper's implementation's. */
#define AL_LAYER_NORM_EPSILON 1e-5f

typedef struct al_layer_norm {
    al_matrix gamma;  /* 1 x d: scale per column, starts at 1 */
    al_matrix beta;   /* 1 x d: shift per column, starts at 0 */
    float epsilon;    /* keeps the division finite for a constant row */
} al_layer_norm;

/* Allocate gamma = 1, beta = 0 (the identity after normalising) with the
 * given epsilon (> 0). Layer norm has nothing random to initialise. Free
 * with al_layer_norm_free. */
al_status al_layer_norm_alloc(al_layer_norm *norm, int d, float epsilon, al_error *err);

void al_layer_norm_free(al_layer_norm *norm);

/* For each row i of x (L x d):
 *   mean_i = (1/d) Σ_j x_ij
 *   var_i  = (1/d) Σ_j (x_ij - mean_i)²          (the biased variance)
 *   y_ij   = gamma_j · (x_ij - mean_i) / sqrt(var_i + epsilon) + beta_j
 * Every row comes out with mean beta and spread gamma, whatever its scale
 * went in. mean and var (L x 1) are outputs too. y may be x.
 * Traces "<name>.gamma", "<name>.beta", "<name>.epsilon" (1 x 1) as params,
 * "<name>.mean" and "<name>.var" (L x 1) and "<name>" (op "layer_norm"). */
al_status al_layer_norm_forward(al_matrix *y, al_matrix *mean, al_matrix *var, al_named x,
                                const al_layer_norm *norm, al_trace_at at, al_error *err);

/* Backward of layer norm, row by row, with x̂ = (x - mean) / σ and
 * σ = sqrt(var + epsilon) from the forward pass (mean, var: L x 1):
 *   dgamma (1 x d) += Σ_i dy_i ⊙ x̂_i,   dbeta (1 x d) += Σ_i dy_i
 *   g = dy ⊙ gamma                        (dL/dx̂)
 *   dx_i = (g_i - mean_j(g_i) - x̂_i · mean_j(g_i ⊙ x̂_i)) / σ_i
 * The two means are what the row's own mean and spread take back: moving
 * every entry of x alike, or scaling it, leaves y unchanged. dx may be
 * dy (computed in place), not x. epsilon is not learned. */
al_status al_layer_norm_backward(al_matrix *dx, al_layer_norm *grad, const al_matrix *dy,
                                 const al_matrix *x, const al_matrix *mean,
                                 const al_matrix *var, const al_layer_norm *norm,
                                 al_error *err);

/* --- position-wise feed-forward network ------------------------------------- */

typedef struct al_feed_forward {
    al_linear first;   /* W1: d_model x d_ff, b1: 1 x d_ff */
    al_linear second;  /* W2: d_ff x d_model, b2: 1 x d_model */
} al_feed_forward;

/* Allocate W1, b1, W2, b2 (zeros; no biases if !with_bias). d_ff = 0 means
 * the paper's 4 · d_model (512 -> 2048). Free with al_feed_forward_free. */
al_status al_feed_forward_alloc(al_feed_forward *ffn, int d_model, int d_ff, bool with_bias,
                                al_error *err);

/* Glorot uniform for W1 then W2 (al_linear_init), biases 0. */
void al_feed_forward_init(al_feed_forward *ffn, al_rng *rng);

void al_feed_forward_free(al_feed_forward *ffn);

/* FFN(x) = max(0, x · W1 + b1) · W2 + b2, the same two layers for every row:
 *   hidden (L x d_ff)    = max(0, x (L x d_model) · W1 + b1)
 *   y      (L x d_model) = hidden · W2 + b2
 * hidden is the caller's (L x d_ff), left holding the values after ReLU.
 * y must not be x. Traces "<name>.w1" "b1" "w2" "b2" (param),
 * "<name>.pre_relu" (op "linear"), "<name>.hidden" (op "relu") and
 * "<name>.out" (op "linear"). */
al_status al_feed_forward_forward(al_matrix *y, al_matrix *hidden, al_named x,
                                  const al_feed_forward *ffn, al_trace_at at, al_error *err);

/* Backward of the FFN, dy (L x d_model), with hidden (L x d_ff) as the
 * forward left it (after the ReLU):
 *   dhidden (L x d_ff)  = dy · W2ᵀ          dW2 += hiddenᵀ · dy,  db2 += Σ_i dy_i
 *   dpre                = dhidden ⊙ [hidden > 0]   (ReLU passes a gradient
 *                         only where it passed the value; at 0 it takes 0)
 *   dx (L x d_model)    = dpre · W1ᵀ        dW1 += xᵀ · dpre,     db1 += Σ_i dpre_i
 * dhidden is the caller's L x d_ff scratch (it ends holding dpre). */
al_status al_feed_forward_backward(al_matrix *dx, al_feed_forward *grad, al_matrix *dhidden,
                                   const al_matrix *dy, const al_matrix *x,
                                   const al_matrix *hidden, const al_feed_forward *ffn,
                                   al_error *err);

/* --- residual addition ------------------------------------------------------ */

/* y = x + sublayer(x), elementwise (L x d): the shortcut that lets each
 * block add to its input rather than replace it. Also the sum
 * x = embed + pos. y may be either input. Traces "<name>" (op "add",
 * inputs [x_name, sublayer_name]), e.g. "enc.0.add1". */
al_status al_residual_add(al_matrix *y, al_named x, al_named sublayer, al_trace_at at,
                          al_error *err);

/* Backward of y = x + sublayer: the gradient reaches both unchanged,
 * dL/dx = dL/dsublayer = dy. That is the whole point of the shortcut: dy
 * flows back to x whatever the sublayer does. This adds dy into dx
 * (dx += dy), where the sublayer's own backward has already left its
 * share; all three are L x d. */
al_status al_residual_backward(al_matrix *dx, const al_matrix *dy, al_error *err);

/* --- embedding lookup ------------------------------------------------------- */

/* Token ids with what the trace calls them ("tokens") and one label per
 * token (the tokens themselves), as al_named is for a matrix. */
typedef struct al_named_ids {
    const int *ids;
    const char *name;                 /* NULL when not tracing */
    const char *const *labels;        /* one per id, or NULL   */
} al_named_ids;

typedef struct al_embedding {
    al_matrix table;   /* V x d_model: row v is token v's vector */
} al_embedding;

/* Allocate a V x d_model table of zeros. Free with al_embedding_free. */
al_status al_embedding_alloc(al_embedding *embedding, int vocab_size, int d_model,
                             al_error *err);

/* Every entry from N(0, 1), row by row (PyTorch's nn.Embedding default). */
void al_embedding_init(al_embedding *embedding, al_rng *rng);

void al_embedding_free(al_embedding *embedding);

/* out (L x d_model): row i = table row tokens.ids[i], i < L = out->rows.
 * A token id outside 0 .. V-1 fails with AL_ERR_VALUE naming it.
 * Traces "<tokens.name>" (1 x L, role input, the ids as numbers, columns
 * labelled by the tokens), "<at.name>.table" (param) and "<at.name>" (op
 * "embedding_lookup", rows labelled by the tokens), e.g. "tokens",
 * "embed.table", "embed". */
al_status al_embedding_forward(al_matrix *out, al_named_ids tokens,
                               const al_embedding *embedding, al_trace_at at, al_error *err);

/* Backward of the lookup, dout (L x d_model): each row's gradient goes
 * back to the table row it was copied from,
 *   dtable[ids[i]] += dout_i   (a token seen twice collects both).
 * ids are the forward's (checked there). */
al_status al_embedding_backward(al_embedding *grad, const al_matrix *dout, const int *ids,
                                al_error *err);

/* --- the loss ----------------------------------------------------------------- */

/* Targets equal to AL_IGNORE_TARGET (padding) add nothing to the loss. */
#define AL_IGNORE_TARGET (-1)

/* Softmax cross-entropy of logits (L x V) against target ids (L of them):
 *   probs_i = softmax(logits_i)                          (written, L x V)
 *   loss    = (1/N) Σ_i -log probs_i[target_i]           over the N rows
 *             whose target is not AL_IGNORE_TARGET
 * computed as log Σ_j exp(logits_ij - max_i) - (logits_i[target] - max_i)
 * in double, so a confident wrong answer gives a large finite loss, not
 * inf. N = 0 gives loss 0. A target outside 0 .. V-1 (other than
 * AL_IGNORE_TARGET) fails with AL_ERR_VALUE naming the row. */
al_status al_cross_entropy(double *loss, al_matrix *probs, const al_matrix *logits,
                           const int *targets, al_error *err);

/* Its backward: dlogits_i = (probs_i - onehot(target_i)) / N for the rows
 * with a target, 0 for the ignored ones; probs as al_cross_entropy left
 * it. dlogits may be probs. */
al_status al_cross_entropy_backward(al_matrix *dlogits, const al_matrix *probs,
                                    const int *targets, al_error *err);

#endif
