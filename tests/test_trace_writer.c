/* test_trace_writer.c: the bytes the trace writer produces (header, tensor
 * records, nulls for masked entries, softmax rows, end record), the filter,
 * and that a failed or abandoned trace leaves no file behind. Reading
 * traces back is tested with the reader, in test_trace_roundtrip.c. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "attnlab/trace.h"
#include "attnlab/utf8.h"
#include "check.h"

/* A fresh folder per test, removed afterwards. */
typedef struct folder {
    char path[64];
    char file[128];
} folder;

static int make_folder(void **state)
{
    folder *f = calloc(1, sizeof *f);
    snprintf(f->path, sizeof f->path, "/tmp/attnlab-test-XXXXXX");
    assert_non_null(mkdtemp(f->path));
    snprintf(f->file, sizeof f->file, "%s/t.jsonl", f->path);
    *state = f;
    return 0;
}

/* The folder must be empty but for the trace: a leftover temporary file
 * would make rmdir fail. */
static int remove_folder(void **state)
{
    folder *f = *state;
    remove(f->file);
    int removed = rmdir(f->path);
    free(f);
    return removed;
}

static char *slurp(const char *path)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return NULL;
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, file);
    text[n] = '\0';
    fclose(file);
    return text;
}

static const char *const ARGS[] = {"--sentence", "The \"cat\""};
static const al_trace_options OPTIONS = {
    .program = "test", .argc = 2, .argv = ARGS, .seed = 42, .level = AL_TRACE_TENSORS};

static void header_and_tensor_record_bytes(void **state)
{
    folder *f = *state;
    al_trace *trace;
    assert_int_equal(al_trace_open(&trace, f->file, &OPTIONS, NULL), AL_OK);
    assert_null(slurp(f->file)); /* nothing at the destination yet */
    float data[] = {0.75f, 0.25f, 0.4f, 0.6f};
    al_matrix w = al_matrix_wrap(data, 2, 2);
    const char *labels[] = {"The", "cat"};
    al_tensor_info info = {.name = "enc.0.attn.h0.weights", .role = AL_ROLE_ACTIVATION,
                           .op = "softmax_rows", .inputs = {"enc.0.attn.h0.scaled"},
                           .row_labels = labels, .col_labels = labels};
    assert_int_equal(al_trace_matrix(trace, &info, &w, NULL), AL_OK);
    assert_int_equal(al_trace_close(trace, NULL), AL_OK);

    char expected[1024];
    snprintf(expected, sizeof expected,
             "{\"format\": \"attnlab-trace\", \"version\": 1, \"program\": \"test\", "
             "\"args\": [\"--sentence\", \"The \\\"cat\\\"\"], \"seed\": 42, "
             "\"library\": \"%s\", \"level\": \"tensors\", \"filter\": \"*\"}\n"
             "{\"kind\": \"tensor\", \"name\": \"enc.0.attn.h0.weights\", \"role\": "
             "\"activation\", \"op\": \"softmax_rows\", \"inputs\": [\"enc.0.attn.h0.scaled\"], "
             "\"shape\": [2, 2], \"rows\": [\"The\", \"cat\"], \"cols\": [\"The\", \"cat\"], "
             "\"dtype\": \"float32\", \"data\": [[0.75, 0.25], [0.4, 0.6]]}\n"
             "{\"kind\": \"end\", \"records\": 1}\n",
             al_library_version());
    assert_string_equal(slurp(f->file), expected);
}

/* A Latin-1 byte among the arguments is written as U+FFFD; good UTF-8
 * (é, 世, 😀) stays as it is; the file is valid UTF-8 throughout. */
static void bytes_that_are_not_utf8_become_replacement_characters(void **state)
{
    folder *f = *state;
    static const char mixed[] = "caf\xc3\xa9 \xe4\xb8\x96 \xf0\x9f\x98\x80 \xed\xa0\x80 \xc3";
    static const char *const args[] = {"--trace", "caf\xe9.jsonl", mixed};
    al_trace_options options = OPTIONS;
    options.argc = 3, options.argv = args;
    al_trace *trace;
    assert_int_equal(al_trace_open(&trace, f->file, &options, NULL), AL_OK);
    assert_int_equal(al_trace_close(trace, NULL), AL_OK);
    const char *text = slurp(f->file);
    assert_non_null(strstr(text, "\"args\": [\"--trace\", \"caf\\ufffd.jsonl\", "
                                 "\"caf\xc3\xa9 \xe4\xb8\x96 \xf0\x9f\x98\x80 "
                                 "\\ufffd\\ufffd\\ufffd \\ufffd\"]"));
    assert_int_equal(al_utf8_invalid(text, strlen(text)), -1);
}

/* Shortest text that reads back exactly: 0.1f is "0.1" although the float
 * is 0.100000001490116..., 1/3 needs eight digits (0.33333334; 0.3333333
 * is another float), negative zero keeps its sign as -0.0, and the extremes of float32 survive. -inf is a masked
 * entry: null. */
static void floats_are_shortest_exact_text_and_masked_is_null(void **state)
{
    folder *f = *state;
    al_trace *trace;
    assert_int_equal(al_trace_open(&trace, f->file, &OPTIONS, NULL), AL_OK);
    float data[] = {0.1f, 1.0f / 3.0f, 16777216.0f, 1e-45f, -0.0f, 3.4028235e38f, -INFINITY};
    al_matrix v = al_matrix_wrap(data, 1, 7);
    al_tensor_info info = {.name = "v", .role = AL_ROLE_INPUT, .mask = "m", .note = "a note",
                           .warning = "row 0 is odd"};
    assert_int_equal(al_trace_matrix(trace, &info, &v, NULL), AL_OK);
    assert_int_equal(al_trace_close(trace, NULL), AL_OK);
    const char *text = slurp(f->file);
    assert_non_null(strstr(text, "\"op\": \"given\", \"inputs\": [], \"shape\": [1, 7], "
                                 "\"rows\": null, \"cols\": null"));
    assert_non_null(strstr(text, "\"data\": [[0.1, 0.33333334, 16777216, 1e-45, -0.0, "
                                 "3.4028235e+38, null]]"));
    assert_non_null(strstr(text, "\"mask\": \"m\", \"note\": \"a note\", "
                                 "\"warnings\": [\"row 0 is odd\"]}"));
}

/* An op's parameters go in "attrs" right after "inputs", in the order
 * given: whole numbers as integers, others as their float32 text (0.9f is
 * "0.9"), text as a string and a list as whole numbers. A long list of
 * inputs replaces inputs[]. */
static void attrs_in_order_and_a_long_input_list(void **state)
{
    folder *f = *state;
    al_trace *trace;
    assert_int_equal(al_trace_open(&trace, f->file, &OPTIONS, NULL), AL_OK);
    float data[] = {1.0f};
    al_matrix v = al_matrix_wrap(data, 1, 1);
    static const int widths[] = {1, 4, 16};
    static const char *const steps[] = {"s0", "s1", "s2"};
    al_tensor_info info = {.name = "t", .role = AL_ROLE_ACTIVATION, .op = "invented",
                           .input_list = steps, .n_input_list = 3,
                           .attrs = {AL_ATTR("row", 3), AL_ATTR("p", 0.9f),
                                     AL_ATTR_TEXT("rng", "pcg32"),
                                     AL_ATTR_LIST("widths", widths, 3), AL_ATTR("shift", -2)}};
    assert_int_equal(al_trace_matrix(trace, &info, &v, NULL), AL_OK);
    assert_int_equal(al_trace_close(trace, NULL), AL_OK);
    assert_non_null(strstr(slurp(f->file),
                           "\"op\": \"invented\", \"inputs\": [\"s0\", \"s1\", \"s2\"], "
                           "\"attrs\": {\"row\": 3, \"p\": 0.9, \"rng\": \"pcg32\", "
                           "\"widths\": [1, 4, 16], \"shift\": -2}, \"shape\": [1, 1]"));
}

/* A NaN parameter cannot be written (JSON has no NaN): the record fails
 * naming the tensor and the attr. */
static void nan_attr_fails(void **state)
{
    folder *f = *state;
    al_trace *trace;
    assert_int_equal(al_trace_open(&trace, f->file, &OPTIONS, NULL), AL_OK);
    float data[] = {1.0f};
    al_matrix v = al_matrix_wrap(data, 1, 1);
    al_error err = {0};
    al_tensor_info info = {.name = "t", .role = AL_ROLE_ACTIVATION, .attrs = {AL_ATTR("p", NAN)}};
    assert_int_equal(al_trace_matrix(trace, &info, &v, &err), AL_ERR_VALUE);
    assert_non_null(strstr(err.message, "'t'"));
    assert_non_null(strstr(err.message, "attr 'p'"));
    assert_int_equal(al_trace_close(trace, NULL), AL_ERR_VALUE);
    assert_null(slurp(f->file));
}

/* NaN cannot be traced: the call fails naming tensor and entry, and the
 * close reports it and leaves nothing (remove_folder checks no temporary
 * file is left either). */
static void nan_fails_and_leaves_no_file(void **state)
{
    folder *f = *state;
    al_trace *trace;
    assert_int_equal(al_trace_open(&trace, f->file, &OPTIONS, NULL), AL_OK);
    float data[] = {1.0f, NAN};
    al_matrix v = al_matrix_wrap(data, 1, 2);
    al_error err = {0};
    al_tensor_info info = {.name = "bad", .role = AL_ROLE_ACTIVATION};
    assert_int_equal(al_trace_matrix(trace, &info, &v, &err), AL_ERR_VALUE);
    assert_non_null(strstr(err.message, "'bad'"));
    assert_non_null(strstr(err.message, "(0, 1)"));
    memset(&err, 0, sizeof err);
    assert_int_equal(al_trace_close(trace, &err), AL_ERR_VALUE);
    assert_non_null(strstr(err.message, "'bad'"));
    assert_null(slurp(f->file));
}

static void discard_leaves_no_file(void **state)
{
    folder *f = *state;
    al_trace *trace;
    assert_int_equal(al_trace_open(&trace, f->file, &OPTIONS, NULL), AL_OK);
    al_trace_discard(trace);
    assert_null(slurp(f->file));
}

static void open_in_missing_folder_fails_cleanly(void **state)
{
    (void)state;
    al_trace *trace = (al_trace *)1;
    al_error err = {0};
    assert_int_equal(al_trace_open(&trace, "/nonexistent-attnlab/t.jsonl", &OPTIONS, &err),
                     AL_ERR_IO);
    assert_null(trace);
    assert_non_null(strstr(err.message, "/nonexistent-attnlab/t.jsonl"));
}

/* With filter "*.weights" only names ending in .weights are written, and
 * the end record counts what was written. A NULL trace accepts anything. */
/* A filter whose '[' is never closed would match nothing meant: refused
 * before any file is made; a ']' first in a set is part of it. */
static void a_filter_with_an_open_bracket_is_refused(void **state)
{
    folder *f = *state;
    al_trace_options options = OPTIONS;
    options.filter = "enc.*.h[01";
    al_trace *trace;
    al_error err = {0};
    assert_int_equal(al_trace_open(&trace, f->file, &options, &err), AL_ERR_ARG);
    assert_string_equal(err.message, "the trace filter 'enc.*.h[01' is not a glob: the '[' at "
                                     "character 8 is never closed by a ']'");
    assert_null(trace);
    assert_null(slurp(f->file));
    options.filter = "x[]]y*";
    assert_int_equal(al_trace_open(&trace, f->file, &options, NULL), AL_OK);
    al_trace_discard(trace);
}

static void filter_limits_names(void **state)
{
    folder *f = *state;
    al_trace_options options = OPTIONS;
    options.filter = "*.weights";
    al_trace *trace;
    assert_int_equal(al_trace_open(&trace, f->file, &options, NULL), AL_OK);
    float one = 1.0f;
    al_matrix m = al_matrix_wrap(&one, 1, 1);
    assert_false(al_trace_wants(trace, "enc.0.attn.q"));
    assert_true(al_trace_wants(trace, "enc.0.attn.h0.weights"));
    assert_int_equal(al_trace_matrix(trace, &(al_tensor_info){.name = "enc.0.attn.q"}, &m, NULL),
                     AL_OK);
    assert_int_equal(
        al_trace_matrix(trace, &(al_tensor_info){.name = "enc.0.attn.h0.weights"}, &m, NULL),
        AL_OK);
    assert_int_equal(al_trace_matrix(NULL, &(al_tensor_info){.name = "x"}, &m, NULL), AL_OK);
    assert_int_equal(al_trace_close(trace, NULL), AL_OK);
    const char *text = slurp(f->file);
    assert_null(strstr(text, "enc.0.attn.q\""));
    assert_non_null(strstr(text, "\"filter\": \"*.weights\""));
    assert_non_null(strstr(text, "{\"kind\": \"end\", \"records\": 1}\n"));
}

/* Level rows: scores (1, 1, masked) give max 1, exps (e^0, e^0, 0) =
 * (1, 1, 0), sum 2, weights (0.5, 0.5, 0), all exact in float32; a masked
 * entry is null in scores and 0 in exp; a fully masked row has max null and
 * sum 0. */
static void softmax_rows_record_every_step(void **state)
{
    folder *f = *state;
    al_trace_options options = OPTIONS;
    options.level = AL_TRACE_ROWS;
    al_trace *trace;
    assert_int_equal(al_trace_open(&trace, f->file, &options, NULL), AL_OK);
    float scores[] = {1.0f, 1.0f, -INFINITY, -INFINITY, -INFINITY, -INFINITY};
    al_matrix s = al_matrix_wrap(scores, 2, 3);
    const char *labels[] = {"a", "b"};
    assert_int_equal(al_trace_softmax_rows(trace, "w", &s, 1.0f, labels, NULL), AL_OK);
    assert_int_equal(al_trace_close(trace, NULL), AL_OK);
    const char *text = slurp(f->file);
    assert_non_null(strstr(text, "{\"kind\": \"softmax_row\", \"name\": \"w\", \"row\": 0, "
                                 "\"label\": \"a\", \"temperature\": 1, \"scores\": [1, 1, null], "
                                 "\"max\": 1, \"exp\": [1, 1, 0], \"sum\": 2, "
                                 "\"weights\": [0.5, 0.5, 0]}\n"));
    assert_non_null(strstr(text, "\"row\": 1, \"label\": \"b\", \"temperature\": 1, \"scores\": "
                                 "[null, null, null], \"max\": null, \"exp\": [0, 0, 0], "
                                 "\"sum\": 0, \"weights\": [0, 0, 0]}"));
    assert_non_null(strstr(text, "{\"kind\": \"end\", \"records\": 2}\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(header_and_tensor_record_bytes, make_folder, remove_folder),
        cmocka_unit_test_setup_teardown(floats_are_shortest_exact_text_and_masked_is_null,
                                        make_folder, remove_folder),
        cmocka_unit_test_setup_teardown(attrs_in_order_and_a_long_input_list, make_folder,
                                        remove_folder),
        cmocka_unit_test_setup_teardown(nan_attr_fails, make_folder, remove_folder),
        cmocka_unit_test_setup_teardown(nan_fails_and_leaves_no_file, make_folder, remove_folder),
        cmocka_unit_test_setup_teardown(discard_leaves_no_file, make_folder, remove_folder),
        cmocka_unit_test(open_in_missing_folder_fails_cleanly),
        cmocka_unit_test_setup_teardown(bytes_that_are_not_utf8_become_replacement_characters,
                                        make_folder, remove_folder),
        cmocka_unit_test_setup_teardown(filter_limits_names, make_folder, remove_folder),
        cmocka_unit_test_setup_teardown(a_filter_with_an_open_bracket_is_refused, make_folder,
                                        remove_folder),
        cmocka_unit_test_setup_teardown(softmax_rows_record_every_step, make_folder, remove_folder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
