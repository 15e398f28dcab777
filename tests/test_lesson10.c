/* test_lesson10.c: lesson10 (cross-attention and the decoder) as a student
 * runs it: "what can you do" gives "I" as the first token, by the
 * mechanism data/lesson10 describes (cross-attention on "you", the rule
 * asked.you); cross-attention is target rows x source columns; other
 * questions give other answers; seeded random models of other shapes;
 * figures, determinism, refusals and the --help example. */
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
    al_trace_file *trace = lesson_run_ok(&r, lesson10, *state, "t.jsonl", NULL);
    assert_string_equal(first_token(trace), "i");
    assert_non_null(strstr(r.out, "The answer begins: I ..."));
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
    al_trace_file *trace = lesson_run_ok(&r, lesson10, *state, "t.jsonl", NULL);
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
    al_trace_file *trace = lesson_run_ok(&r, lesson10, *state, "t.jsonl", NULL);
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
    al_trace_file *trace = lesson_run_ok(&r, lesson10, *state, "t.jsonl", NULL);
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
        const char *extra[] = {"--sentence", cases[i][0], NULL};
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
    const char *extra[] = {"--sentence", "what is the time", NULL};
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

static void runs_repeat_exactly(void **state)
{
    expect_runs_repeat_exactly(lesson10, *state, NULL);
}

static void figures_are_drawn_when_asked(void **state)
{
    lesson_folder *folder = *state;
    run_result r;
    const char *files[] = {"t-encoder.png", "t-encoder.svg", "t-cross.png", "t-cross.svg",
                           "t-probs.png", "t-probs.svg", "t-flow.svg", NULL};
    expect_figures(&r, lesson10, folder, NULL, files);
    run_result_free(&r);
}

static void bad_input_is_refused_with_one_line(void **state)
{
    const char *empty[] = {"--sentence", " ", NULL};
    expect_refusal(lesson10, *state, empty, "empty");
    const char *longer[] = {"--sentence", "you you you you you you you you you you you you you "
                                          "you you you you", NULL};
    expect_refusal(lesson10, *state, longer, "at most 16");
    const char *unknown[] = {"--temperature", "2", NULL};
    expect_refusal(lesson10, *state, unknown, "unknown option '--temperature'");
    const char *split[] = {"--random", "--d-model", "10", "--heads", "4", NULL};
    expect_refusal(lesson10, *state, split, "d_model 10 is not a multiple of heads 4");
    const char *hand_made[] = {"--heads", "3", NULL};
    expect_refusal(lesson10, *state, hand_made, "need --random");
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
    al_trace_file *t = lesson_run_ok(&r, lesson10, folder, "t.jsonl", NULL);
    assert_non_null(strstr(r.out, "28 parameters have no table and keep their start value"));
    al_trace_file_free(t);
    run_result_free(&r);
    char trace[128];
    snprintf(trace, sizeof trace, "%s/t.jsonl", folder->path);
    remove(trace);   /* expect_refusal wants no t.jsonl afterwards */
    copy_lesson10_data(folder, "dec.0.ffn.w2.txt");
    const char *data[] = {"--data", folder->path, NULL};
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
