/* lesson_check.c: running lessons and checking their traces from tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void lesson_run(run_result *result, const char *exe, const lesson_folder *folder,
                const char *trace_name, int with_figures, const char *const *extra)
{
    char trace[256];
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
    char path[256];
    snprintf(path, sizeof path, "%s/%s", folder->path, trace_name);
    al_trace_file *trace = NULL;
    al_error err = {0};
    if (al_trace_file_read(&trace, path, &err) != AL_OK)
        fail_msg("reading the lesson's trace: %s", err.message);
    return trace;
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
