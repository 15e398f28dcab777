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

/* The file of a tables folder that names the parameters with no table,
 * one a line ('#' starts a comment): they keep the value they start with
 * (after al_transformer_alloc: weights and biases 0, layer norms the
 * identity). Saying so in a file is what tells a parameter left at its
 * start on purpose from a table that went missing. */
#define AL_TABLE_DEFAULTS_FILE "defaults.txt"

/* For every parameter of model (model_layout.h's list), read
 * <folder>/<name>.txt and copy it in, or, if <folder>/defaults.txt names
 * it, leave it as it is. A parameter with neither is an error
 * (AL_ERR_FORMAT, "<folder>/dec.0.ffn.b2.txt is missing: give the table,
 * or name dec.0.ffn.b2 in <folder>/defaults.txt ..."), and so are a name
 * in defaults.txt that is not a parameter and one that has a table too.
 * Every table must have its parameter's shape; embed.table's rows and
 * logits.w's columns must be labelled by the vocabulary's words in id
 * order, so a table cannot silently put a vector on the wrong word.
 * vocab->size must be the model's V. *files_read and *kept (either may be
 * NULL) receive how many tables were read and how many parameters kept
 * their start value. Fails with the table reader's message (file, line,
 * problem), AL_ERR_SHAPE or AL_ERR_FORMAT naming the file; then the model
 * may hold some tables already. */
al_status al_transformer_read_tables(al_transformer *model, const al_vocab *vocab,
                                     const char *folder, int *files_read, int *kept,
                                     al_error *err);

#endif
