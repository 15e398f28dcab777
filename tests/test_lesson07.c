/* test_lesson07.c: lesson07 (masking) as a student runs it: the causal
 * mask's exact zeros ("cat" sees "the" and itself, "fish" sees all), the
 * padding masks of a batch, padding that changes nothing for the real
 * words, a fully masked row (zeros and a warning, never NaN), the figures,
 * determinism and every refusal. */
#include <math.h>
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

static const char *lesson07; /* the program, from argv[1] */

/* Softmax sums of up to nine float32 weights: within a few units of 2^-24
 * of 1. */
#define ROW_SUM_TOLERANCE 1e-6
/* The same softmax over the same three scores, once with four more keys
 * masked: exp(-inf) adds exactly 0 to the sum, so the results agree to
 * the last bit or nearly (BLAS may sum a longer row in another order). */
#define PADDING_TOLERANCE 1e-7

static const char *const CAUSAL_LABELS = "the,cat,walks,by,the,bank,to,find,fish";

static void defaults_trace_every_mask_and_step(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson07, *state, "t.jsonl", NULL);
    expect_tensor(trace, "embed", 9, 6);
    const al_trace_tensor *mask = expect_tensor(trace, "dec.0.self_attn.mask", 9, 9);
    assert_string_equal(mask->op, "causal_mask");
    const char *square[] = {"h0.scaled", "h0.masked", "h0.weights"};
    for (int i = 0; i < 3; i++) {
        char name[64];
        snprintf(name, sizeof name, "dec.0.self_attn.%s", square[i]);
        const al_trace_tensor *t = expect_tensor(trace, name, 9, 9);
        expect_labels(t, 'r', CAUSAL_LABELS);
        expect_labels(t, 'c', CAUSAL_LABELS);
    }
    assert_string_equal(al_trace_file_find(trace, "dec.0.self_attn.h0.masked")->mask,
                        "dec.0.self_attn.mask");
    expect_tensor(trace, "dec.0.self_attn.out", 9, 6);
    for (int b = 0; b < 3; b++) {
        char name[64];
        snprintf(name, sizeof name, "batch.%d.enc.0.attn.mask", b);
        assert_string_equal(expect_tensor(trace, name, 7, 7)->op, "padding_mask");
        snprintf(name, sizeof name, "batch.%d.embed", b);
        expect_tensor(trace, name, 7, 6);
        snprintf(name, sizeof name, "batch.%d.enc.0.attn.h0.weights", b);
        expect_tensor(trace, name, 7, 7);
    }
    expect_labels(al_trace_file_find(trace, "batch.1.enc.0.attn.h0.weights"), 'c',
                  "the,fish,swims,<pad>,<pad>,<pad>,<pad>");
    const char *steps[] = {"Step 1: the sentence as vectors", "Step 2: scores",
                           "Step 3: the causal mask", "dec.0.self_attn.mask",
                           "Step 4: apply the mask", "masked", "Step 5: softmax",
                           "\"cat\" sees only \"the\" and itself; \"fish\", the last word, sees "
                           "all 9 words",
                           "Step 6: the weighted mean",
                           "Step 7: a batch of sentences, padded to one length",
                           "sentence 1: the fish swims <pad> <pad> <pad> <pad>    (key length 3 "
                           "of 7)",
                           "Step 8: a padding mask per sentence", "batch.1.enc.0.attn.mask",
                           "Step 9: masked scores and weights for each sentence",
                           "Step 10: a row with nothing to attend to",
                           "7 rows had every key masked", NULL};
    expect_in_order(r.out, steps);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* The chapter's example: above the diagonal every weight is exactly 0.0f
 * and every masked score is null; "cat" (row 1) has nonzero weight on
 * "the" and "cat" only; "fish" (row 8, the last) on all nine words. */
static void causal_weights_are_exactly_zero_above_the_diagonal(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson07, *state, "t.jsonl", NULL);
    const al_trace_tensor *mask = al_trace_file_find(trace, "dec.0.self_attn.mask");
    const al_trace_tensor *masked = al_trace_file_find(trace, "dec.0.self_attn.h0.masked");
    const al_trace_tensor *w = al_trace_file_find(trace, "dec.0.self_attn.h0.weights");
    for (int i = 0; i < 9; i++) {
        double sum = 0;
        for (int j = 0; j < 9; j++) {
            float weight = al_trace_tensor_at(w, i, j);
            sum += weight;
            assert_same_float(al_trace_tensor_at(mask, i, j), j <= i ? 1.0f : 0.0f);
            if (j > i) {
                assert_true(weight == 0.0f);
                assert_true(isnan(al_trace_tensor_at(masked, i, j))); /* null in the file */
            } else {
                assert_true(isfinite(al_trace_tensor_at(masked, i, j)));
            }
        }
        assert_close(sum, 1.0, ROW_SUM_TOLERANCE);
    }
    assert_string_equal(w->row_labels[1], "cat");
    for (int j = 0; j < 9; j++)
        if (j <= 1)
            assert_true(al_trace_tensor_at(w, 1, j) > 0.0f);
        else
            assert_true(al_trace_tensor_at(w, 1, j) == 0.0f);
    assert_string_equal(w->row_labels[8], "fish");
    for (int j = 0; j < 9; j++)
        assert_true(al_trace_tensor_at(w, 8, j) > 0.0f);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* Sentence 1 has key length 3: its mask is 1 in columns 0-2 and 0 in the
 * four <pad> columns on every row, and every row's weight there is 0. */
static void padding_columns_get_no_weight(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson07, *state, "t.jsonl", NULL);
    const al_trace_tensor *mask = al_trace_file_find(trace, "batch.1.enc.0.attn.mask");
    const al_trace_tensor *w = al_trace_file_find(trace, "batch.1.enc.0.attn.h0.weights");
    const al_trace_tensor *full = al_trace_file_find(trace, "batch.0.enc.0.attn.mask");
    for (int i = 0; i < 7; i++) {
        double sum = 0;
        for (int j = 0; j < 7; j++) {
            assert_same_float(al_trace_tensor_at(mask, i, j), j < 3 ? 1.0f : 0.0f);
            assert_same_float(al_trace_tensor_at(full, i, j), 1.0f);
            if (j >= 3)
                assert_true(al_trace_tensor_at(w, i, j) == 0.0f);
            sum += al_trace_tensor_at(w, i, j);
        }
        assert_close(sum, 1.0, ROW_SUM_TOLERANCE);
    }
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* "the fish swims" padded to 7 gives its three real words the weights it
 * gets unpadded (a batch of two equal sentences needs no padding). */
static void padding_changes_nothing_for_the_real_words(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson07, *state, "t.jsonl", NULL);
    const al_trace_tensor *padded = al_trace_file_find(trace, "batch.1.enc.0.attn.h0.weights");
    float kept[3][3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            kept[i][j] = al_trace_tensor_at(padded, i, j);
    al_trace_file_free(trace);
    run_result_free(&r);

    const char *extra[] = {"--batch", "the fish swims | the fish swims", NULL};
    trace = lesson_run_ok(&r, lesson07, *state, "t.jsonl", extra);
    const al_trace_tensor *alone = expect_tensor(trace, "batch.1.enc.0.attn.h0.weights", 3, 3);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            assert_close(kept[i][j], al_trace_tensor_at(alone, i, j), PADDING_TOLERANCE);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* The empty slot: every key masked, so weights and outputs are exactly 0,
 * nothing is NaN, and the weights record carries the warning. */
static void a_fully_masked_row_gives_zeros_and_a_warning(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson07, *state, "t.jsonl", NULL);
    const al_trace_tensor *w = al_trace_file_find(trace, "batch.2.enc.0.attn.h0.weights");
    const al_trace_tensor *out = expect_tensor(trace, "batch.2.enc.0.attn.out", 7, 6);
    for (int i = 0; i < 7; i++) {
        for (int j = 0; j < 7; j++)
            assert_true(al_trace_tensor_at(w, i, j) == 0.0f);
        for (int c = 0; c < 6; c++)
            assert_true(al_trace_tensor_at(out, i, c) == 0.0f);
    }
    assert_int_equal(w->n_warnings, 1);
    assert_non_null(strstr(w->warnings[0], "have every key masked; their weights are all 0"));
    assert_non_null(strstr(r.out, "attnlab-trace show"));
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* --random with a d_model wider than the batch: every out is L x d_model,
 * its columns the dimensions' numbers, not the tokens. */
static void random_weights_take_d_model(void **state)
{
    const char *extra[] = {"--random", "--d-model", "8", "--seed", "3", NULL};
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson07, *state, "t.jsonl", extra);
    expect_tensor(trace, "dec.0.self_attn.out", 9, 8);
    expect_tensor(trace, "batch.2.enc.0.attn.out", 7, 8);
    const char *parts[] = {"dec.0.self_attn.out  (9 x 8)", "batch.2.enc.0.attn.out  (7 x 8)",
                           NULL};
    expect_in_order(r.out, parts);
    /* the line under the title: the column headings */
    const char *below = strchr(strstr(r.out, "batch.2.enc.0.attn.out  (7 x 8)"), '\n') + 1;
    char header[256];
    snprintf(header, sizeof header, "%.*s", (int)strcspn(below, "\n"), below);
    assert_null(strstr(header, "<pad>"));
    assert_non_null(strstr(header, "7"));
    al_trace_file_free(trace);
    run_result_free(&r);
}

static void figures_are_drawn(void **state)
{
    lesson_folder *folder = *state;
    run_result r;
    const char *files[] = {"t-causal-masked.png", "t-causal-masked.svg", "t-causal-weights.png",
                           "t-causal-weights.svg", "t-padding.png", "t-padding.svg",
                           "t-flow.svg", NULL};
    expect_figures(&r, lesson07, folder, NULL, files);
    run_result_free(&r);
}

static void runs_repeat_exactly(void **state)
{
    expect_runs_repeat_exactly(lesson07, *state, NULL);
}

static void bad_input_is_refused_with_one_line(void **state)
{
    const char *one[] = {"--batch", "the cat walks", NULL};
    expect_refusal(lesson07, *state, one, "--batch needs two to 8 sentences separated by '|'");
    const char *nine[] = {"--batch", "a | b | c | d | e | f | g | h | i", NULL};
    expect_refusal(lesson07, *state, nine, "--batch needs two to 8 sentences separated by '|'");
    const char *half[] = {"--batch", " | the cat", NULL};
    expect_refusal(lesson07, *state, half, "the sentence is empty");
    const char *empty[] = {"--sentence", "", NULL};
    expect_refusal(lesson07, *state, empty, "the sentence is empty");
    const char *longer[] = {"--sentence", "a a a a a a a a a a a a a a a a a a a a a a a a a a a a a "
                                          "a a a a", NULL};
    expect_refusal(lesson07, *state, longer, "at most 32");
    const char *unknown[] = {"--heads", "2", NULL};
    expect_refusal(lesson07, *state, unknown, "unknown option '--heads'");
    const char *d_model[] = {"--random", "--d-model", "0", NULL};
    expect_refusal(lesson07, *state, d_model, "--d-model needs a whole number from 1 to 512");
}

/* The example of --help, run as typed (plus the test's --trace). */
static void help_example_works_as_typed(void **state)
{
    const char *help[] = {"lesson07 --sentence \"the dog sits by the lake\" --batch "
                          "\"the man pays at the bank | the duck swims | the cat walks\"", NULL};
    expect_help_mentions(lesson07, help);
    run_result r;
    const char *example[] = {"--sentence", "the dog sits by the lake", "--batch",
                             "the man pays at the bank | the duck swims | the cat walks", NULL};
    al_trace_file *trace = lesson_run_ok(&r, lesson07, *state, "t.jsonl", example);
    expect_tensor(trace, "dec.0.self_attn.h0.weights", 6, 6);
    expect_tensor(trace, "batch.0.enc.0.attn.h0.weights", 6, 6);
    /* The example pads: "the duck swims" has 3 real keys of 6. */
    const al_trace_tensor *w = expect_tensor(trace, "batch.1.enc.0.attn.h0.weights", 6, 6);
    for (int i = 0; i < 6; i++)
        for (int j = 3; j < 6; j++)
            assert_true(al_trace_tensor_at(w, i, j) == 0.0f);
    assert_non_null(strstr(r.out, "<pad> tokens fill the gap in 2 of the 3 sentences"));
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* Eight sentences: each padded to the longest (6), each padding mask 1 on
 * exactly its own key length, and the empty slot is batch.8. */
static void a_batch_of_eight_sentences_pads_each_to_the_longest(void **state)
{
    run_result r;
    const char *eight[] = {"--batch", "the cat | the cat walks | the man pays at the bank | "
                           "the duck swims | the fish | the dog sits by the lake | the bank | "
                           "the river bank", NULL};
    const int key_lengths[8] = {2, 3, 6, 3, 2, 6, 2, 3};
    al_trace_file *trace = lesson_run_ok(&r, lesson07, *state, "t.jsonl", eight);
    for (int b = 0; b <= 8; b++) {
        char name[64];
        snprintf(name, sizeof name, "batch.%d.enc.0.attn.mask", b);
        const al_trace_tensor *mask = expect_tensor(trace, name, 6, 6);
        int length = b < 8 ? key_lengths[b] : 0;
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++)
                assert_true(al_trace_tensor_at(mask, i, j) == (j < length ? 1.0f : 0.0f));
    }
    assert_null(al_trace_file_find(trace, "batch.9.enc.0.attn.mask"));
    assert_non_null(strstr(r.out, "sentence 7: the river bank <pad> <pad> <pad>    (key length "
                                  "3 of 6)"));
    assert_non_null(strstr(r.out, "6 rows had every key masked"));
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* Sentences of one length need no padding, and the printout says so
 * instead of pointing at <pad> columns that are not there. */
static void a_batch_of_equal_lengths_says_nothing_is_padded(void **state)
{
    run_result r;
    const char *equal[] = {"--batch", "the man pays | the duck swims", NULL};
    al_trace_file *trace = lesson_run_ok(&r, lesson07, *state, "t.jsonl", equal);
    assert_non_null(strstr(r.out, "Here every sentence already has 3 tokens: nothing is "
                                  "padded"));
    assert_null(strstr(r.out, "The <pad> columns get weight 0"));
    al_trace_file_free(trace);
    run_result_free(&r);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_lesson07 PATH-TO-lesson07\n");
        return 2;
    }
    lesson07 = argv[1];
    const struct CMUnitTest tests[] = {
        lesson_test(defaults_trace_every_mask_and_step),
        lesson_test(causal_weights_are_exactly_zero_above_the_diagonal),
        lesson_test(padding_columns_get_no_weight),
        lesson_test(padding_changes_nothing_for_the_real_words),
        lesson_test(a_fully_masked_row_gives_zeros_and_a_warning),
        lesson_test(random_weights_take_d_model),
        lesson_test(figures_are_drawn),
        lesson_test(runs_repeat_exactly),
        lesson_test(bad_input_is_refused_with_one_line),
        lesson_test(help_example_works_as_typed),
        lesson_test(a_batch_of_eight_sentences_pads_each_to_the_longest),
        lesson_test(a_batch_of_equal_lengths_says_nothing_is_padded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
