/* test_lesson11.c: lesson11 (choosing the next token) as a student runs
 * it: greedy is the argmax, the temperature sweep is softmax(logits / T),
 * the chapter's roulette draws (0.4 -> the first word, 0.6 -> the second),
 * top-k and top-p keep what they should, the same seed samples the same
 * words, and beam search finds a more probable sentence than greedy
 * decoding; other contexts, figures, determinism and every refusal. */
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

static const char *lesson11;     /* the program, from argv[1] */
static const char *attnlab_calc; /* the calculator, from argv[3] */

#define VOCAB "cat,dog,mat,fish,ate,sat,on,the,a,<eos>"
/* float32 probabilities against the double formula: a few units in the
 * last place. */
#define PROB_TOLERANCE 1e-6
/* data/lesson11/bigrams.txt holds ln p rounded to 4 decimals, so the
 * probabilities it gives back are the designed ones within a relative
 * 5e-5, and a sentence's log p (a sum of at most 6 such logs, each off by
 * at most 5e-5) within 3e-4 of the designed one. */
#define DESIGN_TOLERANCE 1e-4
#define LOG_P_TOLERANCE 3e-4

static int token_of(const al_trace_file *trace, const char *name)
{
    const al_trace_tensor *t = expect_tensor(trace, name, 1, 1);
    return (int)al_trace_tensor_at(t, 0, 0);
}

static void defaults_trace_every_step_with_labels(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson11, *state, "t.jsonl", NULL);
    expect_labels(expect_tensor(trace, "bigrams", 10, 10), 'c', VOCAB);
    const al_trace_tensor *logits = expect_tensor(trace, "logits", 1, 10);
    expect_labels(logits, 'c', VOCAB);
    expect_labels(logits, 'r', "the");
    const char *rows[] = {"sweep.T=0.1.probs", "sweep.T=0.5.probs", "sweep.T=1.0.probs",
                          "sweep.T=2.0.probs", "sweep.T=10.0.probs", "roulette.0.probs",
                          "roulette.0.cumsum", "roulette.1.cumsum", "top_k.kept", "top_k.probs",
                          "top_k.cumsum", "top_p.all_probs", "top_p.probs", "sample.4.probs",
                          NULL};
    for (int i = 0; rows[i]; i++)
        expect_labels(expect_tensor(trace, rows[i], 1, 10), 'c', VOCAB);
    const char *ones[] = {"greedy.token", "roulette.0.draw", "roulette.1.token", "top_k.token",
                          "top_p.token", "sample.0.token", "sample.4.draw", NULL};
    for (int i = 0; ones[i]; i++)
        expect_tensor(trace, ones[i], 1, 1);
    expect_tensor(trace, "greedy_search.step4.scores", 1, 1);
    expect_tensor(trace, "beam.step0.scores", 3, 1);
    expect_tensor(trace, "beam.step5.scores", 3, 1);
    assert_null(al_trace_file_find(trace, "beam.step6.scores")); /* --max-length 6 */
    const char *steps[] = {"Step 1: the model's scores", "Step 2: greedy",
                           "Step 3: temperature", "Step 4: the roulette wheel",
                           "Step 5: top-k", "Step 6: top-p", "Step 7: sampling",
                           "Step 8: greedy decoding", "Step 9: beam search", NULL};
    expect_in_order(r.out, steps);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* The argmax of the traced logits, by the test, is the greedy token. */
static void greedy_token_is_the_argmax(void **state)
{
    const char *contexts[] = {"the", "cat", "<bos>", "ate"};
    for (int c = 0; c < 4; c++) {
        const char *extra[] = {"--context", contexts[c], NULL};
        run_result r;
        al_trace_file *trace = lesson_run_ok(&r, lesson11, *state, "t.jsonl", extra);
        const al_trace_tensor *logits = al_trace_file_find(trace, "logits");
        int best = 0;
        for (int j = 1; j < logits->cols; j++)
            if (al_trace_tensor_at(logits, 0, j) > al_trace_tensor_at(logits, 0, best))
                best = j;
        assert_int_equal(token_of(trace, "greedy.token"), best);
        expect_labels(al_trace_file_find(trace, "greedy.token"), 'c', logits->col_labels[best]);
        al_trace_file_free(trace);
        run_result_free(&r);
    }
}

/* Each probs row is exp(l_i / T) / sum_j exp(l_j / T), recomputed in
 * double from the traced logits. T = 0.1 is nearly one-hot on "cat"
 * (p(dog) / p(cat) = e^-(1.6094 - 0.6931) · 10 ≈ 1e-4). */
static void temperature_sweep_is_softmax_of_logits_over_t(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson11, *state, "t.jsonl", NULL);
    const al_trace_tensor *logits = al_trace_file_find(trace, "logits");
    const char *names[5] = {"sweep.T=0.1.probs", "sweep.T=0.5.probs", "sweep.T=1.0.probs",
                            "sweep.T=2.0.probs", "sweep.T=10.0.probs"};
    const float temperatures[5] = {0.1f, 0.5f, 1.0f, 2.0f, 10.0f};
    for (int t = 0; t < 5; t++) {
        const al_trace_tensor *p = al_trace_file_find(trace, names[t]);
        double T = temperatures[t], max = al_trace_tensor_at(logits, 0, 0), sum = 0.0;
        for (int j = 0; j < 10; j++)
            sum += exp((al_trace_tensor_at(logits, 0, j) - max) / T);
        for (int j = 0; j < 10; j++)
            assert_close(al_trace_tensor_at(p, 0, j),
                         exp((al_trace_tensor_at(logits, 0, j) - max) / T) / sum,
                         PROB_TOLERANCE);
    }
    assert_true(al_trace_tensor_at(al_trace_file_find(trace, names[0]), 0, 0) > 0.999f);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* The chapter: probabilities 0.5, 0.2, ... so the sums are 0.5, 0.7, ...;
 * a draw of 0.4 picks the first word (0.4 < 0.5), a draw of 0.6 the
 * second (0.5 <= 0.6 < 0.7). */
static void roulette_draws_0_4_and_0_6_pick_the_first_and_second(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson11, *state, "t.jsonl", NULL);
    const al_trace_tensor *probs = al_trace_file_find(trace, "roulette.0.probs");
    const al_trace_tensor *cumsum = al_trace_file_find(trace, "roulette.0.cumsum");
    assert_close(al_trace_tensor_at(probs, 0, 0), 0.5, DESIGN_TOLERANCE);
    assert_close(al_trace_tensor_at(probs, 0, 1), 0.2, DESIGN_TOLERANCE);
    assert_close(al_trace_tensor_at(cumsum, 0, 0), 0.5, DESIGN_TOLERANCE);
    assert_close(al_trace_tensor_at(cumsum, 0, 1), 0.7, DESIGN_TOLERANCE);
    assert_same_float(al_trace_tensor_at(al_trace_file_find(trace, "roulette.0.draw"), 0, 0),
                      0.4f);
    assert_same_float(al_trace_tensor_at(al_trace_file_find(trace, "roulette.1.draw"), 0, 0),
                      0.6f);
    assert_int_equal(token_of(trace, "roulette.0.token"), 0);
    assert_int_equal(token_of(trace, "roulette.1.token"), 1);
    /* The printout's sums are the traced float32 sums, to the last digit
     * that tells them apart. In double, e^-0.6931 = 0.50002359 (ln 0.5 =
     * -0.693147 rounded to 4 decimals) over the row's sum of exponentials,
     * 1.00003166, is 0.50000776, and the next sum 0.70000901: in float32
     * 0.50000775 and 0.700009. */
    assert_non_null(strstr(r.out, "u = 0.4:  0.4 < cumsum_0 = 0.50000775  ->  roulette.0.token "
                                  "= 0, \"cat\""));
    assert_non_null(strstr(r.out, "u = 0.6:  cumsum_0 = 0.50000775 <= 0.6 < cumsum_1 = 0.700009"
                                  "  ->  roulette.1.token = 1, \"dog\""));
    assert_same_float(strtof("0.50000775", NULL), al_trace_tensor_at(cumsum, 0, 0));
    assert_same_float(strtof("0.700009", NULL), al_trace_tensor_at(cumsum, 0, 1));
    /* 0.4 and 0.6 are far from every sum: the 4-decimal table tells, no note */
    assert_null(strstr(r.out, "A draw lies closer to a sum"));
    al_trace_file_free(trace);
    run_result_free(&r);

    /* Other draws: 0.8 lies in mat's stretch [0.7, 0.85), 0.999 in <eos>'s
     * [0.995, 1). */
    const char *extra[] = {"--draw", "0.8,0.999", NULL};
    trace = lesson_run_ok(&r, lesson11, *state, "t.jsonl", extra);
    assert_int_equal(token_of(trace, "roulette.0.token"), 2);
    assert_int_equal(token_of(trace, "roulette.1.token"), 9);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* Top-k (k = 3) keeps cat, dog, mat: 0.5, 0.2, 0.15 over 0.85. Top-p
 * (p = 0.9) keeps cat, dog, mat, fish (0.5 + 0.2 + 0.15 = 0.85 < 0.9 <=
 * 0.95): each over 0.95. */
static void top_k_and_top_p_keep_what_they_should(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson11, *state, "t.jsonl", NULL);
    const al_trace_tensor *k = al_trace_file_find(trace, "top_k.probs");
    const al_trace_tensor *kept = al_trace_file_find(trace, "top_k.kept");
    const al_trace_tensor *p = al_trace_file_find(trace, "top_p.probs");
    const double design[4] = {0.5, 0.2, 0.15, 0.1};
    for (int j = 0; j < 10; j++) {
        if (j < 3) {
            assert_close(al_trace_tensor_at(k, 0, j), design[j] / 0.85, DESIGN_TOLERANCE);
            assert_false(al_trace_tensor_is_null(kept, 0, j));
        } else {
            assert_same_float(al_trace_tensor_at(k, 0, j), 0.0f);
            assert_true(al_trace_tensor_is_null(kept, 0, j));
        }
        if (j < 4)
            assert_close(al_trace_tensor_at(p, 0, j), design[j] / 0.95, DESIGN_TOLERANCE);
        else
            assert_same_float(al_trace_tensor_at(p, 0, j), 0.0f);
    }
    assert_true(token_of(trace, "top_k.token") < 3);
    assert_true(token_of(trace, "top_p.token") < 4);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* Every sampled token is the roulette's answer for its own draw. */
static void each_sample_is_its_draw_on_the_wheel(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson11, *state, "t.jsonl", NULL);
    for (int i = 0; i < 5; i++) {
        char name[64];
        snprintf(name, sizeof name, "sample.%d.draw", i);
        float u = al_trace_tensor_at(al_trace_file_find(trace, name), 0, 0);
        snprintf(name, sizeof name, "sample.%d.cumsum", i);
        const al_trace_tensor *cumsum = al_trace_file_find(trace, name);
        int expected = 0;
        while (!(u < al_trace_tensor_at(cumsum, 0, expected)))
            expected++;
        snprintf(name, sizeof name, "sample.%d.token", i);
        assert_int_equal(token_of(trace, name), expected);
    }
    al_trace_file_free(trace);
    run_result_free(&r);
}

static void sampled_tokens(const al_trace_file *trace, int tokens[5])
{
    for (int i = 0; i < 5; i++) {
        char name[64];
        snprintf(name, sizeof name, "sample.%d.token", i);
        tokens[i] = token_of(trace, name);
    }
}

/* Seed 7 twice: the same five words (and the same top-k and top-p draws);
 * seed 8: other words. */
static void same_seed_samples_the_same_tokens(void **state)
{
    const char *seed_7[] = {"--seed", "7", NULL}, *seed_8[] = {"--seed", "8", NULL};
    int first[5], second[5], other[5];
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson11, *state, "t.jsonl", seed_7);
    sampled_tokens(trace, first);
    int top_k = token_of(trace, "top_k.token"), top_p = token_of(trace, "top_p.token");
    al_trace_file_free(trace);
    run_result_free(&r);
    trace = lesson_run_ok(&r, lesson11, *state, "t.jsonl", seed_7);
    sampled_tokens(trace, second);
    assert_int_equal(token_of(trace, "top_k.token"), top_k);
    assert_int_equal(token_of(trace, "top_p.token"), top_p);
    assert_true(trace->seed == 7);
    al_trace_file_free(trace);
    run_result_free(&r);
    trace = lesson_run_ok(&r, lesson11, *state, "t.jsonl", seed_8);
    sampled_tokens(trace, other);
    al_trace_file_free(trace);
    run_result_free(&r);
    assert_memory_equal(first, second, sizeof first);
    assert_memory_not_equal(first, other, sizeof first);
}

/* Greedy decoding: the cat ate fish, p = 0.6 · 0.5 · 0.42 · 0.8 · 0.9.
 * Beam search (width 3): a dog ate fish, p = 0.35 · 0.9 · 0.9 · 0.8 · 0.9,
 * more probable although "a" (0.35) starts less likely than "the" (0.6). */
static void beam_search_beats_greedy_decoding(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson11, *state, "t.jsonl", NULL);
    const al_trace_tensor *greedy = al_trace_file_find(trace, "greedy_search.step4.scores");
    const al_trace_tensor *beam = al_trace_file_find(trace, "beam.step5.scores");
    expect_labels(greedy, 'r', "<bos> the cat ate fish <eos>");
    assert_string_equal(beam->row_labels[0], "<bos> a dog ate fish <eos>");
    assert_string_equal(beam->row_labels[1], "<bos> the cat ate fish <eos>");
    assert_close(al_trace_tensor_at(greedy, 0, 0), log(0.6 * 0.5 * 0.42 * 0.8 * 0.9),
                 LOG_P_TOLERANCE);
    assert_close(al_trace_tensor_at(beam, 0, 0), log(0.35 * 0.9 * 0.9 * 0.8 * 0.9),
                 LOG_P_TOLERANCE);
    const al_trace_tensor *first = al_trace_file_find(trace, "beam.step0.scores");
    expect_labels(first, 'r', "<bos> the,<bos> a,<bos> cat");
    assert_non_null(strstr(r.out, "Beam search's sentence: <bos> a dog ate fish <eos>"));
    al_trace_file_free(trace);
    run_result_free(&r);
}

static void runs_repeat_byte_for_byte(void **state)
{
    expect_runs_repeat_exactly(lesson11, *state, NULL);
}

static void figures_are_drawn_when_asked(void **state)
{
    lesson_folder *folder = *state;
    run_result r;
    const char *files[] = {"t-temperature.png", "t-temperature.svg", "t-roulette.png",
                           "t-top.png", "t-beam.svg", "t-beam.dot", "t-flow.svg", NULL};
    expect_figures(&r, lesson11, folder, NULL, files);
    run_result_free(&r);
}

static void bad_input_is_refused_with_one_line(void **state)
{
    const char *draw[] = {"--draw", "0.4,1", NULL};
    expect_refusal(lesson11, *state, draw, "every draw must be in [0, 1), not 1");
    const char *context[] = {"--context", "zebra", NULL};
    expect_refusal(lesson11, *state, context, "--context 'zebra' is not a row of");
    const char *top_p[] = {"--top-p", "0", NULL};
    expect_refusal(lesson11, *state, top_p, "--top-p must be in (0, 1], not 0");
    const char *top_k[] = {"--top-k", "11", NULL};
    expect_refusal(lesson11, *state, top_k, "--top-k 11 is more than the 10 words");
    const char *temperature[] = {"--temperature", "0", NULL};
    expect_refusal(lesson11, *state, temperature, "--temperature must be greater than 0");
    const char *unknown[] = {"--sentence", "the cat", NULL};
    expect_refusal(lesson11, *state, unknown, "unknown option '--sentence'");
    const char *data[] = {"--data", "/nonexistent", NULL};
    expect_refusal(lesson11, *state, data, "/nonexistent/lesson11/bigrams.txt");
}

/* A model whose table has no <eos> could never end a sentence. */
static void a_model_without_eos_is_refused(void **state)
{
    lesson_folder *folder = *state;
    char dir[256], path[300];
    snprintf(dir, sizeof dir, "%s/data", folder->path);
    snprintf(path, sizeof path, "%s/lesson11", dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/lesson11/bigrams.txt", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("columns: the cat\n<bos> 1 0\nthe 0 1\ncat 1 0\n", f);
    fclose(f);
    const char *extra[] = {"--data", dir, NULL};
    expect_refusal(lesson11, folder, extra, "has no column '<eos>': no sentence could end");
}

/* The text after marker up to the first character of stop, copied into
 * value (size bytes); fails the test when marker is not in text. */
static void copy_after(char *value, size_t size, const char *text, const char *marker,
                       const char *stop)
{
    const char *at = strstr(text, marker);
    if (!at)
        fail_msg("no \"%s\" in:\n%s", marker, text);
    at += strlen(marker);
    size_t length = strcspn(at, stop);
    assert_true(length < size);
    memcpy(value, at, length);
    value[length] = '\0';
}

/* The README's example, --context cat --draw 0.9, falls next to a sum:
 * after "cat" the probabilities are 0.005 x 4, 0.42, 0.38, 0.04, 0.02,
 * 0.02, 0.1 by design, so the sums reach 0.9 at "a", and on a boundary a
 * draw belongs to the next word (<eos>). But the logits are ln p rounded
 * to 4 decimals: in double, softmax(-5.2983 x 4, -0.8675, -0.9676,
 * -3.2189, -3.912, -3.912, -2.3026) gives p(a) = 0.0200006 and the sum
 * through "a" 0.90000079, above 0.9: the wheel picks "a". The printout
 * must show the numbers that decided, the float32 sums 0.8800002 and
 * 0.90000075 (not 0.9000), and the calculator run with the command it
 * prints must pick "a" with the same sums. */
static void a_draw_next_to_a_sum_shows_the_sums_that_decided(void **state)
{
    const char *extra[] = {"--context", "cat", "--draw", "0.9", NULL};
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson11, *state, "t.jsonl", extra);
    const al_trace_tensor *cumsum = al_trace_file_find(trace, "roulette.0.cumsum");
    /* 10 float additions and a float softmax: a few units of 6e-8 each. */
    assert_close(al_trace_tensor_at(cumsum, 0, 8), 0.90000079, 1e-6);
    assert_true(al_trace_tensor_at(cumsum, 0, 8) > 0.9f);
    assert_int_equal(token_of(trace, "roulette.0.token"), 8);
    assert_non_null(strstr(r.out, "u = 0.9:  cumsum_7 = 0.8800002 <= 0.9 < cumsum_8 = 0.90000075"
                                  "  ->  roulette.0.token = 8, \"a\""));
    assert_same_float(strtof("0.8800002", NULL), al_trace_tensor_at(cumsum, 0, 7));
    assert_same_float(strtof("0.90000075", NULL), al_trace_tensor_at(cumsum, 0, 8));
    assert_non_null(strstr(r.out, "A draw lies closer to a sum than the table's 4 decimals can "
                                  "show."));

    /* the build tree's calculator, by its path, as the redraw commands name theirs */
    char program[600];
    snprintf(program, sizeof program, "    %s sample --draw ", attnlab_calc);
    assert_non_null(strstr(r.out, program));
    char draw[32], labels[256], logits[512];
    copy_after(draw, sizeof draw, r.out, "attnlab-calc sample --draw ", " ");
    copy_after(labels, sizeof labels, r.out, "--labels '", "'");
    copy_after(logits, sizeof logits, r.out, "--logits ", " \n");
    assert_string_equal(draw, "0.9");
    assert_string_equal(labels, VOCAB);
    assert_string_equal(logits, "-5.2983,-5.2983,-5.2983,-5.2983,-0.8675,-0.9676,-3.2189,"
                                "-3.912,-3.912,-2.3026");
    run_result calc;
    assert_int_equal(run_program_args(&calc, NULL, attnlab_calc, "sample", "--draw", draw,
                                      "--labels", labels, "--logits", logits, NULL), 0);
    assert_int_equal(calc.exit_code, 0);
    assert_non_null(strstr(calc.out, "c_7 = 0.8800002 <= u = 0.9 < c_8 = 0.90000075\n"));
    assert_non_null(strstr(calc.out, "the wheel picks token 8 (a), the ninth\n"));
    run_result_free(&calc);
    al_trace_file_free(trace);
    run_result_free(&r);
}

static void help_example_works_as_typed(void **state)
{
    const char *help[] = {"lesson11 --context cat --draw 0.9 --seed 7 --beam-width 2", NULL};
    expect_help_mentions(lesson11, help);
    run_result r;
    const char *example[] = {"--context", "cat", "--draw", "0.9", "--seed", "7", "--beam-width",
                             "2", NULL};
    al_trace_file *trace = lesson_run_ok(&r, lesson11, *state, "t.jsonl", example);
    expect_labels(expect_tensor(trace, "logits", 1, 10), 'r', "cat");
    assert_string_equal(al_trace_file_find(trace, "greedy.token")->col_labels[0], "ate");
    expect_tensor(trace, "beam.step0.scores", 2, 1);
    al_trace_file_free(trace);
    run_result_free(&r);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: test_lesson11 PATH-TO-lesson11 DATA PATH-TO-attnlab-calc\n");
        return 2;
    }
    lesson11 = argv[1];
    attnlab_calc = argv[3];
    const struct CMUnitTest tests[] = {
        lesson_test(defaults_trace_every_step_with_labels),
        lesson_test(greedy_token_is_the_argmax),
        lesson_test(temperature_sweep_is_softmax_of_logits_over_t),
        lesson_test(roulette_draws_0_4_and_0_6_pick_the_first_and_second),
        lesson_test(a_draw_next_to_a_sum_shows_the_sums_that_decided),
        lesson_test(top_k_and_top_p_keep_what_they_should),
        lesson_test(each_sample_is_its_draw_on_the_wheel),
        lesson_test(same_seed_samples_the_same_tokens),
        lesson_test(beam_search_beats_greedy_decoding),
        lesson_test(runs_repeat_byte_for_byte),
        lesson_test(figures_are_drawn_when_asked),
        lesson_test(bad_input_is_refused_with_one_line),
        lesson_test(a_model_without_eos_is_refused),
        lesson_test(help_example_works_as_typed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
