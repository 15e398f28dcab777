/* transformer_inputs.c: what a stack reads: token ids checked, looked up,
 * given their positions (and segments), summed and, in BERT-style models,
 * normalised:
 *
 *   embed (L x d) = rows of embed.table      pos (L x d) = PE(0 .. L-1)
 *   x     (L x d) = embed + pos (+ segment)  embed_norm  = LayerNorm(x)
 *
 * The lookups and encodings are layers.h's and positional.h's. */
#include "models/transformer_parts.h"

#include <stdio.h>

#include "attnlab/positional.h"

char *al_prefixed(char buf[AL_NAME_SIZE], const char *prefix, const char *name)
{
    return al_name(buf, "%s%s", prefix ? prefix : "", name);
}

al_status al_check_sequence(const al_sequence *seq, const al_transformer *model,
                            int max_length, const char *what, al_error *err)
{
    const al_model_config *c = &model->config;
    if (seq->length < 1 || seq->length > max_length)
        return al_fail(err, AL_ERR_SHAPE, "the %s has %d tokens; the workspace holds 1 to %d",
                       what, seq->length, max_length);
    if (c->positions == AL_POSITIONS_LEARNED && seq->length > c->max_positions)
        return al_fail(err, AL_ERR_VALUE, "the %s has %d tokens but the model's learned "
                       "positions stop at %d", what, seq->length, c->max_positions);
    for (int i = 0; i < seq->length; i++) {
        if (seq->ids[i] < 0 || seq->ids[i] >= c->vocab_size)
            return al_fail(err, AL_ERR_VALUE, "the %s's token %d has id %d, outside the "
                           "vocabulary (0 to %d)", what, i, seq->ids[i], c->vocab_size - 1);
        if (seq->segments && (seq->segments[i] < 0 || seq->segments[i] >= c->segments))
            return al_fail(err, AL_ERR_VALUE, "the %s's token %d is in segment %d; the model "
                           "has %d segments", what, i, seq->segments[i], c->segments);
    }
    return AL_OK;
}

/* pos (L x d): sinusoidal, or rows 0 .. L-1 of pos.table */
static al_status positions(al_matrix *pos, const al_transformer *model, const char *name,
                           const char *const *labels, al_trace *trace, al_error *err)
{
    if (model->config.positions == AL_POSITIONS_LEARNED)
        return al_positional_learned(pos, 0, &model->pos_table, labels, (al_trace_at){trace, name},
                                     err);
    return al_positional_sinusoidal(pos, 0, labels, (al_trace_at){trace, name}, err);
}

void al_stack_input_names_init(al_stack_input_names *n, const char *prefix)
{
    al_prefixed(n->tokens, prefix, "tokens");
    al_prefixed(n->embed, prefix, "embed");
    al_prefixed(n->pos, prefix, "pos");
    al_prefixed(n->segments, prefix, "segments");
    al_prefixed(n->segment, prefix, "segment");
    al_prefixed(n->x, prefix, "x");
    al_prefixed(n->norm, prefix, "embed_norm");
}

/* x (L x d) = embed + pos (+ segment), one record with every term. */
static al_status sum_inputs(al_matrix *x, const al_matrix *embed, const al_matrix *pos,
                            const al_matrix *segment, const al_stack_input_names *n,
                            const char *const *labels, al_trace *trace, al_error *err)
{
    al_add(x, embed, pos, NULL);
    if (segment)
        al_add(x, x, segment, NULL);
    al_tensor_info info = {.name = n->x, .role = AL_ROLE_ACTIVATION, .op = "add",
                           .inputs = {n->embed, n->pos, segment ? n->segment : NULL},
                           .row_labels = labels};
    return al_trace_matrix(trace, &info, x, err);
}

al_status al_stack_input_forward(al_layer_output *x, al_stack_input *in,
                                 const al_transformer *model, const al_sequence *seq,
                                 const char *prefix, char table_name[AL_NAME_SIZE],
                                 al_trace *trace, al_error *err)
{
    int length = seq->length;
    al_stack_input_names n;
    al_stack_input_names_init(&n, prefix);
    al_name(table_name, "%s.table", n.embed);
    al_matrix embed = al_matrix_rows(&in->embed, 0, length);
    al_matrix pos = al_matrix_rows(&in->pos, 0, length);
    al_matrix segment = al_matrix_rows(&in->segment, 0, length);
    al_matrix sum = al_matrix_rows(&in->x, 0, length);
    bool segments = model->config.segments > 0;

    /* embed (L x d_model): row i = embed.table row ids[i] */
    al_status status = al_embedding_forward(&embed, (al_named_ids){seq->ids, n.tokens, seq->labels},
                                            &model->embed, (al_trace_at){trace, n.embed}, err);
    /* pos (L x d_model): where each token sits, positions 0 .. L-1 */
    if (status == AL_OK)
        status = positions(&pos, model, n.pos, seq->labels, trace, err);
    /* segment (L x d_model): sentence A or B (BERT), 0 when not given */
    if (status == AL_OK && segments)
        status = al_embedding_forward(
            &segment,
            (al_named_ids){seq->segments ? seq->segments : in->no_segments, n.segments,
                           seq->labels},
            &model->segment, (al_trace_at){trace, n.segment}, err);
    if (status == AL_OK)
        status = sum_inputs(&sum, &embed, &pos, segments ? &segment : NULL, &n, seq->labels,
                            trace, err);
    if (status != AL_OK)
        return status;
    x->value = sum;
    x->labels = seq->labels;
    al_name(x->name, "%s", n.x);
    if (!model->config.embedding_norm)
        return AL_OK;

    /* embed_norm (L x d_model) = LayerNorm(x) */
    al_matrix norm = al_matrix_rows(&in->norm, 0, length);
    al_matrix mean = al_matrix_rows(&in->mean, 0, length);
    al_matrix var = al_matrix_rows(&in->var, 0, length);
    al_named x_sum = {.value = &sum, .name = n.x, .labels = seq->labels};
    status = al_layer_norm_forward(&norm, &mean, &var, x_sum, &model->embed_norm,
                                   (al_trace_at){.trace = trace, .name = n.norm}, err);
    x->value = norm;
    al_name(x->name, "%s", n.norm);
    return status;
}

al_status al_stack_input_backward(al_transformer *grad, al_matrix *dx, const al_stack_input *in,
                                  const al_transformer *model, const al_sequence *seq,
                                  al_error *err)
{
    int length = seq->length;
    al_status status = AL_OK;
    /* embed_norm = LayerNorm(x): back through the norm, in place */
    if (model->config.embedding_norm) {
        al_matrix x = al_matrix_rows(&in->x, 0, length);
        al_matrix mean = al_matrix_rows(&in->mean, 0, length);
        al_matrix var = al_matrix_rows(&in->var, 0, length);
        status = al_layer_norm_backward(dx, &grad->embed_norm, dx, &x, &mean, &var,
                                        &model->embed_norm, err);
    }
    /* x = embed + pos (+ segment): each term gets dx */
    if (status == AL_OK)
        status = al_embedding_backward(&grad->embed, dx, seq->ids, err);
    if (status == AL_OK && model->config.positions == AL_POSITIONS_LEARNED) {
        al_matrix first_rows = al_matrix_rows(&grad->pos_table, 0, length);
        status = al_add(&first_rows, &first_rows, dx, err);
    }
    if (status == AL_OK && model->config.segments > 0)
        status = al_embedding_backward(&grad->segment, dx,
                                       seq->segments ? seq->segments : in->no_segments, err);
    return status;
}

/* Gather the sequences into in (ids, segments, rows, blocks). */
static int gather(al_stack_input *in, const al_sequence *seqs, int count)
{
    int total = 0;
    for (int b = 0; b < count; b++) {
        for (int i = 0; i < seqs[b].length; i++) {
            in->ids[total + i] = seqs[b].ids[i];
            in->segments[total + i] = seqs[b].segments ? seqs[b].segments[i] : 0;
        }
        in->rows[b] = seqs[b].length;
        total += seqs[b].length;
    }
    in->blocks = (al_row_blocks){.count = count, .rows = in->rows};
    return total;
}

al_status al_stack_input_forward_packed(al_layer_output *x, al_stack_input *in,
                                        const al_transformer *model, const al_sequence *seqs,
                                        int count, al_error *err)
{
    int total = gather(in, seqs, count);
    al_matrix embed = al_matrix_rows(&in->embed, 0, total);
    al_matrix pos = al_matrix_rows(&in->pos, 0, total);
    al_matrix segment = al_matrix_rows(&in->segment, 0, total);
    al_matrix sum = al_matrix_rows(&in->x, 0, total);
    bool segments = model->config.segments > 0;
    al_trace_at none = {0};

    /* embed (Σ L_b x d_model): row i = embed.table row ids[i], every sequence at once */
    al_status status = al_embedding_forward(&embed, (al_named_ids){.ids = in->ids},
                                            &model->embed, none, err);
    /* pos: each sequence's own positions 0 .. L_b - 1, block by block */
    for (int b = 0, first = 0; b < count && status == AL_OK; first += in->rows[b], b++) {
        al_matrix pos_b = al_matrix_rows(&pos, first, in->rows[b]);
        status = positions(&pos_b, model, NULL, NULL, NULL, err);
    }
    if (status == AL_OK && segments)
        status = al_embedding_forward(&segment, (al_named_ids){.ids = in->segments},
                                      &model->segment, none, err);
    if (status != AL_OK)
        return status;
    /* x = embed + pos (+ segment) */
    al_add(&sum, &embed, &pos, NULL);
    if (segments)
        al_add(&sum, &sum, &segment, NULL);
    *x = (al_layer_output){.value = sum};
    if (!model->config.embedding_norm)
        return AL_OK;
    /* embed_norm (Σ L_b x d_model) = LayerNorm(x) */
    al_matrix norm = al_matrix_rows(&in->norm, 0, total);
    al_matrix mean = al_matrix_rows(&in->mean, 0, total);
    al_matrix var = al_matrix_rows(&in->var, 0, total);
    x->value = norm;
    return al_layer_norm_forward(&norm, &mean, &var, al_unnamed(&sum), &model->embed_norm,
                                 none, err);
}

al_status al_stack_input_backward_packed(al_transformer *grad, al_matrix *dx,
                                         const al_stack_input *in,
                                         const al_transformer *model, al_error *err)
{
    int total = dx->rows;
    al_status status = AL_OK;
    /* embed_norm = LayerNorm(x): back through the norm, in place */
    if (model->config.embedding_norm) {
        al_matrix x = al_matrix_rows(&in->x, 0, total);
        al_matrix mean = al_matrix_rows(&in->mean, 0, total);
        al_matrix var = al_matrix_rows(&in->var, 0, total);
        status = al_layer_norm_backward(dx, &grad->embed_norm, dx, &x, &mean, &var,
                                        &model->embed_norm, err);
    }
    /* x = embed + pos (+ segment): each term gets dx; dP[i] += dx_i of every
     * sequence's row i */
    if (status == AL_OK)
        status = al_embedding_backward(&grad->embed, dx, in->ids, err);
    for (int b = 0, first = 0; b < in->blocks.count && status == AL_OK &&
                               model->config.positions == AL_POSITIONS_LEARNED;
         first += in->rows[b], b++) {
        al_matrix first_rows = al_matrix_rows(&grad->pos_table, 0, in->rows[b]);
        al_matrix dx_b = al_matrix_rows(dx, first, in->rows[b]);
        status = al_add(&first_rows, &first_rows, &dx_b, err);
    }
    if (status == AL_OK && model->config.segments > 0)
        status = al_embedding_backward(&grad->segment, dx, in->segments, err);
    return status;
}
