/* trace_tool.h: the parts of the attnlab-trace program (the trace viewer):
 * the subcommands (trace_show.c, trace_diff.c), called from attnlab_trace.c.
 * Internal to src/tools; not a public header. The program only reads
 * traces (trace_file.h) and lays out text (src/text/text_table.h); it never
 * calls the computing library. */
#ifndef ATTNLAB_TRACE_TOOL_H
#define ATTNLAB_TRACE_TOOL_H

#include <stdbool.h>
#include <stdio.h>

#include "attnlab/trace_file.h"
#include "text_table.h"

/* Exit statuses, as documented in --help. */
enum {
    EXIT_ALL_OK = 0,   /* done; for diff: every tensor agrees               */
    EXIT_DIFFERS = 1,  /* diff found a difference                           */
    EXIT_USAGE = 2     /* bad arguments, or a trace that cannot be read     */
};

/* ---- the subcommands (list and show: trace_show.c; diff: trace_diff.c) ------
 * Each prints its results on stdout, its one error line on stderr, and
 * returns the program's exit status. */

/* list: one aligned line per tensor, then the counts. */
int trace_list(const al_trace_file *trace);

/* show: one tensor as a table, or with show_rows its softmax row records;
 * a name that is not there is an error listing the names near it. */
int trace_show(const al_trace_file *trace, const char *trace_path, const char *name,
               int precision, bool show_rows);

/* One attr as the file has it: 3, "pcg32" or [1, 4, 16] (trace_show.c). */
void trace_print_attr(const al_trace_tensor_attr *attr);

/* The rule for computed tensors: |a - b| <= atol + rtol * |b| + stol * max|b|,
 * max|b| over the tensor (traces/FORMAT.md, "Comparing traces"). */
typedef struct trace_tolerance {
    double atol;  /* absolute                                        */
    double rtol;  /* relative to the entry                           */
    double stol;  /* relative to the largest entry of the tensor     */
} trace_tolerance;

/* diff: compare a with b (the reference) tensor by tensor; inputs and
 * parameters bit for bit, computed tensors within tolerance. With quiet,
 * only the tensors that differ get a line, then the summary. */
int trace_diff(const al_trace_file *a, const al_trace_file *b, const trace_tolerance *tolerance,
               bool quiet);

#endif
