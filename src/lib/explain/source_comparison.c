/* source_comparison.c: a second source through the same RNN encoder, and
 * the distance between the two encoders' states after every token
 * (equations and trace names in source_comparison.h). The encoding is
 * embedding.c's lookup and rnn_cell.c's run; the distance distance.h's. */
#include "attnlab/source_comparison.h"

#include <stdio.h>

#include "attention/distance.h"

void al_source_comparison_free(al_source_comparison *comparison)
{
    al_matrix_free(&comparison->embed);
    al_matrix_free(&comparison->states);
    al_rnn_gates_free(&comparison->gates);
    al_matrix_free(&comparison->distance);
    al_matrix_free(&comparison->kept);
    *comparison = (al_source_comparison){0};
}

al_status al_source_comparison_alloc(al_source_comparison *comparison, const al_seq2seq *model,
                                     int max_source, al_error *err)
{
    *comparison = (al_source_comparison){.max_source = max_source, .first_difference = -1};
    if (max_source < 1 || max_source > AL_MATRIX_MAX_DIM)
        return al_fail(err, AL_ERR_ARG, "source comparison: cannot hold %d source tokens",
                       max_source);
    const al_seq2seq_config *c = &model->config;
    al_status status = al_matrix_alloc(&comparison->embed, max_source, c->d_embed, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&comparison->states, max_source, c->d_hidden, err);
    if (status == AL_OK)
        status = al_rnn_gates_alloc(&comparison->gates, &model->encoder, max_source, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&comparison->distance, 1, max_source, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&comparison->kept, 1, max_source, err);
    if (status != AL_OK)
        al_source_comparison_free(comparison);
    return status;
}

static al_status check_sources(const al_source_comparison *comparison,
                               const al_seq2seq_workspace *ws, const al_sequence *other,
                               al_error *err)
{
    if (ws->source_length == 0)
        return al_fail(err, AL_ERR_ARG, "source comparison: encode the first source before "
                       "comparing another with it");
    if (other->length != ws->source_length)
        return al_fail(err, AL_ERR_SHAPE, "source comparison: the sources have %d and %d "
                       "tokens; they must have as many, to be compared token by token",
                       ws->source_length, other->length);
    if (other->length > comparison->max_source)
        return al_fail(err, AL_ERR_SHAPE, "source comparison: the sources have %d tokens; the "
                       "comparison holds 1 to %d", other->length, comparison->max_source);
    return AL_OK;
}

/* e' (S x d_e) = the second source's vectors; h'_j = cell(e'_j, h'_{j-1}),
 * from the same zero state and with the same parameters as the first. */
static al_status encode_other(al_source_comparison *comparison, const al_seq2seq_workspace *ws,
                              const al_seq2seq *model, const al_sequence *other,
                              al_trace *trace, al_error *err)
{
    int length = other->length;
    al_matrix embed = al_matrix_rows(&comparison->embed, 0, length);
    al_matrix states = al_matrix_rows(&comparison->states, 0, length);
    al_status status = al_embedding_forward(
        &embed, (al_named_ids){other->ids, "s2s.compare.enc.tokens", other->labels},
        &model->source_embed, (al_trace_at){trace, "s2s.compare.enc.embed"}, err);
    al_rnn_names names = {.out = "s2s.compare.enc", .params = "s2s.enc",
                          .x = "s2s.compare.enc.embed", .h_init = "s2s.enc.init",
                          .labels = other->labels, .units = model->unit_labels};
    if (status == AL_OK)
        status = al_rnn_run(&states, &comparison->gates, &embed, &ws->zero_state,
                            &model->encoder, &names, trace, err);
    return status;
}

/* d_j = ‖h_j − h'_j‖, summed in double; f = the first j with d_j > 0. */
static void measure_distances(al_source_comparison *comparison, const al_seq2seq_workspace *ws)
{
    comparison->first_difference = -1;
    for (int j = 0; j < comparison->length; j++) {
        double distance = al_distance(&ws->encoder_states, j, &comparison->states, j);
        *al_at(&comparison->distance, 0, j) = (float)distance;
        if (distance > 0.0 && comparison->first_difference < 0)
            comparison->first_difference = j;
    }
}

/* kept_j = d_j / d_f: the share of the first difference still carried
 * after token j (0 everywhere when the states never part). */
static void relative_to_first(al_source_comparison *comparison)
{
    int f = comparison->first_difference;
    double first = f < 0 ? 0.0 : (double)*al_at(&comparison->distance, 0, f);
    for (int j = 0; j < comparison->length; j++)
        *al_at(&comparison->kept, 0, j) =
            f < 0 ? 0.0f : (float)((double)*al_at(&comparison->distance, 0, j) / first);
}

static al_status trace_distances(al_trace *trace, const al_source_comparison *comparison,
                                 const char *const *labels, al_error *err)
{
    al_matrix distance = al_matrix_cols(&comparison->distance, 0, comparison->length);
    al_matrix kept = al_matrix_cols(&comparison->kept, 0, comparison->length);
    al_tensor_info info = {.name = "s2s.compare.distance", .role = AL_ROLE_OUTPUT,
                           .op = "row_distance", .inputs = {"s2s.enc.h", "s2s.compare.enc.h"},
                           .col_labels = labels,
                           .note = "entry j is ‖h_j − h'_j‖, how far apart the two encoders' "
                                   "states are after token j"};
    al_status status = al_trace_matrix(trace, &info, &distance, err);
    char note[160];
    if (comparison->first_difference < 0)
        snprintf(note, sizeof note, "the states never part: every entry is 0");
    else
        snprintf(note, sizeof note, "s2s.compare.distance divided by its entry %d, the first "
                 "token where the states part", comparison->first_difference);
    al_tensor_info kept_info = {.name = "s2s.compare.kept", .role = AL_ROLE_OUTPUT,
                                .op = "ratio", .inputs = {"s2s.compare.distance"},
                                .attrs = {AL_ATTR("f", comparison->first_difference)},
                                .col_labels = labels, .note = note};
    if (status == AL_OK)
        status = al_trace_matrix(trace, &kept_info, &kept, err);
    return status;
}

al_status al_compare_sources(al_source_comparison *comparison, const al_seq2seq_workspace *ws,
                             const al_seq2seq *model, const al_sequence *other,
                             const char *const *labels, al_trace *trace, al_error *err)
{
    comparison->length = 0;
    comparison->first_difference = -1;
    al_status status = check_sources(comparison, ws, other, err);
    if (status == AL_OK)
        status = encode_other(comparison, ws, model, other, trace, err);
    if (status != AL_OK)
        return status;
    comparison->length = other->length;
    measure_distances(comparison, ws);
    relative_to_first(comparison);
    return trace_distances(trace, comparison, labels ? labels : ws->source_labels, err);
}
