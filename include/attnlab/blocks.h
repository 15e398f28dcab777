/* blocks.h: the two layers a Transformer is stacked from, the encoder
 * layer and the decoder layer, each a few sublayers wrapped in a residual
 * add and a layer norm. Not the stacks, the embeddings or the output layer
 * (transformer.h), and not attention itself (multihead.h).
 *
 * Dimension letters: L the layer's tokens (rows), S the encoder memory's
 * tokens (cross-attention keys), d_model, d_ff, h heads.
 *
 *   encoder layer (layer l, names under enc.l):
 *     sublayer 1  self-attention, no mask   enc.l.attn.*   then add1, norm1
 *     sublayer 2  feed-forward network      enc.l.ffn.*    then add2, norm2
 *   decoder layer (names under dec.l):
 *     sublayer 1  masked self-attention     dec.l.self_attn.*   then add1, norm1
 *     sublayer 2  cross-attention over the encoder memory (encoder-decoder
 *                 models only)              dec.l.cross_attn.*  then add2, norm2
 *     sublayer 3  feed-forward network      dec.l.ffn.*         then add3, norm3
 *   In a decoder-only model there is no cross-attention and the FFN is
 *   sublayer 2 (add2, norm2), as in model_layout.h.
 *
 * Each sublayer F with its add and norm, numbered k:
 *
 *   post-norm (the paper):  add_k  = x + F(x)          L x d_model
 *                           norm_k = LayerNorm(add_k)  the sublayer's output
 *   pre-norm (GPT-2 and     norm_k = LayerNorm(x)
 *   most models since):     add_k  = x + F(norm_k)     the sublayer's output
 *
 * Post-norm normalises what goes on to the next sublayer; pre-norm leaves
 * the residual path x, x + F1, x + F1 + F2, ... untouched and normalises
 * only what each sublayer reads, which is why pre-norm stacks end with one
 * more layer norm (transformer.h) and train more easily when deep.
 *
 * Memory: the parameters of a layer (_alloc, _init, _free) and its
 * workspace (_workspace_alloc, _workspace_free), allocated once for the
 * longest sequences; the forward functions never allocate. After a call
 * the workspace holds every intermediate of that call, for printing. */
#ifndef ATTNLAB_BLOCKS_H
#define ATTNLAB_BLOCKS_H

#include <stdbool.h>

#include "attnlab/layers.h"
#include "attnlab/matrix.h"
#include "attnlab/model_config.h"
#include "attnlab/multihead.h"
#include "attnlab/rng.h"
#include "attnlab/trace.h"

/* --- parameters ------------------------------------------------------------ */

/* Fields are named for what they do; the trace and model-file names
 * number the norms by position (enc.l.norm1, norm2). */
typedef struct al_encoder_layer {
    al_attention_params attn;    /* enc.l.attn.*: self-attention        */
    al_layer_norm attn_norm;     /* enc.l.norm1                         */
    al_feed_forward ffn;         /* enc.l.ffn.*                         */
    al_layer_norm ffn_norm;      /* enc.l.norm2                         */
} al_encoder_layer;

typedef struct al_decoder_layer {
    al_attention_params self_attn;   /* dec.l.self_attn.*: masked self-attention    */
    al_layer_norm self_attn_norm;    /* dec.l.norm1                                 */
    bool has_cross;                  /* false in a decoder-only model: the next two
                                        are empty                                   */
    al_attention_params cross_attn;  /* dec.l.cross_attn.*                          */
    al_layer_norm cross_attn_norm;   /* dec.l.norm2                                 */
    al_feed_forward ffn;             /* dec.l.ffn.*                                 */
    al_layer_norm ffn_norm;          /* dec.l.norm3 (dec.l.norm2 without cross)     */
} al_decoder_layer;

/* Allocate one layer for config's d_model, heads, d_ff, biases and
 * norm_epsilon (the configuration must pass al_model_config_check):
 * weights 0, norms the identity (gamma 1, beta 0). A decoder layer has
 * cross-attention when config's family is encoder-decoder. On failure the
 * layer is empty. Free with the matching _free (safe on an empty layer). */
al_status al_encoder_layer_alloc(al_encoder_layer *layer, const al_model_config *config,
                                 al_error *err);
al_status al_decoder_layer_alloc(al_decoder_layer *layer, const al_model_config *config,
                                 al_error *err);
void al_encoder_layer_free(al_encoder_layer *layer);
void al_decoder_layer_free(al_decoder_layer *layer);

/* Seeded random weights: each attention's W_Q, W_K, W_V, W_O then the FFN's
 * W1, W2, in the order the layer's sublayers run, all Glorot uniform
 * (multihead.h, layers.h); biases 0; norms left as the identity. */
void al_encoder_layer_init(al_encoder_layer *layer, al_rng *rng);
void al_decoder_layer_init(al_decoder_layer *layer, al_rng *rng);

/* --- workspace ---------------------------------------------------------------- */

/* One sublayer's outputs, max_rows x width; after a call the top L rows
 * hold the call's values. */
typedef struct al_sublayer_workspace {
    al_attention_workspace attn;  /* attention sublayers: q, k, v, each head's steps */
    al_matrix hidden;             /* FFN sublayer: after the ReLU (max x d_ff)     */
    al_matrix out;                /* F's output: attn.out or ffn.out               */
    al_matrix add;                /* add_k                                          */
    al_matrix norm;               /* norm_k                                         */
    al_matrix mean, var;          /* norm_k's row statistics (max x 1)              */
} al_sublayer_workspace;

typedef struct al_encoder_layer_workspace {
    al_sublayer_workspace attn, ffn;
    int length;                    /* L of the last call */
} al_encoder_layer_workspace;

typedef struct al_decoder_layer_workspace {
    al_sublayer_workspace self_attn, cross_attn, ffn;  /* cross_attn unused without */
    al_matrix causal_mask;         /* max x max; a call's top-left L x L corner is
                                      its causal mask: 1 if j <= i, else 0         */
    int length, memory_length;     /* L and S of the last call                     */
} al_decoder_layer_workspace;

/* Allocate for sequences of up to max_length tokens (and, for cross-
 * attention, memories of up to max_memory tokens). On failure everything
 * is freed. Free with the matching _free (safe on an empty workspace). */
al_status al_encoder_layer_workspace_alloc(al_encoder_layer_workspace *ws,
                                           const al_encoder_layer *layer, int max_length,
                                           al_error *err);
al_status al_decoder_layer_workspace_alloc(al_decoder_layer_workspace *ws,
                                           const al_decoder_layer *layer, int max_length,
                                           int max_memory, al_error *err);
void al_encoder_layer_workspace_free(al_encoder_layer_workspace *ws);
void al_decoder_layer_workspace_free(al_decoder_layer_workspace *ws);

/* The same for packed calls (al_layer_blocks): up to max_rows rows of
 * sequences of up to max_length tokens each (and memories of up to
 * max_memory_rows rows, max_memory tokens each). The plain _alloc is this
 * with max_rows = max_length (and max_memory_rows = max_memory). */
al_status al_encoder_layer_workspace_alloc_packed(al_encoder_layer_workspace *ws,
                                                  const al_encoder_layer *layer, int max_rows,
                                                  int max_length, al_error *err);
al_status al_decoder_layer_workspace_alloc_packed(al_decoder_layer_workspace *ws,
                                                  const al_decoder_layer *layer, int max_rows,
                                                  int max_length, int max_memory_rows,
                                                  int max_memory, al_error *err);

/* --- trace names ---------------------------------------------------------------- */

/* Every name a sublayer writes under its layer's prefix P (the list at the
 * top of this file): its F's prefix, under which multihead.h's (or the
 * FFN's) names follow, F's output, and the add and norm around it. */
typedef struct al_sublayer_names {
    char prefix[AL_NAME_SIZE];   /* "enc.0.attn", "dec.0.cross_attn", "enc.0.ffn" */
    char out[AL_NAME_SIZE];      /* "enc.0.attn.out"                              */
    char add[AL_NAME_SIZE];      /* "enc.0.add1"                                  */
    char norm[AL_NAME_SIZE];     /* "enc.0.norm1"                                 */
} al_sublayer_names;

/* Every name a layer traced under prefix P writes, built by the functions
 * below, which the layers use themselves, so that a program printing a step
 * names it as the trace does: al_encoder_layer_names_init(&n, "enc.0",
 * AL_NORM_POST) gives n.attn.prefix = "enc.0.attn", n.ffn.norm =
 * "enc.0.norm2" and n.output = "enc.0.norm2", the name the next layer reads
 * (al_layer_output's). A decoder layer without cross-attention numbers its
 * FFN 2 and leaves cross_attn empty (""). */
typedef struct al_encoder_layer_names {
    al_sublayer_names attn, ffn;                   /* sublayers 1 and 2          */
    char output[AL_NAME_SIZE];                     /* P.norm2 (post), P.add2 (pre) */
} al_encoder_layer_names;

typedef struct al_decoder_layer_names {
    al_sublayer_names self_attn, cross_attn, ffn;  /* 1, 2 (if any), the last    */
    char output[AL_NAME_SIZE];                     /* the last sublayer's output */
} al_decoder_layer_names;

void al_encoder_layer_names_init(al_encoder_layer_names *names, const char *prefix,
                                 al_norm_placement norm);
void al_decoder_layer_names_init(al_decoder_layer_names *names, const char *prefix,
                                 bool has_cross, al_norm_placement norm);

/* --- forward ------------------------------------------------------------------ */

/* Several sequences through a layer at once (training's batches): x holds
 * their rows one after another (rows), the memory their sources' (memory,
 * block b the source of x's block b; cross-attention only). Every
 * position-wise step (projections, FFN, adds, norms) runs once on all the
 * rows; attention runs block by block, so each sequence sees only itself
 * (multihead.h). rows NULL: x is one sequence. */
typedef struct al_layer_blocks {
    const al_row_blocks *rows;
    const al_row_blocks *memory;
} al_layer_blocks;

/* A layer's output: a view of L x d_model rows inside the workspace (valid
 * until the next call with that workspace), its trace name, which the
 * next layer names as its input (the layer names' output: "enc.0.norm2"
 * after a post-norm encoder layer, "enc.0.add2" after a pre-norm one; ""
 * when not traced), and the
 * row labels it came in with. */
typedef struct al_layer_output {
    al_matrix value;
    char name[AL_NAME_SIZE];
    const char *const *labels;
} al_layer_output;

/* The output as the next layer's input. */
static inline al_named al_layer_output_named(const al_layer_output *y)
{
    return (al_named){.value = &y->value, .name = y->name[0] ? y->name : NULL,
                      .labels = y->labels};
}

/* Encoder layer on x (L x d_model): self-attention with no mask (every
 * token sees every other, before and after it), then the FFN, each with
 * its add and norm placed as norm says. With at.trace set every step is
 * recorded under the prefix at.name ("enc.0"; see the top of this file,
 * attention names as in multihead.h). Fails, before computing, with
 * AL_ERR_SHAPE if x does not fit the layer or workspace. */
al_status al_encoder_layer_forward(al_layer_output *y, al_encoder_layer_workspace *ws,
                                   al_named x, const al_encoder_layer *layer,
                                   al_norm_placement norm, al_trace_at at, al_error *err);

/* Decoder layer on x (L x d_model): self-attention under the causal mask
 * (token i sees tokens 0 .. i only; traced as <prefix>.self_attn.mask),
 * then, if the layer has it, cross-attention with queries from the decoder
 * and keys and values from memory (S x d_model, the encoder's output, its
 * labels the source tokens; memory.value NULL without cross-attention),
 * then the FFN. Because of the mask, row i of the output depends on tokens
 * 0 .. i only: changing a later token leaves it bit for bit the same. */
al_status al_decoder_layer_forward(al_layer_output *y, al_decoder_layer_workspace *ws,
                                   al_named x, al_named memory, const al_decoder_layer *layer,
                                   al_norm_placement norm, al_trace_at at, al_error *err);

/* The two layers on packed sequences (untraced): each block exactly as the
 * calls above on that sequence alone, the causal mask per block. */
al_status al_encoder_layer_forward_packed(al_layer_output *y, al_encoder_layer_workspace *ws,
                                          const al_matrix *x, al_layer_blocks blocks,
                                          const al_encoder_layer *layer,
                                          al_norm_placement norm, al_error *err);
al_status al_decoder_layer_forward_packed(al_layer_output *y, al_decoder_layer_workspace *ws,
                                          const al_matrix *x, const al_matrix *memory,
                                          al_layer_blocks blocks, const al_decoder_layer *layer,
                                          al_norm_placement norm, al_error *err);

/* --- backward ------------------------------------------------------------------ */

/* Room for the backward of one layer, for up to max_rows tokens (and a
 * memory of up to max_keys tokens in cross-attention; self-attention's
 * keys are the max_rows rows): the L x d_model gradients between and
 * inside the sublayers, the FFN's dhidden (L x d_ff), cross-attention's
 * share of the memory's gradient and one attention backward workspace,
 * used by each sublayer in turn. */
typedef struct al_layer_backward_workspace {
    al_matrix d_middle;       /* between sublayers 1 and 2          */
    al_matrix d_middle2;      /* between sublayers 2 and 3          */
    al_matrix d_memory;       /* max_keys x d_model                 */
    al_matrix d_add;          /* post-norm: dL/d add_k              */
    al_matrix d_input;        /* dL/d (what F read)                 */
    al_matrix dhidden;        /* the FFN's                          */
    al_attention_backward_workspace attn;
} al_layer_backward_workspace;

al_status al_layer_backward_workspace_alloc(al_layer_backward_workspace *bw,
                                            const al_attention_params *attn, int d_ff,
                                            int max_rows, int max_keys, al_error *err);
void al_layer_backward_workspace_free(al_layer_backward_workspace *bw);

/* Backward of the last al_encoder_layer_forward on ws, from dy (L x
 * d_model, the gradient of the layer's output), with the same x, layer and
 * norm placement. The parameters' gradients are added into grad (an
 * al_encoder_layer from al_encoder_layer_alloc, zeroed before a step); dx
 * (L x d_model) is written. Sublayer by sublayer, last first:
 *
 *   post-norm, y = LayerNorm(x + F(x)):
 *     d_add = layer-norm backward of dy      dF = d_add
 *     dx    = d_add + (F's backward of dF)   the shortcut's share and F's
 *   pre-norm, y = x + F(LayerNorm(x)):
 *     dF    = dy
 *     dx    = dy + layer-norm backward of (F's backward of dF)
 *
 * with F the FFN (layers.h) for sublayer 2, self-attention (multihead.h)
 * for sublayer 1. */
al_status al_encoder_layer_backward(al_matrix *dx, al_encoder_layer *grad,
                                    al_layer_backward_workspace *bw, const al_matrix *dy,
                                    const al_encoder_layer_workspace *ws, const al_matrix *x,
                                    const al_encoder_layer *layer, al_norm_placement norm,
                                    al_error *err);

/* Backward of the last al_decoder_layer_forward on ws, in the same way:
 * the FFN, then cross-attention if the layer has it (its share of the
 * memory's gradient is ADDED into dmemory, S x d_model, since every
 * decoder layer reads the same memory; NULL and unused without cross-
 * attention), then the masked self-attention, whose masked weights are
 * exactly 0 and pass no gradient. dx is written. */
al_status al_decoder_layer_backward(al_matrix *dx, al_matrix *dmemory, al_decoder_layer *grad,
                                    al_layer_backward_workspace *bw, const al_matrix *dy,
                                    const al_decoder_layer_workspace *ws, const al_matrix *x,
                                    const al_matrix *memory, const al_decoder_layer *layer,
                                    al_norm_placement norm, al_error *err);

/* Backward of the last _forward_packed call, with its blocks (bw allocated
 * for all the rows: max_rows and max_keys the rows of every block). */
al_status al_encoder_layer_backward_packed(al_matrix *dx, al_encoder_layer *grad,
                                           al_layer_backward_workspace *bw,
                                           const al_matrix *dy,
                                           const al_encoder_layer_workspace *ws,
                                           const al_matrix *x, al_layer_blocks blocks,
                                           const al_encoder_layer *layer,
                                           al_norm_placement norm, al_error *err);
al_status al_decoder_layer_backward_packed(al_matrix *dx, al_matrix *dmemory,
                                           al_decoder_layer *grad,
                                           al_layer_backward_workspace *bw,
                                           const al_matrix *dy,
                                           const al_decoder_layer_workspace *ws,
                                           const al_matrix *x, const al_matrix *memory,
                                           al_layer_blocks blocks,
                                           const al_decoder_layer *layer,
                                           al_norm_placement norm, al_error *err);

#endif
