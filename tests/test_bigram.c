/* test_bigram.c: the bigram table as a language model: ids, the step
 * function beam search calls, and every table it refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "attnlab/bigram.h"
#include "check.h"

static const char *write_temp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/attnlab-bigram-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

/* Columns cat, dog, <eos> are ids 0, 1, 2; <bos> is id 3. */
static const char *const TABLE = "columns: cat dog <eos>\n"
                                 "<bos>   1   2   -5\n"
                                 "cat    -1   0.5  3\n"
                                 "dog     0.25 0   1\n";

static void ids_are_columns_then_bos(void **state)
{
    (void)state;
    const char *path = write_temp(TABLE);
    al_bigram_model model;
    assert_int_equal(al_bigram_read(&model, path, NULL), AL_OK);
    unlink(path);
    assert_int_equal(model.vocab_size, 4);
    assert_int_equal(model.eos_id, 2);
    assert_int_equal(model.bos_id, 3);
    assert_string_equal(model.words[1], "dog");
    assert_string_equal(model.words[3], "<bos>");
    assert_int_equal(model.row_of[2], -1);
    al_bigram_free(&model);
}

/* After "<bos> cat" the logits are cat's row (-1, 0.5, 3) and <bos> is
 * ruled out with -inf. */
static void next_logits_are_the_last_words_row(void **state)
{
    (void)state;
    const char *path = write_temp(TABLE);
    al_bigram_model model;
    assert_int_equal(al_bigram_read(&model, path, NULL), AL_OK);
    unlink(path);
    float data[4];
    al_matrix logits = al_matrix_wrap(data, 1, 4);
    const int prefix[] = {3, 0};
    assert_int_equal(al_bigram_next_logits(&logits, prefix, 2, &model, NULL), AL_OK);
    assert_same_float(data[0], -1.0f);
    assert_same_float(data[1], 0.5f);
    assert_same_float(data[2], 3.0f);
    assert_same_float(data[3], -INFINITY);
    const int ended[] = {3, 2};
    al_error err = {0};
    assert_int_equal(al_bigram_next_logits(&logits, ended, 2, &model, &err), AL_ERR_VALUE);
    assert_non_null(strstr(err.message, "<eos>"));
    al_matrix wrong = al_matrix_wrap(data, 1, 3);
    assert_int_equal(al_bigram_next_logits(&wrong, prefix, 2, &model, NULL), AL_ERR_SHAPE);
    al_bigram_free(&model);
}

static void expect_refusal(const char *text, const char *message_part)
{
    const char *path = write_temp(text);
    al_bigram_model model;
    al_error err = {0};
    assert_int_equal(al_bigram_read(&model, path, &err), AL_ERR_FORMAT);
    unlink(path);
    assert_null(model.table.values.data);
    if (!strstr(err.message, message_part))
        fail_msg("message '%s' does not contain '%s'", err.message, message_part);
}

static void tables_that_cannot_decode_are_refused(void **state)
{
    (void)state;
    expect_refusal("columns: cat dog\n<bos> 1 2\ncat 1 1\ndog 1 1\n", "no column '<eos>'");
    expect_refusal("columns: cat <eos>\ncat 1 1\n", "needs a row '<bos>'");
    expect_refusal("columns: cat <bos> <eos>\n<bos> 1 1 1\ncat 1 1 1\n", "no column '<bos>'");
    expect_refusal("columns: cat dog <eos>\n<bos> 1 1 1\ncat 1 1 1\n", "no row for 'dog'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ids_are_columns_then_bos),
        cmocka_unit_test(next_logits_are_the_last_words_row),
        cmocka_unit_test(tables_that_cannot_decode_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
