/* golden_check.c: regenerating the book's traces and comparing them with
 * traces/ (see golden_check.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "golden_check.h"
#include "run_program.h"

#define PATH_SIZE 1024
#define LINES_PER_TRACE 12  /* enough to see the pattern; the rest are counted */

void golden_regenerate(const golden_paths *paths, const char *traces_dir,
                       const char *figures_dir)
{
    char script[PATH_SIZE];
    snprintf(script, sizeof script, "%s/figures/regenerate", paths->source_dir);
    run_result r;
    int started = figures_dir
                      ? run_program_args(&r, NULL, script, paths->build_dir, traces_dir,
                                         figures_dir, NULL)
                      : run_program_args(&r, NULL, script, "--traces-only", paths->build_dir,
                                         traces_dir, traces_dir, NULL);
    assert_int_equal(started, 0);
    if (r.exit_code != 0) {
        fprintf(stderr, "figures/regenerate exited %d:\n%s", r.exit_code, r.err);
        run_result_free(&r);
        fail_msg("figures/regenerate failed");
    }
    run_result_free(&r);
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

/* The last line of diff's output is its summary ("131 tensors: 129 OK, 2
 * differ"); every line before it (diff --quiet) is a tensor that differs. */
static void print_differences(const char *name, const char *out)
{
    const char *end = out + strlen(out);
    while (end > out && end[-1] == '\n')
        end--;
    const char *summary = end;
    while (summary > out && summary[-1] != '\n')
        summary--;
    printf("  %s: %.*s\n", name, (int)(end - summary), summary);
    int shown = 0, hidden = 0;
    for (const char *line = out; line < summary;) {
        const char *next = strchr(line, '\n');
        next = next ? next + 1 : summary;
        if (shown < LINES_PER_TRACE) {
            printf("    %.*s", (int)(next - line), line);
            shown++;
        } else {
            hidden++;
        }
        line = next;
    }
    if (hidden > 0)
        printf("    ... and %d more\n", hidden);
}

int golden_compare_all(const golden_paths *paths, const char *traces_dir, int *compared)
{
    char path[PATH_SIZE], name[128];
    snprintf(path, sizeof path, "%s/figures/book.txt", paths->source_dir);
    FILE *book = fopen(path, "r");
    assert_non_null(book);
    int differing = 0;
    *compared = 0;
    while (next_book_name(book, name, sizeof name)) {
        char fresh[PATH_SIZE], golden[PATH_SIZE];
        snprintf(fresh, sizeof fresh, "%s/%s.jsonl", traces_dir, name);
        snprintf(golden, sizeof golden, "%s/traces/%s.jsonl", paths->source_dir, name);
        run_result r;
        assert_int_equal(run_program_args(&r, NULL, paths->trace_tool, "diff", "--quiet", fresh,
                                          golden, NULL), 0);
        (*compared)++;
        if (r.exit_code != 0) {
            if (differing == 0)
                printf("These fresh traces differ from their golden copies in traces/ "
                       "(the rule: traces/FORMAT.md, \"Comparing traces\"):\n");
            differing++;
            if (r.exit_code == 1)
                print_differences(name, r.out);
            else
                printf("  %s: attnlab-trace diff exited %d: %s", name, r.exit_code, r.err);
        }
        run_result_free(&r);
    }
    fclose(book);
    fflush(stdout);
    return differing;
}
