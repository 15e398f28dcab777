/* test_reference.c: runs one NumPy reference (a script in tests/reference) as a
 * cmocka test. The reference writes its traces with the C trace writer
 * given to it (or, for trace_ops_reference.py, reads the folder of traces
 * given to it), recomputes every tensor from each trace's inputs and
 * parameters alone, and exits 0 only if all agree within its tolerance.
 * Arguments: PYTHON SCRIPT [OPTION] TRACE-WRITER-OR-FOLDER, the option
 * passed on before the last (--writer for trace_ops_reference.py, whose
 * last argument is otherwise a folder). Skipped (not passed)
 * when the script says NumPy is missing (exit 77). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "run_program.h"

static const char *python, *script, *writer, *option;

static void reference_agrees_with_every_traced_tensor(void **state)
{
    (void)state;
    run_result r;
    if (option)
        assert_int_equal(run_program_args(&r, NULL, python, script, option, writer, NULL), 0);
    else
        assert_int_equal(run_program_args(&r, NULL, python, script, writer, NULL), 0);
    /* The reference's own last line says how many traces and failures. */
    fputs(r.out, stdout);
    if (r.exit_code == 77) {
        run_result_free(&r);
        skip();
    }
    int exit_code = r.exit_code;
    fputs(r.err, stderr);
    run_result_free(&r);  /* before a failure, which jumps out of the test */
    if (exit_code != 0)
        fail_msg("%s exited %d (its output is above)", script, exit_code);
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: test_reference PYTHON SCRIPT [OPTION] TRACE-WRITER-OR-FOLDER\n");
        return 2;
    }
    python = argv[1];
    script = argv[2];
    option = argc == 5 ? argv[3] : NULL;  /* e.g. --writer for trace_ops_reference.py */
    writer = argv[argc - 1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reference_agrees_with_every_traced_tensor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
