/* test_trace_roundtrip.c: what the writer writes, the reader reads back
 * bit for bit: every float32 bit pattern class (random bits, subnormals,
 * extremes, negative zero), labels with quotes, backslashes and UTF-8,
 * masked entries, inputs, notes and softmax rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "attnlab/rng.h"
#include "attnlab/trace.h"
#include "attnlab/trace_file.h"
#include "check.h"

/* A finite float from 32 random bits: exponent 255 (inf/NaN) is redrawn. */
static float random_finite_float(al_rng *rng)
{
    for (;;) {
        uint32_t bits = al_rng_next(rng);
        float x;
        memcpy(&x, &bits, sizeof x);
        if (isfinite(x))
            return x;
    }
}

static void write_then_read(const char *path, const al_matrix *m, al_trace_level level)
{
    const char *args[] = {"--sentence", "naïve \"quote\" back\\slash"};
    al_trace_options options = {.program = "roundtrip", .argc = 2, .argv = args, .seed = 123,
                                .level = level};
    al_trace *trace;
    assert_int_equal(al_trace_open(&trace, path, &options, NULL), AL_OK);
    const char *rows[] = {"The", "économique", "a\"b", "c\\d", "tab\there", "x", "y", "z"};
    const char *cols[] = {"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"};
    al_tensor_info info = {.name = "enc.0.attn.h0.scaled", .role = AL_ROLE_ACTIVATION,
                           .op = "scale", .inputs = {"enc.0.attn.h0.scores"},
                           .row_labels = rows, .col_labels = cols, .mask = "enc.0.attn.mask",
                           .note = "scores / sqrt(d_k)", .warning = "row 1 is fully masked"};
    assert_int_equal(al_trace_matrix(trace, &info, m, NULL), AL_OK);
    assert_int_equal(al_trace_softmax_rows(trace, "enc.0.attn.h0.scaled", m, 1.0f, rows, NULL),
                     AL_OK);
    assert_int_equal(al_trace_close(trace, NULL), AL_OK);
}

/* 8 x 8 random bit patterns, plus the special values in row 0. */
static void every_float_reads_back_exactly(void **state)
{
    (void)state;
    al_rng rng;
    al_rng_seed(&rng, 2024, 0);
    al_matrix m;
    assert_int_equal(al_matrix_alloc(&m, 8, 8, NULL), AL_OK);
    for (int i = 0; i < 64; i++)
        m.data[i] = random_finite_float(&rng);
    const float specials[] = {0.0f, -0.0f, 1e-45f, -1.17549435e-38f, 3.40282347e38f, 0.1f,
                              -INFINITY, 16777216.0f};
    memcpy(m.data, specials, sizeof specials);

    char path[] = "/tmp/attnlab-roundtrip-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_then_read(path, &m, AL_TRACE_TENSORS);

    al_trace_file *file;
    al_error err = {0};
    if (al_trace_file_read(&file, path, &err) != AL_OK)
        fail_msg("reading back failed: %s", err.message);
    unlink(path);
    const al_trace_tensor *t = al_trace_file_find(file, "enc.0.attn.h0.scaled");
    assert_non_null(t);
    assert_int_equal(t->rows, 8);
    assert_int_equal(t->cols, 8);
    for (int i = 0; i < 64; i++) {
        float written = m.data[i], read = t->data[i];
        if (written == -INFINITY) {
            assert_true(al_trace_tensor_is_null(t, i / 8, i % 8));
            continue;
        }
        if (memcmp(&written, &read, sizeof read) != 0)
            fail_msg("entry %d: wrote %.9g, read %.9g", i, (double)written, (double)read);
    }
    assert_string_equal(t->row_labels[1], "économique");
    assert_string_equal(t->row_labels[2], "a\"b");
    assert_string_equal(t->row_labels[3], "c\\d");
    assert_string_equal(t->row_labels[4], "tab\there");
    assert_string_equal(t->inputs[0], "enc.0.attn.h0.scores");
    assert_string_equal(t->mask, "enc.0.attn.mask");
    assert_string_equal(t->note, "scores / sqrt(d_k)");
    assert_string_equal(t->warnings[0], "row 1 is fully masked");
    assert_string_equal(file->args[1], "naïve \"quote\" back\\slash");
    assert_true(file->seed == 123);
    al_trace_file_free(file);
    al_matrix_free(&m);
}

/* Level rows: the reader gets the same steps the writer derived. Row
 * (0, ln 2) has max ln 2, exps (1/2, 1), sum 3/2, weights (1/3, 2/3). */
static void softmax_rows_read_back(void **state)
{
    (void)state;
    al_matrix m;
    assert_int_equal(al_matrix_alloc(&m, 1, 2, NULL), AL_OK);
    m.data[1] = logf(2.0f);
    char path[] = "/tmp/attnlab-roundtrip-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_then_read(path, &m, AL_TRACE_ROWS);
    al_trace_file *file;
    al_error err = {0};
    if (al_trace_file_read(&file, path, &err) != AL_OK)
        fail_msg("reading back failed: %s", err.message);
    unlink(path);
    assert_int_equal(file->n_softmax_rows, 1);
    const al_trace_softmax_row *row = &file->softmax_rows[0];
    assert_string_equal(row->label, "The");
    assert_same_float(row->max, logf(2.0f));
    assert_close(row->exps[0], 0.5, 1e-7);
    assert_same_float(row->exps[1], 1.0f);
    assert_close(row->sum, 1.5, 1e-7);
    assert_close(row->weights[0], 1.0 / 3.0, 1e-7);
    assert_close(row->weights[1], 2.0 / 3.0, 1e-7);
    al_trace_file_free(file);
    al_matrix_free(&m);
}

/* An op's parameters come back as written: whole numbers exactly, a
 * float32 as the double nearest its shortest text, which rounds back to
 * the same float32 (0.9f), text and lists as they were; a long input list
 * comes back whole. */
static void attrs_and_a_long_input_list_read_back(void **state)
{
    (void)state;
    char path[] = "/tmp/attnlab-roundtrip-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    al_trace_options options = {.program = "roundtrip", .level = AL_TRACE_TENSORS};
    al_trace *trace;
    assert_int_equal(al_trace_open(&trace, path, &options, NULL), AL_OK);
    enum { STEPS = AL_TRACE_MAX_INPUTS + 4 }; /* more than inputs[] holds */
    char text[STEPS][AL_NAME_SIZE];
    const char *steps[STEPS];
    for (int t = 0; t < STEPS; t++)
        steps[t] = al_name(text[t], "s2s.step%d.h", t);
    static const int widths[] = {1, 4, 1024};
    float one = 1.0f;
    al_matrix m = al_matrix_wrap(&one, 1, 1);
    al_tensor_info info = {.name = "t", .role = AL_ROLE_ACTIVATION, .op = "stack_steps",
                           .input_list = steps, .n_input_list = STEPS,
                           .attrs = {AL_ATTR("row", 12), AL_ATTR("p", 0.9f),
                                     AL_ATTR("first_position", 4096),
                                     AL_ATTR_TEXT("rng_state", "0xb0a3e85a992afe5b"),
                                     AL_ATTR_LIST("widths", widths, 3)}};
    assert_int_equal(al_trace_matrix(trace, &info, &m, NULL), AL_OK);
    assert_int_equal(al_trace_close(trace, NULL), AL_OK);

    al_trace_file *file;
    al_error err = {0};
    if (al_trace_file_read(&file, path, &err) != AL_OK)
        fail_msg("reading back failed: %s", err.message);
    unlink(path);
    const al_trace_tensor *t = &file->tensors[0];
    assert_int_equal(t->n_inputs, STEPS);
    assert_string_equal(t->inputs[STEPS - 1], "s2s.step19.h");
    assert_int_equal(t->n_attrs, 5);
    assert_true(al_trace_tensor_find_attr(t, "row")->number == 12.0);
    assert_same_float((float)al_trace_tensor_find_attr(t, "p")->number, 0.9f);
    assert_true(al_trace_tensor_find_attr(t, "first_position")->number == 4096.0);
    assert_string_equal(al_trace_tensor_find_attr(t, "rng_state")->text, "0xb0a3e85a992afe5b");
    const al_trace_tensor_attr *list = al_trace_tensor_find_attr(t, "widths");
    assert_int_equal(list->list_length, 3);
    assert_true(list->list[2] == 1024.0);
    assert_string_equal(t->attrs[4].name, "widths"); /* the order as written */
    al_trace_file_free(file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_float_reads_back_exactly),
        cmocka_unit_test(softmax_rows_read_back),
        cmocka_unit_test(attrs_and_a_long_input_list_read_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
