/* test_golden.c: the book's traces and figures regenerate on this machine.
 * Runs figures/regenerate into temporary folders, in the environment as it
 * is, compares every fresh trace with its golden copy in traces/ (the rule
 * of traces/FORMAT.md, "Comparing traces"), reporting every trace that
 * differs, and checks that every figure figures/README.md lists was drawn.
 * Other OpenBLAS kernels: test_golden_kernels.c; that the rule still
 * catches a real change: test_golden_catches.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "golden_check.h"
#include "lesson_check.h"

static golden_paths paths;

typedef struct folders {
    lesson_folder traces, figures;
} folders;

static int regenerate(void **state)
{
    folders *f = malloc(sizeof *f);
    assert_non_null(f);
    lesson_folder_make(&f->traces);
    lesson_folder_make(&f->figures);
    golden_regenerate(&paths, f->traces.path, f->figures.path);
    *state = f;
    return 0;
}

static int clean(void **state)
{
    folders *f = *state;
    lesson_folder_remove(&f->traces);
    lesson_folder_remove(&f->figures);
    free(f);
    return 0;
}

static void every_trace_matches_its_golden_copy(void **state)
{
    folders *f = *state;
    int compared;
    int differing = golden_compare_all(&paths, f->traces.path, &compared);
    assert_true(compared > 0);
    const char *kernel = getenv("OPENBLAS_CORETYPE");
    printf("%d traces compared with traces/ (OPENBLAS_CORETYPE%s%s): %d differ\n", compared,
           kernel ? "=" : " unset", kernel ? kernel : "", differing);
    fflush(stdout);  /* the summary before cmocka's error line, which goes to stderr */
    if (differing > 0)
        fail_msg("%d of %d traces differ from traces/ (listed above)", differing, compared);
}

static void every_listed_figure_is_produced(void **state)
{
    folders *f = *state;
    char path[512], line[2048];
    snprintf(path, sizeof path, "%s/figures/README.md", paths.source_dir);
    FILE *readme = fopen(path, "r");
    assert_non_null(readme);
    int listed = 0;
    /* The loss curves' section lists figures that training commands write, not
     * `figures/regenerate`: those must be committed in figures/ instead. */
    bool made_by_training = false;
    while (fgets(line, sizeof line, readme)) {
        if (strncmp(line, "### ", 4) == 0)
            made_by_training = strstr(line, "Loss curves") != NULL;
        if (strncmp(line, "| `", 3) != 0)
            continue;
        size_t n = strcspn(line + 3, "`");
        char produced[512];
        if (made_by_training)
            snprintf(produced, sizeof produced, "%s/figures/%.*s", paths.source_dir, (int)n,
                     line + 3);
        else
            snprintf(produced, sizeof produced, "%s/%.*s", f->figures.path, (int)n, line + 3);
        if (access(produced, F_OK) != 0)
            fail_msg("figures/README.md lists %.*s but %s", (int)n, line + 3,
                     made_by_training ? "figures/ does not hold it"
                                      : "regenerating did not produce it");
        listed++;
    }
    fclose(readme);
    assert_true(listed > 0);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: test_golden SOURCE_DIR BUILD_DIR ATTNLAB_TRACE\n");
        return 2;
    }
    paths = (golden_paths){.source_dir = argv[1], .build_dir = argv[2], .trace_tool = argv[3]};
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_trace_matches_its_golden_copy),
        cmocka_unit_test(every_listed_figure_is_produced),
    };
    return cmocka_run_group_tests(tests, regenerate, clean);
}
