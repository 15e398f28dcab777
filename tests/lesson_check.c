/* lesson_check.c: running lessons and checking their traces and outputs
 * from tests (see lesson_check.h). */
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

void lesson_folder_make(lesson_folder *folder)
{
    snprintf(folder->path, sizeof folder->path, "/tmp/attnlab-lesson-XXXXXX");
    assert_non_null(mkdtemp(folder->path));
}

void lesson_folder_remove(lesson_folder *folder)
{
    run_result r;
    if (run_program_args(&r, NULL, "/bin/rm", "-rf", folder->path, NULL) == 0)
        run_result_free(&r);
}

int lesson_folder_setup(void **state)
{
    lesson_folder *folder = malloc(sizeof *folder);
    assert_non_null(folder);
    lesson_folder_make(folder);
    *state = folder;
    return 0;
}

int lesson_folder_teardown(void **state)
{
    lesson_folder_remove(*state);
    free(*state);
    return 0;
}

static void folder_path(char *buf, size_t size, const lesson_folder *folder, const char *name)
{
    snprintf(buf, size, "%s/%s", folder->path, name);
}

int lesson_file_exists(const lesson_folder *folder, const char *name)
{
    char path[4096];
    folder_path(path, sizeof path, folder, name);
    return access(path, F_OK) == 0;
}

char *lesson_file_text(const lesson_folder *folder, const char *name, size_t *length)
{
    char path[4096];
    folder_path(path, sizeof path, folder, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    size_t size = 0, room = 1 << 16;
    char *text = malloc(room);
    assert_non_null(text);
    for (size_t n; (n = fread(text + size, 1, room - size - 1, f)) > 0;) {
        size += n;
        if (room - size - 1 == 0) {
            room *= 2;
            text = realloc(text, room);
            assert_non_null(text);
        }
    }
    assert_false(ferror(f));
    fclose(f);
    text[size] = '\0';
    if (length)
        *length = size;
    return text;
}

void lesson_run(run_result *result, const char *exe, const lesson_folder *folder,
                const char *trace_name, int with_figures, const char *const *extra)
{
    char trace[4096];
    snprintf(trace, sizeof trace, "%s/%s", folder->path, trace_name);
    const char *argv[64] = {exe, "--trace", trace, "--no-color"};
    int n = 4;
    if (with_figures) {
        argv[n++] = "--figures";
        argv[n++] = folder->path;
    } else {
        argv[n++] = "--no-figures";
    }
    for (int i = 0; extra && extra[i] && n < 63; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    if (run_program(result, argv, NULL) != 0)
        fail_msg("could not start %s", exe);
}

al_trace_file *lesson_trace(const lesson_folder *folder, const char *trace_name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", folder->path, trace_name);
    al_trace_file *trace = NULL;
    al_error err = {0};
    if (al_trace_file_read(&trace, path, &err) != AL_OK)
        fail_msg("reading the lesson's trace: %s", err.message);
    return trace;
}

al_trace_file *lesson_run_ok(run_result *result, const char *exe, const lesson_folder *folder,
                             const char *trace_name, const char *const *extra)
{
    lesson_run(result, exe, folder, trace_name, 0, extra);
    if (result->exit_code != 0)
        fail_msg("%s exited %d: %s", exe, result->exit_code, result->err);
    return lesson_trace(folder, trace_name);
}

/* The first byte where a and b differ, or -1 when they are the same. */
static long first_difference(const char *a, size_t a_length, const char *b, size_t b_length)
{
    size_t n = a_length < b_length ? a_length : b_length;
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return (long)i;
    return a_length == b_length ? -1 : (long)n;
}

void expect_runs_repeat_exactly(const char *exe, const lesson_folder *folder,
                                const char *const *extra)
{
    run_result first, second;
    al_trace_file_free(lesson_run_ok(&first, exe, folder, "t.jsonl", extra));
    size_t first_length, second_length;
    char *first_trace = lesson_file_text(folder, "t.jsonl", &first_length);
    al_trace_file_free(lesson_run_ok(&second, exe, folder, "t.jsonl", extra));
    char *second_trace = lesson_file_text(folder, "t.jsonl", &second_length);
    long trace_at = first_difference(first_trace, first_length, second_trace, second_length);
    long out_at = first_difference(first.out, first.out_length, second.out, second.out_length);
    free(first_trace);
    free(second_trace);
    run_result_free(&first);
    run_result_free(&second);
    if (trace_at >= 0)
        fail_msg("%s wrote a different trace the second time, from byte %ld", exe, trace_at);
    if (out_at >= 0)
        fail_msg("%s printed something different the second time, from byte %ld", exe, out_at);
}

void expect_refusal(const char *exe, const lesson_folder *folder, const char *const *extra,
                    const char *words)
{
    run_result r;
    lesson_run(&r, exe, folder, "t.jsonl", 0, extra);
    assert_int_equal(r.exit_code, 2);
    if (!strstr(r.err, words))
        fail_msg("stderr '%s' does not say '%s'", r.err, words);
    const char *newline = strchr(r.err, '\n');
    if (!newline || newline + 1 != r.err + r.err_length)
        fail_msg("stderr is not exactly one line: '%s'", r.err);
    assert_false(lesson_file_exists(folder, "t.jsonl"));
    run_result_free(&r);
}

void expect_figures(run_result *result, const char *exe, const lesson_folder *folder,
                    const char *const *extra, const char *const *files)
{
    lesson_run(result, exe, folder, "t.jsonl", 1, extra);
    if (result->exit_code != 0)
        fail_msg("%s exited %d: %s", exe, result->exit_code, result->err);
    for (int i = 0; files[i]; i++)
        if (!lesson_file_exists(folder, files[i]))
            fail_msg("%s was not drawn", files[i]);
}

void expect_help_mentions(const char *exe, const char *const *parts)
{
    run_result r;
    assert_int_equal(run_program_args(&r, NULL, exe, "--help", NULL), 0);
    assert_int_equal(r.exit_code, 0);
    for (int i = 0; parts[i]; i++)
        if (!strstr(r.out, parts[i]))
            fail_msg("%s --help does not say '%s'", exe, parts[i]);
    run_result_free(&r);
}

int row_argmax(const al_trace_tensor *t, int row)
{
    int best = 0;
    for (int j = 1; j < t->cols; j++)
        if (al_trace_tensor_at(t, row, j) > al_trace_tensor_at(t, row, best))
            best = j;
    return best;
}

const char *strongest_other_key(const al_trace_tensor *w, const char *word)
{
    int i = -1;
    for (int r = 0; r < w->rows; r++)
        if (strcmp(w->row_labels[r], word) == 0)
            i = r;
    if (i < 0)
        fail_msg("'%s' has no row '%s'", w->name, word);
    int best = -1;
    for (int j = 0; j < w->cols; j++)
        if (j != i && (best < 0 || al_trace_tensor_at(w, i, j) > al_trace_tensor_at(w, i, best)))
            best = j;
    return w->col_labels[best];
}

const al_trace_tensor *expect_tensor(const al_trace_file *trace, const char *name, int rows,
                                     int cols)
{
    const al_trace_tensor *t = al_trace_file_find(trace, name);
    if (!t)
        fail_msg("the trace has no tensor '%s'", name);
    if (t->rows != rows || t->cols != cols)
        fail_msg("'%s' is %d x %d, expected %d x %d", name, t->rows, t->cols, rows, cols);
    return t;
}

void expect_labels(const al_trace_tensor *t, char which, const char *comma_separated)
{
    char *const *labels = which == 'r' ? t->row_labels : t->col_labels;
    int count = which == 'r' ? t->rows : t->cols;
    if (!labels)
        fail_msg("'%s' has no %s labels", t->name, which == 'r' ? "row" : "column");
    const char *p = comma_separated;
    for (int i = 0; i < count; i++) {
        size_t n = strcspn(p, ",");
        if (strlen(labels[i]) != n || strncmp(labels[i], p, n) != 0)
            fail_msg("'%s' label %d is '%s', expected '%.*s'", t->name, i, labels[i], (int)n, p);
        p += n + (p[n] == ',');
    }
    if (*p)
        fail_msg("'%s' has fewer labels than '%s'", t->name, comma_separated);
}

void expect_in_order(const char *text, const char *const *parts)
{
    const char *at = text;
    for (int i = 0; parts[i]; i++) {
        const char *found = strstr(at, parts[i]);
        if (!found)
            fail_msg("'%s' is missing from the printout, or out of order", parts[i]);
        at = found + strlen(parts[i]);
    }
}
