/* sublayer.h: one sublayer of a Transformer layer with the residual add
 * and layer norm around it, in either placement (blocks.h explains both),
 * shared by the encoder and decoder layers. Internal; not installed. */
#ifndef ATTNLAB_SUBLAYER_H
#define ATTNLAB_SUBLAYER_H

#include "attnlab/blocks.h"

/* Which sublayer of the layer: its names (blocks.h's, built under the
 * name of the al_trace_at passed with it, "enc.0"; used only when that
 * name is set) and where its norm goes. */
typedef struct al_sublayer {
    const al_sublayer_names *names;
    al_norm_placement norm;
    al_layer_blocks blocks;     /* packed sequences (multihead.h), or {0} for one */
} al_sublayer;

/* Multi-head attention as sublayer k: F(z) = attention with queries from z
 * and keys and values from z (self-attention: memory.value NULL) or from
 * memory (cross-attention); mask is L x L (causal) or NULL. */
al_status al_attention_sublayer(al_layer_output *y, al_sublayer_workspace *ws, al_named x,
                                al_named memory, const al_matrix *mask,
                                const al_attention_params *params, const al_layer_norm *norm,
                                const al_sublayer *sublayer, al_trace_at layer,
                                al_error *err);

/* The feed-forward network as sublayer k: F(z) = max(0, z·W1 + b1)·W2 + b2. */
al_status al_ffn_sublayer(al_layer_output *y, al_sublayer_workspace *ws, al_named x,
                          const al_feed_forward *ffn, const al_layer_norm *norm,
                          const al_sublayer *sublayer, al_trace_at layer, al_error *err);

/* What the sublayer's last call wrote for the next one to read: norm_k
 * (post-norm) or add_k (pre-norm), its top length rows. */
al_matrix al_sublayer_result(const al_sublayer_workspace *ws, al_norm_placement norm,
                             int length);

/* Backward of the last al_attention_sublayer / al_ffn_sublayer call on ws
 * (blocks.h says how the add and norm pass the gradient): dy is the
 * gradient of the sublayer's output, dx (L x d_model) receives x's; the
 * parameters' gradients are added into grad_f and grad_norm. memory and
 * mask as in the forward call (self-attention: memory NULL; then
 * dmemory is unused). */
al_status al_attention_sublayer_backward(al_matrix *dx, al_matrix *dmemory,
                                         al_attention_params *grad_f, al_layer_norm *grad_norm,
                                         al_layer_backward_workspace *bw, const al_matrix *dy,
                                         const al_sublayer_workspace *ws, const al_matrix *x,
                                         const al_matrix *memory, const al_matrix *mask,
                                         const al_attention_params *params,
                                         const al_layer_norm *norm, const al_sublayer *sublayer,
                                         al_error *err);
al_status al_ffn_sublayer_backward(al_matrix *dx, al_feed_forward *grad_f,
                                   al_layer_norm *grad_norm, al_layer_backward_workspace *bw,
                                   const al_matrix *dy, const al_sublayer_workspace *ws,
                                   const al_matrix *x, const al_feed_forward *ffn,
                                   const al_layer_norm *norm, al_norm_placement placement,
                                   al_error *err);

/* Allocate one sublayer's outputs for up to max_rows tokens (every packed
 * sequence's together); d_ff > 0 also the FFN's hidden layer (max_rows x
 * d_ff). attention (may be NULL) also gets an attention workspace for
 * blocks of up to max_keys keys, max_key_rows keys in all. On failure
 * everything is freed. */
al_status al_sublayer_workspace_alloc(al_sublayer_workspace *ws, int max_rows, int d_model,
                                      int d_ff, const al_attention_params *attention,
                                      int max_keys, int max_key_rows, al_error *err);
void al_sublayer_workspace_free(al_sublayer_workspace *ws);

#endif
