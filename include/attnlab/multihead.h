/* multihead.h: multi-head attention with learned projections, for
 * self-attention (queries, keys and values from one sequence) and
 * cross-attention (queries from the decoder, keys and values from the
 * encoder's memory). Each head is one al_attend (attention.h) on column
 * slices; this file adds the projections, the split into heads, the join
 * and W_O. Not the residual connection or layer norm around it (layers).
 *
 * Dimension letters: Lq queries, Lk keys (Lk = Lq for self-attention),
 * d_model the width of every row in and out, h heads, d_head = d_model / h.
 *
 *   q = Xq · W_Q (+ b_Q)                 Lq x d_model
 *   k = Xkv · W_K (+ b_K)                Lk x d_model
 *   v = Xkv · W_V (+ b_V)                Lk x d_model
 *   for each head i (columns i·d_head .. (i+1)·d_head − 1 of q, k, v):
 *     h<i>.scores  = q_i · k_iᵀ          Lq x Lk
 *     h<i>.scaled  = scores / sqrt(d_head)
 *     h<i>.masked  = scaled, −inf where the mask is 0   (with a mask)
 *     h<i>.weights = softmax of each row (temperature T)
 *     h<i>.out     = weights · v_i       Lq x d_head, written straight into
 *                                        its columns of concat
 *   concat = [h0.out | h1.out | ...]     Lq x d_model
 *   out    = concat · W_O (+ b_O)        Lq x d_model
 *
 * Heads are column views (al_matrix_cols) of q, k, v and concat: BLAS reads
 * and writes them through the parent's stride, nothing is copied.
 *
 * Trace names under the caller's prefix P (e.g. "enc.0.attn",
 * "dec.0.self_attn", "dec.0.cross_attn"), as in traces/FORMAT.md:
 *   P.w_q P.w_k P.w_v P.w_o           param, op "given"   (d_model x d_model)
 *   P.b_q P.b_k P.b_v P.b_o           param, op "given"   (1 x d_model; when present)
 *   P.mask                            input, op "causal_mask"/"padding_mask"/"given"
 *   P.q P.k P.v                       op "matmul" [X, W], or "linear" [X, W, b] with a bias
 *   P.h<i>.q P.h<i>.k P.h<i>.v        op "head_slice" [P.q] etc.
 *   P.h<i>.scores .scaled .masked .weights .out    as al_attend (op "matmul_bt",
 *                                     "scale", "apply_mask", "softmax_rows", "matmul")
 *   P.h<i>.temperature                1 x 1 param, only when T != 1
 *   P.concat                          op "concat_heads" [P.h0.out, P.h1.out, ...]
 *   P.out                             op "matmul" or "linear" [P.concat, P.w_o(, P.b_o)]
 * Rows are labelled by the query tokens, score columns by the key tokens.
 * The inputs X (and the memory) are recorded too when trace_inputs is set. */
#ifndef ATTNLAB_MULTIHEAD_H
#define ATTNLAB_MULTIHEAD_H

#include <stdbool.h>

#include "attnlab/attention.h"
#include "attnlab/matrix.h"
#include "attnlab/rng.h"
#include "attnlab/trace.h"

/* The most heads a layer may have: the concat record lists every head's
 * output among its inputs, and a record holds AL_TRACE_MAX_INPUTS names. */
#define AL_MAX_HEADS AL_TRACE_MAX_INPUTS

/* Several sequences packed one after another in the rows of one matrix
 * (training runs a whole batch through each projection at once): block b
 * is the rows start_b .. start_b + rows[b] - 1, with start_b the sum of
 * rows[0 .. b-1]. count 1 with rows[0] the matrix's rows is one sequence. */
typedef struct al_row_blocks {
    int count;
    const int *rows;
} al_row_blocks;

/* The learned parameters of one multi-head attention layer, stored
 * d_in x d_out and applied as x · W. Allocated as one owner by
 * al_attention_params_alloc, released by al_attention_params_free; a caller
 * that fills them from a file writes into the allocated matrices. */
typedef struct al_attention_params {
    int d_model;
    int heads;                /* d_model / heads = d_head, exactly         */
    bool has_bias;            /* false: b_q ... b_o are empty (data NULL)  */
    al_matrix w_q, w_k, w_v;  /* d_model x d_model                        */
    al_matrix w_o;            /* d_model x d_model                        */
    al_matrix b_q, b_k, b_v;  /* 1 x d_model, or empty                    */
    al_matrix b_o;            /* 1 x d_model, or empty                    */
} al_attention_params;

/* Allocate zeroed parameters for d_model and heads. Fails with AL_ERR_ARG
 * when heads is not in [1, AL_MAX_HEADS] or d_model is not a multiple of
 * heads ("d_model 10 does not split into 3 heads: 10 / 3 is not a whole
 * number"); then *params is empty. */
al_status al_attention_params_alloc(al_attention_params *params, int d_model, int heads,
                                    bool with_bias, al_error *err);

/* Fill the weights from rng, Glorot-uniform: each entry uniform in
 * [−a, a) with a = sqrt(6 / (d_in + d_out)) = sqrt(3 / d_model), drawn
 * W_Q, W_K, W_V, W_O in that order, row by row. Biases are set to 0. */
void al_attention_params_init(al_attention_params *params, al_rng *rng);

/* Release the parameters and leave *params empty. Safe on an empty struct. */
void al_attention_params_free(al_attention_params *params);

/* Scratch for one layer, allocated once for the longest sequences it will
 * see and reused for every call (the kernels never allocate). After a call
 * it holds that call's intermediates, for printing: q (top Lq rows), k and
 * v (top Lk rows), each head's step matrices (al_attention_head_steps) and
 * concat. Owned by the caller: al_attention_workspace_alloc /
 * al_attention_workspace_free. */
typedef struct al_attention_workspace {
    int d_model, heads;
    int max_queries, max_keys;     /* capacity: query rows, one block's keys */
    int max_key_rows;              /* capacity: key rows of every block      */
    al_matrix q;                   /* max_queries x d_model                 */
    al_matrix k, v;                /* max_key_rows x d_model                */
    al_matrix scores, scaled;      /* (heads · max_queries) x max_keys:     */
    al_matrix masked, weights;     /*   head i's block starts at row i · max_queries */
    al_matrix concat;              /* max_queries x d_model                 */
    int queries, keys;             /* Lq and Lk of the last call            */
    int fully_masked_rows;         /* last call: query rows with every key masked */
} al_attention_workspace;

/* Allocate a workspace for params' d_model and heads, for up to
 * max_queries queries and max_keys keys. On failure everything is freed. */
al_status al_attention_workspace_alloc(al_attention_workspace *ws,
                                       const al_attention_params *params, int max_queries,
                                       int max_keys, al_error *err);

/* The same for packed calls (al_attention_call's query_blocks): up to
 * max_queries query rows in all, max_key_rows key rows in all, and a
 * block of at most max_keys keys. Block b's scores sit in the rows of its
 * queries, in their first Lk_b columns. al_attention_workspace_alloc is
 * this with max_key_rows = max_keys. */
al_status al_attention_workspace_alloc_packed(al_attention_workspace *ws,
                                              const al_attention_params *params,
                                              int max_queries, int max_keys, int max_key_rows,
                                              al_error *err);

void al_attention_workspace_free(al_attention_workspace *ws);

/* Head `head`'s steps of the last call, as Lq x Lk views into ws (scores,
 * scaled, masked, weights; masked is meaningful only if a mask applied).
 * A call of one block only. */
al_attention_steps al_attention_head_steps(const al_attention_workspace *ws, int head);

/* Head `head`'s steps for the block of lq queries starting at query row
 * first_row and its lk keys, in a packed call (first_row 0, lq = Lq and
 * lk = Lk give al_attention_head_steps). */
al_attention_steps al_attention_block_steps(const al_attention_workspace *ws, int head,
                                            int first_row, int lq, int lk);

/* Every name a layer writes under its prefix P (the list at the top of
 * this file), and those of head h, built by the functions below so that a
 * program printing a step names it as the trace does:
 * al_attention_head_names_init(&h, "enc.0.attn", 0) gives h.q =
 * "enc.0.attn.h0.q" and h.steps.weights = "enc.0.attn.h0.weights". */
typedef struct al_attention_layer_names {
    char w_q[AL_NAME_SIZE], w_k[AL_NAME_SIZE], w_v[AL_NAME_SIZE], w_o[AL_NAME_SIZE];
    char b_q[AL_NAME_SIZE], b_k[AL_NAME_SIZE], b_v[AL_NAME_SIZE], b_o[AL_NAME_SIZE];
    char q[AL_NAME_SIZE], k[AL_NAME_SIZE], v[AL_NAME_SIZE], mask[AL_NAME_SIZE];
    char concat[AL_NAME_SIZE], out[AL_NAME_SIZE];
} al_attention_layer_names;

typedef struct al_attention_head_names {
    char prefix[AL_NAME_SIZE];               /* P.h<h>                         */
    char q[AL_NAME_SIZE], k[AL_NAME_SIZE], v[AL_NAME_SIZE];  /* its slices   */
    al_head_names steps;                     /* P.h<h>.scores ... .out         */
} al_attention_head_names;

void al_attention_layer_names_init(al_attention_layer_names *names, const char *prefix);
void al_attention_head_names_init(al_attention_head_names *names, const char *prefix, int head);

/* How a call attends: its mask and temperature, and whether to record its
 * inputs. Where it records (the trace and the prefix P) is the al_trace_at
 * passed beside it; its inputs' names and row labels come with them. */
typedef struct al_attention_call {
    bool trace_inputs;                /* also record Xq (and the memory) as role
                                         "input" under their names; leave false when
                                         an earlier step has traced them already     */
    const al_matrix *mask;            /* Lq x Lk of 1/0, or NULL for no mask          */
    const char *mask_op;              /* AL_MASK_OP_CAUSAL, _PADDING or NULL ("given") */
    float temperature;                /* softmax temperature: > 0 and finite; 1 is the
                                         usual attention (0 is an error, not a default) */
    const al_row_blocks *query_blocks;  /* packed sequences (untraced), or NULL for one:
                                           block b of the queries attends to block b of
                                           the keys only, under the top-left Lq_b x Lk_b
                                           corner of the mask                          */
    const al_row_blocks *key_blocks;    /* the keys' blocks (cross-attention); NULL: the
                                           queries' (self-attention)                     */
} al_attention_call;

/* Multi-head attention: queries from queries.value (Lq x d_model), keys and
 * values from memory.value (Lk x d_model); the same al_named twice for
 * self-attention. Score rows are labelled by queries.labels, columns by
 * memory.labels. With at.trace set, every step is recorded under the
 * prefix at.name (see the top of this file); without, no name is needed.
 * out is Lq x d_model, caller-owned, and must not overlap the inputs. Lq
 * and Lk must fit ws.
 *
 * Fails, before computing anything, with AL_ERR_SHAPE (naming both shapes)
 * if the inputs, out, the mask or params do not fit together or the
 * sequences exceed the workspace; AL_ERR_VALUE for a bad temperature or
 * mask entry; AL_ERR_ARG for a traced call missing a name. A query row
 * with every key masked gets zeros (not NaN) and a warning on each head's
 * weights record.
 *
 * With call->query_blocks the rows hold several sequences (al_row_blocks):
 * the projections and W_O run once on every row, and only the scores,
 * softmax and weighted sum run block by block, each block exactly as a
 * call on that sequence alone would. The mask must then be at least as
 * large as the largest block; a packed call cannot be traced. */
al_status al_multihead_attention(al_matrix *out, al_attention_workspace *ws, al_named queries,
                                 al_named memory, const al_attention_params *params,
                                 const al_attention_call *call, al_trace_at at, al_error *err);

/* Self-attention: al_multihead_attention with x as queries, keys and
 * values (Lq = Lk = L). */
al_status al_self_attention(al_matrix *out, al_attention_workspace *ws, al_named x,
                            const al_attention_params *params, const al_attention_call *call,
                            al_trace_at at, al_error *err);

/* Cross-attention: queries from the decoder's states (Lq = target length),
 * keys and values from the encoder's memory (Lk = source length); score
 * rows are target tokens, columns source tokens. */
al_status al_cross_attention(al_matrix *out, al_attention_workspace *ws,
                             al_named decoder_states, al_named memory,
                             const al_attention_params *params, const al_attention_call *call,
                             al_trace_at at, al_error *err);

/* --- backward ---------------------------------------------------------------- */

/* Room for the backward of one layer, for up to max_queries queries and
 * max_keys keys: dQ, dK, dV and dconcat, and one head's dweights. */
typedef struct al_attention_backward_workspace {
    al_matrix dq, dconcat;        /* max_queries x d_model */
    al_matrix dk, dv;             /* max_keys x d_model    */
    al_matrix dweights;           /* max_queries x max_keys */
} al_attention_backward_workspace;

al_status al_attention_backward_workspace_alloc(al_attention_backward_workspace *bw,
                                                const al_attention_params *params,
                                                int max_queries, int max_keys, al_error *err);
void al_attention_backward_workspace_free(al_attention_backward_workspace *bw);

/* Backward of the last al_multihead_attention call on ws (whose steps it
 * reads), from d_out (Lq x d_model), the same queries, memory, params and
 * call. The parameters' gradients are added into grad (a struct from
 * al_attention_params_alloc of the same shape); the inputs' are written:
 *
 *   dconcat (Lq x d_model) = d_out · W_Oᵀ     dW_O += concatᵀ · d_out   (db_O += Σ_i d_out_i)
 *   head i, on its columns: al_attend_backward gives dq_i, dk_i, dv_i
 *                             into the same columns of dQ, dK, dV
 *   dW_Q += Xqᵀ · dQ,  dW_K += Xkvᵀ · dK,  dW_V += Xkvᵀ · dV   (and the biases)
 *   dXq  = dQ · W_Qᵀ
 *   dXkv = dK · W_Kᵀ + dV · W_Vᵀ
 * For self-attention (queries and memory the same matrix) Xq is Xkv, and
 * dx_query receives all three terms; dx_memory is then not used. Either
 * may be NULL. A packed call (call->query_blocks) goes back block by
 * block through the heads and once through the projections. */
al_status al_multihead_attention_backward(al_matrix *dx_query, al_matrix *dx_memory,
                                          al_attention_params *grad,
                                          al_attention_backward_workspace *bw,
                                          const al_matrix *d_out,
                                          const al_attention_workspace *ws,
                                          const al_matrix *x_query, const al_matrix *x_memory,
                                          const al_attention_params *params,
                                          const al_attention_call *call, al_error *err);

#endif
