/* trace.h: writing trace files (format v1, see traces/FORMAT.md).
 * A trace records every tensor a computation makes, with its name, role,
 * operation, inputs, shape, labels and exact float32 values, as JSON Lines.
 * The computing functions take an al_trace * and record what they compute;
 * passing NULL means "not tracing" and costs nothing.
 *
 * The file appears whole or not at all: records go to a temporary file
 * beside the destination, and al_trace_close renames it into place only if
 * every write succeeded. After the first failure the trace remembers it,
 * writes nothing more, and al_trace_close reports it and removes the
 * temporary file. This file does no maths except re-deriving the softmax
 * steps it records, through softmax.h. */
#ifndef ATTNLAB_TRACE_H
#define ATTNLAB_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "attnlab/matrix.h"

typedef struct al_trace al_trace;

typedef enum al_role { AL_ROLE_INPUT, AL_ROLE_PARAM, AL_ROLE_ACTIVATION, AL_ROLE_OUTPUT } al_role;

typedef enum al_trace_level {
    AL_TRACE_TENSORS,  /* one record per tensor                           */
    AL_TRACE_ROWS      /* also one record per softmax row, with its steps */
} al_trace_level;

typedef struct al_trace_options {
    const char *program;          /* e.g. "lesson05"                       */
    int argc;                     /* arguments after the program name      */
    const char *const *argv;
    uint64_t seed;
    al_trace_level level;
    const char *filter;           /* fnmatch glob on names; NULL means "*" */
} al_trace_options;

#define AL_TRACE_MAX_INPUTS 16
#define AL_TRACE_MAX_ATTRS 8
#define AL_NAME_SIZE 96           /* room for the longest dotted name */

/* One parameter of an op beyond its inputs: everything a reimplementation
 * needs that is not a tensor (a row index, top-p's mass, a generator's
 * name, a list of widths). Written in the record's "attrs" object in the
 * order given. A number that is whole is
 * written as a whole number, any other as the float32 nearest it (op
 * parameters are float32 or counts); text or list, when set, is written
 * instead of the number. */
typedef struct al_trace_attr {
    const char *name;        /* NULL ends the list                   */
    double number;
    const char *text;        /* a short string, or NULL              */
    const int *list;         /* list_length whole numbers, or NULL   */
    int list_length;
} al_trace_attr;

/* Call sites write .attrs = {AL_ATTR("row", t), AL_ATTR_TEXT("rng", "pcg32")}. */
#define AL_ATTR(attr_name, value) {.name = (attr_name), .number = (value)}
#define AL_ATTR_TEXT(attr_name, value) {.name = (attr_name), .text = (value)}
#define AL_ATTR_LIST(attr_name, values, length) \
    {.name = (attr_name), .list = (values), .list_length = (length)}

/* What a tensor record says besides its numbers. Unused fields stay NULL. */
typedef struct al_tensor_info {
    const char *name;                         /* dotted name, see FORMAT.md   */
    al_role role;
    const char *op;                           /* NULL is written as "given"   */
    const char *inputs[AL_TRACE_MAX_INPUTS];  /* names; stops at first NULL   */
    /* More inputs than inputs[] holds (a stack of one record per step):
     * when input_list is set, its n_input_list names are written instead
     * of inputs[]. The caller owns the names. */
    const char *const *input_list;
    int n_input_list;
    al_trace_attr attrs[AL_TRACE_MAX_ATTRS];  /* stops at first NULL name     */
    const char *const *row_labels;            /* m->rows strings, or NULL     */
    const char *const *col_labels;            /* m->cols strings, or NULL     */
    const char *mask;                         /* name of the mask applied     */
    const char *note;                         /* one sentence for a human     */
    const char *warning;                      /* one sentence, e.g. masked row */
} al_tensor_info;

/* A matrix together with what the trace calls it: its name and one label
 * per row. A call that is not traced needs only the value. */
typedef struct al_named {
    const al_matrix *value;
    const char *name;                 /* dotted name; NULL when not tracing */
    const char *const *labels;        /* one per row, or NULL               */
} al_named;

/* Where a call records what it computes: the trace (NULL: nowhere, and then
 * no name is needed) and the name it records under: the record's own name
 * for a one-step layer ("enc.0.add1"), the prefix of its steps for a layer
 * with several ("enc.0.attn" gives "enc.0.attn.q", ...). The headers
 * write <name> for at.name in the names they list. */
typedef struct al_trace_at {
    al_trace *trace;
    const char *name;
} al_trace_at;

/* The value alone, for a call that is not traced. */
static inline al_named al_unnamed(const al_matrix *value)
{
    return (al_named){.value = value};
}

/* Open a trace that will become path, and write its header. On success the
 * caller owns *trace and must end it with al_trace_close or
 * al_trace_discard. On failure *trace is NULL and nothing is left on disk;
 * a filter with a '[' that no ']' closes fails first, with AL_ERR_ARG. */
al_status al_trace_open(al_trace **trace, const char *path, const al_trace_options *options,
                        al_error *err);

/* Put prefix (copied; NULL or "" for none) before every name the trace
 * writes from now on: each record's name, its inputs' names, its mask's
 * and a softmax row record's, and the filter sees the name with the
 * prefix. A pass that records fixed names (seq2seq.h's s2s.*) can so be
 * recorded several times in one trace, e.g. once per pair of a batch under
 * "batch0.", "batch1.", ..., with every name its records refer to under the
 * same prefix; the caller clears it after the pass. A NULL trace does
 * nothing. */
void al_trace_set_prefix(al_trace *trace, const char *prefix);

/* True when trace is not NULL, has not failed, and name (with the prefix
 * before it) passes the filter: callers can skip building a record nobody
 * will write. */
bool al_trace_wants(const al_trace *trace, const char *name);

/* Record m under info (its names with the prefix before them, if one is
 * set). Entries of -INFINITY are written as null (masked);
 * any other NaN or infinity fails with AL_ERR_VALUE naming the tensor and
 * the entry. A NULL trace or a filtered-out name does nothing and returns
 * AL_OK. */
al_status al_trace_matrix(al_trace *trace, const al_tensor_info *info, const al_matrix *m,
                          al_error *err);

/* At level AL_TRACE_ROWS, record the steps of softmax for every row of
 * scores at temperature T (scores as they went into al_softmax_rows),
 * under weights_name. Otherwise does nothing. */
al_status al_trace_softmax_rows(al_trace *trace, const char *weights_name,
                                const al_matrix *scores, float temperature,
                                const char *const *row_labels, al_error *err);

/* Write the end record, close and rename into place. Frees trace whatever
 * happens. Returns the first error the trace met, if any; then the
 * destination is untouched and the temporary file removed. NULL is a no-op. */
al_status al_trace_close(al_trace *trace, al_error *err);

/* Give up: remove the temporary file and free trace. NULL is a no-op. */
void al_trace_discard(al_trace *trace);

/* printf into a name buffer of AL_NAME_SIZE bytes; returns buf. A name that
 * does not fit is cut short (names in attnlab are far shorter). */
char *al_name(char buf[AL_NAME_SIZE], const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* The library's name and version as written in trace headers. */
const char *al_library_version(void);

#endif
