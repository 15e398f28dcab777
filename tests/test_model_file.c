/* test_model_file.c: attnlab model files: a tiny encoder-decoder saved and
 * loaded bit for bit with its configuration and vocabulary; the metadata a
 * Python user sees; and the refusals: a configuration other than the one
 * expected, a tensor whose shape disagrees with the configuration, missing
 * and extra tensors, metadata that is absent, malformed or inconsistent. */
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
#include "attnlab/model_layout.h"
#include "attnlab/rng.h"

/* The tiny model every test uses, with its tensors and a scratch folder. */
typedef struct fixture {
    al_model_config config;
    al_vocab vocab;
    al_param_spec specs[64];
    al_named_tensor tensors[64];
    int count;
    char folder[64];
    char path[128];
} fixture;

/* Encoder-decoder, d_model 4, 2 heads, 1 + 1 layers, d_ff 8, biases, an
 * untied output; vocabulary: the 6 specials and "the cat walks by bank ."
 * (V = 12). Tensors from N(0, 1) with seed 5. */
static int make_fixture(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->config = (al_model_config){.family = AL_FAMILY_ENCODER_DECODER, .norm = AL_NORM_POST,
                                  .d_model = 4, .heads = 2, .encoder_layers = 1,
                                  .decoder_layers = 1, .d_ff = 8, .vocab_size = 12,
                                  .positions = AL_POSITIONS_SINUSOIDAL, .max_positions = 64,
                                  .biases = true, .output_bias = true, .norm_epsilon = 1e-5f};
    assert_int_equal(al_vocab_init(&f->vocab, NULL), AL_OK);
    assert_int_equal(al_vocab_add_text(&f->vocab, "the cat walks by the bank .", NULL), AL_OK);
    assert_int_equal(al_model_layout(f->specs, 64, &f->count, &f->config, NULL), AL_OK);
    al_rng rng;
    al_rng_seed(&rng, 5, 0);
    for (int k = 0; k < f->count; k++) {
        f->tensors[k].name = f->specs[k].name;
        assert_int_equal(
            al_matrix_alloc(&f->tensors[k].value, f->specs[k].rows, f->specs[k].cols, NULL),
            AL_OK);
        al_rng_fill_normal(&f->tensors[k].value, &rng, 0.0f, 1.0f);
    }
    snprintf(f->folder, sizeof f->folder, "/tmp/attnlab-model-XXXXXX");
    assert_non_null(mkdtemp(f->folder));
    snprintf(f->path, sizeof f->path, "%s/tiny.safetensors", f->folder);
    *state = f;
    return 0;
}

/* rmdir fails if anything but the model file was left behind. */
static int free_fixture(void **state)
{
    fixture *f = *state;
    for (int k = 0; k < f->count; k++)
        al_matrix_free(&f->tensors[k].value);
    al_vocab_free(&f->vocab);
    remove(f->path);
    int removed = rmdir(f->folder);
    free(f);
    return removed;
}

static void write_fixture(fixture *f)
{
    assert_int_equal(al_model_file_write(f->path, &f->config, &f->vocab, f->tensors, f->count,
                                         NULL),
                     AL_OK);
}

/* Read f->path as a model and expect failure with exactly "<path>: message". */
static void assert_refused(fixture *f, const al_model_config *expected, al_status status,
                           const char *message)
{
    al_model_file model;
    al_error err = {0};
    char full[AL_ERROR_MESSAGE_SIZE];
    snprintf(full, sizeof full, "%s: %s", f->path, message);
    assert_int_equal(al_model_file_read(&model, f->path, expected, &err), status);
    assert_string_equal(err.message, full);
    assert_null(model.contents.tensors);
}

/* --- round trip ----------------------------------------------------------------------- */

/* Given in reverse order, written in the layout's order; read back, every
 * tensor has the same bits, and the configuration and words are the same. */
static void save_then_load_gives_the_same_model(void **state)
{
    fixture *f = *state;
    al_named_tensor reversed[64];
    for (int k = 0; k < f->count; k++)
        reversed[k] = f->tensors[f->count - 1 - k];
    assert_int_equal(al_model_file_write(f->path, &f->config, &f->vocab, reversed, f->count,
                                         NULL),
                     AL_OK);
    al_model_file model;
    assert_int_equal(al_model_file_read(&model, f->path, &f->config, NULL), AL_OK);

    const al_model_config *c = &model.config;
    assert_int_equal(c->family, AL_FAMILY_ENCODER_DECODER);
    assert_int_equal(c->d_model, 4);
    assert_int_equal(c->d_ff, 8);
    assert_int_equal(c->max_positions, 64);
    assert_true(c->biases && c->output_bias && !c->tied_output);
    assert_true(c->norm_epsilon == 1e-5f);
    assert_int_equal(model.vocab.size, 12);
    for (int id = 0; id < 12; id++)
        assert_string_equal(model.vocab.words[id], f->vocab.words[id]);

    assert_int_equal(model.contents.count, f->count);
    for (int k = 0; k < f->count; k++) {
        assert_string_equal(model.contents.tensors[k].name, f->specs[k].name);
        const al_matrix *m = al_model_file_tensor(&model, f->specs[k].name);
        const al_matrix *original = &f->tensors[k].value;
        assert_memory_equal(m->data, original->data,
                            (size_t)original->rows * original->cols * sizeof(float));
    }
    al_model_file_free(&model);
}

/* What a Python user sees in __metadata__: strings, the vocabulary as a
 * JSON list. */
static void metadata_holds_configuration_and_vocabulary(void **state)
{
    fixture *f = *state;
    write_fixture(f);
    al_safetensors file;
    assert_int_equal(al_safetensors_read(&file, f->path, NULL), AL_OK);
    const char *expected[][2] = {
        {"format", "attnlab-model"}, {"format_version", "1"}, {"family", "encoder-decoder"},
        {"norm", "post"}, {"d_model", "4"}, {"heads", "2"}, {"encoder_layers", "1"},
        {"decoder_layers", "1"}, {"d_ff", "8"}, {"vocab_size", "12"},
        {"positions", "sinusoidal"}, {"tied_output", "false"}, {"norm_epsilon", "1e-05"},
        {"vocab", "[\"<pad>\", \"<unk>\", \"<bos>\", \"<eos>\", \"[CLS]\", \"[MASK]\", "
                  "\"the\", \"cat\", \"walks\", \"by\", \"bank\", \".\"]"}};
    for (size_t k = 0; k < sizeof expected / sizeof expected[0]; k++)
        assert_string_equal(al_safetensors_metadata(&file, expected[k][0]), expected[k][1]);
    assert_int_equal(file.metadata_count, 20);
    al_safetensors_free(&file);
}

/* --- refusals --------------------------------------------------------------------------- */

static void another_configuration_than_expected_is_refused(void **state)
{
    fixture *f = *state;
    write_fixture(f);
    al_model_config expected = f->config;
    expected.d_ff = 16;
    assert_refused(f, &expected, AL_ERR_VALUE, "the file's d_ff is 8 but 16 was expected");
    expected = f->config;
    expected.family = AL_FAMILY_DECODER_ONLY;
    expected.encoder_layers = 0;
    assert_refused(f, &expected, AL_ERR_VALUE,
                   "the file's family is encoder-decoder but decoder-only was expected");
    expected = f->config;
    expected.tied_output = true;
    assert_refused(f, &expected, AL_ERR_VALUE,
                   "the file's tied_output is false but true was expected");
}

/* Rewrite f->path as a plain safetensors file: the fixture's tensors with
 * one replaced (replace_name → replacement, or dropped when replacement is
 * NULL), one added (extra, if not NULL), and the metadata of a correct
 * model file with one entry changed (key → value, if key is not NULL). */
static void rewrite(fixture *f, const char *replace_name, const al_matrix *replacement,
                    const al_named_tensor *extra, const char *key, const char *value)
{
    write_fixture(f);
    al_safetensors good;
    assert_int_equal(al_safetensors_read(&good, f->path, NULL), AL_OK);
    al_metadata_entry metadata[32];
    for (int e = 0; e < good.metadata_count; e++) {
        metadata[e] = good.metadata[e];
        if (key && strcmp(metadata[e].key, key) == 0)
            metadata[e].value = value;
    }
    al_named_tensor tensors[65];
    int n = 0;
    for (int k = 0; k < f->count; k++) {
        if (replace_name && strcmp(f->tensors[k].name, replace_name) == 0) {
            if (replacement)
                tensors[n++] = (al_named_tensor){f->tensors[k].name, *replacement};
        } else {
            tensors[n++] = f->tensors[k];
        }
    }
    if (extra)
        tensors[n++] = *extra;
    assert_int_equal(al_safetensors_write(f->path, tensors, n, metadata, good.metadata_count,
                                          NULL),
                     AL_OK);
    al_safetensors_free(&good);
}

/* W1 must be d_model x d_ff = 4 x 8; a 4 x 6 one is refused. */
static void shape_that_disagrees_with_the_configuration_is_refused(void **state)
{
    fixture *f = *state;
    float six[4 * 6] = {0};
    al_matrix narrow = al_matrix_wrap(six, 4, 6);
    rewrite(f, "enc.0.ffn.w1", &narrow, NULL, NULL, NULL);
    assert_refused(f, NULL, AL_ERR_SHAPE, "tensor 'enc.0.ffn.w1' is 4 x 6 but the "
                                          "configuration needs d_model x d_ff = 4 x 8");
}

static void missing_and_extra_tensors_are_refused(void **state)
{
    fixture *f = *state;
    rewrite(f, "logits.b", NULL, NULL, NULL, NULL);
    assert_refused(f, NULL, AL_ERR_FORMAT,
                   "tensor 'logits.b' (1 x vocab_size = 1 x 12) is missing");
    float one = 1.0f;
    al_named_tensor extra = {"enc.0.attn.w_z", al_matrix_wrap(&one, 1, 1)};
    rewrite(f, NULL, NULL, &extra, NULL, NULL);
    assert_refused(f, NULL, AL_ERR_FORMAT,
                   "tensor 'enc.0.attn.w_z' is not part of this encoder-decoder configuration");
}

static void malformed_metadata_is_refused(void **state)
{
    fixture *f = *state;
    rewrite(f, NULL, NULL, NULL, "d_model", "four");
    assert_refused(f, NULL, AL_ERR_FORMAT, "metadata 'd_model' is 'four', not a whole number");
    rewrite(f, NULL, NULL, NULL, "heads", "3");
    assert_refused(f, NULL, AL_ERR_FORMAT, "the configuration in the metadata is inconsistent: "
                                           "d_model 4 is not a multiple of heads 3");
    rewrite(f, NULL, NULL, NULL, "family", "encoder-ish");
    assert_refused(f, NULL, AL_ERR_FORMAT, "metadata unknown family 'encoder-ish' "
                                           "(encoder-decoder, encoder-only or decoder-only)");
    rewrite(f, NULL, NULL, NULL, "vocab", "[\"<pad>\"]");
    assert_refused(f, NULL, AL_ERR_FORMAT,
                   "metadata 'vocab' must be a JSON list of vocab_size = 12 strings");
    rewrite(f, NULL, NULL, NULL, "format", "something-else");
    assert_refused(f, NULL, AL_ERR_FORMAT, "not an attnlab model file (its metadata has no "
                                           "format \"attnlab-model\")");
}

/* A small file that declares a million encoder layers is refused by
 * counting the tensors the configuration needs against the tensors there
 * are, before any list of a million layers' names is built (which took
 * 5 GB and 28 s). */
static void a_million_declared_layers_are_refused_before_listing_them(void **state)
{
    fixture *f = *state;
    rewrite(f, NULL, NULL, NULL, "encoder_layers", "1000000");
    al_model_config claimed = f->config;
    claimed.encoder_layers = 1000000;
    int needed;
    assert_int_equal(al_model_layout(NULL, 0, &needed, &claimed, NULL), AL_OK);
    char message[256];
    snprintf(message, sizeof message, "the configuration (1000000 encoder and 1 decoder layers) "
             "needs %d tensors, and there are %d", needed, f->count);
    assert_refused(f, NULL, AL_ERR_FORMAT, message);
}

/* The writer checks the same things before writing anything. */
static void writer_refuses_wrong_shapes_and_vocabulary_size(void **state)
{
    fixture *f = *state;
    al_error err = {0};
    al_matrix saved = f->tensors[0].value;
    f->tensors[0].value = al_matrix_rows(&saved, 0, 11);
    assert_int_equal(al_model_file_write(f->path, &f->config, &f->vocab, f->tensors, f->count,
                                         &err),
                     AL_ERR_SHAPE);
    assert_string_equal(err.message, "model file: tensor 'embed.table' is 11 x 4 but the "
                                     "configuration needs vocab_size x d_model = 12 x 4");
    f->tensors[0].value = saved;
    al_model_config bigger = f->config;
    bigger.vocab_size = 13;
    assert_int_equal(al_model_file_write(f->path, &bigger, &f->vocab, f->tensors, f->count,
                                         &err),
                     AL_ERR_VALUE);
    assert_string_equal(err.message, "model file: the vocabulary has 12 words but the "
                                     "configuration's vocab_size is 13");
    assert_int_equal(access(f->path, F_OK), -1);
}

/* A training record rides along in the metadata, read back by key; the
 * configuration is read as without it. Keys must say training.NAME, once. */
static void a_training_record_is_kept_and_checked(void **state)
{
    fixture *f = *state;
    const al_metadata_entry record[] = {{"training.command", "attnlab-train --steps 3"},
                                        {"training.steps", "3"}};
    assert_int_equal(al_model_file_write_with(f->path, &f->config, &f->vocab, f->tensors,
                                              f->count, record, 2, NULL),
                     AL_OK);
    al_model_file model;
    assert_int_equal(al_model_file_read(&model, f->path, &f->config, NULL), AL_OK);
    assert_string_equal(al_model_file_metadata(&model, "training.command"),
                        "attnlab-train --steps 3");
    assert_string_equal(al_model_file_metadata(&model, "training.steps"), "3");
    assert_null(al_model_file_metadata(&model, "training.loss"));
    assert_string_equal(al_model_file_metadata(&model, "family"), "encoder-decoder");
    assert_int_equal(model.contents.metadata_count, 22);
    al_model_file_free(&model);
    remove(f->path);

    al_error err = {0};
    const al_metadata_entry unprefixed[] = {{"steps", "3"}};
    assert_int_equal(al_model_file_write_with(f->path, &f->config, &f->vocab, f->tensors,
                                              f->count, unprefixed, 1, &err),
                     AL_ERR_VALUE);
    assert_string_equal(err.message, "model file: a training record's key must be "
                                     "training.NAME with a value, not 'steps'");
    const al_metadata_entry twice[] = {{"training.steps", "3"}, {"training.steps", "4"}};
    assert_int_equal(al_model_file_write_with(f->path, &f->config, &f->vocab, f->tensors,
                                              f->count, twice, 2, &err),
                     AL_ERR_VALUE);
    assert_string_equal(err.message, "model file: the training record has 'training.steps' "
                                     "twice");
    assert_int_equal(access(f->path, F_OK), -1);
}

int main(void)
{
#define TEST(name) cmocka_unit_test_setup_teardown(name, make_fixture, free_fixture)
    const struct CMUnitTest tests[] = {
        TEST(save_then_load_gives_the_same_model),
        TEST(metadata_holds_configuration_and_vocabulary),
        TEST(another_configuration_than_expected_is_refused),
        TEST(shape_that_disagrees_with_the_configuration_is_refused),
        TEST(missing_and_extra_tensors_are_refused),
        TEST(malformed_metadata_is_refused),
        TEST(a_million_declared_layers_are_refused_before_listing_them),
        TEST(writer_refuses_wrong_shapes_and_vocabulary_size),
        TEST(a_training_record_is_kept_and_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
