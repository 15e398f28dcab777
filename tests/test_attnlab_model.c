/* test_attnlab_model.c: `attnlab-model show` on a model file this test
 * writes: the configuration in words, the vocabulary, one line per tensor
 * (every name the library lists, with its shape) and a total equal to the
 * library's own count; a file without a training record says so, one with
 * it shows the task, corpus, losses and the command that makes it again;
 * bad usage exits 2, a missing file 1, each with one line on stderr. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
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
        char line[160], shape[32];
        snprintf(shape, sizeof shape, "%d x %d", values[k]->rows, values[k]->cols);
        snprintf(line, sizeof line, "  %-32s %12s %12d\n", names[k], shape,
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

static void bad_usage_and_missing_files(void **state)
{
    (void)state;
    run_result r;
    assert_int_equal(run_program_args(&r, NULL, tool, NULL), 0);
    assert_int_equal(r.exit_code, 2);
    assert_string_equal(r.err, "attnlab-model: give 'show FILE' (see --help)\n");
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
        cmocka_unit_test(bad_usage_and_missing_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
