/* trace_file.c: reading a trace file (format v1, traces/FORMAT.md) into an
 * al_trace_file: a line at a time, each line one JSON object; the header
 * first, then the records (trace_records.c), then the end record whose
 * count must match. Every field is checked on the way (through
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
#include <sys/stat.h>

/* ---- the file and its lines ---------------------------------------------- */

/* The file, read in blocks, handed out a line at a time. The buffer holds
 * the line being read and what was read after it, so memory follows the
 * longest line, not the file. */
typedef struct line_source {
    FILE *file;
    const char *path;
    char *buffer;
    size_t capacity;
    size_t begin, end;     /* the bytes not yet handed out: buffer[begin, end) */
    size_t searched;       /* buffer[begin, searched) holds no "\n" */
    size_t bytes_read;
    int lines_given;
    bool at_end;
} line_source;

enum { BLOCK_BYTES = 65536 };

/* The number of "\n" in text[0, length). */
static int count_lines(const char *text, size_t length)
{
    int lines = 0;
    for (const char *c = text; (c = memchr(c, '\n', (size_t)(text + length - c))); c++) {
        lines++;
    }
    return lines;
}

/* Open path; a regular file larger than the limit is refused unread. */
static al_status open_lines(line_source *source, const char *path, al_error *err)
{
    *source = (line_source){.path = path};
    source->file = fopen(path, "rb");
    if (!source->file) {
        return al_fail(err, AL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    struct stat about;
    if (fstat(fileno(source->file), &about) == 0 && S_ISREG(about.st_mode) &&
        (unsigned long long)about.st_size > AL_TRACE_FILE_MAX_BYTES) {
        return al_fail(err, AL_ERR_FORMAT, "%s: %lld bytes, larger than %zu, the most a trace "
                       "may hold", path, (long long)about.st_size, AL_TRACE_FILE_MAX_BYTES);
    }
    return AL_OK;
}

static void close_lines(line_source *source)
{
    if (source->file) {
        fclose(source->file);
    }
    free(source->buffer);
}

/* Read one more block after the unread bytes. A NUL byte (no trace has
 * one: a binary file, or /dev/zero) stops the reading at the block it is
 * in, and so does passing the size limit (an endless pipe). */
static al_status read_block(line_source *source, al_error *err)
{
    if (source->begin > 0) {
        memmove(source->buffer, source->buffer + source->begin, source->end - source->begin);
        source->end -= source->begin;
        source->searched -= source->begin;
        source->begin = 0;
    }
    if (source->capacity - source->end < BLOCK_BYTES) {
        size_t capacity = source->capacity ? 2 * source->capacity : 4 * BLOCK_BYTES;
        char *bigger = realloc(source->buffer, capacity);
        if (!bigger) {
            return al_fail(err, AL_ERR_NOMEM, "%s: out of memory for a line of %zu bytes",
                           source->path, source->end);
        }
        source->buffer = bigger;
        source->capacity = capacity;
    }
    char *block = source->buffer + source->end;
    size_t got = fread(block, 1, source->capacity - source->end, source->file);
    source->end += got;
    source->bytes_read += got;
    const char *nul = memchr(block, '\0', got);
    if (nul) {
        return al_fail(err, AL_ERR_FORMAT, "%s:%d: a NUL byte: this is a binary file, not a "
                       "trace (which is lines of JSON text)", source->path,
                       source->lines_given + 1 +
                       count_lines(source->buffer, (size_t)(nul - source->buffer)));
    }
    if (source->bytes_read > AL_TRACE_FILE_MAX_BYTES) {
        return al_fail(err, AL_ERR_FORMAT, "%s: larger than %zu bytes, the most a trace may "
                       "hold", source->path, AL_TRACE_FILE_MAX_BYTES);
    }
    if (got == 0) {
        if (ferror(source->file)) {
            return al_fail(err, AL_ERR_IO, "%s: cannot read: %s", source->path,
                           strerror(errno));
        }
        source->at_end = true;
    }
    return AL_OK;
}

/* The next line, without its "\n", into *line and *length, valid until
 * the next call; *complete is false for a last line that has no "\n"
 * (a file cut short). *line is NULL at the end of the file. */
static al_status next_line(line_source *source, const char **line, size_t *length,
                           bool *complete, al_error *err)
{
    *line = NULL;
    for (;;) {
        char *unread = source->buffer ? source->buffer + source->begin : NULL;
        char *newline = unread ? memchr(source->buffer + source->searched, '\n',
                                        source->end - source->searched)
                               : NULL;
        if (newline || (source->at_end && source->begin < source->end)) {
            *line = unread;
            *complete = newline != NULL;
            *length = newline ? (size_t)(newline - unread) : source->end - source->begin;
            source->begin = newline ? (size_t)(newline + 1 - source->buffer) : source->end;
            source->searched = source->begin;
            source->lines_given++;
            return AL_OK;
        }
        if (source->at_end) {
            return AL_OK;
        }
        source->searched = source->end;
        al_status status = read_block(source, err);
        if (status != AL_OK) {
            return status;
        }
    }
}

/* Parse one line (without its "\n") into a JSON object the caller releases
 * with json_decref, and its data into *data (trace_data.c), which the caller
 * frees with line_data_free. yajl reads the whole line first, checking its
 * syntax and taking the numbers of "data"; jansson then reads the rest with
 * data cut out (": 0" in its place), which is a few hundred bytes however
 * large the tensor. Duplicate keys are an error: a reader would otherwise
 * silently keep one of the two values. Numbers are all parsed as doubles
 * (JSON_DECODE_INT_AS_REAL) so that "-0" keeps its sign and a whole number
 * too large for a 64-bit integer is still a number. */
static al_status parse_line(json_t **object, line_data *data, const reader *r,
                            const char *start, size_t length)
{
    *object = NULL;
    *data = (line_data){0};
    if (length == 0 || (length == 1 && start[0] == '\r')) {
        return reader_fail(r, AL_ERR_FORMAT, "empty line; every line must be one JSON object");
    }
    al_status status = line_data_read(data, r, start, length, r->options);
    if (status != AL_OK) {
        return status;
    }
    char *rest = NULL;
    size_t rest_length = length;
    if (data->present) {
        rest_length = data->start + 2 + (length - data->end);
        if (!(rest = malloc(rest_length))) {
            return reader_fail(r, AL_ERR_NOMEM, "out of memory for a line");
        }
        memcpy(rest, start, data->start);
        memcpy(rest + data->start, ":0", 2);
        memcpy(rest + data->start + 2, start + data->end, length - data->end);
    }
    json_error_t json_error;
    json_t *value = json_loadb(rest ? rest : start, rest_length,
                               JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL,
                               &json_error);
    free(rest);
    if (!value) {
        /* Columns count in the line as written, not in the line cut short. */
        int cut = data->present && json_error.position > (int)data->start
                  ? (int)(data->end - data->start) - 2 : 0;
        return reader_fail(r, AL_ERR_FORMAT, "malformed JSON at column %d: %s",
                           json_error.column + cut, json_error.text);
    }
    if (!json_is_object(value)) {
        status = reader_fail(r, AL_ERR_FORMAT, "line is %s, expected a JSON object",
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
static al_status read_record(al_trace_file *trace, reader *r, json_t *record, line_data *data,
                             bool *ended)
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
        return reader_tensor_record(trace, r, record, data);
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

/* One whole line: the header when it is the first, else a record. */
static al_status read_line(al_trace_file *trace, reader *r, const char *line, size_t length,
                           bool *ended)
{
    json_t *record;
    line_data data;
    al_status status = parse_line(&record, &data, r, line, length);
    if (status == AL_OK) {
        status = r->line == 1 ? read_header(trace, r, record)
                              : read_record(trace, r, record, &data, ended);
        json_decref(record);
    }
    line_data_free(&data);
    return status;
}

/* Read every line of the file in order: the header, records, and the end.
 * A last line without "\n" means a writer was cut off mid-line. */
static al_status read_lines(al_trace_file *trace, reader *r, line_source *source)
{
    const char *line;
    size_t length;
    bool complete, ended = false;
    al_status status = AL_OK;
    for (r->line = 1; status == AL_OK; r->line++) {
        status = next_line(source, &line, &length, &complete, r->err);
        if (status != AL_OK || !line) {
            break;
        }
        if (ended) {
            return reader_fail(r, AL_ERR_FORMAT, "a line after the end record");
        }
        if (!complete) {
            return reader_fail(r, AL_ERR_FORMAT, "the last line does not end with a newline: "
                               "the file was cut short (truncated)");
        }
        status = read_line(trace, r, line, length, &ended);
    }
    if (status == AL_OK && r->line == 1) {
        return reader_fail(r, AL_ERR_FORMAT, "the file is empty; expected the header line");
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
    return al_trace_file_read_with(trace, path, NULL, err);
}

al_status al_trace_file_read_with(al_trace_file **trace, const char *path,
                                  const al_trace_read_options *options, al_error *err)
{
    if (!trace || !path) {
        return al_fail(err, AL_ERR_ARG, "al_trace_file_read: trace and path must not be NULL");
    }
    *trace = NULL;
    line_source source;
    al_trace_file *result = NULL;
    al_status status = open_lines(&source, path, err);
    if (status == AL_OK && !(result = calloc(1, sizeof *result))) {
        status = al_fail(err, AL_ERR_NOMEM, "%s: out of memory", path);
    }
    reader r = {.path = path, .options = options, .err = err};
    if (status == AL_OK) {
        status = read_lines(result, &r, &source);
    }
    close_lines(&source);
    free(r.name_index);
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
    return trace && name ? reader_find_tensor(trace, NULL, name) : NULL;
}

bool al_trace_tensor_is_null(const al_trace_tensor *t, int i, int j)
{
    return isnan(al_trace_tensor_at(t, i, j));
}
