/* test_reference.c: runs one NumPy reference (a script in tests/reference) as a
 * cmocka test. The reference writes its traces with the C trace writer
 * given to it (or, for trace_ops_reference.py, reads the folder of traces
 * given to it), recomputes every tensor from each trace's inputs and
 * parameters alone, and exits 0 only if all agree within its tolerance.
 * Arguments: PYTHON SCRIPT TRACE-WRITER-OR-FOLDER. Skipped (not passed)
 * when the script says NumPy is missing (exit 77). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "run_program.h"

static const char *python, *script, *writer;

static void reference_agrees_with_every_traced_tensor(void **state)
{
    (void)state;
    run_result r;
    assert_int_equal(run_program_args(&r, NULL, python, script, writer, NULL), 0);
    /* The reference's own last line says how many traces and failures. */
    fputs(r.out, stdout);
    if (r.exit_code == 77) {
        run_result_free(&r);
        skip();
    }
    if (r.exit_code != 0)
        fail_msg("%s exited %d:\n%s", script, r.exit_code, r.err);
    run_result_free(&r);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: test_reference PYTHON SCRIPT TRACE-WRITER-OR-FOLDER\n");
        return 2;
    }
    python = argv[1];
    script = argv[2];
    writer = argv[3];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reference_agrees_with_every_traced_tensor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
