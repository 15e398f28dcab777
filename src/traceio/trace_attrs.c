/* trace_attrs.c: a tensor record's optional "attrs" object, the parameters
 * of the op that made it ({"row": 3}, {"rng": "pcg32"}, {"widths": [1, 4]}),
 * read strictly and kept in the file's order. It does not know which op
 * takes which attrs: FORMAT.md lists them, and checking them is the job of
 * whoever recomputes the op. */
#include "trace_reader.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void reader_free_attrs(al_trace_tensor_attr *attrs, int count)
{
    for (int a = 0; a < count; a++) {
        free(attrs[a].name);
        free(attrs[a].text);
        free(attrs[a].list);
    }
    free(attrs);
}

/* A list of numbers (no nulls: an op's parameters are never masked). */
static al_status read_attr_list(al_trace_tensor_attr *attr, const reader *r,
                                const json_t *value, const char *what)
{
    size_t size = json_array_size(value);
    attr->kind = AL_TRACE_ATTR_LIST;
    if (size == 0) {
        return AL_OK;
    }
    if (size > INT_MAX || !(attr->list = malloc(size * sizeof *attr->list))) {
        return reader_fail(r, AL_ERR_NOMEM, "out of memory for %s (%zu numbers)", what, size);
    }
    for (size_t i = 0; i < size; i++) {
        const json_t *item = json_array_get(value, i);
        if (!json_is_number(item)) {
            return reader_fail(r, AL_ERR_FORMAT, "%s[%zu] is %s, expected a number", what, i,
                               reader_kind_name(item));
        }
        attr->list[i] = json_number_value(item);
        attr->list_length = (int)i + 1;
    }
    return AL_OK;
}

/* One attr: a number, a string or a list of numbers, nothing else. */
static al_status read_attr(al_trace_tensor_attr *attr, const reader *r, const char *key,
                           const json_t *value)
{
    char what[96];
    snprintf(what, sizeof what, "attrs '%s'", key);
    if (key[0] == '\0') {
        return reader_fail(r, AL_ERR_FORMAT, "'attrs' has an empty name");
    }
    if (!(attr->name = strdup(key))) {
        return reader_fail(r, AL_ERR_NOMEM, "out of memory copying %s", what);
    }
    if (json_is_number(value)) {
        attr->kind = AL_TRACE_ATTR_NUMBER;
        attr->number = json_number_value(value);
        return AL_OK;
    }
    if (json_is_string(value)) {
        attr->kind = AL_TRACE_ATTR_TEXT;
        return reader_copy_string(&attr->text, r, value, what);
    }
    if (json_is_array(value)) {
        return read_attr_list(attr, r, value, what);
    }
    return reader_fail(r, AL_ERR_FORMAT, "%s is %s, expected a number, a string or a list of "
                       "numbers", what, reader_kind_name(value));
}

al_status reader_tensor_attrs(al_trace_tensor *t, const reader *r, json_t *record)
{
    json_t *attrs = json_object_get(record, "attrs");
    t->attrs = NULL;
    t->n_attrs = 0;
    if (!attrs) {
        return AL_OK;
    }
    if (!json_is_object(attrs)) {
        return reader_fail(r, AL_ERR_FORMAT, "'attrs' is %s, expected an object of the op's "
                           "parameters", reader_kind_name(attrs));
    }
    size_t size = json_object_size(attrs);
    if (size == 0) {
        return AL_OK;
    }
    if (size > INT_MAX || !(t->attrs = calloc(size, sizeof *t->attrs))) {
        return reader_fail(r, AL_ERR_NOMEM, "out of memory for %zu attrs", size);
    }
    /* jansson keeps an object's keys in the order of the file. */
    const char *key;
    json_t *value;
    json_object_foreach(attrs, key, value) {
        t->n_attrs++; /* counted first, so a half-read attr is freed too */
        al_status status = read_attr(&t->attrs[t->n_attrs - 1], r, key, value);
        if (status != AL_OK) {
            return status;
        }
    }
    return AL_OK;
}

const al_trace_tensor_attr *al_trace_tensor_find_attr(const al_trace_tensor *t,
                                                      const char *name)
{
    for (int a = 0; t && name && a < t->n_attrs; a++) {
        if (strcmp(t->attrs[a].name, name) == 0) {
            return &t->attrs[a];
        }
    }
    return NULL;
}
