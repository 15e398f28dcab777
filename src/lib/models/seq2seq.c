/* seq2seq.c: the RNN encoder-decoder's pass (equations and trace names in
 * seq2seq.h): the encoder reads the source into states; the decoder, step
 * by step, takes a context (the fixed last state, or attention over every
 * state), updates its own state and scores the vocabulary. The cells are
 * rnn_cell.c's, the attention attention.c's al_attend, the greedy choice
 * decoding.h's. */
#include "attnlab/seq2seq.h"

#include <stdio.h>
#include <stdlib.h>

#include "attnlab/decoding.h"
#include "attnlab/softmax.h"
#include "layers/linear_parts.h"

/* One record: a tensor made by op from up to three inputs (or a stack's
 * input_list) and at most one attr. role must be set: its zero is
 * AL_ROLE_INPUT. */
typedef struct record {
    const char *name, *op, *note;
    const char *inputs[3];
    const char *const *input_list;
    int n_input_list;
    al_trace_attr attr;
    const char *const *rows, *const *cols;
    al_role role;
} record;

static al_status trace_record(al_trace *trace, const record *r, const al_matrix *m,
                              al_error *err)
{
    al_tensor_info info = {.name = r->name, .role = r->role,
                           .op = r->op, .inputs = {r->inputs[0], r->inputs[1], r->inputs[2]},
                           .input_list = r->input_list, .n_input_list = r->n_input_list,
                           .attrs = {r->attr},
                           .row_labels = r->rows, .col_labels = r->cols, .note = r->note};
    return al_trace_matrix(trace, &info, m, err);
}

static al_status check_ids(const al_sequence *seq, int vocab_size, int max_length,
                           const char *what, al_error *err)
{
    if (seq->length < 1 || seq->length > max_length)
        return al_fail(err, AL_ERR_SHAPE, "seq2seq: the %s has %d tokens; the workspace holds 1 "
                       "to %d", what, seq->length, max_length);
    for (int i = 0; i < seq->length; i++)
        if (seq->ids[i] < 0 || seq->ids[i] >= vocab_size)
            return al_fail(err, AL_ERR_VALUE, "seq2seq: the %s's token %d has id %d, outside "
                           "the vocabulary (0 to %d)", what, i, seq->ids[i], vocab_size - 1);
    return AL_OK;
}

/* --- the encoder ------------------------------------------------------------------------ */

/* The decoder's start, the last encoder state: without attention it is
 * also the one context every step gets. */
static const char *start_name(const al_seq2seq *model)
{
    return model->config.attention ? AL_S2S_DEC_INIT : AL_S2S_CONTEXT;
}

static al_status trace_start(al_trace *trace, const al_seq2seq *model, const al_matrix *last,
                             int source_length, const char *const *labels, al_error *err)
{
    char note[160];
    if (model->config.attention)
        snprintf(note, sizeof note, "row %d of s2s.enc.h: the decoder starts from the "
                 "encoder's last state", source_length - 1);
    else
        snprintf(note, sizeof note, "row %d of s2s.enc.h: the bottleneck, the whole source "
                 "sentence in one vector of %d numbers, the only thing the decoder sees of it",
                 source_length - 1, last->cols);
    record r = {.name = start_name(model), .role = AL_ROLE_ACTIVATION, .op = "take_row",
                .inputs = {AL_S2S_ENC_H}, .attr = AL_ATTR("row", source_length - 1),
                .rows = labels ? labels + source_length - 1 : NULL,
                .cols = model->unit_labels, .note = note};
    return trace_record(trace, &r, last, err);
}

al_status al_seq2seq_encode(al_seq2seq_workspace *ws, const al_seq2seq *model,
                            const al_sequence *source, al_trace *trace, al_error *err)
{
    ws->source_length = 0;
    ws->steps = 0;
    al_status status = check_ids(source, model->config.vocab_size, ws->max_source, "source",
                                 err);
    if (status != AL_OK)
        return status;
    int length = source->length;
    al_matrix embed = al_matrix_rows(&ws->source_embed, 0, length);
    al_matrix states = al_matrix_rows(&ws->encoder_states, 0, length);

    /* e (S x d_e): the source words' vectors */
    status = al_embedding_forward(&embed,
                                  (al_named_ids){source->ids, AL_S2S_ENC_TOKENS, source->labels},
                                  &model->source_embed, (al_trace_at){trace, AL_S2S_ENC_EMBED},
                                  err);
    if (status == AL_OK)
        status = al_rnn_trace_params(trace, "s2s.enc", &model->encoder, err);
    record init = {.name = AL_S2S_ENC_INIT, .role = AL_ROLE_INPUT,
                   .note = "h_{-1}: the state before the first word, all zeros"};
    if (status == AL_OK)
        status = trace_record(trace, &init, &ws->zero_state, err);

    /* h_j = cell(e_j, h_{j-1}), j = 0 .. S-1: row j of s2s.enc.h */
    al_rnn_names names = {.out = "s2s.enc", .params = "s2s.enc", .x = AL_S2S_ENC_EMBED,
                          .h_init = AL_S2S_ENC_INIT, .labels = source->labels,
                          .units = model->unit_labels};
    if (status == AL_OK)
        status = al_rnn_run(&states, &ws->encoder_gates, &embed, &ws->zero_state,
                            &model->encoder, &names, trace, err);
    al_matrix last = al_matrix_rows(&states, length - 1, 1);
    if (status == AL_OK)
        status = trace_start(trace, model, &last, length, source->labels, err);
    if (status != AL_OK)
        return status;
    ws->source_length = length;
    ws->source_labels = source->labels;
    return AL_OK;
}

/* --- one decoder step ---------------------------------------------------------------- */

/* Everything step t reads and writes, as views of row t. */
typedef struct step {
    int t;
    char prefix[AL_NAME_SIZE];          /* "s2s.step3"                          */
    char context_name[AL_NAME_SIZE], input_name[AL_NAME_SIZE], h_name[AL_NAME_SIZE];
    char readout_name[AL_NAME_SIZE], logits_name[AL_NAME_SIZE], next_name[AL_NAME_SIZE];
    char probs_name[AL_NAME_SIZE];
    const char *prev_name;              /* the state before: s2s.dec.init, s2s.step2.h */
    al_matrix prev, embed, context, input, state, readout, logits, probs;
    const char *const *label;           /* the token read, or NULL               */
} step;

static void step_views(step *s, al_seq2seq_workspace *ws, const al_seq2seq *model, int t,
                       bool labelled)
{
    s->t = t;
    al_name(s->prefix, "s2s.step%d", t);
    al_name(s->input_name, "%s.input", s->prefix);
    al_name(s->h_name, "%s.h", s->prefix);
    al_name(s->readout_name, "%s.readout", s->prefix);
    al_name(s->logits_name, "%s.logits", s->prefix);
    al_name(s->probs_name, "%s.probs", s->prefix);
    al_name(s->next_name, "%s.next", s->prefix);
    if (model->config.attention)
        al_name(s->context_name, "%s.context", s->prefix);
    else
        al_name(s->context_name, "%s", AL_S2S_CONTEXT);
    s->prev = al_matrix_rows(t == 0 ? &ws->encoder_states : &ws->decoder_states,
                             t == 0 ? ws->source_length - 1 : t - 1, 1);
    s->embed = al_matrix_rows(&ws->target_embed, t, 1);
    s->context = al_matrix_rows(&ws->contexts, t, 1);
    s->input = al_matrix_rows(&ws->inputs, t, 1);
    s->state = al_matrix_rows(&ws->decoder_states, t, 1);
    s->readout = al_matrix_rows(&ws->readouts, t, 1);
    s->logits = al_matrix_rows(&ws->logits, t, 1);
    s->probs = al_matrix_rows(&ws->probs, t, 1);
    s->label = labelled ? ws->decoder_labels + t : NULL;
}

/* c_t: attention over every encoder state, with the state before the step
 * as the query; row t of the alignment receives the weights, and row t of
 * ws->scores the scores. */
static al_status attend(step *s, al_seq2seq_workspace *ws, const al_seq2seq *model,
                        al_trace *trace, al_error *err)
{
    int length = ws->source_length;
    al_matrix keys = al_matrix_rows(&ws->encoder_states, 0, length);
    al_matrix alignment_row = al_matrix_rows(&ws->alignment, s->t, 1);
    al_matrix scores_row = al_matrix_rows(&ws->scores, s->t, 1);
    al_attention_steps steps = {
        .scores = al_matrix_cols(&scores_row, 0, length),
        .weights = al_matrix_cols(&alignment_row, 0, length),
        .q_proj = ws->attention.q_proj};
    if (ws->attention.scaled.data)
        steps.scaled = al_matrix_cols(&ws->attention.scaled, 0, length);
    if (ws->attention.k_proj.data)
        steps.k_proj = al_matrix_rows(&ws->attention.k_proj, 0, length);
    al_scoring scoring = al_seq2seq_scoring(model);
    al_attention_names names = {.prefix = s->prefix, .q = s->prev_name, .k = AL_S2S_ENC_H,
                                .v = AL_S2S_ENC_H, .params = "s2s.attn",
                                .out = s->context_name, .query_labels = s->label,
                                .key_labels = ws->source_labels};
    return al_attend(&s->context, &steps, &s->prev, &keys, &keys, NULL, &scoring, &names,
                     trace, err);
}

/* out (1 x (a + b)) = [a ; b] */
static void join(al_matrix *out, const al_matrix *a, const al_matrix *b)
{
    al_matrix left = al_matrix_cols(out, 0, a->cols), right = al_matrix_cols(out, a->cols,
                                                                               b->cols);
    al_copy(&left, a, NULL);
    al_copy(&right, b, NULL);
}

/* s_t = cell([embed(y_{t-1}) ; c_t], s_{t-1}), keeping a GRU's gates in
 * row t of the workspace's gates. */
static al_status update_state(step *s, al_seq2seq_workspace *ws, const al_seq2seq *model,
                              al_trace *trace, al_error *err)
{
    join(&s->input, &s->embed, &s->context);
    char note[AL_NAME_SIZE + 48];
    snprintf(note, sizeof note, "row %d of s2s.dec.embed, then %s", s->t, s->context_name);
    record input = {.role = AL_ROLE_ACTIVATION, .name = s->input_name, .op = "concat",
                    .inputs = {AL_S2S_DEC_EMBED, s->context_name},
                    .attr = AL_ATTR("row", s->t), .rows = s->label,
                    .note = note};
    al_status status = trace_record(trace, &input, &s->input, err);
    al_rnn_gates gates = ws->decoder_gates;
    if (al_rnn_is_gru(model->config.cell)) {
        gates.z = al_matrix_rows(&ws->decoder_gates.z, s->t, 1);
        gates.r = al_matrix_rows(&ws->decoder_gates.r, s->t, 1);
        gates.n = al_matrix_rows(&ws->decoder_gates.n, s->t, 1);
    }
    al_rnn_names names = {.out = s->prefix, .params = "s2s.dec", .x = s->input_name,
                          .h_init = s->prev_name, .labels = s->label,
                          .units = model->unit_labels};
    if (status == AL_OK)
        status = al_rnn_run(&s->state, &gates, &s->input, &s->prev, &model->decoder, &names,
                            trace, err);
    return status;
}

/* logits_t = [s_t ; c_t] · W_out + b_out, probs_t = softmax, and the
 * greedy choice. */
static al_status score_words(int *token, step *s, const al_seq2seq *model,
                             const char *const *words, al_trace *trace, al_error *err)
{
    join(&s->readout, &s->state, &s->context);
    record readout = {.role = AL_ROLE_ACTIVATION, .name = s->readout_name, .op = "concat",
                      .inputs = {s->h_name, s->context_name}, .rows = s->label};
    al_status status = trace_record(trace, &readout, &s->readout, err);
    if (status == AL_OK)
        status = al_linear_apply(&s->logits, &s->readout, &model->output, "s2s.output", err);
    record logits = {.role = AL_ROLE_ACTIVATION, .name = s->logits_name, .op = "linear",
                     .inputs = {s->readout_name, "s2s.output.w", "s2s.output.b"},
                     .rows = s->label, .cols = words};
    if (status == AL_OK)
        status = trace_record(trace, &logits, &s->logits, err);
    if (status == AL_OK)
        status = al_softmax_rows(&s->probs, &s->logits, 1.0f, NULL, err);
    record probs = {.name = s->probs_name, .op = "softmax_rows", .inputs = {s->logits_name},
                    .rows = s->label, .cols = words, .role = AL_ROLE_OUTPUT};
    if (status == AL_OK)
        status = trace_record(trace, &probs, &s->probs, err);
    if (status == AL_OK)
        status = al_greedy(token, (al_named){&s->logits, s->logits_name, NULL}, words,
                           (al_trace_at){trace, s->next_name}, err);
    return status;
}

/* --- the decoder ------------------------------------------------------------------------ */

/* The parameters every step shares, recorded once. */
static al_status trace_decoder_params(al_trace *trace, const al_seq2seq *model, al_error *err)
{
    al_status status = al_rnn_trace_params(trace, "s2s.dec", &model->decoder, err);
    al_scoring scoring = al_seq2seq_scoring(model);
    if (status == AL_OK && model->config.attention)
        status = al_trace_score_params(trace, "s2s.attn", &scoring, err);
    record w = {.name = "s2s.output.w", .role = AL_ROLE_PARAM};
    record b = {.name = "s2s.output.b", .role = AL_ROLE_PARAM};
    if (status == AL_OK)
        status = trace_record(trace, &w, &model->output.w, err);
    if (status == AL_OK)
        status = trace_record(trace, &b, &model->output.b, err);
    return status;
}

char *al_s2s_step_name(char buf[AL_NAME_SIZE], int t, const char *what)
{
    return al_name(buf, "s2s.step%d.%s", t, what);
}

/* The names "s2s.step<t>.<what>" for t = 0 .. steps - 1, the inputs of a
 * stack: names[t] points into text (steps x AL_NAME_SIZE). */
static void step_names(const char **names, char (*text)[AL_NAME_SIZE], int steps,
                       const char *what)
{
    for (int t = 0; t < steps; t++)
        names[t] = al_s2s_step_name(text[t], t, what);
}

/* The stacked records, once every step is done: the decoder's inputs, its
 * states and the alignment, each listing the step records it stacks. */
static al_status trace_stacks(al_trace *trace, al_seq2seq_workspace *ws,
                              const al_seq2seq *model, bool labelled, al_error *err)
{
    int steps = ws->steps;
    al_matrix embed = al_matrix_rows(&ws->target_embed, 0, steps);
    al_named_ids ids = {ws->decoder_ids, AL_S2S_DEC_TOKENS,
                        labelled ? ws->decoder_labels : NULL};
    al_status status = al_embedding_forward(&embed, ids, &model->target_embed,
                                            (al_trace_at){trace, AL_S2S_DEC_EMBED}, err);
    if (status != AL_OK || !trace)
        return status;
    /* one name per step; freed below whatever happens */
    const char **names = malloc((size_t)steps * sizeof *names);
    char (*text)[AL_NAME_SIZE] = malloc((size_t)steps * sizeof *text);
    if (!names || !text)
        status = al_fail(err, AL_ERR_NOMEM, "seq2seq: out of memory naming %d steps", steps);
    al_matrix states = al_matrix_rows(&ws->decoder_states, 0, steps);
    if (status == AL_OK) {
        step_names(names, text, steps, "h");
        record h = {.role = AL_ROLE_ACTIVATION, .name = AL_S2S_DEC_H, .op = "stack_steps",
                    .input_list = names, .n_input_list = steps,
                    .rows = labelled ? ws->decoder_labels : NULL, .cols = model->unit_labels,
                    .note = "row t is s2s.step<t>.h, the decoder's state after step t"};
        status = trace_record(trace, &h, &states, err);
    }
    al_matrix rows = al_matrix_rows(&ws->alignment, 0, steps);
    al_matrix alignment = al_matrix_cols(&rows, 0, ws->source_length);
    if (status == AL_OK && model->config.attention) {
        step_names(names, text, steps, "weights");
        record a = {.name = AL_S2S_ALIGNMENT, .op = "stack_steps", .role = AL_ROLE_OUTPUT,
                    .input_list = names, .n_input_list = steps,
                    .rows = labelled ? ws->output_labels : NULL, .cols = ws->source_labels,
                    .note = "row t is s2s.step<t>.weights, labelled by the word step t "
                            "produced"};
        status = trace_record(trace, &a, &alignment, err);
    }
    free(text);
    free(names);
    return status;
}

/* The token step t reads, y_{t-1} (<bos> first), and its label. */
static void read_token(al_seq2seq_workspace *ws, int t, const int *tokens,
                       const al_sequence *target, const char *const *words, bool *labelled)
{
    int id = t == 0 ? AL_TOKEN_BOS : target ? target->ids[t - 1] : tokens[t - 1];
    const char *label = t == 0                          ? "<bos>"
                        : target && target->labels      ? target->labels[t - 1]
                        : words                         ? words[id]
                                                        : NULL;
    ws->decoder_ids[t] = id;
    ws->decoder_labels[t] = label;
    *labelled = *labelled && label;
}

static al_status decoder_step(int *token, al_seq2seq_workspace *ws, const al_seq2seq *model,
                              int t, bool labelled, const char *const *words, al_trace *trace,
                              al_error *err)
{
    step s;
    step_views(&s, ws, model, t, labelled);
    char prev_name[AL_NAME_SIZE];
    s.prev_name = t == 0 ? start_name(model) : al_s2s_step_name(prev_name, t - 1, "h");
    /* the word vector of y_{t-1}; traced with the others as s2s.dec.embed */
    al_status status = al_embedding_forward(&s.embed, (al_named_ids){.ids = ws->decoder_ids + t},
                                            &model->target_embed, (al_trace_at){0}, err);
    /* c_t: attended, or the one fixed context */
    if (status == AL_OK && model->config.attention) {
        status = attend(&s, ws, model, trace, err);
    } else if (status == AL_OK) {
        al_matrix last = al_matrix_rows(&ws->encoder_states, ws->source_length - 1, 1);
        al_copy(&s.context, &last, NULL);
    }
    if (status == AL_OK)
        status = update_state(&s, ws, model, trace, err);
    if (status == AL_OK)
        status = score_words(token, &s, model, words, trace, err);
    return status;
}

static al_status check_decode(const al_seq2seq_workspace *ws, const al_seq2seq *model,
                              const al_sequence *target, int max_steps, al_error *err)
{
    if (ws->source_length == 0)
        return al_fail(err, AL_ERR_ARG, "seq2seq: encode the source before decoding");
    if (target)
        return check_ids(target, model->config.vocab_size, ws->max_steps, "target", err);
    if (max_steps < 1 || max_steps > ws->max_steps)
        return al_fail(err, AL_ERR_SHAPE, "seq2seq: %d steps asked for; the workspace holds 1 "
                       "to %d", max_steps, ws->max_steps);
    return AL_OK;
}

al_status al_seq2seq_decode(int *tokens, int *length, al_seq2seq_workspace *ws,
                            const al_seq2seq *model, const al_sequence *target, int max_steps,
                            const char *const *words, al_trace *trace, al_error *err)
{
    *length = 0;
    al_status status = check_decode(ws, model, target, max_steps, err);
    if (status == AL_OK)
        status = trace_decoder_params(trace, model, err);
    int steps = target ? target->length : max_steps;
    bool labelled = true;
    ws->steps = 0;
    for (int t = 0; t < steps && status == AL_OK; t++) {
        read_token(ws, t, tokens, target, words, &labelled);
        status = decoder_step(&tokens[t], ws, model, t, labelled, words, trace, err);
        if (status != AL_OK)
            break;
        ws->steps = t + 1;
        /* the word step t produced: the target's (teacher forcing) or its choice */
        ws->output_labels[t] = target && target->labels ? target->labels[t]
                               : words                  ? words[target ? target->ids[t]
                                                                       : tokens[t]]
                                                        : NULL;
        if (!target && tokens[t] == AL_TOKEN_EOS)
            break;
    }
    bool outputs_labelled = labelled;
    for (int t = 0; t < ws->steps; t++)
        outputs_labelled = outputs_labelled && ws->output_labels[t];
    if (status == AL_OK && trace)
        status = trace_stacks(trace, ws, model, labelled && outputs_labelled, err);
    *length = ws->steps;
    return status;
}
