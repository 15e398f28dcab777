/* test_golden_kernels.c: the golden traces hold under every OpenBLAS
 * kernel this CPU can run, not only the one that made them. For each
 * kernel named on the command line ("unset" means OPENBLAS_CORETYPE
 * removed, OpenBLAS's own choice), one test: regenerate every book trace
 * with OPENBLAS_CORETYPE set to it (traces only, no figures) and compare
 * all of them with traces/. A kernel that cannot run here (its
 * instructions kill the probe, tests/blas_core.c) or that OpenBLAS
 * replaces by another is skipped, with a message saying which. "NAME,no-fma"
 * also turns off glibc's FMA code in libm (see use_kernel).
 * Arguments: SOURCE_DIR BUILD_DIR ATTNLAB_TRACE BLAS_CORE KERNEL... */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "golden_check.h"
#include "lesson_check.h"

#define MAX_KERNELS 32

static golden_paths paths;
static const char *blas_core;

typedef struct kernel_case {
    const char *kernel;     /* OPENBLAS_CORETYPE's value, or "unset" */
    char test_name[96];
} kernel_case;

/* Set OPENBLAS_CORETYPE for every program this test starts. A kernel
 * written "Sandybridge,no-fma" also makes glibc's libm take its code for
 * CPUs without FMA and AVX2 (GLIBC_TUNABLES), as on a real Sandy Bridge:
 * sin, cos and log then round differently in the last bit of a double,
 * and the seeded parameters and positional encodings, computed in double
 * and rounded to float32, must still come out bit-identical. */
static void use_kernel(const char *kernel)
{
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(kernel, ","), kernel);
    if (strcmp(name, "unset") == 0)
        assert_int_equal(unsetenv("OPENBLAS_CORETYPE"), 0);
    else
        assert_int_equal(setenv("OPENBLAS_CORETYPE", name, 1), 0);
    if (strstr(kernel, ",no-fma"))
        assert_int_equal(setenv("GLIBC_TUNABLES", "glibc.cpu.hwcaps=-AVX2,-FMA", 1), 0);
    else
        assert_int_equal(unsetenv("GLIBC_TUNABLES"), 0);
}

/* The kernel OpenBLAS runs under the current environment, into name; or
 * false (after printing why) when it cannot run here or runs another. */
static int kernel_runs_here(const char *kernel, char *name, size_t size)
{
    run_result r;
    assert_int_equal(run_program_args(&r, NULL, blas_core, NULL), 0);
    int runs = r.exit_code == 0;
    if (!runs) {
        printf("skipped: OPENBLAS_CORETYPE=%s cannot run on this CPU (the probe %s %d)\n",
               kernel, r.signal ? "died of signal" : "exited", r.signal ? r.signal : r.exit_code);
    } else {
        snprintf(name, size, "%.*s", (int)strcspn(r.out, "\n"), r.out);
        size_t requested = strcspn(kernel, ",");
        if (strcmp(kernel, "unset") != 0 &&
            (strlen(name) != requested || strncasecmp(name, kernel, requested) != 0)) {
            printf("skipped: OPENBLAS_CORETYPE=%s runs OpenBLAS's %s kernel here, "
                   "tested under its own name\n", kernel, name);
            runs = 0;
        }
    }
    run_result_free(&r);
    return runs;
}

static void golden_traces_hold_under_the_kernel(void **state)
{
    const kernel_case *c = *state;
    char name[64];
    use_kernel(c->kernel);
    if (!kernel_runs_here(c->kernel, name, sizeof name))
        skip();
    lesson_folder traces;
    lesson_folder_make(&traces);
    golden_regenerate(&paths, traces.path, NULL);
    int compared;
    int differing = golden_compare_all(&paths, traces.path, &compared);
    lesson_folder_remove(&traces);
    bool unset = strcmp(c->kernel, "unset") == 0;
    printf("OPENBLAS_CORETYPE%s%.*s (OpenBLAS runs %s%s): %d traces compared, %d differ\n",
           unset ? " unset" : "=", unset ? 0 : (int)strcspn(c->kernel, ","), c->kernel, name,
           strstr(c->kernel, ",no-fma") ? "; libm without FMA" : "", compared, differing);
    fflush(stdout);  /* the summary before cmocka's error line, which goes to stderr */
    assert_true(compared > 0);
    if (differing > 0)
        fail_msg("under %s, %d of %d traces differ from traces/ (listed above)", name,
                 differing, compared);
}

int main(int argc, char **argv)
{
    if (argc < 6 || argc - 5 > MAX_KERNELS) {
        fprintf(stderr, "usage: test_golden_kernels SOURCE_DIR BUILD_DIR ATTNLAB_TRACE "
                        "BLAS_CORE KERNEL... (at most %d kernels)\n", MAX_KERNELS);
        return 2;
    }
    paths = (golden_paths){.source_dir = argv[1], .build_dir = argv[2], .trace_tool = argv[3]};
    blas_core = argv[4];
    kernel_case cases[MAX_KERNELS];
    struct CMUnitTest tests[MAX_KERNELS];  /* built from the arguments, so the count is known only here */
    int n = argc - 5;
    for (int i = 0; i < n; i++) {
        cases[i].kernel = argv[5 + i];
        snprintf(cases[i].test_name, sizeof cases[i].test_name,
                 "golden_traces_hold_under_%s", argv[5 + i]);
        tests[i] = (struct CMUnitTest){.name = cases[i].test_name,
                                       .test_func = golden_traces_hold_under_the_kernel,
                                       .initial_state = &cases[i]};
    }
    return _cmocka_run_group_tests("test_golden_kernels", tests, (size_t)n, NULL, NULL);
}
