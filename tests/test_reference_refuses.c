/* test_reference_refuses.c: shows that a NumPy reference (a script in
 * tests/reference) can fail: run on a trace it must not accept, it exits 1
 * and its output names what is wrong. test_reference.c runs the same
 * scripts where they must pass; a reference that never failed would prove
 * nothing there.
 * Arguments: PYTHON SCRIPT TRACE EXPECTED, EXPECTED being text the output
 * must contain. Skipped (not passed) when the script says NumPy is
 * missing (exit 77). */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "run_program.h"

static const char *python, *script, *trace, *expected;

static void reference_refuses_the_trace_and_says_why(void **state)
{
    (void)state;
    run_result r;
    assert_int_equal(run_program_args(&r, NULL, python, script, trace, NULL), 0);
    /* Show what the reference said, then free it before any verdict:
     * fail_msg does not return. */
    fputs(r.out, stdout);
    fputs(r.err, stderr);
    int exit_code = r.exit_code;
    bool says_why = strstr(r.out, expected) != NULL;
    run_result_free(&r);
    if (exit_code == 77)
        skip();
    if (exit_code != 1)
        fail_msg("%s exited %d on %s, expected 1 (refused)", script, exit_code, trace);
    if (!says_why)
        fail_msg("the output of %s does not contain \"%s\"", script, expected);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: test_reference_refuses PYTHON SCRIPT TRACE EXPECTED\n");
        return 2;
    }
    python = argv[1];
    script = argv[2];
    trace = argv[3];
    expected = argv[4];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reference_refuses_the_trace_and_says_why),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
