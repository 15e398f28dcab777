/* traced.h: two small helpers shared by the layers, positional encodings
 * and decoding for the names they trace under. Internal; not installed.
 * The writing itself is trace.h's al_trace_tensor. */
#ifndef ATTNLAB_TRACED_H
#define ATTNLAB_TRACED_H

#include "attnlab/trace.h"

/* A traced call needs a name to write under; an untraced one may pass NULL.
 * Fails with AL_ERR_ARG naming what (e.g. "layer norm") otherwise. */
static inline al_status need_name_when_tracing(const al_trace *trace, const char *name,
                                               const char *what, al_error *err)
{
    if (trace && !name)
        return al_fail(err, AL_ERR_ARG, "%s: tracing needs a name to write under", what);
    return AL_OK;
}

/* The name to use in an error message: the trace name if there is one,
 * else a description of the operation. */
static inline const char *name_for_message(const char *name, const char *what)
{
    return name ? name : what;
}

#endif
