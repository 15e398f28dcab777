/* test_lesson13.c: lesson13 (training) as a student runs it, checked from
 * its trace with references written here: every sequence's loss is
 * -mean log softmax(logits)[target] of its traced logits, and train.loss
 * their counted mean, as printed; the traced gradient of W_Q agrees with
 * central differences of the whole batch's loss, a forward pass in double
 * written below from the traced parameters; every traced new value is the
 * AdamW formula applied to the traced value, gradient and moments; the
 * short run makes the corpus's loss at least 3 times smaller; the
 * attention after training is causal and its rows sum to 1; the same
 * command gives the same bytes; bad options exit 2 and leave no file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "gradient_check.h"
#include "lesson_check.h"

static const char *lesson13; /* the program, from argv[1] */

#define BATCH 16        /* the lesson's sentences per step                   */
#define L 11            /* <bos> and the ten tokens of the default sentence  */
#define D 8             /* d_model                                           */
#define HEADS 2
#define D_FF 32
#define MAX_LENGTH 16
#define SHORT_RUN "--steps", "20"   /* enough for the first step's checks */

static const al_trace_tensor *find(const al_trace_file *trace, const char *name)
{
    const al_trace_tensor *t = al_trace_file_find(trace, name);
    if (!t)
        fail_msg("the trace has no %s", name);
    return t;
}

static double scalar(const al_trace_file *trace, const char *name)
{
    return al_trace_tensor_at(find(trace, name), 0, 0);
}

static void the_step_and_the_run_are_traced_under_their_names(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson13, *state, "t.jsonl", NULL);
    const char *const one_by_one[] = {"train.step", "train.lr", "train.loss", "train.grad_norm",
                                      "train.clip_scale", "batch0.loss", NULL};
    for (int k = 0; one_by_one[k]; k++)
        expect_tensor(trace, one_by_one[k], 1, 1);
    const char *const square[] = {"dec.0.self_attn.w_q", "dec.0.self_attn.w_q.grad",
                                  "dec.0.self_attn.w_q.m", "dec.0.self_attn.w_q.v",
                                  "dec.0.self_attn.w_q.new", "dec.0.self_attn.w_k.grad",
                                  "dec.0.self_attn.w_v.grad", NULL};
    for (int k = 0; square[k]; k++)
        expect_tensor(trace, square[k], D, D);
    const al_trace_tensor *before = expect_tensor(trace, "before.tokens", 1, L);
    expect_labels(before, 'c', "<bos>,mia,has,a,fish,and,mia,feeds,the,fish,.");
    expect_tensor(trace, "before.dec.0.self_attn.h1.weights", L, L);
    expect_labels(expect_tensor(trace, "after.dec.0.self_attn.h1.weights", L, L), 'r',
                  "<bos>,mia,has,a,fish,and,mia,feeds,the,fish,.");
    expect_tensor(trace, "loss.step", 1, 500);
    expect_tensor(trace, "loss.train", 1, 500);
    expect_labels(expect_tensor(trace, "loss.corpus", 1, 2), 'c', "before,after");
    const char *steps[] = {"Step 1: a corpus, a vocabulary and a small model",
                           "Step 2: one step: the batch", "batch15.targets",
                           "Step 3: the forward pass of the first sentence",
                           "batch0.dec.0.self_attn.h1.weights",
                           "Step 4: the loss: cross-entropy of every target",
                           "Step 5: backward: the gradients of layer 0's W_Q, W_K, W_V",
                           "dec.0.self_attn.w_q.grad", "dec.0.self_attn.w_v.grad",
                           "Step 6: the update: AdamW", "dec.0.self_attn.w_q.new",
                           "Step 7: a short run", "step  500",
                           "Step 8: one sentence's attention before and after training",
                           "after.dec.0.self_attn.h1.weights", NULL};
    expect_in_order(r.out, steps);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* -log softmax(logits_i)[target] summed over the rows with a target, in
 * double (the log-sum-exp from the row's largest logit); *counted rows. */
static double summed_loss(const al_trace_tensor *logits, const al_trace_tensor *targets,
                          int *counted)
{
    double sum = 0.0;
    *counted = 0;
    for (int i = 0; i < logits->rows; i++) {
        int target = (int)al_trace_tensor_at(targets, 0, i);
        if (target < 0)
            continue;
        double largest = al_trace_tensor_at(logits, i, 0), exps = 0.0;
        for (int j = 1; j < logits->cols; j++)
            largest = fmax(largest, al_trace_tensor_at(logits, i, j));
        for (int j = 0; j < logits->cols; j++)
            exps += exp(al_trace_tensor_at(logits, i, j) - largest);
        sum += log(exps) + largest - al_trace_tensor_at(logits, i, target);
        (*counted)++;
    }
    return sum;
}

/* The number printed after "label = " in text. */
static double printed_number(const char *text, const char *label)
{
    const char *at = strstr(text, label);
    if (!at)
        fail_msg("the printout has no \"%s\"", label);
    return strtod(at + strlen(label), NULL);
}

/* Each batch<b>.loss from its logits and targets; train.loss as their
 * counted mean, as the printout gives it and as loss.train starts. */
static void the_loss_is_minus_the_mean_log_p_of_the_targets(void **state)
{
    run_result r;
    const char *extra[] = {SHORT_RUN, NULL};
    al_trace_file *trace = lesson_run_ok(&r, lesson13, *state, "t.jsonl", extra);
    double total = 0.0;
    int all = 0;
    for (int b = 0; b < BATCH; b++) {
        char name[64];
        snprintf(name, sizeof name, "batch%d.logits", b);
        const al_trace_tensor *logits = find(trace, name);
        snprintf(name, sizeof name, "batch%d.targets", b);
        const al_trace_tensor *targets = find(trace, name);
        int counted;
        double sum = summed_loss(logits, targets, &counted);
        snprintf(name, sizeof name, "batch%d.loss", b);
        /* the loss is a double rounded to float32 for the trace: half an ulp */
        assert_close(scalar(trace, name), sum / counted, 4e-7);
        total += sum, all += counted;
    }
    double mean = total / all;
    print_message("train.loss traced %.9g, recomputed %.9g (tolerance 4e-7: float32's "
                  "rounding of a loss near 3.4)\n", scalar(trace, "train.loss"), mean);
    assert_close(scalar(trace, "train.loss"), mean, 4e-7);
    /* printed with 6 decimals */
    assert_close(printed_number(r.out, "The batch's loss train.loss = "), mean, 6e-7);
    assert_same_float(al_trace_tensor_at(find(trace, "loss.train"), 0, 0),
                      (float)scalar(trace, "train.loss"));
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* --- the batch's loss in double, from the trace ------------------------------------ */

typedef struct model {
    const al_trace_file *trace;
    double w_q[D * D];   /* varied by the central differences */
    double epsilon;
} model;

static double param(const model *m, const char *name, int i, int j)
{
    return al_trace_tensor_at(find(m->trace, name), i, j);
}

/* out (n x d) = gamma ⊙ (x - mean) / sqrt(var + epsilon) + beta, each row
 * (variance dividing by d). */
static void layer_norm(double *out, const double *x, int n, const model *m, const char *norm)
{
    char gamma[64], beta[64];
    snprintf(gamma, sizeof gamma, "%s.gamma", norm);
    snprintf(beta, sizeof beta, "%s.beta", norm);
    for (int i = 0; i < n; i++) {
        double mean = 0.0, var = 0.0;
        for (int j = 0; j < D; j++)
            mean += x[i * D + j] / D;
        for (int j = 0; j < D; j++)
            var += (x[i * D + j] - mean) * (x[i * D + j] - mean) / D;
        for (int j = 0; j < D; j++)
            out[i * D + j] = param(m, gamma, 0, j) * (x[i * D + j] - mean) /
                                 sqrt(var + m->epsilon) +
                             param(m, beta, 0, j);
    }
}

/* out (n x cols) = a (n x inner) · W, W the traced parameter (or w, packed). */
static void times(double *out, const double *a, int n, int inner, int cols, const model *m,
                  const char *name, const double *w)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < cols; j++) {
            double sum = 0.0;
            for (int k = 0; k < inner; k++)
                sum += a[i * inner + k] * (w ? w[k * cols + j] : param(m, name, k, j));
            out[i * cols + j] = sum;
        }
}

/* Causal self-attention with HEADS heads: out = concat(heads) · W_O. */
static void attention(double *out, const double *x, int n, const model *m)
{
    double q[MAX_LENGTH * D], k[MAX_LENGTH * D], v[MAX_LENGTH * D], joined[MAX_LENGTH * D];
    times(q, x, n, D, D, m, NULL, m->w_q);
    times(k, x, n, D, D, m, "dec.0.self_attn.w_k", NULL);
    times(v, x, n, D, D, m, "dec.0.self_attn.w_v", NULL);
    int d_head = D / HEADS;
    for (int h = 0; h < HEADS; h++)
        for (int i = 0; i < n; i++) {
            double scores[MAX_LENGTH], largest = -INFINITY, sum = 0.0;
            for (int j = 0; j <= i; j++) {
                double dot = 0.0;
                for (int c = h * d_head; c < (h + 1) * d_head; c++)
                    dot += q[i * D + c] * k[j * D + c];
                scores[j] = dot / sqrt((double)d_head);
                largest = fmax(largest, scores[j]);
            }
            for (int j = 0; j <= i; j++)
                sum += scores[j] = exp(scores[j] - largest);
            for (int c = h * d_head; c < (h + 1) * d_head; c++) {
                double mixed = 0.0;
                for (int j = 0; j <= i; j++)
                    mixed += scores[j] / sum * v[j * D + c];
                joined[i * D + c] = mixed;
            }
        }
    times(out, joined, n, D, D, m, "dec.0.self_attn.w_o", NULL);
}

/* Sequence b's summed loss, pre-norm: x = E[ids] + P; x += attn(LN1(x));
 * x += W2 relu(LN2(x) W1); logits = LN(x) · Eᵀ. *counted its targets. */
static double sequence_loss(const model *m, int b, int *counted)
{
    char name[64];
    snprintf(name, sizeof name, "batch%d.tokens", b);
    const al_trace_tensor *tokens = find(m->trace, name);
    snprintf(name, sizeof name, "batch%d.targets", b);
    const al_trace_tensor *targets = find(m->trace, name);
    int n = tokens->cols;
    double x[MAX_LENGTH * D] = {0}, normed[MAX_LENGTH * D], change[MAX_LENGTH * D];
    double hidden[MAX_LENGTH * D_FF];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < D; j++)
            x[i * D + j] = param(m, "embed.table", (int)al_trace_tensor_at(tokens, 0, i), j) +
                           param(m, "pos.table", i, j);
    layer_norm(normed, x, n, m, "dec.0.norm1");
    attention(change, normed, n, m);
    for (int e = 0; e < n * D; e++)
        x[e] += change[e];
    layer_norm(normed, x, n, m, "dec.0.norm2");
    times(hidden, normed, n, D, D_FF, m, "dec.0.ffn.w1", NULL);
    for (int e = 0; e < n * D_FF; e++)
        hidden[e] = fmax(hidden[e], 0.0);
    times(change, hidden, n, D_FF, D, m, "dec.0.ffn.w2", NULL);
    for (int e = 0; e < n * D; e++)
        x[e] += change[e];
    layer_norm(normed, x, n, m, "dec.norm");
    const al_trace_tensor *table = find(m->trace, "embed.table");
    double sum = 0.0;
    *counted = 0;
    for (int i = 0; i < n; i++) {
        int target = (int)al_trace_tensor_at(targets, 0, i);
        if (target < 0)
            continue;
        double logits[64], largest = -INFINITY, exps = 0.0;
        for (int w = 0; w < table->rows; w++) {
            logits[w] = 0.0;
            for (int j = 0; j < D; j++)
                logits[w] += normed[i * D + j] * al_trace_tensor_at(table, w, j);
            largest = fmax(largest, logits[w]);
        }
        for (int w = 0; w < table->rows; w++)
            exps += exp(logits[w] - largest);
        sum += log(exps) + largest - logits[target];
        (*counted)++;
    }
    return sum;
}

static double batch_loss(void *context)
{
    const model *m = context;
    double total = 0.0;
    int all = 0;
    for (int b = 0; b < BATCH; b++) {
        int counted;
        total += sequence_loss(m, b, &counted);
        all += counted;
    }
    return total / all;
}

/* dL/dW_Q as traced (before clipping) against central differences of the
 * double forward above; the forward also gives train.loss back. */
static void the_gradient_of_w_q_agrees_with_finite_differences(void **state)
{
    run_result r;
    const char *extra[] = {SHORT_RUN, NULL};
    al_trace_file *trace = lesson_run_ok(&r, lesson13, *state, "t.jsonl", extra);
    model m = {.trace = trace, .epsilon = scalar(trace, "batch0.dec.0.norm1.epsilon")};
    const al_trace_tensor *w_q = find(trace, "dec.0.self_attn.w_q");
    for (int e = 0; e < D * D; e++)
        m.w_q[e] = w_q->data[e];
    /* the forward in double against the float32 one: rounding only */
    print_message("train.loss traced %.9g, double forward %.9g (tolerance 1e-5: float32 "
                  "rounding through the pass)\n", scalar(trace, "train.loss"),
                  batch_loss(&m));
    assert_close(scalar(trace, "train.loss"), batch_loss(&m), 1e-5);
    double numeric[D * D];
    gc_central_differences(numeric, m.w_q, D * D, batch_loss, &m);
    const al_trace_tensor *grad = find(trace, "dec.0.self_attn.w_q.grad");
    al_matrix traced = {.rows = D, .cols = D, .stride = D, .data = grad->data};
    gc_expect_gradient("dec.0.self_attn.w_q.grad", &traced, numeric, 1e-7,
                       "float32 backward through a dozen products of width <= 32, on "
                       "gradients of about 1e-2: measured 3e-9");
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* Every P.new is AdamW (optimizer.h) of P, P.grad · clip_scale, P.m and
 * P.v at train.step and train.lr with the attrs it records, redone here
 * in double. */
static void the_update_is_adamw_of_the_traced_gradient(void **state)
{
    run_result r;
    const char *extra[] = {SHORT_RUN, NULL};
    al_trace_file *trace = lesson_run_ok(&r, lesson13, *state, "t.jsonl", extra);
    double t = scalar(trace, "train.step"), lr = scalar(trace, "train.lr");
    double clip = scalar(trace, "train.clip_scale");
    int checked = 0;
    double worst = 0.0;
    for (int k = 0; k < trace->n_tensors; k++) {
        const al_trace_tensor *next = &trace->tensors[k];
        size_t n = strlen(next->name);
        if (n < 5 || strcmp(next->name + n - 4, ".new") != 0)
            continue;
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(n - 4), next->name);
        const al_trace_tensor *p = find(trace, name);
        char other[160];
        snprintf(other, sizeof other, "%s.grad", name);
        const al_trace_tensor *g = find(trace, other);
        snprintf(other, sizeof other, "%s.m", name);
        const al_trace_tensor *m = find(trace, other);
        snprintf(other, sizeof other, "%s.v", name);
        const al_trace_tensor *v = find(trace, other);
        double beta1 = al_trace_tensor_find_attr(next, "beta1")->number;
        double beta2 = al_trace_tensor_find_attr(next, "beta2")->number;
        double epsilon = al_trace_tensor_find_attr(next, "epsilon")->number;
        double decay = al_trace_tensor_find_attr(next, "weight_decay")->number;
        for (long e = 0; e < (long)p->rows * p->cols; e++) {
            double grad = g->data[e] * clip;
            double m1 = beta1 * m->data[e] + (1 - beta1) * grad;
            double v1 = beta2 * v->data[e] + (1 - beta2) * grad * grad;
            double expected = p->data[e] * (1 - lr * decay) -
                              lr / (1 - pow(beta1, t)) * m1 /
                                  (sqrt(v1) / sqrt(1 - pow(beta2, t)) + epsilon);
            double gap = fabs(next->data[e] - expected);
            worst = fmax(worst, gap);
            if (!(gap <= 4e-7))
                fail_msg("%s (%ld): traced %.9g, AdamW gives %.9g (tolerance 4e-7: float32 "
                         "steps on weights below 4)", next->name, e, (double)next->data[e],
                         expected);
        }
        checked++;
    }
    print_message("%d parameters' new values within %.3g of AdamW redone in double (tolerance "
                  "4e-7: a few float32 ulps of weights below 4)\n", checked, worst);
    assert_int_equal(checked, 14);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* The short run: the corpus's loss at least 3 times smaller (measured 5.8
 * to 7.1 under the Prescott, Haswell and SkylakeX kernels, whose roundings
 * lead the runs apart), and the printout says by how much. */
static void the_run_makes_the_loss_at_least_three_times_smaller(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson13, *state, "t.jsonl", NULL);
    const al_trace_tensor *corpus = find(trace, "loss.corpus");
    double before = al_trace_tensor_at(corpus, 0, 0), after = al_trace_tensor_at(corpus, 0, 1);
    print_message("corpus loss before %.9g, after %.9g: %.3g times smaller (at least 3 "
                  "wanted)\n", before, after, before / after);
    assert_true(after * 3 < before);
    /* before training every word is about as likely as any: loss near log V */
    assert_close(before, log(29.0), 0.05);
    /* "the loss fell from 3.3685 to 0.4799: 7.0 times smaller", 4 decimals */
    const char *said = strstr(r.out, "Over the whole corpus the loss fell from ");
    assert_non_null(said);
    char *end;
    assert_close(strtod(said + strlen("Over the whole corpus the loss fell from "), &end),
                 before, 5e-5);
    assert_int_equal(strncmp(end, " to ", 4), 0);
    assert_close(strtod(end + 4, &end), after, 5e-5);
    assert_close(strtod(end + 2, NULL), before / after, 0.05);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* Causal weights before and after: 0 above the diagonal, rows summing to 1. */
static void the_weights_after_training_are_causal_and_sum_to_one(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson13, *state, "t.jsonl", NULL);
    const char *names[] = {"before.dec.0.self_attn.h0.weights",
                           "before.dec.0.self_attn.h1.weights",
                           "after.dec.0.self_attn.h0.weights",
                           "after.dec.0.self_attn.h1.weights"};
    for (int k = 0; k < 4; k++) {
        const al_trace_tensor *w = find(trace, names[k]);
        for (int i = 0; i < L; i++) {
            double sum = 0.0;
            for (int j = 0; j < L; j++) {
                if (j > i)
                    assert_same_float(al_trace_tensor_at(w, i, j), 0.0f);
                sum += al_trace_tensor_at(w, i, j);
            }
            /* float32 softmax of at most 11 entries: a few ulps */
            assert_close(sum, 1.0, 1e-6);
        }
    }
    al_trace_file_free(trace);
    run_result_free(&r);
}

static void an_unknown_word_becomes_unk_and_is_named(void **state)
{
    run_result r;
    const char *extra[] = {SHORT_RUN, "--sentence", "mia has a zebra and mia feeds the zebra",
                           NULL};
    al_trace_file *trace = lesson_run_ok(&r, lesson13, *state, "t.jsonl", extra);
    assert_non_null(strstr(r.out, "note: 'zebra' is not in the vocabulary"));
    const al_trace_tensor *tokens = find(trace, "before.tokens");
    assert_int_equal((int)al_trace_tensor_at(tokens, 0, 4), 1);   /* <unk> */
    assert_int_equal((int)al_trace_tensor_at(tokens, 0, 9), 1);
    al_trace_file_free(trace);
    run_result_free(&r);
}

static void runs_repeat_exactly(void **state)
{
    expect_runs_repeat_exactly(lesson13, *state, NULL);
}

static void figures_are_drawn_when_asked(void **state)
{
    run_result r;
    const char *extra[] = {SHORT_RUN, NULL};
    const char *files[] = {"t-loss.png", "t-loss.svg", "t-attention.png", "t-attention.svg",
                           "t-flow.svg", NULL};
    expect_figures(&r, lesson13, *state, extra, files);
    run_result_free(&r);
}

static void bad_input_is_refused_with_one_line(void **state)
{
    const char *no_steps[] = {"--steps", "0", NULL};
    expect_refusal(lesson13, *state, no_steps, "--steps needs a whole number from 1 to 2000");
    const char *zero_lr[] = {"--lr", "0", NULL};
    expect_refusal(lesson13, *state, zero_lr, "--lr needs a number above 0 and at most 1");
    const char *big_lr[] = {"--lr", "3", NULL};
    expect_refusal(lesson13, *state, big_lr, "--lr needs a number above 0 and at most 1");
    const char *empty[] = {"--sentence", "", NULL};
    expect_refusal(lesson13, *state, empty, "empty");
    const char *longer[] = {"--sentence", "mia has a cat and mia feeds the cat and mia walks the "
                                          "cat and .", NULL};
    expect_refusal(lesson13, *state, longer, "this lesson takes at most 15");
    const char *seed[] = {"--seed", "-1", NULL};
    expect_refusal(lesson13, *state, seed, "--seed");
    const char *unknown[] = {"--heads", "4", NULL};
    expect_refusal(lesson13, *state, unknown, "unknown option '--heads'");
}

static void help_example_works_as_typed(void **state)
{
    const char *help[] = {"lesson13 --steps 300 --sentence \"ben has a horse and ben feeds the "
                          "horse .\"", NULL};
    expect_help_mentions(lesson13, help);
    run_result r;
    const char *example[] = {"--steps", "300", "--sentence",
                             "ben has a horse and ben feeds the horse .", NULL};
    al_trace_file *trace = lesson_run_ok(&r, lesson13, *state, "t.jsonl", example);
    expect_labels(find(trace, "before.tokens"), 'c',
                  "<bos>,ben,has,a,horse,and,ben,feeds,the,horse,.");
    expect_tensor(trace, "loss.train", 1, 300);
    al_trace_file_free(trace);
    run_result_free(&r);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_lesson13 PATH-TO-lesson13\n");
        return 2;
    }
    lesson13 = argv[1];
    const struct CMUnitTest tests[] = {
        lesson_test(the_step_and_the_run_are_traced_under_their_names),
        lesson_test(the_loss_is_minus_the_mean_log_p_of_the_targets),
        lesson_test(the_gradient_of_w_q_agrees_with_finite_differences),
        lesson_test(the_update_is_adamw_of_the_traced_gradient),
        lesson_test(the_run_makes_the_loss_at_least_three_times_smaller),
        lesson_test(the_weights_after_training_are_causal_and_sum_to_one),
        lesson_test(an_unknown_word_becomes_unk_and_is_named),
        lesson_test(runs_repeat_exactly),
        lesson_test(figures_are_drawn_when_asked),
        lesson_test(bad_input_is_refused_with_one_line),
        lesson_test(help_example_works_as_typed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
