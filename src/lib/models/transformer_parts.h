/* transformer_parts.h: the pieces transformer.c puts together: checking a
 * sequence, the input layer of a stack (embeddings, positions, segments,
 * their sum and norm) and the output layer. Internal; not installed. */
#ifndef ATTNLAB_TRANSFORMER_PARTS_H
#define ATTNLAB_TRANSFORMER_PARTS_H

#include "attnlab/transformer.h"

/* prefix + name into buf ("step3." + "dec.x"); prefix may be NULL. */
char *al_prefixed(char buf[AL_NAME_SIZE], const char *prefix, const char *name);

/* Every id, segment and position of seq usable by model, and the length
 * within 1 .. max_length. what names the sequence in messages. */
al_status al_check_sequence(const al_sequence *seq, const al_transformer *model,
                            int max_length, const char *what, al_error *err);

/* x = embed + pos (+ segment), then embed_norm if the model has it, under
 * names prefix + "tokens", "embed", ... The result is a view into in and
 * its trace name. table_name receives the name the embedding table was
 * traced under. */
al_status al_stack_input_forward(al_layer_output *x, al_stack_input *in,
                                 const al_transformer *model, const al_sequence *seq,
                                 const char *prefix, char table_name[AL_NAME_SIZE],
                                 al_trace *trace, al_error *err);

/* The same for count sequences packed one after another (untraced): ids
 * and segments gathered into in->ids and in->segments, in->blocks set to
 * their lengths, each sequence's positions starting at 0. The sequences
 * are checked already. */
al_status al_stack_input_forward_packed(al_layer_output *x, al_stack_input *in,
                                        const al_transformer *model, const al_sequence *seqs,
                                        int count, al_error *err);

/* Backward of al_stack_input_forward_packed, as al_stack_input_backward. */
al_status al_stack_input_backward_packed(al_transformer *grad, al_matrix *dx,
                                         const al_stack_input *in,
                                         const al_transformer *model, al_error *err);

/* logits (L x V) = ws->final · W (+ b), untraced, without probs. */
al_status al_output_logits(al_transformer_workspace *ws, const al_transformer *model,
                           al_error *err);

/* Backward of the output layer's logits (output_layer.c): the output
 * weights' (or the tied table's) and bias's gradients added into grad,
 * d_final (L x d) written. */
al_status al_output_backward(al_matrix *d_final, al_transformer *grad, const al_matrix *dlogits,
                             const al_matrix *final, const al_transformer *model,
                             al_error *err);

/* Backward of al_stack_input_forward (transformer_inputs.c) from dx, the
 * gradient of what the first layer read; dx is used as scratch. */
al_status al_stack_input_backward(al_transformer *grad, al_matrix *dx, const al_stack_input *in,
                                  const al_transformer *model, const al_sequence *seq,
                                  al_error *err);

#endif
