/* attention_tables.c: W_Q, W_K, W_V from labelled text tables, W_O = I
 * (see attention_tables.h). Reading and copying only; no maths. */
#include "attnlab/attention_tables.h"

#include <stdio.h>

#include "attnlab/table_file.h"

/* Read dir/file into w, which must have the table's shape. */
static al_status read_weights(al_matrix *w, const char *dir, const char *file, al_error *err)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    al_table table;
    al_status status = al_table_read(&table, path, err);
    if (status != AL_OK)
        return status;
    if (!al_same_shape(&table.values, w))
        status = al_fail(err, AL_ERR_SHAPE, "%s is %d x %d but d_model is %d", path,
                         table.values.rows, table.values.cols, w->rows);
    else
        status = al_copy(w, &table.values, err);
    al_table_free(&table);
    return status;
}

al_status al_attention_params_read(al_attention_params *params, const char *dir,
                                   al_error *err)
{
    al_status status = read_weights(&params->w_q, dir, "w_q.txt", err);
    if (status == AL_OK)
        status = read_weights(&params->w_k, dir, "w_k.txt", err);
    if (status == AL_OK)
        status = read_weights(&params->w_v, dir, "w_v.txt", err);
    /* W_O = I: concat · I = concat */
    al_fill(&params->w_o, 0.0f);
    for (int i = 0; i < params->d_model; i++)
        *al_at(&params->w_o, i, i) = 1.0f;
    return status;
}
