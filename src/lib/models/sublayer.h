/* sublayer.h: one sublayer of a Transformer layer with the residual add
 * and layer norm around it, in either placement (blocks.h explains both),
 * shared by the encoder and decoder layers. Internal; not installed. */
#ifndef ATTNLAB_SUBLAYER_H
#define ATTNLAB_SUBLAYER_H

#include "attnlab/blocks.h"

/* Which sublayer of which layer: its names are <layer>.<name>.* for F,
 * <layer>.add<number> and <layer>.norm<number> for what wraps it. */
typedef struct al_sublayer {
    const char *layer;           /* "enc.0"                                  */
    const char *name;            /* "attn", "self_attn", "cross_attn", "ffn" */
    int number;                  /* k, from 1                                */
    al_norm_placement norm;
    const char *const *labels;   /* the layer's L tokens, or NULL            */
} al_sublayer;

/* What an attention sublayer attends over besides its own input. */
typedef struct al_sublayer_keys {
    const al_matrix *memory;           /* NULL: self-attention                 */
    const char *memory_name;           /* cross-attention: the memory's name   */
    const char *const *memory_labels;  /* its S tokens, or NULL                */
    const al_matrix *mask;             /* L x L causal mask, or NULL           */
} al_sublayer_keys;

/* Multi-head attention as sublayer k: F(z) = attention with queries from z
 * and keys and values from z (self) or keys->memory (cross). */
al_status al_attention_sublayer(al_layer_output *y, al_sublayer_workspace *ws,
                                const al_matrix *x, const char *x_name,
                                const al_sublayer_keys *keys,
                                const al_attention_params *params, const al_layer_norm *norm,
                                const al_sublayer *sublayer, al_trace *trace, al_error *err);

/* The feed-forward network as sublayer k: F(z) = max(0, z·W1 + b1)·W2 + b2. */
al_status al_ffn_sublayer(al_layer_output *y, al_sublayer_workspace *ws, const al_matrix *x,
                          const char *x_name, const al_feed_forward *ffn,
                          const al_layer_norm *norm, const al_sublayer *sublayer,
                          al_trace *trace, al_error *err);

/* Allocate one sublayer's outputs for up to max_rows tokens; with_hidden
 * also the FFN's hidden layer (max_rows x d_ff). attention (may be NULL)
 * also gets an attention workspace for up to max_keys keys. On failure
 * everything is freed. */
al_status al_sublayer_workspace_alloc(al_sublayer_workspace *ws, int max_rows, int d_model,
                                      int d_ff, const al_attention_params *attention,
                                      int max_keys, al_error *err);
void al_sublayer_workspace_free(al_sublayer_workspace *ws);

#endif
