/* select.c: tensors by name or glob, in trace order. It does not read
 * traces (trace_file.h does) or decide what a renderer selects by default. */
#include "select.h"

#include <fnmatch.h>
#include <stdbool.h>
#include <stdlib.h>

bool name_matches_any(const char *name, const char *const *patterns, int n_patterns)
{
    for (int p = 0; p < n_patterns; p++) {
        if (fnmatch(patterns[p], name, 0) == 0) {
            return true;
        }
    }
    return false;
}

al_status select_tensors(const al_trace_tensor ***selected, int *n_selected,
                         const al_trace_file *trace, const char *const *patterns, int n_patterns,
                         al_error *err)
{
    *selected = NULL;
    *n_selected = 0;
    for (int p = 0; p < n_patterns; p++) {
        bool found = false;
        for (int t = 0; t < trace->n_tensors && !found; t++) {
            found = fnmatch(patterns[p], trace->tensors[t].name, 0) == 0;
        }
        if (!found) {
            return al_fail(err, AL_ERR_ARG,
                           "no tensor in the trace matches '%s' (list the names with "
                           "attnlab-trace show)", patterns[p]);
        }
    }
    const al_trace_tensor **chosen = malloc(((size_t)trace->n_tensors + 1) * sizeof *chosen);
    if (!chosen) {
        return al_fail(err, AL_ERR_NOMEM, "out of memory");
    }
    int n = 0;
    for (int t = 0; t < trace->n_tensors; t++) {
        if (name_matches_any(trace->tensors[t].name, patterns, n_patterns)) {
            chosen[n++] = &trace->tensors[t];
        }
    }
    *selected = chosen;
    *n_selected = n;
    return AL_OK;
}
