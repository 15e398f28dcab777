/* test_lesson10.c: lesson10 (cross-attention and the decoder) as a student
 * runs it: the trained model (data/qa/transformer.safetensors) answers
 * "what can you do" with "i can answer questions" and <eos>, every step's
 * cross-attention rows summing to 1, printed as traced, and an unknown word
 * becomes <unk> with a note; with --hand-made, "what can you do" gives "I"
 * as the first token, by the mechanism data/lesson10 describes
 * (cross-attention on "you", the rule asked.you); cross-attention is target
 * rows x source columns; other questions give other answers; seeded random
 * models of other shapes; figures, determinism, refusals and the --help
 * example. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "check.h"
#include "lesson_check.h"

static const char *lesson10; /* the program, from argv[1] */

/* A softmax over 33 float32 words sums to 1 within a few units of 2^-24
 * per word. */
#define ROW_SUM_TOLERANCE 4e-6

/* Weights recomputed in double from the traced float32 q and k: the 9
 * products of each score round at about 1e-6 of scores near 9. */
#define RECOMPUTE_TOLERANCE 1e-5

static const char *const HAND_MADE[] = {"--hand-made", NULL};

/* The word the first step chose, as the trace labels it. */
static const char *first_token(const al_trace_file *trace)
{
    const al_trace_tensor *token = expect_tensor(trace, "step0.next.token", 1, 1);
    assert_non_null(token->col_labels);
    return token->col_labels[0];
}

static void what_can_you_do_begins_with_i(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson10, *state, "t.jsonl", HAND_MADE);
    assert_string_equal(first_token(trace), "i");
    assert_non_null(strstr(r.out, "The answer begins: I ..."));
    /* data/README.md: "i" with probability 0.95, to the two decimals it gives */
    const al_trace_tensor *probs = expect_tensor(trace, "step0.probs", 1, 33);
    assert_string_equal(probs->col_labels[20], "i");
    double p = al_trace_tensor_at(probs, 0, 20);
    if (fabs(p - 0.95) > 0.005)
        fail_msg("p(i) = %.9g; data/README.md says 0.95 (2 decimals: within %.9g)", p, 0.005);
    assert_non_null(strstr(r.out, "the word \"i\" (probability 0.9"));
    const char *steps[] = {"Step 1: the question as vectors",
                           "Step 2: encoder layer 0: self-attention",
                           "Step 3: add & norm",
                           "Step 4: encoder layer 0: feed-forward network",
                           "Step 5: the decoder starts from <bos>",
                           "Step 6: masked self-attention",
                           "Step 7: cross-attention: decoder queries, encoder keys and values",
                           "Step 8: the decoder's feed-forward network",
                           "Step 9: the output projection and softmax over the vocabulary",
                           "Step 10: the first token", NULL};
    expect_in_order(r.out, steps);
    al_trace_file_free(trace);
    run_result_free(&r);
}

static void every_step_is_traced_with_its_shape_and_labels(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson10, *state, "t.jsonl", HAND_MADE);
    expect_labels(expect_tensor(trace, "tokens", 1, 4), 'c', "what,can,you,do");
    expect_tensor(trace, "embed", 4, 9);
    const al_trace_tensor *encoder = expect_tensor(trace, "enc.0.attn.h0.weights", 4, 4);
    expect_labels(encoder, 'r', "what,can,you,do");
    expect_labels(encoder, 'c', "what,can,you,do");
    expect_tensor(trace, "enc.0.norm2", 4, 9);
    expect_labels(expect_tensor(trace, "step0.dec.0.self_attn.mask", 1, 1), 'r', "<bos>");
    expect_tensor(trace, "step0.dec.0.self_attn.h0.weights", 1, 1);
    expect_tensor(trace, "step0.dec.0.cross_attn.q", 1, 9);
    expect_tensor(trace, "step0.dec.0.cross_attn.k", 4, 9);
    expect_tensor(trace, "step0.dec.0.ffn.hidden", 1, 3);
    expect_tensor(trace, "step0.dec.0.norm3", 1, 9);
    const al_trace_tensor *probs = expect_tensor(trace, "step0.probs", 1, 33);
    assert_string_equal(probs->col_labels[20], "i");
    double sum = 0;
    for (int j = 0; j < 33; j++)
        sum += al_trace_tensor_at(probs, 0, j);
    assert_close(sum, 1.0, ROW_SUM_TOLERANCE);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* Cross-attention: one row per target token (<bos>), one column per source
 * token; the weights are softmax(q · kᵀ / √9) of the traced q and k, and
 * nearly all of <bos>'s weight is on "you". */
static void cross_attention_is_target_rows_by_source_columns(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson10, *state, "t.jsonl", HAND_MADE);
    const al_trace_tensor *w = expect_tensor(trace, "step0.dec.0.cross_attn.h0.weights", 1, 4);
    expect_labels(w, 'r', "<bos>");
    expect_labels(w, 'c', "what,can,you,do");
    const al_trace_tensor *q = al_trace_file_find(trace, "step0.dec.0.cross_attn.q");
    const al_trace_tensor *k = al_trace_file_find(trace, "step0.dec.0.cross_attn.k");
    double scores[4], max = -1e300, total = 0;
    for (int j = 0; j < 4; j++) {
        scores[j] = 0;
        for (int c = 0; c < 9; c++)
            scores[j] += (double)al_trace_tensor_at(q, 0, c) * al_trace_tensor_at(k, j, c);
        scores[j] /= 3.0; /* √d_head = √9 */
        max = scores[j] > max ? scores[j] : max;
    }
    for (int j = 0; j < 4; j++)
        total += exp(scores[j] - max);
    for (int j = 0; j < 4; j++)
        assert_close(al_trace_tensor_at(w, 0, j), exp(scores[j] - max) / total,
                     RECOMPUTE_TOLERANCE);
    assert_true(al_trace_tensor_at(w, 0, 2) > 0.99f);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* "I" wins by the model's mechanism, not by a bias: the rule asked.you is
 * the only one that fires (hidden units in the order of data/lesson10's
 * W1: asked.you, asked.me, asked.them), there is no output bias, and the
 * chosen word is the largest probability. */
static void the_rule_asked_you_fires_and_i_is_the_argmax(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson10, *state, "t.jsonl", HAND_MADE);
    const al_trace_tensor *hidden = al_trace_file_find(trace, "step0.dec.0.ffn.hidden");
    assert_non_null(strstr(r.out, "Rule asked.you fires"));
    assert_true(al_trace_tensor_at(hidden, 0, 0) > 0.5f);
    assert_same_float(al_trace_tensor_at(hidden, 0, 1), 0.0f);
    assert_same_float(al_trace_tensor_at(hidden, 0, 2), 0.0f);
    assert_null(al_trace_file_find(trace, "logits.b"));
    const al_trace_tensor *probs = al_trace_file_find(trace, "step0.probs");
    int best = 0;
    for (int j = 1; j < probs->cols; j++)
        if (al_trace_tensor_at(probs, 0, j) > al_trace_tensor_at(probs, 0, best))
            best = j;
    assert_string_equal(probs->col_labels[best], "i");
    assert_true(al_trace_tensor_at(probs, 0, best) > 0.9f);
    /* "me" and "we" come next, in that order */
    assert_true(al_trace_tensor_at(probs, 0, 21) > al_trace_tensor_at(probs, 0, 22));
    expect_in_order(r.out, (const char *const[]){"1. i", "2. me", "3. we", NULL});
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* The documented behaviour for other questions (data/README.md). */
static void other_questions_get_other_answers(void **state)
{
    static const char *const cases[][2] = {
        {"what can they do", "they"}, {"what can I do", "you"}, {"what will you do?", "i"},
        {"you can help", "<eos>"},    {"what can he do", "they"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *extra[] = {"--hand-made", "--sentence", cases[i][0], NULL};
        run_result r;
        al_trace_file *trace = lesson_run_ok(&r, lesson10, *state, "t.jsonl", extra);
        if (strcmp(first_token(trace), cases[i][1]) != 0)
            fail_msg("'%s' gave '%s', expected '%s'", cases[i][0], first_token(trace),
                     cases[i][1]);
        al_trace_file_free(trace);
        run_result_free(&r);
    }
}

static void an_unknown_word_is_announced(void **state)
{
    const char *extra[] = {"--hand-made", "--sentence", "what is the time", NULL};
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson10, *state, "t.jsonl", extra);
    assert_non_null(strstr(r.out, "'time' is not in data/lesson10/vocab.txt"));
    assert_string_equal(first_token(trace), "<eos>");
    al_trace_file_free(trace);
    run_result_free(&r);
}

static void random_models_take_their_shape(void **state)
{
    const char *extra[] = {"--random", "--d-model", "8", "--heads", "2", "--layers", "2",
                           "--seed", "7", NULL};
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson10, *state, "t.jsonl", extra);
    assert_true(trace->seed == 7);
    expect_tensor(trace, "enc.1.attn.h1.weights", 4, 4);
    expect_tensor(trace, "enc.1.norm2", 4, 8);
    expect_tensor(trace, "step0.dec.1.self_attn.h1.weights", 1, 1);
    const al_trace_tensor *cross = expect_tensor(trace, "step0.dec.1.cross_attn.h1.weights", 1, 4);
    expect_labels(cross, 'c', "what,can,you,do");
    expect_tensor(trace, "step0.dec.1.ffn.hidden", 1, 32);
    expect_tensor(trace, "step0.probs", 1, 33);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* ---- the trained model (the default) ----------------------------------------------- */

/* "what can you do" is answered in five steps, the last <eos>. */
#define ANSWER_STEPS 5
static const char *const ANSWER[ANSWER_STEPS] = {"i", "can", "answer", "questions", "<eos>"};
#define QUESTION_WORDS 4   /* what can you do */
#define DECODER_LAYERS 2   /* data/qa/transformer.safetensors */
#define HEADS 4

/* A softmax row of 4 float32 weights sums to 1 within a few 2^-24 (each
 * weight rounds once, the sum of exponentials once). */
#define CROSS_ROW_SUM_TOLERANCE 1e-6

/* The printed weights carry 4 decimals: a printed value is the traced one
 * rounded, within half a unit of the last decimal (and a little for the
 * decimal text of the float). */
#define PRINTED_TOLERANCE 0.5000001e-4

/* Step t's own pass (t + 1 decoder rows) and the last step's (T rows)
 * compute row t from the same numbers, but the matrix products of
 * different sizes may take different BLAS kernel paths, whose sums round
 * in another order: weights below 1 then move by a few 1e-7. */
#define SAME_ROW_TOLERANCE 1e-5

static const char *step_name(char buf[96], int t, const char *rest)
{
    snprintf(buf, 96, "step%d.%s", t, rest);
    return buf;
}

static const char *cross_name(char buf[96], int t, int layer, int head)
{
    snprintf(buf, 96, "step%d.dec.%d.cross_attn.h%d.weights", t, layer, head);
    return buf;
}

static int largest_in_row(const al_trace_tensor *t, int i)
{
    int best = 0;
    for (int j = 1; j < t->cols; j++)
        if (al_trace_tensor_at(t, i, j) > al_trace_tensor_at(t, i, best))
            best = j;
    return best;
}

static void trained_model_answers_i_can_answer_questions(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson10, *state, "t.jsonl", NULL);
    char name[96];
    for (int t = 0; t < ANSWER_STEPS; t++) {
        const al_trace_tensor *token = expect_tensor(trace, step_name(name, t, "next.token"), 1,
                                                     1);
        if (strcmp(token->col_labels[0], ANSWER[t]) != 0)
            fail_msg("step %d said '%s', expected '%s'", t, token->col_labels[0], ANSWER[t]);
    }
    assert_null(al_trace_file_find(trace, step_name(name, ANSWER_STEPS, "next.token")));
    expect_labels(expect_tensor(trace, "tokens", 1, QUESTION_WORDS), 'c', "what,can,you,do");
    expect_labels(expect_tensor(trace, "step4.dec.tokens", 1, 5), 'c',
                  "<bos>,i,can,answer,questions");
    const char *printout[] = {"Step 1: the trained model and the question",
                              "qa/transformer.safetensors",
                              "trained by attnlab-train on data/qa/pairs.tsv",
                              "in 1500 steps, held-out loss",
                              "Step 3: the decoder writes the answer",
                              "step 0 reads <bos>", "says i ",
                              "step 4 reads <bos> i can answer questions  says <eos>",
                              "<eos> ends the answer; it is not a word of it.",
                              "Step 4: cross-attention at every step",
                              "Step 5: the answer",
                              "  Answer: i can answer questions\n",
                              "Generation stopped at <eos>, said at step 4.", NULL};
    expect_in_order(r.out, printout);
    assert_null(strstr(r.out, "Answer: i can answer questions <eos>"));
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* Every row of every step's cross-attention, in both layers and all four
 * heads, is a distribution over the 4 question words. */
static void every_cross_attention_row_sums_to_one(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson10, *state, "t.jsonl", NULL);
    char name[96];
    for (int t = 0; t < ANSWER_STEPS; t++)
        for (int l = 0; l < DECODER_LAYERS; l++)
            for (int h = 0; h < HEADS; h++) {
                const al_trace_tensor *w = expect_tensor(trace, cross_name(name, t, l, h), t + 1,
                                                         QUESTION_WORDS);
                expect_labels(w, 'c', "what,can,you,do");
                for (int i = 0; i <= t; i++) {
                    double sum = 0.0;
                    for (int j = 0; j < QUESTION_WORDS; j++)
                        sum += al_trace_tensor_at(w, i, j);
                    if (fabs(sum - 1.0) > CROSS_ROW_SUM_TOLERANCE)
                        fail_msg("%s row %d sums to %.9g, not 1 within %.9g (float32 softmax "
                                 "rounding)", name, i, sum, CROSS_ROW_SUM_TOLERANCE);
                }
            }
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* The last step's T x S weights hold every step's row: row t equals the
 * last row of step t's own pass, up to the kernels' rounding. */
static void the_last_step_holds_every_steps_row(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson10, *state, "t.jsonl", NULL);
    char name[96], last[96];
    for (int l = 0; l < DECODER_LAYERS; l++)
        for (int h = 0; h < HEADS; h++) {
            const al_trace_tensor *all = al_trace_file_find(trace, cross_name(last, 4, l, h));
            assert_non_null(all);
            for (int t = 0; t < ANSWER_STEPS; t++) {
                const al_trace_tensor *own = al_trace_file_find(trace, cross_name(name, t, l, h));
                assert_non_null(own);
                for (int j = 0; j < QUESTION_WORDS; j++) {
                    double a = al_trace_tensor_at(own, t, j), b = al_trace_tensor_at(all, t, j);
                    if (fabs(a - b) > SAME_ROW_TOLERANCE)
                        fail_msg("%s[%d][%d] = %.9g but %s[%d][%d] = %.9g: more than %.9g "
                                 "apart (BLAS rounding)", name, t, j, a, last, t, j, b,
                                 SAME_ROW_TOLERANCE);
                }
            }
        }
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* The line after `header` in text, and the one after that, ...: returns
 * the start of the line `skip` lines below the line holding header. */
static const char *line_below(const char *text, const char *header, int skip)
{
    const char *at = strstr(text, header);
    if (!at)
        fail_msg("no '%s' in the printout", header);
    for (int k = 0; k < skip; k++) {
        at = strchr(at, '\n');
        if (!at)
            fail_msg("the printout ends below '%s'", header);
        at++;
    }
    return at;
}

/* The printed tables of the last step's cross-attention are the traced
 * weights, rounded to 4 decimals; and in the word-by-word table, each
 * head's word is the largest weight of its row, with that weight. */
static void printed_weights_are_the_traced_ones(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson10, *state, "t.jsonl", NULL);
    char name[96], header[160];
    for (int l = 0; l < DECODER_LAYERS; l++)
        for (int h = 0; h < HEADS; h++) {
            const al_trace_tensor *w = al_trace_file_find(trace, cross_name(name, 4, l, h));
            assert_non_null(w);
            snprintf(header, sizeof header, "  %s  (5 x 4)\n", name);
            for (int t = 0; t < ANSWER_STEPS; t++) {
                const char *at = line_below(r.out, header, 2 + t);
                at += strspn(at, " ");
                at += strcspn(at, " ");   /* past the row label */
                for (int j = 0; j < QUESTION_WORDS; j++) {
                    char *end;
                    double printed = strtod(at, &end), traced = al_trace_tensor_at(w, t, j);
                    if (end == at || fabs(printed - traced) > PRINTED_TOLERANCE)
                        fail_msg("%s[%d][%d] printed %.9g, traced %.9g: more than %.9g apart "
                                 "(4 decimals)", name, t, j, printed, traced,
                                 PRINTED_TOLERANCE);
                    at = end;
                }
            }
        }
    for (int l = 0; l < DECODER_LAYERS; l++) {
        snprintf(header, sizeof header, "  word said  dec.%d h0", l);
        for (int t = 0; t < ANSWER_STEPS; t++) {
            const char *at = line_below(r.out, header, 1 + t);
            at += strspn(at, " ");
            size_t n = strcspn(at, " ");
            if (strncmp(at, ANSWER[t], n) != 0 || strlen(ANSWER[t]) != n)
                fail_msg("row %d of layer %d's table is '%.*s', expected '%s'", t, l, (int)n, at,
                         ANSWER[t]);
            at += n;
            for (int h = 0; h < HEADS; h++) {
                const al_trace_tensor *w = al_trace_file_find(trace, cross_name(name, 4, l, h));
                const char *word = w->col_labels[largest_in_row(w, t)];
                at += strspn(at, " ");
                size_t length = strcspn(at, " ");
                if (strncmp(at, word, length) != 0 || strlen(word) != length)
                    fail_msg("%s row %d: printed '%.*s', but the largest weight is on '%s'",
                             name, t, (int)length, at, word);
                char *end;
                double printed = strtod(at + length, &end);
                double traced = al_trace_tensor_at(w, t, largest_in_row(w, t));
                if (fabs(printed - traced) > PRINTED_TOLERANCE)
                    fail_msg("%s row %d: printed %.9g, traced %.9g: more than %.9g apart", name,
                             t, printed, traced, PRINTED_TOLERANCE);
                at = end;
            }
        }
    }
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* Saying "answer" (the row that read "can"), every head of both layers
 * looks at "you", with more than 0.8 of its weight (measured: 0.81 to
 * 1.00, so far from the threshold that no kernel's rounding moves it). */
static void saying_answer_every_head_looks_at_you(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson10, *state, "t.jsonl", NULL);
    char name[96];
    for (int l = 0; l < DECODER_LAYERS; l++)
        for (int h = 0; h < HEADS; h++) {
            const al_trace_tensor *w = al_trace_file_find(trace, cross_name(name, 2, l, h));
            assert_non_null(w);
            assert_string_equal(w->row_labels[2], "can");
            if (largest_in_row(w, 2) != 2 || al_trace_tensor_at(w, 2, 2) <= 0.8f)
                fail_msg("%s row 2 puts %.9g on 'you' (largest: '%s'); expected more than 0.8",
                         name, (double)al_trace_tensor_at(w, 2, 2),
                         w->col_labels[largest_in_row(w, 2)]);
        }
    al_trace_file_free(trace);
    run_result_free(&r);
}

static void trained_unknown_word_becomes_unk_with_a_note(void **state)
{
    const char *extra[] = {"--sentence", "what can zebras do", NULL};
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson10, *state, "t.jsonl", extra);
    assert_non_null(strstr(r.out, "note: 'zebras' is not in the trained model's vocabulary (60 "
                                  "words of data/qa/pairs.tsv); it becomes <unk>"));
    assert_non_null(strstr(r.out, "zebras = <unk> 1"));
    const al_trace_tensor *tokens = expect_tensor(trace, "tokens", 1, 4);
    expect_labels(tokens, 'c', "what,can,zebras,do");   /* the row keeps the word */
    assert_same_float(al_trace_tensor_at(tokens, 0, 2), 1.0f);   /* <unk> is id 1 */
    assert_non_null(strstr(r.out, "Generation stopped at <eos>"));
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* The encoder's last layer and each decoder layer's cross-attention at
 * every step, titled in words. */
static void trained_figures_are_drawn_with_titles_in_words(void **state)
{
    lesson_folder *folder = *state;
    run_result r;
    const char *files[] = {"t-encoder.png", "t-encoder.svg", "t-cross-layer0.png",
                           "t-cross-layer0.svg", "t-cross-layer1.png", "t-cross-layer1.svg",
                           "t-flow.svg", NULL};
    expect_figures(&r, lesson10, folder, NULL, files);
    char *svg = lesson_file_text(folder, "t-cross-layer1.svg", NULL);
    assert_non_null(strstr(svg, "i can answer questions"));
    assert_non_null(strstr(svg, "decoder layer 1"));
    assert_non_null(strstr(svg, ">the question<"));
    assert_non_null(strstr(svg, ">questions<"));   /* the last row's label */
    free(svg);
    svg = lesson_file_text(folder, "t-encoder.svg", NULL);
    assert_non_null(strstr(svg, "the encoder"));
    free(svg);
    run_result_free(&r);
}

static void runs_repeat_exactly(void **state)
{
    expect_runs_repeat_exactly(lesson10, *state, NULL);
    expect_runs_repeat_exactly(lesson10, *state, HAND_MADE);
}

static void figures_are_drawn_when_asked(void **state)
{
    lesson_folder *folder = *state;
    run_result r;
    const char *files[] = {"t-encoder.png", "t-encoder.svg", "t-cross.png", "t-cross.svg",
                           "t-probs.png", "t-probs.svg", "t-flow.svg", NULL};
    expect_figures(&r, lesson10, folder, HAND_MADE, files);
    run_result_free(&r);
}

static void bad_input_is_refused_with_one_line(void **state)
{
    const char *empty[] = {"--sentence", " ", NULL};
    expect_refusal(lesson10, *state, empty, "empty");
    const char *longer[] = {"--hand-made", "--sentence", "you you you you you you you you you "
                                                         "you you you you you you you you", NULL};
    expect_refusal(lesson10, *state, longer, "at most 16");
    const char *trained_longer[] = {"--sentence", "you you you you you you you you you you you",
                                    NULL};
    expect_refusal(lesson10, *state, trained_longer, "the trained model reads at most 10");
    const char *unknown[] = {"--temperature", "2", NULL};
    expect_refusal(lesson10, *state, unknown, "unknown option '--temperature'");
    const char *split[] = {"--random", "--d-model", "10", "--heads", "4", NULL};
    expect_refusal(lesson10, *state, split, "d_model 10 is not a multiple of heads 4");
    const char *hand_made[] = {"--hand-made", "--heads", "3", NULL};
    expect_refusal(lesson10, *state, hand_made, "need --random");
    const char *trained[] = {"--d-model", "16", NULL};
    expect_refusal(lesson10, *state, trained, "need --random (the trained model has d_model 64");
    const char *both[] = {"--hand-made", "--random", NULL};
    expect_refusal(lesson10, *state, both, "two different models");
    const char *seed[] = {"--seed", "3", NULL};
    expect_refusal(lesson10, *state, seed, "--seed only applies with --random");
    const char *hand_made_seed[] = {"--hand-made", "--seed", "3", NULL};
    expect_refusal(lesson10, *state, hand_made_seed, "--seed only applies with --random");
}

static void help_example_works_as_typed(void **state)
{
    lesson_folder *folder = *state;
    const char *help[] = {"lesson10 --sentence \"what can they do\"", NULL};
    expect_help_mentions(lesson10, help);
    run_result r;
    const char *example[] = {"--sentence", "what can they do", NULL};
    al_trace_file *trace = lesson_run_ok(&r, lesson10, folder, "t.jsonl", example);
    assert_string_equal(first_token(trace), "they");
    assert_non_null(strstr(r.out, "Answer: they can play chess\n"));
    al_trace_file_free(trace);
    run_result_free(&r);
}

static const char *data_dir;   /* the source tree's data/, from argv[2] */

/* Copy data/lesson10 into <folder>/lesson10, all but the file left_out. */
static void copy_lesson10_data(const lesson_folder *folder, const char *left_out)
{
    char from[4096], to[4096];
    snprintf(from, sizeof from, "%s/lesson10", data_dir);
    snprintf(to, sizeof to, "%s/lesson10", folder->path);
    assert_int_equal(mkdir(to, 0700), 0);
    DIR *dir = opendir(from);
    assert_non_null(dir);
    for (struct dirent *e; (e = readdir(dir));) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, left_out) == 0)
            continue;
        char a[8192], b[8192];
        snprintf(a, sizeof a, "%s/%s", from, e->d_name);
        snprintf(b, sizeof b, "%s/%s", to, e->d_name);
        FILE *in = fopen(a, "rb"), *out = fopen(b, "wb");
        assert_non_null(in), assert_non_null(out);
        char buf[4096];
        for (size_t n; (n = fread(buf, 1, sizeof buf, in)) > 0;)
            assert_int_equal(fwrite(buf, 1, n, out), n);
        fclose(in), fclose(out);
    }
    closedir(dir);
}

/* The printout says which parameters keep their start; with one weight
 * table deleted the lesson stops, naming it, instead of using zeros. */
static void a_missing_weight_table_is_an_error(void **state)
{
    lesson_folder *folder = *state;
    run_result r;
    al_trace_file *t = lesson_run_ok(&r, lesson10, folder, "t.jsonl", HAND_MADE);
    assert_non_null(strstr(r.out, "28 parameters have no table and keep their start value"));
    al_trace_file_free(t);
    run_result_free(&r);
    char trace[128];
    snprintf(trace, sizeof trace, "%s/t.jsonl", folder->path);
    remove(trace);   /* expect_refusal wants no t.jsonl afterwards */
    copy_lesson10_data(folder, "dec.0.ffn.w2.txt");
    const char *data[] = {"--hand-made", "--data", folder->path, NULL};
    expect_refusal(lesson10, folder, data, "lesson10/dec.0.ffn.w2.txt is missing: give the "
                                           "table, or name dec.0.ffn.w2 in");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_lesson10 PATH-TO-lesson10\n");
        return 2;
    }
    lesson10 = argv[1];
    data_dir = argc > 2 ? argv[2] : "data";
    const struct CMUnitTest tests[] = {
        lesson_test(trained_model_answers_i_can_answer_questions),
        lesson_test(every_cross_attention_row_sums_to_one),
        lesson_test(the_last_step_holds_every_steps_row),
        lesson_test(printed_weights_are_the_traced_ones),
        lesson_test(saying_answer_every_head_looks_at_you),
        lesson_test(trained_unknown_word_becomes_unk_with_a_note),
        lesson_test(trained_figures_are_drawn_with_titles_in_words),
        lesson_test(what_can_you_do_begins_with_i),
        lesson_test(every_step_is_traced_with_its_shape_and_labels),
        lesson_test(cross_attention_is_target_rows_by_source_columns),
        lesson_test(the_rule_asked_you_fires_and_i_is_the_argmax),
        lesson_test(other_questions_get_other_answers),
        lesson_test(a_missing_weight_table_is_an_error),
        lesson_test(an_unknown_word_is_announced),
        lesson_test(random_models_take_their_shape),
        lesson_test(runs_repeat_exactly),
        lesson_test(figures_are_drawn_when_asked),
        lesson_test(bad_input_is_refused_with_one_line),
        lesson_test(help_example_works_as_typed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
