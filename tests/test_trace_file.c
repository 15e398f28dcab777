/* test_trace_file.c: reading trace files (src/traceio/trace_file.c).
 * Each test writes a small trace as text to a temporary file, reads it, and
 * checks either every field and the exact float32 values, or that a broken
 * file is refused with AL_ERR_FORMAT and a message naming the line.
 * It does not test the writer: these traces are written by hand. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"

#include "attnlab/trace_file.h"

/* ---- helpers ---------------------------------------------------------------- */

/* What reading one text gave. trace is NULL unless status is AL_OK. */
typedef struct read_result {
    al_status status;
    al_trace_file *trace;
    al_error err;
    char path[256];
} read_result;

/* Write text to a new temporary file, read it as a trace, delete the file.
 * Traces in this file are written with single quotes, which are turned
 * into double quotes on the way out, so that JSON reads without a
 * backslash before every quote. No test text needs a real single quote. */
/* Write text to a file, each ' as " and each \x01 as a NUL byte, and read it. */
static read_result read_text(const char *text)
{
    read_result result = {0};
    const char *directory = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(result.path, sizeof result.path, "%s/attnlab_test_trace_XXXXXX", directory);
    int fd = mkstemp(result.path);
    assert_true(fd >= 0);
    FILE *file = fdopen(fd, "wb");
    assert_non_null(file);
    for (const char *c = text; *c; c++) {
        fputc(*c == '\'' ? '"' : *c == '\x01' ? '\0' : *c, file);
    }
    assert_int_equal(fclose(file), 0);
    result.status = al_trace_file_read(&result.trace, result.path, &result.err);
    unlink(result.path);
    return result;
}

/* Fail unless message contains expected (shows both when it does not). */
#define assert_contains(message, expected)                                              \
    do {                                                                                \
        if (!strstr((message), (expected))) {                                           \
            fail_msg("message \"%s\" does not contain \"%s\"", (message), (expected));  \
        }                                                                               \
    } while (0)

/* Read text, expect it refused as malformed, with a message that starts
 * with the file's path and contains expected (which names the line). */
static void assert_refused(const char *text, const char *expected)
{
    read_result result = read_text(text);
    assert_int_equal(result.status, AL_ERR_FORMAT);
    assert_int_equal(result.err.status, AL_ERR_FORMAT);
    assert_null(result.trace);
    assert_true(strncmp(result.err.message, result.path, strlen(result.path)) == 0);
    assert_contains(result.err.message, expected);
}

#define HEADER                                                                          \
    "{'format': 'attnlab-trace', 'version': 1, 'program': 'lesson05', "                 \
    "'args': ['--sentence', 'The cat'], 'seed': 42, 'library': 'attnlab 0.1.0', "       \
    "'level': 'rows', 'filter': '*'}\n"

/* A 2x2 tensor 'q' whose data is given by DATA (the text after "data": ). */
#define TENSOR_Q(DATA)                                                                  \
    "{'kind': 'tensor', 'name': 'q', 'role': 'activation', 'op': 'matmul', "            \
    "'inputs': ['x', 'w_q'], 'shape': [2, 2], 'rows': ['The', 'cat'], 'cols': null, "   \
    "'dtype': 'float32', 'data': " DATA "}\n"

#define GOOD_Q TENSOR_Q("[[1, 2], [3, 4]]")

/* ---- a valid trace, every field --------------------------------------------- */

/* Line 2 holds the float32 edge cases; line 3 a softmax output with labels;
 * line 4 the softmax steps of its row 1, with a masked score. */
static const char valid_trace[] =
    HEADER
    "{'kind': 'tensor', 'name': 'edges', 'role': 'param', 'op': 'given', 'inputs': [], "
    "'shape': [2, 4], 'rows': ['The', 'cat'], 'cols': null, 'dtype': 'float32', "
    "'data': [[0.1, 16777217, -0.0, 1e-45], [3.4028235e38, -1.17549435e-38, null, -0]], "
    "'mask': 'enc.0.attn.mask', 'note': 'edge cases', 'warnings': ['first', 'second']}\n"
    "{'kind': 'tensor', 'name': 'enc.0.attn.h0.weights', 'role': 'activation', "
    "'op': 'softmax_rows', 'inputs': ['enc.0.attn.h0.masked'], 'shape': [2, 2], "
    "'rows': ['The', 'cat'], 'cols': ['The', 'cat'], 'dtype': 'float32', "
    "'data': [[1, 0], [0.401312351, 0.598687649]]}\n"
    "{'kind': 'softmax_row', 'name': 'enc.0.attn.h0.weights', 'row': 1, 'label': 'cat', "
    "'temperature': 0.5, 'scores': [null, 0.9], 'max': 0.9, 'exp': [0, 1], 'sum': 1, "
    "'weights': [0, 1]}\n"
    "{'kind': 'end', 'records': 3}\n";

static void reads_the_header(void **state)
{
    read_result result = read_text(valid_trace);
    assert_int_equal(result.status, AL_OK);
    const al_trace_file *trace = result.trace;
    assert_int_equal(trace->version, 1);
    assert_string_equal(trace->program, "lesson05");
    assert_int_equal(trace->n_args, 2);
    assert_string_equal(trace->args[0], "--sentence");
    assert_string_equal(trace->args[1], "The cat");
    assert_true(trace->seed == 42);
    assert_string_equal(trace->library, "attnlab 0.1.0");
    assert_string_equal(trace->level, "rows");
    assert_string_equal(trace->filter, "*");
    assert_int_equal(trace->n_tensors, 2);
    assert_int_equal(trace->n_softmax_rows, 1);
    al_trace_file_free(result.trace);
}

static void reads_every_tensor_field(void **state)
{
    read_result result = read_text(valid_trace);
    assert_int_equal(result.status, AL_OK);
    const al_trace_tensor *t = &result.trace->tensors[0];
    assert_string_equal(t->name, "edges");
    assert_string_equal(t->role, "param");
    assert_string_equal(t->op, "given");
    assert_int_equal(t->n_inputs, 0);
    assert_int_equal(t->rows, 2);
    assert_int_equal(t->cols, 4);
    assert_string_equal(t->row_labels[0], "The");
    assert_string_equal(t->row_labels[1], "cat");
    assert_null(t->col_labels);
    assert_string_equal(t->mask, "enc.0.attn.mask");
    assert_string_equal(t->note, "edge cases");
    assert_int_equal(t->n_warnings, 2);
    assert_string_equal(t->warnings[1], "second");
    assert_int_equal(t->line, 2);

    const al_trace_tensor *w = &result.trace->tensors[1];
    assert_int_equal(w->n_inputs, 1);
    assert_string_equal(w->inputs[0], "enc.0.attn.h0.masked");
    assert_string_equal(w->col_labels[1], "cat");
    assert_null(w->mask);
    assert_null(w->note);
    assert_int_equal(w->n_warnings, 0);
    assert_int_equal(w->line, 3);
    al_trace_file_free(result.trace);
}

/* Every number must come back as exactly the float32 the decimal stands
 * for (FORMAT.md, "Numbers"): compared bit for bit, no tolerance. */
static void reads_exact_float32_values(void **state)
{
    read_result result = read_text(valid_trace);
    assert_int_equal(result.status, AL_OK);
    const al_trace_tensor *t = &result.trace->tensors[0];
    assert_same_float(al_trace_tensor_at(t, 0, 0), 0.1f);
    /* 16777217 = 2^24 + 1 lies halfway between two floats; ties go to the
     * even one, 2^24. */
    assert_same_float(al_trace_tensor_at(t, 0, 1), 16777216.0f);
    assert_same_float(al_trace_tensor_at(t, 0, 2), 0.0f);
    assert_true(signbit(al_trace_tensor_at(t, 0, 2)));
    /* 1e-45 rounds to the smallest denormal float, 2^-149. */
    assert_same_float(al_trace_tensor_at(t, 0, 3), 0x1p-149f);
    /* 3.4028235e38 is the shortest decimal for FLT_MAX, and larger than it. */
    assert_same_float(al_trace_tensor_at(t, 1, 0), FLT_MAX);
    assert_same_float(al_trace_tensor_at(t, 1, 1), -FLT_MIN);
    /* "-0" written without a decimal point still keeps its sign. */
    assert_true(signbit(al_trace_tensor_at(t, 1, 3)));
    assert_same_float(al_trace_tensor_at(t, 1, 3), 0.0f);

    const al_trace_tensor *w = &result.trace->tensors[1];
    assert_same_float(al_trace_tensor_at(w, 1, 0), 0.401312351f);
    assert_same_float(al_trace_tensor_at(w, 1, 1), 0.598687649f);
    al_trace_file_free(result.trace);
}

static void null_reads_as_a_masked_entry(void **state)
{
    read_result result = read_text(valid_trace);
    assert_int_equal(result.status, AL_OK);
    const al_trace_tensor *t = &result.trace->tensors[0];
    assert_true(al_trace_tensor_is_null(t, 1, 2));
    assert_true(isnan(al_trace_tensor_at(t, 1, 2)));
    int nulls = 0;
    for (int i = 0; i < t->rows; i++) {
        for (int j = 0; j < t->cols; j++) {
            nulls += al_trace_tensor_is_null(t, i, j);
        }
    }
    assert_int_equal(nulls, 1);
    al_trace_file_free(result.trace);
}

static void reads_a_softmax_row(void **state)
{
    read_result result = read_text(valid_trace);
    assert_int_equal(result.status, AL_OK);
    const al_trace_softmax_row *s = &result.trace->softmax_rows[0];
    assert_string_equal(s->name, "enc.0.attn.h0.weights");
    assert_int_equal(s->row, 1);
    assert_string_equal(s->label, "cat");
    assert_same_float(s->temperature, 0.5f);
    assert_int_equal(s->n, 2);
    assert_true(isnan(s->scores[0]));
    assert_same_float(s->scores[1], 0.9f);
    assert_same_float(s->max, 0.9f);
    assert_same_float(s->exps[0], 0.0f);
    assert_same_float(s->exps[1], 1.0f);
    assert_same_float(s->sum, 1.0f);
    assert_same_float(s->weights[1], 1.0f);
    assert_int_equal(s->line, 4);
    al_trace_file_free(result.trace);
}

static void finds_tensors_by_name(void **state)
{
    read_result result = read_text(valid_trace);
    assert_int_equal(result.status, AL_OK);
    assert_ptr_equal(al_trace_file_find(result.trace, "enc.0.attn.h0.weights"),
                     &result.trace->tensors[1]);
    assert_null(al_trace_file_find(result.trace, "enc.0.attn.h0"));
    al_trace_file_free(result.trace);
}

/* The largest seed FORMAT.md allows, 2^53, comes back exactly. */
static void reads_the_largest_seed(void **state)
{
    read_result result = read_text(
        "{'format': 'attnlab-trace', 'version': 1, 'program': 'p', 'args': [], "
        "'seed': 9007199254740992, 'library': 'l', 'level': 'tensors', 'filter': '*'}\n"
        "{'kind': 'end', 'records': 0}\n");
    assert_int_equal(result.status, AL_OK);
    assert_true(result.trace->seed == UINT64_C(9007199254740992));
    assert_int_equal(result.trace->n_tensors, 0);
    al_trace_file_free(result.trace);
}

/* ---- broken files ------------------------------------------------------------ */

static void refuses_malformed_json(void **state)
{
    assert_refused(HEADER GOOD_Q "{'kind': 'tensor', 'name': \n{'kind': 'end', 'records': 1}\n",
                   ":3: malformed JSON");
}

static void refuses_a_missing_header(void **state)
{
    assert_refused(GOOD_Q "{'kind': 'end', 'records': 1}\n", ":1: expected the header");
}

static void refuses_another_version(void **state)
{
    assert_refused("{'format': 'attnlab-trace', 'version': 2}\n{'kind': 'end', 'records': 0}\n",
                   ":1: trace format version 2 is not supported: "
                   "this reader understands version 1");
}

static void refuses_a_missing_end_record(void **state)
{
    read_result result = read_text(HEADER GOOD_Q);
    assert_int_equal(result.status, AL_ERR_FORMAT);
    assert_contains(result.err.message, ":2: the file ends without its end record");
    assert_contains(result.err.message, "truncated");
}

static void refuses_a_wrong_end_count(void **state)
{
    assert_refused(HEADER GOOD_Q "{'kind': 'end', 'records': 5}\n",
                   ":3: end record says 5 records but the file has 1");
}

/* A binary file (/bin/ls, an image) is not called truncated: its NUL
 * byte says what it is, on its line. */
static void refuses_a_binary_file_as_binary(void **state)
{
    read_result result = read_text(HEADER "\x7f" "ELF\x01\x01garbage");
    assert_int_equal(result.status, AL_ERR_FORMAT);
    assert_contains(result.err.message, ":2: a NUL byte: this is a binary file, not a trace");
    if (strstr(result.err.message, "truncated"))
        fail_msg("message \"%s\" calls a binary file truncated", result.err.message);
}

/* /dev/zero never ends: its first block's NUL stops the reading at once,
 * instead of memory growing until none is left. */
static void refuses_dev_zero_at_once(void **state)
{
    al_trace_file *trace = NULL;
    al_error err;
    assert_int_equal(al_trace_file_read(&trace, "/dev/zero", &err), AL_ERR_FORMAT);
    assert_null(trace);
    assert_contains(err.message, "/dev/zero:1: a NUL byte: this is a binary file");
}

/* A file past AL_TRACE_FILE_MAX_BYTES is refused from its size, before a
 * byte is read: the test file is sparse (ftruncate), so it costs no disk. */
static void refuses_a_file_over_the_size_limit_unread(void **state)
{
    char path[256];
    const char *directory = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(path, sizeof path, "%s/attnlab_test_huge_XXXXXX", directory);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)AL_TRACE_FILE_MAX_BYTES + 1), 0);
    close(fd);
    al_trace_file *trace = NULL;
    al_error err;
    al_status status = al_trace_file_read(&trace, path, &err);
    unlink(path);
    assert_int_equal(status, AL_ERR_FORMAT);
    assert_null(trace);
    assert_contains(err.message, ": 2147483649 bytes, larger than 2147483648, the most a trace "
                                 "may hold");
}

/* Every shape of data that is not a list of lists of numbers is named as
 * the student finds it: a row that is an object, an entry that is a list,
 * data that is not a list. */
static void refuses_data_of_the_wrong_shape_naming_what_it_is(void **state)
{
    assert_refused(HEADER TENSOR_Q("[[1, 2], {'a': [1, 2]}]") "{'kind': 'end', 'records': 1}\n",
                   ":2: tensor 'q': data[1] is an object, expected a list of 2 numbers");
    assert_refused(HEADER TENSOR_Q("[[1, [2, [3]]], [3, 4]]") "{'kind': 'end', 'records': 1}\n",
                   ":2: tensor 'q': data[0][1] is a list, expected a number or null");
    assert_refused(HEADER TENSOR_Q("[[1, 2], [3, true]]") "{'kind': 'end', 'records': 1}\n",
                   ":2: tensor 'q': data[1][1] is true/false, expected a number or null");
    assert_refused(HEADER TENSOR_Q("{'rows': 2}") "{'kind': 'end', 'records': 1}\n",
                   ":2: tensor 'q': 'data' is an object, expected a list of 2 rows");
    assert_refused(HEADER TENSOR_Q("'1, 2'") "{'kind': 'end', 'records': 1}\n",
                   ":2: tensor 'q': 'data' is a string, expected a list of 2 rows");
    assert_refused(HEADER TENSOR_Q("[[1, 2], 7]") "{'kind': 'end', 'records': 1}\n",
                   ":2: tensor 'q': data[1] is a number, expected a list of 2 numbers");
    assert_refused(HEADER TENSOR_Q("[]") "{'kind': 'end', 'records': 1}\n",
                   ":2: tensor 'q': data has 0 rows but shape says 2");
    assert_refused(HEADER TENSOR_Q("[[1, 2], [3, 4]], 'data': [[1, 2], [3, 4]]")
                   "{'kind': 'end', 'records': 1}\n",
                   ":2: malformed JSON at column");
    assert_refused(HEADER "{'kind': 'tensor', 'name': 'q', 'role': 'input', 'op': 'given', "
                   "'inputs': [], 'shape': [2, 2], 'rows': null, 'cols': null, "
                   "'dtype': 'float32'}\n{'kind': 'end', 'records': 1}\n",
                   ":2: tensor 'q': missing field 'data'");
}

/* The data are taken out of the line before jansson reads the rest, so a
 * syntax error after them must still be named at its column in the line
 * as written (62), not in the line jansson saw (46: the 18 bytes from
 * after "data" to the end of its list were cut to the 2 of ":0"). */
static void names_the_column_of_an_error_after_the_data(void **state)
{
    read_result result = read_text(HEADER
                                   "{'kind': 'tensor', 'data': [[1, 2], [3, 4]], 'name': 'q\\u0000'}\n"
                                   "{'kind': 'end', 'records': 1}\n");
    assert_int_equal(result.status, AL_ERR_FORMAT);
    print_message("message: %s\n", result.err.message);
    assert_contains(result.err.message, ":2: malformed JSON at column 62:");
}

/* A hand-written record may put data before its shape and name; a number
 * may be written with more digits than the buffer for a short one. */
static void reads_data_in_any_field_order_and_long_numbers(void **state)
{
    read_result result = read_text(
        HEADER
        "{'data': [[0.1000000000000000055511151231257827021181583404541015625000000000001, "
        "2], [3, null]], 'kind': 'tensor', 'name': 'q', 'role': 'activation', 'op': 'matmul', "
        "'inputs': [], 'shape': [2, 2], 'rows': null, 'cols': null, 'dtype': 'float32'}\n"
        "{'kind': 'end', 'records': 1}\n");
    if (result.status != AL_OK) {
        fail_msg("%s", result.err.message);
    }
    const al_trace_tensor *q = al_trace_file_find(result.trace, "q");
    assert_non_null(q);
    assert_true(al_trace_tensor_at(q, 0, 0) == 0.1f);
    assert_true(al_trace_tensor_at(q, 1, 0) == 3.0f);
    assert_true(al_trace_tensor_is_null(q, 1, 1));
    al_trace_file_free(result.trace);
}

/* The name index must find a name used again far from its first use,
 * after the index has grown several times. */
static void finds_a_duplicate_name_among_thousands(void **state)
{
    enum { N = 3000 };
    size_t size = (size_t)N * 200 + 4096;
    char *text = malloc(size);
    assert_non_null(text);
    size_t used = (size_t)snprintf(text, size, "%s", HEADER);
    for (int t = 0; t <= N; t++) {
        used += (size_t)snprintf(text + used, size - used,
                                 "{'kind': 'tensor', 'name': 't%d', 'role': 'input', "
                                 "'op': 'given', 'inputs': [], 'shape': [1, 1], 'rows': null, "
                                 "'cols': null, 'dtype': 'float32', 'data': [[%d]]}\n",
                                 t == N ? 1234 : t, t);
    }
    snprintf(text + used, size - used, "{'kind': 'end', 'records': %d}\n", N + 1);
    assert_refused(text, ":3002: tensor 't1234': name used twice (first on line 1236)");
    free(text);
}

/* The reader's numbers are strtod's, rounded to float32, whichever way it
 * gets them (a fast path for short decimals, strtod for the rest): checked
 * on 300,000 texts, random float32 bit patterns printed with 9, 8 and 6
 * significant digits and random decimals of up to 17 digits and any
 * exponent, in one 1 x 300000 tensor. */
static void numbers_read_as_strtod_rounds_them(void **state)
{
    enum { N = 300000 };
    char (*texts)[40] = malloc(N * sizeof *texts);
    size_t size = (size_t)N * 42 + 4096;
    char *text = malloc(size);
    assert_non_null(texts);
    assert_non_null(text);
    uint64_t x = 0x9e3779b97f4a7c15u;  /* xorshift64: the same numbers every run */
    for (int k = 0; k < N; k++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint32_t bits = (uint32_t)x;
        float f;
        memcpy(&f, &bits, sizeof f);
        if (k % 4 == 3 || !isfinite(f) || fabsf(f) >= FLT_MAX) {
            /* a random decimal: up to 17 digits, exponent -40 .. 37 */
            snprintf(texts[k], sizeof texts[0], "%s0.%llue%d", (x >> 40) & 1 ? "-" : "",
                     (unsigned long long)((x >> 8) % 100000000000000000ull),
                     (int)((x >> 20) % 78) - 40);
        } else {
            snprintf(texts[k], sizeof texts[0], "%.*g", k % 4 == 0 ? 9 : k % 4 == 1 ? 8 : 6,
                     (double)f);
        }
    }
    size_t used = (size_t)snprintf(text, size, "%s{'kind': 'tensor', 'name': 'x', 'role': "
                                   "'input', 'op': 'given', 'inputs': [], 'shape': [1, %d], "
                                   "'rows': null, 'cols': null, 'dtype': 'float32', 'data': [[",
                                   HEADER, N);
    for (int k = 0; k < N; k++)
        used += (size_t)snprintf(text + used, size - used, "%s%s", k ? ", " : "", texts[k]);
    snprintf(text + used, size - used, "]]}\n{'kind': 'end', 'records': 1}\n");
    read_result result = read_text(text);
    if (result.status != AL_OK)
        fail_msg("%s", result.err.message);
    const al_trace_tensor *t = al_trace_file_find(result.trace, "x");
    for (int k = 0; k < N; k++) {
        float expected = (float)strtod(texts[k], NULL), got = al_trace_tensor_at(t, 0, k);
        if (memcmp(&expected, &got, sizeof got) != 0)
            fail_msg("'%s' read as %.9g, strtod rounded to float32 gives %.9g", texts[k],
                     (double)got, (double)expected);
    }
    al_trace_file_free(result.trace);
    free(text);
    free(texts);
}

/* keep_data: what the reader was asked, and what it kept. */
typedef struct keep_log {
    int asked;
    char names[8][32];
    int rows[8], cols[8];
    char ops[8][32];
} keep_log;

static bool keep_only_weights(void *context, const char *name, const char *op, int rows,
                              int cols)
{
    keep_log *log = context;
    if (log->asked < 8) {
        snprintf(log->names[log->asked], sizeof log->names[0], "%s", name);
        snprintf(log->ops[log->asked], sizeof log->ops[0], "%s", op);
        log->rows[log->asked] = rows;
        log->cols[log->asked] = cols;
    }
    log->asked++;
    return strcmp(op, "softmax_rows") == 0;
}

/* A renderer that draws the weights keeps only their numbers: the other
 * tensors keep their name and shape with data NULL, and the numbers kept
 * are the same as a full read's. keep_data is asked with each tensor's
 * name, op and shape from before its data (the writer's order), and once
 * more after the whole record for a tensor it wanted. */
static void keeps_only_the_data_asked_for(void **state)
{
    char path[256];
    const char *directory = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(path, sizeof path, "%s/attnlab_test_keep_XXXXXX", directory);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *file = fdopen(fd, "wb");
    for (const char *c = valid_trace; *c; c++) {
        fputc(*c == '\'' ? '"' : *c, file);
    }
    fclose(file);
    keep_log log = {0};
    al_trace_read_options options = {.keep_data = keep_only_weights, .context = &log};
    al_trace_file *some = NULL, *all = NULL;
    al_error err;
    assert_int_equal(al_trace_file_read_with(&some, path, &options, &err), AL_OK);
    assert_int_equal(al_trace_file_read(&all, path, &err), AL_OK);
    unlink(path);
    assert_int_equal(log.asked, 3);
    assert_string_equal(log.names[0], "edges");
    assert_string_equal(log.ops[0], "given");
    assert_int_equal(log.rows[0], 2);
    assert_int_equal(log.cols[0], 4);
    for (int k = 1; k <= 2; k++) {
        assert_string_equal(log.names[k], "enc.0.attn.h0.weights");
        assert_string_equal(log.ops[k], "softmax_rows");
    }
    const al_trace_tensor *edges = al_trace_file_find(some, "edges");
    assert_null(edges->data);
    assert_int_equal(edges->rows, 2);
    assert_int_equal(edges->cols, 4);
    const al_trace_tensor *kept = al_trace_file_find(some, "enc.0.attn.h0.weights");
    const al_trace_tensor *full = al_trace_file_find(all, "enc.0.attn.h0.weights");
    assert_non_null(kept->data);
    assert_memory_equal(kept->data, full->data, 4 * sizeof(float));
    assert_int_equal(some->n_softmax_rows, 1);
    al_trace_file_free(some);
    al_trace_file_free(all);
}

static void refuses_a_last_line_without_newline(void **state)
{
    read_result result = read_text(HEADER GOOD_Q "{'kind': 'end', 'records': 1}");
    assert_int_equal(result.status, AL_ERR_FORMAT);
    assert_contains(result.err.message, ":3: the last line does not end with a newline");
    assert_contains(result.err.message, "truncated");
}

static void refuses_a_ragged_data_row(void **state)
{
    assert_refused(HEADER TENSOR_Q("[[1, 2], [3]]") "{'kind': 'end', 'records': 1}\n",
                   ":2: tensor 'q': data[1] has 1 entries but shape says 2 columns");
}

static void refuses_too_many_rows(void **state)
{
    assert_refused(HEADER TENSOR_Q("[[1, 2], [3, 4], [5, 6]]") "{'kind': 'end', 'records': 1}\n",
                   ":2: tensor 'q': data has 3 rows but shape says 2");
}

static void refuses_a_wrong_label_count(void **state)
{
    assert_refused(HEADER
                   "{'kind': 'tensor', 'name': 'q', 'role': 'input', 'op': 'given', 'inputs': [], "
                   "'shape': [2, 2], 'rows': ['The', 'cat', 'sat'], 'cols': null, "
                   "'dtype': 'float32', 'data': [[1, 2], [3, 4]]}\n"
                   "{'kind': 'end', 'records': 1}\n",
                   ":2: tensor 'q': 3 row labels but shape says 2 rows");
}

static void refuses_a_duplicate_name(void **state)
{
    assert_refused(HEADER GOOD_Q GOOD_Q "{'kind': 'end', 'records': 2}\n",
                   ":3: tensor 'q': name used twice (first on line 2)");
}

static void refuses_a_string_for_a_number(void **state)
{
    assert_refused(HEADER TENSOR_Q("[[1, '2'], [3, 4]]") "{'kind': 'end', 'records': 1}\n",
                   ":2: tensor 'q': data[0][1] is a string, expected a number or null");
}

static void refuses_an_unknown_kind(void **state)
{
    assert_refused(HEADER "{'kind': 'picture', 'name': 'q'}\n{'kind': 'end', 'records': 1}\n",
                   ":2: unknown kind \"picture\"");
}

static void refuses_an_empty_file(void **state)
{
    assert_refused("", ":1: the file is empty");
}

static void refuses_a_number_too_large_for_float32(void **state)
{
    assert_refused(HEADER TENSOR_Q("[[1, 2], [3, 3.5e38]]") "{'kind': 'end', 'records': 1}\n",
                   ":2: tensor 'q': data[1][1] is 3.5e+38, too large for a float32");
}

static void refuses_an_unknown_field(void **state)
{
    assert_refused(HEADER
                   "{'kind': 'tensor', 'name': 'q', 'role': 'input', 'op': 'given', 'inputs': [], "
                   "'shape': [1, 1], 'rows': null, 'cols': null, 'dtype': 'float32', "
                   "'data': [[1]], 'warning': 'misspelt'}\n"
                   "{'kind': 'end', 'records': 1}\n",
                   ":2: tensor 'q': unknown field 'warning'");
}

/* An op's parameters: numbers, strings and lists of numbers, in the
 * file's order, found by name. */
static void reads_attrs_in_order(void **state)
{
    read_result result = read_text(HEADER
                                   "{'kind': 'tensor', 'name': 'p', 'role': 'activation', "
                                   "'op': 'take_row', 'inputs': ['h'], "
                                   "'attrs': {'row': 3, 'p': 0.9, 'rng': 'pcg32', "
                                   "'widths': [1, 4]}, 'shape': [1, 1], 'rows': null, "
                                   "'cols': null, 'dtype': 'float32', 'data': [[1]]}\n"
                                   "{'kind': 'end', 'records': 1}\n");
    assert_int_equal(result.status, AL_OK);
    const al_trace_tensor *t = &result.trace->tensors[0];
    assert_int_equal(t->n_attrs, 4);
    assert_string_equal(t->attrs[0].name, "row");
    assert_int_equal(t->attrs[0].kind, AL_TRACE_ATTR_NUMBER);
    assert_true(t->attrs[0].number == 3.0);
    assert_string_equal(t->attrs[1].name, "p");
    assert_true(t->attrs[1].number == 0.9);
    const al_trace_tensor_attr *rng = al_trace_tensor_find_attr(t, "rng");
    assert_non_null(rng);
    assert_int_equal(rng->kind, AL_TRACE_ATTR_TEXT);
    assert_string_equal(rng->text, "pcg32");
    const al_trace_tensor_attr *widths = al_trace_tensor_find_attr(t, "widths");
    assert_int_equal(widths->kind, AL_TRACE_ATTR_LIST);
    assert_int_equal(widths->list_length, 2);
    assert_true(widths->list[1] == 4.0);
    assert_null(al_trace_tensor_find_attr(t, "col"));
    al_trace_file_free(result.trace);
}

/* A tensor with attrs 'ATTRS' (the text after "attrs": ). */
#define TENSOR_WITH_ATTRS(ATTRS)                                                        \
    "{'kind': 'tensor', 'name': 'q', 'role': 'activation', 'op': 'take_row', "          \
    "'inputs': ['h'], 'attrs': " ATTRS ", 'shape': [1, 1], 'rows': null, "              \
    "'cols': null, 'dtype': 'float32', 'data': [[1]]}\n{'kind': 'end', 'records': 1}\n"

static void refuses_attrs_that_are_not_an_object(void **state)
{
    assert_refused(HEADER TENSOR_WITH_ATTRS("[3]"),
                   ":2: tensor 'q': 'attrs' is a list, expected an object");
}

static void refuses_an_attr_that_is_not_a_number_string_or_list(void **state)
{
    assert_refused(HEADER TENSOR_WITH_ATTRS("{'row': null}"),
                   ":2: tensor 'q': attrs 'row' is null, expected a number, a string or a "
                   "list of numbers");
}

static void refuses_an_attr_list_holding_a_string(void **state)
{
    assert_refused(HEADER TENSOR_WITH_ATTRS("{'widths': [1, 'four']}"),
                   ":2: tensor 'q': attrs 'widths'[1] is a string, expected a number");
}

static void refuses_an_attr_given_twice(void **state)
{
    assert_refused(HEADER TENSOR_WITH_ATTRS("{'row': 1, 'row': 2}"), ":2: malformed JSON");
}

static void refuses_a_shape_of_zero(void **state)
{
    assert_refused(HEADER
                   "{'kind': 'tensor', 'name': 'q', 'role': 'input', 'op': 'given', 'inputs': [], "
                   "'shape': [0, 1], 'rows': null, 'cols': null, 'dtype': 'float32', "
                   "'data': []}\n"
                   "{'kind': 'end', 'records': 1}\n",
                   ":2: tensor 'q': shape[0] (rows) is 0, expected a whole number from 1");
}

static void refuses_a_softmax_row_before_its_tensor(void **state)
{
    assert_refused(HEADER
                   "{'kind': 'softmax_row', 'name': 'w', 'row': 0, 'label': null, "
                   "'temperature': 1, 'scores': [1], 'max': 1, 'exp': [1], 'sum': 1, "
                   "'weights': [1]}\n"
                   "{'kind': 'end', 'records': 1}\n",
                   ":2: softmax row of 'w': no tensor of that name before this line");
}

static void refuses_a_line_after_the_end(void **state)
{
    assert_refused(HEADER "{'kind': 'end', 'records': 0}\n" GOOD_Q,
                   ":3: a line after the end record");
}

static void refuses_a_line_that_is_not_an_object(void **state)
{
    assert_refused(HEADER "[1, 2]\n{'kind': 'end', 'records': 0}\n",
                   ":2: line is a list, expected a JSON object");
}

static void refuses_an_empty_line(void **state)
{
    assert_refused(HEADER "\n{'kind': 'end', 'records': 0}\n", ":2: empty line");
}

static void reports_a_missing_file(void **state)
{
    al_trace_file *trace = (al_trace_file *)&trace;  /* must be set to NULL */
    al_error err = {0};
    al_status status = al_trace_file_read(&trace, "/nonexistent/attnlab/t.jsonl", &err);
    assert_int_equal(status, AL_ERR_IO);
    assert_null(trace);
    assert_contains(err.message, "/nonexistent/attnlab/t.jsonl: cannot open");
}

/* ---- the sample trace in traces/ ---------------------------------------------- */

/* Every number in traces/sample.jsonl is a float64 result rounded to
 * float32; below 4 in magnitude, half a float32 step is at most 2.4e-7, and
 * the softmax goes through two such roundings (exp, then the sum). */
#define SAMPLE_TOLERANCE 1e-6

static const al_trace_tensor *find_sample_tensor(const al_trace_file *trace, const char *name)
{
    const al_trace_tensor *t = al_trace_file_find(trace, name);
    if (!t) {
        fail_msg("traces/sample.jsonl has no tensor '%s'", name);
    }
    return t;
}

/* out = factor * (a · b), or factor * (a · bᵀ) when b_transposed, recomputed
 * here in double from the trace's own inputs. */
static void check_product(const al_trace_file *trace, const char *out_name, const char *a_name,
                          const char *b_name, bool b_transposed, double factor)
{
    const al_trace_tensor *out = find_sample_tensor(trace, out_name);
    const al_trace_tensor *a = find_sample_tensor(trace, a_name);
    const al_trace_tensor *b = find_sample_tensor(trace, b_name);
    int inner = a->cols;
    assert_int_equal(b_transposed ? b->cols : b->rows, inner);
    assert_int_equal(out->rows, a->rows);
    assert_int_equal(out->cols, b_transposed ? b->rows : b->cols);
    for (int i = 0; i < out->rows; i++) {
        for (int j = 0; j < out->cols; j++) {
            double sum = 0;
            for (int p = 0; p < inner; p++) {
                float b_value = b_transposed ? al_trace_tensor_at(b, j, p)
                                             : al_trace_tensor_at(b, p, j);
                sum += (double)al_trace_tensor_at(a, i, p) * b_value;
            }
            assert_close(al_trace_tensor_at(out, i, j), factor * sum, SAMPLE_TOLERANCE);
        }
    }
}

/* weights = softmax of each row of scaled, and each row sums to 1. */
static void check_softmax(const al_trace_file *trace, const char *weights_name,
                          const char *scaled_name)
{
    const al_trace_tensor *weights = find_sample_tensor(trace, weights_name);
    const al_trace_tensor *scaled = find_sample_tensor(trace, scaled_name);
    for (int i = 0; i < weights->rows; i++) {
        double largest = al_trace_tensor_at(scaled, i, 0), total = 0, row_sum = 0;
        for (int j = 1; j < scaled->cols; j++) {
            largest = fmax(largest, al_trace_tensor_at(scaled, i, j));
        }
        for (int j = 0; j < scaled->cols; j++) {
            total += exp(al_trace_tensor_at(scaled, i, j) - largest);
        }
        for (int j = 0; j < weights->cols; j++) {
            double expected = exp(al_trace_tensor_at(scaled, i, j) - largest) / total;
            assert_close(al_trace_tensor_at(weights, i, j), expected, SAMPLE_TOLERANCE);
            row_sum += al_trace_tensor_at(weights, i, j);
        }
        assert_close(row_sum, 1.0, SAMPLE_TOLERANCE);
    }
}

/* The quick start shows traces/sample.jsonl: it must read, and its numbers
 * must be what their names say, recomputed here independently. */
static void sample_trace_is_consistent(void **state)
{
    const char *source_root = getenv("SRCDIR");
    if (!source_root) {
        skip();
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/traces/sample.jsonl", source_root);
    al_trace_file *trace = NULL;
    al_error err = {0};
    if (al_trace_file_read(&trace, path, &err) != AL_OK) {
        fail_msg("%s", err.message);
    }
    assert_int_equal(trace->n_tensors, 12);
    assert_int_equal(trace->n_softmax_rows, 3);
    check_product(trace, "enc.0.attn.q", "x", "enc.0.attn.w_q", false, 1);
    check_product(trace, "enc.0.attn.k", "x", "enc.0.attn.w_k", false, 1);
    check_product(trace, "enc.0.attn.v", "x", "enc.0.attn.w_v", false, 1);
    check_product(trace, "enc.0.attn.h0.scores", "enc.0.attn.q", "enc.0.attn.k", true, 1);
    /* scaled = scores / sqrt(d_k), d_k = 4 */
    check_product(trace, "enc.0.attn.h0.scaled", "enc.0.attn.q", "enc.0.attn.k", true, 0.5);
    check_softmax(trace, "enc.0.attn.h0.weights", "enc.0.attn.h0.scaled");
    check_product(trace, "enc.0.attn.h0.out", "enc.0.attn.h0.weights", "enc.0.attn.v", false, 1);
    al_trace_file_free(trace);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_the_header),
        cmocka_unit_test(reads_every_tensor_field),
        cmocka_unit_test(reads_exact_float32_values),
        cmocka_unit_test(null_reads_as_a_masked_entry),
        cmocka_unit_test(reads_a_softmax_row),
        cmocka_unit_test(finds_tensors_by_name),
        cmocka_unit_test(reads_the_largest_seed),
        cmocka_unit_test(refuses_malformed_json),
        cmocka_unit_test(refuses_a_missing_header),
        cmocka_unit_test(refuses_another_version),
        cmocka_unit_test(refuses_a_missing_end_record),
        cmocka_unit_test(refuses_a_wrong_end_count),
        cmocka_unit_test(refuses_a_last_line_without_newline),
        cmocka_unit_test(refuses_a_binary_file_as_binary),
        cmocka_unit_test(refuses_dev_zero_at_once),
        cmocka_unit_test(refuses_a_file_over_the_size_limit_unread),
        cmocka_unit_test(refuses_data_of_the_wrong_shape_naming_what_it_is),
        cmocka_unit_test(names_the_column_of_an_error_after_the_data),
        cmocka_unit_test(reads_data_in_any_field_order_and_long_numbers),
        cmocka_unit_test(finds_a_duplicate_name_among_thousands),
        cmocka_unit_test(keeps_only_the_data_asked_for),
        cmocka_unit_test(numbers_read_as_strtod_rounds_them),
        cmocka_unit_test(refuses_a_ragged_data_row),
        cmocka_unit_test(refuses_too_many_rows),
        cmocka_unit_test(refuses_a_wrong_label_count),
        cmocka_unit_test(refuses_a_duplicate_name),
        cmocka_unit_test(refuses_a_string_for_a_number),
        cmocka_unit_test(refuses_an_unknown_kind),
        cmocka_unit_test(refuses_an_empty_file),
        cmocka_unit_test(refuses_a_number_too_large_for_float32),
        cmocka_unit_test(refuses_an_unknown_field),
        cmocka_unit_test(reads_attrs_in_order),
        cmocka_unit_test(refuses_attrs_that_are_not_an_object),
        cmocka_unit_test(refuses_an_attr_that_is_not_a_number_string_or_list),
        cmocka_unit_test(refuses_an_attr_list_holding_a_string),
        cmocka_unit_test(refuses_an_attr_given_twice),
        cmocka_unit_test(refuses_a_shape_of_zero),
        cmocka_unit_test(refuses_a_softmax_row_before_its_tensor),
        cmocka_unit_test(refuses_a_line_after_the_end),
        cmocka_unit_test(refuses_a_line_that_is_not_an_object),
        cmocka_unit_test(refuses_an_empty_line),
        cmocka_unit_test(reports_a_missing_file),
        cmocka_unit_test(sample_trace_is_consistent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
