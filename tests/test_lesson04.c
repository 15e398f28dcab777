/* test_lesson04.c: lesson04 (seq2seq with attention) as a student runs it:
 * the trained model (data/translate/rnn.safetensors) translates "european
 * economic area" into "zone économique européenne", each French word's
 * weights peaking on the English word it translates, printed as traced,
 * and reads an unknown word as <unk> with a note; with --hand-made the
 * hand-made model translates "European Economic Area" into "zone
 * économique européenne" with an anti-diagonal alignment, every step's
 * weights are the softmax of its scores and its context their weighted sum
 * (redone from the trace), the general score redone by hand, the additive
 * tables give the same alignment, dot and --random run on random weights,
 * a GRU in PyTorch's form named as such, figures, determinism, refusals and the --help example. */
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

static const char *lesson04; /* the program, from argv[1] */

/* Softmax rows of up to 5 float32 weights sum to 1 within a few 2^-24. */
#define ROW_SUM_TOLERANCE 1e-6
/* Weights, contexts and scores redone in double from the traced float32
 * inputs: the float32 results differ by a few ulps of values below 10. */
#define REDO_TOLERANCE 1e-5

static double row_sum(const al_trace_tensor *t, int i)
{
    double sum = 0.0;
    for (int j = 0; j < t->cols; j++)
        sum += al_trace_tensor_at(t, i, j);
    return sum;
}

static int largest_in_row(const al_trace_tensor *t, int i)
{
    int best = 0;
    for (int j = 1; j < t->cols; j++)
        if (al_trace_tensor_at(t, i, j) > al_trace_tensor_at(t, i, best))
            best = j;
    return best;
}

/* The alignment of an S-token source (<bos> first) read backwards: row t
 * puts more than 0.999 of its weight on column S-1-t (the last word first,
 * the <bos> last), and every row sums to 1. */
static void expect_anti_diagonal(const al_trace_tensor *alignment, int S)
{
    assert_int_equal(alignment->rows, S);
    assert_int_equal(alignment->cols, S);
    for (int t = 0; t < S; t++) {
        assert_int_equal(largest_in_row(alignment, t), S - 1 - t);
        assert_true(al_trace_tensor_at(alignment, t, S - 1 - t) > 0.999f);
        assert_close(row_sum(alignment, t), 1.0, ROW_SUM_TOLERANCE);
    }
}

static const char *const HAND_MADE[] = {"--hand-made", NULL};

static void hand_made_translation_reads_the_source_backwards(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson04, *state, "t.jsonl", HAND_MADE);
    /* columns: <bos> European Economic Area (S = 4); rows: the words said */
    const al_trace_tensor *a = expect_tensor(trace, "s2s.alignment", 4, 4);
    expect_labels(a, 'c', "<bos>,European,Economic,Area");
    expect_labels(a, 'r', "zone,économique,européenne,<eos>");
    expect_anti_diagonal(a, 4);
    assert_non_null(strstr(r.out, "Translation: zone économique européenne\n"));
    expect_tensor(trace, "s2s.enc.embed", 4, 8);
    expect_tensor(trace, "s2s.enc.h", 4, 13);
    expect_tensor(trace, "s2s.dec.init", 1, 13);
    expect_tensor(trace, "s2s.attn.w_a", 13, 13);
    char name[64];
    for (int t = 0; t < 4; t++) {
        snprintf(name, sizeof name, "s2s.step%d.scores", t);
        expect_tensor(trace, name, 1, 4);
        snprintf(name, sizeof name, "s2s.step%d.weights", t);
        assert_close(row_sum(expect_tensor(trace, name, 1, 4), 0), 1.0, ROW_SUM_TOLERANCE);
        snprintf(name, sizeof name, "s2s.step%d.context", t);
        expect_tensor(trace, name, 1, 13);
    }
    assert_null(al_trace_file_find(trace, "s2s.step4.weights"));
    const char *steps[] = {"Step 1: the source sentence, <bos> first",
                           "Step 2: the encoder reads the source",
                           "Step 3: the decoder starts from the encoder's last state",
                           "Step 4: decoder step 0 reads '<bos>'", "s2s.step0.scores",
                           "s2s.step0.weights", "s2s.step0.context", "says 'zone'",
                           "Step 5: decoder step 1 reads 'zone'", "says 'économique'",
                           "Step 6: decoder step 2 reads 'économique'", "says 'européenne'",
                           "Step 7: decoder step 3 reads 'européenne'", "says '<eos>'",
                           "Step 8: the alignment", "zone        ->  Area 1.00",
                           "Translation: zone économique européenne", NULL};
    expect_in_order(r.out, steps);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* Each step again from the trace, in double: weights = softmax(scores),
 * context = weights · s2s.enc.h; and step 0's general scores
 * s_{-1} · W_a · h_jᵀ from s2s.dec.init, s2s.attn.w_a and s2s.enc.h. */
static void steps_agree_with_the_traced_inputs(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson04, *state, "t.jsonl", HAND_MADE);
    const al_trace_tensor *h = al_trace_file_find(trace, "s2s.enc.h");
    for (int t = 0; t < 4; t++) {
        char name[64];
        snprintf(name, sizeof name, "s2s.step%d.scores", t);
        const al_trace_tensor *scores = al_trace_file_find(trace, name);
        snprintf(name, sizeof name, "s2s.step%d.weights", t);
        const al_trace_tensor *weights = al_trace_file_find(trace, name);
        snprintf(name, sizeof name, "s2s.step%d.context", t);
        const al_trace_tensor *context = al_trace_file_find(trace, name);
        double max = al_trace_tensor_at(scores, 0, 0), sum = 0.0;
        for (int j = 1; j < 4; j++)
            max = fmax(max, al_trace_tensor_at(scores, 0, j));
        for (int j = 0; j < 4; j++)
            sum += exp(al_trace_tensor_at(scores, 0, j) - max);
        for (int j = 0; j < 4; j++)
            assert_close(al_trace_tensor_at(weights, 0, j),
                         exp(al_trace_tensor_at(scores, 0, j) - max) / sum, REDO_TOLERANCE);
        for (int c = 0; c < 13; c++) {
            double mixed = 0.0;
            for (int j = 0; j < 4; j++)
                mixed += (double)al_trace_tensor_at(weights, 0, j) * al_trace_tensor_at(h, j, c);
            assert_close(al_trace_tensor_at(context, 0, c), mixed, REDO_TOLERANCE);
        }
    }
    const al_trace_tensor *s = al_trace_file_find(trace, "s2s.dec.init");
    const al_trace_tensor *w_a = al_trace_file_find(trace, "s2s.attn.w_a");
    const al_trace_tensor *scores = al_trace_file_find(trace, "s2s.step0.scores");
    for (int j = 0; j < 4; j++) {
        double score = 0.0;
        for (int a = 0; a < 13; a++)
            for (int b = 0; b < 13; b++)
                score += (double)al_trace_tensor_at(s, 0, a) * al_trace_tensor_at(w_a, a, b) *
                         al_trace_tensor_at(h, j, b);
        assert_close(al_trace_tensor_at(scores, 0, j), score, REDO_TOLERANCE);
    }
    al_trace_file_free(trace);
    run_result_free(&r);
}

static void european_central_bank(void **state)
{
    const char *extra[] = {"--hand-made", "--sentence", "European Central Bank", NULL};
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson04, *state, "t.jsonl", extra);
    const al_trace_tensor *a = expect_tensor(trace, "s2s.alignment", 4, 4);
    expect_labels(a, 'c', "<bos>,European,Central,Bank");
    expect_labels(a, 'r', "banque,centrale,européenne,<eos>");
    expect_anti_diagonal(a, 4);
    assert_non_null(strstr(r.out, "Translation: banque centrale européenne\n"));
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* data/lesson04's additive tables give the same translation and alignment. */
static void additive_score_gives_the_same_alignment(void **state)
{
    const char *extra[] = {"--hand-made", "--score", "additive", NULL};
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson04, *state, "t.jsonl", extra);
    const al_trace_tensor *a = expect_tensor(trace, "s2s.alignment", 4, 4);
    expect_labels(a, 'r', "zone,économique,européenne,<eos>");
    expect_anti_diagonal(a, 4);
    expect_tensor(trace, "s2s.attn.w_q", 13, 5);
    expect_tensor(trace, "s2s.attn.w_k", 13, 5);
    expect_tensor(trace, "s2s.attn.v_a", 5, 1);
    assert_null(al_trace_file_find(trace, "s2s.attn.w_a"));
    assert_non_null(strstr(r.out, "(Bahdanau, additive)"));
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* The dot score runs on seeded random weights and says so; the mechanics
 * hold: each step's weights sum to 1 over the 4 source tokens. */
static void dot_score_runs_on_random_weights(void **state)
{
    const char *extra[] = {"--hand-made", "--score", "dot", NULL};
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson04, *state, "t.jsonl", extra);
    assert_non_null(strstr(r.out, "The weights: seeded random (seed 42)"));
    assert_non_null(strstr(r.out, "mean nothing"));
    assert_non_null(strstr(r.out, "(Luong, dot)"));
    assert_true(trace->seed == 42);
    const al_trace_tensor *a = al_trace_file_find(trace, "s2s.alignment");
    assert_non_null(a);
    assert_int_equal(a->cols, 4);
    assert_true(a->rows >= 1 && a->rows <= 5);
    for (int t = 0; t < a->rows; t++)
        assert_close(row_sum(a, t), 1.0, ROW_SUM_TOLERANCE);
    expect_tensor(trace, "s2s.enc.h", 4, 8);
    assert_null(al_trace_file_find(trace, "s2s.attn.w_a"));
    al_trace_file_free(trace);
    run_result_free(&r);
}

static void random_gru_takes_its_width(void **state)
{
    const char *extra[] = {"--random", "--cell", "gru", "--d-hidden", "6", "--seed", "7", NULL};
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson04, *state, "t.jsonl", extra);
    expect_tensor(trace, "s2s.enc.h", 4, 6);
    expect_tensor(trace, "s2s.enc.z", 4, 6);
    expect_tensor(trace, "s2s.attn.w_a", 6, 6);
    assert_true(trace->seed == 7);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* --cell gru-pytorch runs PyTorch's GRU and says so: the ops are
 * gru_pytorch..., the candidate reads the hidden bias s2s.dec.b_hn (0 when
 * seeded), and the printout names the form. --cell gru with the same seed
 * has the same weights but Cho et al.'s ops and no b_hn. */
static void pytorch_gru_is_named_in_trace_and_printout(void **state)
{
    const char *pytorch_args[] = {"--random", "--cell", "gru-pytorch", "--d-hidden", "6",
                                  "--seed", "7", NULL};
    const char *cho_args[] = {"--random", "--cell", "gru", "--d-hidden", "6", "--seed", "7",
                              NULL};
    run_result r, r_cho;
    al_trace_file *trace = lesson_run_ok(&r, lesson04, *state, "p.jsonl", pytorch_args);
    al_trace_file *cho = lesson_run_ok(&r_cho, lesson04, *state, "c.jsonl", cho_args);
    assert_string_equal(expect_tensor(trace, "s2s.enc.h", 4, 6)->op, "gru_pytorch");
    assert_string_equal(expect_tensor(trace, "s2s.enc.r", 4, 6)->op, "gru_pytorch_reset_gate");
    const al_trace_tensor *n = expect_tensor(trace, "s2s.step0.n", 1, 6);
    assert_string_equal(n->op, "gru_pytorch_candidate");
    assert_string_equal(n->inputs[n->n_inputs - 1], "s2s.dec.b_hn");
    const al_trace_tensor *b_hn = expect_tensor(trace, "s2s.enc.b_hn", 1, 6);
    assert_string_equal(b_hn->role, "param");
    for (int j = 0; j < 6; j++)
        assert_same_float(al_trace_tensor_at(b_hn, 0, j), 0.0f);
    assert_non_null(strstr(r.out, "gru_pytorch cells"));
    assert_non_null(strstr(r.out, "The GRU in PyTorch's form"));

    assert_string_equal(expect_tensor(cho, "s2s.enc.h", 4, 6)->op, "gru");
    assert_string_equal(expect_tensor(cho, "s2s.step0.n", 1, 6)->op, "gru_candidate");
    assert_null(al_trace_file_find(cho, "s2s.enc.b_hn"));
    assert_non_null(strstr(r_cho.out, "The GRU in Cho et al.'s form"));
    const al_trace_tensor *w_h = expect_tensor(trace, "s2s.dec.w_h", 6, 6);
    const al_trace_tensor *cho_w_h = expect_tensor(cho, "s2s.dec.w_h", 6, 6);
    for (int k = 0; k < 36; k++)
        assert_same_float(w_h->data[k], cho_w_h->data[k]);
    al_trace_file_free(trace), al_trace_file_free(cho);
    run_result_free(&r), run_result_free(&r_cho);
}


/* ---- the trained model ---------------------------------------------------------- */

/* The printed weights carry 4 decimals: a printed value is the traced one
 * rounded, within half a unit of the last decimal (and a little for the
 * decimal text of the float). */
#define PRINTED_TOLERANCE 0.5000001e-4

/* Row t of the alignment peaks on column expected[t] and sums to 1. */
static void expect_peaks(const al_trace_tensor *a, const int *expected)
{
    for (int t = 0; t < a->rows; t++) {
        if (largest_in_row(a, t) != expected[t])
            fail_msg("row %d ('%s') peaks on column %d, expected %d", t, a->row_labels[t],
                     largest_in_row(a, t), expected[t]);
        double sum = row_sum(a, t);
        if (fabs(sum - 1.0) > ROW_SUM_TOLERANCE)
            fail_msg("row %d sums to %.9g, not 1 within %.9g (float32 softmax rounding)", t,
                     sum, ROW_SUM_TOLERANCE);
    }
}

/* The numbers printed on the line after the header line of the table
 * "<symbol>  <name>  (1 x n)": the row label, then n numbers. */
static void expect_printed_row(const char *out, const char *name, const al_trace_tensor *t)
{
    char header[96];
    snprintf(header, sizeof header, "  %s  (1 x %d)\n", name, t->cols);
    const char *at = strstr(out, header);
    if (!at)
        fail_msg("no table '%s' in the printout", name);
    at = strchr(at, '\n') + 1;   /* the column labels */
    at = strchr(at, '\n') + 1;   /* the row */
    at += strspn(at, " ");
    at += strcspn(at, " ");      /* past the row label */
    for (int j = 0; j < t->cols; j++) {
        char *end;
        double printed = strtod(at, &end);
        double traced = al_trace_tensor_at(t, 0, j);
        if (end == at || fabs(printed - traced) > PRINTED_TOLERANCE)
            fail_msg("%s[%d] printed %.9g, traced %.9g: more than %.9g apart (4 decimals)",
                     name, j, printed, traced, PRINTED_TOLERANCE);
        at = end;
    }
}

static void trained_translation_looks_at_each_word_it_translates(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson04, *state, "t.jsonl", NULL);
    const al_trace_tensor *a = expect_tensor(trace, "s2s.alignment", 4, 3);
    expect_labels(a, 'c', "european,economic,area");
    expect_labels(a, 'r', "zone,économique,européenne,<eos>");
    /* zone <- area, économique <- economic, européenne <- european */
    expect_peaks(a, (const int[]){2, 1, 0, 0});
    /* data/README.md's measured weights, to the three decimals it gives */
    const double claimed[3] = {0.989, 0.706, 0.896};
    for (int t = 0; t < 3; t++) {
        double w = al_trace_tensor_at(a, t, 2 - t);
        if (fabs(w - claimed[t]) > 0.0005)
            fail_msg("row %d puts %.9g on its word; data/README.md says %.9g (3 decimals)", t,
                     w, claimed[t]);
    }
    char name[64];
    for (int t = 0; t < 4; t++) {
        snprintf(name, sizeof name, "s2s.step%d.weights", t);
        const al_trace_tensor *w = expect_tensor(trace, name, 1, 3);
        expect_printed_row(r.out, name, w);
        for (int j = 0; j < 3; j++)
            assert_same_float(al_trace_tensor_at(w, 0, j), al_trace_tensor_at(a, t, j));
        snprintf(name, sizeof name, "s2s.step%d.scores", t);
        expect_printed_row(r.out, name, expect_tensor(trace, name, 1, 3));
    }
    assert_null(al_trace_file_find(trace, "s2s.step4.weights"));
    expect_tensor(trace, "s2s.enc.h", 3, 64);
    expect_tensor(trace, "s2s.attn.v_a", 64, 1);
    const char *steps[] = {"Step 1: the source sentence", "rnn.safetensors",
                           "trained by attnlab-train on data/translate/pairs.tsv",
                           "Step 4: decoder step 0 reads '<bos>'", "says 'zone'",
                           "says 'économique'", "says 'européenne'", "says '<eos>'",
                           "not a word of it", "Step 8: the alignment",
                           "zone        ->  area 0.99",
                           "Translation: zone économique européenne\n",
                           "said <eos> at step 3, which ends the translation", NULL};
    expect_in_order(r.out, steps);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* Held out of training: three words into five, the alignment in order. */
static void trained_model_translates_a_held_out_phrase(void **state)
{
    const char *extra[] = {"--sentence", "they arrived late", NULL};
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson04, *state, "t.jsonl", extra);
    const al_trace_tensor *a = expect_tensor(trace, "s2s.alignment", 6, 3);
    expect_labels(a, 'r', "ils,sont,arrivés,en,retard,<eos>");
    expect_peaks(a, (const int[]){0, 0, 1, 2, 2, 2});
    assert_non_null(strstr(r.out, "Translation: ils sont arrivés en retard\n"));
    al_trace_file_free(trace);
    run_result_free(&r);
}

static void an_unknown_word_becomes_unk_with_a_note(void **state)
{
    const char *extra[] = {"--sentence", "happy european area", NULL};
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson04, *state, "t.jsonl", extra);
    assert_non_null(strstr(r.out, "note: 'happy' is not in the model's vocabulary (92 words); "
                                  "it becomes <unk>"));
    const al_trace_tensor *tokens = expect_tensor(trace, "s2s.enc.tokens", 1, 3);
    assert_same_float(al_trace_tensor_at(tokens, 0, 0), 1.0f);   /* <unk> is id 1 */
    al_trace_file_free(trace);
    run_result_free(&r);
}

static void runs_repeat_exactly(void **state)
{
    expect_runs_repeat_exactly(lesson04, *state, NULL);
}

/* The alignment heatmap, with source across and target down. */
static void figures_are_drawn_with_source_and_target_axes(void **state)
{
    lesson_folder *folder = *state;
    run_result r;
    const char *files[] = {"t-alignment.png", "t-alignment.svg", "t-flow.svg", NULL};
    expect_figures(&r, lesson04, folder, HAND_MADE, files);
    char *svg = lesson_file_text(folder, "t-alignment.svg", NULL);
    assert_non_null(strstr(svg, ">source<"));
    assert_non_null(strstr(svg, ">target<"));
    assert_non_null(strstr(svg, "European Economic Area → zone économique européenne (made by "
                                "hand)"));
    free(svg);
    run_result_free(&r);
    expect_figures(&r, lesson04, folder, NULL, files);
    svg = lesson_file_text(folder, "t-alignment.svg", NULL);
    assert_non_null(strstr(svg, "european economic area → zone économique européenne<"));
    free(svg);
    run_result_free(&r);
}

static void bad_input_is_refused_with_one_line(void **state)
{
    const char *empty[] = {"--sentence", "  ", NULL};
    expect_refusal(lesson04, *state, empty, "empty");
    const char *longer[] = {"--hand-made", "--sentence", "European Central Bank Monetary Union",
                            NULL};
    expect_refusal(lesson04, *state, longer, "at most 4");
    const char *unknown_word[] = {"--hand-made", "--sentence", "European Cat", NULL};
    expect_refusal(lesson04, *state, unknown_word, "'Cat' is not in the model's vocabulary");
    expect_refusal(lesson04, *state, unknown_word, "the hand-made model translates only");
    const char *longest[] = {"--sentence", "a b c d e f g h i", NULL};
    expect_refusal(lesson04, *state, longest, "at most 8");
    const char *trained_score[] = {"--score", "dot", NULL};
    expect_refusal(lesson04, *state, trained_score, "add --hand-made or --random");
    const char *both[] = {"--hand-made", "--random", NULL};
    expect_refusal(lesson04, *state, both, "two different models");
    const char *unknown[] = {"--heads", "2", NULL};
    expect_refusal(lesson04, *state, unknown, "unknown option '--heads'");
    const char *score[] = {"--score", "gaussian", NULL};
    expect_refusal(lesson04, *state, score, "--score must be one of additive|dot|general");
    const char *cell[] = {"--cell", "gru", NULL};
    expect_refusal(lesson04, *state, cell, "add --random");
    const char *width[] = {"--random", "--d-hidden", "0", NULL};
    expect_refusal(lesson04, *state, width, "--d-hidden needs a whole number from 1 to 256");
}

static void help_example_works_as_typed(void **state)
{
    const char *help[] = {"lesson04 --sentence \"the red car\"", "additive|dot|general",
                          "--hand-made", "data/translate/pairs.tsv", NULL};
    expect_help_mentions(lesson04, help);
    run_result r;
    const char *example[] = {"--sentence", "the red car", NULL};
    al_trace_file *trace = lesson_run_ok(&r, lesson04, *state, "t.jsonl", example);
    expect_labels(al_trace_file_find(trace, "s2s.alignment"), 'r', "la,voiture,rouge,<eos>");
    al_trace_file_free(trace);
    run_result_free(&r);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_lesson04 PATH-TO-lesson04\n");
        return 2;
    }
    lesson04 = argv[1];
    const struct CMUnitTest tests[] = {
        lesson_test(trained_translation_looks_at_each_word_it_translates),
        lesson_test(trained_model_translates_a_held_out_phrase),
        lesson_test(an_unknown_word_becomes_unk_with_a_note),
        lesson_test(hand_made_translation_reads_the_source_backwards),
        lesson_test(steps_agree_with_the_traced_inputs),
        lesson_test(european_central_bank),
        lesson_test(additive_score_gives_the_same_alignment),
        lesson_test(dot_score_runs_on_random_weights),
        lesson_test(random_gru_takes_its_width),
        lesson_test(pytorch_gru_is_named_in_trace_and_printout),
        lesson_test(runs_repeat_exactly),
        lesson_test(figures_are_drawn_with_source_and_target_axes),
        lesson_test(bad_input_is_refused_with_one_line),
        lesson_test(help_example_works_as_typed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
