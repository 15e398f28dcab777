/* lesson_check.h: what every lesson test needs: run a lesson into a fresh
 * folder, read the trace it wrote, and check tensors, labels and the order
 * of the printout; and the checks every lesson owes its readers (same
 * command, same bytes; refusals of one line; figures drawn; the --help
 * example). Built on run_program.h and the trace reader; it checks, it
 * never computes. Include after <cmocka.h>. */
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

/* The same as cmocka setup and teardown: lesson_folder_setup puts a fresh
 * malloc'd folder in *state; lesson_folder_teardown removes it and frees it. */
int lesson_folder_setup(void **state);
int lesson_folder_teardown(void **state);

/* A cmocka test that gets a fresh lesson_folder in *state. */
#define lesson_test(test) \
    cmocka_unit_test_setup_teardown(test, lesson_folder_setup, lesson_folder_teardown)

/* <folder>/<name> exists (a file or a folder). */
int lesson_file_exists(const lesson_folder *folder, const char *name);

/* All of <folder>/<name>, NUL-terminated; *length (if not NULL) gets its
 * size in bytes. Fails the test if the file cannot be read. The caller
 * frees the text with free. */
char *lesson_file_text(const lesson_folder *folder, const char *name, size_t *length);

/* Run the lesson program exe with --trace <folder>/<trace_name>, --no-color,
 * --no-figures unless with_figures (then --figures <folder>), and the extra
 * arguments (NULL-terminated, may be NULL). Fails the test if it cannot be
 * started. The caller frees *result with run_result_free. */
void lesson_run(run_result *result, const char *exe, const lesson_folder *folder,
                const char *trace_name, int with_figures, const char *const *extra);

/* Read <folder>/<trace_name>; fails the test with the reader's message. */
al_trace_file *lesson_trace(const lesson_folder *folder, const char *trace_name);

/* lesson_run without figures, then: fails the test (with the exit code and
 * stderr) unless the lesson exited 0, and returns the trace it wrote. The
 * caller frees the trace with al_trace_file_free and *result with
 * run_result_free. */
al_trace_file *lesson_run_ok(run_result *result, const char *exe, const lesson_folder *folder,
                             const char *trace_name, const char *const *extra);

/* Same command, same bytes: runs exe twice with extra (as lesson_run_ok,
 * trace t.jsonl) and fails the test unless both runs exit 0 and write the
 * same trace bytes and the same stdout. */
void expect_runs_repeat_exactly(const char *exe, const lesson_folder *folder,
                                const char *const *extra);

/* A refusal: exe run with extra (as lesson_run, trace t.jsonl) exits 2
 * with exactly one line on stderr that contains words, and leaves no trace
 * file behind. */
void expect_refusal(const char *exe, const lesson_folder *folder, const char *const *extra,
                    const char *words);

/* Figures drawn: runs exe with --figures <folder> and extra (as
 * lesson_run with_figures, trace t.jsonl) and fails the test unless it
 * exits 0 and every file of the NULL-terminated list files is in folder
 * ("t-flow.svg was not drawn"). *result is left for more checks; the
 * caller frees it with run_result_free. */
void expect_figures(run_result *result, const char *exe, const lesson_folder *folder,
                    const char *const *extra, const char *const *files);

/* exe --help exits 0 and its stdout contains each string of the
 * NULL-terminated list parts (the lesson's example command first). */
void expect_help_mentions(const char *exe, const char *const *parts);

/* The tensor called name with shape rows x cols; fails the test otherwise. */
const al_trace_tensor *expect_tensor(const al_trace_file *trace, const char *name, int rows,
                                     int cols);

/* labels (rows when which == 'r', cols when 'c') equal the comma-separated list. */
void expect_labels(const al_trace_tensor *t, char which, const char *comma_separated);

/* In the weights w (query rows, key columns, both labelled), the key other
 * than the query itself that the row labelled word weighs most (the last
 * such row if the word occurs twice). Fails the test if no row is word. */
const char *strongest_other_key(const al_trace_tensor *w, const char *word);

/* The column of row's largest entry in t (the first on a tie). */
int row_argmax(const al_trace_tensor *t, int row);

/* Each string of the NULL-terminated list occurs in text, in that order. */
void expect_in_order(const char *text, const char *const *parts);

#endif
