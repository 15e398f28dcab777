/* model_file.h: attnlab model files: a safetensors file (safetensors.h)
 * whose tensors are exactly those model_layout.h lists for a configuration,
 * and whose "__metadata__" holds that configuration and the vocabulary, so
 * a file says everything needed to use it. Which numbers the tensors hold
 * (training, hand-made weights) is not this file's business.
 *
 * Metadata entries (all strings, as safetensors requires):
 *   format          "attnlab-model"
 *   format_version  "1"
 *   family          "encoder-decoder", "encoder-only" or "decoder-only"
 *   norm            "post" or "pre"
 *   d_model heads encoder_layers decoder_layers d_ff vocab_size
 *   max_positions segments                  whole numbers, e.g. "512"
 *   positions       "sinusoidal" or "learned"
 *   biases tied_output output_bias embedding_norm pooler   "true" or "false"
 *   norm_epsilon    e.g. "1e-05" (the shortest text that reads back exactly)
 *   vocab           the words in id order as a JSON list, e.g.
 *                   "[\"<pad>\", \"<unk>\", \"<bos>\", \"<eos>\", \"[CLS]\",
 *                   \"[MASK]\", \"the\", ...]" (json.loads gives the list)
 *
 * and, optionally, the training record: how the weights were made, in
 * entries whose keys start with "training." (AL_TRAINING_KEY_PREFIX).
 * Reading ignores them; attnlab-model show prints them. attnlab-train
 * writes
 *   training.program          "attnlab-train"
 *   training.command          the command that makes the file again, every
 *                             setting that decides the numbers spelled out
 *   training.task             "next word", "masked words" or "translation"
 *   training.corpus           the corpus's path, size and FNV-1a hash
 *   training.steps            the steps taken, e.g. "200"
 *   training.loss             the last step's training loss ("%.9g")
 *   training.validation_loss  the last held-out loss measured
 *
 * Reading checks, on top of everything the safetensors reader checks, that
 * the metadata is complete and consistent, that the file's configuration
 * matches the one the caller expects (if any; every field but norm_epsilon
 * is compared; an RNN seq2seq model's file, family "rnn-seq2seq", is
 * refused as "holds an RNN seq2seq model"), and that every tensor of the
 * configuration is present with its shape and no other tensor is, with
 * messages such as
 *   "m.safetensors: tensor 'enc.0.ffn.w1' is 4 x 6 but the configuration
 *    needs d_model x d_ff = 4 x 8"
 *   "m.safetensors: the file's d_model is 8 but 6 was expected". */
#ifndef ATTNLAB_MODEL_FILE_H
#define ATTNLAB_MODEL_FILE_H

#include "attnlab/model_config.h"
#include "attnlab/safetensors.h"
#include "attnlab/vocab.h"

typedef struct al_model_file {
    al_model_config config;
    al_vocab vocab;
    al_safetensors contents;   /* the tensors, in the order of their data
                                  (model_layout.h's, for files attnlab wrote) */
} al_model_file;

/* Write a model file: config (which must pass al_model_config_check), the
 * vocabulary (vocab->size must equal config->vocab_size; a word's id is its
 * place in the list) and the tensors,
 * given in any order but exactly the configuration's, each with its shape;
 * they are written in model_layout.h's order. Atomic, as
 * al_safetensors_write. Fails with AL_ERR_VALUE or AL_ERR_SHAPE naming the
 * first problem, leaving no file. */
al_status al_model_file_write(const char *path, const al_model_config *config,
                              const al_vocab *vocab, const al_named_tensor *tensors, int count,
                              al_error *err);

#define AL_TRAINING_KEY_PREFIX "training."

/* al_model_file_write with a training record (record_count entries, each
 * key AL_TRAINING_KEY_PREFIX and a name, none twice; AL_ERR_VALUE
 * otherwise) after the configuration's entries. */
al_status al_model_file_write_with(const char *path, const al_model_config *config,
                                   const al_vocab *vocab, const al_named_tensor *tensors,
                                   int count, const al_metadata_entry *record,
                                   int record_count, al_error *err);

/* Read and check path into *model. expected may be NULL (take whatever
 * configuration the file has). The caller owns *model and frees it with
 * al_model_file_free; on failure it is empty. */
al_status al_model_file_read(al_model_file *model, const char *path,
                             const al_model_config *expected, al_error *err);

void al_model_file_free(al_model_file *model);

/* The metadata entry called key (e.g. "training.command"), or NULL. */
const char *al_model_file_metadata(const al_model_file *model, const char *key);

/* Which kind of model the file at path holds, from its header alone (no
 * tensor is read): *is_seq2seq true for an RNN seq2seq model (family
 * "rnn-seq2seq", read with al_seq2seq_file_read, seq2seq_file.h), false
 * for a Transformer (read with al_model_file_read). Fails, naming the
 * file, for what is not an attnlab model file or has another family. */
al_status al_model_file_family(const char *path, bool *is_seq2seq, al_error *err);

/* The tensor called name (e.g. "enc.0.attn.w_q"), or NULL. */
const al_matrix *al_model_file_tensor(const al_model_file *model, const char *name);

#endif
