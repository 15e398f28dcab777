/* beam_search.c: beam search over a caller's step function (see
 * beam_search.h for the rules). All memory is taken by al_beam_alloc; a
 * run allocates nothing. Sampling and greedy choice are sampling.c. */
#include "attnlab/beam_search.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/traced.h"

void al_beam_free(al_beam_search *search)
{
    free(search->tokens);
    free(search->lengths);
    free(search->scores);
    free(search->finished);
    free(search->next_tokens);
    free(search->next_lengths);
    free(search->next_scores);
    free(search->next_finished);
    free(search->parent);
    free(search->extension);
    free(search->candidate_scores);
    free(search->label_text);
    free(search->labels);
    al_matrix_free(&search->logits);
    al_matrix_free(&search->score_column);
    *search = (al_beam_search){0};
}

static al_status check_options(const al_beam_options *options, int vocab_size, al_error *err)
{
    if (options->width < 1 || options->width > vocab_size)
        return al_fail(err, AL_ERR_VALUE, "beam search: width must be between 1 and V = %d, "
                       "not %d", vocab_size, options->width);
    if (options->max_length < 1 || options->max_length > AL_MATRIX_MAX_DIM)
        return al_fail(err, AL_ERR_VALUE, "beam search: max_length must be at least 1, not %d",
                       options->max_length);
    if (options->bos_id < 0 || options->bos_id >= vocab_size || options->eos_id < 0 ||
        options->eos_id >= vocab_size)
        return al_fail(err, AL_ERR_VALUE, "beam search: <bos> %d and <eos> %d must be ids "
                       "in the vocabulary (0 to %d)", options->bos_id, options->eos_id,
                       vocab_size - 1);
    return AL_OK;
}

al_status al_beam_alloc(al_beam_search *search, const al_beam_options *options, int vocab_size,
                        al_error *err)
{
    *search = (al_beam_search){.options = *options, .vocab_size = vocab_size};
    al_status status = check_options(options, vocab_size, err);
    if (status != AL_OK)
        return status;
    size_t width = (size_t)options->width, row = (size_t)options->max_length + 1;
    search->tokens = malloc(width * row * sizeof(int));
    search->next_tokens = malloc(width * row * sizeof(int));
    search->lengths = malloc(width * sizeof(int));
    search->next_lengths = malloc(width * sizeof(int));
    search->scores = malloc(width * sizeof(double));
    search->next_scores = malloc(width * sizeof(double));
    search->candidate_scores = malloc(width * sizeof(double));
    search->finished = malloc(width * sizeof(bool));
    search->next_finished = malloc(width * sizeof(bool));
    search->parent = malloc(width * sizeof(int));
    search->extension = malloc(width * sizeof(int));
    search->label_text = malloc(width * AL_BEAM_LABEL_SIZE);
    search->labels = malloc(width * sizeof(char *));
    bool all = search->tokens && search->next_tokens && search->lengths &&
               search->next_lengths && search->scores && search->next_scores &&
               search->candidate_scores && search->finished && search->next_finished &&
               search->parent && search->extension && search->label_text && search->labels;
    if (!all)
        status = al_fail(err, AL_ERR_NOMEM, "out of memory for a beam search of width %d",
                         options->width);
    if (status == AL_OK)
        status = al_matrix_alloc(&search->logits, 1, vocab_size, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&search->score_column, options->width, 1, err);
    if (status != AL_OK) {
        al_beam_free(search);
        return status;
    }
    for (size_t b = 0; b < width; b++)
        search->labels[b] = search->label_text + b * AL_BEAM_LABEL_SIZE;
    return AL_OK;
}

/* Beam b's tokens: row b of a width x (max_length + 1) array. */
static int *beam_row(const al_beam_search *search, int *tokens, int b)
{
    return tokens + (size_t)b * ((size_t)search->options.max_length + 1);
}

/* Offer a candidate (score, extending beam parent by token, or -1 to carry
 * a finished beam over) to the list of the best `width` so far, kept in
 * decreasing order. Candidates arrive by parent, then token, so placing a
 * newcomer after every equal score makes ties go to the earlier beam and
 * then the lower token id. *count is the list's length. */
static void offer(al_beam_search *search, int *count, double score, int parent, int token)
{
    int width = search->options.width;
    int position = *count;
    while (position > 0 && search->candidate_scores[position - 1] < score)
        position--;
    if (position >= width)
        return;
    int last = *count < width ? *count : width - 1;
    for (int c = last; c > position; c--) {
        search->candidate_scores[c] = search->candidate_scores[c - 1];
        search->parent[c] = search->parent[c - 1];
        search->extension[c] = search->extension[c - 1];
    }
    search->candidate_scores[position] = score;
    search->parent[position] = parent;
    search->extension[position] = token;
    if (*count < width)
        (*count)++;
}

/* Offer every continuation of unfinished beam b:
 * log p(v) = (s_v - max) - log Σ_u exp(s_u - max)   (log softmax, in double;
 * the max is subtracted for the same reason as in softmax.h). A logit of
 * -inf is a token the model rules out; it is not offered. */
static al_status extend_beam(al_beam_search *search, int *count, int b, al_error *err)
{
    const al_matrix *logits = &search->logits;
    double max = -INFINITY;
    for (int v = 0; v < logits->cols; v++) {
        float s = *al_at(logits, 0, v);
        if (isnan(s) || s == INFINITY)
            return al_fail(err, AL_ERR_VALUE, "beam search: the step function gave logit %d "
                           "= %g", v, (double)s);
        max = fmax(max, s);
    }
    if (max == -INFINITY)
        return al_fail(err, AL_ERR_VALUE, "beam search: the step function ruled out every "
                       "token (all logits -inf)");
    double sum = 0.0;
    for (int v = 0; v < logits->cols; v++)
        sum += exp(*al_at(logits, 0, v) - max);
    double log_sum = log(sum);
    for (int v = 0; v < logits->cols; v++) {
        float s = *al_at(logits, 0, v);
        if (s != -INFINITY)
            offer(search, count, search->scores[b] + ((s - max) - log_sum), b, v);
    }
    return AL_OK;
}

/* The surviving candidates become the beams of the next step. */
static void advance(al_beam_search *search, int count)
{
    for (int c = 0; c < count; c++) {
        int p = search->parent[c], token = search->extension[c];
        int *from = beam_row(search, search->tokens, p);
        int *to = beam_row(search, search->next_tokens, c);
        memcpy(to, from, (size_t)search->lengths[p] * sizeof(int));
        search->next_lengths[c] = search->lengths[p];
        if (token >= 0)
            to[search->next_lengths[c]++] = token;
        search->next_scores[c] = search->candidate_scores[c];
        search->next_finished[c] = search->finished[p] || token == search->options.eos_id;
    }
    /* swap the two generations */
    int *t = search->tokens; search->tokens = search->next_tokens; search->next_tokens = t;
    int *l = search->lengths; search->lengths = search->next_lengths; search->next_lengths = l;
    double *s = search->scores; search->scores = search->next_scores; search->next_scores = s;
    bool *f = search->finished; search->finished = search->next_finished;
    search->next_finished = f;
    search->count = count;
}

/* "<bos> the cat", cut short with "..." if it does not fit. */
static void write_label(char *label, const int *tokens, int length, const char *const *words)
{
    size_t used = 0;
    label[0] = '\0';
    for (int i = 0; i < length; i++) {
        char number[16];
        const char *word = words ? words[tokens[i]] : number;
        if (!words)
            snprintf(number, sizeof number, "%d", tokens[i]);
        size_t need = strlen(word) + (i > 0);
        if (used + need + 4 > AL_BEAM_LABEL_SIZE) {
            strcpy(label + used, "...");
            return;
        }
        used += (size_t)snprintf(label + used, AL_BEAM_LABEL_SIZE - used, "%s%s",
                                 i > 0 ? " " : "", word);
    }
}

static al_status trace_step(al_beam_search *search, int step, al_trace *trace,
                            const char *name, const char *const *words, al_error *err)
{
    char step_name[AL_NAME_SIZE];
    al_name(step_name, "%s.step%d.scores", name, step);
    if (!al_trace_wants(trace, step_name))
        return AL_OK;
    for (int b = 0; b < search->count; b++) {
        write_label(search->label_text + (size_t)b * AL_BEAM_LABEL_SIZE,
                    beam_row(search, search->tokens, b), search->lengths[b], words);
        *al_at(&search->score_column, b, 0) = (float)search->scores[b];
    }
    al_matrix column = al_matrix_rows(&search->score_column, 0, search->count);
    static const char *const heading[] = {"log p"};
    const al_beam_options *o = &search->options;
    al_tensor_info info = {.name = step_name, .role = AL_ROLE_ACTIVATION, .op = "beam_search",
                           .inputs = {o->model_table},
                           .attrs = {AL_ATTR("step", step), AL_ATTR("width", o->width),
                                     AL_ATTR("max_length", o->max_length),
                                     AL_ATTR("bos", o->bos_id), AL_ATTR("eos", o->eos_id),
                                     AL_ATTR_TEXT("model", o->model ? o->model : "untraced")},
                           .row_labels = search->labels, .col_labels = heading,
                           .note = "sum of the log-probabilities of each surviving beam's "
                                   "tokens, best first"};
    return al_trace_matrix(trace, &info, &column, err);
}

static bool all_finished(const al_beam_search *search)
{
    for (int b = 0; b < search->count; b++)
        if (!search->finished[b])
            return false;
    return true;
}

/* One step: offer every extension of every beam, keep the best. */
static al_status search_step(al_beam_search *search, al_next_logits next_logits,
                             void *context, al_error *err)
{
    int count = 0;
    for (int b = 0; b < search->count; b++) {
        if (search->finished[b]) {
            offer(search, &count, search->scores[b], b, -1);
            continue;
        }
        al_status status = next_logits(&search->logits, beam_row(search, search->tokens, b),
                                       search->lengths[b], context, err);
        if (status == AL_OK)
            status = extend_beam(search, &count, b, err);
        if (status != AL_OK)
            return status;
    }
    advance(search, count);
    return AL_OK;
}

al_status al_beam_run(int *tokens, int *length, double *score, al_beam_search *search,
                      al_next_logits next_logits, void *context, al_trace *trace,
                      const char *name, const char *const *words, al_error *err)
{
    al_status status = need_name_when_tracing(trace, name, "beam search", err);
    if (status != AL_OK)
        return status;
    /* one beam holding <bos>, with log-probability 0 (probability 1) */
    search->count = 1;
    search->tokens[0] = search->options.bos_id;
    search->lengths[0] = 1;
    search->scores[0] = 0.0;
    search->finished[0] = false;

    for (int step = 0; step < search->options.max_length && !all_finished(search); step++) {
        status = search_step(search, next_logits, context, err);
        if (status == AL_OK)
            status = trace_step(search, step, trace, name, words, err);
        if (status != AL_OK)
            return status;
    }
    /* beam 0 has the best score; report it without its <bos> */
    *length = search->lengths[0] - 1;
    memcpy(tokens, search->tokens + 1, (size_t)*length * sizeof(int));
    *score = search->scores[0];
    return AL_OK;
}
