/* test_gru_pytorch.c: the GRU in PyTorch's form (rnn.h, AL_RNN_GRU_PYTORCH)
 * beside Cho et al.'s: one step by hand, the two forms apart when the reset
 * gate is not all ones, together when it is and b_hn = 0, the op names and
 * the extra bias in a trace, and the seq2seq model's b_hn. Not the seq2seq
 * pass itself (test_seq2seq.c, seq2seq_reference.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "attnlab/seq2seq.h"
#include "check.h"
#include "trace_capture.h"

/* The candidate's sums reach 3.5 in magnitude before tanh and σ, worked in
 * float32: a few ulps of 2^-22 (about 2.4e-7 each), and tanh and σ do not
 * magnify them. The expected values are worked in double. */
#define STEP_TOLERANCE 1e-6

/* The two forms with r = 1 and b_hn = 0 are the same sum added in another
 * order (x·W_x + b first, or x·W_x + h·W_h first): a few float32 ulps of
 * entries below 4, carried through 5 steps. */
#define SAME_SUM_TOLERANCE 2e-6

static void set(al_matrix *m, const float *values)
{
    for (int i = 0; i < m->rows; i++)
        for (int j = 0; j < m->cols; j++)
            *al_at(m, i, j) = values[i * m->cols + j];
}

static double sigmoid(double a)
{
    return 1.0 / (1.0 + exp(-a));
}

/* The tiny cell of the hand calculations, d_in = 1, d_h = 2, in either form:
 *   W_xz = (0, 0), W_hz = 0, b_z = (0, ln 3)
 *   W_xr = (ln 3, 0), W_hr = [[0, 0], [0, ln 3]], b_r = (0, 0)
 *   W_x = (1, -1), W_h = [[1, 2], [3, 4]], b = (0.1, 0.2), b_hn = (0.5, -0.5)
 * read with x = (1), h_prev = (0.5, -1). */
static void tiny_cell(al_rnn_cell *cell, al_rnn_kind kind, bool hidden_bias)
{
    const float ln3 = (float)log(3.0);
    assert_int_equal(al_rnn_cell_alloc(cell, kind, 1, 2, NULL), AL_OK);
    set(&cell->b_z, (const float[]){0, ln3});
    set(&cell->w_xr, (const float[]){ln3, 0});
    set(&cell->w_hr, (const float[]){0, 0, 0, ln3});
    set(&cell->w_x, (const float[]){1, -1});
    set(&cell->w_h, (const float[]){1, 2, 3, 4});
    set(&cell->b, (const float[]){0.1f, 0.2f});
    if (kind == AL_RNN_GRU_PYTORCH && hidden_bias)
        set(&cell->b_hn, (const float[]){0.5f, -0.5f});
}

typedef struct one_step {
    float z[2], r[2], n[2], h[2];
} one_step;

static one_step step_once(const al_rnn_cell *cell)
{
    al_rnn_gates gates;
    assert_int_equal(al_rnn_gates_alloc(&gates, cell, 1, NULL), AL_OK);
    float x_data[1] = {1}, prev_data[2] = {0.5f, -1};
    one_step out;
    al_matrix x = al_matrix_wrap(x_data, 1, 1), prev = al_matrix_wrap(prev_data, 1, 2);
    al_matrix h = al_matrix_wrap(out.h, 1, 2);
    assert_int_equal(al_rnn_step(&h, &gates.z, &gates.r, &gates.n, &gates, &x, &prev, cell,
                                 NULL), AL_OK);
    for (int j = 0; j < 2; j++) {
        out.z[j] = *al_at(&gates.z, 0, j);
        out.r[j] = *al_at(&gates.r, 0, j);
        out.n[j] = *al_at(&gates.n, 0, j);
    }
    al_rnn_gates_free(&gates);
    return out;
}

/* The gates, the same in both forms:
 *   z = σ(x·W_xz + h·W_hz + b_z) = σ((0, ln 3)) = (1/2, 3/4)
 *   h·W_hr = (0.5·0 − 1·0, 0.5·0 − 1·ln 3) = (0, −ln 3)
 *   r = σ(x·W_xr + h·W_hr + b_r) = σ((ln 3, −ln 3)) = (3/4, 1/4)
 * PyTorch's candidate:
 *   x·W_x + b          = (1 + 0.1, −1 + 0.2)                   = (1.1, −0.8)
 *   h·W_h              = (0.5·1 − 1·3, 0.5·2 − 1·4)            = (−2.5, −3)
 *   h·W_h + b_hn       = (−2.5 + 0.5, −3 − 0.5)                = (−2, −3.5)
 *   r ⊙ (h·W_h + b_hn) = (3/4 · −2, 1/4 · −3.5)                = (−1.5, −0.875)
 *   n = tanh(1.1 − 1.5, −0.8 − 0.875) = (tanh −0.4, tanh −1.675)
 *     = (−0.379948962, −0.932209672)
 *   h = (1 − z) ⊙ n + z ⊙ h_prev
 *     = (1/2 · −0.379948962 + 1/2 · 0.5, 1/4 · −0.932209672 + 3/4 · −1)
 *     = (0.060025519, −0.983052418) */
static void pytorch_step_by_hand(void **state)
{
    (void)state;
    al_rnn_cell cell;
    tiny_cell(&cell, AL_RNN_GRU_PYTORCH, true);
    one_step got = step_once(&cell);
    double z[2] = {0.5, 0.75}, r[2] = {0.75, 0.25};
    double n[2] = {tanh(1.1 + r[0] * (-2.5 + 0.5)), tanh(-0.8 + r[1] * (-3.0 - 0.5))};
    double h[2] = {(1 - z[0]) * n[0] + z[0] * 0.5, (1 - z[1]) * n[1] + z[1] * -1.0};
    for (int j = 0; j < 2; j++) {
        assert_close(got.z[j], z[j], STEP_TOLERANCE);
        assert_close(got.z[j], sigmoid(j == 0 ? 0.0 : log(3.0)), STEP_TOLERANCE);
        assert_close(got.r[j], r[j], STEP_TOLERANCE);
        assert_close(got.n[j], n[j], STEP_TOLERANCE);
        assert_close(got.h[j], h[j], STEP_TOLERANCE);
    }
    assert_close(got.n[0], -0.379948962, STEP_TOLERANCE);
    assert_close(got.n[1], -0.932209672, STEP_TOLERANCE);
    assert_close(got.h[0], 0.060025519, STEP_TOLERANCE);
    assert_close(got.h[1], -0.983052418, STEP_TOLERANCE);
    al_rnn_cell_free(&cell);
}

/* Without b_hn the forms still differ, because r = (3/4, 1/4) is not all
 * ones and W_h mixes the units:
 *   Cho et al.: (r ⊙ h)·W_h = (0.375, −0.25)·W_h = (0.375 − 0.75, 0.75 − 1)
 *                           = (−0.375, −0.25)
 *               n = tanh(1.1 − 0.375, −0.8 − 0.25) = (tanh 0.725, tanh −1.05)
 *   PyTorch:    r ⊙ (h·W_h) = (3/4 · −2.5, 1/4 · −3) = (−1.875, −0.75)
 *               n = tanh(1.1 − 1.875, −0.8 − 0.75) = (tanh −0.775, tanh −1.55)
 * n_0 is 0.620 in one form and −0.650 in the other, n_1 −0.782 and −0.914;
 * h_1 keeps 3/4 of h_prev, so it parts less: −0.945 and −0.978. */
static void forms_differ_when_reset_is_not_one(void **state)
{
    (void)state;
    al_rnn_cell cho, pytorch;
    tiny_cell(&cho, AL_RNN_GRU, false);
    tiny_cell(&pytorch, AL_RNN_GRU_PYTORCH, false);
    one_step a = step_once(&cho), b = step_once(&pytorch);
    double cho_n[2] = {tanh(1.1 - 0.375), tanh(-0.8 - 0.25)};
    double pytorch_n[2] = {tanh(1.1 - 1.875), tanh(-0.8 - 0.75)};
    for (int j = 0; j < 2; j++) {
        assert_close(a.n[j], cho_n[j], STEP_TOLERANCE);
        assert_close(b.n[j], pytorch_n[j], STEP_TOLERANCE);
        assert_same_float(a.z[j], b.z[j]);
        assert_same_float(a.r[j], b.r[j]);
        if (fabs(a.n[j] - b.n[j]) < 0.1 || fabs(a.h[j] - b.h[j]) < 0.01)
            fail_msg("unit %d: n is %.9g and %.9g, h is %.9g and %.9g in Cho et al.'s form "
                     "and PyTorch's: the forms should differ here", j, (double)a.n[j],
                     (double)b.n[j], (double)a.h[j], (double)b.h[j]);
    }
    al_rnn_cell_free(&cho), al_rnn_cell_free(&pytorch);
}

/* b_r = +30 with W_xr = W_hr = 0 makes r = σ(30) = 1 in float32, and with
 * b_hn = 0 both candidates are tanh(x·W_x + h·W_h + b): over 5 steps of
 * seeded random weights and inputs the two forms give the same states. */
static void forms_agree_with_open_reset_and_no_hidden_bias(void **state)
{
    (void)state;
    al_rnn_cell cho, pytorch;
    al_rng rng_a, rng_b;
    al_rng_seed(&rng_a, 5, 0), al_rng_seed(&rng_b, 5, 0);
    assert_int_equal(al_rnn_cell_alloc(&cho, AL_RNN_GRU, 3, 4, NULL), AL_OK);
    assert_int_equal(al_rnn_cell_alloc(&pytorch, AL_RNN_GRU_PYTORCH, 3, 4, NULL), AL_OK);
    al_rnn_cell_init(&cho, &rng_a);
    al_rnn_cell_init(&pytorch, &rng_b);
    /* the same seed draws the same weights for both forms (rnn.h) */
    assert_close(al_max_abs_diff(&cho.w_h, &pytorch.w_h), 0.0, 0.0);
    assert_close(al_max_abs_diff(&cho.w_xz, &pytorch.w_xz), 0.0, 0.0);
    al_rnn_cell *both[2] = {&cho, &pytorch};
    for (int k = 0; k < 2; k++) {
        al_fill(&both[k]->w_xr, 0), al_fill(&both[k]->w_hr, 0), al_fill(&both[k]->b_r, 30);
        set(&both[k]->b, (const float[]){0.3f, -0.2f, 0.1f, 0.4f});
        set(&both[k]->b_z, (const float[]){-0.5f, 0.5f, 0.0f, 1.0f});
    }
    al_matrix x, init, a, b;
    al_rnn_gates gates_a, gates_b;
    assert_int_equal(al_matrix_alloc(&x, 5, 3, NULL), AL_OK);
    assert_int_equal(al_matrix_alloc(&init, 1, 4, NULL), AL_OK);
    assert_int_equal(al_matrix_alloc(&a, 5, 4, NULL), AL_OK);
    assert_int_equal(al_matrix_alloc(&b, 5, 4, NULL), AL_OK);
    assert_int_equal(al_rnn_gates_alloc(&gates_a, &cho, 5, NULL), AL_OK);
    assert_int_equal(al_rnn_gates_alloc(&gates_b, &pytorch, 5, NULL), AL_OK);
    al_rng_fill_normal(&x, &rng_a, 0, 1);
    al_rng_fill_normal(&init, &rng_a, 0, 1);
    assert_int_equal(al_rnn_run(&a, &gates_a, &x, &init, &cho, NULL, NULL, NULL), AL_OK);
    assert_int_equal(al_rnn_run(&b, &gates_b, &x, &init, &pytorch, NULL, NULL, NULL), AL_OK);
    assert_close(al_max_abs_diff(&gates_a.r, &gates_b.r), 0.0, 0.0);
    assert_close(*al_at(&gates_b.r, 0, 0), 1.0, 0.0);
    assert_close(al_max_abs_diff(&gates_a.n, &gates_b.n), 0.0, SAME_SUM_TOLERANCE);
    assert_close(al_max_abs_diff(&a, &b), 0.0, SAME_SUM_TOLERANCE);
    /* and a hidden bias alone is enough to part them again */
    al_fill(&pytorch.b_hn, 0.5f);
    assert_int_equal(al_rnn_run(&b, &gates_b, &x, &init, &pytorch, NULL, NULL, NULL), AL_OK);
    if (al_max_abs_diff(&a, &b) < 0.01)
        fail_msg("b_hn = 0.5 changed the states by only %.9g", al_max_abs_diff(&a, &b));
    al_matrix_free(&x), al_matrix_free(&init), al_matrix_free(&a), al_matrix_free(&b);
    al_rnn_gates_free(&gates_a), al_rnn_gates_free(&gates_b);
    al_rnn_cell_free(&cho), al_rnn_cell_free(&pytorch);
}

/* A traced run names its form: ops gru_pytorch, gru_pytorch_update_gate,
 * gru_pytorch_reset_gate, gru_pytorch_candidate, with b_hn the last input,
 * and the parameters include <prefix>.b_hn. */
static void trace_names_the_pytorch_form(void **state)
{
    (void)state;
    al_rnn_cell cell;
    tiny_cell(&cell, AL_RNN_GRU_PYTORCH, true);
    al_rnn_gates gates;
    assert_int_equal(al_rnn_gates_alloc(&gates, &cell, 1, NULL), AL_OK);
    float x_data[1] = {1}, prev_data[2] = {0.5f, -1}, h_data[2];
    al_matrix x = al_matrix_wrap(x_data, 1, 1), prev = al_matrix_wrap(prev_data, 1, 2);
    al_matrix h = al_matrix_wrap(h_data, 1, 2);
    trace_capture t;
    capture_start(&t);
    al_rnn_names names = {.out = "cell", .params = "p", .x = "x", .h_init = "h0"};
    assert_int_equal(al_rnn_trace_params(t.trace, "p", &cell, NULL), AL_OK);
    assert_int_equal(al_rnn_run(&h, &gates, &x, &prev, &cell, &names, t.trace, NULL), AL_OK);
    capture_finish(&t);
    const char *inputs = "\"inputs\": [\"x\", \"h0\", \"p.w_x\", \"p.w_h\", \"p.b\", \"p.w_xz\", "
                         "\"p.w_hz\", \"p.b_z\", \"p.w_xr\", \"p.w_hr\", \"p.b_r\", \"p.b_hn\"]";
    const char *records[][2] = {{"cell.h", "gru_pytorch"},
                                {"cell.z", "gru_pytorch_update_gate"},
                                {"cell.r", "gru_pytorch_reset_gate"},
                                {"cell.n", "gru_pytorch_candidate"}};
    for (int k = 0; k < 4; k++) {
        char needle[512];
        snprintf(needle, sizeof needle, "\"name\": \"%s\", \"role\": \"activation\", \"op\": "
                 "\"%s\", %s", records[k][0], records[k][1], inputs);
        assert_trace_has(&t, needle);
    }
    assert_trace_has(&t, "\"name\": \"p.b_hn\", \"role\": \"param\"");
    assert_null(strstr(t.text, "\"op\": \"gru\""));
    assert_null(strstr(t.text, "\"gru_candidate\""));
    capture_free(&t);
    al_rnn_gates_free(&gates);
    al_rnn_cell_free(&cell);
}

/* The seq2seq model has s2s.enc.b_hn and s2s.dec.b_hn in PyTorch's form
 * only, zero after seeding, read from s2s.dec.b_hn.txt like any other
 * parameter, and seeding draws the same weights as for Cho et al.'s form. */
static void seq2seq_has_hidden_bias_in_pytorch_form(void **state)
{
    (void)state;
    al_seq2seq_config config = {.cell = AL_RNN_GRU, .vocab_size = 10, .d_embed = 3,
                                .d_hidden = 4, .attention = true, .score = AL_SCORE_DOT};
    al_seq2seq cho, pytorch;
    assert_int_equal(al_seq2seq_alloc(&cho, &config, NULL), AL_OK);
    config.cell = AL_RNN_GRU_PYTORCH;
    assert_int_equal(al_seq2seq_alloc(&pytorch, &config, NULL), AL_OK);
    al_rng rng_a, rng_b;
    al_rng_seed(&rng_a, 11, 0), al_rng_seed(&rng_b, 11, 0);
    al_seq2seq_init(&cho, &rng_a), al_seq2seq_init(&pytorch, &rng_b);
    assert_null(al_seq2seq_param(&cho, "s2s.enc.b_hn"));
    assert_null(al_seq2seq_param(&cho, "s2s.dec.b_hn"));
    const char *biases[] = {"s2s.enc.b_hn", "s2s.dec.b_hn"};
    for (int k = 0; k < 2; k++) {
        al_matrix *b_hn = al_seq2seq_param(&pytorch, biases[k]);
        assert_non_null(b_hn);
        assert_int_equal(b_hn->rows, 1);
        assert_int_equal(b_hn->cols, 4);
        for (int j = 0; j < 4; j++)
            assert_same_float(*al_at(b_hn, 0, j), 0.0f);
    }
    const char *same[] = {"s2s.enc.w_x", "s2s.dec.w_hr", "s2s.output.w"};
    for (int k = 0; k < 3; k++)
        assert_close(al_max_abs_diff(al_seq2seq_param(&cho, same[k]),
                                     al_seq2seq_param(&pytorch, same[k])), 0.0, 0.0);

    const char *words[10] = {"<pad>", "<unk>", "<bos>", "<eos>", "[CLS]", "[MASK]", "a", "b",
                             "c", "d"};
    al_vocab vocab;
    assert_int_equal(al_vocab_from_words(&vocab, words, 10, NULL), AL_OK);
    char folder[] = "/tmp/attnlab-gru-XXXXXX", path[96];
    assert_non_null(mkdtemp(folder));
    snprintf(path, sizeof path, "%s/s2s.dec.b_hn.txt", folder);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fputs("columns: u0 u1 u2 u3\nb_hn 0.5 -1 2 0.25\n", file);
    fclose(file);
    al_error err;
    if (al_seq2seq_read(&pytorch, &vocab, folder, &err) != AL_OK)
        fail_msg("%s", err.message);
    assert_same_float(*al_at(&pytorch.decoder.b_hn, 0, 1), -1.0f);
    assert_same_float(*al_at(&pytorch.decoder.b_hn, 0, 3), 0.25f);
    assert_same_float(*al_at(&pytorch.encoder.b_hn, 0, 3), 0.0f);
    remove(path);
    rmdir(folder);
    al_vocab_free(&vocab);
    al_seq2seq_free(&cho), al_seq2seq_free(&pytorch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pytorch_step_by_hand),
        cmocka_unit_test(forms_differ_when_reset_is_not_one),
        cmocka_unit_test(forms_agree_with_open_reset_and_no_hidden_bias),
        cmocka_unit_test(trace_names_the_pytorch_form),
        cmocka_unit_test(seq2seq_has_hidden_bias_in_pytorch_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
