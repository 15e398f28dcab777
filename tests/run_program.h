/* run_program.h: run a program from a test and capture what it did: all
 * of its stdout and stderr, and how it ended. For tests of attnlab's
 * programs (the trace viewer, the calculator, lessons, renderers).
 * It starts the program directly with posix_spawn, never through a shell,
 * so arguments need no quoting; it does not search PATH and sets no time
 * limit (meson test has its own).
 *
 *     run_result r;
 *     assert_int_equal(run_program_args(&r, NULL, exe, "list", path, NULL), 0);
 *     assert_int_equal(r.exit_code, 0);
 *     assert_non_null(strstr(r.out, "enc.0.attn.q"));
 *     run_result_free(&r);
 */
#ifndef ATTNLAB_TESTS_RUN_PROGRAM_H
#define ATTNLAB_TESTS_RUN_PROGRAM_H

#include <stddef.h>

/* What a finished program printed and how it ended. out and err are
 * malloc'd and always NUL-terminated (never NULL after a successful run),
 * so strstr works on them; their lengths count the bytes before that NUL,
 * in case the program printed NUL bytes of its own. */
typedef struct run_result {
    char *out;            /* everything written to stdout */
    size_t out_length;
    char *err;            /* everything written to stderr */
    size_t err_length;
    int exit_code;        /* 0 to 255 if the program exited, -1 if a signal ended it */
    int signal;           /* the signal that ended it, or 0 */
} run_result;

/* Run the program at argv[0] with the arguments argv (NULL-terminated;
 * argv[0] is also the path of the program), giving it stdin_text on its
 * standard input (NULL for none: it reads end-of-file at once) and the
 * environment of the test. Waits for it to end.
 *
 * Returns 0 and fills *result, which the caller frees with
 * run_result_free; or -1 if the program could not be started or a pipe
 * failed, with *result empty and errno saying why. While it runs, SIGPIPE
 * is ignored in the calling process (so a program that stops reading its
 * input cannot kill the test); the previous handling is restored after. */
int run_program(run_result *result, const char *const argv[], const char *stdin_text);

/* The same with the arguments listed in the call, ending with NULL:
 * run_program_args(&r, NULL, "/path/to/prog", "show", "t.jsonl", NULL). */
int run_program_args(run_result *result, const char *stdin_text, const char *program, ...)
    __attribute__((sentinel));

/* Free out and err and leave *result empty. Safe on an empty result. */
void run_result_free(run_result *result);

#endif
