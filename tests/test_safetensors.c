/* test_safetensors.c: the safetensors container: a save -> load round trip
 * is bit-exact; the bytes follow the format; a file written by Python's
 * standard library loads with the right values, and a file attnlab wrote
 * reads correctly in Python; every malformed file is refused with its
 * message, and the writer refuses what the reader would.
 *
 * Arguments (from tests/meson.build): the file tests/reference/
 * write_safetensors.py made, the python3 program, and the path of
 * tests/reference/read_safetensors.py. */
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
#include "attnlab/safetensors.h"
#include "check.h"

typedef struct paths {
    const char *python_written;  /* made by write_safetensors.py  */
    const char *python;          /* python3                        */
    const char *python_reader;   /* read_safetensors.py            */
} paths;

/* A fresh temporary file name per test (the folder is removed after). */
typedef struct scratch {
    char folder[64];
    char file[128];
} scratch;

static void scratch_start(scratch *s)
{
    snprintf(s->folder, sizeof s->folder, "/tmp/attnlab-st-XXXXXX");
    assert_non_null(mkdtemp(s->folder));
    snprintf(s->file, sizeof s->file, "%s/m.safetensors", s->folder);
}

/* Removes the file; rmdir fails (and so does the test) if a temporary file
 * was left beside it. */
static void scratch_end(scratch *s)
{
    remove(s->file);
    assert_int_equal(rmdir(s->folder), 0);
}

static void same_bits(const al_matrix *a, const al_matrix *b)
{
    assert_int_equal(a->rows, b->rows);
    assert_int_equal(a->cols, b->cols);
    for (int i = 0; i < a->rows; i++)
        assert_memory_equal(al_at(a, i, 0), al_at(b, i, 0), (size_t)a->cols * sizeof(float));
}

/* --- round trip ------------------------------------------------------------------- */

/* Normal samples, plus -0, the largest float, the smallest denormal and
 * 0.1; one tensor is a column view (stride 5, 2 columns) to check that
 * views are written row by row. Everything must come back bit for bit. */
static void save_then_load_is_bit_exact(void **state)
{
    (void)state;
    scratch s;
    scratch_start(&s);
    al_matrix w, wide;
    assert_int_equal(al_matrix_alloc(&w, 7, 3, NULL), AL_OK);
    assert_int_equal(al_matrix_alloc(&wide, 4, 5, NULL), AL_OK);
    al_rng rng;
    al_rng_seed(&rng, 11, 0);
    al_rng_fill_normal(&w, &rng, 0.0f, 3.0f);
    al_rng_fill_normal(&wide, &rng, 0.0f, 1.0f);
    *al_at(&w, 0, 0) = -0.0f;
    *al_at(&w, 0, 1) = 3.4028235e38f;
    *al_at(&w, 0, 2) = 1e-45f;
    *al_at(&w, 1, 0) = 0.1f;
    al_named_tensor tensors[] = {{"enc.0.attn.w_q", w},
                                 {"slice", al_matrix_cols(&wide, 2, 2)}};
    al_metadata_entry metadata[] = {{"d_model", "3"}, {"vocab", "[\"<pad>\", \"café\"]"}};
    assert_int_equal(al_safetensors_write(s.file, tensors, 2, metadata, 2, NULL), AL_OK);

    al_safetensors file;
    assert_int_equal(al_safetensors_read(&file, s.file, NULL), AL_OK);
    assert_int_equal(file.count, 2);
    assert_string_equal(file.tensors[0].name, "enc.0.attn.w_q");
    assert_string_equal(file.tensors[1].name, "slice");
    same_bits(&file.tensors[0].value, &w);
    same_bits(&file.tensors[1].value, &tensors[1].value);
    assert_int_equal(file.metadata_count, 2);
    assert_string_equal(al_safetensors_metadata(&file, "vocab"), "[\"<pad>\", \"café\"]");
    assert_ptr_equal(al_safetensors_find(&file, "slice"), &file.tensors[1].value);
    assert_null(al_safetensors_find(&file, "missing"));
    assert_null(al_safetensors_metadata(&file, "missing"));
    al_safetensors_free(&file);
    al_matrix_free(&w);
    al_matrix_free(&wide);
    scratch_end(&s);
}

/* The first 8 bytes are the header length N, little-endian, a multiple of
 * 8 (space-padded); the header is the JSON with tensors in the order given;
 * the data is the floats' little-endian bytes: 1.0f is 00 00 80 3f. Two
 * writes give the same bytes. */
static void bytes_follow_the_format(void **state)
{
    (void)state;
    scratch s;
    scratch_start(&s);
    float one = 1.0f;
    al_named_tensor tensors[] = {{"x", al_matrix_wrap(&one, 1, 1)}};
    assert_int_equal(al_safetensors_write(s.file, tensors, 1, NULL, 0, NULL), AL_OK);
    unsigned char bytes[256];
    FILE *f = fopen(s.file, "rb");
    size_t n = fread(bytes, 1, sizeof bytes, f);
    fclose(f);
    const char header[] = "{\"x\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[0,4]}}";
    size_t padded = (sizeof header - 1 + 7) / 8 * 8; /* 56 -> 56 */
    assert_int_equal(n, 8 + padded + 4);
    assert_int_equal(bytes[0], padded);
    for (int k = 1; k < 8; k++)
        assert_int_equal(bytes[k], 0);
    assert_memory_equal(bytes + 8, header, sizeof header - 1);
    for (size_t k = 8 + sizeof header - 1; k < 8 + padded; k++)
        assert_int_equal(bytes[k], ' ');
    const unsigned char one_le[4] = {0x00, 0x00, 0x80, 0x3f};
    assert_memory_equal(bytes + 8 + padded, one_le, 4);

    unsigned char again[256];
    assert_int_equal(al_safetensors_write(s.file, tensors, 1, NULL, 0, NULL), AL_OK);
    f = fopen(s.file, "rb");
    assert_int_equal(fread(again, 1, sizeof again, f), n);
    fclose(f);
    assert_memory_equal(bytes, again, n);
    scratch_end(&s);
}

/* --- Python's standard library on the other side ---------------------------------- */

/* write_safetensors.py's tensors (see its docstring): data stored in another
 * order than the header lists them; a one-dimensional bias; extremes. The
 * expected values are computed here with the script's formula, rounded to
 * float as struct.pack('<f') rounds. Tensors come in data order. */
static void file_from_python_loads_with_the_right_values(void **state)
{
    const paths *p = *state;
    al_safetensors file;
    al_error err = {0};
    assert_int_equal(al_safetensors_read(&file, p->python_written, &err), AL_OK);
    assert_int_equal(file.count, 3);
    assert_string_equal(file.tensors[0].name, "enc.0.ffn.b1");
    assert_string_equal(file.tensors[2].name, "enc.0.ffn.w1");

    const al_matrix *w1 = al_safetensors_find(&file, "enc.0.ffn.w1");
    assert_int_equal(w1->rows, 2);
    assert_int_equal(w1->cols, 3);
    for (int k = 0; k < 6; k++)
        assert_same_float(*al_at(w1, k / 3, k % 3), (float)(0.1 * (k + 1) - 0.25));

    const al_matrix *b1 = al_safetensors_find(&file, "enc.0.ffn.b1");
    assert_int_equal(b1->rows, 1); /* shape [3] is read as 1 x 3 */
    assert_int_equal(b1->cols, 3);
    assert_same_float(*al_at(b1, 0, 0), 1.5f);
    assert_same_float(*al_at(b1, 0, 1), -2.0f);
    assert_same_float(*al_at(b1, 0, 2), 1e-30f);

    const al_matrix *extremes = al_safetensors_find(&file, "extremes");
    assert_true(signbit(*al_at(extremes, 0, 0)) && *al_at(extremes, 0, 0) == 0.0f);
    assert_same_float(*al_at(extremes, 0, 1), 3.4028235e38f);
    assert_same_float(*al_at(extremes, 0, 2), 1e-45f);
    assert_same_float(*al_at(extremes, 0, 3), 0.1f);

    assert_string_equal(al_safetensors_metadata(&file, "family"), "encoder-only");
    assert_string_equal(al_safetensors_metadata(&file, "vocab"),
                        "[\"<pad>\", \"<unk>\", \"<bos>\", \"<eos>\", \"[CLS]\", \"[MASK]\", "
                        "\"caf\\u00e9\"]"); /* Python's json.dumps escapes é inside */
    al_safetensors_free(&file);
}

/* The tensors read_safetensors.py expects: a (2 x 3) = k · 0.5 - 1 for
 * k = 0..5 and b (1 x 4) = (0.1, -0, 1e-45, the largest float), with
 * metadata note "héllo" and d_model "3". The script exits 0 if Python
 * reads exactly these. */
static void python_reads_what_attnlab_wrote(void **state)
{
    const paths *p = *state;
    scratch s;
    scratch_start(&s);
    float a[6], b[4] = {0.1f, -0.0f, 1e-45f, 3.4028235e38f};
    for (int k = 0; k < 6; k++)
        a[k] = (float)k * 0.5f - 1.0f;
    al_named_tensor tensors[] = {{"a", al_matrix_wrap(a, 2, 3)}, {"b", al_matrix_wrap(b, 1, 4)}};
    al_metadata_entry metadata[] = {{"note", "héllo"}, {"d_model", "3"}};
    assert_int_equal(al_safetensors_write(s.file, tensors, 2, metadata, 2, NULL), AL_OK);
    char command[1024];
    snprintf(command, sizeof command, "'%s' '%s' '%s'", p->python, p->python_reader, s.file);
    assert_int_equal(system(command), 0);
    scratch_end(&s);
}

/* --- refusals ------------------------------------------------------------------------- */

/* Write a file: 8-byte length (claimed, or the header's own length when
 * claimed is 0), the header text, then data_bytes bytes of data (each byte
 * from data, or 0 if data is NULL). */
static void write_raw(const char *path, unsigned long long claimed, const char *header,
                      size_t data_bytes, const unsigned char *data)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    unsigned long long n = claimed ? claimed : strlen(header);
    for (int k = 0; k < 8; k++)
        fputc((int)((n >> (8 * k)) & 0xff), f);
    fputs(header, f);
    for (size_t k = 0; k < data_bytes; k++)
        fputc(data ? data[k] : 0, f);
    fclose(f);
}

typedef struct bad_file {
    const char *what;
    unsigned long long claimed;  /* header length to write; 0: the true one */
    const char *header;
    size_t data_bytes;
    const char *message;         /* after "<path>: "; the start of it where
                                    the rest is jansson's own words */
} bad_file;

#define T(name, shape, begin, end)                                                     \
    "\"" name "\": {\"dtype\": \"F32\", \"shape\": " shape ", \"data_offsets\": ["   \
    #begin ", " #end "]}"

static const bad_file BAD_FILES[] = {
    {"header length larger than the file", 100, "{}", 12,
     "truncated: the header claims 100 bytes but only 14 follow"},
    {"oversized header", 200000000, "{}", 0,
     "oversized header: it claims 200000000 bytes, more than the limit of 100000000"},
    {"malformed JSON", 0, "{\"a\": ", 0,
     "malformed JSON header: "},
    {"a name twice", 0, "{" T("a", "[1]", 0, 4) ", " T("a", "[1]", 4, 8) "}", 8,
     "malformed JSON header: duplicate object key"},
    {"not an object", 0, "[1, 2]", 0,
     "malformed JSON header: not an object of named tensors"},
    {"dtype other than F32", 0,
     "{\"a\": {\"dtype\": \"F16\", \"shape\": [2], \"data_offsets\": [0, 4]}}", 4,
     "tensor 'a' has dtype F16; attnlab reads only F32 (float32)"},
    {"offsets that end before they begin", 0, "{" T("a", "[1]", 4, 0) "}", 4,
     "tensor 'a' has data_offsets [4, 0]: the end comes before the beginning"},
    {"offsets that disagree with the shape", 0, "{" T("a", "[2]", 0, 12) "}", 12,
     "tensor 'a' has shape 1 x 2 (8 bytes of F32) but data_offsets [0, 12] span 12 bytes"},
    {"offsets past the end of the data", 0, "{" T("a", "[2]", 0, 8) "}", 4,
     "truncated or out of range: tensor 'a' has data_offsets [0, 8] but the data is 4 bytes "
     "long"},
    {"overlapping offsets", 0, "{" T("a", "[2]", 0, 8) ", " T("b", "[2]", 4, 12) "}", 12,
     "tensors 'a' [0, 8] and 'b' [4, 12] overlap"},
    {"a hole between tensors", 0, "{" T("a", "[1]", 0, 4) ", " T("b", "[1]", 8, 12) "}", 12,
     "bytes 4 to 8 of the data belong to no tensor"},
    {"bytes after the last tensor", 0, "{" T("a", "[1]", 0, 4) "}", 8,
     "the last 4 bytes of the data belong to no tensor"},
    {"three dimensions", 0, "{" T("a", "[1, 1, 1]", 0, 4) "}", 4,
     "tensor 'a': attnlab reads shapes of one or two dimensions ([d] or [rows, cols]), not 3"},
    {"an empty dimension", 0, "{" T("a", "[0, 4]", 0, 0) "}", 0,
     "tensor 'a': every dimension must be a whole number from 1 to 1000000"},
    {"negative offsets", 0, "{" T("a", "[1]", -4, 0) "}", 4,
     "tensor 'a': data_offsets must be two whole numbers [begin, end]"},
    {"metadata that is not a string", 0, "{\"__metadata__\": {\"d_model\": 4}}", 0,
     "__metadata__ entry 'd_model' is not a string"},
};

static void each_malformed_file_is_refused_with_its_message(void **state)
{
    (void)state;
    scratch s;
    scratch_start(&s);
    for (size_t c = 0; c < sizeof BAD_FILES / sizeof BAD_FILES[0]; c++) {
        const bad_file *bad = &BAD_FILES[c];
        write_raw(s.file, bad->claimed, bad->header, bad->data_bytes, NULL);
        al_safetensors file;
        al_error err = {0};
        char expected[AL_ERROR_MESSAGE_SIZE];
        snprintf(expected, sizeof expected, "%s: %s", s.file, bad->message);
        if (al_safetensors_read(&file, s.file, &err) != AL_ERR_FORMAT ||
            strncmp(err.message, expected, strlen(expected)) != 0)
            fail_msg("%s:\n  got      \"%s\"\n  expected \"%s\"", bad->what, err.message,
                     expected);
        assert_int_equal(file.count, 0);
    }
    scratch_end(&s);
}

/* A file of 5 bytes cannot even hold the header's length. */
static void truncated_file_is_refused(void **state)
{
    (void)state;
    scratch s;
    scratch_start(&s);
    FILE *f = fopen(s.file, "wb");
    const unsigned char five[5] = {0x10, 0, 0, 0, 0};
    fwrite(five, 1, 5, f);
    fclose(f);
    al_safetensors file;
    al_error err = {0};
    assert_int_equal(al_safetensors_read(&file, s.file, &err), AL_ERR_FORMAT);
    char expected[AL_ERROR_MESSAGE_SIZE];
    snprintf(expected, sizeof expected, "%s: truncated: the file has 5 bytes, fewer than the 8 "
             "that give the header's length", s.file);
    assert_string_equal(err.message, expected);
    scratch_end(&s);
}

/* A NaN in the data (bytes 00 00 c0 7f) is refused with where it is. */
static void nan_in_the_data_is_refused(void **state)
{
    (void)state;
    scratch s;
    scratch_start(&s);
    const unsigned char data[8] = {0, 0, 0x80, 0x3f, 0, 0, 0xc0, 0x7f};
    write_raw(s.file, 0, "{" T("w", "[1, 2]", 0, 8) "}", 8, data);
    al_safetensors file;
    al_error err = {0};
    assert_int_equal(al_safetensors_read(&file, s.file, &err), AL_ERR_FORMAT);
    assert_non_null(strstr(err.message, "tensor 'w' holds nan at (0, 1)"));
    scratch_end(&s);
}

static void missing_file_is_an_io_error(void **state)
{
    (void)state;
    al_safetensors file;
    al_error err = {0};
    assert_int_equal(al_safetensors_read(&file, "/nonexistent/m.safetensors", &err), AL_ERR_IO);
    assert_string_equal(err.message, "cannot open /nonexistent/m.safetensors");
}

/* The writer refuses what the reader would, and leaves no file behind. */
static void writer_refuses_bad_names_and_numbers(void **state)
{
    (void)state;
    scratch s;
    scratch_start(&s);
    float values[2] = {1, 2};
    al_matrix m = al_matrix_wrap(values, 1, 2);
    al_error err = {0};
    al_named_tensor twice[] = {{"w", m}, {"w", m}};
    assert_int_equal(al_safetensors_write(s.file, twice, 2, NULL, 0, &err), AL_ERR_VALUE);
    assert_string_equal(err.message, "safetensors: two tensors are named 'w'");
    al_named_tensor reserved[] = {{"__metadata__", m}};
    assert_int_equal(al_safetensors_write(s.file, reserved, 1, NULL, 0, &err), AL_ERR_VALUE);
    values[1] = NAN;
    al_named_tensor not_a_number[] = {{"w", m}};
    assert_int_equal(al_safetensors_write(s.file, not_a_number, 1, NULL, 0, &err), AL_ERR_VALUE);
    assert_string_equal(err.message, "safetensors: tensor 'w' holds nan at (0, 1)");
    assert_int_equal(access(s.file, F_OK), -1);
    values[1] = 2;
    assert_int_equal(al_safetensors_write("/nonexistent/m.safetensors", not_a_number, 1, NULL, 0,
                                          &err),
                     AL_ERR_IO);
    scratch_end(&s);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: test_safetensors PYTHON_WRITTEN_FILE PYTHON3 READER_SCRIPT\n");
        return 2;
    }
    paths p = {.python_written = argv[1], .python = argv[2], .python_reader = argv[3]};
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(save_then_load_is_bit_exact),
        cmocka_unit_test(bytes_follow_the_format),
        cmocka_unit_test_prestate(file_from_python_loads_with_the_right_values, &p),
        cmocka_unit_test_prestate(python_reads_what_attnlab_wrote, &p),
        cmocka_unit_test(each_malformed_file_is_refused_with_its_message),
        cmocka_unit_test(truncated_file_is_refused),
        cmocka_unit_test(nan_in_the_data_is_refused),
        cmocka_unit_test(missing_file_is_an_io_error),
        cmocka_unit_test(writer_refuses_bad_names_and_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
