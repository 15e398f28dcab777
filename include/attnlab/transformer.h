/* transformer.h: a whole Transformer, in the three families of the chapter,
 * from one code path: token ids in, every layer, logits and probabilities
 * over the vocabulary out, every step traced. Not training (attnlab has
 * none: weights are seeded random, hand-chosen or read from a model file),
 * and not choosing tokens (decoding.h, beam_search.h, generate.h).
 *
 *   encoder-decoder  the original Transformer (translation): the encoder
 *                    reads the source; the decoder reads the target so far
 *                    (<bos> first) under a causal mask and attends to the
 *                    encoder's output; row t of the logits scores the
 *                    target's next token.
 *   encoder-only     BERT-style: one sentence, [CLS] first, no mask (every
 *                    token sees every other); the final vector of [CLS] is
 *                    the sentence's summary ("cls"), and the logits at a
 *                    [MASK] position predict the hidden word.
 *   decoder-only     GPT-style: one sentence under a causal mask; row t of
 *                    the logits scores token t + 1 (next-token prediction).
 *
 * Dimension letters: S source tokens, T target tokens (for a single-stack
 * model L, its sentence), d_model, V vocabulary.
 *
 * The pass, with trace names (for the encoder side, or the one stack):
 *
 *   tokens     1 x L      the ids, labelled by the tokens
 *   embed      L x d      rows of embed.table                 (embedding_lookup)
 *   pos        L x d      sinusoidal, or rows of pos.table    (sinusoidal, learned_lookup)
 *   segments   1 x L      segment ids, if the model has segments
 *   segment    L x d      rows of segment.table               (embedding_lookup)
 *   x          L x d      embed + pos (+ segment)             (add)
 *   embed_norm L x d      LayerNorm(x), if embedding_norm (BERT)
 *   enc.0.* ... enc.N-1.* the encoder layers (blocks.h)
 *   enc.norm   L x d      pre-norm only: the final layer norm
 *   dec.0.* ... dec.N-1.* the decoder layers
 *   dec.norm   T x d      pre-norm only
 *   logits     L x V      final · logits.w (+ logits.b), or, with tied
 *                         output weights, final · embed.tableᵀ (+ logits.b)
 *   probs      L x V      softmax of each row of logits: rows sum to 1
 *   cls        1 x d      encoder-only: row 0 of the final encoder output
 *   pooler     1 x d      encoder-only with a pooler: tanh(cls · pooler.w + pooler.b)
 *
 * In an encoder-decoder model the decoder's inputs are named dec.tokens,
 * dec.embed, dec.pos, dec.x (the lookups record their tables again under
 * dec.embed.table, ...). Rows are labelled by the tokens, logits and probs
 * columns by the vocabulary's words.
 *
 * x = embed + pos, without the paper's multiplication of the embeddings by
 * √d_model (section 3.4): the paper needs it because its embeddings share
 * their weights with the output layer and so start small (about
 * 1/√d_model); attnlab's start at N(0, 1), like PyTorch's nn.Embedding,
 * already the size of the positional encodings (between -1 and 1). A model
 * file made for the scaling can hold its table multiplied by √d_model.
 *
 * The parameters are named as in model_layout.h, so a model saved here
 * is a model file (model_file.h) and a trace names the same tensors. */
#ifndef ATTNLAB_TRANSFORMER_H
#define ATTNLAB_TRANSFORMER_H

#include <stdbool.h>

#include "attnlab/blocks.h"
#include "attnlab/layers.h"
#include "attnlab/model_config.h"
#include "attnlab/rng.h"
#include "attnlab/safetensors.h"
#include "attnlab/sequence.h"
#include "attnlab/trace.h"
#include "attnlab/vocab.h"

/* --- the model: every parameter ---------------------------------------------- */

typedef struct al_transformer {
    al_model_config config;
    al_embedding embed;             /* embed.table       V x d_model               */
    al_matrix pos_table;            /* pos.table         learned positions only     */
    al_embedding segment;           /* segment.table     segments x d_model, or empty */
    al_layer_norm embed_norm;       /* embed_norm.*      if embedding_norm          */
    al_encoder_layer *encoder;      /* encoder_layers of them, or NULL              */
    al_layer_norm encoder_norm;     /* enc.norm.*        pre-norm only              */
    al_decoder_layer *decoder;      /* decoder_layers of them, or NULL              */
    al_layer_norm decoder_norm;     /* dec.norm.*        pre-norm only              */
    al_linear pooler;               /* pooler.w, pooler.b  if pooler                */
    al_linear output;               /* logits.w (empty when tied_output), logits.b  */
} al_transformer;

/* Allocate every parameter config implies, all at once: weights 0, norms
 * the identity. The configuration must pass al_model_config_check (else
 * its error). On failure *model is empty. Free with al_transformer_free. */
al_status al_transformer_alloc(al_transformer *model, const al_model_config *config,
                               al_error *err);

/* Seeded random weights, drawn in model_layout.h's order: embed.table,
 * pos.table and segment.table from N(0, 1) (PyTorch's nn.Embedding), every
 * attention, FFN, pooler and output matrix Glorot uniform, biases 0, norms
 * the identity. The same rng state gives the same model. */
void al_transformer_init(al_transformer *model, al_rng *rng);

void al_transformer_free(al_transformer *model);

/* --- parameters by name, model files ---------------------------------------------- */

/* The parameter called name (model_layout.h's names, e.g. "enc.0.attn.w_q"),
 * or NULL. The matrix is the model's own: a lesson sets hand-chosen
 * weights by writing into it. */
al_matrix *al_transformer_param(al_transformer *model, const char *name);

/* How many parameter tensors the model has, and (when values is not NULL)
 * each one, in model_layout.h's order: values[k] points at the model's own
 * matrix k (names, when not NULL, receives its name). Two models of the
 * same configuration list the same shapes in the same order, so a model,
 * its gradient and an optimizer's moments can be walked side by side.
 * Writes at most max entries; returns the count either way. */
int al_transformer_param_list(al_transformer *model, al_matrix **values,
                              char (*names)[AL_NAME_SIZE], int max);

/* The number of floats in all the model's parameters, counted from the
 * allocated matrices (so tests can compare it with param_count.h). */
long long al_transformer_param_total(const al_transformer *model);

/* Write the model with its vocabulary (vocab->size must be V) as a model
 * file (model_file.h): atomic, every tensor under its layout name. */
al_status al_transformer_save(const al_transformer *model, const al_vocab *vocab,
                              const char *path, al_error *err);

/* The same with a training record (model_file.h: entries "training.*"
 * that say how the weights were made). */
al_status al_transformer_save_with(const al_transformer *model, const al_vocab *vocab,
                                   const char *path, const al_metadata_entry *record,
                                   int record_count, al_error *err);

/* Read a model file into a freshly allocated *model and *vocab (both the
 * caller's, freed with al_transformer_free and al_vocab_free). expected
 * may be NULL (take the file's configuration) or the configuration the
 * caller needs. On failure both are empty and err names the file and the
 * problem. */
al_status al_transformer_load(al_transformer *model, al_vocab *vocab, const char *path,
                              const al_model_config *expected, al_error *err);

/* --- the workspace: every activation of one pass ----------------------------- */

/* One stack's input: embeddings, positions, segments, their sum, and the
 * embedding norm (max_length rows). */
typedef struct al_stack_input {
    al_matrix embed, pos, segment, x;
    al_matrix norm, mean, var;
    int *no_segments;    /* max_tokens zeros: the segment ids when none are given */
    int *ids, *segments; /* packed passes: every sequence's ids (segments) in a row */
    int *rows;           /* packed passes: each sequence's length                  */
    al_row_blocks blocks;/* packed passes: the sequences, over rows                */
} al_stack_input;

typedef struct al_transformer_workspace {
    int max_length;                          /* longest source, target or sentence  */
    int max_tokens;                          /* rows: max_length, or, packed, every
                                                sequence's tokens together          */
    al_stack_input source, target;           /* target: encoder-decoder only        */
    al_encoder_layer_workspace *encoder;     /* one per encoder layer               */
    al_decoder_layer_workspace *decoder;     /* one per decoder layer               */
    al_matrix encoder_norm, decoder_norm;    /* pre-norm final norms (max x d)      */
    al_matrix encoder_mean, encoder_var;     /* their row statistics (max x 1)      */
    al_matrix decoder_mean, decoder_var;
    al_matrix logits, probs;                 /* max_length x V                      */
    al_matrix cls, pooler_pre, pooled;       /* encoder-only: 1 x d_model           */
    /* Filled in by a pass: */
    int source_length, target_length;
    al_layer_output memory;                  /* the encoder's output: what cross-
                                                attention reads (S x d_model)        */
    al_layer_output final;                   /* what the output layer read          */
    const char *const *source_labels;        /* borrowed from the last encode's and  */
    const char *const *final_labels;         /* last stack's sequences, for labels   */
    char table_name[AL_NAME_SIZE];           /* where the last lookup traced
                                                embed.table (tied output weights)    */
} al_transformer_workspace;

/* Allocate the activations of a pass over up to max_length tokens (source
 * and target alike) for model. On failure everything is freed. Free with
 * al_transformer_workspace_free. */
al_status al_transformer_workspace_alloc(al_transformer_workspace *ws,
                                         const al_transformer *model, int max_length,
                                         al_error *err);
void al_transformer_workspace_free(al_transformer_workspace *ws);

/* The same for packed passes (al_transformer_forward_packed): sequences of
 * up to max_length tokens, max_tokens in all (on each side). The matrices
 * above then have max_tokens rows. al_transformer_workspace_alloc is this
 * with max_tokens = max_length. */
al_status al_transformer_workspace_alloc_packed(al_transformer_workspace *ws,
                                                const al_transformer *model, int max_length,
                                                int max_tokens, al_error *err);

/* --- trace names --------------------------------------------------------------- */

/* The names of the pass (the list at the top of this file) under a
 * prefix, built by the functions below, which the pass uses itself, so
 * that a program printing a step names it as the trace does. */

/* A stack's input layer under prefix: "" gives tokens, embed, pos, ...;
 * the decoder's input prefix (al_decoder_input_prefix) dec.tokens ... */
typedef struct al_stack_input_names {
    char tokens[AL_NAME_SIZE], embed[AL_NAME_SIZE], pos[AL_NAME_SIZE];
    char segments[AL_NAME_SIZE], segment[AL_NAME_SIZE], x[AL_NAME_SIZE];
    char norm[AL_NAME_SIZE];                 /* embed_norm */
} al_stack_input_names;

void al_stack_input_names_init(al_stack_input_names *names, const char *prefix);

/* The output layer under name_prefix: logits, logits.w, logits.b, probs,
 * cls, pooler, pooler.pre_tanh. */
typedef struct al_output_names {
    char logits[AL_NAME_SIZE], w[AL_NAME_SIZE], b[AL_NAME_SIZE], probs[AL_NAME_SIZE];
    char cls[AL_NAME_SIZE], pooler[AL_NAME_SIZE], pre_tanh[AL_NAME_SIZE];
} al_output_names;

void al_output_names_init(al_output_names *names, const char *name_prefix);

/* The prefix layer `layer` of the encoder (decoder) stack is traced under,
 * its own names then as blocks.h's: "enc.2", under name_prefix "bert."
 * "bert.enc.2". name_prefix may be NULL. A layer < 0 gives the pattern of
 * every layer, "enc.*", for a trace filter. */
char *al_encoder_layer_prefix(char buf[AL_NAME_SIZE], const char *name_prefix, int layer);
char *al_decoder_layer_prefix(char buf[AL_NAME_SIZE], const char *name_prefix, int layer);

/* The prefix of the decoder's input layer: name_prefix then "dec." in an
 * encoder-decoder model (dec.x, step0.dec.x), name_prefix alone in a
 * decoder-only one (x, step0.x). */
char *al_decoder_input_prefix(char buf[AL_NAME_SIZE], const al_transformer *model,
                              const char *name_prefix);

/* --- the forward pass ---------------------------------------------------------- */

/* The whole pass. input is what the model reads: the source of an
 * encoder-decoder model, the sentence of an encoder-only model (which must
 * start with [CLS]) or of a decoder-only model. target is the decoder's
 * input in an encoder-decoder model (usually <bos> first) and NULL
 * otherwise. words (V strings, or NULL) label the logits' columns. After
 * the call ws->logits and ws->probs hold L x V (T x V) rows, and every
 * intermediate is in ws.
 *
 * Fails before computing anything with AL_ERR_ARG (a missing or unwanted
 * target, an encoder-only sentence without [CLS] first), AL_ERR_VALUE (an
 * id outside the vocabulary or segments, a learned position past
 * max_positions) or AL_ERR_SHAPE (a sequence longer than the workspace). */
al_status al_transformer_forward(al_transformer_workspace *ws, const al_transformer *model,
                                 const al_sequence *input, const al_sequence *target,
                                 const char *const *words, al_trace *trace, al_error *err);

/* The same pass with every name prefixed by name_prefix ("batch2." writes
 * batch2.tokens, batch2.dec.0.self_attn.h0.weights, batch2.logits ...);
 * NULL or "" for none. */
al_status al_transformer_forward_prefixed(al_transformer_workspace *ws,
                                          const al_transformer *model,
                                          const al_sequence *input, const al_sequence *target,
                                          const char *const *words, const char *name_prefix,
                                          al_trace *trace, al_error *err);

/* The pass on count sequences at once, packed one after another in the
 * rows of every matrix (training's batches), untraced: inputs[b] (and, in
 * an encoder-decoder model, targets[b], its decoder's input; else targets
 * is NULL) as al_transformer_forward would read them, each sequence's
 * positions starting at 0. Every position-wise step runs once on all the
 * rows, with one product for the whole batch; attention runs sequence by
 * sequence (multihead.h's packed calls), so row for row the result is the
 * one each sequence gives alone, up to the rounding of the longer sums.
 * After the call ws->logits holds the Σ L_b x V rows, sequence after
 * sequence; ws->probs is NOT computed (the loss computes its own softmax),
 * nor are cls and pooler. Fails as al_transformer_forward, and with
 * AL_ERR_SHAPE if the sequences hold more than ws->max_tokens tokens. */
al_status al_transformer_forward_packed(al_transformer_workspace *ws,
                                        const al_transformer *model,
                                        const al_sequence *inputs, const al_sequence *targets,
                                        int count, al_error *err);

/* The parts of the pass, for generation (generate.h), which encodes once
 * and decodes many times. Names are prefixed by name_prefix ("" or NULL
 * for none; "step3." writes step3.dec.0.self_attn.h0.weights ...).
 *
 * al_transformer_encode: input layer and encoder stack on the source (or
 * the encoder-only sentence); sets ws->memory. al_transformer_forward and
 * generation encode unprefixed; a prefix lets one trace hold several
 * encoders ("bert." writes bert.tokens, bert.enc.0.attn.h0.weights ...).
 * al_transformer_decode: input layer and decoder stack on the decoder's
 * input, attending to ws->memory in an encoder-decoder model.
 * al_transformer_output: logits and probs from the last stack's output
 * (and, encoder-only, cls and pooler). */
al_status al_transformer_encode(al_transformer_workspace *ws, const al_transformer *model,
                                const al_sequence *source, const char *name_prefix,
                                al_trace *trace, al_error *err);
al_status al_transformer_decode(al_transformer_workspace *ws, const al_transformer *model,
                                const al_sequence *decoder_input, const char *name_prefix,
                                al_trace *trace, al_error *err);
/* --- backward -------------------------------------------------------------------- */

/* Room for the backward of a pass over up to max_length tokens (a packed
 * pass: max_length every sequence's tokens together). */
typedef struct al_transformer_backward_workspace {
    al_matrix d_final;                  /* max_length x d_model: dL/d(what the output read) */
    al_matrix d_memory;                 /* max_length x d_model: dL/d(the encoder's output),
                                           encoder-decoder only                        */
    al_matrix d_a, d_b;                 /* max_length x d_model: between the layers  */
    al_layer_backward_workspace layer;  /* shared by the layers, one after another   */
} al_transformer_backward_workspace;

al_status al_transformer_backward_workspace_alloc(al_transformer_backward_workspace *bw,
                                                  const al_transformer *model, int max_length,
                                                  al_error *err);
void al_transformer_backward_workspace_free(al_transformer_backward_workspace *bw);

/* Backward of the last al_transformer_forward(ws, model, input, target),
 * from dlogits (L x V, L the length of what the output layer read;
 * al_cross_entropy_backward of ws->probs gives it). Every parameter's
 * gradient is added into grad (an al_transformer allocated for the same
 * configuration, zeroed before the step), from the top down:
 *
 *   logits = final · W (+ b):  dW += finalᵀ · dlogits, db += Σ_i dlogits_i,
 *                              d_final = dlogits · Wᵀ
 *     (tied to the embeddings, logits = final · Eᵀ:  dE += dlogitsᵀ · final,
 *                              d_final = dlogits · E)
 *   each stack: its final layer norm (pre-norm), each layer last first
 *     (al_encoder_layer_backward / al_decoder_layer_backward), the
 *     embedding norm (if any), then x = embed + pos (+ segment) passes dx
 *     to each term: dE[id_i] += dx_i, learned positions dP[i] += dx_i,
 *     segments likewise; sinusoidal positions learn nothing
 *   encoder-decoder: the decoder first, each of its layers adding its
 *     share of the memory's gradient; the encoder then starts from that sum.
 * The pooler is not on the path to the logits and gets no gradient.
 * target is the decoder's input for an encoder-decoder model, NULL
 * otherwise. */
al_status al_transformer_backward(al_transformer *grad, al_transformer_backward_workspace *bw,
                                  const al_matrix *dlogits, const al_transformer_workspace *ws,
                                  const al_transformer *model, const al_sequence *input,
                                  const al_sequence *target, al_error *err);

/* Backward of the last al_transformer_forward_packed(ws, model, inputs,
 * targets, count), from dlogits (Σ L_b x V): the same steps as
 * al_transformer_backward, each sequence's share of every gradient summed
 * over the batch by the products themselves. */
al_status al_transformer_backward_packed(al_transformer *grad,
                                         al_transformer_backward_workspace *bw,
                                         const al_matrix *dlogits,
                                         const al_transformer_workspace *ws,
                                         const al_transformer *model,
                                         const al_sequence *inputs,
                                         const al_sequence *targets, int count, al_error *err);

al_status al_transformer_output(al_transformer_workspace *ws, const al_transformer *model,
                                const char *const *words, const char *name_prefix,
                                al_trace *trace, al_error *err);

#endif
