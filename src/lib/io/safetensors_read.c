/* safetensors_read.c: reading a safetensors file strictly (what is refused,
 * and why, is listed in safetensors.h). Everything about the header is
 * checked before any tensor is allocated or any data is read.
 * Writing is safetensors_write.c; what the tensors mean is model_file.c. */
#include "attnlab/safetensors.h"

#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One tensor as the header describes it, before its data is read. */
typedef struct entry {
    const char *name;    /* points into the parsed JSON */
    int rows, cols;
    long long begin, end;
} entry;

/* What reading needs to carry around. */
typedef struct reader {
    const char *path;
    FILE *file;
    unsigned long long header_length;
    unsigned long long data_length;  /* bytes after the header */
    json_t *header;
    entry *entries;
    int count;
} reader;

void al_safetensors_free(al_safetensors *file)
{
    if (!file)
        return;
    for (int t = 0; t < file->count; t++) {
        free((char *)file->tensors[t].name);
        al_matrix_free(&file->tensors[t].value);
    }
    for (int e = 0; e < file->metadata_count; e++) {
        free((char *)file->metadata[e].key);
        free((char *)file->metadata[e].value);
    }
    free(file->tensors);
    free(file->metadata);
    *file = (al_safetensors){0};
}

const al_matrix *al_safetensors_find(const al_safetensors *file, const char *name)
{
    for (int t = 0; t < file->count; t++)
        if (strcmp(file->tensors[t].name, name) == 0)
            return &file->tensors[t].value;
    return NULL;
}

const char *al_safetensors_metadata(const al_safetensors *file, const char *key)
{
    for (int e = 0; e < file->metadata_count; e++)
        if (strcmp(file->metadata[e].key, key) == 0)
            return file->metadata[e].value;
    return NULL;
}

static char *copy_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}

/* --- step 1: the header's length and text --------------------------------------- */

static al_status read_header(reader *r, al_error *err)
{
    if (fseek(r->file, 0, SEEK_END) != 0)
        return al_fail(err, AL_ERR_IO, "%s: cannot read the file", r->path);
    long size = ftell(r->file);
    rewind(r->file);
    unsigned char length_bytes[8];
    if (size < 8 || fread(length_bytes, 1, 8, r->file) != 8)
        return al_fail(err, AL_ERR_FORMAT, "%s: truncated: the file has %ld bytes, fewer than "
                       "the 8 that give the header's length", r->path, size < 0 ? 0 : size);
    r->header_length = 0;
    for (int byte = 7; byte >= 0; byte--)
        r->header_length = (r->header_length << 8) | length_bytes[byte];
    if (r->header_length > AL_SAFETENSORS_MAX_HEADER)
        return al_fail(err, AL_ERR_FORMAT, "%s: oversized header: it claims %llu bytes, more "
                       "than the limit of %llu", r->path, r->header_length,
                       AL_SAFETENSORS_MAX_HEADER);
    if (r->header_length > (unsigned long long)size - 8)
        return al_fail(err, AL_ERR_FORMAT, "%s: truncated: the header claims %llu bytes but "
                       "only %ld follow", r->path, r->header_length, size - 8);
    r->data_length = (unsigned long long)size - 8 - r->header_length;

    char *text = malloc(r->header_length + 1);
    if (!text)
        return al_fail(err, AL_ERR_NOMEM, "%s: out of memory for a header of %llu bytes",
                       r->path, r->header_length);
    al_status status = AL_OK;
    json_error_t json_error;
    if (fread(text, 1, r->header_length, r->file) != r->header_length)
        status = al_fail(err, AL_ERR_IO, "%s: cannot read the header", r->path);
    else if (!(r->header = json_loadb(text, r->header_length, JSON_REJECT_DUPLICATES,
                                      &json_error)))
        status = al_fail(err, AL_ERR_FORMAT, "%s: malformed JSON header: %s (line %d, column "
                         "%d)", r->path, json_error.text, json_error.line, json_error.column);
    else if (!json_is_object(r->header))
        status = al_fail(err, AL_ERR_FORMAT, "%s: malformed JSON header: not an object of "
                         "named tensors", r->path);
    free(text);
    return status;
}

/* --- step 2: each tensor's description ------------------------------------------- */

/* A JSON integer in [low, high], or -1. */
static long long whole_number(const json_t *value, long long low, long long high)
{
    if (!json_is_integer(value))
        return -1;
    long long n = json_integer_value(value);
    return n >= low && n <= high ? n : -1;
}

/* "shape": [d] or [rows, cols], every dimension from 1 to AL_MATRIX_MAX_DIM. */
static al_status read_shape(entry *e, const json_t *shape, const reader *r, al_error *err)
{
    size_t rank = json_is_array(shape) ? json_array_size(shape) : 0;
    if (!json_is_array(shape) || rank < 1 || rank > 2)
        return al_fail(err, AL_ERR_FORMAT, "%s: tensor '%s': attnlab reads shapes of one or "
                       "two dimensions ([d] or [rows, cols]), not %zu", r->path, e->name, rank);
    long long dims[2] = {1, 1};
    for (size_t k = 0; k < rank; k++) {
        dims[2 - rank + k] = whole_number(json_array_get(shape, k), 1, AL_MATRIX_MAX_DIM);
        if (dims[2 - rank + k] < 0)
            return al_fail(err, AL_ERR_FORMAT, "%s: tensor '%s': every dimension must be a "
                           "whole number from 1 to %d", r->path, e->name, AL_MATRIX_MAX_DIM);
    }
    e->rows = (int)dims[0];
    e->cols = (int)dims[1];
    return AL_OK;
}

/* "dtype": "F32"; "data_offsets": [begin, end] with begin <= end, end - begin
 * = rows · cols · 4, end inside the data. */
static al_status read_entry(entry *e, const json_t *description, const reader *r,
                            al_error *err)
{
    if (!json_is_object(description))
        return al_fail(err, AL_ERR_FORMAT, "%s: tensor '%s': its description must be an "
                       "object with dtype, shape and data_offsets", r->path, e->name);
    const char *dtype = json_string_value(json_object_get(description, "dtype"));
    if (!dtype)
        return al_fail(err, AL_ERR_FORMAT, "%s: tensor '%s' has no dtype", r->path, e->name);
    if (strcmp(dtype, "F32") != 0)
        return al_fail(err, AL_ERR_FORMAT, "%s: tensor '%s' has dtype %s; attnlab reads only "
                       "F32 (float32)", r->path, e->name, dtype);
    al_status status = read_shape(e, json_object_get(description, "shape"), r, err);
    if (status != AL_OK)
        return status;
    const json_t *offsets = json_object_get(description, "data_offsets");
    e->begin = whole_number(json_array_get(offsets, 0), 0, LLONG_MAX);
    e->end = whole_number(json_array_get(offsets, 1), 0, LLONG_MAX);
    if (!json_is_array(offsets) || json_array_size(offsets) != 2 || e->begin < 0 || e->end < 0)
        return al_fail(err, AL_ERR_FORMAT, "%s: tensor '%s': data_offsets must be two whole "
                       "numbers [begin, end]", r->path, e->name);
    if (e->end < e->begin)
        return al_fail(err, AL_ERR_FORMAT, "%s: tensor '%s' has data_offsets [%lld, %lld]: the "
                       "end comes before the beginning", r->path, e->name, e->begin, e->end);
    long long bytes = (long long)e->rows * e->cols * 4;
    if (e->end - e->begin != bytes)
        return al_fail(err, AL_ERR_FORMAT, "%s: tensor '%s' has shape %d x %d (%lld bytes of "
                       "F32) but data_offsets [%lld, %lld] span %lld bytes", r->path, e->name,
                       e->rows, e->cols, bytes, e->begin, e->end, e->end - e->begin);
    if ((unsigned long long)e->end > r->data_length)
        return al_fail(err, AL_ERR_FORMAT, "%s: truncated or out of range: tensor '%s' has "
                       "data_offsets [%lld, %lld] but the data is %llu bytes long", r->path,
                       e->name, e->begin, e->end, r->data_length);
    return AL_OK;
}

/* "__metadata__": an object of strings. */
static al_status check_metadata(const json_t *metadata, const reader *r, al_error *err)
{
    if (!json_is_object(metadata))
        return al_fail(err, AL_ERR_FORMAT, "%s: __metadata__ must be an object of strings",
                       r->path);
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)metadata, key, value)
        if (!json_is_string(value))
            return al_fail(err, AL_ERR_FORMAT, "%s: __metadata__ entry '%s' is not a string",
                           r->path, key);
    return AL_OK;
}

static al_status read_entries(reader *r, al_error *err)
{
    r->entries = malloc((json_object_size(r->header) + 1) * sizeof *r->entries);
    if (!r->entries)
        return al_fail(err, AL_ERR_NOMEM, "%s: out of memory", r->path);
    const char *name;
    json_t *description;
    json_object_foreach(r->header, name, description) {
        al_status status;
        if (strcmp(name, "__metadata__") == 0) {
            status = check_metadata(description, r, err);
        } else {
            r->entries[r->count] = (entry){.name = name};
            status = read_entry(&r->entries[r->count], description, r, err);
            r->count++;
        }
        if (status != AL_OK)
            return status;
    }
    return AL_OK;
}

/* --- step 3: the tensors tile the data exactly ----------------------------------- */

static int by_begin(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

/* In order of their offsets, each tensor must start where the previous one
 * ended (the first at 0), and the last must end where the data does. */
static al_status check_tiling(reader *r, al_error *err)
{
    qsort(r->entries, (size_t)r->count, sizeof *r->entries, by_begin);
    long long covered = 0;
    for (int t = 0; t < r->count; t++) {
        const entry *e = &r->entries[t];
        if (e->begin < covered)
            return al_fail(err, AL_ERR_FORMAT, "%s: tensors '%s' [%lld, %lld] and '%s' [%lld, "
                           "%lld] overlap", r->path, r->entries[t - 1].name,
                           r->entries[t - 1].begin, r->entries[t - 1].end, e->name, e->begin,
                           e->end);
        if (e->begin > covered)
            return al_fail(err, AL_ERR_FORMAT, "%s: bytes %lld to %lld of the data belong to no "
                           "tensor", r->path, covered, e->begin);
        covered = e->end;
    }
    if ((unsigned long long)covered != r->data_length)
        return al_fail(err, AL_ERR_FORMAT, "%s: the last %llu bytes of the data belong to no "
                       "tensor", r->path, r->data_length - (unsigned long long)covered);
    return AL_OK;
}

/* --- step 4: the numbers ----------------------------------------------------------- */

/* Four little-endian bytes per float, row by row (a row at a time through
 * the caller's buffer of cols · 4 bytes); NaN and infinities are refused:
 * a model holding them cannot compute anything meaningful. */
static al_status read_values(al_matrix *m, unsigned char *row_bytes, const entry *e,
                             const reader *r, al_error *err)
{
    if (fseek(r->file, (long)(8 + r->header_length + (unsigned long long)e->begin), SEEK_SET))
        return al_fail(err, AL_ERR_IO, "%s: cannot read tensor '%s'", r->path, e->name);
    for (int i = 0; i < m->rows; i++) {
        if (fread(row_bytes, 4, (size_t)m->cols, r->file) != (size_t)m->cols)
            return al_fail(err, AL_ERR_IO, "%s: cannot read tensor '%s'", r->path, e->name);
        for (int j = 0; j < m->cols; j++) {
            const unsigned char *b = row_bytes + 4 * (size_t)j;
            uint32_t bits = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                            (uint32_t)b[3] << 24;
            float x;
            memcpy(&x, &bits, sizeof x);
            if (!isfinite(x))
                return al_fail(err, AL_ERR_FORMAT, "%s: tensor '%s' holds %g at (%d, %d)",
                               r->path, e->name, (double)x, i, j);
            *al_at(m, i, j) = x;
        }
    }
    return AL_OK;
}

static al_status load_tensors(al_safetensors *file, const reader *r, al_error *err)
{
    file->tensors = calloc((size_t)r->count + 1, sizeof *file->tensors);
    if (!file->tensors)
        return al_fail(err, AL_ERR_NOMEM, "%s: out of memory", r->path);
    for (int t = 0; t < r->count; t++) {
        const entry *e = &r->entries[t];
        al_named_tensor *tensor = &file->tensors[file->count];
        tensor->name = copy_string(e->name);
        file->count++;
        al_status status = tensor->name ? al_matrix_alloc(&tensor->value, e->rows, e->cols, err)
                                        : al_fail(err, AL_ERR_NOMEM, "out of memory");
        unsigned char *row_bytes = status == AL_OK ? malloc(4 * (size_t)e->cols) : NULL;
        if (status == AL_OK && !row_bytes)
            status = al_fail(err, AL_ERR_NOMEM, "out of memory");
        if (status == AL_OK)
            status = read_values(&tensor->value, row_bytes, e, r, err);
        free(row_bytes);
        if (status != AL_OK)
            return status;
    }
    return AL_OK;
}

static al_status load_metadata(al_safetensors *file, const reader *r, al_error *err)
{
    const json_t *metadata = json_object_get(r->header, "__metadata__");
    if (!metadata)
        return AL_OK;
    file->metadata = calloc(json_object_size(metadata) + 1, sizeof *file->metadata);
    if (!file->metadata)
        return al_fail(err, AL_ERR_NOMEM, "%s: out of memory", r->path);
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)metadata, key, value) {
        al_metadata_entry *m = &file->metadata[file->metadata_count++];
        m->key = copy_string(key);
        m->value = copy_string(json_string_value(value));
        if (!m->key || !m->value)
            return al_fail(err, AL_ERR_NOMEM, "%s: out of memory", r->path);
    }
    return AL_OK;
}

/* The whole file, or (with_tensors false) its header alone, checked the
 * same way. */
static al_status read_file(al_safetensors *file, const char *path, bool with_tensors,
                           al_error *err)
{
    *file = (al_safetensors){0};
    reader r = {.path = path, .file = fopen(path, "rb")};
    if (!r.file)
        return al_fail(err, AL_ERR_IO, "cannot open %s", path);
    al_status status = read_header(&r, err);
    if (status == AL_OK)
        status = read_entries(&r, err);
    if (status == AL_OK)
        status = check_tiling(&r, err);
    if (status == AL_OK && with_tensors)
        status = load_tensors(file, &r, err);
    if (status == AL_OK)
        status = load_metadata(file, &r, err);
    fclose(r.file);
    free(r.entries);
    json_decref(r.header);
    if (status != AL_OK)
        al_safetensors_free(file);
    return status;
}

al_status al_safetensors_read(al_safetensors *file, const char *path, al_error *err)
{
    return read_file(file, path, true, err);
}

al_status al_safetensors_read_metadata(al_safetensors *file, const char *path, al_error *err)
{
    return read_file(file, path, false, err);
}
