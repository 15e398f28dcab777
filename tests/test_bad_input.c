/* test_bad_input.c: bad input to every program, one table. Each row runs a
 * program (a tool, a renderer or a lesson) from the build tree with
 * arguments that are wrong in one way: a missing or unknown option, a
 * value out of range, a file that is missing, empty, binary, truncated or
 * of the wrong kind, a folder that is not there, text that is not UTF-8,
 * options that do not go together. Every row must give its exit status (2
 * for usage, 1 for a failure while running), exactly one line on stderr
 * containing the expected words, and leave nothing behind: the run's own
 * folder (its current folder, where outputs would go) stays empty. In the
 * arguments and the expected words, {OUT} is that folder, {EMPTY} an
 * empty file, {TRACE} a small valid trace, {DATA} the data folder and
 * {SRC} the source tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

#include <cmocka.h>

#include "run_program.h"

#define MAX_ARGS 16
#define TEXT_SIZE 4096

typedef struct bad_case {
    const char *program;          /* under the build folder       */
    int status;                   /* the exit status expected     */
    const char *says;             /* words the one line contains  */
    const char *args[MAX_ARGS];   /* ended by NULL                */
} bad_case;

static const bad_case CASES[] = {
#include "bad_input_cases.inc"
};

typedef struct places {
    const char *build, *source;
    char empty[TEXT_SIZE];        /* an empty file, in its own folder */
    char empty_dir[256];
} places;

/* text with {OUT}, {EMPTY}, {TRACE}, {DATA} and {SRC} replaced, into out. */
static void expand(char out[TEXT_SIZE], const char *text, const places *where, const char *folder)
{
    char trace[TEXT_SIZE], data[TEXT_SIZE];
    snprintf(trace, sizeof trace, "%s/tests/data/render_cross.jsonl", where->source);
    snprintf(data, sizeof data, "%s/data", where->source);
    const struct {
        const char *name, *value;
    } marks[] = {{"{OUT}", folder}, {"{EMPTY}", where->empty}, {"{TRACE}", trace},
                 {"{DATA}", data}, {"{SRC}", where->source}};
    size_t used = 0;
    out[0] = '\0';
    for (const char *c = text; *c && used + 1 < TEXT_SIZE;) {
        bool replaced = false;
        for (size_t m = 0; m < sizeof marks / sizeof marks[0] && !replaced; m++) {
            size_t length = strlen(marks[m].name);
            if (strncmp(c, marks[m].name, length) == 0) {
                used += (size_t)snprintf(out + used, TEXT_SIZE - used, "%s", marks[m].value);
                c += length;
                replaced = true;
            }
        }
        if (!replaced) {
            out[used++] = *c++;
            out[used] = '\0';
        }
    }
    assert_true(used + 1 < TEXT_SIZE);
}

/* The names in folder other than . and .., joined by spaces. */
static void folder_names(const char *folder, char *out, size_t size)
{
    out[0] = '\0';
    DIR *dir = opendir(folder);
    assert_non_null(dir);
    for (struct dirent *e; (e = readdir(dir));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            snprintf(out + strlen(out), size - strlen(out), " %s", e->d_name);
    closedir(dir);
}

static void run_case(const bad_case *c, const places *where, int index)
{
    char folder[TEXT_SIZE];
    snprintf(folder, sizeof folder, "%s/attnlab_bad_XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(folder));
    char program[TEXT_SIZE], expanded[MAX_ARGS][TEXT_SIZE], says[TEXT_SIZE];
    snprintf(program, sizeof program, "%s/%s", where->build, c->program);
    const char *argv[MAX_ARGS + 2] = {program};
    int n = 0;
    for (; c->args[n]; n++) {
        expand(expanded[n], c->args[n], where, folder);
        argv[n + 1] = expanded[n];
    }
    argv[n + 1] = NULL;
    expand(says, c->says, where, folder);
    char previous[TEXT_SIZE];
    assert_non_null(getcwd(previous, sizeof previous));
    assert_int_equal(chdir(folder), 0);   /* a lesson writes into its current folder */
    run_result r;
    int started = run_program(&r, argv, NULL);
    assert_int_equal(chdir(previous), 0);
    assert_int_equal(started, 0);
    char left[TEXT_SIZE];
    folder_names(folder, left, sizeof left);
    char empties[TEXT_SIZE];
    folder_names(where->empty_dir, empties, sizeof empties);
    int lines = 0;
    for (const char *e = r.err; *e; e++)
        lines += *e == '\n';
    const char *what = c->args[0] ? c->args[0] : "";
    if (r.exit_code != c->status || r.signal)
        fail_msg("case %d (%s %s ...): exit %d (signal %d), expected %d; stderr: %s", index,
                 c->program, what, r.exit_code, r.signal, c->status, r.err);
    if (lines != 1 || !strstr(r.err, says))
        fail_msg("case %d (%s %s ...): expected one line saying \"%s\", got %d lines: %s", index,
                 c->program, what, says, lines, r.err);
    if (left[0])
        fail_msg("case %d (%s %s ...): left behind:%s", index, c->program, what, left);
    if (strcmp(empties, " empty") != 0)
        fail_msg("case %d (%s %s ...): the empty file's folder now holds:%s", index,
                 c->program, what, empties);
    run_result_free(&r);
    rmdir(folder);
}

static places where;

static void every_bad_input_is_refused_with_one_line_and_nothing_left(void **state)
{
    (void)state;
    int count = (int)(sizeof CASES / sizeof CASES[0]);
    for (int k = 0; k < count; k++)
        run_case(&CASES[k], &where, k);
    printf("%d bad inputs refused as they should be\n", count);
}

/* The table holds at least 120 cases, and every program is in it. */
static void the_table_covers_every_program(void **state)
{
    (void)state;
    int count = (int)(sizeof CASES / sizeof CASES[0]);
    if (count < 120)
        fail_msg("only %d bad-input cases; the table should hold at least 120", count);
    const char *programs[] = {"src/tools/attnlab-calc", "src/tools/attnlab-trace",
                              "src/tools/attnlab-model", "src/tools/attnlab-train",
                              "src/tools/attnlab-generate", "src/render/attnlab-heatmap",
                              "src/render/attnlab-flow"};
    for (size_t p = 0; p < sizeof programs / sizeof programs[0]; p++) {
        int found = 0;
        for (int k = 0; k < count; k++)
            found += strcmp(CASES[k].program, programs[p]) == 0;
        if (found < 5)
            fail_msg("%s has %d cases; every program should have at least 5", programs[p],
                     found);
    }
    for (int l = 1; l <= 13; l++) {
        char name[32];
        snprintf(name, sizeof name, "lessons/lesson%02d", l);
        int found = 0;
        for (int k = 0; k < count; k++)
            found += strcmp(CASES[k].program, name) == 0;
        if (found < 2)
            fail_msg("%s has %d cases; every lesson should have at least 2", name, found);
    }
}

int main(void)
{
    where.build = getenv("BUILDDIR");
    where.source = getenv("SRCDIR");
    if (!where.build || !where.source) {
        fprintf(stderr, "test_bad_input: BUILDDIR and SRCDIR must be set (meson test sets "
                        "them)\n");
        return 2;
    }
    snprintf(where.empty_dir, sizeof where.empty_dir, "%s/attnlab_bad_empty_XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(where.empty_dir))
        return 2;
    snprintf(where.empty, sizeof where.empty, "%s/empty", where.empty_dir);
    FILE *f = fopen(where.empty, "w");
    if (!f || fclose(f) != 0)
        return 2;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_table_covers_every_program),
        cmocka_unit_test(every_bad_input_is_refused_with_one_line_and_nothing_left),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(where.empty);
    rmdir(where.empty_dir);
    return failed;
}
