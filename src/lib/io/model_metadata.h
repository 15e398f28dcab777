/* model_metadata.h: a model configuration and vocabulary to and from the
 * "__metadata__" strings of a model file (the entries are listed in
 * model_file.h, and for the RNN seq2seq model in seq2seq_file.h).
 * Internal; not installed. */
#ifndef ATTNLAB_MODEL_METADATA_H
#define ATTNLAB_MODEL_METADATA_H

#include "attnlab/model_config.h"
#include "attnlab/safetensors.h"
#include "attnlab/seq2seq.h"
#include "attnlab/vocab.h"

#define MODEL_METADATA_KEYS 20

/* The entries, pointing into text and vocab_json. */
typedef struct model_metadata {
    al_metadata_entry entries[MODEL_METADATA_KEYS];
    char text[MODEL_METADATA_KEYS][32];
    char *vocab_json;  /* malloc'd */
    int count;
} model_metadata;

/* Fill *metadata from config and vocab. Free with model_metadata_free. */
al_status model_metadata_make(model_metadata *metadata, const al_model_config *config,
                              const al_vocab *vocab, al_error *err);

void model_metadata_free(model_metadata *metadata);

/* Read the configuration and vocabulary from file's metadata; path names
 * the file in messages. On success the caller owns *vocab. */
al_status model_metadata_parse(al_model_config *config, al_vocab *vocab,
                               const al_safetensors *file, const char *path, al_error *err);

/* The same for an RNN seq2seq model (the entries are listed in
 * seq2seq_file.h): score only with attention, d_attention only for
 * additive attention. */
al_status seq2seq_metadata_make(model_metadata *metadata, const al_seq2seq_config *config,
                                const al_vocab *vocab, al_error *err);

/* Read an RNN seq2seq model's configuration (fields the model does not use
 * are 0) and vocabulary. The configuration's consistency is the caller's
 * to check (al_seq2seq_alloc). On success the caller owns *vocab. */
al_status seq2seq_metadata_parse(al_seq2seq_config *config, al_vocab *vocab,
                                 const al_safetensors *file, const char *path, al_error *err);

/* Whether file's metadata (an attnlab model file's, format checked) says
 * rnn-seq2seq (*is_seq2seq true) or one of the Transformer families
 * (false); anything else fails with AL_ERR_FORMAT. */
al_status model_metadata_family(bool *is_seq2seq, const al_safetensors *file, const char *path,
                                al_error *err);

/* The training record's keys (model_file.h): each AL_TRAINING_KEY_PREFIX
 * and a name, once; AL_ERR_VALUE naming the first that is not. */
al_status model_record_check(const al_metadata_entry *record, int count, al_error *err);

/* *entries (malloc'd, the caller frees): metadata's entries, then the
 * record's; metadata->count + record_count of them. */
al_status model_record_append(al_metadata_entry **entries, const model_metadata *metadata,
                              const al_metadata_entry *record, int record_count,
                              al_error *err);

#endif
