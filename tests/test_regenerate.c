/* test_regenerate.c: figures/regenerate keeps a committed trace that
 * agrees with the fresh one under the rule of traces/FORMAT.md, byte for
 * byte, and rewrites one that does not. Works on lesson02's book trace in
 * a temporary folder standing in for traces/: it is written once, then one
 * computed number in it is moved by one float step (as another CPU's
 * kernel might) or by 1e-3 (a real change) and the script is run again. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lesson_check.h"

#define PATH_SIZE 512

static const char *source_dir, *build_dir;

/* A computed tensor of lesson02's trace and its first entry as written. */
#define RECORD "\"name\": \"retrieve.inverse_sum.weights\""
#define FIRST_ENTRY "\"data\": [[0.5, "

static void regenerate_lesson02(run_result *r, const lesson_folder *folder)
{
    char script[PATH_SIZE];
    snprintf(script, sizeof script, "%s/figures/regenerate", source_dir);
    assert_int_equal(run_program_args(r, NULL, script, "--traces-only", "--only", "lesson02",
                                      build_dir, folder->path, folder->path, NULL), 0);
    if (r->exit_code != 0)
        fail_msg("figures/regenerate exited %d: %s", r->exit_code, r->err);
}

/* The trace with the first entry of RECORD written as replacement instead
 * of 0.5; the caller frees it. */
static char *with_first_entry(const char *trace, const char *replacement)
{
    const char *record = strstr(trace, RECORD);
    assert_non_null(record);
    const char *entry = strstr(record, FIRST_ENTRY);
    assert_non_null(entry);
    const char *number = entry + strlen("\"data\": [[");
    size_t before = (size_t)(number - trace), old = strlen("0.5");
    size_t length = strlen(trace) - old + strlen(replacement);
    char *changed = malloc(length + 1);
    assert_non_null(changed);
    snprintf(changed, length + 1, "%.*s%s%s", (int)before, trace, replacement,
             number + old);
    return changed;
}

static void write_text(const lesson_folder *folder, const char *name, const char *text)
{
    char path[PATH_SIZE];
    snprintf(path, sizeof path, "%s/%s", folder->path, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* Put changed in place of the trace, regenerate, and return what is there
 * after (the caller frees it); *said gets the script's line about it. */
static char *regenerate_over(const lesson_folder *folder, const char *changed, char *said,
                             size_t size)
{
    write_text(folder, "lesson02.jsonl", changed);
    run_result r;
    regenerate_lesson02(&r, folder);
    snprintf(said, size, "%s", r.out);
    run_result_free(&r);
    return lesson_file_text(folder, "lesson02.jsonl", NULL);
}

/* Regenerate lesson02's trace, put it back with its first weight written
 * as replacement (as a committed trace that differs only there), and
 * regenerate again. Fails the test unless the committed trace is kept,
 * byte for byte, exactly when kept is true, and the fresh one replaces it
 * otherwise, with the script saying which. */
static void expect_regenerating_over(const lesson_folder *folder, const char *replacement,
                                     bool kept)
{
    run_result r;
    regenerate_lesson02(&r, folder);
    run_result_free(&r);
    char *fresh = lesson_file_text(folder, "lesson02.jsonl", NULL);
    char *committed = with_first_entry(fresh, replacement);
    char said[1024];
    char *after = regenerate_over(folder, committed, said, sizeof said);
    assert_string_equal(after, kept ? committed : fresh);
    if (kept)
        assert_non_null(strstr(said, "/lesson02.jsonl kept (the fresh trace is within the rule)"));
    else
        assert_non_null(strstr(said, "/lesson02.jsonl\n"));
    free(after);
    free(committed);
    free(fresh);
}

/* One float step above 0.5 is 0.50000006 (0.5 + 2^-24): far inside the rule. */
static void a_trace_within_the_rule_is_kept(void **state)
{
    expect_regenerating_over(*state, "0.50000006", true);
}

/* 0.501 is 1e-3 away: outside the rule, so the fresh trace replaces it. */
static void a_trace_outside_the_rule_is_rewritten(void **state)
{
    expect_regenerating_over(*state, "0.501", false);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_regenerate SOURCE_DIR BUILD_DIR\n");
        return 2;
    }
    source_dir = argv[1];
    build_dir = argv[2];
    const struct CMUnitTest tests[] = {
        lesson_test(a_trace_within_the_rule_is_kept),
        lesson_test(a_trace_outside_the_rule_is_rewritten),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
