/* seq2seq.h: the RNN encoder-decoder of machine translation before the
 * Transformer, with and without attention: the model the chapter starts
 * from. Weights are seeded random, or hand-chosen by the caller
 * (al_seq2seq_param) or read from text tables (al_seq2seq_read);
 * al_seq2seq_backward gives every parameter's gradient under teacher
 * forcing, but the loss and the optimizer step are the caller's (layers.h,
 * optimizer.h).
 *
 * Dimension letters: S source tokens, T decoder steps, d_e the width of a
 * word vector, d_h the width of an RNN state, V vocabulary (one
 * vocabulary, holding the words of both languages).
 *
 *   encoder   e_j = source embedding of token j               (S x d_e)
 *             h_j = cell(e_j, h_{j-1}),  h_{-1} = 0            (S x d_h)
 *   decoder   s_{-1} = h_{S-1}: the decoder starts from the encoder's
 *             last state. At each step t, reading y_{t-1} (y_{-1} = <bos>):
 *               c_t   the context: without attention, c_t = h_{S-1} at
 *                     every step (one fixed vector for the whole
 *                     sentence: the bottleneck); with attention,
 *                     c_t = Σ_j a_tj h_j, a_t = softmax(score(s_{t-1}, h_j))
 *                     over all j (Bahdanau et al. 2015: the query is the
 *                     state before the step)
 *               s_t   = cell([target embedding of y_{t-1} ; c_t], s_{t-1})
 *               logits_t = [s_t ; c_t] · W_out + b_out       (1 x V)
 *   Without attention this is the model of Cho et al. (2014), which also
 *   feeds the one context to every step and to the output.
 *
 * Trace names (prefix s2s):
 *   s2s.enc.tokens  s2s.enc.embed (.table)   source ids and vectors
 *   s2s.enc.init    1 x d_h   h_{-1} = 0
 *   s2s.enc.h       S x d_h   the encoder states (op elman, gru or
 *                             gru_pytorch; a GRU also s2s.enc.z, .r, .n; rnn.h)
 *   s2s.enc.w_x ... s2s.dec.w_x ...   the cells' parameters (rnn.h; PyTorch's
 *                             GRU also s2s.enc.b_hn, s2s.dec.b_hn)
 *   s2s.context     1 x d_h   without attention: the fixed context, the
 *                             last encoder state (op take_row)
 *   s2s.dec.init    1 x d_h   with attention: the decoder's first state, the
 *                             last encoder state (op take_row)
 *   s2s.attn.w_q .w_k .v_a (additive), s2s.attn.w_a (general)   traced once
 *   s2s.step<t>.scores .scaled .weights   1 x S  step t's attention (al_attend;
 *                             query: the state before the step, s2s.dec.init or
 *                             s2s.step<t-1>.h; keys and values: s2s.enc.h)
 *   s2s.step<t>.context   1 x d_h         Σ_j a_tj h_j
 *   s2s.step<t>.input     1 x (d_e + d_h) [row t of s2s.dec.embed ; c_t]
 *   s2s.step<t>.h         1 x d_h         s_t (GRU also .z .r .n)
 *   s2s.step<t>.readout   1 x 2 d_h       [s_t ; c_t]
 *   s2s.step<t>.logits .probs   1 x V     the output layer (s2s.output.w, .b)
 *   s2s.step<t>.next.token      1 x 1     the greedy choice (argmax)
 *   s2s.dec.tokens  s2s.dec.embed (.table)   the decoder's inputs <bos> y_0 ...
 *   s2s.dec.h       T x d_h   every s_t, stacked (op stack_steps)
 *   s2s.alignment   T x S     with attention: every step's weights stacked,
 *                             rows labelled by the word each step produced
 *                             (teacher forcing: the target word), columns by
 *                             the source: the alignment heatmap
 * A step's rows are labelled by the token the decoder read at that step. */
#ifndef ATTNLAB_SEQ2SEQ_H
#define ATTNLAB_SEQ2SEQ_H

#include <stdbool.h>

#include "attnlab/attention.h"
#include "attnlab/layers.h"
#include "attnlab/rnn.h"
#include "attnlab/sequence.h"
#include "attnlab/trace.h"

/* The fixed names above, for a program that prints a step under the name
 * the trace gives it; a step's own names come from al_s2s_step_name. */
#define AL_S2S_ENC_TOKENS "s2s.enc.tokens"
#define AL_S2S_ENC_EMBED "s2s.enc.embed"
#define AL_S2S_ENC_INIT "s2s.enc.init"
#define AL_S2S_ENC_H "s2s.enc.h"
#define AL_S2S_CONTEXT "s2s.context"
#define AL_S2S_DEC_INIT "s2s.dec.init"
#define AL_S2S_DEC_TOKENS "s2s.dec.tokens"
#define AL_S2S_DEC_EMBED "s2s.dec.embed"
#define AL_S2S_DEC_H "s2s.dec.h"
#define AL_S2S_ALIGNMENT "s2s.alignment"

/* "s2s.step<t>.<what>", e.g. al_s2s_step_name(buf, 3, "weights"). */
char *al_s2s_step_name(char buf[AL_NAME_SIZE], int t, const char *what);
#include "attnlab/vocab.h"

typedef struct al_seq2seq_config {
    al_rnn_kind cell;        /* AL_RNN_ELMAN, AL_RNN_GRU (Cho et al.) or
                                AL_RNN_GRU_PYTORCH, encoder and decoder           */
    int vocab_size;          /* V                                                 */
    int d_embed;             /* d_e                                               */
    int d_hidden;            /* d_h                                               */
    bool attention;          /* false: the fixed context (the bottleneck)         */
    al_score_kind score;     /* with attention: AL_SCORE_ADDITIVE (Bahdanau),
                                AL_SCORE_DOT or AL_SCORE_GENERAL (Luong), or
                                AL_SCORE_SCALED_DOT                               */
    int d_attention;         /* additive only: d_a, the hidden width of the score */
} al_seq2seq_config;

typedef struct al_seq2seq {
    al_seq2seq_config config;
    al_embedding source_embed;   /* s2s.enc.embed.table   V x d_e               */
    al_rnn_cell encoder;         /* s2s.enc.*             d_e -> d_h            */
    al_embedding target_embed;   /* s2s.dec.embed.table   V x d_e               */
    al_rnn_cell decoder;         /* s2s.dec.*             d_e + d_h -> d_h      */
    al_matrix attn_w_q;          /* s2s.attn.w_q  additive: d_h x d_a           */
    al_matrix attn_w_k;          /* s2s.attn.w_k  additive: d_h x d_a           */
    al_matrix attn_v_a;          /* s2s.attn.v_a  additive: d_a x 1             */
    al_matrix attn_w_a;          /* s2s.attn.w_a  general:  d_h x d_h           */
    al_linear output;            /* s2s.output.w (2 d_h x V), s2s.output.b      */
    const char *const *unit_labels;  /* d_h names of the hidden units, for the traces'
                                        state columns, or NULL (borrowed; a hand-made
                                        model names them, see lesson01)             */
} al_seq2seq;

/* Allocate every parameter config implies (zeros). Fails with AL_ERR_VALUE
 * for widths below 1, a vocabulary without room beyond the special tokens,
 * or a score attnlab's seq2seq does not use (inverse distance, Gaussian).
 * On failure *model is empty. Free with al_seq2seq_free. */
al_status al_seq2seq_alloc(al_seq2seq *model, const al_seq2seq_config *config, al_error *err);

/* Seeded random weights: embeddings N(0, 1), every matrix Glorot uniform,
 * biases 0, drawn in the order of the struct. */
void al_seq2seq_init(al_seq2seq *model, al_rng *rng);

void al_seq2seq_free(al_seq2seq *model);

/* The parameter called name ("s2s.enc.w_x", "s2s.attn.w_a", ...; the list
 * is at the top of this file and in rnn.h), or NULL: the model's own
 * matrix, for a lesson to fill with hand-chosen weights. */
al_matrix *al_seq2seq_param(al_seq2seq *model, const char *name);

/* How many parameter tensors the model has, and (when values is not NULL)
 * each one in the order of the struct (the source table, the encoder's
 * w_x w_h b [w_xz w_hz b_z w_xr w_hr b_r [b_hn]], the target table, the
 * decoder's, the attention's that exist, s2s.output.w and .b): values[k]
 * points at the model's own matrix k, and names (when not NULL) receives
 * its trace name. Two models of one configuration list the same shapes in
 * the same order, so a model, its gradient and an optimizer's moments can
 * be walked side by side (as al_transformer_param_list). Writes at most
 * max entries; returns the count either way. */
int al_seq2seq_param_list(al_seq2seq *model, al_matrix **values, char (*names)[AL_NAME_SIZE],
                          int max);

/* Fill every parameter from text tables (table_file.h) in folder, one file
 * per parameter named <name>.txt ("s2s.enc.w_x.txt"); a parameter without
 * a file keeps its value. Each table must have the parameter's shape; the
 * rows of the two embedding tables must be labelled by the words of vocab
 * in id order (AL_ERR_FORMAT naming the file and row otherwise). */
al_status al_seq2seq_read(al_seq2seq *model, const al_vocab *vocab, const char *folder,
                          al_error *err);

/* The scoring the model's attention uses (its kind, softmax at T = 1),
 * pointing at the model's score matrices. */
al_scoring al_seq2seq_scoring(const al_seq2seq *model);

/* --- the workspace ---------------------------------------------------------------- */

typedef struct al_seq2seq_workspace {
    int max_source, max_steps;
    al_matrix source_embed;      /* max_source x d_e                              */
    al_matrix encoder_states;    /* max_source x d_h:  s2s.enc.h                  */
    al_rnn_gates encoder_gates;
    al_matrix zero_state;        /* 1 x d_h of zeros: h_{-1}                      */
    al_matrix target_embed;      /* max_steps x d_e                               */
    al_matrix inputs;            /* max_steps x (d_e + d_h)                       */
    al_matrix decoder_states;    /* max_steps x d_h                               */
    al_rnn_gates decoder_gates;
    al_matrix contexts;          /* max_steps x d_h                               */
    al_matrix readouts;          /* max_steps x 2 d_h                             */
    al_matrix logits, probs;     /* max_steps x V                                 */
    al_matrix alignment;         /* max_steps x max_source: step t's weights      */
    al_matrix scores;            /* max_steps x max_source, with attention: step
                                    t's scores (s2s.step<t>.scores), kept for a
                                    printout after the pass                       */
    al_attention_steps attention;/* one query's scratch: scaled scores, q_proj ... */
    int *decoder_ids;            /* max_steps: the token each step read           */
    const char **decoder_labels; /* max_steps                                     */
    const char **output_labels;  /* max_steps: the token each step produced       */
    /* Filled in by a pass: */
    int source_length, steps;
    const char *const *source_labels;  /* borrowed from the last encode           */
} al_seq2seq_workspace;

al_status al_seq2seq_workspace_alloc(al_seq2seq_workspace *ws, const al_seq2seq *model,
                                     int max_source, int max_steps, al_error *err);
void al_seq2seq_workspace_free(al_seq2seq_workspace *ws);

/* --- the pass ------------------------------------------------------------------------ */

/* Read the source: embeddings, encoder states, and the decoder's start.
 * Fails with AL_ERR_VALUE for an id outside the vocabulary, AL_ERR_SHAPE
 * for a source longer than the workspace. */
al_status al_seq2seq_encode(al_seq2seq_workspace *ws, const al_seq2seq *model,
                            const al_sequence *source, al_trace *trace, al_error *err);

/* Decode from the encoded source. With target (teacher forcing) the
 * decoder reads <bos> then the target's words and runs target->length
 * steps; with target NULL (greedy decoding) it reads its own choices and
 * stops after <eos> or max_steps steps. Either way tokens (the caller's
 * array of max_steps ints) receives each step's greedy choice, and
 * *length the number of steps. words (V strings, or NULL) label the
 * trace. */
al_status al_seq2seq_decode(int *tokens, int *length, al_seq2seq_workspace *ws,
                            const al_seq2seq *model, const al_sequence *target, int max_steps,
                            const char *const *words, al_trace *trace, al_error *err);

/* --- backward (teacher forcing) ------------------------------------------------------ */

/* Room for the backward of a pass over up to max_source source tokens and
 * max_steps decoder steps. Allocated by al_seq2seq_backward_workspace_alloc,
 * freed by al_seq2seq_backward_workspace_free. */
typedef struct al_seq2seq_backward_workspace {
    int max_source, max_steps;
    al_matrix d_readouts;        /* max_steps x 2 d_h: dL/d[s_t ; c_t]            */
    al_matrix d_state;           /* 1 x d_h: dL/ds_t, carried from step to step    */
    al_matrix d_prev;            /* 1 x d_h: dL/ds_{t-1}, what step t sends back   */
    al_matrix d_input;           /* 1 x (d_e + d_h): dL/d[e_t ; c_t]               */
    al_matrix d_context;         /* 1 x d_h: dL/dc_t, from the input and readout   */
    al_matrix d_query;           /* 1 x d_h: attention's dq                        */
    al_matrix d_keys, d_values;  /* max_source x d_h: attention's dk, dv           */
    al_matrix d_encoder_states;  /* max_source x d_h: dL/dh_j, summed over steps   */
    al_matrix d_source_embed;    /* max_source x d_e                               */
    al_matrix d_scores;          /* 1 x max_source: attention's scratch            */
    al_matrix q_proj, d_q_proj;  /* 1 x d_a (additive) or d_h (general): step t's
                                    q_proj again, and its gradient                */
    al_matrix d_k_proj;          /* max_source x d_a, additive only                */
    al_rnn_backward_scratch cell;/* both cells' (they share d_h)                   */
} al_seq2seq_backward_workspace;

al_status al_seq2seq_backward_workspace_alloc(al_seq2seq_backward_workspace *bw,
                                              const al_seq2seq *model, int max_source,
                                              int max_steps, al_error *err);
void al_seq2seq_backward_workspace_free(al_seq2seq_backward_workspace *bw);

/* Backward of the last al_seq2seq_encode(ws, model, source) and
 * al_seq2seq_decode with a target (teacher forcing), from dlogits
 * (T x V, one row per step; al_cross_entropy_backward of ws->probs gives
 * it). Every parameter's gradient is added into grad (an al_seq2seq
 * allocated for the same configuration, zeroed before the step):
 *
 *   logits_t = [s_t ; c_t] · W_out + b_out     every step at once (linear backward)
 *   then t = T-1 down to 0:
 *     ds_t    = d_readout_t[first d_h] + what step t + 1 sent back to s_t
 *     s_t     = cell([e_t ; c_t], s_{t-1})       al_rnn_step_backward: d[e_t ; c_t],
 *                                                and ds_{t-1} (sent back)
 *     e_t     = target table row of y_{t-1}      dtable[y_{t-1}] += de_t
 *     dc_t    = d_readout_t[last d_h] + d[e_t ; c_t][last d_h]
 *     c_t     = attention(s_{t-1}, h, h)         al_attend_backward: ds_{t-1} += dq,
 *                                                dh_j += dk_j + dv_j (keys and values
 *                                                are both the encoder states)
 *             (without attention c_t = h_{S-1}: dh_{S-1} += dc_t)
 *   s_{-1} = h_{S-1}:  dh_{S-1} += ds_{-1}
 *   the encoder through time from dh (al_rnn_run_backward; h_{-1} = 0 learns
 *   nothing), then the source table: dtable[x_j] += de_j.
 * source is the sequence encoded (the workspace keeps no ids of it). */
al_status al_seq2seq_backward(al_seq2seq *grad, al_seq2seq_backward_workspace *bw,
                              const al_matrix *dlogits, const al_seq2seq_workspace *ws,
                              const al_seq2seq *model, const al_sequence *source,
                              al_error *err);

#endif
