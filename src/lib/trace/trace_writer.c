/* trace_writer.c: writing trace files, format v1 (traces/FORMAT.md).
 * Records are hand-written JSON, one per line, so that floats get the
 * shortest exact text (float_text.c) and the bytes never vary. Reading
 * traces is a separate library (src/traceio) built on jansson. */
#include "attnlab/trace.h"

#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnlab/atomic_file.h"
#include "attnlab/softmax.h"
#include "attnlab/utf8.h"
#include "attnlab_config.h"
#include "trace/float_text.h"

struct al_trace {
    al_atomic_file out; /* the stream, the destination, its temporary   */
    FILE *file;        /* out.stream, the stream every record goes to   */
    al_trace_level level;
    char *filter;
    long records;      /* tensor and softmax row records written so far */
    al_error failure;  /* the first failure; status AL_OK while healthy */
    char prefix[AL_NAME_SIZE];  /* put before every name written; "" for none */
};

static const char *const ROLE_NAMES[] = {"input", "param", "activation", "output"};

const char *al_library_version(void)
{
    return "attnlab " AL_VERSION;
}

char *al_name(char buf[AL_NAME_SIZE], const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(buf, AL_NAME_SIZE, format, args);
    va_end(args);
    return buf;
}

static char *copy_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}

/* --- JSON output -------------------------------------------------------- */

/* A JSON string: quotes and backslashes escaped, control characters as
 * \u00XX, everything else (UTF-8 included) as it is. */
/* A JSON string. A byte that is not UTF-8 (a Latin-1 file name among the
 * arguments) is written as U+FFFD, the replacement character, so the
 * trace is valid UTF-8 whatever it was given (FORMAT.md, "Numbers"). */
static void write_string(FILE *f, const char *s)
{
    fputc('"', f);
    const unsigned char *p = (const unsigned char *)s;
    size_t left = strlen(s);
    while (left > 0) {
        int length = al_utf8_sequence(p, left);
        if (length == 0)
            fputs("\\ufffd", f), length = 1;
        else if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fwrite(p, 1, (size_t)length, f);
        p += length, left -= (size_t)length;
    }
    fputc('"', f);
}

/* A string, or null when s is NULL. */
static void write_string_or_null(FILE *f, const char *s)
{
    if (s)
        write_string(f, s);
    else
        fputs("null", f);
}

/* A float: null for -inf (a masked entry), else its shortest exact text.
 * Callers have already rejected NaN and +inf. */
static void write_float(FILE *f, float x)
{
    char text[FLOAT_TEXT_SIZE];
    if (x == -INFINITY)
        fputs("null", f);
    else
        fputs(float_text(text, x), f);
}

static void write_float_list(FILE *f, const float *values, int n)
{
    fputc('[', f);
    for (int j = 0; j < n; j++) {
        if (j)
            fputs(", ", f);
        write_float(f, values[j]);
    }
    fputc(']', f);
}

static void write_label_list(FILE *f, const char *const *labels, int n)
{
    if (!labels) {
        fputs("null", f);
        return;
    }
    fputc('[', f);
    for (int j = 0; j < n; j++) {
        if (j)
            fputs(", ", f);
        write_string_or_null(f, labels[j]);
    }
    fputc(']', f);
}

/* --- failure bookkeeping -------------------------------------------------- */

/* Remember the first failure (later ones are usually its consequences) and
 * return it. */
static al_status trace_fail(al_trace *trace, al_error *err, al_status status,
                            const char *format, ...) __attribute__((format(printf, 4, 5)));

static al_status trace_fail(al_trace *trace, al_error *err, al_status status,
                            const char *format, ...)
{
    if (trace->failure.status == AL_OK) {
        va_list args;
        va_start(args, format);
        vsnprintf(trace->failure.message, sizeof trace->failure.message, format, args);
        va_end(args);
        trace->failure.status = status;
    }
    return al_fail(err, trace->failure.status, "%s", trace->failure.message);
}

/* After each record: did the stream fail (disk full, I/O error)? */
static al_status check_stream(al_trace *trace, al_error *err)
{
    if (ferror(trace->file))
        return trace_fail(trace, err, AL_ERR_IO, "%s: write failed: %s", trace->out.path,
                          errno ? strerror(errno) : "an I/O error");
    return AL_OK;
}

/* --- opening -------------------------------------------------------------- */

static void write_header(al_trace *trace, const al_trace_options *options)
{
    FILE *f = trace->file;
    fputs("{\"format\": \"attnlab-trace\", \"version\": 1, \"program\": ", f);
    write_string(f, options->program ? options->program : "unknown");
    fputs(", \"args\": [", f);
    for (int i = 0; i < options->argc; i++) {
        if (i)
            fputs(", ", f);
        write_string(f, options->argv[i]);
    }
    fprintf(f, "], \"seed\": %llu, \"library\": ", (unsigned long long)options->seed);
    write_string(f, al_library_version());
    fprintf(f, ", \"level\": \"%s\", \"filter\": ",
            options->level == AL_TRACE_ROWS ? "rows" : "tensors");
    write_string(f, trace->filter);
    fputs("}\n", f);
}

static void free_trace(al_trace *trace)
{
    al_atomic_discard(&trace->out); /* nothing left on disk after a commit */
    free(trace->filter);
    free(trace);
}

/* The offset of a '[' that no ']' closes (fnmatch would take it as a
 * plain character, so the filter would match nothing meant), or -1. A
 * backslash escapes the next character; a ']' first in a set is in it. */
static long unclosed_bracket(const char *glob)
{
    for (const char *c = glob; *c; c++) {
        if (*c == '\\' && c[1]) {
            c++;
            continue;
        }
        if (*c != '[')
            continue;
        const char *end = c + 1;
        if (*end == '!' || *end == '^')
            end++;
        if (*end == ']')
            end++;
        while (*end && *end != ']')
            end++;
        if (!*end)
            return (long)(c - glob);
        c = end;
    }
    return -1;
}

al_status al_trace_open(al_trace **out, const char *path, const al_trace_options *options,
                        al_error *err)
{
    *out = NULL;
    long bracket = options->filter ? unclosed_bracket(options->filter) : -1;
    if (bracket >= 0)
        return al_fail(err, AL_ERR_ARG, "the trace filter '%s' is not a glob: the '[' at "
                       "character %ld is never closed by a ']'", options->filter, bracket + 1);
    al_trace *trace = calloc(1, sizeof *trace);
    if (!trace)
        return al_fail(err, AL_ERR_NOMEM, "out of memory opening trace %s", path);
    trace->level = options->level;
    trace->filter = copy_string(options->filter ? options->filter : "*");
    if (!trace->filter) {
        free_trace(trace);
        return al_fail(err, AL_ERR_NOMEM, "out of memory opening trace %s", path);
    }
    al_status status = al_atomic_begin(&trace->out, path, err);
    if (status != AL_OK) {
        free_trace(trace);
        return status;
    }
    trace->file = trace->out.stream;
    write_header(trace, options);
    status = check_stream(trace, err);
    if (status != AL_OK) {
        al_trace_discard(trace);
        return status;
    }
    *out = trace;
    return AL_OK;
}

/* --- records -------------------------------------------------------------- */

/* Room for a name with the prefix before it. */
#define PREFIXED_SIZE (2 * AL_NAME_SIZE)

/* name as the trace writes it: the prefix, then name (cut short past
 * PREFIXED_SIZE, far beyond attnlab's names). */
static const char *prefixed(char buf[PREFIXED_SIZE], const al_trace *trace, const char *name)
{
    if (!trace->prefix[0])
        return name;
    snprintf(buf, PREFIXED_SIZE, "%s%s", trace->prefix, name);
    return buf;
}

void al_trace_set_prefix(al_trace *trace, const char *prefix)
{
    if (trace)
        snprintf(trace->prefix, sizeof trace->prefix, "%s", prefix ? prefix : "");
}

bool al_trace_wants(const al_trace *trace, const char *name)
{
    char buf[PREFIXED_SIZE];
    return trace && trace->failure.status == AL_OK &&
           fnmatch(trace->filter, prefixed(buf, trace, name), 0) == 0;
}

/* JSON cannot spell NaN or infinity; -inf means masked and becomes null,
 * anything else non-finite is a bug upstream that a trace must not hide. */
static al_status check_finite(al_trace *trace, const char *name, const al_matrix *m,
                              al_error *err)
{
    for (int i = 0; i < m->rows; i++) {
        for (int j = 0; j < m->cols; j++) {
            float x = *al_at(m, i, j);
            if (isnan(x) || x == INFINITY)
                return trace_fail(trace, err, AL_ERR_VALUE,
                                  "tensor '%s' holds %g at (%d, %d); traces record only "
                                  "finite numbers and masked (-inf) entries",
                                  name, (double)x, i, j);
        }
    }
    return AL_OK;
}

/* A name, the trace's prefix before it. */
static void write_name(const al_trace *trace, const char *name)
{
    char buf[PREFIXED_SIZE];
    write_string(trace->file, prefixed(buf, trace, name));
}

static void write_inputs(const al_trace *trace, const al_tensor_info *info)
{
    FILE *f = trace->file;
    fputc('[', f);
    if (info->input_list) {
        for (int i = 0; i < info->n_input_list; i++) {
            if (i)
                fputs(", ", f);
            write_name(trace, info->input_list[i]);
        }
    } else {
        for (int i = 0; i < AL_TRACE_MAX_INPUTS && info->inputs[i]; i++) {
            if (i)
                fputs(", ", f);
            write_name(trace, info->inputs[i]);
        }
    }
    fputc(']', f);
}

/* Whole numbers up to 2^53 are exact in a double and read back as integers
 * by every JSON parser; anything else is an op's float32 parameter. */
#define LARGEST_EXACT_WHOLE 9007199254740992.0

static void write_attr_number(FILE *f, double x)
{
    char text[FLOAT_TEXT_SIZE];
    if (x == floor(x) && fabs(x) <= LARGEST_EXACT_WHOLE && !(x == 0 && signbit(x)))
        fprintf(f, "%.0f", x);
    else
        fputs(float_text(text, (float)x), f);
}

/* An op's parameters must be finite numbers: a NaN would be written as
 * text JSON cannot read. */
static al_status check_attrs(al_trace *trace, const char *name, const al_tensor_info *info,
                             al_error *err)
{
    for (int a = 0; a < AL_TRACE_MAX_ATTRS && info->attrs[a].name; a++) {
        const al_trace_attr *attr = &info->attrs[a];
        if (!attr->text && !attr->list && !isfinite((float)attr->number))
            return trace_fail(trace, err, AL_ERR_VALUE,
                              "tensor '%s': attr '%s' is %g; traces record only finite numbers",
                              name, attr->name, attr->number);
    }
    return AL_OK;
}

/* "attrs": {"row": 3, "rng": "pcg32", "widths": [1, 4]}, keys in the order
 * given; written only when the op has any. */
static void write_attrs(FILE *f, const al_tensor_info *info)
{
    if (!info->attrs[0].name)
        return;
    fputs(", \"attrs\": {", f);
    for (int a = 0; a < AL_TRACE_MAX_ATTRS && info->attrs[a].name; a++) {
        const al_trace_attr *attr = &info->attrs[a];
        if (a)
            fputs(", ", f);
        write_string(f, attr->name);
        fputs(": ", f);
        if (attr->text) {
            write_string(f, attr->text);
        } else if (attr->list) {
            fputc('[', f);
            for (int i = 0; i < attr->list_length; i++)
                fprintf(f, i ? ", %d" : "%d", attr->list[i]);
            fputc(']', f);
        } else {
            write_attr_number(f, attr->number);
        }
    }
    fputc('}', f);
}

/* The optional fields, only when set, so most records stay short. */
static void write_optional_fields(const al_trace *trace, const al_tensor_info *info)
{
    FILE *f = trace->file;
    if (info->mask) {
        fputs(", \"mask\": ", f);
        write_name(trace, info->mask);
    }
    if (info->note) {
        fputs(", \"note\": ", f);
        write_string(f, info->note);
    }
    if (info->warning) {
        fputs(", \"warnings\": [", f);
        write_string(f, info->warning);
        fputc(']', f);
    }
}

al_status al_trace_matrix(al_trace *trace, const al_tensor_info *info, const al_matrix *m,
                          al_error *err)
{
    if (!al_trace_wants(trace, info->name))
        return trace && trace->failure.status != AL_OK
                   ? al_fail(err, trace->failure.status, "%s", trace->failure.message)
                   : AL_OK;
    char buf[PREFIXED_SIZE];
    const char *name = prefixed(buf, trace, info->name);
    al_status status = check_finite(trace, name, m, err);
    if (status == AL_OK)
        status = check_attrs(trace, name, info, err);
    if (status != AL_OK)
        return status;

    FILE *f = trace->file;
    fputs("{\"kind\": \"tensor\", \"name\": ", f);
    write_string(f, name);
    fprintf(f, ", \"role\": \"%s\", \"op\": ", ROLE_NAMES[info->role]);
    write_string(f, info->op ? info->op : "given");
    fputs(", \"inputs\": ", f);
    write_inputs(trace, info);
    write_attrs(f, info);
    fprintf(f, ", \"shape\": [%d, %d], \"rows\": ", m->rows, m->cols);
    write_label_list(f, info->row_labels, m->rows);
    fputs(", \"cols\": ", f);
    write_label_list(f, info->col_labels, m->cols);
    fputs(", \"dtype\": \"float32\", \"data\": [", f);
    for (int i = 0; i < m->rows; i++) {
        if (i)
            fputs(", ", f);
        write_float_list(f, al_at(m, i, 0), m->cols);
    }
    fputc(']', f);
    write_optional_fields(trace, info);
    fputs("}\n", f);
    trace->records++;
    return check_stream(trace, err);
}

/* One softmax row record; scratch holds 2 * n floats. */
static void write_softmax_row(al_trace *trace, const char *name, int row, const char *label,
                              const float *scores, int n, float temperature, float *scratch)
{
    float *exps = scratch, *weights = scratch + n;
    al_softmax_steps steps = al_softmax_row(weights, exps, scores, n, temperature);
    FILE *f = trace->file;
    fputs("{\"kind\": \"softmax_row\", \"name\": ", f);
    write_string(f, name);
    fprintf(f, ", \"row\": %d, \"label\": ", row);
    write_string_or_null(f, label);
    fputs(", \"temperature\": ", f);
    write_float(f, temperature);
    fputs(", \"scores\": ", f);
    write_float_list(f, scores, n);
    fputs(", \"max\": ", f);
    write_float(f, steps.max); /* -inf, when all masked, is written null */
    fputs(", \"exp\": ", f);
    write_float_list(f, exps, n);
    fputs(", \"sum\": ", f);
    write_float(f, steps.sum);
    fputs(", \"weights\": ", f);
    write_float_list(f, weights, n);
    fputs("}\n", f);
    trace->records++;
}

al_status al_trace_softmax_rows(al_trace *trace, const char *weights_name,
                                const al_matrix *scores, float temperature,
                                const char *const *row_labels, al_error *err)
{
    if (!trace || trace->level != AL_TRACE_ROWS || !al_trace_wants(trace, weights_name))
        return AL_OK;
    char buf[PREFIXED_SIZE];
    const char *name = prefixed(buf, trace, weights_name);
    al_status status = check_finite(trace, name, scores, err);
    if (status != AL_OK)
        return status;
    float *scratch = malloc(2 * (size_t)scores->cols * sizeof *scratch);
    if (!scratch)
        return trace_fail(trace, err, AL_ERR_NOMEM, "out of memory tracing '%s'", name);
    for (int i = 0; i < scores->rows; i++)
        write_softmax_row(trace, name, i, row_labels ? row_labels[i] : NULL,
                          al_at(scores, i, 0), scores->cols, temperature, scratch);
    free(scratch);
    return check_stream(trace, err);
}

/* --- closing -------------------------------------------------------------- */

void al_trace_discard(al_trace *trace)
{
    if (trace)
        free_trace(trace);
}

/* End record, flush to disk, then rename: readers see either the old file
 * or the complete new one, never a part. */
al_status al_trace_close(al_trace *trace, al_error *err)
{
    if (!trace)
        return AL_OK;
    if (trace->failure.status == AL_OK) {
        fprintf(trace->file, "{\"kind\": \"end\", \"records\": %ld}\n", trace->records);
        al_error closing = {0};
        if (al_atomic_finish(&trace->out, &closing) != AL_OK ||
            al_atomic_commit(&trace->out, &closing) != AL_OK)
            trace_fail(trace, NULL, closing.status, "%s", closing.message);
    }
    al_status status = trace->failure.status;
    if (status != AL_OK)
        al_fail(err, status, "%s", trace->failure.message);
    free_trace(trace); /* after a failure this deletes the temporary file */
    return status;
}
