/* lesson_check.h: what every lesson test needs: run a lesson into a fresh
 * folder, read the trace it wrote, and check tensors, labels and the order
 * of the printout. Built on run_program.h and the trace reader; it checks,
 * it never computes. Include after <cmocka.h>. */
#ifndef ATTNLAB_TESTS_LESSON_CHECK_H
#define ATTNLAB_TESTS_LESSON_CHECK_H

#include "attnlab/trace_file.h"
#include "run_program.h"

/* A fresh folder under /tmp; lesson_folder_remove deletes it and all it holds. */
typedef struct lesson_folder {
    char path[64];
} lesson_folder;

void lesson_folder_make(lesson_folder *folder);
void lesson_folder_remove(lesson_folder *folder);

/* Run the lesson program exe with --trace <folder>/<trace_name>, --no-color,
 * --no-figures unless with_figures (then --figures <folder>), and the extra
 * arguments (NULL-terminated, may be NULL). Fails the test if it cannot be
 * started. The caller frees *result with run_result_free. */
void lesson_run(run_result *result, const char *exe, const lesson_folder *folder,
                const char *trace_name, int with_figures, const char *const *extra);

/* Read <folder>/<trace_name>; fails the test with the reader's message. */
al_trace_file *lesson_trace(const lesson_folder *folder, const char *trace_name);

/* The tensor called name with shape rows x cols; fails the test otherwise. */
const al_trace_tensor *expect_tensor(const al_trace_file *trace, const char *name, int rows,
                                     int cols);

/* labels (rows when which == 'r', cols when 'c') equal the comma-separated list. */
void expect_labels(const al_trace_tensor *t, char which, const char *comma_separated);

/* Each string of the NULL-terminated list occurs in text, in that order. */
void expect_in_order(const char *text, const char *const *parts);

#endif
