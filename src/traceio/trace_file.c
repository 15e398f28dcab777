/* trace_file.c: reading a trace file (format v1, traces/FORMAT.md) into an
 * al_trace_file: the whole file, cut into lines, each line one JSON object;
 * the header first, then the records (trace_records.c), then the end record
 * whose count must match. Every field is checked on the way (through
 * trace_fields.c), so renderers and tests can trust what they get.
 * It is not the writer (src/lib/trace/trace_writer.c) and does no maths: it only
 * turns checked JSON into strings and float32 arrays. */
#include "trace_reader.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the file and its lines ---------------------------------------------- */

/* The number of lines in text, which ends with "\n". */
static int count_lines(const char *text, size_t length)
{
    int lines = 0;
    for (size_t i = 0; i < length; i++) {
        lines += text[i] == '\n';
    }
    return lines;
}

/* Read all of path into *text (not NUL-terminated; the caller frees it).
 * Reads in chunks rather than asking for the size, so pipes work too; a
 * NUL byte (no trace has one: a binary file, or /dev/zero) stops the
 * reading at the block it is in, and so does passing the size limit. */
static al_status read_whole_file(char **text, size_t *length, const char *path, al_error *err)
{
    *text = NULL;
    *length = 0;
    FILE *file = fopen(path, "rb");
    if (!file) {
        return al_fail(err, AL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    size_t capacity = 0;
    al_status status = AL_OK;
    for (;;) {
        if (*length == capacity) {
            size_t new_capacity = capacity ? 2 * capacity : 65536;
            char *bigger = realloc(*text, new_capacity);
            if (!bigger) {
                status = al_fail(err, AL_ERR_NOMEM, "%s: out of memory reading the file", path);
                break;
            }
            *text = bigger;
            capacity = new_capacity;
        }
        size_t got = fread(*text + *length, 1, capacity - *length, file);
        const char *nul = memchr(*text + *length, '\0', got);
        *length += got;
        if (nul) {
            status = al_fail(err, AL_ERR_FORMAT, "%s:%d: a NUL byte: this is a binary file, not "
                             "a trace (which is lines of JSON text)", path,
                             count_lines(*text, (size_t)(nul - *text)) + 1);
            break;
        }
        if (*length > AL_TRACE_FILE_MAX_BYTES) {
            status = al_fail(err, AL_ERR_FORMAT, "%s: larger than %zu bytes, the most a trace "
                             "may hold", path, AL_TRACE_FILE_MAX_BYTES);
            break;
        }
        if (got == 0) {
            if (ferror(file)) {
                status = al_fail(err, AL_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
            }
            break;
        }
    }
    fclose(file);
    if (status != AL_OK) {
        free(*text);
        *text = NULL;
        *length = 0;
    }
    return status;
}

/* Parse one line (without its "\n") into a JSON object the caller releases
 * with json_decref. Duplicate keys are an error: a reader would otherwise
 * silently keep one of the two values. Numbers are all parsed as doubles
 * (JSON_DECODE_INT_AS_REAL) so that "-0" keeps its sign and a whole number
 * too large for a 64-bit integer is still a number. */
static al_status parse_line(json_t **object, const reader *r, const char *start, size_t length)
{
    *object = NULL;
    if (length == 0 || (length == 1 && start[0] == '\r')) {
        return reader_fail(r, AL_ERR_FORMAT, "empty line; every line must be one JSON object");
    }
    json_error_t json_error;
    json_t *value = json_loadb(start, length,
                               JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL,
                               &json_error);
    if (!value) {
        return reader_fail(r, AL_ERR_FORMAT, "malformed JSON at column %d: %s", json_error.column,
                           json_error.text);
    }
    if (!json_is_object(value)) {
        al_status status = reader_fail(r, AL_ERR_FORMAT, "line is %s, expected a JSON object",
                                       reader_kind_name(value));
        json_decref(value);
        return status;
    }
    *object = value;
    return AL_OK;
}

/* ---- the header (first line) --------------------------------------------- */

#define TRACE_FORMAT_NAME "attnlab-trace"
#define TRACE_FORMAT_VERSION 1

/* format and version come first, and alone: a header of another version may
 * have other fields, and "version 2 is not supported" is the message that
 * helps, not "unknown field". */
static al_status read_format_and_version(al_trace_file *trace, const reader *r, json_t *header)
{
    json_t *format = json_object_get(header, "format");
    if (!format) {
        return reader_fail(r, AL_ERR_FORMAT,
                           "expected the header {\"format\": \"" TRACE_FORMAT_NAME "\", ...} "
                           "on the first line; this is not an attnlab trace");
    }
    if (!json_is_string(format) || strcmp(json_string_value(format), TRACE_FORMAT_NAME) != 0) {
        return reader_fail(r, AL_ERR_FORMAT, "'format' is not \"" TRACE_FORMAT_NAME "\"; "
                           "this is not an attnlab trace");
    }
    json_t *version;
    double version_number;
    al_status status = reader_require_field(&version, r, header, "version");
    if (status == AL_OK) {
        status = reader_whole_number(&version_number, r, version, "'version'", 0, INT_MAX);
    }
    if (status == AL_OK && version_number != TRACE_FORMAT_VERSION) {
        status = reader_fail(r, AL_ERR_FORMAT,
                             "trace format version %.0f is not supported: this reader understands "
                             "version %d", version_number, TRACE_FORMAT_VERSION);
    }
    trace->version = TRACE_FORMAT_VERSION;
    return status;
}

/* The rest of the header: who wrote the trace and how. */
static al_status read_header(al_trace_file *trace, const reader *r, json_t *header)
{
    static const char *const known[] = {"format", "version", "program", "args", "seed",
                                        "library", "level", "filter", NULL};
    al_status status = read_format_and_version(trace, r, header);
    json_t *value;
    double seed;
    if (status == AL_OK) status = reader_check_known_fields(r, header, known);
    if (status == AL_OK) status = reader_string_field(&trace->program, r, header, "program");
    if (status == AL_OK) status = reader_require_field(&value, r, header, "args");
    if (status == AL_OK) {
        status = reader_string_list(&trace->args, &trace->n_args, r, value, "'args'");
    }
    if (status == AL_OK) status = reader_require_field(&value, r, header, "seed");
    /* 2^53: the largest seed every JSON reader holds exactly (FORMAT.md). */
    if (status == AL_OK) status = reader_whole_number(&seed, r, value, "'seed'", 0, 0x1p53);
    if (status == AL_OK) trace->seed = (uint64_t)seed;
    if (status == AL_OK) status = reader_string_field(&trace->library, r, header, "library");
    if (status == AL_OK) status = reader_string_field(&trace->level, r, header, "level");
    bool known_level = status == AL_OK && (strcmp(trace->level, "tensors") == 0 ||
                                           strcmp(trace->level, "rows") == 0);
    if (status == AL_OK && !known_level) {
        status = reader_fail(r, AL_ERR_FORMAT,
                             "'level' is \"%s\", expected \"tensors\" or \"rows\"", trace->level);
    }
    if (status == AL_OK) status = reader_string_field(&trace->filter, r, header, "filter");
    return status;
}

/* ---- the end record, and the lines in order ------------------------------ */

/* {"kind": "end", "records": N}: N must count the records read, or lines
 * went missing from the middle of the file. */
static al_status read_end(const al_trace_file *trace, const reader *r, json_t *record)
{
    static const char *const known[] = {"kind", "records", NULL};
    json_t *value;
    double records;
    long long records_read = (long long)trace->n_tensors + trace->n_softmax_rows;
    al_status status = reader_check_known_fields(r, record, known);
    if (status == AL_OK) status = reader_require_field(&value, r, record, "records");
    if (status == AL_OK) status = reader_whole_number(&records, r, value, "'records'", 0, 0x1p53);
    if (status == AL_OK && records != (double)records_read) {
        status = reader_fail(r, AL_ERR_FORMAT,
                             "end record says %.0f records but the file has %lld", records,
                             records_read);
    }
    return status;
}

/* One line after the header: a tensor, a softmax row or the end record. */
static al_status read_record(al_trace_file *trace, reader *r, json_t *record, bool *ended)
{
    json_t *kind = json_object_get(record, "kind");
    if (!kind) {
        return reader_fail(r, AL_ERR_FORMAT, "missing field 'kind'");
    }
    if (!json_is_string(kind)) {
        return reader_fail(r, AL_ERR_FORMAT, "'kind' is %s, expected a string",
                           reader_kind_name(kind));
    }
    const char *kind_name = json_string_value(kind);
    if (strcmp(kind_name, "tensor") == 0) {
        return reader_tensor_record(trace, r, record);
    }
    if (strcmp(kind_name, "softmax_row") == 0) {
        return reader_softmax_row_record(trace, r, record);
    }
    if (strcmp(kind_name, "end") == 0) {
        *ended = true;
        return read_end(trace, r, record);
    }
    return reader_fail(r, AL_ERR_FORMAT,
                       "unknown kind \"%s\", expected \"tensor\", \"softmax_row\" or \"end\"",
                       kind_name);
}

/* Check the file as a whole before its lines: something there, and a last
 * line that ends with "\n" (a writer cut off mid-line leaves none). */
static al_status check_file_ends(reader *r, const char *text, size_t length)
{
    if (length == 0) {
        r->line = 1;
        return reader_fail(r, AL_ERR_FORMAT, "the file is empty; expected the header line");
    }
    if (text[length - 1] != '\n') {
        r->line = count_lines(text, length) + 1;
        return reader_fail(r, AL_ERR_FORMAT,
                           "the last line does not end with a newline: the file was cut short "
                           "(truncated)");
    }
    return AL_OK;
}

/* Read every line of text in order: the header, records, and the end. */
static al_status read_lines(al_trace_file *trace, reader *r, const char *text, size_t length)
{
    al_status status = check_file_ends(r, text, length);
    bool ended = false;
    const char *line = text, *text_end = text + length;
    for (r->line = 1; status == AL_OK && line < text_end; r->line++) {
        const char *newline = memchr(line, '\n', (size_t)(text_end - line));
        json_t *record;
        if (ended) {
            return reader_fail(r, AL_ERR_FORMAT, "a line after the end record");
        }
        status = parse_line(&record, r, line, (size_t)(newline - line));
        if (status == AL_OK) {
            status = r->line == 1 ? read_header(trace, r, record)
                                  : read_record(trace, r, record, &ended);
            json_decref(record);
        }
        line = newline + 1;
    }
    if (status == AL_OK && !ended) {
        r->line--;
        status = reader_fail(r, AL_ERR_FORMAT,
                             "the file ends without its end record {\"kind\": \"end\", ...}: "
                             "it was cut short (truncated)");
    }
    return status;
}

/* ---- public functions ---------------------------------------------------- */

al_status al_trace_file_read(al_trace_file **trace, const char *path, al_error *err)
{
    if (!trace || !path) {
        return al_fail(err, AL_ERR_ARG, "al_trace_file_read: trace and path must not be NULL");
    }
    *trace = NULL;
    char *text;
    size_t length;
    al_status status = read_whole_file(&text, &length, path, err);
    if (status != AL_OK) {
        return status;
    }
    al_trace_file *result = calloc(1, sizeof *result);
    if (!result) {
        free(text);
        return al_fail(err, AL_ERR_NOMEM, "%s: out of memory", path);
    }
    reader r = {.path = path, .err = err};
    status = read_lines(result, &r, text, length);
    free(text);
    if (status != AL_OK) {
        al_trace_file_free(result);
        return status;
    }
    *trace = result;
    return AL_OK;
}

void al_trace_file_free(al_trace_file *trace)
{
    if (!trace) {
        return;
    }
    free(trace->program);
    reader_free_strings(trace->args, trace->n_args);
    free(trace->library);
    free(trace->level);
    free(trace->filter);
    for (int i = 0; i < trace->n_tensors; i++) {
        reader_free_tensor(&trace->tensors[i]);
    }
    free(trace->tensors);
    for (int i = 0; i < trace->n_softmax_rows; i++) {
        reader_free_softmax_row(&trace->softmax_rows[i]);
    }
    free(trace->softmax_rows);
    free(trace);
}

const al_trace_tensor *al_trace_file_find(const al_trace_file *trace, const char *name)
{
    return trace && name ? reader_find_tensor(trace, name) : NULL;
}

bool al_trace_tensor_is_null(const al_trace_tensor *t, int i, int j)
{
    return isnan(al_trace_tensor_at(t, i, j));
}
