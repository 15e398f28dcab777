/* test_lesson01.c: lesson01 (the seq2seq bottleneck) as a student runs it:
 * the context is the last encoder state and every decoder step is given
 * exactly it, the distances between the two sentences' states redone from
 * the trace, little of the early word left at the end, the hand-made model
 * that keeps nothing of it and says "zone" at every step, the <unk>
 * comparison, a GRU in Cho et al.'s form and in PyTorch's, figures,
 * determinism, refusals and the --help example. */
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

static const char *lesson01; /* the program, from argv[1] */

/* ‖h_j − h'_j‖ redone in double from float32 states of 8 entries below 1:
 * the traced float32 distance differs by a few ulps. */
#define DISTANCE_TOLERANCE 1e-6

#define DEFAULT_TOKENS "the,agreement,on,the,European,Economic,Area,was,signed,in,August,1992"

/* The context is row S-1 of the encoder states, bit for bit, and the last
 * d_h entries of every decoder step's input are the context, bit for bit:
 * the decoder is given nothing else of the source. */
static void expect_one_context(const al_trace_file *trace, int S, int d_h, int d_e)
{
    const al_trace_tensor *h = al_trace_file_find(trace, "s2s.enc.h");
    const al_trace_tensor *c = expect_tensor(trace, "s2s.context", 1, d_h);
    assert_string_equal(c->op, "take_row");
    assert_string_equal(c->row_labels[0], h->row_labels[S - 1]);
    for (int k = 0; k < d_h; k++)
        assert_same_float(al_trace_tensor_at(c, 0, k), al_trace_tensor_at(h, S - 1, k));
    int steps = 0;
    for (int t = 0;; t++, steps++) {
        char name[64];
        snprintf(name, sizeof name, "s2s.step%d.input", t);
        const al_trace_tensor *input = al_trace_file_find(trace, name);
        if (!input)
            break;
        assert_int_equal(input->cols, d_e + d_h);
        for (int k = 0; k < d_h; k++)
            assert_same_float(al_trace_tensor_at(input, 0, d_e + k), al_trace_tensor_at(c, 0, k));
    }
    assert_true(steps >= 1);
    assert_null(al_trace_file_find(trace, "s2s.step0.weights"));
    assert_null(al_trace_file_find(trace, "s2s.alignment"));
}

static void defaults_show_the_states_and_the_one_context(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson01, *state, "t.jsonl", NULL);
    expect_labels(expect_tensor(trace, "s2s.enc.h", 12, 8), 'r', DEFAULT_TOKENS);
    expect_tensor(trace, "s2s.enc.embed", 12, 8);
    expect_tensor(trace, "s2s.enc.w_h", 8, 8);
    expect_one_context(trace, 12, 8, 8);
    expect_tensor(trace, "s2s.compare.enc.h", 12, 8);
    const al_trace_tensor *d = expect_tensor(trace, "s2s.compare.distance", 1, 12);
    expect_labels(d, 'c', "the,agreement/treaty,on,the,European,Economic,Area,was,signed,in,"
                          "August,1992");
    expect_tensor(trace, "s2s.compare.kept", 1, 12);
    expect_tensor(trace, "s2s.dec.h", 4, 8);
    const char *steps[] = {"Step 1: the source sentence as word vectors", "s2s.enc.embed",
                           "Step 2: the encoder reads one word at a time", "s2s.enc.h",
                           "Step 3: the whole sentence in one vector: the context",
                           "s2s.context", "12 tokens went in; 8 numbers come out",
                           "Step 4: how much of an early word reaches the context",
                           "s2s.compare.distance", "s2s.compare.kept",
                           "Right after 'agreement/treaty'",
                           "Step 5: the decoder starts from the context", "s2s.step*.input",
                           "s2s.dec.h", "step 0 reads '<bos>'",
                           /* the seeded decoder picks special tokens, and is told so */
                           "The decoder's 4 choices: <bos> [CLS] [CLS] [CLS]",
                           "4 of them are special tokens, not words",
                           "S x d_e = 12 x 8 -> S x d_h = 12 x 8 -> one context 1 x d_h = 1 x 8",
                           NULL};
    expect_in_order(r.out, steps);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* The distances again from the two traced sets of states, in double. The
 * sentences agree on "the", so d_0 is exactly 0 and they part at token 1,
 * where kept is 1. Little of "agreement" against "treaty" reaches the
 * context: less than a tenth of the difference it made (this seed keeps
 * about a thousandth). */
static void distances_agree_with_the_traced_states(void **state)
{
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson01, *state, "t.jsonl", NULL);
    const al_trace_tensor *h = al_trace_file_find(trace, "s2s.enc.h");
    const al_trace_tensor *other = al_trace_file_find(trace, "s2s.compare.enc.h");
    const al_trace_tensor *d = al_trace_file_find(trace, "s2s.compare.distance");
    const al_trace_tensor *kept = al_trace_file_find(trace, "s2s.compare.kept");
    expect_labels(other, 'r', "the,treaty,on,the,European,Economic,Area,was,signed,in,August,"
                              "1992");
    for (int j = 0; j < 12; j++) {
        double sum = 0.0;
        for (int k = 0; k < 8; k++) {
            double difference = (double)al_trace_tensor_at(h, j, k) - al_trace_tensor_at(other, j, k);
            sum += difference * difference;
        }
        assert_close(al_trace_tensor_at(d, 0, j), sqrt(sum), DISTANCE_TOLERANCE);
        assert_close(al_trace_tensor_at(kept, 0, j),
                     sqrt(sum) / al_trace_tensor_at(d, 0, 1), DISTANCE_TOLERANCE);
    }
    assert_same_float(al_trace_tensor_at(d, 0, 0), 0.0f);
    assert_same_float(al_trace_tensor_at(kept, 0, 1), 1.0f);
    assert_true(al_trace_tensor_at(kept, 0, 11) < 0.1f);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* data/lesson04's model without attention: each state holds only the last
 * word and the count, so nothing of "European" against "Monetary" reaches
 * the context (kept exactly 0), and the context, which says "area", makes
 * the decoder say "zone" at every step. */
static void hand_made_model_keeps_only_the_last_word(void **state)
{
    const char *extra[] = {"--hand-made", NULL};
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson01, *state, "t.jsonl", extra);
    expect_labels(expect_tensor(trace, "s2s.enc.h", 4, 13), 'r', "<bos>,European,Economic,Area");
    expect_one_context(trace, 4, 13, 8);
    const al_trace_tensor *kept = expect_tensor(trace, "s2s.compare.kept", 1, 4);
    expect_labels(kept, 'c', "<bos>,European/Monetary,Economic,Area");
    assert_same_float(al_trace_tensor_at(kept, 0, 1), 1.0f);
    assert_same_float(al_trace_tensor_at(kept, 0, 3), 0.0f);
    expect_labels(expect_tensor(trace, "s2s.dec.h", 4, 13), 'r', "<bos>,zone,zone,zone");
    /* The hidden units are named in the trace as in the printout (and so in
     * the states figure), for both sentences and the decoder. */
    const char *units = "bos,european,economic,area,central,bank,monetary,union,pos0,pos1,pos2,"
                        "pos3,pos4";
    expect_labels(al_trace_file_find(trace, "s2s.enc.h"), 'c', units);
    expect_labels(expect_tensor(trace, "s2s.compare.enc.h", 4, 13), 'c', units);
    expect_labels(al_trace_file_find(trace, "s2s.dec.h"), 'c', units);
    expect_labels(expect_tensor(trace, "s2s.context", 1, 13), 'c', units);
    assert_non_null(strstr(r.out, "The decoder said: zone zone zone zone\n"));
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* A sentence of one's own is compared with itself, its first word made
 * <unk>. */
static void own_sentence_is_compared_with_an_unknown_first_word(void **state)
{
    const char *extra[] = {"--sentence", "the cat sat on the mat", "--steps", "2", NULL};
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson01, *state, "t.jsonl", extra);
    expect_labels(expect_tensor(trace, "s2s.compare.enc.tokens", 1, 6), 'c',
                  "<unk>,cat,sat,on,the,mat");
    expect_labels(al_trace_file_find(trace, "s2s.compare.distance"), 'c',
                  "the/<unk>,cat,sat,on,the,mat");
    const al_trace_tensor *h = al_trace_file_find(trace, "s2s.dec.h");
    assert_true(h->rows >= 1 && h->rows <= 2);
    expect_one_context(trace, 6, 8, 8);
    al_trace_file_free(trace);
    run_result_free(&r);
}

static void gru_cell_takes_its_widths(void **state)
{
    const char *extra[] = {"--cell", "gru", "--d-hidden", "5", "--d-embed", "3", "--seed", "7",
                           NULL};
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson01, *state, "t.jsonl", extra);
    expect_tensor(trace, "s2s.enc.h", 12, 5);
    expect_tensor(trace, "s2s.enc.z", 12, 5);
    expect_tensor(trace, "s2s.compare.enc.r", 12, 5);
    expect_one_context(trace, 12, 5, 3);
    assert_true(trace->seed == 7);
    al_trace_file_free(trace);
    run_result_free(&r);
}

/* --cell gru-pytorch runs PyTorch's GRU in both encoders and the decoder,
 * and says so: ops gru_pytorch..., the hidden bias s2s.enc.b_hn among the
 * inputs, the form named in the printout; and it still has one context. */
static void pytorch_gru_is_named_in_trace_and_printout(void **state)
{
    const char *extra[] = {"--cell", "gru-pytorch", "--d-hidden", "5", "--d-embed", "3",
                           "--seed", "7", NULL};
    run_result r;
    al_trace_file *trace = lesson_run_ok(&r, lesson01, *state, "t.jsonl", extra);
    assert_string_equal(expect_tensor(trace, "s2s.enc.h", 12, 5)->op, "gru_pytorch");
    const al_trace_tensor *n = expect_tensor(trace, "s2s.compare.enc.n", 12, 5);
    assert_string_equal(n->op, "gru_pytorch_candidate");
    assert_string_equal(n->inputs[n->n_inputs - 1], "s2s.enc.b_hn");
    assert_string_equal(expect_tensor(trace, "s2s.step0.z", 1, 5)->op,
                        "gru_pytorch_update_gate");
    expect_tensor(trace, "s2s.enc.b_hn", 1, 5);
    expect_tensor(trace, "s2s.dec.b_hn", 1, 5);
    expect_one_context(trace, 12, 5, 3);
    assert_non_null(strstr(r.out, "gru_pytorch cells"));
    assert_non_null(strstr(r.out, "The GRU in PyTorch's form"));
    assert_non_null(strstr(r.out, "r_j ⊙ (h_{j-1} · W_h + b_hn)"));
    al_trace_file_free(trace);
    run_result_free(&r);
}

static void runs_repeat_exactly(void **state)
{
    expect_runs_repeat_exactly(lesson01, *state, NULL);
}

static void figures_are_drawn_beside_when_asked(void **state)
{
    lesson_folder *folder = *state;
    run_result r;
    const char *files[] = {"t-states.png", "t-states.svg", "t-distance.png", "t-distance.svg",
                           "t-flow.svg", NULL};
    expect_figures(&r, lesson01, folder, NULL, files);
    assert_non_null(strstr(r.out, "Redraw with:"));
    run_result_free(&r);
}

static void bad_input_is_refused_with_one_line(void **state)
{
    const char *empty[] = {"--sentence", "   ", NULL};
    expect_refusal(lesson01, *state, empty, "empty");
    const char *longer[] = {"--sentence", "a a a a a a a a a a a a a a a a a a a a a a a a a",
                            NULL};
    expect_refusal(lesson01, *state, longer, "at most 24");
    const char *lengths[] = {"--sentence", "the cat sat", "--compare", "a cat", NULL};
    expect_refusal(lesson01, *state, lengths, "--compare has 2 tokens but the sentence 3");
    const char *unknown_word[] = {"--hand-made", "--sentence", "European Cat", NULL};
    expect_refusal(lesson01, *state, unknown_word, "'Cat' is not in the model's vocabulary");
    const char *hand_made_long[] = {"--hand-made", "--sentence",
                                    "European Central Bank Monetary Union", NULL};
    expect_refusal(lesson01, *state, hand_made_long, "at most 4");
    const char *hand_made_cell[] = {"--hand-made", "--cell", "gru", NULL};
    expect_refusal(lesson01, *state, hand_made_cell,
                   "shape a random model; the hand-made one is fixed");
    const char *unknown[] = {"--heads", "2", NULL};
    expect_refusal(lesson01, *state, unknown, "unknown option '--heads'");
    const char *width[] = {"--d-hidden", "0", NULL};
    expect_refusal(lesson01, *state, width, "--d-hidden needs a whole number from 1 to 64");
    const char *steps[] = {"--steps", "17", NULL};
    expect_refusal(lesson01, *state, steps, "--steps needs a whole number from 1 to 16");
}

static void help_example_works_as_typed(void **state)
{
    const char *help[] = {"lesson01 --sentence \"the cat sat on the mat\" --compare "
                          "\"a cat sat on the mat\" --cell gru", "--hand-made", NULL};
    expect_help_mentions(lesson01, help);
    run_result r;
    const char *example[] = {"--sentence", "the cat sat on the mat", "--compare",
                             "a cat sat on the mat", "--cell", "gru", NULL};
    al_trace_file *trace = lesson_run_ok(&r, lesson01, *state, "t.jsonl", example);
    expect_labels(al_trace_file_find(trace, "s2s.compare.distance"), 'c',
                  "the/a,cat,sat,on,the,mat");
    al_trace_file_free(trace);
    run_result_free(&r);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_lesson01 PATH-TO-lesson01\n");
        return 2;
    }
    lesson01 = argv[1];
    const struct CMUnitTest tests[] = {
        lesson_test(defaults_show_the_states_and_the_one_context),
        lesson_test(distances_agree_with_the_traced_states),
        lesson_test(hand_made_model_keeps_only_the_last_word),
        lesson_test(own_sentence_is_compared_with_an_unknown_first_word),
        lesson_test(gru_cell_takes_its_widths),
        lesson_test(pytorch_gru_is_named_in_trace_and_printout),
        lesson_test(runs_repeat_exactly),
        lesson_test(figures_are_drawn_beside_when_asked),
        lesson_test(bad_input_is_refused_with_one_line),
        lesson_test(help_example_works_as_typed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
