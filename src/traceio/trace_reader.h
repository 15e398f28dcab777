/* trace_reader.h: what the three files of the trace reader share (internal
 * to src/traceio, not a public header):
 *   trace_file.c     the file and its lines, the header, the end record
 *   trace_data.c     one line's JSON syntax and its "data" numbers (yajl)
 *   trace_records.c  tensor and softmax row records
 *   trace_attrs.c    a tensor record's "attrs", the op's parameters
 *   trace_fields.c   taking one checked value out of a JSON object, and
 *                    the "PATH:LINE: tensor 'NAME': problem" messages
 * Every function here returns AL_OK or fails through reader_fail. Each
 * names the value in its message as a student finds it in the file:
 * 'role' for a field, data[1][2] for an element. */
#ifndef ATTNLAB_TRACE_READER_H
#define ATTNLAB_TRACE_READER_H

#include <stdbool.h>

#include <jansson.h>

#include "attnlab/trace_file.h"

/* Where the reader is, so every message can start "PATH:LINE: " and name
 * the record it concerns, plus the room in the trace's growing arrays. */
typedef struct reader {
    const char *path;
    int line;                  /* from 1 */
    const char *subject_kind;  /* "tensor" or "softmax row of" */
    const char *subject_name;  /* NULL outside a named record */
    int tensor_capacity;
    int softmax_row_capacity;
    int *name_index;           /* tensors by name: an open hash table of */
    int name_index_capacity;   /* indices into trace->tensors, -1 empty  */
    const al_trace_read_options *options;  /* or NULL: keep everything */
    al_error *err;
} reader;

/* The smallest magnitude that a double-to-float conversion rounds up to
 * infinity: halfway between FLT_MAX = (2 - 2^-23) * 2^127 and 2^128. A
 * conversion of anything this large is undefined behaviour in C, so such a
 * number is refused before the cast. */
#define FLOAT32_OVERFLOW_THRESHOLD 0x1.ffffffp127

/* ---- trace_data.c ----------------------------------------------------------- */

/* What one line's "data" field held, as the parser went by; the line's
 * other fields are left to jansson (line_data_read's caller cuts the bytes
 * from start to end out of the line first). */
typedef struct line_data {
    bool present;              /* the line's object has a "data" field    */
    size_t start, end;         /* bytes after the key "data" to the value's end */
    const char *kind;          /* "a list", or what the value is instead  */
    int n_rows;                /* entries of the list                     */
    int *row_lengths;          /* each row's entries, -1 if it is not a list */
    size_t rows_capacity;
    const char *first_non_list;  /* the kind of the first row not a list, */
    int first_non_list_row;      /* and its index                         */
    bool keep;                 /* the numbers are stored in values        */
    float *values;             /* every entry in order, null as NaN       */
    size_t n_values, values_capacity;
    const char *bad_kind;      /* the first entry that is not a number or  */
    int bad_row, bad_col;      /* null, or NULL; or a number past float32's */
    bool bad_too_large;        /* range (bad_too_large, its value in      */
    double bad_number;         /* bad_number)                             */
} line_data;

/* Parse line (length bytes, no "\n") with yajl: fails "malformed JSON at
 * column C: ..." if it is not JSON, else fills *data (data->present false
 * when the line has no "data" at the top). The caller frees *data with
 * line_data_free, also on failure. */
al_status line_data_read(line_data *data, const reader *r, const char *line, size_t length,
                         const al_trace_read_options *options);

void line_data_free(line_data *data);

/* ---- trace_fields.c --------------------------------------------------------- */

/* Fail with "PATH:LINE: tensor 'NAME': problem" (the tensor part only
 * inside a named record). Returns status. */
al_status reader_fail(const reader *r, al_status status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* "a string", "a number", ...: how a JSON value is named in a message. */
const char *reader_kind_name(const json_t *value);

/* Fail if record has a field not in known (NULL-terminated). */
al_status reader_check_known_fields(const reader *r, json_t *record, const char *const *known);

/* *value = the field called key; fails if it is missing. */
al_status reader_require_field(json_t **value, const reader *r, json_t *record, const char *key);

/* *out = a malloc'd copy of a JSON string. */
al_status reader_copy_string(char **out, const reader *r, const json_t *value, const char *what);

/* A required string field, copied. */
al_status reader_string_field(char **out, const reader *r, json_t *record, const char *key);

/* An optional string field, copied; absent or null leaves *out NULL. */
al_status reader_optional_string_field(char **out, const reader *r, json_t *record,
                                       const char *key);

/* A list of strings (*count of them; NULL when empty). On failure the
 * caller frees what was copied with reader_free_strings(*out, *count). */
al_status reader_string_list(char ***out, int *count, const reader *r, const json_t *list,
                             const char *what);

/* A whole number in [minimum, maximum], as a double. */
al_status reader_whole_number(double *out, const reader *r, const json_t *value,
                              const char *what, double minimum, double maximum);

/* A required whole-number field that fits an int, at least minimum. */
al_status reader_int_field(int *out, const reader *r, json_t *record, const char *key,
                           int minimum);

/* One number as the exact float32 it was written from; with null_allowed,
 * null becomes NaN (a masked entry). */
al_status reader_float(float *out, const reader *r, const json_t *value, const char *what,
                       bool null_allowed);

/* A required number field. */
al_status reader_float_field(float *out, const reader *r, json_t *record, const char *key,
                             bool null_allowed);

/* A list of exactly n numbers into a new array the caller frees (also on
 * failure). */
al_status reader_float_list(float **out, const reader *r, const json_t *list, const char *what,
                            int n, bool null_allowed);

/* Free count strings and the array holding them. */
void reader_free_strings(char **strings, int count);

/* ---- trace_attrs.c ---------------------------------------------------------- */

/* The optional "attrs" object of a tensor record into t->attrs (absent:
 * none). On failure the caller frees what was read with reader_free_attrs. */
al_status reader_tensor_attrs(al_trace_tensor *t, const reader *r, json_t *record);

void reader_free_attrs(al_trace_tensor_attr *attrs, int count);

/* ---- trace_records.c -------------------------------------------------------- */

/* Read a {"kind": "tensor"} line and append it to trace->tensors; its data
 * is what line_data_read found (the record's own "data" is a placeholder). */
al_status reader_tensor_record(al_trace_file *trace, reader *r, json_t *record,
                               line_data *data);

/* Read a {"kind": "softmax_row"} line and append it to trace->softmax_rows. */
al_status reader_softmax_row_record(al_trace_file *trace, reader *r, json_t *record);

/* The tensor called name, or NULL: through r's name index while reading,
 * by a linear search when r is NULL. */
const al_trace_tensor *reader_find_tensor(const al_trace_file *trace, const reader *r,
                                          const char *name);

/* Free what a tensor or softmax row record owns (not the struct itself). */
void reader_free_tensor(al_trace_tensor *t);
void reader_free_softmax_row(al_trace_softmax_row *s);

#endif
