/* seq2seq_file.h: the RNN seq2seq model (seq2seq.h) saved as an attnlab
 * model file: a safetensors file (safetensors.h) holding every parameter
 * under its trace name, its configuration and its one vocabulary in the
 * "__metadata__", so that a file says everything needed to use it. The
 * Transformer's model files are model_file.h; the two share the format
 * and are told apart by the family.
 *
 * Metadata entries (all strings, as safetensors requires):
 *   format          "attnlab-model"
 *   format_version  "1"
 *   family          "rnn-seq2seq" (AL_SEQ2SEQ_FAMILY)
 *   cell            "elman", "gru" or "gru_pytorch" (al_rnn_kind_name)
 *   attention       "true" or "false"
 *   score           with attention only: "dot", "scaled_dot", "general" or
 *                   "additive" (al_score_kind_name)
 *   d_embed d_hidden vocab_size   whole numbers, e.g. "16"
 *   d_attention     additive attention only: d_a
 *   vocab           the words in id order as a JSON list (as model_file.h)
 *
 * Tensors, each [rows, cols] under the name al_seq2seq_param_list gives it
 * (V vocab_size, d_e d_embed, d_h d_hidden, d_a d_attention):
 *   s2s.enc.embed.table  s2s.dec.embed.table         V x d_e
 *   s2s.enc.w_x (.w_xz .w_xr for a GRU)              d_e x d_h
 *   s2s.dec.w_x (.w_xz .w_xr)                        (d_e + d_h) x d_h
 *   s2s.enc.w_h, s2s.dec.w_h (.w_hz .w_hr)           d_h x d_h
 *   s2s.enc.b, s2s.dec.b (.b_z .b_r, PyTorch's .b_hn) 1 x d_h
 *   s2s.attn.w_q .w_k (additive)  d_h x d_a;  s2s.attn.v_a  d_a x 1
 *   s2s.attn.w_a (general)                           d_h x d_h
 *   s2s.output.w  2 d_h x V;  s2s.output.b  1 x V
 *
 * Reading checks, on top of everything the safetensors reader checks, that
 * the metadata is complete and consistent and that every tensor is present
 * with its shape and no other is, with messages such as
 *   "m.safetensors: tensor 's2s.dec.w_h' is 4 x 6 but the model needs
 *    d_hidden x d_hidden = 6 x 6". */
#ifndef ATTNLAB_SEQ2SEQ_FILE_H
#define ATTNLAB_SEQ2SEQ_FILE_H

#include "attnlab/safetensors.h"
#include "attnlab/seq2seq.h"
#include "attnlab/vocab.h"

/* The family of an RNN seq2seq model file. */
#define AL_SEQ2SEQ_FAMILY "rnn-seq2seq"

/* Write model and its vocabulary (vocab->size must be the model's V) to
 * path. Atomic, as al_safetensors_write: the file appears whole or not at
 * all. Fails with AL_ERR_VALUE naming the problem, leaving no file. */
al_status al_seq2seq_file_write(const char *path, const al_seq2seq *model,
                                const al_vocab *vocab, al_error *err);

/* The same with a training record: entries "training.*" after the
 * configuration's, as model_file.h describes them (keys checked the same
 * way). */
al_status al_seq2seq_file_write_with(const char *path, const al_seq2seq *model,
                                     const al_vocab *vocab, const al_metadata_entry *record,
                                     int record_count, al_error *err);

/* Read and check path into *model (allocated here for the file's
 * configuration, free with al_seq2seq_free) and *vocab (free with
 * al_vocab_free). On failure both are empty, and err names the file and
 * the problem. A Transformer's file is refused ("holds a Transformer"). */
al_status al_seq2seq_file_read(al_seq2seq *model, al_vocab *vocab, const char *path,
                               al_error *err);

#endif
