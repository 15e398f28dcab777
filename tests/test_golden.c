/* test_golden.c: the book's traces and figures regenerate. Runs
 * figures/regenerate into temporary folders, compares every fresh trace
 * with the golden one in traces/ by `attnlab-trace diff` (the tolerance of
 * traces/FORMAT.md), and checks that every figure figures/README.md lists
 * was produced. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lesson_check.h"

static const char *source_dir, *build_dir, *trace_tool;

typedef struct folders {
    lesson_folder traces, figures;
} folders;

static int regenerate(void **state)
{
    folders *f = malloc(sizeof *f);
    lesson_folder_make(&f->traces);
    lesson_folder_make(&f->figures);
    char script[512];
    snprintf(script, sizeof script, "%s/figures/regenerate", source_dir);
    run_result r;
    assert_int_equal(run_program_args(&r, NULL, script, build_dir, f->traces.path,
                                      f->figures.path, NULL), 0);
    if (r.exit_code != 0)
        fail_msg("figures/regenerate exited %d: %s", r.exit_code, r.err);
    run_result_free(&r);
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

/* The NAME of each non-comment line of figures/book.txt, one per call. */
static int next_book_name(FILE *book, char *name, size_t size)
{
    char line[1024];
    while (fgets(line, sizeof line, book)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        size_t n = strcspn(line, " \t\n");
        snprintf(name, size, "%.*s", (int)n, line);
        return 1;
    }
    return 0;
}

static void every_trace_matches_its_golden_copy(void **state)
{
    folders *f = *state;
    char path[512], name[128];
    snprintf(path, sizeof path, "%s/figures/book.txt", source_dir);
    FILE *book = fopen(path, "r");
    assert_non_null(book);
    int compared = 0;
    while (next_book_name(book, name, sizeof name)) {
        char fresh[512], golden[512];
        snprintf(fresh, sizeof fresh, "%s/%s.jsonl", f->traces.path, name);
        snprintf(golden, sizeof golden, "%s/traces/%s.jsonl", source_dir, name);
        run_result r;
        assert_int_equal(run_program_args(&r, NULL, trace_tool, "diff", fresh, golden, NULL), 0);
        if (r.exit_code != 0)
            fail_msg("%s differs from traces/%s.jsonl:\n%s%s", name, name, r.out, r.err);
        run_result_free(&r);
        compared++;
    }
    fclose(book);
    assert_true(compared > 0);
}

static void every_listed_figure_is_produced(void **state)
{
    folders *f = *state;
    char path[512], line[2048];
    snprintf(path, sizeof path, "%s/figures/README.md", source_dir);
    FILE *readme = fopen(path, "r");
    assert_non_null(readme);
    int listed = 0;
    while (fgets(line, sizeof line, readme)) {
        if (strncmp(line, "| `", 3) != 0)
            continue;
        size_t n = strcspn(line + 3, "`");
        char produced[512];
        snprintf(produced, sizeof produced, "%s/%.*s", f->figures.path, (int)n, line + 3);
        if (access(produced, F_OK) != 0)
            fail_msg("figures/README.md lists %.*s but regenerating did not produce it", (int)n,
                     line + 3);
        listed++;
    }
    fclose(readme);
    assert_true(listed > 0);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: test_golden SOURCE_DIR BUILD_DIR ATTNLAB_TRACE\n");
        return 2;
    }
    source_dir = argv[1];
    build_dir = argv[2];
    trace_tool = argv[3];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_trace_matches_its_golden_copy),
        cmocka_unit_test(every_listed_figure_is_produced),
    };
    return cmocka_run_group_tests(tests, regenerate, clean);
}
