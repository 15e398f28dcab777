/* attention_tables.h: one attention layer's weights read from hand-made,
 * labelled text tables (data/lesson05/w_q.txt, w_k.txt, w_v.txt), so that
 * every lesson that uses them reads them the same way. Not a model file
 * (model_file.h reads trained weights) and not the tables' format
 * (table_file.h). */
#ifndef ATTNLAB_ATTENTION_TABLES_H
#define ATTNLAB_ATTENTION_TABLES_H

#include "attnlab/multihead.h"

/* Fill W_Q, W_K and W_V of params from dir/w_q.txt, dir/w_k.txt and
 * dir/w_v.txt (each d_model x d_model, in table_file.h's format), and set
 * W_O to the identity: with one head the layer's output is then the head's
 * output, and with h heads it is the heads' outputs side by side, each in
 * the columns its slice came from. params must already be allocated by
 * al_attention_params_alloc with the tables' d_model and any number of
 * heads; biases, if any, stay 0. Fails with the table reader's message
 * (file, line, problem) or AL_ERR_SHAPE ("data/lesson05/w_q.txt is 5 x 6
 * but d_model is 6"); params may then hold some of the weights. */
al_status al_attention_params_read(al_attention_params *params, const char *dir,
                                   al_error *err);

#endif
