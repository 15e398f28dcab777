/* test_transformer_tables.c: a Transformer's weights from text tables
 * (transformer_tables.h): tables are copied in by layout name, parameters
 * without a file keep their start value, and wrong shapes, wrong word
 * labels and a vocabulary of another size are refused with the file named.
 * The model: decoder-only, d_model 2, 1 head, 1 layer, d_ff 2, V = 7
 * (the six special tokens and "cat"), no biases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "attnlab/transformer_tables.h"
#include "check.h"

typedef struct fixture {
    char folder[64];
    al_vocab vocab;
    al_transformer model;
} fixture;

static void write_file(const fixture *f, const char *name, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", f->folder, name);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fputs(text, file);
    fclose(file);
}

static void remove_file(const fixture *f, const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", f->folder, name);
    remove(path);
}

/* Every parameter but embed.table and dec.0.ffn.w1, which the tests give
 * as tables, keeps its start value. */
static const char DEFAULTS[] = "# kept at their start\n"
                               "dec.0.self_attn.w_q\ndec.0.self_attn.w_k\n"
                               "dec.0.self_attn.w_v   # with a comment\n"
                               "dec.0.self_attn.w_o\n\n"
                               "dec.0.norm1.gamma\ndec.0.norm1.beta\ndec.0.ffn.w2\n"
                               "dec.0.norm2.gamma\ndec.0.norm2.beta\nlogits.w\n";

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->folder, sizeof f->folder, "/tmp/attnlab-tables-XXXXXX");
    assert_non_null(mkdtemp(f->folder));
    assert_int_equal(al_vocab_init(&f->vocab, NULL), AL_OK);
    int id;
    assert_int_equal(al_vocab_add(&f->vocab, "cat", &id, NULL), AL_OK);
    al_model_config c = {.family = AL_FAMILY_DECODER_ONLY, .norm = AL_NORM_POST, .d_model = 2,
                         .heads = 1, .decoder_layers = 1, .d_ff = 2, .vocab_size = 7,
                         .positions = AL_POSITIONS_SINUSOIDAL, .norm_epsilon = 1e-5f};
    assert_int_equal(al_transformer_alloc(&f->model, &c, NULL), AL_OK);
    *state = f;
    write_file(f, "defaults.txt", DEFAULTS);
    return 0;
}

static const char *const TABLE_FILES[] = {"embed.table.txt", "dec.0.ffn.w1.txt", "logits.w.txt",
                                          "defaults.txt"};

static int teardown(void **state)
{
    fixture *f = *state;
    for (size_t i = 0; i < sizeof TABLE_FILES / sizeof TABLE_FILES[0]; i++)
        remove_file(f, TABLE_FILES[i]);
    rmdir(f->folder);
    al_transformer_free(&f->model);
    al_vocab_free(&f->vocab);
    free(f);
    return 0;
}

static const char EMBED[] = "# word vectors\n"
                            "columns: a b\n"
                            "<pad> 0 0\n<unk> 0 0\n<bos> 1 0\n<eos> 0 0\n[CLS] 0 0\n"
                            "[MASK] 0 0\ncat 0.5 -2\n";

static void tables_are_copied_and_the_rest_keeps_its_start(void **state)
{
    fixture *f = *state;
    write_file(f, "embed.table.txt", EMBED);
    write_file(f, "dec.0.ffn.w1.txt", "columns: h0 h1\na 1 2\nb 3 4\n");
    int read = -1, kept = -1;
    assert_int_equal(al_transformer_read_tables(&f->model, &f->vocab, f->folder, &read, &kept,
                                                NULL),
                     AL_OK);
    assert_int_equal(read, 2);
    assert_int_equal(kept, 10);
    al_matrix *embed = al_transformer_param(&f->model, "embed.table");
    assert_same_float(*al_at(embed, 2, 0), 1.0f);
    assert_same_float(*al_at(embed, 6, 0), 0.5f);
    assert_same_float(*al_at(embed, 6, 1), -2.0f);
    al_matrix *w1 = al_transformer_param(&f->model, "dec.0.ffn.w1");
    assert_same_float(*al_at(w1, 1, 0), 3.0f);
    assert_same_float(*al_at(w1, 0, 1), 2.0f);
    /* no file: W_Q stays 0, the norm's gamma stays 1 */
    assert_same_float(*al_at(al_transformer_param(&f->model, "dec.0.self_attn.w_q"), 0, 0),
                      0.0f);
    assert_same_float(*al_at(al_transformer_param(&f->model, "dec.0.norm1.gamma"), 0, 1), 1.0f);
}

static void a_table_of_another_shape_is_refused(void **state)
{
    fixture *f = *state;
    write_file(f, "embed.table.txt", EMBED);
    write_file(f, "dec.0.ffn.w1.txt", "columns: h0 h1 h2\na 1 2 3\nb 3 4 5\n");
    al_error err = {0};
    assert_int_equal(al_transformer_read_tables(&f->model, &f->vocab, f->folder, NULL, NULL, &err),
                     AL_ERR_SHAPE);
    assert_non_null(strstr(err.message, "dec.0.ffn.w1.txt: the table is 2 x 3 but "
                                        "dec.0.ffn.w1 is 2 x 2"));
}

/* An embedding row on the wrong word would give that word another's vector. */
static void word_rows_and_output_columns_must_be_the_vocabulary(void **state)
{
    fixture *f = *state;
    write_file(f, "embed.table.txt", "columns: a b\n<pad> 0 0\n<unk> 0 0\n<bos> 1 0\n"
                                     "<eos> 0 0\n[CLS] 0 0\n[MASK] 0 0\ndog 0.5 -2\n");
    al_error err = {0};
    assert_int_equal(al_transformer_read_tables(&f->model, &f->vocab, f->folder, NULL, NULL, &err),
                     AL_ERR_FORMAT);
    assert_non_null(strstr(err.message, "row 7 is labelled 'dog' but word 6 of the vocabulary "
                                        "is 'cat'"));
    write_file(f, "embed.table.txt", EMBED);
    write_file(f, "defaults.txt", "dec.0.self_attn.w_q\ndec.0.self_attn.w_k\n"
                                  "dec.0.self_attn.w_v\ndec.0.self_attn.w_o\n"
                                  "dec.0.norm1.gamma\ndec.0.norm1.beta\ndec.0.ffn.w2\n"
                                  "dec.0.norm2.gamma\ndec.0.norm2.beta\n");
    write_file(f, "dec.0.ffn.w1.txt", "columns: h0 h1\na 1 2\nb 3 4\n");
    write_file(f, "logits.w.txt", "columns: <pad> <unk> <bos> <eos> [CLS] [MASK] dog\n"
                                  "a 0 0 0 0 0 0 1\nb 0 0 0 0 0 0 0\n");
    assert_int_equal(al_transformer_read_tables(&f->model, &f->vocab, f->folder, NULL, NULL, &err),
                     AL_ERR_FORMAT);
    assert_non_null(strstr(err.message, "logits.w.txt: column 7 is labelled 'dog'"));
}

/* A table that went missing is not a silent zero; defaults.txt must name
 * parameters, and not ones that have a table too. */
static void a_missing_table_is_an_error_unless_defaults_keep_it(void **state)
{
    fixture *f = *state;
    write_file(f, "embed.table.txt", EMBED);   /* dec.0.ffn.w1.txt is not there */
    al_error err = {0};
    char expected[512];
    snprintf(expected, sizeof expected, "%s/dec.0.ffn.w1.txt is missing: give the table, or "
             "name dec.0.ffn.w1 in %s/defaults.txt to keep its start value", f->folder,
             f->folder);
    assert_int_equal(al_transformer_read_tables(&f->model, &f->vocab, f->folder, NULL, NULL,
                                                &err),
                     AL_ERR_FORMAT);
    assert_string_equal(err.message, expected);
    write_file(f, "dec.0.ffn.w1.txt", "columns: h0 h1\na 1 2\nb 3 4\n");
    write_file(f, "defaults.txt", "dec.0.ffn.w3\n");
    assert_int_equal(al_transformer_read_tables(&f->model, &f->vocab, f->folder, NULL, NULL,
                                                &err),
                     AL_ERR_FORMAT);
    assert_non_null(strstr(err.message, "defaults.txt names 'dec.0.ffn.w3', which is not a "
                                        "parameter of this model"));
    char both[sizeof DEFAULTS + 16];
    snprintf(both, sizeof both, "%sdec.0.ffn.w1\n", DEFAULTS);
    write_file(f, "defaults.txt", both);
    assert_int_equal(al_transformer_read_tables(&f->model, &f->vocab, f->folder, NULL, NULL,
                                                &err),
                     AL_ERR_FORMAT);
    assert_non_null(strstr(err.message, "defaults.txt names dec.0.ffn.w1, which has a table "
                                        "too: one or the other"));
}

static void a_vocabulary_of_another_size_is_refused(void **state)
{
    fixture *f = *state;
    int id;
    assert_int_equal(al_vocab_add(&f->vocab, "dog", &id, NULL), AL_OK);
    al_error err = {0};
    assert_int_equal(al_transformer_read_tables(&f->model, &f->vocab, f->folder, NULL, NULL, &err),
                     AL_ERR_VALUE);
    assert_non_null(strstr(err.message, "the vocabulary has 8 words but the model 7"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(tables_are_copied_and_the_rest_keeps_its_start, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_table_of_another_shape_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(word_rows_and_output_columns_must_be_the_vocabulary,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_missing_table_is_an_error_unless_defaults_keep_it,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_vocabulary_of_another_size_is_refused, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
