/* model_layout.h: the parameter tensors a configuration implies, each with
 * its name, shape and part of the model: the one list that model files are
 * written and checked against (model_file.h) and parameters are counted
 * from (param_count.h). It allocates no weights.
 *
 * Names are the trace names of the parameters (traces/FORMAT.md), so a
 * model file, a trace and the book use the same words. In the order listed,
 * which is also the order of a model file's data, for layer l from 0:
 *
 *   embed.table               V x d_model     token embeddings (shared by the
 *                                             encoder and decoder inputs, and
 *                                             by the output when tied)
 *   pos.table                 P x d_model     learned positions only (P =
 *                                             max_positions)
 *   segment.table             S x d_model     segment embeddings, if S > 0
 *   embed_norm.gamma  .beta   1 x d_model     if embedding_norm
 *   enc.l.attn.w_q w_k w_v w_o  d_model x d_model
 *   enc.l.attn.b_q b_k b_v b_o  1 x d_model   if biases
 *   enc.l.norm1.gamma .beta   1 x d_model     after (post) or before (pre)
 *                                             self-attention
 *   enc.l.ffn.w1  d_model x d_ff,  enc.l.ffn.b1  1 x d_ff      (b if biases)
 *   enc.l.ffn.w2  d_ff x d_model,  enc.l.ffn.b2  1 x d_model
 *   enc.l.norm2.gamma .beta   1 x d_model     around the FFN
 *   enc.norm.gamma .beta      1 x d_model     pre-norm only: the final norm
 *   dec.l.self_attn.*         as enc.l.attn.* (masked self-attention)
 *   dec.l.norm1.*
 *   dec.l.cross_attn.*        as enc.l.attn.*, encoder-decoder only
 *   dec.l.norm2.*             encoder-decoder only
 *   dec.l.ffn.*
 *   dec.l.norm3.*             (norm2 in a decoder-only model, which has no
 *                             cross-attention)
 *   dec.norm.gamma .beta      pre-norm only
 *   pooler.w  d_model x d_model,  pooler.b  1 x d_model    if pooler
 *   logits.w  d_model x V     unless tied_output (then logits = x · embed.tableᵀ)
 *   logits.b  1 x V           if output_bias
 *
 * Every matrix is applied as x · W (d_in x d_out) and every vector is a
 * 1 x d row. Head h of an attention layer uses columns h·d_head to
 * (h+1)·d_head - 1 of W_Q, W_K and W_V, and rows of W_O.
 *
 * For PyTorch users: torch.nn.Linear stores the transpose (d_out x d_in)
 * and a one-dimensional bias, so
 *     from safetensors.torch import load_file
 *     t = load_file("model.safetensors")
 *     ffn1 = torch.nn.Linear(d_model, d_ff)
 *     ffn1.weight.data = t["enc.0.ffn.w1"].T.contiguous()
 *     ffn1.bias.data = t["enc.0.ffn.b1"].squeeze(0)
 * LayerNorm: weight = gamma.squeeze(0), bias = beta.squeeze(0), eps =
 * the norm_epsilon in the metadata. nn.Embedding.weight = embed.table as it
 * is, and a tied output layer's weight is that same tensor.
 * nn.MultiheadAttention: in_proj_weight = cat([w_q.T, w_k.T, w_v.T]),
 * in_proj_bias = cat([b_q, b_k, b_v], dim=1).squeeze(0), out_proj.weight =
 * w_o.T. Without the safetensors package, tests/reference/
 * read_safetensors.py reads the file with struct and json alone. */
#ifndef ATTNLAB_MODEL_LAYOUT_H
#define ATTNLAB_MODEL_LAYOUT_H

#include <stdbool.h>

#include "attnlab/model_config.h"
#include "attnlab/trace.h"

/* The parts a parameter count is broken down by. */
typedef enum al_param_part {
    AL_PART_EMBEDDING,   /* embed.table                         */
    AL_PART_POSITIONAL,  /* pos.table                           */
    AL_PART_SEGMENT,     /* segment.table                       */
    AL_PART_ATTENTION,   /* every attention projection and bias */
    AL_PART_FFN,         /* every feed-forward matrix and bias  */
    AL_PART_NORM,        /* every layer norm's gamma and beta   */
    AL_PART_POOLER,      /* pooler.w, pooler.b                  */
    AL_PART_OUTPUT,      /* logits.w, logits.b                  */
    AL_PARTS
} al_param_part;

/* Which stack a tensor belongs to, for per-layer counts. */
typedef enum al_stack { AL_STACK_NONE, AL_STACK_ENCODER, AL_STACK_DECODER } al_stack;

typedef struct al_param_spec {
    char name[AL_NAME_SIZE];  /* e.g. "enc.0.ffn.w1"                        */
    int rows, cols;
    const char *shape_text;   /* the shape in the configuration's words,
                                 e.g. "d_model x d_ff"                       */
    al_param_part part;
    bool is_bias;             /* a bias vector (b, beta is not: it is norm) */
    al_stack stack;
    int layer;                /* within its stack; -1 outside the stacks    */
} al_param_spec;

/* Write the configuration's parameter tensors, in the order above, into
 * specs (room for capacity) and their number into *count. With capacity
 * too small (0 is fine) nothing past it is written but *count is still the
 * full number, so a caller can ask once for the size and again to fill.
 * The configuration must pass al_model_config_check (else its error). */
al_status al_model_layout(al_param_spec *specs, int capacity, int *count,
                          const al_model_config *config, al_error *err);

#endif
