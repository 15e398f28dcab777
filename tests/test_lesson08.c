/* test_lesson08.c: lesson08 (positional encoding) as a student runs it:
 * the encodings and their dot products redone from the trace, position
 * 513 (sinusoids extend, the learned table refuses), and the permutation
 * property checked from the trace alone: without positions the shuffled
 * sentence's outputs are the original's rows in the shuffled order, with
 * positions they are not. Also figures, determinism and refusals. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "lesson_check.h"

static const char *lesson08; /* the program, from argv[1] */

/* A dot product of 16 float32 entries of size <= 1, redone in double:
 * 16 products and sums, each rounded to 2^-24 relative, of terms <= 1, and
 * the result (<= 8) rounded once: 2e-6 covers it. */
#define DOT_TOLERANCE 2e-6
/* sin and cos computed in double, rounded once to float32 (|x| <= 1). */
#define ROUNDED_ONCE 6e-8
/* The same attention on the same rows in another order: the same
 * products, summed in another order, a few units of 2^-24 apart. */
#define PERMUTED_TOLERANCE 1e-6
/* With positions the outputs must differ by far more than rounding. */
#define CLEARLY_DIFFERENT 0.1

static void defaults_trace_every_part_in_order(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson08, *state, "t.jsonl", NULL);
    expect_tensor(trace, "one_hot.pos", 16, 16);
    expect_tensor(trace, "sinusoidal.pos", 16, 16);
    const al_trace_tensor *g = expect_tensor(trace, "sinusoidal.similarity", 16, 16);
    assert_string_equal(g->op, "matmul_bt");
    assert_int_equal(g->n_inputs, 2);
    assert_string_equal(g->inputs[0], "sinusoidal.pos");
    assert_string_equal(g->inputs[1], "sinusoidal.pos");
    expect_tensor(trace, "one_hot.similarity", 16, 16);
    expect_labels(expect_tensor(trace, "beyond.pos", 3, 16), 'r', "511,512,513");
    expect_tensor(trace, "beyond.similarity", 3, 3);
    assert_null(al_trace_file_find(trace, "learned.pos"));
    const char *words = "the,cat,walks,by,the,river,bank";
    expect_labels(expect_tensor(trace, "original.embed", 7, 6), 'r', words);
    expect_tensor(trace, "shuffle.order", 1, 7);
    expect_tensor(trace, "shuffled.embed", 7, 6);
    expect_tensor(trace, "pos", 7, 6);
    expect_tensor(trace, "original.x", 7, 6);
    expect_tensor(trace, "shuffled.x", 7, 6);
    const char *runs[] = {"original.no_pos", "shuffled.no_pos", "original.with_pos",
                          "shuffled.with_pos"};
    for (int i = 0; i < 4; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s.attn.h0.weights", runs[i]);
        expect_tensor(trace, name, 7, 7);
        snprintf(name, sizeof name, "%s.attn.out", runs[i]);
        expect_tensor(trace, name, 7, 6);
    }
    const char *steps[] = {"Step 1: one-hot positions", "one_hot.pos",
                           "Step 2: sinusoidal positions", "sinusoidal.pos",
                           "Step 3: how alike are two positions?", "sinusoidal.similarity",
                           "Step 4: past the training length", "beyond.pos",
                           "learned positional encoding: position 513 is past the encoding's "
                           "512 positions (0 to 511)",
                           "Step 5: a sentence and a shuffled copy",
                           "Step 6: self-attention without positions",
                           "Step 7: self-attention with positions", NULL};
    expect_in_order(r.out, steps);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* The similarities redone in double from the traced encodings: one-hot
 * gives the identity exactly; sinusoidal is symmetric, d/2 = 8 on the
 * diagonal (sin² + cos² = 1 per pair) and the same along every diagonal. */
static void similarities_are_the_dot_products_of_the_traced_encodings(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson08, *state, "t.jsonl", NULL);
    const al_trace_tensor *pos = al_trace_file_find(trace, "sinusoidal.pos");
    const al_trace_tensor *g = al_trace_file_find(trace, "sinusoidal.similarity");
    const al_trace_tensor *one_hot = al_trace_file_find(trace, "one_hot.similarity");
    for (int p = 0; p < 16; p++)
        for (int q = 0; q < 16; q++) {
            double dot = 0;
            for (int j = 0; j < 16; j++)
                dot += (double)al_trace_tensor_at(pos, p, j) * al_trace_tensor_at(pos, q, j);
            assert_close(al_trace_tensor_at(g, p, q), dot, DOT_TOLERANCE);
            assert_same_float(al_trace_tensor_at(one_hot, p, q), p == q ? 1.0f : 0.0f);
            if (p + 1 < 16 && q + 1 < 16)
                assert_close(al_trace_tensor_at(g, p + 1, q + 1), al_trace_tensor_at(g, p, q),
                             DOT_TOLERANCE);
        }
    assert_close(al_trace_tensor_at(g, 3, 3), 8.0, DOT_TOLERANCE);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* Position 513, d = 16: column 2i is sin(513 / 10000^(2i/16)), 2i+1 its
 * cosine; and 513 is as like 512 as 1 is like 0. */
static void position_513_follows_the_formula(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson08, *state, "t.jsonl", NULL);
    const al_trace_tensor *beyond = al_trace_file_find(trace, "beyond.pos");
    for (int i = 0; i < 8; i++) {
        double angle = 513.0 / pow(10000.0, 2.0 * i / 16.0);
        assert_close(al_trace_tensor_at(beyond, 2, 2 * i), sin(angle), ROUNDED_ONCE);
        assert_close(al_trace_tensor_at(beyond, 2, 2 * i + 1), cos(angle), ROUNDED_ONCE);
    }
    assert_close(al_trace_tensor_at(al_trace_file_find(trace, "beyond.similarity"), 2, 1),
                 al_trace_tensor_at(al_trace_file_find(trace, "sinusoidal.similarity"), 1, 0),
                 DOT_TOLERANCE);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* Inside the table the learned encoding is row P of it. */
static void a_position_inside_the_table_is_looked_up(void **state)
{
    const char *extra[] = {"--position", "100", NULL};
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson08, *state, "t.jsonl", extra);
    const al_trace_tensor *row = expect_tensor(trace, "learned.pos", 1, 16);
    const al_trace_tensor *table = expect_tensor(trace, "learned.pos.table", 512, 16);
    for (int j = 0; j < 16; j++)
        assert_same_float(al_trace_tensor_at(row, 0, j), al_trace_tensor_at(table, 100, j));
    assert_null(strstr(r.out, "refuses"));
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* The permutation property, from the trace alone. order[i] is the
 * original place of the word now at place i; it moves every word. The
 * shuffled embeddings are the original rows in that order, exactly.
 * Without positions: shuffled weights[i][j] = original weights[o_i][o_j]
 * and shuffled out row i = original out row o_i (up to rounding). With
 * positions some output differs by far more. */
static void shuffling_permutes_the_outputs_only_without_positions(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson08, *state, "t.jsonl", NULL);
    const al_trace_tensor *order_t = al_trace_file_find(trace, "shuffle.order");
    int order[7];
    for (int i = 0; i < 7; i++) {
        order[i] = (int)al_trace_tensor_at(order_t, 0, i);
        assert_true(order[i] >= 0 && order[i] < 7 && order[i] != i);
    }
    const al_trace_tensor *embed = al_trace_file_find(trace, "original.embed");
    const al_trace_tensor *moved = al_trace_file_find(trace, "shuffled.embed");
    const al_trace_tensor *w = al_trace_file_find(trace, "original.no_pos.attn.h0.weights");
    const al_trace_tensor *w_moved = al_trace_file_find(trace, "shuffled.no_pos.attn.h0.weights");
    const al_trace_tensor *out = al_trace_file_find(trace, "original.no_pos.attn.out");
    const al_trace_tensor *out_moved = al_trace_file_find(trace, "shuffled.no_pos.attn.out");
    const al_trace_tensor *pos_out = al_trace_file_find(trace, "original.with_pos.attn.out");
    const al_trace_tensor *pos_moved = al_trace_file_find(trace, "shuffled.with_pos.attn.out");
    double largest_with_positions = 0;
    for (int i = 0; i < 7; i++) {
        assert_string_equal(moved->row_labels[i], embed->row_labels[order[i]]);
        for (int j = 0; j < 7; j++)
            assert_close(al_trace_tensor_at(w_moved, i, j),
                         al_trace_tensor_at(w, order[i], order[j]), PERMUTED_TOLERANCE);
        for (int c = 0; c < 6; c++) {
            assert_same_float(al_trace_tensor_at(moved, i, c),
                              al_trace_tensor_at(embed, order[i], c));
            assert_close(al_trace_tensor_at(out_moved, i, c),
                         al_trace_tensor_at(out, order[i], c), PERMUTED_TOLERANCE);
            double d = fabs((double)al_trace_tensor_at(pos_moved, i, c) -
                            al_trace_tensor_at(pos_out, order[i], c));
            largest_with_positions = d > largest_with_positions ? d : largest_with_positions;
        }
    }
    if (!(largest_with_positions > CLEARLY_DIFFERENT))
        fail_msg("with positions the outputs differ by only %g", largest_with_positions);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* Σ_i cos(ω_i), ω_i = 10000^(-2i/d), i = 0 ... d/2 - 1: the dot product of
 * any two positions 1 apart, in double. d = 16: cos 1 + cos 0.3162 +
 * cos 0.1 + cos 0.03162 + ... = 0.5403 + 0.9504 + 0.9950 + 0.9995 + 4 x
 * about 1 = 7.4852. */
static double one_apart(int d)
{
    double sum = 0.0;
    for (int i = 0; i < d / 2; i++)
        sum += cos(pow(10000.0, -2.0 * i / d));
    return sum;
}

/* What the printout says of position P with P - 1 against 0 with 1: both
 * numbers, and that it says "the same" only when they print the same.
 * Printed to 4 decimals (5e-5), from float32 angles p·ω_i: for p near
 * 4097 each is off by up to 4097 · 2^-24 ω_i, together about 6e-4 at
 * d = 32 (Σ ω_i ≈ 2.3); 1e-3 covers both. */
#define PRINTED_FAR_POSITION 1e-3
static void expect_far_position_line(void **state, const char *d_model, const char *position)
{
    const char *extra[] = {"--d-model", d_model, "--position", position, NULL};
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson08, *state, "t.jsonl", extra);
    char marker[64], far[32], near[32];
    snprintf(marker, sizeof marker, "Position %s with %d: ", position, atoi(position) - 1);
    const char *at = strstr(r.out, marker);
    if (!at)
        fail_msg("no \"%s\" in:\n%s", marker, r.out);
    at += strlen(marker);
    bool same = strstr(at, ", the same as position 0 with 1 (") != NULL;
    if (same)
        assert_int_equal(sscanf(at, "%31[0-9.], the same as position 0 with 1 (%31[0-9.])", far,
                                near), 2);
    else
        assert_int_equal(sscanf(at, "%31[0-9.]; position 0 with 1: %31[0-9.]", far, near), 2);
    assert_true(same == (strcmp(far, near) == 0));
    int d = atoi(d_model);
    assert_close(strtod(far, NULL), one_apart(d), PRINTED_FAR_POSITION);
    assert_close(strtod(near, NULL), one_apart(d), 5e-5); /* 4 decimals; p = 1 is exact */
    al_trace_file_free(trace);
    run_result_free(&r);
}

static void far_positions_are_as_alike_as_0_and_1(void **state)
{
    expect_far_position_line(state, "16", "513");  /* 7.4852 both */
    expect_far_position_line(state, "32", "4097"); /* 15.3136 against 15.3137 here */
}

/* The clocks: d = 8 has 4, the slowest turning once every 2π · 10000^(6/8)
 * positions; d = 2 has one. */
static void the_clocks_are_half_of_d_model(void **state)
{
    const char *eight[] = {"--d-model", "8", NULL};
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson08, *state, "t.jsonl", eight);
    assert_non_null(strstr(r.out, "the last once every 2π · 10000^(6/8) positions. Read a row "
                                  "as the hands of 4 clocks."));
    al_trace_file_free(trace);
    run_result_free(&r);
    const char *two[] = {"--d-model", "2", NULL};
    trace = lesson_run_ok(&r, lesson08, *state, "t.jsonl", two);
    assert_non_null(strstr(r.out, "d = 2: one column pair, turning once every 2π ≈ 6.28 "
                                  "positions."));
    al_trace_file_free(trace);
    run_result_free(&r);
}

static void figures_are_drawn(void **state)
{
    lesson_folder *folder = *state;
    run_result r;
    const char *files[] = {"t-encodings.png", "t-encodings.svg", "t-one-hot-similarity.png",
                           "t-sinusoidal-similarity.png", "t-sinusoidal-similarity.svg",
                           "t-shuffle.png", "t-shuffle.svg", "t-flow.svg", NULL};
    expect_figures(&r, lesson08, folder, NULL, files);
    run_result_free(&r);
}

static void runs_repeat_exactly(void **state)
{
    expect_runs_repeat_exactly(lesson08, *state, NULL);
}

static void bad_input_is_refused_with_one_line(void **state)
{
    const char *one[] = {"--sentence", "cat", NULL};
    expect_refusal(lesson08, *state, one, "shuffling needs at least 2");
    const char *empty[] = {"--sentence", "", NULL};
    expect_refusal(lesson08, *state, empty, "the sentence is empty");
    const char *longer[] = {"--sentence", "a a a a a a a a a a a a a a a a a a a a a a a a a a a a a "
                                          "a a a a", NULL};
    expect_refusal(lesson08, *state, longer, "at most 32");
    const char *positions[] = {"--positions", "65", NULL};
    expect_refusal(lesson08, *state, positions, "--positions needs a whole number from 2 to 64");
    const char *d_model[] = {"--d-model", "1", NULL};
    expect_refusal(lesson08, *state, d_model, "--d-model needs a whole number from 2 to 64");
    /* An odd width leaves a sine without its cosine (d_model 7: 0 with
     * itself 3.0000 but 512 with itself 3.0360): refused, not explained away. */
    const char *odd[] = {"--d-model", "7", NULL};
    expect_refusal(lesson08, *state, odd, "--d-model must be even, not 7: the sinusoids come in "
                                          "sine-cosine pairs");
    const char *unknown[] = {"--heads", "2", NULL};
    expect_refusal(lesson08, *state, unknown, "unknown option '--heads'");
}

/* The example of --help, run as typed (plus the test's --trace). */
static void help_example_works_as_typed(void **state)
{
    const char *help[] = {"lesson08 --positions 24 --d-model 8 --sentence \"the man "
                          "deposits money at the bank\"", NULL};
    expect_help_mentions(lesson08, help);
    run_result r;
    const char *example[] = {"--positions", "24", "--d-model", "8", "--sentence",
                             "the man deposits money at the bank", NULL};
    al_trace_file *trace = lesson_run_ok(&r, lesson08, *state, "t.jsonl", example);
    expect_tensor(trace, "sinusoidal.pos", 24, 8);
    expect_tensor(trace, "shuffled.with_pos.attn.h0.weights", 7, 7);
    al_trace_file_free(trace);
    run_result_free(&r);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_lesson08 PATH-TO-lesson08\n");
        return 2;
    }
    lesson08 = argv[1];
    const struct CMUnitTest tests[] = {
        lesson_test(defaults_trace_every_part_in_order),
        lesson_test(similarities_are_the_dot_products_of_the_traced_encodings),
        lesson_test(position_513_follows_the_formula),
        lesson_test(a_position_inside_the_table_is_looked_up),
        lesson_test(far_positions_are_as_alike_as_0_and_1),
        lesson_test(the_clocks_are_half_of_d_model),
        lesson_test(shuffling_permutes_the_outputs_only_without_positions),
        lesson_test(figures_are_drawn),
        lesson_test(runs_repeat_exactly),
        lesson_test(bad_input_is_refused_with_one_line),
        lesson_test(help_example_works_as_typed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
