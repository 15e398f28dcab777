/* golden_check.h: what the golden-trace tests share: regenerate the book's
 * traces into a folder (figures/regenerate), and compare every one with
 * its golden copy in traces/ by `attnlab-trace diff`, reporting every
 * trace that differs with the tensors that differ in it.
 * It runs programs and reads their output; it never computes. Include
 * after <cmocka.h>. */
#ifndef ATTNLAB_TESTS_GOLDEN_CHECK_H
#define ATTNLAB_TESTS_GOLDEN_CHECK_H

/* Where the sources, the build and the trace viewer are. */
typedef struct golden_paths {
    const char *source_dir;
    const char *build_dir;
    const char *trace_tool;   /* attnlab-trace */
} golden_paths;

/* Run figures/regenerate into traces_dir, and figures_dir (NULL: traces
 * only, --traces-only), in the environment as it is. Fails the test with
 * the script's stderr if it does not exit 0. */
void golden_regenerate(const golden_paths *paths, const char *traces_dir,
                       const char *figures_dir);

/* Compare each trace figures/book.txt names, as found in traces_dir, with
 * traces/NAME.jsonl. Prints one report for all the traces that differ:
 * each with its summary line and the lines of its differing tensors (at
 * most a dozen; the count of the rest after them). Returns how many traces
 * differ and sets *compared to how many were compared. */
int golden_compare_all(const golden_paths *paths, const char *traces_dir, int *compared);

#endif
