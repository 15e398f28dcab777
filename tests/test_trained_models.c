/* test_trained_models.c: the trained models shipped in data/ do what
 * data/README.md says they do, measured on the shipped files:
 *
 *   bank/decoder     head dec.0.self_attn.h0 puts its largest weight from
 *                    "bank" on "river" or "money" in at least 90% of the
 *                    held-out sentences; bank's final vectors lie further
 *                    apart between the senses than within each; its loss
 *                    on the held-out words is below the bigram's
 *   bank/encoder     the same for the final vectors
 *   translate/rnn    "european economic area" -> "zone économique
 *                    européenne" with an anti-diagonal alignment: "zone"
 *                    peaks on "area", "européenne" on "european"; "the red
 *                    car" and "they arrived late", never learned from, too
 *   qa/transformer   "what can you do" -> "i can answer questions <eos>",
 *                    with cross-attention traced at every step
 *   book/kjv         its held-out loss clearly below the bigram's (needs
 *                    data/book/kjv.txt, made by data/book/make_corpus.sh
 *                    from Debian's bible-kjv; skipped without `bible`)
 *
 * and, for any model: saved and loaded again it gives the same logits,
 * and a shortened training run (seconds) makes the loss fall.
 * argv: attnlab-model, attnlab-generate, attnlab-train. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "attnlab/trace_file.h"
#include "attnlab/transformer.h"
#include "lesson_check.h"
#include "run_program.h"

static const char *model_tool, *generate_tool, *train_tool;

/* SRCDIR/data/<name>, in buf. */
static const char *data_path(char *buf, size_t size, const char *name)
{
    const char *root = getenv("SRCDIR");
    snprintf(buf, size, "%s/data/%s", root ? root : ".", name);
    return buf;
}

/* The number after `label` in text (which must hold it). */
static double number_after(const char *text, const char *label)
{
    const char *at = strstr(text, label);
    if (!at)
        fail_msg("the output has no \"%s\":\n%s", label, text);
    return strtod(at + strlen(label), NULL);
}

/* `attnlab-model heads MODEL` on the bank's held-out sentences. */
static void run_heads(run_result *r, const char *model)
{
    char path[1024], heldout[1024];
    data_path(path, sizeof path, model);
    data_path(heldout, sizeof heldout, "bank/heldout.txt");
    assert_int_equal(run_program_args(r, NULL, model_tool, "heads", path, "--sentences",
                                      heldout, "--word", "bank", "--senses", "river,money",
                                      NULL),
                     0);
    if (r->exit_code != 0)
        fail_msg("attnlab-model heads exited %d: %s", r->exit_code, r->err);
}

/* bank's final vectors: between the senses further apart than within either. */
static void expect_senses_apart(const char *out)
{
    double within_river = number_after(out, "both with the first sense");
    double within_money = number_after(out, "both with the second sense");
    double between = number_after(out, "of different senses");
    print_message("bank's final vectors: between the senses %.9g, within river %.9g, "
                  "within money %.9g (mean distances)\n", between, within_river, within_money);
    assert_true(between > within_river && between > within_money);
}

static void bank_decoder_head_finds_the_sense_word(void **state)
{
    (void)state;
    run_result r;
    run_heads(&r, "bank/decoder.safetensors");
    const char *best = strstr(r.out, "best: ");
    assert_non_null(best);
    /* data/README.md names this head */
    assert_memory_equal(best, "best: dec.0.self_attn.h0, ", strlen("best: dec.0.self_attn.h0, "));
    int on, of;
    assert_int_equal(sscanf(strstr(best, "in "), "in %d of %d", &on, &of), 2);
    print_message("dec.0.self_attn.h0: on \"river\" or \"money\" in %d of %d held-out "
                  "sentences (at least 90%% wanted)\n", on, of);
    assert_int_equal(of, 200);
    assert_true(on * 10 >= of * 9);
    expect_senses_apart(r.out);
    run_result_free(&r);
}

static void bank_encoder_tells_the_senses_apart(void **state)
{
    (void)state;
    run_result r;
    run_heads(&r, "bank/encoder.safetensors");
    assert_non_null(strstr(r.out, "(encoder-only, 2 layers x 4 heads)"));
    expect_senses_apart(r.out);
    run_result_free(&r);
}

/* `attnlab-model evaluate MODEL --corpus CORPUS`: the model's held-out
 * loss must be at least margin below the bigram's. */
static void expect_below_bigram(const char *model, const char *corpus, double margin)
{
    run_result r;
    assert_int_equal(run_program_args(&r, NULL, model_tool, "evaluate", model, "--corpus",
                                      corpus, NULL),
                     0);
    if (r.exit_code != 0)
        fail_msg("attnlab-model evaluate exited %d: %s", r.exit_code, r.err);
    double loss = number_after(r.out, "this model");
    double unigram = number_after(r.out, "unigram (add-one)");
    const char *bigram_line = strstr(r.out, "bigram (with the unigram");
    assert_non_null(bigram_line);
    double bigram = number_after(bigram_line, ")");
    print_message("%s: held-out loss %.9g, unigram %.9g, bigram %.9g (wanted below the "
                  "bigram by %.9g)\n", model, loss, unigram, bigram, margin);
    assert_true(loss < bigram - margin);
    assert_true(bigram < unigram);
    run_result_free(&r);
}

static void bank_decoder_beats_the_bigram(void **state)
{
    (void)state;
    char model[1024], corpus[1024];
    expect_below_bigram(data_path(model, sizeof model, "bank/decoder.safetensors"),
                        data_path(corpus, sizeof corpus, "bank/corpus.txt"), 0.5);
}

static void book_model_beats_the_bigram(void **state)
{
    (void)state;
    char model[1024], corpus[1024];
    data_path(corpus, sizeof corpus, "book/kjv.txt");
    if (access(corpus, R_OK) != 0) {
        print_message("%s is missing: run data/book/make_corpus.sh (needs bible-kjv)\n",
                      corpus);
        skip();
    }
    expect_below_bigram(data_path(model, sizeof model, "book/kjv.safetensors"), corpus, 0.2);
}

/* The index of the largest entry of row i. */
static int strongest(const al_trace_tensor *t, int i)
{
    int best = 0;
    for (int j = 1; j < t->cols; j++)
        if (al_trace_tensor_at(t, i, j) > al_trace_tensor_at(t, i, best))
            best = j;
    return best;
}

static void translation_alignment_is_anti_diagonal(void **state)
{
    lesson_folder *folder = *state;
    char model[1024], trace[256];
    data_path(model, sizeof model, "translate/rnn.safetensors");
    snprintf(trace, sizeof trace, "%s/eea.jsonl", folder->path);
    run_result r;
    assert_int_equal(run_program_args(&r, NULL, generate_tool, "--model", model, "--prompt",
                                      "european economic area", "--trace", trace, NULL),
                     0);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "european economic area -> zone économique européenne <eos>\n");
    run_result_free(&r);
    al_trace_file *t = lesson_trace(folder, "eea.jsonl");
    /* step k writes French word k; its weights are over the 3 English words */
    const int expected[] = {2, 1, 0};   /* zone->area, économique->economic, européenne->european */
    for (int step = 0; step < 3; step++) {
        char name[64];
        snprintf(name, sizeof name, "s2s.step%d.weights", step);
        const al_trace_tensor *w = expect_tensor(t, name, 1, 3);
        print_message("%s: %.9g %.9g %.9g, peak on word %d (wanted %d)\n", name,
                      (double)al_trace_tensor_at(w, 0, 0), (double)al_trace_tensor_at(w, 0, 1),
                      (double)al_trace_tensor_at(w, 0, 2), strongest(w, 0), expected[step]);
        assert_int_equal(strongest(w, 0), expected[step]);
    }
    al_trace_file_free(t);

    /* phrases the model never learned from (the held-out end of pairs.tsv) */
    const char *const cases[][2] = {
        {"the red car", "the red car -> la voiture rouge <eos>\n"},
        {"they arrived late", "they arrived late -> ils sont arrivés en retard <eos>\n"}};
    for (int k = 0; k < 2; k++) {
        assert_int_equal(run_program_args(&r, NULL, generate_tool, "--model", model, "--prompt",
                                          cases[k][0], NULL),
                         0);
        assert_string_equal(r.out, cases[k][1]);
        run_result_free(&r);
    }
}

static void question_gets_its_answer(void **state)
{
    lesson_folder *folder = *state;
    char model[1024], trace[256];
    data_path(model, sizeof model, "qa/transformer.safetensors");
    snprintf(trace, sizeof trace, "%s/qa.jsonl", folder->path);
    run_result r;
    assert_int_equal(run_program_args(&r, NULL, generate_tool, "--model", model, "--prompt",
                                      "what can you do", "--trace", trace, NULL),
                     0);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "what can you do -> i can answer questions <eos>\n");
    run_result_free(&r);
    al_trace_file *t = lesson_trace(folder, "qa.jsonl");
    /* four words are written (i can answer questions) and then <eos>: every
     * step's cross-attention over the 4 question words, each row summing to 1 */
    for (int step = 0; step < 5; step++) {
        char name[96];
        snprintf(name, sizeof name, "step%d.dec.0.cross_attn.h0.weights", step);
        const al_trace_tensor *w = al_trace_file_find(t, name);
        if (!w)
            fail_msg("the trace has no %s", name);
        assert_int_equal(w->cols, 4);
        double sum = 0;
        for (int j = 0; j < 4; j++)
            sum += al_trace_tensor_at(w, w->rows - 1, j);
        assert_true(sum > 1 - 1e-5 && sum < 1 + 1e-5);   /* float32 softmax rounding */
    }
    al_trace_file_free(t);
    /* a held-out question: the answer copies its words, "i" becoming "you" */
    assert_int_equal(run_program_args(&r, NULL, generate_tool, "--model", model, "--prompt",
                                      "can i drive cars", NULL),
                     0);
    assert_string_equal(r.out, "can i drive cars -> yes , you can drive cars <eos>\n");
    run_result_free(&r);
}

/* Save -> load -> the same logits, bit for bit. */
static void saved_and_loaded_gives_the_same_outputs(void **state)
{
    lesson_folder *folder = *state;
    char path[1024], copy[256];
    data_path(path, sizeof path, "bank/decoder.safetensors");
    snprintf(copy, sizeof copy, "%s/copy.safetensors", folder->path);
    al_transformer a, b;
    al_vocab va, vb;
    assert_int_equal(al_transformer_load(&a, &va, path, NULL, NULL), AL_OK);
    assert_int_equal(al_transformer_save(&a, &va, copy, NULL), AL_OK);
    assert_int_equal(al_transformer_load(&b, &vb, copy, NULL, NULL), AL_OK);
    al_tokens tokens;
    assert_int_equal(al_tokenize(&tokens, "the river was near , so she went to the bank", &va,
                                 AL_TOKENIZE_PLAIN, NULL),
                     AL_OK);
    al_sequence input = {.length = tokens.count, .ids = tokens.ids};
    al_transformer_workspace wa, wb;
    assert_int_equal(al_transformer_workspace_alloc(&wa, &a, tokens.count, NULL), AL_OK);
    assert_int_equal(al_transformer_workspace_alloc(&wb, &b, tokens.count, NULL), AL_OK);
    assert_int_equal(al_transformer_forward(&wa, &a, &input, NULL, NULL, NULL, NULL), AL_OK);
    assert_int_equal(al_transformer_forward(&wb, &b, &input, NULL, NULL, NULL, NULL), AL_OK);
    for (int i = 0; i < tokens.count; i++)
        assert_memory_equal(al_at(&wa.logits, i, 0), al_at(&wb.logits, i, 0),
                            sizeof(float) * (size_t)va.size);
    al_transformer_workspace_free(&wa), al_transformer_workspace_free(&wb);
    al_tokens_free(&tokens);
    al_transformer_free(&a), al_transformer_free(&b);
    al_vocab_free(&va), al_vocab_free(&vb);
}

/* A shortened run on the bank corpus: 150 steps of a small model take
 * seconds, and the loss must fall from about ln V (4.7) to under a third
 * of it (it ends near 0.8). */
static void a_short_run_learns(void **state)
{
    lesson_folder *folder = *state;
    char corpus[1024], out[256], csv[256];
    data_path(corpus, sizeof corpus, "bank/corpus.txt");
    snprintf(out, sizeof out, "%s/short.safetensors", folder->path);
    snprintf(csv, sizeof csv, "%s/short.csv", folder->path);
    run_result r;
    assert_int_equal(run_program_args(&r, NULL, train_tool, "--corpus", corpus, "-o", out,
                                      "--d-model", "32", "--layers", "1", "--context", "16",
                                      "--steps", "150", "--lr", "0.01", "--warmup", "10",
                                      "--report-every", "10", "--loss-csv",
                                      csv, "--quiet", NULL),
                     0);
    if (r.exit_code != 0)
        fail_msg("attnlab-train exited %d: %s", r.exit_code, r.err);
    run_result_free(&r);
    size_t length;
    char *text = lesson_file_text(folder, "short.csv", &length);
    /* step,loss,validation_loss rows: the first and the last */
    double first = -1, last = -1;
    for (char *line = strchr(text, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        int step;
        double loss;
        if (sscanf(line + 1, "%d,%lf", &step, &loss) == 2) {
            if (first < 0)
                first = loss;
            last = loss;
        }
    }
    free(text);
    print_message("short run: loss %.9g at the first step, %.9g at step 150 (wanted under a "
                  "third)\n", first, last);
    assert_true(first > 0 && last > 0);
    assert_true(last < first / 3);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s ATTNLAB-MODEL ATTNLAB-GENERATE ATTNLAB-TRAIN\n", argv[0]);
        return 2;
    }
    model_tool = argv[1], generate_tool = argv[2], train_tool = argv[3];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bank_decoder_head_finds_the_sense_word),
        cmocka_unit_test(bank_encoder_tells_the_senses_apart),
        cmocka_unit_test(bank_decoder_beats_the_bigram),
        cmocka_unit_test(book_model_beats_the_bigram),
        cmocka_unit_test_setup_teardown(translation_alignment_is_anti_diagonal,
                                        lesson_folder_setup, lesson_folder_teardown),
        cmocka_unit_test_setup_teardown(question_gets_its_answer, lesson_folder_setup,
                                        lesson_folder_teardown),
        cmocka_unit_test_setup_teardown(saved_and_loaded_gives_the_same_outputs,
                                        lesson_folder_setup, lesson_folder_teardown),
        cmocka_unit_test_setup_teardown(a_short_run_learns, lesson_folder_setup,
                                        lesson_folder_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
