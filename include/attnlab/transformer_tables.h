/* transformer_tables.h: a Transformer's hand-made weights read from
 * labelled text tables (table_file.h), one file per parameter, named as in
 * model_layout.h: <folder>/embed.table.txt, <folder>/dec.0.cross_attn.w_q.txt,
 * ... This is how the lessons' small, documented models are stored
 * (data/lesson10). Not model files (model_file.h holds trained weights in
 * one binary file), and not the choice of the numbers. */
#ifndef ATTNLAB_TRANSFORMER_TABLES_H
#define ATTNLAB_TRANSFORMER_TABLES_H

#include "attnlab/transformer.h"
#include "attnlab/vocab.h"

/* For every parameter of model (model_layout.h's list), read
 * <folder>/<name>.txt if it exists and copy it in; a parameter without a
 * file keeps the value it has (after al_transformer_alloc: weights 0,
 * layer norms the identity). Every table must have its parameter's shape;
 * embed.table's rows and logits.w's columns must be labelled by the
 * vocabulary's words in id order, so a table cannot silently put a vector
 * on the wrong word. vocab->size must be the model's V. *files_read (may
 * be NULL) receives how many tables were read. Fails with the table
 * reader's message (file, line, problem), AL_ERR_SHAPE or AL_ERR_FORMAT
 * naming the file; then the model may hold some tables already. */
al_status al_transformer_read_tables(al_transformer *model, const al_vocab *vocab,
                                     const char *folder, int *files_read, al_error *err);

#endif
