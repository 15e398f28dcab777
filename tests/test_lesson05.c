/* test_lesson05.c: lesson05 (self-attention step by step) as a student runs
 * it: defaults, the polysemy of "bank", an unknown word, random weights,
 * figures, determinism and every refusal; a long --trace path is used
 * whole (never cut short onto another file) and a too long one refused. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"
#include "lesson_check.h"

static const char *lesson05; /* the program, from argv[1] */

/* Softmax sums of six float32 weights: within a few units of 2^-24 of 1. */
#define ROW_SUM_TOLERANCE 1e-6

static void defaults_trace_every_step_with_the_chapter_shapes(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson05, *state, "t.jsonl", NULL);
    const al_trace_tensor *w = expect_tensor(trace, "enc.0.attn.h0.weights", 6, 6);
    expect_labels(w, 'r', "The,cat,walks,by,the,bank");
    expect_labels(w, 'c', "The,cat,walks,by,the,bank");
    expect_tensor(trace, "embed", 6, 6);
    expect_tensor(trace, "enc.0.attn.w_q", 6, 6);
    expect_tensor(trace, "enc.0.attn.q", 6, 6);
    expect_tensor(trace, "enc.0.attn.k", 6, 6);
    expect_tensor(trace, "enc.0.attn.v", 6, 6);
    expect_tensor(trace, "enc.0.attn.h0.scores", 6, 6);
    expect_tensor(trace, "enc.0.attn.h0.scaled", 6, 6);
    expect_tensor(trace, "enc.0.attn.out", 6, 6);
    for (int i = 0; i < 6; i++) {
        double sum = 0;
        for (int j = 0; j < 6; j++)
            sum += al_trace_tensor_at(w, i, j);
        assert_close(sum, 1.0, ROW_SUM_TOLERANCE);
    }
    const char *steps[] = {"Step 1: the sentence as vectors", "Step 2: queries, keys and values",
                           "Step 3: every query against every key",
                           "Step 4: scale by the square root of d_k", "Step 5: softmax",
                           "Step 6: the weighted mean of the values",
                           "L x d_model -> L x L -> L x d_model", NULL};
    expect_in_order(r.out, steps);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* The weights again from the traced Q and K, in double:
 * softmax_j(q_i · k_j / sqrt(6)), compared entry by entry. */
static void weights_agree_with_softmax_of_traced_q_and_k(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson05, *state, "t.jsonl", NULL);
    const al_trace_tensor *q = al_trace_file_find(trace, "enc.0.attn.q");
    const al_trace_tensor *k = al_trace_file_find(trace, "enc.0.attn.k");
    const al_trace_tensor *w = al_trace_file_find(trace, "enc.0.attn.h0.weights");
    for (int i = 0; i < 6; i++) {
        double scores[6], max = -1e300, sum = 0;
        for (int j = 0; j < 6; j++) {
            scores[j] = 0;
            for (int c = 0; c < 6; c++)
                scores[j] += (double)al_trace_tensor_at(q, i, c) * al_trace_tensor_at(k, j, c);
            scores[j] /= sqrt(6.0);
            max = scores[j] > max ? scores[j] : max;
        }
        for (int j = 0; j < 6; j++)
            sum += exp(scores[j] - max);
        for (int j = 0; j < 6; j++)
            assert_close(al_trace_tensor_at(w, i, j), exp(scores[j] - max) / sum, 1e-6);
    }
    al_trace_file_free(trace);
    run_result_free(&r);
}

static void bank_looks_at_river_or_money(void **state)
{
    const char *river[] = {"--sentence", "The cat walks by the river bank", NULL};
    const char *money[] = {"--sentence", "The man deposits money at the bank", NULL};
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson05, *state, "t.jsonl", river);
    const al_trace_tensor *w = al_trace_file_find(trace, "enc.0.attn.h0.weights");
    assert_string_equal(strongest_other_key(w, "bank"), "river");
    al_trace_file_free(trace);
    run_result_free(&r);

    trace = lesson_run_ok(&r, lesson05, *state, "t.jsonl", money);
    w = al_trace_file_find(trace, "enc.0.attn.h0.weights");
    assert_string_equal(strongest_other_key(w, "bank"), "money");
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* The printout points out the payoff, from the traced output of "bank":
 * water against money, the sense it names, and the word it weighs most.
 * The numbers printed are the trace's, to two decimals. */
static void the_printout_says_which_bank_the_sentence_made(void **state)
{
    const char *river[] = {"--sentence", "The cat walks by the river bank", NULL};
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson05, *state, "t.jsonl", river);
    const al_trace_tensor *out = al_trace_file_find(trace, "enc.0.attn.out");
    const al_trace_tensor *w = al_trace_file_find(trace, "enc.0.attn.h0.weights");
    char expected[256];
    snprintf(expected, sizeof expected, "its output has water %.2f\n  against money %.2f: the "
             "sentence made it a river bank.\n  Its row gives \"river\" %.2f",
             (double)al_trace_tensor_at(out, 6, 3), (double)al_trace_tensor_at(out, 6, 4),
             (double)al_trace_tensor_at(w, 6, 5));
    assert_non_null(strstr(r.out, expected));
    assert_true(al_trace_tensor_at(out, 6, 3) > al_trace_tensor_at(out, 6, 4));
    al_trace_file_free(trace);
    run_result_free(&r);

    const char *money[] = {"--sentence", "The man deposits money at the bank", NULL};
    al_trace_file_free(lesson_run_ok(&r, lesson05, *state, "t.jsonl", money));
    assert_non_null(strstr(r.out, "the sentence made it a bank that keeps money."));
    assert_non_null(strstr(r.out, "Its row gives \"money\" 0.26"));
    run_result_free(&r);

    al_trace_file_free(lesson_run_ok(&r, lesson05, *state, "t.jsonl", NULL));
    assert_non_null(strstr(r.out, "nothing in this sentence says which bank it is"));
    run_result_free(&r);
}

/* W_Q explained from its own entries, W_K and W_V named as the identity
 * they are; the 4s justified by hand: 4 / √6 = 1.63, e^1.63299 = 5.12. */
static void the_printout_explains_the_weights(void **state)
{
    run_result r;
    al_trace_file_free(lesson_run_ok(&r, lesson05, *state, "t.jsonl", NULL));
    const char *lines[] = {"    living   asks for action (4)",
                           "    action   asks for living (4), place (2)",
                           "    place    asks for water (4), money (4)",
                           "    function asks for nothing: its query is 0",
                           "is 4 / √6 = 1.63 after scaling, and e^1.63 = 5.1 times",
                           "W_K and W_V (enc.0.attn.w_k and enc.0.attn.w_v in the trace) are "
                           "the 6 x 6\n  identity, so K = X and V = X",
                           "cat    ->  walks 0.51, then every other word 0.10", NULL};
    expect_in_order(r.out, lines);
    run_result_free(&r);
    /* Random weights are not the identity: then they are printed. */
    const char *random[] = {"--random", NULL};
    al_trace_file_free(lesson_run_ok(&r, lesson05, *state, "t.jsonl", random));
    assert_non_null(strstr(r.out, "W_K  enc.0.attn.w_k  (6 x 6)"));
    assert_non_null(strstr(r.out, "W_V  enc.0.attn.w_v  (6 x 6)"));
    assert_null(strstr(r.out, "asks for"));
    run_result_free(&r);
}

/* --trained: the bank corpus model's head dec.0.self_attn.h0, traced
 * under trained., looks from "bank" back at the sense word; its rows are
 * softmax rows (sum 1 within float32 rounding) and the causal mask leaves
 * exactly 0 above the diagonal; the printout shows the trace's numbers and
 * names the word the model does not know. */
static void trained_head_looks_at_the_sense_word(void **state)
{
    const char *const senses[] = {"river", "money"};
    for (int k = 0; k < 2; k++) {
        char sentence[96];
        snprintf(sentence, sizeof sentence, "she walked past the %s and then to the zebra bank",
                 senses[k]);
        const char *extra[] = {"--trained", "--sentence", sentence, NULL};
        run_result r;
        al_trace_file *trace = lesson_run_ok(&r, lesson05, *state, "t.jsonl", extra);
        const al_trace_tensor *w = expect_tensor(trace, "trained.dec.0.self_attn.h0.weights",
                                                 11, 11);
        assert_string_equal(strongest_other_key(w, "bank"), senses[k]);
        for (int i = 0; i < 11; i++) {
            double sum = 0;
            for (int j = 0; j < 11; j++) {
                sum += al_trace_tensor_at(w, i, j);
                if (j > i)
                    assert_true(al_trace_tensor_at(w, i, j) == 0.0f);
            }
            if (fabs(sum - 1) > 1e-5)   /* 11 float32 terms, each within 2^-24 relative */
                fail_msg("row %d sums to %.9g, not 1 within 1e-5", i, sum);
        }
        char line[64];
        snprintf(line, sizeof line, "  bank    ->  %s %.2f", senses[k],
                 (double)al_trace_tensor_at(w, 10, 4));
        assert_non_null(strstr(r.out, line));
        assert_non_null(strstr(r.out, "note: 'zebra' is not in the trained model's vocabulary"));
        assert_non_null(strstr(r.out, "data/bank/decoder.safetensors was trained"));
        al_trace_file_free(trace);
        run_result_free(&r);
    }
}

/* "zebra" is not in the table: it becomes <unk>, whose row is 0 in every
 * dimension (with --random too), the printout says so, and a second run
 * writes the same bytes. */
static void unknown_word_is_announced_and_runs_repeat_exactly(void **state)
{
    lesson_folder *folder = *state;
    const char *extra[] = {"--sentence", "The zebra walks", NULL};
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson05, folder, "t.jsonl", extra);
    assert_non_null(strstr(r.out, "'zebra' is not in"));
    assert_non_null(strstr(r.out, "it becomes <unk>, whose vector is 0 in every dimension"));
    const al_trace_tensor *x = expect_tensor(trace, "embed", 3, 6);
    const al_trace_tensor *tokens = expect_tensor(trace, "tokens", 1, 3);
    assert_true(al_trace_tensor_at(tokens, 0, 1) == 1.0f);   /* <unk>'s id */
    for (int j = 0; j < 6; j++)
        assert_true(al_trace_tensor_at(x, 1, j) == 0.0f);
    assert_true(al_trace_tensor_at(x, 0, 5) != 0.0f);        /* "the" is known */
    al_trace_file_free(trace);
    run_result_free(&r);
    const char *random[] = {"--sentence", "The zebra walks", "--random", NULL};
    trace = lesson_run_ok(&r, lesson05, folder, "t.jsonl", random);
    x = expect_tensor(trace, "embed", 3, 6);
    for (int j = 0; j < 6; j++)
        assert_true(al_trace_tensor_at(x, 1, j) == 0.0f);
    al_trace_file_free(trace);
    run_result_free(&r);
    expect_runs_repeat_exactly(lesson05, folder, extra);
}

static void random_weights_take_d_model(void **state)
{
    const char *extra[] = {"--random", "--d-model", "8", "--seed", "7", NULL};
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson05, *state, "t.jsonl", extra);
    expect_tensor(trace, "enc.0.attn.q", 6, 8);
    expect_tensor(trace, "enc.0.attn.h0.weights", 6, 6);
    assert_true(trace->seed == 7);
    al_trace_file_free(trace);
    run_result_free(&r);
}

static void figures_are_drawn_beside_when_asked(void **state)
{
    lesson_folder *folder = *state;
    run_result r;
    const char *files[] = {"t-weights.png", "t-weights.svg", "t-flow.svg", NULL};
    expect_figures(&r, lesson05, folder, NULL, files);
    assert_non_null(strstr(r.out, "Redraw with:"));
    run_result_free(&r);
}

/* The width of a PNG, from its IHDR chunk: bytes 16 to 19, big-endian. */
static long png_width(const lesson_folder *folder, const char *name)
{
    size_t length;
    unsigned char *bytes = (unsigned char *)lesson_file_text(folder, name, &length);
    assert_true(length > 24 && memcmp(bytes + 12, "IHDR", 4) == 0);
    long width = (long)bytes[16] << 24 | (long)bytes[17] << 16 | (long)bytes[18] << 8 | bytes[19];
    free(bytes);
    return width;
}

/* --print-width 3.3in draws the heatmap for a book's column: 3.3 x 300 dpi
 * = 990 pixels wide (411 at the screen default); a length without a unit
 * is refused before anything runs. */
static void print_width_draws_the_figure_for_a_book_column(void **state)
{
    lesson_folder *folder = *state;
    const char *no_unit[] = {"--print-width", "3.3", NULL};
    expect_refusal(lesson05, folder, no_unit, "--print-width needs a length with its unit, as "
                                              "3.3in, 84mm or 8.4cm, not '3.3'");
    run_result r;
    const char *print[] = {"--print-width", "3.3in", NULL};
    const char *files[] = {"t-weights.png", NULL};
    expect_figures(&r, lesson05, folder, print, files);
    assert_int_equal(png_width(folder, "t-weights.png"), 990);
    assert_non_null(strstr(r.out, "--print-width 3.3in --dpi 300 -o"));
    run_result_free(&r);
}

static void bad_input_is_refused_with_one_line(void **state)
{
    const char *empty[] = {"--sentence", "   ", NULL};
    expect_refusal(lesson05, *state, empty, "empty");
    const char *longer[] = {"--sentence", "a a a a a a a a a a a a a a a a a a a a a a a a a a a a a "
                                          "a a a a", NULL};
    expect_refusal(lesson05, *state, longer, "at most 32");
    const char *unknown[] = {"--heads", "2", NULL};
    expect_refusal(lesson05, *state, unknown, "unknown option '--heads'");
    const char *d_model[] = {"--random", "--d-model", "0", NULL};
    expect_refusal(lesson05, *state, d_model, "--d-model needs a whole number from 1 to 512");
    const char *missing[] = {"--sentence", NULL};
    expect_refusal(lesson05, *state, missing, "--sentence needs a value");
    const char *seed_alone[] = {"--seed", "7", NULL};
    expect_refusal(lesson05, *state, seed_alone, "--seed only applies with --random");
    const char *d_alone[] = {"--d-model", "8", NULL};
    expect_refusal(lesson05, *state, d_alone, "--d-model only applies with --random");
    const char *glob[] = {"--trace-filter", "[", NULL};
    expect_refusal(lesson05, *state, glob, "the '[' at character 1 is never closed");
    /* --figures a regular file: refused before anything is written */
    const char *figures_file[] = {"--figures", "/etc/hostname", NULL};
    run_result r;
    lesson_run(&r, lesson05, *state, "t.jsonl", 1, figures_file);
    assert_int_equal(r.exit_code, 2);
    assert_string_equal(r.err, "lesson05: --figures /etc/hostname: no such folder, or not "
                               "writable\n");
    assert_false(lesson_file_exists(*state, "t.jsonl"));
    run_result_free(&r);
    const char *latin1[] = {"--sentence", "The caf\xe9 bank", NULL};
    expect_refusal(lesson05, *state, latin1, "the text is not UTF-8: byte 8 is 0xe9");
}

/* Good input, then a failure (the trace's folder is not there): a runtime
 * failure, exit 1 and one line, not a usage error (2). */
static void a_trace_that_cannot_be_written_exits_1(void **state)
{
    run_result r;
    lesson_run(&r, lesson05, *state, "no-such-folder/t.jsonl", 0, NULL);
    assert_int_equal(r.exit_code, 1);
    if (!strstr(r.err, "cannot create"))
        fail_msg("stderr '%s' does not say 'cannot create'", r.err);
    const char *newline = strchr(r.err, '\n');
    if (!newline || newline + 1 != r.err + r.err_length)
        fail_msg("stderr is not exactly one line: '%s'", r.err);
    run_result_free(&r);
}

/* A 521-byte trace path whose first 511 bytes name another file (as a
 * 512-byte buffer would cut it): the whole path is written and the other
 * file is untouched. A --figures path over 3000 bytes is refused. */
static void long_paths_are_used_whole_or_refused(void **state)
{
    lesson_folder *folder = *state;
    size_t base = strlen(folder->path) + 1;           /* "<folder>/" */
    const char *file = "important.trace.jsonl";
    size_t cut = 511 - strlen("important.t") - base;  /* bytes of the folders, slashes in */
    char rel[600] = "", dir[600];
    while (cut > 0) {                                 /* folders of up to 200 bytes */
        size_t n = cut > 201 ? 200 : cut - 1;
        if (cut - (n + 1) == 1)                       /* never leave a 1-byte remainder */
            n--;
        size_t used = strlen(rel);
        memset(rel + used, 'd', n);
        rel[used + n] = '/', rel[used + n + 1] = '\0';
        snprintf(dir, sizeof dir, "%s/%s", folder->path, rel);
        assert_int_equal(mkdir(dir, 0700), 0);
        cut -= n + 1;
    }
    char important[700], full_rel[700];
    snprintf(important, sizeof important, "%s/%simportant.t", folder->path, rel);
    snprintf(full_rel, sizeof full_rel, "%s%s", rel, file);
    assert_int_equal(strlen(important), 511);
    FILE *f = fopen(important, "w");
    assert_non_null(f);
    fputs("precious", f);
    fclose(f);
    run_result r;
    lesson_run(&r, lesson05, folder, full_rel, 0, NULL);
    assert_int_equal(r.exit_code, 0);
    run_result_free(&r);
    char *kept = lesson_file_text(folder, important + base, NULL);
    assert_string_equal(kept, "precious");
    free(kept);
    assert_true(lesson_file_exists(folder, full_rel));

    static char too_long[3100];
    memset(too_long, 'x', 3001);
    const char *figures[] = {"--figures", too_long, NULL};
    expect_refusal(lesson05, folder, figures,
                   "--figures: the path has 3001 bytes; paths of up to 3000 bytes are taken");
}

/* The seed is written into the trace header, which readers hold exactly
 * only up to 2^53. */
static void a_seed_past_2_to_the_53_is_refused(void **state)
{
    const char *huge[] = {"--random", "--seed", "9007199254740993", NULL};
    expect_refusal(lesson05, *state, huge, "--seed needs a whole number from 0 to 2^53");
}

static void help_example_works_as_typed(void **state)
{
    (void)state;
    const char *help[] = {"lesson05 --sentence \"The cat walks by the river bank\"",
                          "--trace-level", NULL};
    expect_help_mentions(lesson05, help);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_lesson05 PATH-TO-lesson05\n");
        return 2;
    }
    lesson05 = argv[1];
    const struct CMUnitTest tests[] = {
        lesson_test(defaults_trace_every_step_with_the_chapter_shapes),
        lesson_test(weights_agree_with_softmax_of_traced_q_and_k),
        lesson_test(bank_looks_at_river_or_money),
        lesson_test(the_printout_says_which_bank_the_sentence_made),
        lesson_test(the_printout_explains_the_weights),
        lesson_test(print_width_draws_the_figure_for_a_book_column),
        lesson_test(trained_head_looks_at_the_sense_word),
        lesson_test(unknown_word_is_announced_and_runs_repeat_exactly),
        lesson_test(random_weights_take_d_model),
        lesson_test(figures_are_drawn_beside_when_asked),
        lesson_test(bad_input_is_refused_with_one_line),
        lesson_test(a_trace_that_cannot_be_written_exits_1),
        lesson_test(long_paths_are_used_whole_or_refused),
        lesson_test(a_seed_past_2_to_the_53_is_refused),
        cmocka_unit_test(help_example_works_as_typed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
