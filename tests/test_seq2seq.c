/* test_seq2seq.c: the RNN cells by hand (an Elman step, a GRU step, a GRU
 * with open gates is an Elman step), and the seq2seq model: the
 * bottleneck context is the last encoder state at every step, attention
 * weights sum to 1 at every step for every score and cell, the alignment
 * stacks the steps, greedy and teacher forcing agree, parameters from
 * text tables, the names traced, and refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "attnlab/seq2seq.h"
#include "check.h"
#include "trace_capture.h"

/* tanh, σ and the products are float32; the expected values are worked in
 * double and are below 1, so a few ulps of 2^-24. */
#define STEP_TOLERANCE 5e-7

/* Softmax weights are divided once by their float32 sum: a row of up to
 * 8 entries sums to 1 within 8 · 2^-24. */
#define ROW_SUM_TOLERANCE 5e-7

#define V 12

static const char *const WORDS[V] = {"<pad>", "<unk>", "<bos>", "<eos>", "[CLS]", "[MASK]",
                                     "european", "economic", "area", "zone", "économique",
                                     "européenne"};

static void set(al_matrix *m, const float *values)
{
    for (int i = 0; i < m->rows; i++)
        for (int j = 0; j < m->cols; j++)
            *al_at(m, i, j) = values[i * m->cols + j];
}

/* --- cells by hand ------------------------------------------------------------------ */

/* x = (1, 2), h_prev = (0.5, -1), W_x = I, W_h = [[1, 1], [0, 2]], b = (0.1, -0.2):
 * x · W_x = (1, 2); h_prev · W_h = (0.5, 0.5 - 2) = (0.5, -1.5);
 * sum + b = (1.6, 0.3); h = (tanh 1.6, tanh 0.3) = (0.921668554, 0.291312612). */
static void elman_step_by_hand(void **state)
{
    (void)state;
    al_rnn_cell cell;
    assert_int_equal(al_rnn_cell_alloc(&cell, AL_RNN_ELMAN, 2, 2, NULL), AL_OK);
    set(&cell.w_x, (const float[]){1, 0, 0, 1});
    set(&cell.w_h, (const float[]){1, 1, 0, 2});
    set(&cell.b, (const float[]){0.1f, -0.2f});
    al_rnn_gates gates;
    assert_int_equal(al_rnn_gates_alloc(&gates, &cell, 1, NULL), AL_OK);
    float x_data[2] = {1, 2}, prev_data[2] = {0.5f, -1}, h_data[2];
    al_matrix x = al_matrix_wrap(x_data, 1, 2), prev = al_matrix_wrap(prev_data, 1, 2);
    al_matrix h = al_matrix_wrap(h_data, 1, 2);
    assert_int_equal(al_rnn_step(&h, NULL, NULL, NULL, &gates, &x, &prev, &cell, NULL), AL_OK);
    assert_close(h_data[0], tanh(1.6), STEP_TOLERANCE);
    assert_close(h_data[1], tanh(0.3), STEP_TOLERANCE);
    assert_close(h_data[0], 0.921668554, STEP_TOLERANCE);
    al_rnn_gates_free(&gates);
    al_rnn_cell_free(&cell);
}

/* d_in = d_h = 1, x = 1, h_prev = 0.5:
 *   z = σ(1·1 + 0.5·2 - 1) = σ(1) = 0.731058579
 *   r = σ(0) = 0.5
 *   n = tanh(1·1 + (0.5 · 0.5)·2 + 0) = tanh(1.5) = 0.905148254
 *   h = (1 - z) n + z h_prev = 0.268941421 · 0.905148254 + 0.731058579 · 0.5
 *     = 0.243431826 + 0.365529290 = 0.608961116 */
static void gru_step_by_hand(void **state)
{
    (void)state;
    al_rnn_cell cell;
    assert_int_equal(al_rnn_cell_alloc(&cell, AL_RNN_GRU, 1, 1, NULL), AL_OK);
    set(&cell.w_xz, (const float[]){1});
    set(&cell.w_hz, (const float[]){2});
    set(&cell.b_z, (const float[]){-1});
    set(&cell.w_x, (const float[]){1});
    set(&cell.w_h, (const float[]){2});
    al_rnn_gates gates;
    assert_int_equal(al_rnn_gates_alloc(&gates, &cell, 1, NULL), AL_OK);
    float x_data[1] = {1}, prev_data[1] = {0.5f}, h_data[1];
    al_matrix x = al_matrix_wrap(x_data, 1, 1), prev = al_matrix_wrap(prev_data, 1, 1);
    al_matrix h = al_matrix_wrap(h_data, 1, 1);
    assert_int_equal(al_rnn_step(&h, &gates.z, &gates.r, &gates.n, &gates, &x, &prev, &cell,
                                 NULL), AL_OK);
    double z = 1.0 / (1.0 + exp(-1.0)), n = tanh(1.5);
    assert_close(*al_at(&gates.z, 0, 0), z, STEP_TOLERANCE);
    assert_close(*al_at(&gates.r, 0, 0), 0.5, STEP_TOLERANCE);
    assert_close(*al_at(&gates.n, 0, 0), n, STEP_TOLERANCE);
    assert_close(h_data[0], (1 - z) * n + z * 0.5, STEP_TOLERANCE);
    assert_close(h_data[0], 0.608961116, STEP_TOLERANCE);
    al_rnn_gates_free(&gates);
    al_rnn_cell_free(&cell);
}

/* With b_z = -30 (z = σ(-30) ≈ 1e-13) and b_r = +30 (r = 1 in float), a GRU
 * keeps nothing of the old state but what W_h reads: it is an Elman cell
 * with the same W_x, W_h, b. */
static void gru_with_open_gates_is_elman(void **state)
{
    (void)state;
    al_rnn_cell gru, elman;
    al_rng rng;
    al_rng_seed(&rng, 3, 0);
    assert_int_equal(al_rnn_cell_alloc(&gru, AL_RNN_GRU, 3, 4, NULL), AL_OK);
    assert_int_equal(al_rnn_cell_alloc(&elman, AL_RNN_ELMAN, 3, 4, NULL), AL_OK);
    al_rnn_cell_init(&gru, &rng);
    al_fill(&gru.w_xz, 0), al_fill(&gru.w_hz, 0), al_fill(&gru.b_z, -30);
    al_fill(&gru.w_xr, 0), al_fill(&gru.w_hr, 0), al_fill(&gru.b_r, 30);
    al_copy(&elman.w_x, &gru.w_x, NULL), al_copy(&elman.w_h, &gru.w_h, NULL);
    al_rng_fill_normal(&gru.b, &rng, 0, 1);
    al_copy(&elman.b, &gru.b, NULL);
    al_matrix x, init, a, b;
    al_rnn_gates gates_a, gates_b;
    assert_int_equal(al_matrix_alloc(&x, 5, 3, NULL), AL_OK);
    assert_int_equal(al_matrix_alloc(&init, 1, 4, NULL), AL_OK);
    assert_int_equal(al_matrix_alloc(&a, 5, 4, NULL), AL_OK);
    assert_int_equal(al_matrix_alloc(&b, 5, 4, NULL), AL_OK);
    assert_int_equal(al_rnn_gates_alloc(&gates_a, &gru, 5, NULL), AL_OK);
    assert_int_equal(al_rnn_gates_alloc(&gates_b, &elman, 5, NULL), AL_OK);
    al_rng_fill_normal(&x, &rng, 0, 1);
    al_rng_fill_normal(&init, &rng, 0, 1);
    assert_int_equal(al_rnn_run(&a, &gates_a, &x, &init, &gru, NULL, NULL, NULL), AL_OK);
    assert_int_equal(al_rnn_run(&b, &gates_b, &x, &init, &elman, NULL, NULL, NULL), AL_OK);
    assert_close(al_max_abs_diff(&a, &b), 0.0, STEP_TOLERANCE);
    al_matrix_free(&x), al_matrix_free(&init), al_matrix_free(&a), al_matrix_free(&b);
    al_rnn_gates_free(&gates_a), al_rnn_gates_free(&gates_b);
    al_rnn_cell_free(&gru), al_rnn_cell_free(&elman);
}

/* A run is the steps one after another: row t of the states is the step
 * from row t-1 (and from h_init at t = 0), bit for bit. */
static void run_is_repeated_steps(void **state)
{
    (void)state;
    al_rnn_cell cell;
    al_rng rng;
    al_rng_seed(&rng, 4, 0);
    assert_int_equal(al_rnn_cell_alloc(&cell, AL_RNN_ELMAN, 2, 3, NULL), AL_OK);
    al_rnn_cell_init(&cell, &rng);
    al_matrix x, zero, states;
    al_rnn_gates gates;
    assert_int_equal(al_matrix_alloc(&x, 4, 2, NULL), AL_OK);
    assert_int_equal(al_matrix_alloc(&zero, 1, 3, NULL), AL_OK);
    assert_int_equal(al_matrix_alloc(&states, 4, 3, NULL), AL_OK);
    assert_int_equal(al_rnn_gates_alloc(&gates, &cell, 4, NULL), AL_OK);
    al_rng_fill_normal(&x, &rng, 0, 1);
    assert_int_equal(al_rnn_run(&states, &gates, &x, &zero, &cell, NULL, NULL, NULL), AL_OK);
    float h_data[3];
    al_matrix h = al_matrix_wrap(h_data, 1, 3);
    for (int t = 0; t < 4; t++) {
        al_matrix x_t = al_matrix_rows(&x, t, 1);
        al_matrix prev = t == 0 ? zero : al_matrix_rows(&states, t - 1, 1);
        assert_int_equal(al_rnn_step(&h, NULL, NULL, NULL, &gates, &x_t, &prev, &cell, NULL),
                         AL_OK);
        for (int j = 0; j < 3; j++)
            assert_same_float(h_data[j], *al_at(&states, t, j));
    }
    al_matrix_free(&x), al_matrix_free(&zero), al_matrix_free(&states);
    al_rnn_gates_free(&gates);
    al_rnn_cell_free(&cell);
}

/* --- the model ---------------------------------------------------------------------- */

typedef struct s2s_case {
    al_seq2seq model;
    al_seq2seq_workspace ws;
} s2s_case;

static void s2s_start(s2s_case *c, al_rnn_kind cell, bool attention, al_score_kind score)
{
    al_seq2seq_config config = {.cell = cell, .vocab_size = V, .d_embed = 4, .d_hidden = 6,
                                .attention = attention, .score = score, .d_attention = 5};
    al_error err;
    if (al_seq2seq_alloc(&c->model, &config, &err) != AL_OK)
        fail_msg("%s", err.message);
    al_rng rng;
    al_rng_seed(&rng, 8, 0);
    al_seq2seq_init(&c->model, &rng);
    al_rng_fill_normal(&c->model.output.b, &rng, 0, 0.5f);
    assert_int_equal(al_seq2seq_workspace_alloc(&c->ws, &c->model, 5, 6, NULL), AL_OK);
}

static void s2s_end(s2s_case *c)
{
    al_seq2seq_workspace_free(&c->ws);
    al_seq2seq_free(&c->model);
}

static const int SOURCE_IDS[3] = {6, 7, 8};
static const char *const SOURCE_LABELS[3] = {"European", "Economic", "Area"};

static int run_greedy(s2s_case *c, int *tokens, al_trace *trace)
{
    al_sequence source = {.length = 3, .ids = SOURCE_IDS, .labels = SOURCE_LABELS};
    al_error err;
    int length = 0; /* fail_msg does not return, but cmocka does not say so */
    if (al_seq2seq_encode(&c->ws, &c->model, &source, trace, &err) != AL_OK ||
        al_seq2seq_decode(tokens, &length, &c->ws, &c->model, NULL, 6, WORDS, trace, &err) != AL_OK)
        fail_msg("%s", err.message);
    return length;
}

/* Without attention every step gets the same context: the encoder's last
 * state, bit for bit. */
static void bottleneck_is_the_last_encoder_state(void **state)
{
    (void)state;
    s2s_case c;
    s2s_start(&c, AL_RNN_GRU, false, AL_SCORE_DOT);
    int tokens[6];
    int steps = run_greedy(&c, tokens, NULL);
    assert_true(steps >= 1);
    for (int t = 0; t < steps; t++)
        for (int j = 0; j < 6; j++)
            assert_same_float(*al_at(&c.ws.contexts, t, j), *al_at(&c.ws.encoder_states, 2, j));
    s2s_end(&c);
}

/* With attention, each step's weights over the 3 source words sum to 1,
 * and row t of the alignment holds them; for every score and cell (both
 * GRU forms). */
static void attention_rows_sum_to_one(void **state)
{
    (void)state;
    const al_score_kind scores[] = {AL_SCORE_ADDITIVE, AL_SCORE_DOT, AL_SCORE_GENERAL,
                                    AL_SCORE_SCALED_DOT};
    for (int cell = AL_RNN_ELMAN; cell <= AL_RNN_GRU_PYTORCH; cell++)
        for (int k = 0; k < 4; k++) {
            s2s_case c;
            s2s_start(&c, (al_rnn_kind)cell, true, scores[k]);
            int tokens[6];
            int steps = run_greedy(&c, tokens, NULL);
            for (int t = 0; t < steps; t++) {
                double sum = 0.0, context = 0.0;
                for (int j = 0; j < 3; j++) {
                    double w = *al_at(&c.ws.alignment, t, j);
                    assert_true(w >= 0.0);
                    sum += w;
                    context += w * *al_at(&c.ws.encoder_states, j, 0);
                }
                assert_close(sum, 1.0, ROW_SUM_TOLERANCE);
                /* the context is the weighted mean of the encoder states */
                assert_close(*al_at(&c.ws.contexts, t, 0), context, 1e-6);
            }
            s2s_end(&c);
        }
}

/* The workspace keeps every step's scores: row t of ws.scores is what
 * step t's softmax read, so softmax of it (worked in double here) is row t
 * of the alignment. */
static void every_step_keeps_its_scores(void **state)
{
    (void)state;
    s2s_case c;
    s2s_start(&c, AL_RNN_ELMAN, true, AL_SCORE_GENERAL);
    al_sequence source = {.length = 3, .ids = SOURCE_IDS};
    int ids[3] = {9, 10, 11}, tokens[3], steps;
    al_sequence target = {.length = 3, .ids = ids};
    assert_int_equal(al_seq2seq_encode(&c.ws, &c.model, &source, NULL, NULL), AL_OK);
    assert_int_equal(al_seq2seq_decode(tokens, &steps, &c.ws, &c.model, &target, 0, NULL, NULL,
                                       NULL), AL_OK);
    assert_int_equal(steps, 3);
    for (int t = 0; t < steps; t++) {
        double max = *al_at(&c.ws.scores, t, 0), sum = 0.0;
        for (int j = 1; j < 3; j++)
            max = fmax(max, *al_at(&c.ws.scores, t, j));
        for (int j = 0; j < 3; j++)
            sum += exp(*al_at(&c.ws.scores, t, j) - max);
        for (int j = 0; j < 3; j++)
            assert_close(*al_at(&c.ws.alignment, t, j), exp(*al_at(&c.ws.scores, t, j) - max) / sum,
                         ROW_SUM_TOLERANCE);
    }
    s2s_end(&c);
}

/* Teacher forcing with the greedy output as target reads the same tokens,
 * so every step's logits are the same bits and the choices the same. */
static void teacher_forcing_agrees_with_greedy(void **state)
{
    (void)state;
    s2s_case c;
    s2s_start(&c, AL_RNN_ELMAN, true, AL_SCORE_ADDITIVE);
    int greedy[6], forced[6];
    int steps = run_greedy(&c, greedy, NULL);
    float logits[6][V];
    for (int t = 0; t < steps; t++)
        memcpy(logits[t], al_at(&c.ws.logits, t, 0), sizeof logits[t]);
    al_sequence target = {.length = steps, .ids = greedy};
    int length;
    assert_int_equal(al_seq2seq_decode(forced, &length, &c.ws, &c.model, &target, 0, WORDS,
                                       NULL, NULL), AL_OK);
    assert_int_equal(length, steps);
    assert_memory_equal(forced, greedy, (size_t)steps * sizeof(int));
    for (int t = 0; t < steps; t++)
        assert_memory_equal(logits[t], al_at(&c.ws.logits, t, 0), sizeof logits[t]);
    s2s_end(&c);
}

/* Hand-set weights: the output bias alone decides when every weight of the
 * output layer is 0; <eos> wins, and greedy decoding stops after 1 step. */
static void hand_set_weights_decide(void **state)
{
    (void)state;
    s2s_case c;
    s2s_start(&c, AL_RNN_ELMAN, false, AL_SCORE_DOT);
    al_fill(al_seq2seq_param(&c.model, "s2s.output.w"), 0.0f);
    al_matrix *b = al_seq2seq_param(&c.model, "s2s.output.b");
    al_fill(b, 0.0f);
    *al_at(b, 0, AL_TOKEN_EOS) = 1.0f;
    int tokens[6];
    assert_int_equal(run_greedy(&c, tokens, NULL), 1);
    assert_int_equal(tokens[0], AL_TOKEN_EOS);
    assert_null(al_seq2seq_param(&c.model, "s2s.attn.w_a"));
    assert_null(al_seq2seq_param(&c.model, "s2s.enc.w_xz"));
    assert_non_null(al_seq2seq_param(&c.model, "s2s.dec.w_h"));
    s2s_end(&c);
}

/* --- trace names ----------------------------------------------------------------------- */

static int occurrences(const char *text, const char *needle)
{
    int count = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        count++;
    return count;
}

static void traced_names_with_attention(void **state)
{
    (void)state;
    s2s_case c;
    s2s_start(&c, AL_RNN_GRU, true, AL_SCORE_GENERAL);
    trace_capture t;
    capture_start(&t);
    al_sequence source = {.length = 3, .ids = SOURCE_IDS, .labels = SOURCE_LABELS};
    int ids[3] = {9, 10, 11};
    const char *labels[3] = {"zone", "économique", "européenne"};
    al_sequence target = {.length = 3, .ids = ids, .labels = labels};
    int tokens[3], length;
    assert_int_equal(al_seq2seq_encode(&c.ws, &c.model, &source, t.trace, NULL), AL_OK);
    assert_int_equal(al_seq2seq_decode(tokens, &length, &c.ws, &c.model, &target, 0, WORDS,
                                       t.trace, NULL), AL_OK);
    capture_finish(&t);
    assert_int_equal(occurrences(t.text, "\"name\": \"s2s.attn.w_a\""), 1);
    assert_trace_has(&t, "\"name\": \"s2s.enc.h\", \"role\": \"activation\", \"op\": \"gru\", "
                         "\"inputs\": [\"s2s.enc.embed\", \"s2s.enc.init\", \"s2s.enc.w_x\"");
    assert_trace_has(&t, "\"name\": \"s2s.dec.init\", \"role\": \"activation\", \"op\": "
                         "\"take_row\", \"inputs\": [\"s2s.enc.h\"], \"attrs\": {\"row\": 2}");
    assert_trace_has(&t, "\"name\": \"s2s.step0.q_proj\", \"role\": \"activation\", \"op\": "
                         "\"matmul\", \"inputs\": [\"s2s.dec.init\", \"s2s.attn.w_a\"]");
    assert_trace_has(&t, "\"name\": \"s2s.step1.q_proj\", \"role\": \"activation\", \"op\": "
                         "\"matmul\", \"inputs\": [\"s2s.step0.h\", \"s2s.attn.w_a\"]");
    assert_trace_has(&t, "\"name\": \"s2s.step2.weights\", \"role\": \"activation\", \"op\": "
                         "\"softmax_rows\", \"inputs\": [\"s2s.step2.scores\"], \"shape\": [1, "
                         "3], \"rows\": [\"économique\"], \"cols\": [\"European\", \"Economic\", "
                         "\"Area\"]");
    assert_trace_has(&t, "\"name\": \"s2s.step2.context\", \"role\": \"activation\", \"op\": "
                         "\"matmul\", \"inputs\": [\"s2s.step2.weights\", \"s2s.enc.h\"]");
    assert_trace_has(&t, "\"name\": \"s2s.step1.z\", \"role\": \"activation\", \"op\": "
                         "\"gru_update_gate\", \"inputs\": [\"s2s.step1.input\", \"s2s.step0.h\"");
    assert_trace_has(&t, "\"name\": \"s2s.alignment\", \"role\": \"output\", \"op\": "
                         "\"stack_steps\", \"inputs\": [\"s2s.step0.weights\", "
                         "\"s2s.step1.weights\", \"s2s.step2.weights\"], \"shape\": [3, 3], \"rows\": "
                         "[\"zone\", \"économique\", \"européenne\"]");
    assert_trace_has(&t, "\"name\": \"s2s.dec.tokens\", \"role\": \"input\"");
    assert_null(strstr(t.text, "\"s2s.context\""));
    capture_free(&t);
    s2s_end(&c);
}

static void traced_names_without_attention(void **state)
{
    (void)state;
    s2s_case c;
    s2s_start(&c, AL_RNN_ELMAN, false, AL_SCORE_DOT);
    trace_capture t;
    capture_start(&t);
    int tokens[6];
    run_greedy(&c, tokens, t.trace);
    capture_finish(&t);
    assert_trace_has(&t, "\"name\": \"s2s.context\", \"role\": \"activation\", \"op\": "
                         "\"take_row\", \"inputs\": [\"s2s.enc.h\"], \"attrs\": {\"row\": 2}, "
                         "\"shape\": [1, 6], "
                         "\"rows\": [\"Area\"]");
    assert_trace_has(&t, "the bottleneck");
    assert_trace_has(&t, "\"name\": \"s2s.step0.input\", \"role\": \"activation\", \"op\": "
                         "\"concat\", \"inputs\": [\"s2s.dec.embed\", \"s2s.context\"], "
                         "\"attrs\": {\"row\": 0}");
    assert_trace_has(&t, "\"name\": \"s2s.step0.h\", \"role\": \"activation\", \"op\": "
                         "\"elman\", \"inputs\": [\"s2s.step0.input\", \"s2s.context\"");
    assert_trace_has(&t, "\"name\": \"s2s.step0.next.token\"");
    assert_null(strstr(t.text, "s2s.step0.weights"));
    assert_null(strstr(t.text, "s2s.alignment"));
    capture_free(&t);
    s2s_end(&c);
}

/* --- parameters from text tables ---------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void reads_tables(void **state)
{
    (void)state;
    s2s_case c;
    s2s_start(&c, AL_RNN_ELMAN, true, AL_SCORE_DOT);
    char folder[] = "/tmp/attnlab-s2s-XXXXXX", path[96];
    assert_non_null(mkdtemp(folder));
    al_vocab vocab;
    assert_int_equal(al_vocab_from_words(&vocab, WORDS, V, NULL), AL_OK);
    snprintf(path, sizeof path, "%s/s2s.enc.b.txt", folder);
    write_file(path, "# the encoder's bias\ncolumns: a b c d e f\nb 1 2 3 4 5 6\n");
    al_error err;
    if (al_seq2seq_read(&c.model, &vocab, folder, &err) != AL_OK)
        fail_msg("%s", err.message);
    assert_same_float(*al_at(&c.model.encoder.b, 0, 5), 6.0f);
    write_file(path, "columns: a b\nb 1 2\n");
    assert_int_equal(al_seq2seq_read(&c.model, &vocab, folder, &err), AL_ERR_SHAPE);
    assert_non_null(strstr(err.message, "the table is 1 x 2 but s2s.enc.b is 1 x 6"));
    remove(path);
    snprintf(path, sizeof path, "%s/s2s.dec.embed.table.txt", folder);
    char table[1024] = "columns: a b c d\n";
    for (int id = 0; id < V; id++) {
        char row[64];
        snprintf(row, sizeof row, "%s 0 0 0 %d\n", id == 7 ? "wrong" : WORDS[id], id);
        strcat(table, row);
    }
    write_file(path, table);
    assert_int_equal(al_seq2seq_read(&c.model, &vocab, folder, &err), AL_ERR_FORMAT);
    assert_non_null(strstr(err.message, "row 8 is labelled 'wrong' but word 7 of the "
                                        "vocabulary is 'economic'"));
    remove(path);
    rmdir(folder);
    al_vocab_free(&vocab);
    s2s_end(&c);
}

/* --- the hand-made example of data/lesson04 ----------------------------------------------- */

/* Translate text with the model of data/lesson04 (read through
 * al_seq2seq_read) into words, and check that step t put more than 0.999 of
 * its weight on source token aligned[t]. */
static void check_lesson04(const char *text, const char *translation, const int *aligned)
{
    const char *root = getenv("SRCDIR");
    char folder[512], vocab_path[600];
    snprintf(folder, sizeof folder, "%s/data/lesson04", root ? root : ".");
    snprintf(vocab_path, sizeof vocab_path, "%s/vocab.txt", folder);
    al_error err;
    al_vocab vocab;
    if (al_vocab_read(&vocab, vocab_path, &err) != AL_OK)
        fail_msg("%s", err.message);
    al_seq2seq_config config = {.cell = AL_RNN_ELMAN, .vocab_size = vocab.size, .d_embed = 8,
                                .d_hidden = 13, .attention = true, .score = AL_SCORE_GENERAL};
    s2s_case c;
    assert_int_equal(al_seq2seq_alloc(&c.model, &config, NULL), AL_OK);
    if (al_seq2seq_read(&c.model, &vocab, folder, &err) != AL_OK)
        fail_msg("%s", err.message);
    assert_int_equal(al_seq2seq_workspace_alloc(&c.ws, &c.model, 5, 6, NULL), AL_OK);
    al_tokens tokens;
    assert_int_equal(al_tokenize(&tokens, text, &vocab, AL_TOKENIZE_BOS, NULL), AL_OK);
    al_sequence source = {.length = tokens.count, .ids = tokens.ids};
    int out[6], length;
    assert_int_equal(al_seq2seq_encode(&c.ws, &c.model, &source, NULL, NULL), AL_OK);
    assert_int_equal(al_seq2seq_decode(out, &length, &c.ws, &c.model, NULL, 6, NULL, NULL,
                                       NULL), AL_OK);
    char said[256] = "";
    for (int t = 0; t < length; t++) {
        strcat(said, t > 0 ? " " : "");
        strcat(said, al_vocab_word(&vocab, out[t]));
        assert_true(*al_at(&c.ws.alignment, t, aligned[t]) > 0.999f);
    }
    assert_string_equal(said, translation);
    al_tokens_free(&tokens);
    al_vocab_free(&vocab);
    s2s_end(&c);
}

/* The decoder reads the source backwards: "zone" looks at "Area",
 * "économique" at "Economic", "européenne" at "European", and <eos> at the
 * <bos> the source starts with (columns: <bos> European Economic Area). */
static void lesson04_reorders(void **state)
{
    (void)state;
    check_lesson04("European Economic Area", "zone économique européenne <eos>",
                   (const int[]){3, 2, 1, 0});
    check_lesson04("European Central Bank", "banque centrale européenne <eos>",
                   (const int[]){3, 2, 1, 0});
    check_lesson04("economic area", "zone économique <eos>", (const int[]){2, 1, 0});
}

/* --- refusals ------------------------------------------------------------------------------- */

static void refusals(void **state)
{
    (void)state;
    al_seq2seq model;
    al_seq2seq_config config = {.cell = AL_RNN_ELMAN, .vocab_size = V, .d_embed = 2,
                                .d_hidden = 2, .attention = true, .score = AL_SCORE_GAUSSIAN};
    al_error err;
    assert_int_equal(al_seq2seq_alloc(&model, &config, &err), AL_ERR_VALUE);
    assert_string_equal(err.message, "seq2seq: attention scores are additive, dot, scaled_dot "
                                     "or general, not gaussian");
    s2s_case c;
    s2s_start(&c, AL_RNN_ELMAN, true, AL_SCORE_DOT);
    int tokens[6], length, long_ids[6] = {6, 7, 8, 6, 7, 8};
    assert_int_equal(al_seq2seq_decode(tokens, &length, &c.ws, &c.model, NULL, 3, NULL, NULL,
                                       &err), AL_ERR_ARG);
    assert_string_equal(err.message, "seq2seq: encode the source before decoding");
    al_sequence too_long = {.length = 6, .ids = long_ids};
    assert_int_equal(al_seq2seq_encode(&c.ws, &c.model, &too_long, NULL, &err), AL_ERR_SHAPE);
    assert_string_equal(err.message, "seq2seq: the source has 6 tokens; the workspace holds 1 "
                                     "to 5");
    al_sequence source = {.length = 3, .ids = SOURCE_IDS};
    assert_int_equal(al_seq2seq_encode(&c.ws, &c.model, &source, NULL, &err), AL_OK);
    assert_int_equal(al_seq2seq_decode(tokens, &length, &c.ws, &c.model, NULL, 7, NULL, NULL,
                                       &err), AL_ERR_SHAPE);
    s2s_end(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(elman_step_by_hand),
        cmocka_unit_test(gru_step_by_hand),
        cmocka_unit_test(gru_with_open_gates_is_elman),
        cmocka_unit_test(run_is_repeated_steps),
        cmocka_unit_test(bottleneck_is_the_last_encoder_state),
        cmocka_unit_test(attention_rows_sum_to_one),
        cmocka_unit_test(every_step_keeps_its_scores),
        cmocka_unit_test(teacher_forcing_agrees_with_greedy),
        cmocka_unit_test(hand_set_weights_decide),
        cmocka_unit_test(traced_names_with_attention),
        cmocka_unit_test(traced_names_without_attention),
        cmocka_unit_test(reads_tables),
        cmocka_unit_test(lesson04_reorders),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
