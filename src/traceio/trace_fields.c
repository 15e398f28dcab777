/* trace_fields.c: taking one checked value out of a JSON object for the
 * trace reader, and writing the "PATH:LINE: tensor 'NAME': problem" message
 * when it is not what the format says. It knows the JSON types and float32,
 * not the trace format's records (trace_records.c, trace_file.c). */
#include "trace_reader.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- messages -------------------------------------------------------------- */

al_status reader_fail(const reader *r, al_status status, const char *format, ...)
{
    char problem[AL_ERROR_MESSAGE_SIZE];
    va_list args;
    va_start(args, format);
    vsnprintf(problem, sizeof problem, format, args);
    va_end(args);
    if (r->subject_name) {
        return al_fail(r->err, status, "%s:%d: %s '%s': %s", r->path, r->line, r->subject_kind,
                       r->subject_name, problem);
    }
    return al_fail(r->err, status, "%s:%d: %s", r->path, r->line, problem);
}

/* "a string", "a number", ...: how a JSON value is named in a message. */
const char *reader_kind_name(const json_t *value)
{
    switch (json_typeof(value)) {
    case JSON_OBJECT:  return "an object";
    case JSON_ARRAY:   return "a list";
    case JSON_STRING:  return "a string";
    case JSON_INTEGER:
    case JSON_REAL:    return "a number";
    case JSON_TRUE:
    case JSON_FALSE:   return "true/false";
    case JSON_NULL:    return "null";
    }
    return "an unknown value";
}

/* ---- checked values ------------------------------------------------------- */

/* Fail if record has a field not in known (a NULL-terminated list): a
 * misspelt optional field ("warning" for "warnings") would otherwise be
 * silently dropped. */
al_status reader_check_known_fields(const reader *r, json_t *record, const char *const *known)
{
    const char *key;
    json_t *value;
    json_object_foreach(record, key, value) {
        bool found = false;
        for (int k = 0; known[k] && !found; k++) {
            found = strcmp(key, known[k]) == 0;
        }
        if (!found) {
            return reader_fail(r, AL_ERR_FORMAT, "unknown field '%s'", key);
        }
    }
    return AL_OK;
}

/* *value = the field called key; failing if it is missing. */
al_status reader_require_field(json_t **value, const reader *r, json_t *record, const char *key)
{
    *value = json_object_get(record, key);
    if (!*value) {
        return reader_fail(r, AL_ERR_FORMAT, "missing field '%s'", key);
    }
    return AL_OK;
}

/* A copy of a JSON string, which the caller frees. */
al_status reader_copy_string(char **out, const reader *r, const json_t *value, const char *what)
{
    if (!json_is_string(value)) {
        return reader_fail(r, AL_ERR_FORMAT, "%s is %s, expected a string", what,
                           reader_kind_name(value));
    }
    *out = strdup(json_string_value(value));
    if (!*out) {
        return reader_fail(r, AL_ERR_NOMEM, "out of memory copying %s", what);
    }
    return AL_OK;
}

/* A required string field. */
al_status reader_string_field(char **out, const reader *r, json_t *record, const char *key)
{
    json_t *value;
    al_status status = reader_require_field(&value, r, record, key);
    if (status != AL_OK) {
        return status;
    }
    char what[64];
    snprintf(what, sizeof what, "'%s'", key);
    return reader_copy_string(out, r, value, what);
}

/* An optional string field: absent or null leaves *out NULL. */
al_status reader_optional_string_field(char **out, const reader *r, json_t *record,
                                       const char *key)
{
    json_t *value = json_object_get(record, key);
    if (!value || json_is_null(value)) {
        *out = NULL;
        return AL_OK;
    }
    char what[64];
    snprintf(what, sizeof what, "'%s'", key);
    return reader_copy_string(out, r, value, what);
}

/* A list of strings into *out (*count of them; NULL when empty). The
 * strings are added to *out as they are copied, so on failure the caller
 * frees what is there with reader_free_strings(*out, *count). */
al_status reader_string_list(char ***out, int *count, const reader *r, const json_t *list,
                             const char *what)
{
    *out = NULL;
    *count = 0;
    if (!json_is_array(list)) {
        return reader_fail(r, AL_ERR_FORMAT, "%s is %s, expected a list of strings", what,
                           reader_kind_name(list));
    }
    size_t size = json_array_size(list);
    if (size == 0) {
        return AL_OK;
    }
    if (size > INT_MAX || !(*out = calloc(size, sizeof **out))) {
        return reader_fail(r, AL_ERR_NOMEM, "out of memory for %s (%zu strings)", what, size);
    }
    for (size_t i = 0; i < size; i++) {
        char item_what[96];
        snprintf(item_what, sizeof item_what, "%s[%zu]", what, i);
        al_status status = reader_copy_string(&(*out)[i], r, json_array_get(list, i), item_what);
        if (status != AL_OK) {
            return status;
        }
        *count = (int)i + 1;
    }
    return AL_OK;
}

/* A whole number in [minimum, maximum]. Every JSON number arrives as a
 * double, which holds every whole number up to 2^53 exactly. */
al_status reader_whole_number(double *out, const reader *r, const json_t *value,
                              const char *what, double minimum, double maximum)
{
    if (!json_is_number(value)) {
        return reader_fail(r, AL_ERR_FORMAT, "%s is %s, expected a whole number", what,
                           reader_kind_name(value));
    }
    double number = json_number_value(value);
    if (number != floor(number) || number < minimum || number > maximum) {
        return reader_fail(r, AL_ERR_FORMAT,
                           "%s is %.17g, expected a whole number from %.17g to %.17g",
                           what, number, minimum, maximum);
    }
    *out = number;
    return AL_OK;
}

/* A required whole-number field that fits an int, at least minimum. */
al_status reader_int_field(int *out, const reader *r, json_t *record, const char *key,
                           int minimum)
{
    json_t *value;
    double number;
    char what[64];
    snprintf(what, sizeof what, "'%s'", key);
    al_status status = reader_require_field(&value, r, record, key);
    if (status == AL_OK) {
        status = reader_whole_number(&number, r, value, what, minimum, INT_MAX);
    }
    if (status == AL_OK) {
        *out = (int)number;
    }
    return status;
}

/* One number of a tensor or a softmax row, as float32. jansson parses the
 * decimal to the nearest double (strtod); the writer chose each decimal so
 * that rounding that double to float32 gives back exactly the float it wrote
 * (FORMAT.md, "Numbers"), so the cast below recovers every bit. When
 * null_allowed, null becomes NaN: a masked entry. */
al_status reader_float(float *out, const reader *r, const json_t *value, const char *what,
                       bool null_allowed)
{
    if (null_allowed && json_is_null(value)) {
        *out = NAN;
        return AL_OK;
    }
    if (!json_is_number(value)) {
        return reader_fail(r, AL_ERR_FORMAT, "%s is %s, expected a number%s", what,
                           reader_kind_name(value), null_allowed ? " or null" : "");
    }
    double number = json_number_value(value);
    if (!(fabs(number) < FLOAT32_OVERFLOW_THRESHOLD)) {
        return reader_fail(r, AL_ERR_FORMAT, "%s is %g, too large for a float32", what, number);
    }
    *out = (float)number;
    return AL_OK;
}

/* A required number field (null allowed only when null_allowed). */
al_status reader_float_field(float *out, const reader *r, json_t *record, const char *key,
                             bool null_allowed)
{
    json_t *value;
    char what[64];
    snprintf(what, sizeof what, "'%s'", key);
    al_status status = reader_require_field(&value, r, record, key);
    if (status == AL_OK) {
        status = reader_float(out, r, value, what, null_allowed);
    }
    return status;
}

/* A list of exactly n numbers (n >= 1) into a new array the caller frees. */
al_status reader_float_list(float **out, const reader *r, const json_t *list,
                            const char *what, int n, bool null_allowed)
{
    *out = NULL;
    if (!json_is_array(list)) {
        return reader_fail(r, AL_ERR_FORMAT, "%s is %s, expected a list of %d numbers", what,
                           reader_kind_name(list), n);
    }
    if (json_array_size(list) != (size_t)n) {
        return reader_fail(r, AL_ERR_FORMAT, "%s has %zu entries, expected %d", what,
                           json_array_size(list), n);
    }
    if (!(*out = malloc((size_t)n * sizeof **out))) {
        return reader_fail(r, AL_ERR_NOMEM, "out of memory for %s (%d numbers)", what, n);
    }
    for (int j = 0; j < n; j++) {
        char item_what[96];
        snprintf(item_what, sizeof item_what, "%s[%d]", what, j);
        al_status status = reader_float(&(*out)[j], r, json_array_get(list, (size_t)j), item_what,
                                        null_allowed);
        if (status != AL_OK) {
            return status;
        }
    }
    return AL_OK;
}

void reader_free_strings(char **strings, int count)
{
    for (int i = 0; i < count; i++) {
        free(strings[i]);
    }
    free(strings);
}
