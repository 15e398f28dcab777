/* test_attnlab_model.c: `attnlab-model show` on a model file this test
 * writes: the configuration in words, the vocabulary, one line per tensor
 * (every name the library lists, with its shape) and a total equal to the
 * library's own count; a file without a training record says so, one with
 * it shows the task, corpus, losses and the command that makes it again;
 * `evaluate` gives the loss this test computes itself for the model and
 * for the unigram and bigram baselines; `heads` counts where a head with
 * uniform weights looks (its first key: ties go to the first); bad usage
 * exits 2, a missing file 1, each with one line on stderr. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "attnlab/seq2seq_file.h"
#include "attnlab/transformer.h"
#include "lesson_check.h"
#include "run_program.h"

static const char *tool;

static const char *const WORDS[] = {"<pad>", "<unk>", "<bos>", "<eos>", "[CLS]", "[MASK]",
                                    "the", "cat", "sat", "on", "mat"};

static void shows_every_tensor_and_the_total(void **state)
{
    (void)state;
    al_model_config config = {
        .family = AL_FAMILY_DECODER_ONLY, .norm = AL_NORM_PRE, .d_model = 8, .heads = 2,
        .decoder_layers = 2, .d_ff = 16, .vocab_size = 11, .positions = AL_POSITIONS_LEARNED,
        .max_positions = 12, .biases = true, .tied_output = true,
        .norm_epsilon = AL_LAYER_NORM_EPSILON};
    al_transformer model;
    assert_int_equal(al_transformer_alloc(&model, &config, NULL), AL_OK);
    al_vocab vocab;
    assert_int_equal(al_vocab_from_words(&vocab, WORDS, 11, NULL), AL_OK);
    lesson_folder folder;
    lesson_folder_make(&folder);
    char path[96];
    snprintf(path, sizeof path, "%s/m.safetensors", folder.path);
    assert_int_equal(al_transformer_save(&model, &vocab, path, NULL), AL_OK);

    run_result r;
    assert_int_equal(run_program_args(&r, NULL, tool, "show", path, NULL), 0);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "a decoder-only Transformer, pre-norm"));
    assert_non_null(strstr(r.out, "d_model 8, 2 heads of 4, d_ff 16"));
    assert_non_null(strstr(r.out, "positions: learned, up to 12 tokens"));
    assert_non_null(strstr(r.out, "vocabulary: 11 words: <pad> <unk> <bos> <eos> [CLS] [MASK] "
                                  "the cat sat on mat\n"));
    assert_non_null(strstr(r.out, "  training: not recorded in this file\n"));
    int count = al_transformer_param_list(&model, NULL, NULL, 0);
    al_matrix *values[64];
    char names[64][AL_NAME_SIZE];
    assert_true(count <= 64);
    al_transformer_param_list(&model, values, names, count);
    for (int k = 0; k < count; k++) {
        char line[AL_NAME_SIZE + 64], shape[32];  /* a name, a shape, a count */
        snprintf(shape, sizeof shape, "%d x %d", values[k]->rows, values[k]->cols);
        snprintf(line, sizeof line, "  %-32.*s %12s %12d\n", AL_NAME_SIZE - 1, names[k], shape,
                 values[k]->rows * values[k]->cols);
        if (!strstr(r.out, line))
            fail_msg("no line \"%s\" in:\n%s", line, r.out);
    }
    char total[160];
    snprintf(total, sizeof total, "  %-32s %12s %12lld\n", "total", "",
             al_transformer_param_total(&model));
    assert_non_null(strstr(r.out, total));
    run_result_free(&r);
    lesson_folder_remove(&folder);
    al_vocab_free(&vocab);
    al_transformer_free(&model);
}

static void shows_the_training_record(void **state)
{
    (void)state;
    al_model_config config = {
        .family = AL_FAMILY_ENCODER_ONLY, .norm = AL_NORM_POST, .d_model = 4, .heads = 1,
        .encoder_layers = 1, .d_ff = 8, .vocab_size = 11, .positions = AL_POSITIONS_SINUSOIDAL,
        .tied_output = true, .norm_epsilon = AL_LAYER_NORM_EPSILON};
    al_transformer model;
    assert_int_equal(al_transformer_alloc(&model, &config, NULL), AL_OK);
    al_vocab vocab;
    assert_int_equal(al_vocab_from_words(&vocab, WORDS, 11, NULL), AL_OK);
    lesson_folder folder;
    lesson_folder_make(&folder);
    char path[96];
    snprintf(path, sizeof path, "%s/r.safetensors", folder.path);
    const al_metadata_entry record[] = {
        {"training.program", "attnlab-train"},
        {"training.command", "attnlab-train --family encoder-only --corpus cat.txt "
                             "--min-count 1 --d-model 4 --heads 1 --layers 1 --d-ff 8 "
                             "--context 8 --seed 42"},
        {"training.task", "masked words"}, {"training.corpus", "cat.txt (21 bytes)"},
        {"training.steps", "30"}, {"training.loss", "1.25"},
        {"training.validation_loss", "1.5"}};
    assert_int_equal(al_transformer_save_with(&model, &vocab, path, record, 7, NULL), AL_OK);
    run_result r;
    assert_int_equal(run_program_args(&r, NULL, tool, "show", path, NULL), 0);
    assert_int_equal(r.exit_code, 0);
    char made[512];
    snprintf(made, sizeof made,
             "  training: 30 steps of masked words\n"
             "  corpus: cat.txt (21 bytes)\n"
             "  last loss 1.25 on its training batch, 1.5 on the held-out one\n"
             "  to make it again:\n"
             "    attnlab-train --family encoder-only --corpus cat.txt --min-count 1 \\\n"
             "      --d-model 4 --heads 1 --layers 1 --d-ff 8 --context 8 --seed 42 \\\n"
             "      -o %s\n", path);
    if (!strstr(r.out, made))
        fail_msg("expected\n%s\nin:\n%s", made, r.out);
    run_result_free(&r);
    lesson_folder_remove(&folder);
    al_vocab_free(&vocab);
    al_transformer_free(&model);
}

/* An RNN seq2seq file: its cells, attention and widths in words */
static void shows_an_rnn_seq2seq_file(void **state)
{
    (void)state;
    al_seq2seq_config config = {.cell = AL_RNN_GRU, .vocab_size = 11, .d_embed = 4,
                                .d_hidden = 6, .attention = true, .score = AL_SCORE_ADDITIVE,
                                .d_attention = 3};
    al_seq2seq model;
    assert_int_equal(al_seq2seq_alloc(&model, &config, NULL), AL_OK);
    al_vocab vocab;
    assert_int_equal(al_vocab_from_words(&vocab, WORDS, 11, NULL), AL_OK);
    lesson_folder folder;
    lesson_folder_make(&folder);
    char path[96];
    snprintf(path, sizeof path, "%s/s.safetensors", folder.path);
    assert_int_equal(al_seq2seq_file_write(path, &model, &vocab, NULL), AL_OK);
    run_result r;
    assert_int_equal(run_program_args(&r, NULL, tool, "show", path, NULL), 0);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "an RNN encoder-decoder (gru cells) with additive "
                                  "attention\n  d_embed 4, d_hidden 6, d_attention 3\n"));
    assert_non_null(strstr(r.out, "  training: not recorded in this file\n"));
    char line[160], total[160];
    snprintf(line, sizeof line, "  %-32s %12s %12d\n", "s2s.dec.w_x", "10 x 6", 60);
    assert_non_null(strstr(r.out, line));   /* (d_embed + d_hidden) x d_hidden */
    int count = al_seq2seq_param_list(&model, NULL, NULL, 0);
    al_matrix *values[32];
    assert_true(count <= 32);
    al_seq2seq_param_list(&model, values, NULL, count);
    long long sum = 0;
    for (int k = 0; k < count; k++)
        sum += (long long)values[k]->rows * values[k]->cols;
    snprintf(total, sizeof total, "  %-32s %12s %12lld\n", "total", "", sum);
    assert_non_null(strstr(r.out, total));
    run_result_free(&r);
    lesson_folder_remove(&folder);
    al_vocab_free(&vocab);
    al_seq2seq_free(&model);
}

/* text holds part, or the test fails showing text. */
static void expect_in(const char *text, const char *part)
{
    if (!strstr(text, part))
        fail_msg("no \"%s\" in:\n%s", part, text);
}

/* The number after label in text. */
static double number_after(const char *text, const char *label)
{
    const char *at = strstr(text, label);
    if (!at)
        fail_msg("no \"%s\" in:\n%s", label, text);
    return strtod(at + strlen(label), NULL);
}

/* A seeded decoder-only model over WORDS and a 40-word corpus of them:
 * evaluate holds out the last 4 words (0.1, no training record) and
 * predicts the last 3 from the first of them. */
static void evaluate_matches_a_count_by_hand(void **state)
{
    (void)state;
    al_model_config config = {
        .family = AL_FAMILY_DECODER_ONLY, .norm = AL_NORM_PRE, .d_model = 8, .heads = 2,
        .decoder_layers = 1, .d_ff = 16, .vocab_size = 11, .positions = AL_POSITIONS_LEARNED,
        .max_positions = 8, .biases = true, .tied_output = true,
        .norm_epsilon = AL_LAYER_NORM_EPSILON};
    al_transformer model;
    al_rng rng;
    al_rng_seed(&rng, 7, 0);
    assert_int_equal(al_transformer_alloc(&model, &config, NULL), AL_OK);
    al_transformer_init(&model, &rng);
    al_vocab vocab;
    assert_int_equal(al_vocab_from_words(&vocab, WORDS, 11, NULL), AL_OK);
    lesson_folder folder;
    lesson_folder_make(&folder);
    char path[96], corpus[96];
    snprintf(path, sizeof path, "%s/m.safetensors", folder.path);
    snprintf(corpus, sizeof corpus, "%s/corpus.txt", folder.path);
    assert_int_equal(al_transformer_save(&model, &vocab, path, NULL), AL_OK);
    int ids[40];
    FILE *f = fopen(corpus, "w");
    assert_non_null(f);
    for (int i = 0; i < 40; i++) {
        ids[i] = 6 + (i * i + i / 3) % 5;          /* the cat sat on mat, in a made-up order */
        fprintf(f, "%s%s", WORDS[ids[i]], i % 10 == 9 ? "\n" : " ");
    }
    fclose(f);

    /* by hand: counts over words 0 .. 35, predictions of words 37, 38, 39 */
    double unigram = 0, bigram_at[20] = {0}, model_loss = 0;
    long c[11] = {0}, pairs[11][11] = {{0}}, before[11] = {0};
    for (int i = 0; i < 36; i++) {
        c[ids[i]]++;
        if (i > 0)
            pairs[ids[i - 1]][ids[i]]++, before[ids[i - 1]]++;
    }
    al_sequence input = {.length = 3, .ids = ids + 36};
    al_transformer_workspace ws;
    assert_int_equal(al_transformer_workspace_alloc(&ws, &model, 8, NULL), AL_OK);
    assert_int_equal(al_transformer_forward(&ws, &model, &input, NULL, NULL, NULL, NULL), AL_OK);
    for (int i = 37; i < 40; i++) {
        double p_uni = (c[ids[i]] + 1.0) / (36.0 + 11);
        unigram -= log(p_uni);
        for (int k = 1; k <= 20; k++) {
            double lambda = k < 20 ? 0.05 * k : 0.99;
            double p = before[ids[i - 1]] ? lambda * pairs[ids[i - 1]][ids[i]] /
                                                (double)before[ids[i - 1]] +
                                                (1 - lambda) * p_uni
                                          : p_uni;
            bigram_at[k - 1] -= log(p);
        }
        double sum = 0;
        for (int j = 0; j < 11; j++)
            sum += exp(*al_at(&ws.logits, i - 37, j));
        model_loss -= *al_at(&ws.logits, i - 37, ids[i]) - log(sum);
    }
    double bigram = bigram_at[0];
    for (int k = 1; k < 20; k++)
        bigram = bigram_at[k] < bigram ? bigram_at[k] : bigram;

    run_result r;
    assert_int_equal(run_program_args(&r, NULL, tool, "evaluate", path, "--corpus", corpus,
                                      NULL), 0);
    assert_int_equal(r.exit_code, 0);
    expect_in(r.out, "the last 0.1 of its 40 words held out, 3 predictions");
    const double wanted[] = {model_loss / 3, unigram / 3, bigram / 3};
    const double got[] = {number_after(r.out, "this model"),
                          number_after(r.out, "unigram (add-one)"),
                          number_after(strstr(r.out, "bigram (with"), ")")};
    for (int k = 0; k < 3; k++) {
        /* printed with 4 decimals: within half of 1e-4, and a little for float logits */
        print_message("loss %d: printed %.9g, by hand %.9g\n", k, got[k], wanted[k]);
        assert_true(fabs(got[k] - wanted[k]) <= 5e-5 + 1e-6);
    }
    run_result_free(&r);

    /* heads: the same model with all attention weights 0 looks uniformly, and
     * ties go to the first key, so every head's strongest key from "sat" is
     * the line's first word */
    al_matrix *w_q = al_transformer_param(&model, "dec.0.self_attn.w_q");
    al_matrix *w_k = al_transformer_param(&model, "dec.0.self_attn.w_k");
    assert_non_null(w_q);
    assert_non_null(w_k);
    memset(w_q->data, 0, sizeof(float) * (size_t)w_q->rows * (size_t)w_q->cols);
    memset(w_k->data, 0, sizeof(float) * (size_t)w_k->rows * (size_t)w_k->cols);
    assert_int_equal(al_transformer_save(&model, &vocab, path, NULL), AL_OK);
    f = fopen(corpus, "w");
    assert_non_null(f);
    fprintf(f, "the cat sat on\nthe mat sat\non the mat\nmat sat on the cat\n");
    fclose(f);
    assert_int_equal(run_program_args(&r, NULL, tool, "heads", path, "--sentences", corpus,
                                      "--word", "sat", "--senses", "cat,mat", NULL), 0);
    assert_int_equal(r.exit_code, 0);
    expect_in(r.out, "\"sat\" in 3 of the 4 lines of ");
    expect_in(r.out, "  dec.0.self_attn.h0      the 66.7%  mat 33.3%\n");
    expect_in(r.out, "senses: 1 line with \"cat\", 1 with \"mat\", 1 with neither or both");
    /* the "mat" line's first word is "the", the "cat" line's too: never the sense word */
    expect_in(r.out, "best: dec.0.self_attn.h0, on the sense word in 0 of 2");
    run_result_free(&r);

    assert_int_equal(run_program_args(&r, NULL, tool, "heads", path, "--sentences", corpus,
                                      "--word", "dog", NULL), 0);
    assert_int_equal(r.exit_code, 2);
    expect_in(r.err, "\"dog\" is not in the vocabulary");
    run_result_free(&r);
    assert_int_equal(run_program_args(&r, NULL, tool, "show", path, "--word", "sat", NULL), 0);
    assert_int_equal(r.exit_code, 2);
    run_result_free(&r);
    assert_int_equal(run_program_args(&r, NULL, tool, "evaluate", path, NULL), 0);
    assert_int_equal(r.exit_code, 2);
    assert_string_equal(r.err, "attnlab-model: evaluate needs --corpus TEXT\n");
    run_result_free(&r);

    al_transformer_workspace_free(&ws);
    lesson_folder_remove(&folder);
    al_vocab_free(&vocab);
    al_transformer_free(&model);
}

static void bad_usage_and_missing_files(void **state)
{
    (void)state;
    run_result r;
    assert_int_equal(run_program_args(&r, NULL, tool, NULL), 0);
    assert_int_equal(r.exit_code, 2);
    assert_string_equal(r.err, "attnlab-model: give 'show FILE', 'heads FILE ...' or "
                               "'evaluate FILE ...' (see --help)\n");
    run_result_free(&r);
    assert_int_equal(run_program_args(&r, NULL, tool, "show", "/nonexistent/m.safetensors",
                                      NULL), 0);
    assert_int_equal(r.exit_code, 1);
    assert_string_equal(r.out, "");
    assert_non_null(strstr(r.err, "attnlab-model: "));
    assert_non_null(strstr(r.err, "/nonexistent/m.safetensors"));
    assert_ptr_equal(strchr(r.err, '\n'), r.err + strlen(r.err) - 1);  /* one line */
    run_result_free(&r);
    assert_int_equal(run_program_args(&r, NULL, tool, "--help", NULL), 0);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "usage: attnlab-model show FILE"));
    run_result_free(&r);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_attnlab_model PATH-TO-attnlab-model\n");
        return 2;
    }
    tool = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shows_every_tensor_and_the_total),
        cmocka_unit_test(shows_the_training_record),
        cmocka_unit_test(shows_an_rnn_seq2seq_file),
        cmocka_unit_test(evaluate_matches_a_count_by_hand),
        cmocka_unit_test(bad_usage_and_missing_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
