/* test_seq2seq_file.c: RNN seq2seq model files (seq2seq_file.h). Round
 * trips (every tensor bit for bit, the configuration and the words the
 * same) for Elman with general attention, Cho's GRU with additive
 * attention and PyTorch's GRU without attention; the refusals, each with
 * its whole message and nothing left allocated: a missing tensor, a wrong
 * shape, an extra tensor, a missing metadata entry, a Transformer's file
 * given to the seq2seq reader and a seq2seq file given to the
 * Transformer's (al_model_file_read); al_model_file_family telling the two
 * apart from the header; the writer refusing a vocabulary of the wrong
 * size without leaving a file. The teardown's rmdir fails if anything
 * else was left in the scratch folder (a temporary file of the writer). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "attnlab/model_file.h"
#include "attnlab/rng.h"
#include "attnlab/seq2seq_file.h"

/* V = 6 specials + 6 words, d_e, d_h, d_a */
enum { V = 12, D_E = 4, D_H = 6, D_A = 3, MAX_TENSORS = 32 };

typedef struct fixture {
    al_vocab vocab;
    al_seq2seq model;
    char folder[64];
    char path[128];
} fixture;

static int make_fixture(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(al_vocab_init(&f->vocab, NULL), AL_OK);
    assert_int_equal(al_vocab_add_text(&f->vocab, "the cat walks le chat marche", NULL), AL_OK);
    assert_int_equal(f->vocab.size, V);
    snprintf(f->folder, sizeof f->folder, "/tmp/attnlab-s2s-file-XXXXXX");
    assert_non_null(mkdtemp(f->folder));
    snprintf(f->path, sizeof f->path, "%s/s2s.safetensors", f->folder);
    *state = f;
    return 0;
}

static int free_fixture(void **state)
{
    fixture *f = *state;
    al_seq2seq_free(&f->model);
    al_vocab_free(&f->vocab);
    remove(f->path);
    int removed = rmdir(f->folder);
    free(f);
    return removed;
}

/* f->model: the configuration, seeded random weights (biases too, so that
 * none of them is the zeros a reader might leave). */
static void make_model(fixture *f, al_rnn_kind cell, bool attention, al_score_kind score)
{
    al_seq2seq_config config = {.cell = cell, .vocab_size = V, .d_embed = D_E,
                                .d_hidden = D_H, .attention = attention, .score = score,
                                .d_attention = attention && score == AL_SCORE_ADDITIVE ? D_A
                                                                                       : 0};
    assert_int_equal(al_seq2seq_alloc(&f->model, &config, NULL), AL_OK);
    al_rng rng;
    al_rng_seed(&rng, 11, 0);
    al_matrix *values[MAX_TENSORS];
    int count = al_seq2seq_param_list(&f->model, values, NULL, MAX_TENSORS);
    for (int k = 0; k < count; k++)
        al_rng_fill_normal(values[k], &rng, 0.0f, 1.0f);
}

static void write_model(fixture *f)
{
    al_error err = {0};
    if (al_seq2seq_file_write(f->path, &f->model, &f->vocab, &err) != AL_OK)
        fail_msg("writing: %s", err.message);
}

/* --- round trips -------------------------------------------------------------------- */

static void expect_same_model(const al_seq2seq *written, const al_vocab *written_vocab,
                              al_seq2seq *read, const al_vocab *read_vocab)
{
    const al_seq2seq_config *w = &written->config, *r = &read->config;
    assert_int_equal(r->cell, w->cell);
    assert_int_equal(r->attention, w->attention);
    if (w->attention)
        assert_int_equal(r->score, w->score);
    assert_int_equal(r->d_embed, w->d_embed);
    assert_int_equal(r->d_hidden, w->d_hidden);
    assert_int_equal(r->d_attention, w->d_attention);
    assert_int_equal(r->vocab_size, w->vocab_size);
    assert_int_equal(read_vocab->size, written_vocab->size);
    for (int id = 0; id < written_vocab->size; id++)
        assert_string_equal(read_vocab->words[id], written_vocab->words[id]);
    al_matrix *a[MAX_TENSORS], *b[MAX_TENSORS];
    char a_names[MAX_TENSORS][AL_NAME_SIZE], b_names[MAX_TENSORS][AL_NAME_SIZE];
    int count = al_seq2seq_param_list((al_seq2seq *)written, a, a_names, MAX_TENSORS);
    assert_int_equal(al_seq2seq_param_list(read, b, b_names, MAX_TENSORS), count);
    for (int k = 0; k < count; k++) {
        assert_string_equal(b_names[k], a_names[k]);
        assert_int_equal(b[k]->rows, a[k]->rows);
        assert_int_equal(b[k]->cols, a[k]->cols);
        for (int i = 0; i < a[k]->rows; i++)
            assert_memory_equal(al_at(b[k], i, 0), al_at(a[k], i, 0),
                                (size_t)a[k]->cols * sizeof(float));
    }
}

static void round_trip(fixture *f, al_rnn_kind cell, bool attention, al_score_kind score,
                       int expected_tensors)
{
    make_model(f, cell, attention, score);
    assert_int_equal(al_seq2seq_param_list(&f->model, NULL, NULL, 0), expected_tensors);
    write_model(f);
    al_seq2seq read;
    al_vocab vocab;
    al_error err = {0};
    if (al_seq2seq_file_read(&read, &vocab, f->path, &err) != AL_OK)
        fail_msg("reading: %s", err.message);
    expect_same_model(&f->model, &f->vocab, &read, &vocab);
    bool is_seq2seq = false;
    assert_int_equal(al_model_file_family(f->path, &is_seq2seq, NULL), AL_OK);
    assert_true(is_seq2seq);
    al_seq2seq_free(&read);
    al_vocab_free(&vocab);
}

/* tables 2 + Elman 3 + 3 + w_a 1 + output 2 */
static void elman_with_general_attention(void **state)
{
    round_trip(*state, AL_RNN_ELMAN, true, AL_SCORE_GENERAL, 11);
}

/* tables 2 + GRU 9 + 9 + w_q w_k v_a 3 + output 2 */
static void gru_with_additive_attention(void **state)
{
    round_trip(*state, AL_RNN_GRU, true, AL_SCORE_ADDITIVE, 25);
}

/* tables 2 + PyTorch's GRU 10 + 10 + output 2 */
static void gru_pytorch_without_attention(void **state)
{
    round_trip(*state, AL_RNN_GRU_PYTORCH, false, AL_SCORE_DOT, 24);
}

/* --- refusals ----------------------------------------------------------------------- */

/* Rewrite f->path as a plain safetensors file: f->model's tensors with
 * drop left out, replacement put in place of its namesake (if not NULL),
 * extra added (if not NULL); the metadata of a correct file with key set
 * to value, or left out when value is NULL. */
static void rewrite(fixture *f, const char *drop, const al_named_tensor *replacement,
                    const al_named_tensor *extra, const char *key, const char *value)
{
    write_model(f);
    al_safetensors good;
    assert_int_equal(al_safetensors_read(&good, f->path, NULL), AL_OK);
    al_metadata_entry metadata[32];
    int n_metadata = 0;
    for (int e = 0; e < good.metadata_count; e++) {
        metadata[n_metadata] = good.metadata[e];
        if (key && strcmp(good.metadata[e].key, key) == 0) {
            if (!value)
                continue;
            metadata[n_metadata].value = value;
        }
        n_metadata++;
    }
    al_named_tensor tensors[MAX_TENSORS + 1];
    int n = 0;
    for (int k = 0; k < good.count; k++) {
        if (drop && strcmp(good.tensors[k].name, drop) == 0)
            continue;
        bool replaced = replacement && strcmp(good.tensors[k].name, replacement->name) == 0;
        tensors[n++] = replaced ? *replacement : good.tensors[k];
    }
    if (extra)
        tensors[n++] = *extra;
    assert_int_equal(al_safetensors_write(f->path, tensors, n, metadata, n_metadata, NULL),
                     AL_OK);
    al_safetensors_free(&good);
}

/* Read f->path as a seq2seq model and expect status with exactly message
 * (which begins with the path), and nothing left allocated. */
static void expect_refused(const char *path, al_status status, const char *message)
{
    al_seq2seq model;
    al_vocab vocab;
    al_error err = {0};
    assert_int_equal(al_seq2seq_file_read(&model, &vocab, path, &err), status);
    assert_string_equal(err.message, message);
    assert_null(model.output.w.data);
    assert_null(model.source_embed.table.data);
    assert_int_equal(vocab.size, 0);
    assert_null(vocab.words);
}

static void expect_refused_with_path(fixture *f, al_status status, const char *message)
{
    char full[AL_ERROR_MESSAGE_SIZE];
    snprintf(full, sizeof full, "%s: %s", f->path, message);
    expect_refused(f->path, status, full);
}

static void missing_tensor_is_refused(void **state)
{
    fixture *f = *state;
    make_model(f, AL_RNN_GRU, true, AL_SCORE_GENERAL);
    rewrite(f, "s2s.dec.b_z", NULL, NULL, NULL, NULL);
    expect_refused_with_path(f, AL_ERR_FORMAT,
                             "tensor 's2s.dec.b_z' (1 x d_hidden = 1 x 6) is missing");
}

static void wrong_shape_is_refused(void **state)
{
    fixture *f = *state;
    make_model(f, AL_RNN_GRU, true, AL_SCORE_GENERAL);
    float data[4 * D_H] = {0};
    al_named_tensor narrow = {"s2s.dec.w_h", al_matrix_wrap(data, 4, D_H)};
    rewrite(f, NULL, &narrow, NULL, NULL, NULL);
    expect_refused_with_path(f, AL_ERR_SHAPE, "tensor 's2s.dec.w_h' is 4 x 6 but the model "
                                              "needs d_hidden x d_hidden = 6 x 6");
    float wide[(D_E + D_H) * 5] = {0};
    al_named_tensor input = {"s2s.dec.w_xr", al_matrix_wrap(wide, D_E + D_H, 5)};
    rewrite(f, NULL, &input, NULL, NULL, NULL);
    expect_refused_with_path(f, AL_ERR_SHAPE, "tensor 's2s.dec.w_xr' is 10 x 5 but the model "
                                              "needs (d_embed + d_hidden) x d_hidden = 10 x 6");
}

static void extra_tensor_is_refused(void **state)
{
    fixture *f = *state;
    make_model(f, AL_RNN_GRU, true, AL_SCORE_GENERAL);
    float one = 1.0f;
    /* additive attention's w_q, in a model with general attention */
    al_named_tensor extra = {"s2s.attn.w_q", al_matrix_wrap(&one, 1, 1)};
    rewrite(f, NULL, NULL, &extra, NULL, NULL);
    expect_refused_with_path(f, AL_ERR_FORMAT, "tensor 's2s.attn.w_q' is not part of this RNN "
                                               "seq2seq model (gru, general attention)");
}

static void missing_or_malformed_metadata_is_refused(void **state)
{
    fixture *f = *state;
    make_model(f, AL_RNN_ELMAN, true, AL_SCORE_ADDITIVE);
    rewrite(f, NULL, NULL, NULL, "d_hidden", NULL);
    expect_refused_with_path(f, AL_ERR_FORMAT, "the metadata has no 'd_hidden'");
    rewrite(f, NULL, NULL, NULL, "d_attention", NULL);
    expect_refused_with_path(f, AL_ERR_FORMAT, "the metadata has no 'd_attention'");
    rewrite(f, NULL, NULL, NULL, "cell", "lstm");
    expect_refused_with_path(f, AL_ERR_FORMAT, "metadata 'cell' is 'lstm', not elman, gru or "
                                               "gru_pytorch");
    rewrite(f, NULL, NULL, NULL, "d_attention", "0");
    expect_refused_with_path(f, AL_ERR_FORMAT, "the configuration in the metadata is "
                             "inconsistent: seq2seq: additive attention needs d_attention "
                             "between 1 and 100000, not 0");
}

/* The same file with family "decoder-only" is a Transformer's to the
 * seq2seq reader; al_model_file_family says so from the header. */
static void transformer_file_is_refused(void **state)
{
    fixture *f = *state;
    make_model(f, AL_RNN_GRU, false, AL_SCORE_DOT);
    rewrite(f, NULL, NULL, NULL, "family", "decoder-only");
    char message[AL_ERROR_MESSAGE_SIZE];
    snprintf(message, sizeof message, "%s holds a Transformer model (family decoder-only), "
             "not an RNN seq2seq model", f->path);
    expect_refused(f->path, AL_ERR_FORMAT, message);
    bool is_seq2seq = true;
    assert_int_equal(al_model_file_family(f->path, &is_seq2seq, NULL), AL_OK);
    assert_false(is_seq2seq);
}

static void seq2seq_file_is_refused_by_the_transformer_reader(void **state)
{
    fixture *f = *state;
    make_model(f, AL_RNN_ELMAN, true, AL_SCORE_DOT);
    write_model(f);
    al_model_file file;
    al_error err = {0};
    assert_int_equal(al_model_file_read(&file, f->path, NULL, &err), AL_ERR_FORMAT);
    char message[AL_ERROR_MESSAGE_SIZE];
    snprintf(message, sizeof message, "%s holds an RNN seq2seq model (family rnn-seq2seq), "
             "not a Transformer", f->path);
    assert_string_equal(err.message, message);
    assert_null(file.contents.tensors);
}

static void unknown_family_is_refused_by_the_family_check(void **state)
{
    fixture *f = *state;
    make_model(f, AL_RNN_ELMAN, false, AL_SCORE_DOT);
    rewrite(f, NULL, NULL, NULL, "family", "lstm-seq2seq");
    bool is_seq2seq = true;
    al_error err = {0};
    assert_int_equal(al_model_file_family(f->path, &is_seq2seq, &err), AL_ERR_FORMAT);
    assert_false(is_seq2seq);
    assert_non_null(strstr(err.message, "unknown family 'lstm-seq2seq'"));
    char message[AL_ERROR_MESSAGE_SIZE];
    snprintf(message, sizeof message, "%s: metadata 'family' is 'lstm-seq2seq', not "
             "rnn-seq2seq", f->path);
    expect_refused(f->path, AL_ERR_FORMAT, message);
}

/* A vocabulary of 11 words for a model of V = 12: refused, no file made. */
static void writer_refuses_a_vocabulary_of_another_size(void **state)
{
    fixture *f = *state;
    make_model(f, AL_RNN_GRU, true, AL_SCORE_SCALED_DOT);
    al_vocab small;
    assert_int_equal(al_vocab_init(&small, NULL), AL_OK);
    assert_int_equal(al_vocab_add_text(&small, "the cat walks le chat", NULL), AL_OK);
    al_error err = {0};
    assert_int_equal(al_seq2seq_file_write(f->path, &f->model, &small, &err), AL_ERR_VALUE);
    char message[AL_ERROR_MESSAGE_SIZE];
    snprintf(message, sizeof message, "%s: the vocabulary has 11 words but the model's "
             "vocab_size is 12", f->path);
    assert_string_equal(err.message, message);
    assert_int_equal(access(f->path, F_OK), -1);
    al_vocab_free(&small);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, make_fixture, free_fixture)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(elman_with_general_attention),
        TEST(gru_with_additive_attention),
        TEST(gru_pytorch_without_attention),
        TEST(missing_tensor_is_refused),
        TEST(wrong_shape_is_refused),
        TEST(extra_tensor_is_refused),
        TEST(missing_or_malformed_metadata_is_refused),
        TEST(transformer_file_is_refused),
        TEST(seq2seq_file_is_refused_by_the_transformer_reader),
        TEST(unknown_family_is_refused_by_the_family_check),
        TEST(writer_refuses_a_vocabulary_of_another_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
