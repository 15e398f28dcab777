/* test_lesson06.c: lesson06 (multi-head attention) as a student runs it:
 * every head's slices and weights in the trace with the chapter's shapes,
 * the weights redone from the traced slices, the heads joined, other head
 * counts, the grid figure, the river sentence, determinism and every
 * refusal. */
#include <fnmatch.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "lesson_check.h"

static const char *lesson06; /* the program, from argv[1] */

/* Softmax in float32 against the same softmax in double: each weight is
 * one exp, one sum of six and one division away, a few units of 2^-24. */
#define WEIGHT_TOLERANCE 1e-6

static int count_matching(const al_trace_file *trace, const char *glob)
{
    int n = 0;
    for (int t = 0; t < trace->n_tensors; t++)
        n += fnmatch(glob, trace->tensors[t].name, 0) == 0;
    return n;
}

static void defaults_trace_two_heads_with_the_chapter_shapes(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson06, *state, "t.jsonl", NULL);
    expect_tensor(trace, "embed", 6, 6);
    expect_tensor(trace, "enc.0.attn.q", 6, 6);
    for (int h = 0; h < 2; h++) {
        const char *parts[] = {"q", "k", "v", "out"};
        char name[64];
        for (int i = 0; i < 4; i++) {
            snprintf(name, sizeof name, "enc.0.attn.h%d.%s", h, parts[i]);
            expect_tensor(trace, name, 6, 3);
        }
        const char *square[] = {"scores", "scaled", "weights"};
        for (int i = 0; i < 3; i++) {
            snprintf(name, sizeof name, "enc.0.attn.h%d.%s", h, square[i]);
            const al_trace_tensor *t = expect_tensor(trace, name, 6, 6);
            expect_labels(t, 'r', "The,cat,walks,by,the,bank");
            expect_labels(t, 'c', "The,cat,walks,by,the,bank");
        }
    }
    assert_int_equal(count_matching(trace, "enc.0.attn.h*.weights"), 2);
    expect_tensor(trace, "enc.0.attn.concat", 6, 6);
    expect_tensor(trace, "enc.0.attn.w_o", 6, 6);
    expect_tensor(trace, "enc.0.attn.out", 6, 6);
    const char *steps[] = {"Step 1: the sentence as vectors",
                           "Step 2: queries, keys and values",
                           "Step 3: cut Q, K and V into heads",
                           "head 0 sees only living, action, place",
                           "head 1 sees only water, money, function",
                           "Step 4: head 0 attends with living, action, place",
                           "enc.0.attn.h0.q", "enc.0.attn.h0.weights", "enc.0.attn.h0.out",
                           "Step 5: head 1 attends with water, money, function",
                           "enc.0.attn.h1.q", "enc.0.attn.h1.weights", "enc.0.attn.h1.out",
                           "Step 6: join the heads side by side", "enc.0.attn.concat",
                           "Step 7: mix the heads with W_O", "enc.0.attn.out", NULL};
    expect_in_order(r.out, steps);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* Head h's slices are columns 3h .. 3h+2 of q, bit for bit; its weights
 * are softmax_j(q_h,i · k_h,j / sqrt(3)) redone in double from the traced
 * slices; and, W_O being the identity, out = concat = [h0.out | h1.out]. */
static void heads_are_slices_and_their_weights_follow_from_them(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson06, *state, "t.jsonl", NULL);
    const al_trace_tensor *q = al_trace_file_find(trace, "enc.0.attn.q");
    const al_trace_tensor *out = al_trace_file_find(trace, "enc.0.attn.out");
    for (int h = 0; h < 2; h++) {
        char name[64];
        snprintf(name, sizeof name, "enc.0.attn.h%d.q", h);
        const al_trace_tensor *q_h = al_trace_file_find(trace, name);
        snprintf(name, sizeof name, "enc.0.attn.h%d.k", h);
        const al_trace_tensor *k_h = al_trace_file_find(trace, name);
        snprintf(name, sizeof name, "enc.0.attn.h%d.weights", h);
        const al_trace_tensor *w = al_trace_file_find(trace, name);
        snprintf(name, sizeof name, "enc.0.attn.h%d.out", h);
        const al_trace_tensor *out_h = al_trace_file_find(trace, name);
        for (int i = 0; i < 6; i++) {
            double scores[6], max = -1e300, sum = 0;
            for (int j = 0; j < 6; j++) {
                scores[j] = 0;
                for (int c = 0; c < 3; c++)
                    scores[j] += (double)al_trace_tensor_at(q_h, i, c) *
                                 al_trace_tensor_at(k_h, j, c);
                scores[j] /= sqrt(3.0);
                max = scores[j] > max ? scores[j] : max;
            }
            for (int j = 0; j < 6; j++)
                sum += exp(scores[j] - max);
            for (int j = 0; j < 6; j++)
                assert_close(al_trace_tensor_at(w, i, j), exp(scores[j] - max) / sum,
                             WEIGHT_TOLERANCE);
            for (int c = 0; c < 3; c++) {
                assert_same_float(al_trace_tensor_at(q_h, i, c), al_trace_tensor_at(q, i, 3 * h + c));
                assert_same_float(al_trace_tensor_at(out, i, 3 * h + c),
                                  al_trace_tensor_at(out_h, i, c));
            }
        }
    }
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* 3 heads: d_head = 6 / 3 = 2, three weight matrices and no fourth. */
static void three_heads_split_six_dimensions_in_pairs(void **state)
{
    const char *extra[] = {"--heads", "3", NULL};
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson06, *state, "t.jsonl", extra);
    assert_int_equal(count_matching(trace, "enc.0.attn.h*.weights"), 3);
    for (int h = 0; h < 3; h++) {
        char name[64];
        snprintf(name, sizeof name, "enc.0.attn.h%d.weights", h);
        expect_tensor(trace, name, 6, 6);
        snprintf(name, sizeof name, "enc.0.attn.h%d.q", h);
        expect_tensor(trace, name, 6, 2);
    }
    assert_non_null(strstr(r.out, "head 2 sees only money, function"));
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* What the printout claims: in the river sentence it is head 1 (water,
 * money, function) that links bank to river. */
static void head_one_links_bank_to_river(void **state)
{
    const char *extra[] = {"--sentence", "The cat walks by the river bank", NULL};
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson06, *state, "t.jsonl", extra);
    const al_trace_tensor *w = al_trace_file_find(trace, "enc.0.attn.h1.weights");
    assert_string_equal(strongest_other_key(w, "bank"), "river");
    al_trace_file_free(trace);
    run_result_free(&r);
}

static void random_weights_take_d_model_and_heads(void **state)
{
    const char *extra[] = {"--random", "--d-model", "8", "--heads", "4", "--seed", "7", NULL};
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson06, *state, "t.jsonl", extra);
    expect_tensor(trace, "enc.0.attn.q", 6, 8);
    expect_tensor(trace, "enc.0.attn.h3.q", 6, 2);
    assert_int_equal(count_matching(trace, "enc.0.attn.h*.weights"), 4);
    assert_true(trace->seed == 7);
    assert_non_null(strstr(r.out, "head 3 sees only dimensions 6 to 7"));
    al_trace_file_free(trace);
    run_result_free(&r);
}

static void grid_figure_and_flow_are_drawn(void **state)
{
    lesson_folder *folder = *state;
    run_result r;
    const char *files[] = {"t-heads.png", "t-heads.svg", "t-flow.svg", NULL};
    expect_figures(&r, lesson06, folder, NULL, files);
    assert_non_null(strstr(r.out, "--select 'enc.0.attn.h*.weights'"));
    run_result_free(&r);
}

/* --trained: the four heads of the bank corpus model's first layer, each
 * a causal softmax (exactly 0 above the diagonal), drawn as one figure;
 * head 0 looks from "bank" back at "money", the sense word. */
static void trained_heads_are_traced_and_drawn(void **state)
{
    lesson_folder *folder = *state;
    const char *extra[] = {"--trained", "--sentence",
                           "she walked past the money and then to the bank", NULL};
    const char *files[] = {"t-trained.png", "t-trained.svg", "t-heads.png", NULL};
    run_result r;
    expect_figures(&r, lesson06, folder, extra, files);
    for (int h = 0; h < 4; h++) {
        char head[16];
        snprintf(head, sizeof head, "  Head %d:", h);
        assert_non_null(strstr(r.out, head));
    }
    run_result_free(&r);
    al_trace_file *trace = lesson_trace(folder, "t.jsonl");
    for (int h = 0; h < 4; h++) {
        char name[64];
        snprintf(name, sizeof name, "trained.dec.0.self_attn.h%d.weights", h);
        const al_trace_tensor *w = expect_tensor(trace, name, 10, 10);
        expect_labels(w, 'r', "she,walked,past,the,money,and,then,to,the,bank");
        for (int i = 0; i < 10; i++)
            for (int j = i + 1; j < 10; j++)
                assert_true(al_trace_tensor_at(w, i, j) == 0.0f);
        if (h == 0)
            assert_string_equal(strongest_other_key(w, "bank"), "money");
    }
    al_trace_file_free(trace);
}

static void runs_repeat_exactly(void **state)
{
    const char *extra[] = {"--heads", "3", NULL};
    expect_runs_repeat_exactly(lesson06, *state, extra);
}

static void bad_input_is_refused_with_one_line(void **state)
{
    const char *four[] = {"--heads", "4", NULL};
    expect_refusal(lesson06, *state, four, "d_model 6 does not split into 4 heads");
    const char *random[] = {"--random", "--d-model", "8", "--heads", "3", NULL};
    expect_refusal(lesson06, *state, random, "d_model 8 does not split into 3 heads");
    const char *zero[] = {"--heads", "0", NULL};
    expect_refusal(lesson06, *state, zero, "--heads needs a whole number from 1 to 16");
    const char *empty[] = {"--sentence", "", NULL};
    expect_refusal(lesson06, *state, empty, "empty");
    const char *longer[] = {"--sentence", "a a a a a a a a a a a a a a a a a a a a a a a a a a a a a "
                                          "a a a a", NULL};
    expect_refusal(lesson06, *state, longer, "at most 32");
    const char *unknown[] = {"--layers", "2", NULL};
    expect_refusal(lesson06, *state, unknown, "unknown option '--layers'");
}

/* The example of --help, run as typed (plus the test's --trace). */
static void help_example_works_as_typed(void **state)
{
    const char *help[] = {"lesson06 --heads 3 --sentence \"The cat walks by the river "
                          "bank\"", NULL};
    expect_help_mentions(lesson06, help);
    run_result r;
    const char *example[] = {"--heads", "3", "--sentence", "The cat walks by the river bank",
                             NULL};
    al_trace_file *trace = lesson_run_ok(&r, lesson06, *state, "t.jsonl", example);
    expect_tensor(trace, "enc.0.attn.h2.weights", 7, 7);
    al_trace_file_free(trace);
    run_result_free(&r);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_lesson06 PATH-TO-lesson06\n");
        return 2;
    }
    lesson06 = argv[1];
    const struct CMUnitTest tests[] = {
        lesson_test(defaults_trace_two_heads_with_the_chapter_shapes),
        lesson_test(heads_are_slices_and_their_weights_follow_from_them),
        lesson_test(three_heads_split_six_dimensions_in_pairs),
        lesson_test(head_one_links_bank_to_river),
        lesson_test(random_weights_take_d_model_and_heads),
        lesson_test(grid_figure_and_flow_are_drawn),
        lesson_test(trained_heads_are_traced_and_drawn),
        lesson_test(runs_repeat_exactly),
        lesson_test(bad_input_is_refused_with_one_line),
        lesson_test(help_example_works_as_typed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
