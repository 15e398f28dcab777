/* trace_file.h: reading a trace file (format v1, traces/FORMAT.md) into
 * memory, for renderers, the trace viewer and tests.
 * This is the reading side only, built on yajl (each line's syntax and its
 * numbers, streamed) and jansson (the other fields); it never includes the
 * computing library, so renderers can link it without the maths. */
#ifndef ATTNLAB_TRACE_FILE_H
#define ATTNLAB_TRACE_FILE_H

#include <stdbool.h>
#include <stdint.h>

#include "attnlab/status.h"

/* One entry of a tensor's "attrs": a parameter of the op that made it
 * (FORMAT.md, "Tensor records"), a number, a string or a list of numbers. */
typedef enum al_trace_attr_kind {
    AL_TRACE_ATTR_NUMBER,
    AL_TRACE_ATTR_TEXT,
    AL_TRACE_ATTR_LIST
} al_trace_attr_kind;

typedef struct al_trace_tensor_attr {
    char *name;
    al_trace_attr_kind kind;
    double number;       /* AL_TRACE_ATTR_NUMBER                       */
    char *text;          /* AL_TRACE_ATTR_TEXT, else NULL              */
    double *list;        /* AL_TRACE_ATTR_LIST: list_length numbers    */
    int list_length;
} al_trace_tensor_attr;

/* One tensor record. Strings are owned by the al_trace_file. */
typedef struct al_trace_tensor {
    char *name;
    char *role;          /* "input", "param", "activation" or "output" */
    char *op;
    char **inputs;       /* n_inputs names */
    int n_inputs;
    al_trace_tensor_attr *attrs;  /* n_attrs, in the file's order */
    int n_attrs;
    int rows, cols;
    char **row_labels;   /* rows strings, or NULL when the trace has none */
    char **col_labels;   /* cols strings, or NULL */
    float *data;         /* rows * cols, row-major; null entries are NaN;
                          * NULL when keep_data did not want it */
    char *mask;          /* name of the mask applied, or NULL */
    char *note;          /* or NULL */
    char **warnings;     /* n_warnings sentences */
    int n_warnings;
    int line;            /* line number in the file, from 1 */
} al_trace_tensor;

/* One softmax row record (level "rows"). null entries are NaN. */
typedef struct al_trace_softmax_row {
    char *name;          /* the weights tensor it belongs to */
    int row;
    char *label;         /* or NULL */
    float temperature;
    int n;
    float *scores, *exps, *weights;  /* n each */
    float max;           /* NaN when the row was fully masked */
    float sum;
    int line;
} al_trace_softmax_row;

typedef struct al_trace_file {
    int version;
    char *program;
    char **args;
    int n_args;
    uint64_t seed;
    char *library;
    char *level;         /* "tensors" or "rows" */
    char *filter;
    al_trace_tensor *tensors;
    int n_tensors;
    al_trace_softmax_row *softmax_rows;
    int n_softmax_rows;
} al_trace_file;

/* The largest trace file the reader takes (2 GiB): a larger file is
 * refused before reading, a larger stream (a pipe, /dev/zero) when the
 * reading gets there. */
#define AL_TRACE_FILE_MAX_BYTES ((size_t)2 << 30)

/* What a reader that draws a few tensors may leave out. */
typedef struct al_trace_read_options {
    /* Asked for each tensor with its name, op and shape, before its numbers
     * are stored: false leaves the tensor's data NULL (the numbers are
     * still checked). NULL keeps every tensor's data. A heatmap of one
     * tensor of a 2 GB trace thus holds one tensor's numbers. */
    bool (*keep_data)(void *context, const char *name, const char *op, int rows, int cols);
    void *context;
} al_trace_read_options;

/* Read and check a whole trace. On success the caller owns *trace and frees
 * it with al_trace_file_free. On failure *trace is NULL and err says which
 * line and what is wrong ("t.jsonl:7: tensor 'q': data has 3 rows but shape
 * says 2"): malformed JSON, a missing or wrong-version header, a missing end
 * record (truncated file), a bad field, ragged data, duplicate names, a
 * NUL byte (a binary file, found in the first block read), a file larger
 * than AL_TRACE_FILE_MAX_BYTES. */
al_status al_trace_file_read(al_trace_file **trace, const char *path, al_error *err);

/* al_trace_file_read, keeping only the data options->keep_data wants
 * (options NULL: all of it). The file is read a line at a time: memory is
 * the longest line and what is kept. */
al_status al_trace_file_read_with(al_trace_file **trace, const char *path,
                                  const al_trace_read_options *options, al_error *err);

void al_trace_file_free(al_trace_file *trace);

/* The tensor called name, or NULL. */
const al_trace_tensor *al_trace_file_find(const al_trace_file *trace, const char *name);

/* The attr of t called name, or NULL when t has none of that name. */
const al_trace_tensor_attr *al_trace_tensor_find_attr(const al_trace_tensor *t,
                                                      const char *name);

/* Element (i, j) of t. */
static inline float al_trace_tensor_at(const al_trace_tensor *t, int i, int j)
{
    return t->data[(long)i * t->cols + j];
}

/* True when element (i, j) was null in the file (a masked entry). */
bool al_trace_tensor_is_null(const al_trace_tensor *t, int i, int j);

#endif
