/* select.h: choosing tensors of a trace by name or glob ("enc.0.attn.h*.weights"),
 * for both renderers. Globs are fnmatch(3) patterns; '.' is an ordinary
 * character, so '*' runs across dots. Not a query language. */
#ifndef ATTNLAB_RENDER_SELECT_H
#define ATTNLAB_RENDER_SELECT_H

#include <stdbool.h>

#include "attnlab/status.h"
#include "attnlab/trace_file.h"

/* The tensors whose names match any of the n_patterns patterns, in the
 * order of the trace, each once. *selected is an array of *n_selected
 * pointers into trace, which the caller frees with free() (the tensors
 * stay the trace's). A pattern that matches nothing is an error
 * (AL_ERR_ARG) naming it, so a typing mistake is not silently a smaller
 * figure. */
/* True when name matches one of the n_patterns globs. */
bool name_matches_any(const char *name, const char *const *patterns, int n_patterns);

al_status select_tensors(const al_trace_tensor ***selected, int *n_selected,
                         const al_trace_file *trace, const char *const *patterns, int n_patterns,
                         al_error *err);

#endif
