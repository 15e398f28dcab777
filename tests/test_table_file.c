/* test_table_file.c: reading labelled text tables, and every refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "attnlab/table_file.h"
#include "check.h"

/* Write text to a fresh temporary file; returns its path (static). */
static const char *write_temp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/attnlab-table-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void reads_labels_and_numbers(void **state)
{
    (void)state;
    const char *path = write_temp("# an embedding table\n"
                                  "columns: animal motion   # two named dimensions\n"
                                  "\n"
                                  "cat    1    0.25\n"
                                  "walks  -0.5 1e-3\n");
    al_table table;
    assert_int_equal(al_table_read(&table, path, NULL), AL_OK);
    unlink(path);
    assert_int_equal(table.values.rows, 2);
    assert_int_equal(table.values.cols, 2);
    assert_string_equal(table.col_labels[0], "animal");
    assert_string_equal(table.col_labels[1], "motion");
    assert_string_equal(table.row_labels[1], "walks");
    assert_same_float(*al_at(&table.values, 0, 1), 0.25f);
    assert_same_float(*al_at(&table.values, 1, 0), -0.5f);
    assert_same_float(*al_at(&table.values, 1, 1), 1e-3f);
    assert_int_equal(al_table_find_row(&table, "walks"), 1);
    assert_int_equal(al_table_find_row(&table, "dog"), -1);
    al_table_free(&table);
}

/* Each bad file: the status, and the message names the line and problem. */
static void expect_refusal(const char *text, const char *message_part)
{
    const char *path = write_temp(text);
    al_table table;
    al_error err = {0};
    assert_int_equal(al_table_read(&table, path, &err), AL_ERR_FORMAT);
    unlink(path);
    assert_null(table.values.data);
    if (!strstr(err.message, message_part))
        fail_msg("message '%s' does not contain '%s'", err.message, message_part);
}

static void refuses_bad_files_with_line_numbers(void **state)
{
    (void)state;
    expect_refusal("columns: a b\ncat 1\n", ":2: row 'cat' has 1 numbers but there are 2 columns");
    expect_refusal("columns: a\ncat nan\n", ":2: row 'cat', column 'a': 'nan' is not a finite");
    expect_refusal("columns: a\ncat 1e99\n", "'1e99' is not a finite number");
    expect_refusal("columns: a\ncat 1x\n", "'1x' is not a finite number");
    expect_refusal("cat 1\n", ":1: a row before the 'columns:' line");
    expect_refusal("columns: a\ncat 1\ncat 2\n", ":3: row 'cat' appears twice");
    expect_refusal("columns: a\ncolumns: b\n", ":2: a second 'columns:' line");
    expect_refusal("# nothing\n", "no rows");
}

static void missing_file_is_an_io_error(void **state)
{
    (void)state;
    al_table table;
    al_error err = {0};
    assert_int_equal(al_table_read(&table, "/nonexistent/attnlab.txt", &err), AL_ERR_IO);
    assert_non_null(strstr(err.message, "/nonexistent/attnlab.txt"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_labels_and_numbers),
        cmocka_unit_test(refuses_bad_files_with_line_numbers),
        cmocka_unit_test(missing_file_is_an_io_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
