/* plain_reference.h: single-head attention and one Transformer encoder
 * layer written as plain loops over arrays of double, straight from the
 * equations, for the tests to compare the library with. Not attnlab: no
 * attnlab header, no BLAS, no tracing, no allocation, no error messages.
 *
 * Dimension letters as in the chapter: L tokens (Lq queries, Lk keys),
 * d_k the width of a query and a key, d_v of a value, d_model, h heads,
 * d_head = d_model / h, d_ff the FFN's hidden width.
 *
 * Every matrix is row-major: entry (i, j) of an R x C matrix is a[i * C + j],
 * unless a stride is given. Parameters are d_in x d_out, applied as x · W,
 * as in attnlab. A NULL bias means no bias. */
#ifndef ATTNLAB_TESTS_PLAIN_REFERENCE_H
#define ATTNLAB_TESTS_PLAIN_REFERENCE_H

#include <stdbool.h>

/* The largest sizes plain_encoder_layer works on: its scratch arrays live
 * on the stack, sized by these. */
#define PLAIN_MAX_L 16
#define PLAIN_MAX_D_MODEL 32
#define PLAIN_MAX_D_FF 64

/* Scaled dot-product attention for one head:
 *
 *   weights (Lq x Lk) = softmax of each row of q · kᵀ / sqrt(d_k), over the
 *                       keys the mask allows
 *   out     (Lq x d_v) = weights · v
 *
 * q is Lq x d_k, k is Lk x d_k, v is Lk x d_v. Rows of q and k are qk_stride
 * doubles apart, rows of v and out v_stride apart: d_k and d_v for a lone
 * head, d_model for a head's columns inside a wider matrix. weights is
 * Lq x Lk, packed. mask is Lq x Lk, packed, 1 where query i may attend to
 * key j and 0 where not, or NULL for no mask; a row with no key allowed
 * gets weights 0 and out 0. */
void plain_attention(double *out, double *weights, const double *q, const double *k,
                     const double *v, const int *mask, int queries, int keys, int d_k,
                     int d_v, int qk_stride, int v_stride);

/* One attention layer's projections: d_model x d_model, biases 1 x
 * d_model or NULL. */
typedef struct plain_attention_weights {
    const double *w_q, *w_k, *w_v, *w_o;
    const double *b_q, *b_k, *b_v, *b_o;
} plain_attention_weights;

/* The parameters of one encoder layer, borrowed (the caller owns them),
 * with the same meaning as attnlab's al_encoder_layer. */
typedef struct plain_encoder_weights {
    int d_model, heads, d_ff;
    const double *w_q, *w_k, *w_v, *w_o;  /* d_model x d_model               */
    const double *b_q, *b_k, *b_v, *b_o;  /* 1 x d_model, or NULL            */
    const double *gamma1, *beta1;         /* norm1 (after attention): 1 x d_model */
    const double *w1, *b1;                /* d_model x d_ff, 1 x d_ff (or NULL)   */
    const double *w2, *b2;                /* d_ff x d_model, 1 x d_model (or NULL) */
    const double *gamma2, *beta2;         /* norm2 (after the FFN): 1 x d_model   */
    double epsilon;                       /* both norms' epsilon                  */
    bool causal;                          /* self-attention under the causal mask
                                             (token i sees 0 .. i): the layer of a
                                             decoder-only model                  */
} plain_encoder_weights;

/* Multi-head self-attention on x (L x d_model), no mask (w->causal: the
 * causal mask):
 *   q, k, v = x · W_Q + b_Q, x · W_K + b_K, x · W_V + b_V   (L x d_model)
 *   head i  = attention on columns i·d_head .. (i+1)·d_head - 1 of q, k, v
 *   out     = [head 0 | head 1 | ...] · W_O + b_O           (L x d_model)
 * Returns false (computing nothing) if a size passes the PLAIN_MAX_ limits. */
bool plain_multihead(double *out, const double *x, const plain_encoder_weights *w, int length);

/* One encoder layer on x (L x d_model), into y (L x d_model):
 *   post-norm (pre_norm false):  a = LayerNorm1(x + MHA(x))
 *                                y = LayerNorm2(a + FFN(a))
 *   pre-norm  (pre_norm true):   a = x + MHA(LayerNorm1(x))
 *                                y = a + FFN(LayerNorm2(a))
 * with FFN(z) = max(0, z · W1 + b1) · W2 + b2 and
 * LayerNorm(z)_j = gamma_j (z_j - mean) / sqrt(var + epsilon) + beta_j,
 * var dividing by d_model. Returns false (computing nothing) if a size
 * passes the PLAIN_MAX_ limits. */
bool plain_encoder_layer(double *y, const double *x, const plain_encoder_weights *w,
                         int length, bool pre_norm);

/* The parameters of one decoder layer of an encoder-decoder model:
 * masked self-attention (norm 1), cross-attention over the encoder's
 * memory (norm 2), the FFN (norm 3). */
typedef struct plain_decoder_weights {
    int d_model, heads, d_ff;
    plain_attention_weights self, cross;
    const double *gamma1, *beta1, *gamma2, *beta2, *gamma3, *beta3;
    const double *w1, *b1, *w2, *b2;
    double epsilon;
} plain_decoder_weights;

/* One decoder layer on x (L x d_model) reading memory (S x d_model):
 *   post-norm: a1 = LayerNorm1(x + MHA_self(x) under the causal mask)
 *              a2 = LayerNorm2(a1 + MHA_cross(queries a1, keys and values memory))
 *              y  = LayerNorm3(a2 + FFN(a2))
 *   pre-norm:  a1 = x + MHA_self(LayerNorm1(x)), a2 = a1 + MHA_cross(LayerNorm2(a1),
 *              memory), y = a2 + FFN(LayerNorm3(a2))
 * Returns false (computing nothing) if a size passes the PLAIN_MAX_ limits. */
bool plain_decoder_layer(double *y, const double *x, const double *memory,
                         const plain_decoder_weights *w, int length, int memory_length,
                         bool pre_norm);

#endif
