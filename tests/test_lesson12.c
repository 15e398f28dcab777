/* test_lesson12.c: lesson12 (BERT versus GPT) as a student runs it: the
 * two stacks share their weights; the decoder-only weights are exactly 0
 * above the diagonal and the encoder-only ones are not; changing the last
 * word moves every encoder-only row but leaves the earlier decoder-only
 * rows the same to the last bit, both within one run (change.*) and
 * between two runs; the two objectives read the traced probabilities;
 * figures, determinism, refusals and the --help example. */
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

static const char *lesson12; /* the program, from argv[1] */

#define L 8  /* [CLS] or <bos>, and the seven words of --random's default sentence */

/* The seeded models: lesson12 --random. */
static const char *const RANDOM[] = {"--random", NULL};

/* The trained default, "the [MASK] was near , so she walked to the bank to
 * watch the boats": BERT reads the words after "bank" and says river (the
 * shipped model: 0.99 on every kernel tried; 0.9 leaves room for the last
 * bits); GPT's row before the hidden word cannot see them, so it gives
 * river less than half (0.21 here). Both models are named with their
 * training; the decoder-only rows before the changed last word stay the
 * same bits, and every weight row of GPT sums to 1 and is exactly 0 above
 * the diagonal. */
static void the_trained_models_read_what_their_masks_allow(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson12, *state, "t.jsonl", NULL);
    const int n = 16;
    const al_trace_tensor *bert = expect_tensor(trace, "bert.probs", n, 112);
    const al_trace_tensor *gpt = expect_tensor(trace, "gpt.probs", n, 112);
    int river = row_argmax(bert, 2);
    assert_string_equal(bert->col_labels[river], "river");
    double p_bert = al_trace_tensor_at(bert, 2, river), p_gpt = al_trace_tensor_at(gpt, 1, river);
    if (!(p_bert > 0.9))
        fail_msg("BERT's p(river) = %.9g, expected > %.9g (it reads the words after bank)",
                 p_bert, 0.9);
    if (!(p_gpt < 0.5))
        fail_msg("GPT's p(river) = %.9g, expected < %.9g (it cannot see past 'the')", p_gpt,
                 0.5);
    for (int l = 0; l < 2; l++)
        for (int h = 0; h < 4; h++) {
            char name[64];
            snprintf(name, sizeof name, "gpt.dec.%d.self_attn.h%d.weights", l, h);
            const al_trace_tensor *w = expect_tensor(trace, name, n, n);
            for (int i = 0; i < n; i++) {
                double sum = 0;
                for (int j = 0; j < n; j++) {
                    if (j > i)
                        assert_true(al_trace_tensor_at(w, i, j) == 0.0f);
                    sum += al_trace_tensor_at(w, i, j);
                }
                /* 16 float32 weights: a few units of 2^-24 each */
                assert_close(sum, 1.0, 4e-6);
            }
        }
    const al_trace_tensor *change = expect_tensor(trace, "change.gpt", n, 1);
    for (int i = 0; i + 1 < n; i++)
        assert_true(al_trace_tensor_at(change, i, 0) == 0.0f);
    assert_true(al_trace_tensor_at(change, n - 1, 0) > 0.0f);
    const char *parts[] = {"two models trained on the same sentences",
                           "encoder-only, on masked words: data/bank/encoder.safetensors",
                           "in 8000 steps",
                           "decoder-only, on next words: data/bank/decoder.safetensors",
                           "in 3000 steps", "[MASK] is row 2", "1. river", "Row 1 (\"the\")",
                           "\"boats\" becomes \"ducks\"", NULL};
    expect_in_order(r.out, parts);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* One rule for unknown words: <unk>, with a note; a next-word probability
 * of <unk> is said to be one. */
static void an_unknown_word_is_noted_and_its_row_says_unk(void **state)
{
    const char *extra[] = {"--sentence", "i am a happy person", "--hide", "1", NULL};
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson12, *state, "t.jsonl", extra);
    assert_non_null(strstr(r.out, "note: 'happy' is not in the vocabulary (the words of "
                                  "data/bank/corpus.txt); it becomes <unk>"));
    assert_non_null(strstr(r.out, "should say happy "));
    assert_non_null(strstr(r.out, "(p of <unk>: not in the vocabulary)"));
    al_trace_file_free(trace);
    run_result_free(&r);
}

static bool rows_equal(const al_trace_tensor *a, const al_trace_tensor *b, int row)
{
    for (int j = 0; j < a->cols; j++)
        if (al_trace_tensor_at(a, row, j) != al_trace_tensor_at(b, row, j))
            return false;
    return true;
}

static void both_stacks_are_traced_side_by_side(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson12, *state, "t.jsonl", RANDOM);
    expect_labels(expect_tensor(trace, "bert.tokens", 1, L), 'c',
                  "[CLS],the,cat,[MASK],by,the,river,bank");
    expect_labels(expect_tensor(trace, "gpt.tokens", 1, L), 'c',
                  "<bos>,the,cat,walks,by,the,river,bank");
    expect_tensor(trace, "bert.enc.1.attn.h1.weights", L, L);
    expect_tensor(trace, "gpt.dec.1.self_attn.h1.weights", L, L);
    expect_tensor(trace, "gpt.dec.0.self_attn.mask", L, L);
    expect_tensor(trace, "bert.probs", L, 50);
    expect_tensor(trace, "gpt.probs", L, 50);
    expect_tensor(trace, "changed.gpt.logits", L, 50);
    expect_labels(expect_tensor(trace, "change.bert", L, 1), 'r',
                  "[CLS],the,cat,[MASK],by,the,river,bank");
    expect_tensor(trace, "change.gpt", L, 1);
    const char *steps[] = {"Step 1: one sentence, two models with the same weights",
                           "Step 2: layer 0, encoder-only: every token sees every token",
                           "Step 3: layer 0, decoder-only: token t sees tokens 0 .. t",
                           "Step 4: layer 1, encoder-only", "Step 5: layer 1, decoder-only",
                           "Step 6: encoder-only objective: the masked word",
                           "Step 7: decoder-only objective: the next word",
                           "Step 8: change the last word, run both again", NULL};
    expect_in_order(r.out, steps);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* Same shape, same seed: the same numbers in the same places. */
static void the_two_stacks_have_the_same_weights(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson12, *state, "t.jsonl", RANDOM);
    const char *pairs[][2] = {{"bert.embed.table", "gpt.embed.table"},
                              {"bert.enc.0.attn.w_q", "gpt.dec.0.self_attn.w_q"},
                              {"bert.enc.1.attn.w_o", "gpt.dec.1.self_attn.w_o"},
                              {"bert.enc.1.ffn.w2", "gpt.dec.1.ffn.w2"}};
    for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
        const al_trace_tensor *a = al_trace_file_find(trace, pairs[k][0]);
        const al_trace_tensor *b = al_trace_file_find(trace, pairs[k][1]);
        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(a->rows, b->rows);
        for (int i = 0; i < a->rows; i++)
            if (!rows_equal(a, b, i))
                fail_msg("%s and %s differ in row %d", pairs[k][0], pairs[k][1], i);
    }
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* Decoder-only: every weight above the diagonal is exactly 0 (and rows
 * still sum to 1); encoder-only: every weight is positive. */
static void causal_weights_are_zero_above_the_diagonal_only_in_gpt(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson12, *state, "t.jsonl", RANDOM);
    for (int l = 0; l < 2; l++)
        for (int h = 0; h < 2; h++) {
            char name[96];
            snprintf(name, sizeof name, "gpt.dec.%d.self_attn.h%d.weights", l, h);
            const al_trace_tensor *gpt = al_trace_file_find(trace, name);
            snprintf(name, sizeof name, "bert.enc.%d.attn.h%d.weights", l, h);
            const al_trace_tensor *bert = al_trace_file_find(trace, name);
            for (int i = 0; i < L; i++)
                for (int j = 0; j < L; j++) {
                    if (j > i)
                        assert_same_float(al_trace_tensor_at(gpt, i, j), 0.0f);
                    else
                        assert_true(al_trace_tensor_at(gpt, i, j) > 0.0f);
                    assert_true(al_trace_tensor_at(bert, i, j) > 0.0f);
                }
        }
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* Within one run: change.gpt is exactly 0 for rows 0-6 and not for the
 * last; change.bert is not 0 for any row. */
static void the_change_moves_every_bert_row_and_only_the_last_gpt_row(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson12, *state, "t.jsonl", RANDOM);
    const al_trace_tensor *bert = al_trace_file_find(trace, "change.bert");
    const al_trace_tensor *gpt = al_trace_file_find(trace, "change.gpt");
    for (int i = 0; i < L; i++) {
        assert_true(al_trace_tensor_at(bert, i, 0) > 0.0f);
        if (i < L - 1)
            assert_same_float(al_trace_tensor_at(gpt, i, 0), 0.0f);
        else
            assert_true(al_trace_tensor_at(gpt, i, 0) > 0.0f);
    }
    assert_non_null(strstr(r.out, "Decoder-only: 7 of the 7 earlier rows are exactly the same"));
    assert_non_null(strstr(r.out, "Encoder-only: 7 of the 7 earlier rows moved"));
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* Between two runs whose sentences differ only in the last word: the
 * decoder-only final output and logits of rows 0-6 are the same bits,
 * the encoder-only output of "the" (row 1) is not. And the second run is
 * what the first traced as changed.*. */
static void a_later_word_changes_earlier_rows_only_in_bert(void **state)
{
    run_result first, second;
    al_trace_file *a = lesson_run_ok(&first, lesson12, *state, "a.jsonl", RANDOM);
    const char *extra[] = {"--random", "--sentence", "the cat walks by the river shore",
                           "--change", "bank", NULL};
    al_trace_file *b = lesson_run_ok(&second, lesson12, *state, "b.jsonl", extra);
    const char *same[] = {"gpt.dec.1.norm2", "gpt.logits", "gpt.probs"};
    for (size_t k = 0; k < sizeof same / sizeof same[0]; k++) {
        const al_trace_tensor *x = al_trace_file_find(a, same[k]);
        const al_trace_tensor *y = al_trace_file_find(b, same[k]);
        for (int i = 0; i < L - 1; i++)
            if (!rows_equal(x, y, i))
                fail_msg("%s row %d changed when only the last word did", same[k], i);
        assert_false(rows_equal(x, y, L - 1));
    }
    const al_trace_tensor *x = al_trace_file_find(a, "bert.enc.1.norm2");
    const al_trace_tensor *y = al_trace_file_find(b, "bert.enc.1.norm2");
    assert_false(rows_equal(x, y, 1));
    assert_false(rows_equal(x, y, 0));
    const al_trace_tensor *changed = al_trace_file_find(a, "changed.bert.enc.1.norm2");
    for (int i = 0; i < L; i++)
        assert_true(rows_equal(changed, y, i));
    al_trace_file_free(a);
    al_trace_file_free(b);
    run_result_free(&first);
    run_result_free(&second);
}


/* BERT guesses the hidden word at its [MASK] row (3); GPT at the row
 * before it (2, "cat"): the first words listed are those rows' argmax. */
static void the_objectives_read_the_right_rows(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson12, *state, "t.jsonl", RANDOM);
    const al_trace_tensor *bert = al_trace_file_find(trace, "bert.probs");
    const al_trace_tensor *gpt = al_trace_file_find(trace, "gpt.probs");
    char bert_first[64], gpt_first[64];
    snprintf(bert_first, sizeof bert_first, "1. %s ", bert->col_labels[row_argmax(bert, 3)]);
    snprintf(gpt_first, sizeof gpt_first, "1. %s ", gpt->col_labels[row_argmax(gpt, 2)]);
    expect_in_order(r.out, (const char *const[]){"[MASK] is row 3", bert_first, "p(\"walks\")",
                                                 "Row 2 (\"cat\") has seen tokens 0 .. 2 only",
                                                 gpt_first, "row  6  river      -> should say "
                                                            "bank", NULL});
    al_trace_file_free(trace);
    run_result_free(&r);
}

static void runs_repeat_exactly(void **state)
{
    expect_runs_repeat_exactly(lesson12, *state, NULL);
    expect_runs_repeat_exactly(lesson12, *state, RANDOM);
}

static void figures_are_drawn_when_asked(void **state)
{
    lesson_folder *folder = *state;
    run_result r;
    const char *files[] = {"t-patterns.png", "t-patterns.svg", "t-change.png", "t-change.svg",
                           "t-flow.svg", NULL};
    expect_figures(&r, lesson12, folder, NULL, files);
    run_result_free(&r);
}

static void bad_input_is_refused_with_one_line(void **state)
{
    const char *split[] = {"--random", "--d-model", "10", "--heads", "4", NULL};
    expect_refusal(lesson12, *state, split, "d_model 10 is not a multiple of heads 4");
    const char *last[] = {"--random", "--hide", "7", NULL};
    expect_refusal(lesson12, *state, last, "--hide 7: the sentence has 7 words");
    const char *zero[] = {"--hide", "0", NULL};
    expect_refusal(lesson12, *state, zero, "--hide needs a whole number from 1 to 16");
    const char *one[] = {"--sentence", "cat", "--hide", "1", NULL};
    expect_refusal(lesson12, *state, one, "at least two words");
    const char *empty[] = {"--sentence", "", NULL};
    expect_refusal(lesson12, *state, empty, "empty");
    const char *longer[] = {"--random", "--sentence", "the cat the cat the cat the cat the cat "
                                                      "the cat the cat the cat", NULL};
    expect_refusal(lesson12, *state, longer, "this lesson takes at most 15");
    const char *two[] = {"--change", "river bank", NULL};
    expect_refusal(lesson12, *state, two, "--change needs one word, not 'river bank'");
    const char *unknown[] = {"--hand-made", NULL};
    expect_refusal(lesson12, *state, unknown, "unknown option '--hand-made'");
    const char *shape[] = {"--layers", "3", NULL};
    expect_refusal(lesson12, *state, shape, "--layers only applies with --random");
    const char *seed[] = {"--seed", "7", NULL};
    expect_refusal(lesson12, *state, seed, "--seed only applies with --random");
    const char *beyond[] = {"--hide", "15", NULL};
    expect_refusal(lesson12, *state, beyond, "--hide 15: the sentence has 15 words");
    const char *missing[] = {"--data", "/nonexistent", NULL};
    expect_refusal(lesson12, *state, missing, "/nonexistent/bank/encoder.safetensors");
}

static void help_example_works_as_typed(void **state)
{
    const char *help[] = {"lesson12 --hide 2 --change bills --sentence \"the money was near , so "
                          "he went to the bank for a loan\"", NULL};
    expect_help_mentions(lesson12, help);
    run_result r;
    const char *example[] = {"--hide", "2", "--change", "bills", "--sentence",
                             "the money was near , so he went to the bank for a loan", NULL};
    al_trace_file *trace = lesson_run_ok(&r, lesson12, *state, "t.jsonl", example);
    const al_trace_tensor *bert = al_trace_file_find(trace, "bert.probs");
    assert_non_null(bert);
    assert_string_equal(bert->col_labels[row_argmax(bert, 2)], "money");
    assert_non_null(strstr(r.out, "\"loan\" becomes \"bills\""));
    al_trace_file_free(trace);
    run_result_free(&r);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_lesson12 PATH-TO-lesson12\n");
        return 2;
    }
    lesson12 = argv[1];
    const struct CMUnitTest tests[] = {
        lesson_test(the_trained_models_read_what_their_masks_allow),
        lesson_test(an_unknown_word_is_noted_and_its_row_says_unk),
        lesson_test(both_stacks_are_traced_side_by_side),
        lesson_test(the_two_stacks_have_the_same_weights),
        lesson_test(causal_weights_are_zero_above_the_diagonal_only_in_gpt),
        lesson_test(the_change_moves_every_bert_row_and_only_the_last_gpt_row),
        lesson_test(a_later_word_changes_earlier_rows_only_in_bert),
        lesson_test(the_objectives_read_the_right_rows),
        lesson_test(runs_repeat_exactly),
        lesson_test(figures_are_drawn_when_asked),
        lesson_test(bad_input_is_refused_with_one_line),
        lesson_test(help_example_works_as_typed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
