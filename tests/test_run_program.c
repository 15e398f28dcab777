/* test_run_program.c: the test helper run_program (tests/run_program.c),
 * checked on small POSIX programs (/bin/sh, /bin/cat) so that the tests
 * built on it can trust what it captures: both outputs, the exit code, a
 * signal, standard input, and outputs larger than a pipe holds.
 * /bin/sh here is the program under test, not a way of starting one. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "run_program.h"

static void captures_stdout_stderr_and_exit_code(void **state)
{
    run_result r;
    assert_int_equal(run_program_args(&r, NULL, "/bin/sh", "-c",
                                      "echo to-out; echo to-err >&2; exit 3", NULL), 0);
    assert_string_equal(r.out, "to-out\n");
    assert_int_equal(r.out_length, 7);
    assert_string_equal(r.err, "to-err\n");
    assert_int_equal(r.exit_code, 3);
    assert_int_equal(r.signal, 0);
    run_result_free(&r);
    assert_null(r.out);
}

/* Arguments arrive as given, spaces and quotes included: no shell between. */
static void passes_arguments_unchanged(void **state)
{
    const char *const argv[] = {"/bin/sh", "-c", "printf '%s|' \"$@\"", "sh", "two words",
                                "'quoted'", "", NULL};
    run_result r;
    assert_int_equal(run_program(&r, argv, NULL), 0);
    assert_string_equal(r.out, "two words|'quoted'||");
    assert_int_equal(r.exit_code, 0);
    run_result_free(&r);
}

static void empty_outputs_are_empty_strings(void **state)
{
    run_result r;
    assert_int_equal(run_program_args(&r, NULL, "/bin/sh", "-c", "exit 0", NULL), 0);
    assert_non_null(r.out);
    assert_non_null(r.err);
    assert_string_equal(r.out, "");
    assert_int_equal(r.err_length, 0);
    run_result_free(&r);
}

static void feeds_standard_input(void **state)
{
    run_result r;
    assert_int_equal(run_program_args(&r, "line one\nline two\n", "/bin/cat", NULL), 0);
    assert_string_equal(r.out, "line one\nline two\n");
    run_result_free(&r);

    /* Without input the program reads end-of-file at once. */
    assert_int_equal(run_program_args(&r, NULL, "/bin/cat", NULL), 0);
    assert_int_equal(r.out_length, 0);
    assert_int_equal(r.exit_code, 0);
    run_result_free(&r);
}

/* 300 000 bytes in, echoed to stdout and to stderr: several times what a
 * pipe holds (64 KiB on Linux), so this hangs unless all three pipes are
 * served at once. */
static void large_input_and_outputs_do_not_block(void **state)
{
    enum { SIZE = 300000 };
    static char input[SIZE + 1];
    for (int i = 0; i < SIZE; i++) {
        input[i] = (char)('a' + i % 26);
    }
    input[SIZE - 1] = '\n';
    run_result r;
    assert_int_equal(run_program_args(&r, input, "/bin/sh", "-c", "tee /dev/stderr", NULL), 0);
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.out_length, SIZE);
    assert_int_equal(r.err_length, SIZE);
    assert_memory_equal(r.out, input, SIZE);
    assert_memory_equal(r.err, input, SIZE);
    run_result_free(&r);
}

/* A program that exits without reading its input must not kill the test
 * with SIGPIPE. */
static void a_program_ignoring_its_input_is_fine(void **state)
{
    enum { SIZE = 200000 };
    static char input[SIZE + 1];
    memset(input, 'x', SIZE);
    run_result r;
    assert_int_equal(run_program_args(&r, input, "/bin/sh", "-c", "exit 4", NULL), 0);
    assert_int_equal(r.exit_code, 4);
    run_result_free(&r);
}

static void reports_a_signal(void **state)
{
    run_result r;
    assert_int_equal(run_program_args(&r, NULL, "/bin/sh", "-c", "kill -TERM $$", NULL), 0);
    assert_int_equal(r.exit_code, -1);
    assert_int_equal(r.signal, SIGTERM);
    run_result_free(&r);
}

static void a_missing_program_fails_to_start(void **state)
{
    if (getenv("ATTNLAB_UNDER_VALGRIND")) {
        /* valgrind runs posix_spawn as a fork: the failed exec is exit 127 */
        skip();
    }
    run_result r;
    errno = 0;
    assert_int_equal(run_program_args(&r, NULL, "/nonexistent/attnlab/program", NULL), -1);
    assert_int_equal(errno, ENOENT);
    assert_null(r.out);
    assert_null(r.err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(captures_stdout_stderr_and_exit_code),
        cmocka_unit_test(passes_arguments_unchanged),
        cmocka_unit_test(empty_outputs_are_empty_strings),
        cmocka_unit_test(feeds_standard_input),
        cmocka_unit_test(large_input_and_outputs_do_not_block),
        cmocka_unit_test(a_program_ignoring_its_input_is_fine),
        cmocka_unit_test(reports_a_signal),
        cmocka_unit_test(a_missing_program_fails_to_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
