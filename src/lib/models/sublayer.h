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

/* Allocate one sublayer's outputs for up to max_rows tokens; with_hidden
 * also the FFN's hidden layer (max_rows x d_ff). attention (may be NULL)
 * also gets an attention workspace for up to max_keys keys. On failure
 * everything is freed. */
al_status al_sublayer_workspace_alloc(al_sublayer_workspace *ws, int max_rows, int d_model,
                                      int d_ff, const al_attention_params *attention,
                                      int max_keys, al_error *err);
void al_sublayer_workspace_free(al_sublayer_workspace *ws);

#endif
