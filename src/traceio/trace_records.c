/* trace_records.c: the tensor and softmax row records of a trace file, each
 * read from one JSON line, checked against its shape and against the
 * records before it, and appended to the al_trace_file.
 * It does not read the file, its header or its end (trace_file.c). */
#include "trace_reader.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- tensor records ------------------------------------------------------ */

void reader_free_tensor(al_trace_tensor *t)
{
    free(t->name);
    free(t->role);
    free(t->op);
    reader_free_strings(t->inputs, t->n_inputs);
    reader_free_attrs(t->attrs, t->n_attrs);
    reader_free_strings(t->row_labels, t->row_labels ? t->rows : 0);
    reader_free_strings(t->col_labels, t->col_labels ? t->cols : 0);
    free(t->data);
    free(t->mask);
    free(t->note);
    reader_free_strings(t->warnings, t->n_warnings);
}

/* The name index: an open-addressing hash table of tensor indices, so that
 * checking each new name against all earlier ones stays linear in the
 * number of tensors (100,000 tensors took 49 s with a search per name). */
static size_t name_hash(const char *name)
{
    size_t hash = 14695981039346656037u;  /* FNV-1a */
    for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
        hash = (hash ^ *c) * 1099511628211u;
    }
    return hash;
}

/* The slot of name in the index, or the empty slot where it would go. */
static int *index_slot(const reader *r, const al_trace_file *trace, const char *name)
{
    size_t mask = (size_t)r->name_index_capacity - 1;
    for (size_t slot = name_hash(name) & mask;; slot = (slot + 1) & mask) {
        int *entry = &r->name_index[slot];
        if (*entry < 0 || strcmp(trace->tensors[*entry].name, name) == 0) {
            return entry;
        }
    }
}

/* Make the index at least twice the number of tensors (it has room for
 * one more name), rebuilding it from the tensors. */
static al_status grow_name_index(reader *r, const al_trace_file *trace)
{
    if (2 * (trace->n_tensors + 1) <= r->name_index_capacity) {
        return AL_OK;
    }
    int capacity = r->name_index_capacity ? 2 * r->name_index_capacity : 256;
    int *bigger = malloc((size_t)capacity * sizeof *bigger);
    if (!bigger) {
        return reader_fail(r, AL_ERR_NOMEM, "out of memory for %d tensor names", capacity);
    }
    free(r->name_index);
    r->name_index = bigger;
    r->name_index_capacity = capacity;
    for (int i = 0; i < capacity; i++) {
        r->name_index[i] = -1;
    }
    for (int t = 0; t < trace->n_tensors; t++) {
        *index_slot(r, trace, trace->tensors[t].name) = t;
    }
    return AL_OK;
}

/* By the index while reading; a linear search afterwards, in the file's
 * order (al_trace_file_find: a renderer looks up a handful of names). */
const al_trace_tensor *reader_find_tensor(const al_trace_file *trace, const reader *r,
                                          const char *name)
{
    if (r) {
        int found = r->name_index ? *index_slot(r, trace, name) : -1;
        return found >= 0 ? &trace->tensors[found] : NULL;
    }
    for (int i = 0; i < trace->n_tensors; i++) {
        if (strcmp(trace->tensors[i].name, name) == 0) {
            return &trace->tensors[i];
        }
    }
    return NULL;
}

static al_status check_role(const reader *r, const char *role)
{
    static const char *const roles[] = {"input", "param", "activation", "output"};
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        if (strcmp(role, roles[i]) == 0) {
            return AL_OK;
        }
    }
    return reader_fail(r, AL_ERR_FORMAT,
                       "'role' is \"%s\", expected \"input\", \"param\", \"activation\" "
                       "or \"output\"", role);
}

/* shape: [rows, cols], both at least 1. rows * cols must also fit an int so
 * that al_trace_tensor_at's index arithmetic stays in range. */
static al_status read_shape(al_trace_tensor *t, const reader *r, json_t *record)
{
    json_t *shape;
    double rows, cols;
    al_status status = reader_require_field(&shape, r, record, "shape");
    if (status != AL_OK) {
        return status;
    }
    if (!json_is_array(shape) || json_array_size(shape) != 2) {
        return reader_fail(r, AL_ERR_FORMAT,
                           "'shape' must be a list of two whole numbers [rows, cols]");
    }
    status = reader_whole_number(&rows, r, json_array_get(shape, 0), "shape[0] (rows)", 1,
                                 INT_MAX);
    if (status == AL_OK) {
        status = reader_whole_number(&cols, r, json_array_get(shape, 1), "shape[1] (cols)", 1,
                                     INT_MAX);
    }
    if (status == AL_OK && rows * cols > INT_MAX) {
        status = reader_fail(r, AL_ERR_FORMAT, "shape %.0fx%.0f is too large", rows, cols);
    }
    if (status == AL_OK) {
        t->rows = (int)rows;
        t->cols = (int)cols;
    }
    return status;
}

/* Row or column labels: null (none) or one string per row or column.
 * key is "rows" or "cols"; expected_count comes from the shape. */
static al_status read_labels(char ***labels, const reader *r, json_t *record, const char *key,
                             int expected_count)
{
    json_t *value;
    int count = 0;
    const char *which = strcmp(key, "rows") == 0 ? "row" : "column";
    char what[64];
    *labels = NULL;
    al_status status = reader_require_field(&value, r, record, key);
    if (status != AL_OK || json_is_null(value)) {
        return status;
    }
    if (json_is_array(value) && json_array_size(value) != (size_t)expected_count) {
        return reader_fail(r, AL_ERR_FORMAT, "%zu %s labels but shape says %d %ss",
                           json_array_size(value), which, expected_count, which);
    }
    snprintf(what, sizeof what, "'%s' labels", key);
    status = reader_string_list(labels, &count, r, value, what);
    if (status != AL_OK) {
        reader_free_strings(*labels, count);
        *labels = NULL;
    }
    return status;
}

/* Check that data is a list of t->rows lists of t->cols entries, each a
 * number or null. line_data_read only noted what it found: nothing was
 * allocated from the shape, so a shape of [1, 2000000000] with a short row
 * is refused, not allocated. */
static al_status check_data(const al_trace_tensor *t, const reader *r, const line_data *data)
{
    if (strcmp(data->kind, "a list") != 0) {
        return reader_fail(r, AL_ERR_FORMAT, "'data' is %s, expected a list of %d rows",
                           data->kind, t->rows);
    }
    if (data->n_rows != t->rows) {
        return reader_fail(r, AL_ERR_FORMAT, "data has %d rows but shape says %d",
                           data->n_rows, t->rows);
    }
    for (int i = 0; i < t->rows; i++) {
        if (data->row_lengths[i] < 0) {
            return reader_fail(r, AL_ERR_FORMAT, "data[%d] is %s, expected a list of %d numbers", i,
                               data->first_non_list, t->cols);
        }
        if (data->row_lengths[i] != t->cols) {
            return reader_fail(r, AL_ERR_FORMAT,
                               "data[%d] has %d entries but shape says %d columns", i,
                               data->row_lengths[i], t->cols);
        }
    }
    if (data->bad_kind && data->bad_too_large) {
        return reader_fail(r, AL_ERR_FORMAT, "data[%d][%d] is %g, too large for a float32",
                           data->bad_row, data->bad_col, data->bad_number);
    }
    if (data->bad_kind) {
        return reader_fail(r, AL_ERR_FORMAT, "data[%d][%d] is %s, expected a number or null",
                           data->bad_row, data->bad_col, data->bad_kind);
    }
    return AL_OK;
}

/* data: rows lists of cols numbers or nulls, stored row-major in t->data
 * (rows * cols floats) with null as NaN, when the reader keeps it. */
static al_status read_tensor_data(al_trace_tensor *t, const reader *r, line_data *data)
{
    if (!data->present) {
        return reader_fail(r, AL_ERR_FORMAT, "missing field 'data'");
    }
    al_status status = check_data(t, r, data);
    const al_trace_read_options *o = r->options;
    bool wanted = data->keep &&
                  (!o || !o->keep_data || o->keep_data(o->context, t->name, t->op, t->rows,
                                                       t->cols));
    if (status == AL_OK && wanted) {
        t->data = data->values;
        data->values = NULL;
    }
    return status;
}

/* The fields besides name and data: what made the tensor and what it means. */
static al_status read_tensor_description(al_trace_tensor *t, const reader *r, json_t *record)
{
    json_t *value;
    char *dtype = NULL;
    al_status status = reader_string_field(&t->role, r, record, "role");
    if (status == AL_OK) status = check_role(r, t->role);
    if (status == AL_OK) status = reader_string_field(&t->op, r, record, "op");
    if (status == AL_OK) status = reader_require_field(&value, r, record, "inputs");
    if (status == AL_OK) {
        status = reader_string_list(&t->inputs, &t->n_inputs, r, value, "'inputs'");
    }
    if (status == AL_OK) status = reader_tensor_attrs(t, r, record);
    if (status == AL_OK) status = read_shape(t, r, record);
    if (status == AL_OK) status = read_labels(&t->row_labels, r, record, "rows", t->rows);
    if (status == AL_OK) status = read_labels(&t->col_labels, r, record, "cols", t->cols);
    if (status == AL_OK) status = reader_string_field(&dtype, r, record, "dtype");
    if (status == AL_OK && strcmp(dtype, "float32") != 0) {
        status = reader_fail(r, AL_ERR_FORMAT, "'dtype' is \"%s\", expected \"float32\"", dtype);
    }
    free(dtype);
    if (status == AL_OK) status = reader_optional_string_field(&t->mask, r, record, "mask");
    if (status == AL_OK) status = reader_optional_string_field(&t->note, r, record, "note");
    value = json_object_get(record, "warnings");
    if (status == AL_OK && value && !json_is_null(value)) {
        status = reader_string_list(&t->warnings, &t->n_warnings, r, value, "'warnings'");
    }
    return status;
}

/* Make room for one more tensor in trace->tensors. */
static al_status grow_tensors(al_trace_file *trace, reader *r)
{
    if (trace->n_tensors < r->tensor_capacity) {
        return AL_OK;
    }
    int capacity = r->tensor_capacity ? 2 * r->tensor_capacity : 64;
    al_trace_tensor *bigger = realloc(trace->tensors, (size_t)capacity * sizeof *bigger);
    if (!bigger) {
        return reader_fail(r, AL_ERR_NOMEM, "out of memory for %d tensors", capacity);
    }
    trace->tensors = bigger;
    r->tensor_capacity = capacity;
    return AL_OK;
}

/* All of one tensor record into *t; on failure the caller frees *t's fields. */
static al_status read_tensor_fields(al_trace_tensor *t, const al_trace_file *trace, reader *r,
                                    json_t *record, line_data *data)
{
    static const char *const known[] = {"kind", "name", "role", "op", "inputs", "attrs",
                                        "shape", "rows", "cols", "dtype", "data", "mask", "note",
                                        "warnings", NULL};
    al_status status = reader_string_field(&t->name, r, record, "name");
    if (status != AL_OK) {
        return status;
    }
    r->subject_kind = "tensor";
    r->subject_name = t->name;
    const al_trace_tensor *earlier = reader_find_tensor(trace, r, t->name);
    if (earlier) {
        return reader_fail(r, AL_ERR_FORMAT, "name used twice (first on line %d)", earlier->line);
    }
    status = reader_check_known_fields(r, record, known);
    if (status == AL_OK) status = read_tensor_description(t, r, record);
    if (status == AL_OK) status = read_tensor_data(t, r, data);
    return status;
}

al_status reader_tensor_record(al_trace_file *trace, reader *r, json_t *record,
                               line_data *data)
{
    al_trace_tensor tensor = {.line = r->line};
    al_status status = grow_name_index(r, trace);
    if (status == AL_OK) status = read_tensor_fields(&tensor, trace, r, record, data);
    if (status == AL_OK) status = grow_tensors(trace, r);
    if (status == AL_OK) {
        trace->tensors[trace->n_tensors] = tensor;
        *index_slot(r, trace, tensor.name) = trace->n_tensors++;
    } else {
        reader_free_tensor(&tensor);
    }
    r->subject_name = NULL;
    return status;
}

/* ---- softmax row records (level "rows") ---------------------------------- */

void reader_free_softmax_row(al_trace_softmax_row *s)
{
    free(s->name);
    free(s->label);
    free(s->scores);
    free(s->exps);
    free(s->weights);
}

/* The weights tensor a softmax row belongs to: it must come earlier in the
 * file (FORMAT.md: "after the tensor record of the weights"), and the row
 * must be one of its rows. Sets s->n to its number of columns. */
static al_status check_softmax_row_tensor(al_trace_softmax_row *s, const al_trace_file *trace,
                                          const reader *r)
{
    if (strcmp(trace->level, "rows") != 0) {
        return reader_fail(r, AL_ERR_FORMAT,
                           "softmax row records need level \"rows\" but the header says \"%s\"",
                           trace->level);
    }
    const al_trace_tensor *weights = reader_find_tensor(trace, r, s->name);
    if (!weights) {
        return reader_fail(r, AL_ERR_FORMAT, "no tensor of that name before this line");
    }
    if (s->row >= weights->rows) {
        return reader_fail(r, AL_ERR_FORMAT, "'row' is %d but the tensor has %d rows (from 0)",
                           s->row, weights->rows);
    }
    s->n = weights->cols;
    return AL_OK;
}

/* The steps of softmax for the row: scores, max, exp, sum, weights. Only
 * scores and max may be null (masked; max when every score is masked). */
static al_status read_softmax_steps(al_trace_softmax_row *s, const reader *r, json_t *record)
{
    json_t *value;
    al_status status = reader_float_field(&s->temperature, r, record, "temperature", false);
    if (status == AL_OK && !(s->temperature > 0)) {
        status = reader_fail(r, AL_ERR_FORMAT, "'temperature' is %g, expected a positive number",
                             (double)s->temperature);
    }
    if (status == AL_OK) status = reader_require_field(&value, r, record, "scores");
    if (status == AL_OK) status = reader_float_list(&s->scores, r, value, "'scores'", s->n, true);
    if (status == AL_OK) status = reader_float_field(&s->max, r, record, "max", true);
    if (status == AL_OK) status = reader_require_field(&value, r, record, "exp");
    if (status == AL_OK) status = reader_float_list(&s->exps, r, value, "'exp'", s->n, false);
    if (status == AL_OK) status = reader_float_field(&s->sum, r, record, "sum", false);
    if (status == AL_OK) status = reader_require_field(&value, r, record, "weights");
    if (status == AL_OK) {
        status = reader_float_list(&s->weights, r, value, "'weights'", s->n, false);
    }
    return status;
}

static al_status read_softmax_row_fields(al_trace_softmax_row *s, const al_trace_file *trace,
                                         reader *r, json_t *record)
{
    static const char *const known[] = {"kind", "name", "row", "label", "temperature", "scores",
                                        "max", "exp", "sum", "weights", NULL};
    al_status status = reader_string_field(&s->name, r, record, "name");
    if (status != AL_OK) {
        return status;
    }
    r->subject_kind = "softmax row of";
    r->subject_name = s->name;
    status = reader_check_known_fields(r, record, known);
    if (status == AL_OK) status = reader_int_field(&s->row, r, record, "row", 0);
    if (status == AL_OK) status = check_softmax_row_tensor(s, trace, r);
    if (status == AL_OK && !json_object_get(record, "label")) {
        status = reader_fail(r, AL_ERR_FORMAT, "missing field 'label'");
    }
    if (status == AL_OK) status = reader_optional_string_field(&s->label, r, record, "label");
    if (status == AL_OK) status = read_softmax_steps(s, r, record);
    return status;
}

static al_status grow_softmax_rows(al_trace_file *trace, reader *r)
{
    if (trace->n_softmax_rows < r->softmax_row_capacity) {
        return AL_OK;
    }
    int capacity = r->softmax_row_capacity ? 2 * r->softmax_row_capacity : 64;
    al_trace_softmax_row *bigger = realloc(trace->softmax_rows, (size_t)capacity * sizeof *bigger);
    if (!bigger) {
        return reader_fail(r, AL_ERR_NOMEM, "out of memory for %d softmax rows", capacity);
    }
    trace->softmax_rows = bigger;
    r->softmax_row_capacity = capacity;
    return AL_OK;
}

al_status reader_softmax_row_record(al_trace_file *trace, reader *r, json_t *record)
{
    al_trace_softmax_row row = {.line = r->line};
    al_status status = read_softmax_row_fields(&row, trace, r, record);
    if (status == AL_OK) status = grow_softmax_rows(trace, r);
    if (status == AL_OK) {
        trace->softmax_rows[trace->n_softmax_rows++] = row;
    } else {
        reader_free_softmax_row(&row);
    }
    r->subject_name = NULL;
    return status;
}
