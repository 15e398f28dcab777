/* test_train_seq2seq_trace.c: al_seq2seq_train_step_traced (seq2seq_train.h)
 * against the untraced step of a twin model: read back with traceio, the
 * trace holds every P before the step, every P.grad with the trainer's
 * gradient values, train.loss equal to the returned loss (and to the
 * counted mean of the pairs' losses), every P.new equal to the model after
 * the step, each pair's pass under its prefix batch<b>.; and tracing
 * changes no number: the traced and untraced models, and their AdamW
 * moments, end the same bytes. A trace filter sees the prefixed names.
 *
 * Can it fail? Tried, then undone: the first gradient scaled by 1.001 in
 * seq2seq_train_step.c after it is traced, in traced steps only, fails the
 * P.grad check (s2s.enc.embed.table.grad (6, 0) -0.0092689944 in the trace,
 * -0.0092597343 in the trainer) and the same-bytes test (s2s.enc.embed.table
 * row 6); each pair's loss recorded times 1.0001 fails the mean-of-pairs
 * check (2.53373128 against 2.53347799, tolerance 1.0e-6).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "attnlab/seq2seq_train.h"
#include "attnlab/trace_file.h"
#include "check.h"

/* V: the 6 specials and 8 words (ids 6 .. 13) */
enum { V = 14, MAX_SOURCE = 6, MAX_TARGET = 6, MAX_TENSORS = 32 };

static const char *const WORDS[V] = {"<pad>", "<unk>", "<bos>", "<eos>", "<mask>", "<cls>",
                                     "a",     "b",     "c",     "d",     "e",      "f",
                                     "g",     "h"};

static void make_model(al_seq2seq *model, al_rnn_kind cell, al_score_kind score)
{
    al_seq2seq_config config = {.cell = cell, .vocab_size = V, .d_embed = 4, .d_hidden = 5,
                                .attention = true, .score = score,
                                .d_attention = score == AL_SCORE_ADDITIVE ? 3 : 0};
    assert_int_equal(al_seq2seq_alloc(model, &config, NULL), AL_OK);
    al_rng rng;
    al_rng_seed(&rng, 11, 0);
    al_seq2seq_init(model, &rng);
}

/* Three pairs of different lengths; the second's step 1 is not scored. */
static const int SOURCE_0[3] = {6, 7, 8}, TARGET_0[4] = {8, 7, 6, AL_TOKEN_EOS};
static const int SOURCE_1[4] = {9, 10, 9, 11}, TARGET_1[3] = {12, AL_TOKEN_PAD, 13};
static const int SCORED_1[3] = {12, AL_IGNORE_TARGET, 13};
static const int SOURCE_2[2] = {13, 6}, TARGET_2[2] = {6, AL_TOKEN_EOS};

static void three_pairs(al_seq2seq_pair pairs[3])
{
    pairs[0] = (al_seq2seq_pair){{.length = 3, .ids = SOURCE_0}, {.length = 4, .ids = TARGET_0},
                                 NULL};
    pairs[1] = (al_seq2seq_pair){{.length = 4, .ids = SOURCE_1}, {.length = 3, .ids = TARGET_1},
                                 SCORED_1};
    pairs[2] = (al_seq2seq_pair){{.length = 2, .ids = SOURCE_2}, {.length = 2, .ids = TARGET_2},
                                 NULL};
}

/* A real rate and decay, so that the step changes every weight; clip_norm
 * as given (0: the gradients the trainer keeps are those before clipping). */
static al_train_settings settings(double clip_norm)
{
    return (al_train_settings){.adamw = AL_ADAMW_DEFAULTS,
                               .schedule = {.max_lr = 0.01, .min_lr = 0.001, .warmup = 1,
                                            .total = 10},
                               .clip_norm = clip_norm};
}

/* A twin model and trainer, one untraced step already taken by both (so
 * that AdamW's moments are not 0 when the traced step finds them). */
typedef struct twins {
    al_seq2seq plain_model, traced_model;
    al_seq2seq_trainer plain, traced;
    al_seq2seq_pair pairs[3];
    al_train_settings settings;
    char folder[64], path[96];
} twins;

static void twins_make(twins *w, al_rnn_kind cell, al_score_kind score, double clip_norm)
{
    make_model(&w->plain_model, cell, score);
    make_model(&w->traced_model, cell, score);
    assert_int_equal(al_seq2seq_trainer_alloc(&w->plain, &w->plain_model, MAX_SOURCE,
                                              MAX_TARGET, NULL), AL_OK);
    assert_int_equal(al_seq2seq_trainer_alloc(&w->traced, &w->traced_model, MAX_SOURCE,
                                              MAX_TARGET, NULL), AL_OK);
    three_pairs(w->pairs);
    w->settings = settings(clip_norm);
    assert_int_equal(al_seq2seq_train_step(&w->plain, &w->plain_model, w->pairs, 3,
                                           &w->settings, NULL, NULL, NULL), AL_OK);
    assert_int_equal(al_seq2seq_train_step(&w->traced, &w->traced_model, w->pairs, 3,
                                           &w->settings, NULL, NULL, NULL), AL_OK);
    snprintf(w->folder, sizeof w->folder, "/tmp/attnlab_s2s_trace_XXXXXX");
    assert_non_null(mkdtemp(w->folder));
    snprintf(w->path, sizeof w->path, "%s/step.jsonl", w->folder);
}

static void twins_free(twins *w)
{
    unlink(w->path);
    rmdir(w->folder);
    al_seq2seq_trainer_free(&w->plain), al_seq2seq_trainer_free(&w->traced);
    al_seq2seq_free(&w->plain_model), al_seq2seq_free(&w->traced_model);
}

/* The traced step (filter NULL: everything) into w->path, read back. */
static al_trace_file *traced_step(twins *w, const char *filter, double *loss)
{
    al_trace *trace;
    al_trace_options options = {.program = "test_train_seq2seq_trace", .filter = filter};
    al_error err = {0};
    assert_int_equal(al_trace_open(&trace, w->path, &options, &err), AL_OK);
    al_status status = al_seq2seq_train_step_traced(&w->traced, &w->traced_model, w->pairs, 3,
                                                    &w->settings, loss, NULL, WORDS, trace,
                                                    &err);
    if (status != AL_OK)
        fail_msg("traced step: %s", err.message);
    assert_int_equal(al_trace_close(trace, &err), AL_OK);
    al_trace_file *file;
    if (al_trace_file_read(&file, w->path, &err) != AL_OK)
        fail_msg("reading the trace back: %s", err.message);
    return file;
}

static const al_trace_tensor *find(const al_trace_file *file, const char *name)
{
    const al_trace_tensor *t = al_trace_file_find(file, name);
    if (!t)
        fail_msg("the trace has no record '%s'", name);
    return t;
}

/* The record holds m's numbers exactly: a trace writes each float32 as its
 * shortest exact text, so reading it back gives the same bits. */
static void assert_record_is(const al_trace_file *file, const char *name, const al_matrix *m)
{
    const al_trace_tensor *t = find(file, name);
    assert_int_equal(t->rows, m->rows);
    assert_int_equal(t->cols, m->cols);
    for (int i = 0; i < m->rows; i++)
        for (int j = 0; j < m->cols; j++)
            if (al_trace_tensor_at(t, i, j) != *al_at(m, i, j))
                fail_msg("%s (%d, %d) = %.9g in the trace, %.9g in the trainer (the same "
                         "bits expected)", name, i, j, (double)al_trace_tensor_at(t, i, j),
                         (double)*al_at(m, i, j));
}

/* A copy of every parameter of trainer's model, before the step. */
static float **snapshot(const al_seq2seq_trainer *trainer)
{
    float **copies = calloc((size_t)trainer->count, sizeof *copies);
    assert_non_null(copies);
    for (int k = 0; k < trainer->count; k++) {
        const al_matrix *p = trainer->params[k];
        copies[k] = malloc((size_t)p->rows * p->cols * sizeof **copies);
        assert_non_null(copies[k]);
        for (int i = 0; i < p->rows; i++)
            memcpy(copies[k] + (long)i * p->cols, al_at(p, i, 0), p->cols * sizeof **copies);
    }
    return copies;
}

static void free_snapshot(float **copies, int count)
{
    for (int k = 0; k < count; k++)
        free(copies[k]);
    free(copies);
}

static void the_trace_holds_the_step(void **state)
{
    (void)state;
    twins w;
    twins_make(&w, AL_RNN_GRU, AL_SCORE_ADDITIVE, 0.0);
    float **before = snapshot(&w.traced);
    al_matrix *before_m[MAX_TENSORS], *before_v[MAX_TENSORS];
    al_seq2seq m_copy, v_copy;   /* the moments as the step finds them */
    assert_int_equal(al_seq2seq_alloc(&m_copy, &w.traced_model.config, NULL), AL_OK);
    assert_int_equal(al_seq2seq_alloc(&v_copy, &w.traced_model.config, NULL), AL_OK);
    al_seq2seq_param_list(&m_copy, before_m, NULL, MAX_TENSORS);
    al_seq2seq_param_list(&v_copy, before_v, NULL, MAX_TENSORS);
    for (int k = 0; k < w.traced.count; k++) {
        al_copy(before_m[k], w.traced.ms[k], NULL);
        al_copy(before_v[k], w.traced.vs[k], NULL);
    }
    double loss = 0.0;
    al_trace_file *file = traced_step(&w, NULL, &loss);
    assert_same_float(al_trace_tensor_at(find(file, "train.loss"), 0, 0), (float)loss);
    assert_same_float(al_trace_tensor_at(find(file, "train.step"), 0, 0), 2.0f);
    for (int k = 0; k < w.traced.count; k++) {
        const char *name = w.traced.names[k];
        char full[AL_NAME_SIZE];
        const al_matrix *p = w.traced.params[k];
        al_matrix old = {.rows = p->rows, .cols = p->cols, .stride = p->cols,
                         .data = before[k]};
        assert_record_is(file, name, &old);
        assert_record_is(file, al_name(full, "%s.m", name), before_m[k]);
        assert_record_is(file, al_name(full, "%s.v", name), before_v[k]);
        /* no clipping: the trainer keeps the gradients as they were traced */
        assert_record_is(file, al_name(full, "%s.grad", name), w.traced.grads[k]);
        assert_record_is(file, al_name(full, "%s.new", name), p);
    }
    /* train.loss is the counted mean of the pairs' losses: 4, 2 and 2 scored
     * steps; each pair's loss is recorded in float32, so the mean of the
     * recorded ones is within a few float32 roundings (6e-8 each) of it */
    double weighted = 0.0;
    const int counted[3] = {4, 2, 2};
    for (int b = 0; b < 3; b++) {
        char name[AL_NAME_SIZE];
        weighted += counted[b] * al_trace_tensor_at(find(file, al_name(name, "batch%d.loss", b)),
                                                    0, 0);
    }
    assert_close(weighted / 8, loss, 4e-7 * loss);
    al_trace_file_free(file);
    free_snapshot(before, w.traced.count);
    al_seq2seq_free(&m_copy), al_seq2seq_free(&v_copy);
    twins_free(&w);
}

/* Every pair's pass under batch<b>., its inputs too; nothing of a pass
 * without the prefix; the loss records after it without. */
static void each_pair_is_under_its_prefix(void **state)
{
    (void)state;
    twins w;
    twins_make(&w, AL_RNN_GRU_PYTORCH, AL_SCORE_GENERAL, 0.0);
    al_trace_file *file = traced_step(&w, NULL, NULL);
    const al_trace_tensor *h = find(file, "batch1.s2s.enc.h");
    assert_int_equal(h->rows, 4);
    assert_string_equal(h->inputs[0], "batch1.s2s.enc.embed");
    assert_string_equal(find(file, "batch2.s2s.step1.logits")->inputs[0],
                        "batch2.s2s.step1.readout");
    const al_trace_tensor *logits = find(file, "batch1.logits");
    assert_int_equal(logits->rows, 3);
    assert_int_equal(logits->cols, V);
    assert_string_equal(logits->inputs[2], "batch1.s2s.step2.logits");
    assert_string_equal(find(file, "batch1.loss")->inputs[0], "batch1.logits");
    const al_trace_tensor *targets = find(file, "batch1.targets");
    assert_same_float(al_trace_tensor_at(targets, 0, 1), -1.0f);
    assert_same_float(al_trace_tensor_at(targets, 0, 2), 13.0f);
    const al_trace_tensor *step = find(file, "train.step");
    assert_string_equal(al_trace_tensor_find_attr(step, "cell")->text, "gru_pytorch");
    assert_string_equal(al_trace_tensor_find_attr(step, "score")->text, "general");
    /* without a prefix: only the step's own records of P, P.m, P.v, P.grad, P.new */
    for (int i = 0; i < file->n_tensors; i++) {
        const al_trace_tensor *t = &file->tensors[i];
        if (strncmp(t->name, "s2s.", 4) == 0 && strcmp(t->op, "given") != 0 &&
            strcmp(t->op, "gradient") != 0 && strcmp(t->op, "adamw") != 0)
            fail_msg("'%s' (op %s) is a pass's record without its pair's prefix", t->name,
                     t->op);
    }
    assert_null(al_trace_file_find(file, "s2s.enc.h"));
    assert_null(al_trace_file_find(file, "batch0.train.loss"));
    al_trace_file_free(file);
    twins_free(&w);
}

/* The filter matches the names as written, prefix included. */
static void the_filter_sees_the_prefix(void **state)
{
    (void)state;
    twins w;
    twins_make(&w, AL_RNN_ELMAN, AL_SCORE_DOT, 0.0);
    al_trace_file *file = traced_step(&w, "batch1.*", NULL);
    assert_true(file->n_tensors > 0);
    for (int i = 0; i < file->n_tensors; i++)
        assert_int_equal(strncmp(file->tensors[i].name, "batch1.", 7), 0);
    assert_non_null(al_trace_file_find(file, "batch1.s2s.step0.weights"));
    al_trace_file_free(file);
    twins_free(&w);
}

/* Tracing changes no number: after the traced step and the untraced one,
 * the twins' parameters and moments are the same bytes, and so are the
 * losses, with clipping at work (0.5 is below these gradients' norm). */
static void tracing_changes_no_number(void **state)
{
    (void)state;
    twins w;
    twins_make(&w, AL_RNN_GRU, AL_SCORE_ADDITIVE, 0.5);
    double plain_loss = 0.0, traced_loss = 0.0, plain_norm = 0.0, traced_norm = 0.0;
    assert_int_equal(al_seq2seq_train_step(&w.plain, &w.plain_model, w.pairs, 3, &w.settings,
                                           &plain_loss, &plain_norm, NULL), AL_OK);
    al_trace_file *file = traced_step(&w, NULL, &traced_loss);
    traced_norm = al_trace_tensor_at(find(file, "train.grad_norm"), 0, 0);
    assert_true(plain_norm > 0.5);
    assert_same_float((float)traced_norm, (float)plain_norm);
    assert_true(plain_loss == traced_loss);
    for (int k = 0; k < w.plain.count; k++) {
        const al_matrix *lists[3][2] = {{w.plain.params[k], w.traced.params[k]},
                                        {w.plain.ms[k], w.traced.ms[k]},
                                        {w.plain.vs[k], w.traced.vs[k]}};
        for (int l = 0; l < 3; l++)
            for (int i = 0; i < lists[l][0]->rows; i++)
                if (memcmp(al_at(lists[l][0], i, 0), al_at(lists[l][1], i, 0),
                           (size_t)lists[l][0]->cols * sizeof(float)) != 0)
                    fail_msg("%s%s row %d: the traced step's bytes differ from the untraced",
                             w.plain.names[k], l == 0 ? "" : l == 1 ? ".m" : ".v", i);
    }
    al_trace_file_free(file);
    twins_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_trace_holds_the_step),
        cmocka_unit_test(each_pair_is_under_its_prefix),
        cmocka_unit_test(the_filter_sees_the_prefix),
        cmocka_unit_test(tracing_changes_no_number),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
