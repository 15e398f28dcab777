/* trace_data.c: one line of a trace read by yajl's streaming parser, which
 * checks the line's JSON syntax and takes the record's "data" field
 * straight into float32 as the numbers go by. A tensor of a million
 * numbers thus costs 4 MB of floats, not a tree of a million JSON values
 * (about 40 bytes each in jansson), and a tensor nobody asked for costs
 * nothing (line_data.keep). The rest of the line, with data cut out, is
 * small and read by jansson as before (trace_file.c).
 * What the data turned out to be (the outer list, each row's length, the
 * first entry that is not a number) is kept, not judged: only the tensor's
 * shape says what it should have been, and trace_records.c checks it. */
#include "trace_reader.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

/* Depths while parsing a tensor line: 1 is inside the record's object,
 * 2 inside its data (the list of rows), 3 inside one row. */
enum { RECORD_DEPTH = 1, DATA_DEPTH = 2, ROW_DEPTH = 3 };

/* The state of the pass over one line: where the parser is, and what it
 * learned before "data" (name, op and shape, so that keep_data can decide
 * before any number is stored). */
typedef struct data_pass {
    line_data *data;
    yajl_handle parser;
    const al_trace_read_options *options;
    int depth;                 /* containers open */
    bool key_is_data;          /* the last key at RECORD_DEPTH was "data" */
    char last_key[8];          /* "name", "op", "shape", or "" for others */
    bool in_data;              /* between data's first byte and its last */
    bool skipping_entry;       /* inside a list or object where a number belongs */
    char *name, *op;           /* copies, or NULL while not yet seen */
    double shape[2];
    int shape_numbers;         /* numbers seen in "shape", -1 if it is not a list of them */
    bool failed_memory;
    bool duplicate_data;
} data_pass;

void line_data_free(line_data *data)
{
    free(data->row_lengths);
    free(data->values);
    *data = (line_data){0};
}

/* ---- what the data holds ------------------------------------------------- */

static bool grow(void **array, size_t *capacity, size_t needed, size_t item_size)
{
    if (needed <= *capacity) {
        return true;
    }
    size_t new_capacity = *capacity ? 2 * *capacity : 256;
    while (new_capacity < needed) {
        new_capacity *= 2;
    }
    void *bigger = realloc(*array, new_capacity * item_size);
    if (!bigger) {
        return false;
    }
    *array = bigger;
    *capacity = new_capacity;
    return true;
}

/* A new row of data: a list (length 0 so far), or not one (-1, and its
 * kind kept if it is the first such row). */
static int start_row(data_pass *p, bool is_list, const char *kind)
{
    line_data *d = p->data;
    if (d->n_rows == INT_MAX ||
        !grow((void **)&d->row_lengths, &d->rows_capacity, (size_t)d->n_rows + 1,
              sizeof *d->row_lengths)) {
        p->failed_memory = true;
        return 0;
    }
    d->row_lengths[d->n_rows++] = is_list ? 0 : -1;
    if (!is_list && !d->first_non_list) {
        d->first_non_list = kind;
        d->first_non_list_row = d->n_rows - 1;
    }
    return 1;
}

/* Note the first entry of a row that is not a number or null, or is a
 * number too large for float32. */
static void note_bad_entry(line_data *d, const char *kind, bool too_large, double number)
{
    if (!d->bad_kind) {
        d->bad_kind = kind;
        d->bad_too_large = too_large;
        d->bad_number = number;
        d->bad_row = d->n_rows - 1;
        d->bad_col = d->row_lengths[d->n_rows - 1];
    }
}

/* An entry of the current row: a float32 (NaN for null) or something else. */
static int add_entry(data_pass *p, const char *kind, bool is_value, bool too_large, float value,
                     double number)
{
    line_data *d = p->data;
    if (!is_value) {
        note_bad_entry(d, kind, too_large, number);
    } else if (d->keep) {
        if (!grow((void **)&d->values, &d->values_capacity, d->n_values + 1,
                  sizeof *d->values)) {
            p->failed_memory = true;
            return 0;
        }
        d->values[d->n_values++] = value;
    }
    d->row_lengths[d->n_rows - 1]++;
    return 1;
}

/* A scalar (number, string, true/false, null) somewhere in the line. */
static int scalar(data_pass *p, const char *kind, bool is_number, double number)
{
    line_data *d = p->data;
    if (p->in_data && !p->skipping_entry) {
        if (p->depth == DATA_DEPTH) {
            return start_row(p, false, kind);
        }
        /* FORMAT.md: a number, or null for a masked entry. A magnitude
         * that a cast to float would turn into infinity is refused: the
         * cast itself is undefined behaviour in C. */
        bool is_null = strcmp(kind, "null") == 0;
        bool fits = is_number && fabs(number) < FLOAT32_OVERFLOW_THRESHOLD;
        return add_entry(p, kind, fits || is_null, is_number && !fits,
                         is_null ? NAN : (float)number, number);
    }
    if (p->depth == RECORD_DEPTH && p->key_is_data) {
        /* "data": 5, a scalar where the list of rows belongs. */
        d->kind = kind;
        d->end = yajl_get_bytes_consumed(p->parser);
    }
    if (p->depth == DATA_DEPTH && strcmp(p->last_key, "shape") == 0 && p->shape_numbers >= 0) {
        if (is_number && p->shape_numbers < 2) {
            p->shape[p->shape_numbers++] = number;
        } else {
            p->shape_numbers = -1;
        }
    }
    return 1;
}

/* ---- yajl's callbacks ---------------------------------------------------- */

static int on_null(void *context)
{
    return scalar(context, "null", false, 0);
}

static int on_boolean(void *context, int value)
{
    (void)value;
    return scalar(context, "true/false", false, 0);
}

/* The nearest double to a short decimal, without strtod when that is
 * exact (Clinger's fast path): a number of at most 15 significant digits
 * is a whole number m < 2^53, held exactly by a double, and 10^k for
 * k <= 22 is exact too, so m * 10^k or m / 10^k is one correctly rounded
 * operation, the nearest double, as strtod's. Every number attnlab writes
 * (at most 9 digits, exponents from -45 to 38) but the smallest takes it.
 * Returns false for anything else (more digits, a larger exponent), and
 * the caller asks strtod. yajl has checked the syntax. */
static bool short_decimal(double *out, const char *text, size_t length)
{
    static const double powers[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                    1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char *c = text, *end = text + length;
    bool negative = c < end && *c == '-';
    c += negative;
    uint64_t m = 0;
    int digits = 0, scale = 0;  /* value = m * 10^(scale + exponent) */
    bool point = false;
    for (; c < end && (isdigit((unsigned char)*c) || *c == '.'); c++) {
        if (*c == '.') {
            point = true;
            continue;
        }
        if (m == 0 && *c == '0') {  /* leading zeros are not significant */
            scale -= point;
            continue;
        }
        if (++digits > 15)
            return false;
        m = 10 * m + (uint64_t)(*c - '0');
        scale -= point;
    }
    int exponent = 0;
    if (c < end && (*c == 'e' || *c == 'E')) {
        c++;
        bool down = c < end && *c == '-';
        c += c < end && (*c == '-' || *c == '+');
        for (; c < end && exponent < 1000; c++)
            exponent = 10 * exponent + (*c - '0');
        exponent = down ? -exponent : exponent;
    }
    int k = scale + exponent;
    if (c != end || k > 22 || k < -22)
        return false;
    double value = k >= 0 ? (double)m * powers[k] : (double)m / powers[-k];
    *out = negative ? -value : value;
    return true;
}

/* Numbers come as their text; the nearest double (short_decimal, else
 * strtod) is what the writer chose to round to exactly the float32 it
 * wrote (FORMAT.md). */
static int on_number(void *context, const char *text, size_t length)
{
    double fast;
    if (short_decimal(&fast, text, length))
        return scalar(context, "a number", true, fast);
    char small[64];
    char *copy = length < sizeof small ? small : malloc(length + 1);
    if (!copy) {
        ((data_pass *)context)->failed_memory = true;
        return 0;
    }
    memcpy(copy, text, length);
    copy[length] = '\0';
    double number = strtod(copy, NULL);
    if (copy != small) {
        free(copy);
    }
    return scalar(context, "a number", true, number);
}

static char *copy_text(const unsigned char *text, size_t length)
{
    char *copy = malloc(length + 1);
    if (copy) {
        memcpy(copy, text, length);
        copy[length] = '\0';
    }
    return copy;
}

static int on_string(void *context, const unsigned char *text, size_t length)
{
    data_pass *p = context;
    if (p->depth == RECORD_DEPTH && !p->key_is_data) {
        char **field = strcmp(p->last_key, "name") == 0 ? &p->name
                       : strcmp(p->last_key, "op") == 0 ? &p->op : NULL;
        if (field && !*field && !(*field = copy_text(text, length))) {
            p->failed_memory = true;
            return 0;
        }
    }
    return scalar(p, "a string", false, 0);
}

/* Whether keep_data wants this tensor's numbers: asked when "data" begins,
 * if name and shape came before it (the writer's order); otherwise the
 * numbers are kept and trace_records.c asks once the record is read. */
static bool wanted(const data_pass *p)
{
    const al_trace_read_options *o = p->options;
    if (!o || !o->keep_data || !p->name || p->shape_numbers != 2 ||
        !(p->shape[0] >= 1 && p->shape[0] <= INT_MAX && p->shape[1] >= 1 &&
          p->shape[1] <= INT_MAX)) {
        return true;
    }
    return o->keep_data(o->context, p->name, p->op ? p->op : "", (int)p->shape[0],
                        (int)p->shape[1]);
}

static int on_map_key(void *context, const unsigned char *key, size_t length)
{
    data_pass *p = context;
    if (p->depth != RECORD_DEPTH) {
        return 1;
    }
    p->key_is_data = length == 4 && memcmp(key, "data", 4) == 0;
    p->last_key[0] = '\0';
    if (length < sizeof p->last_key) {
        memcpy(p->last_key, key, length);
        p->last_key[length] = '\0';
    }
    if (p->key_is_data) {
        line_data *d = p->data;
        if (d->present) {
            p->duplicate_data = true;
            return 0;
        }
        d->present = true;
        d->start = yajl_get_bytes_consumed(p->parser);
        d->keep = wanted(p);
    }
    return 1;
}

/* A list or an object begins. */
static int start_container(data_pass *p, bool is_list)
{
    const char *kind = is_list ? "a list" : "an object";
    int result = 1;
    if (p->in_data && !p->skipping_entry) {
        if (p->depth == DATA_DEPTH) {
            result = start_row(p, is_list, kind);
            p->skipping_entry = !is_list;
        } else {
            result = add_entry(p, kind, false, false, 0, 0);
            p->skipping_entry = true;
        }
    } else if (p->depth == RECORD_DEPTH && p->key_is_data) {
        p->data->kind = kind;
        p->in_data = is_list;
        p->skipping_entry = !is_list;
    } else if (p->depth == RECORD_DEPTH && strcmp(p->last_key, "shape") == 0) {
        p->shape_numbers = is_list ? 0 : -1;
    } else if (p->depth == DATA_DEPTH && strcmp(p->last_key, "shape") == 0) {
        p->shape_numbers = -1;
    }
    p->depth++;
    return result;
}

/* A list or an object ends: a skipped entry or row, or data itself. */
static int end_container(data_pass *p)
{
    p->depth--;
    bool closes_entry = p->in_data ? p->depth == ROW_DEPTH || p->depth == DATA_DEPTH
                                   : p->depth == RECORD_DEPTH;
    if (p->skipping_entry && closes_entry) {
        p->skipping_entry = false;
    }
    if (p->depth == RECORD_DEPTH && p->key_is_data) {
        p->in_data = false;
        p->data->end = yajl_get_bytes_consumed(p->parser);
    }
    return 1;
}

static int on_start_map(void *context)
{
    return start_container(context, false);
}

static int on_end_map(void *context)
{
    return end_container(context);
}

static int on_start_array(void *context)
{
    return start_container(context, true);
}

static int on_end_array(void *context)
{
    return end_container(context);
}

static const yajl_callbacks callbacks = {
    .yajl_null = on_null,
    .yajl_boolean = on_boolean,
    .yajl_number = on_number,
    .yajl_string = on_string,
    .yajl_start_map = on_start_map,
    .yajl_map_key = on_map_key,
    .yajl_end_map = on_end_map,
    .yajl_start_array = on_start_array,
    .yajl_end_array = on_end_array,
};

/* ---- the pass ------------------------------------------------------------ */

/* "malformed JSON at column C: " and yajl's message without its newline.
 * A line that stops inside its object (at_end: yajl_complete_parse found
 * it) is named at the column after its last byte, in words. */
static al_status syntax_error(const reader *r, yajl_handle parser, const char *line,
                              size_t length, bool at_end)
{
    if (at_end) {
        return reader_fail(r, AL_ERR_FORMAT, "malformed JSON at column %zu: the line ends "
                           "before its JSON value does (a ']', '}' or '\"' is missing)",
                           length + 1);
    }
    unsigned char *message = yajl_get_error(parser, 0, (const unsigned char *)line, length);
    char text[160];
    snprintf(text, sizeof text, "%s", message ? (const char *)message : "parse error");
    text[strcspn(text, "\n")] = '\0';
    if (message) {
        yajl_free_error(parser, message);
    }
    size_t column = yajl_get_bytes_consumed(parser) + 1;
    return reader_fail(r, AL_ERR_FORMAT, "malformed JSON at column %zu: %s", column, text);
}

al_status line_data_read(line_data *data, const reader *r, const char *line, size_t length,
                         const al_trace_read_options *options)
{
    *data = (line_data){0};
    data_pass pass = {.data = data, .options = options};
    pass.parser = yajl_alloc(&callbacks, NULL, &pass);
    if (!pass.parser) {
        return reader_fail(r, AL_ERR_NOMEM, "out of memory for the JSON parser");
    }
    yajl_status parsed = yajl_parse(pass.parser, (const unsigned char *)line, length);
    bool at_end = parsed == yajl_status_ok;
    if (at_end) {
        parsed = yajl_complete_parse(pass.parser);
    }
    al_status status = AL_OK;
    if (pass.failed_memory) {
        status = reader_fail(r, AL_ERR_NOMEM, "out of memory reading the line's data");
    } else if (pass.duplicate_data) {
        status = reader_fail(r, AL_ERR_FORMAT, "malformed JSON at column %zu: duplicate object "
                             "key 'data'", yajl_get_bytes_consumed(pass.parser) + 1);
    } else if (parsed != yajl_status_ok) {
        status = syntax_error(r, pass.parser, line, length, at_end);
    }
    yajl_free(pass.parser);
    free(pass.name);
    free(pass.op);
    if (status != AL_OK) {
        line_data_free(data);
    }
    return status;
}
