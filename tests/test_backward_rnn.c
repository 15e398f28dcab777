/* test_backward_rnn.c: al_rnn_step_backward and al_rnn_run_backward
 * (rnn.h) against central finite differences of the same cells written
 * again in plain double loops (gradient_check.h): one step and a run of
 * L = 4 steps (backpropagation through time, a gradient on every state
 * row) for Elman, Cho et al.'s GRU and PyTorch's GRU, d_in = 3, d_h = 4,
 * every weight and bias random (b_hn too), the start state random.
 * Checked: dx, dh_prev (d_h_init for a run) and every parameter; a run's
 * parameter gradients start at 0.25, so that "added, not written" is
 * checked too. Then al_seq2seq_backward: the whole RNN seq2seq under
 * teacher forcing (S = 4 source tokens, one of them twice, T = 3 steps,
 * V = 8, d_e = 3, d_h = 4, d_a = 3), loss Σ r ⊙ logits, against the model
 * written again in double (s2s_loss): every parameter, for Cho's GRU with
 * additive attention, PyTorch's GRU with general, Elman with scaled dot,
 * and Cho's GRU without attention (the fixed context).
 *
 * Can it fail? Tried one at a time while writing it, then undone:
 * Elman's tanh' taken as 1 − h instead of 1 − h² fails elman_step and
 * elman_run (dx, by 2.0 and 5.5); the GRU's dz with its sign flipped
 * (n − h_prev) fails all four GRU tests (dx, by 0.17 to 1.9); PyTorch's
 * db_hn left out fails gru_pytorch_step and _run ("db_hn", by 0.26 and
 * 0.80); Cho's dh_prev without its d(r ⊙ h_prev) ⊙ r share fails gru_step
 * (dh_prev, by 0.35) and gru_run (dx, by 0.38); PyTorch's hidden input
 * recomputed as Cho's r ⊙ h_prev fails both PyTorch tests (dx, by 0.04 and
 * 0.11); a run whose dh is reset to d_states row t at each step (nothing
 * carried back) fails the three run tests (dx, by 0.42 to 0.97); dW_x
 * written instead of added fails the three run tests (the step tests start
 * from 0 and cannot see it). Seq2seq: the values' share dv left out of
 * the encoder states' gradient fails the three attention cases (s2s.enc.*,
 * by 0.13 to 1.0); the decoder's start s_{-1} = h_{S-1} given no gradient
 * fails all four (s2s.enc.*, by 0.012 to 0.70); dc_t taken from the
 * readout only (not from the decoder's input [e_t ; c_t]) fails all four;
 * the attention backward given the forward's last q_proj instead of step
 * t's fails the additive and general cases (v_a by 0.007, s2s.enc.b_hn by
 * 0.06); attention's dq not sent back to s_{t-1} fails the three attention
 * cases (v_a by 3e-4, w_a by 5e-3, s2s.dec.b by 0.03). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>

#include <cmocka.h>

#include "attnlab/rnn.h"
#include "attnlab/rng.h"
#include "attnlab/seq2seq.h"
#include "gradient_check.h"

/* As test_backward_layers.c: float backward against a double forward; a
 * run chains four steps of a few products each on entries of size ~1. */
#define FLOAT_GRADIENT 1e-5
#define REASON "float backward against a double forward: ~1e-6 of rounding"

/* What the parameter gradients start at in a run (exact in float). */
#define START_GRADIENT 0.25f

/* P: room for the largest parameter, packed (also the finite differences' buffer) */
enum { D_IN = 3, D_H = 4, L = 4, P = 64, MAX = P };

/* The cell's matrices in the order of al_rnn_cell; Elman has the first 3,
 * Cho et al.'s GRU the first 9, PyTorch's all 10. */
enum { W_X, W_H, B, W_XZ, W_HZ, B_Z, W_XR, W_HR, B_R, B_HN, PARAMS };
static const char *const PARAM_NAMES[PARAMS] = {"dW_x", "dW_h", "db", "dW_xz", "dW_hz",
                                                "db_z", "dW_xr", "dW_hr", "db_r", "db_hn"};

static int cell_matrices(al_matrix **out, al_rnn_cell *cell)
{
    al_matrix *all[PARAMS] = {&cell->w_x, &cell->w_h, &cell->b, &cell->w_xz, &cell->w_hz,
                              &cell->b_z, &cell->w_xr, &cell->w_hr, &cell->b_r, &cell->b_hn};
    int count = cell->kind == AL_RNN_GRU_PYTORCH ? 10 : cell->kind == AL_RNN_GRU ? 9 : 3;
    for (int k = 0; k < count; k++)
        out[k] = all[k];
    return count;
}

/* The test's own copy, in double: param[k] packed row-major. */
typedef struct plain_run {
    al_rnn_kind kind;
    int steps;
    double param[PARAMS][P];
    double x[L * D_IN], h_init[D_H], r[L * D_H];
} plain_run;

/* sum_j = Σ_p a_p · W[p][j] over the rows of W (rows x D_H) */
static double product(const double *a, const double *w, int rows, int j)
{
    double sum = 0.0;
    for (int p = 0; p < rows; p++)
        sum += a[p] * w[p * D_H + j];
    return sum;
}

static double sigmoid(double a)
{
    return 1.0 / (1.0 + exp(-a));
}

/* h = cell(x (1 x d_in), h_prev), the formulas of rnn.h; w: the cell's
 * PARAMS matrices */
static void plain_step(double *h, const double *x, const double *h_prev, al_rnn_kind kind,
                       int d_in, double (*w)[P])
{
    if (kind == AL_RNN_ELMAN) {
        for (int j = 0; j < D_H; j++)
            h[j] = tanh(product(x, w[W_X], d_in, j) + product(h_prev, w[W_H], D_H, j) +
                        w[B][j]);
        return;
    }
    double z[D_H], r[D_H], reset[D_H];
    for (int j = 0; j < D_H; j++) {
        z[j] = sigmoid(product(x, w[W_XZ], d_in, j) + product(h_prev, w[W_HZ], D_H, j) +
                       w[B_Z][j]);
        r[j] = sigmoid(product(x, w[W_XR], d_in, j) + product(h_prev, w[W_HR], D_H, j) +
                       w[B_R][j]);
        reset[j] = r[j] * h_prev[j];
    }
    for (int j = 0; j < D_H; j++) {
        double hidden = kind == AL_RNN_GRU
                            ? product(reset, w[W_H], D_H, j)
                            : r[j] * (product(h_prev, w[W_H], D_H, j) + w[B_HN][j]);
        double n = tanh(product(x, w[W_X], d_in, j) + w[B][j] + hidden);
        h[j] = (1.0 - z[j]) * n + z[j] * h_prev[j];
    }
}

/* Σ_t Σ_j r_tj · h_tj over the run's states from h_init */
static double run_loss(void *context)
{
    plain_run *c = context;
    double before[D_H], h[D_H], loss = 0.0;
    for (int j = 0; j < D_H; j++)
        before[j] = c->h_init[j];
    for (int t = 0; t < c->steps; t++) {
        plain_step(h, c->x + t * D_IN, before, c->kind, D_IN, c->param);
        loss += gc_weighted_sum(h, c->r + t * D_H, D_H);
        for (int j = 0; j < D_H; j++)
            before[j] = h[j];
    }
    return loss;
}

/* The library's side of one test: a cell with every parameter random, its
 * inputs, the forward's results and the gradients. */
typedef struct library_run {
    al_rnn_cell cell, grad;
    al_rnn_gates gates;
    al_rnn_backward_scratch scratch;
    float x_data[L * D_IN], h_init_data[D_H], r_data[L * D_H], states_data[L * D_H];
    float dx_data[L * D_IN], dh_init_data[D_H];
    al_matrix x, h_init, r, states, dx, dh_init;
} library_run;

static void library_setup(library_run *run, al_rnn_kind kind, int steps, uint64_t seed)
{
    al_rng rng;
    al_rng_seed(&rng, seed, 0);
    assert_int_equal(al_rnn_cell_alloc(&run->cell, kind, D_IN, D_H, NULL), AL_OK);
    assert_int_equal(al_rnn_cell_alloc(&run->grad, kind, D_IN, D_H, NULL), AL_OK);
    assert_int_equal(al_rnn_gates_alloc(&run->gates, &run->cell, L, NULL), AL_OK);
    assert_int_equal(al_rnn_backward_scratch_alloc(&run->scratch, &run->cell, NULL), AL_OK);
    al_matrix *params[PARAMS];
    int count = cell_matrices(params, &run->cell);
    for (int k = 0; k < count; k++)
        al_rng_fill_normal(params[k], &rng, 0, 0.6f);
    run->x = al_matrix_wrap(run->x_data, steps, D_IN);
    run->h_init = al_matrix_wrap(run->h_init_data, 1, D_H);
    run->r = al_matrix_wrap(run->r_data, steps, D_H);
    run->states = al_matrix_wrap(run->states_data, steps, D_H);
    run->dx = al_matrix_wrap(run->dx_data, steps, D_IN);
    run->dh_init = al_matrix_wrap(run->dh_init_data, 1, D_H);
    al_rng_fill_normal(&run->x, &rng, 0, 1);
    al_rng_fill_normal(&run->h_init, &rng, 0, 0.5f);
    al_rng_fill_normal(&run->r, &rng, 0, 1);
}

static void library_free(library_run *run)
{
    al_rnn_backward_scratch_free(&run->scratch);
    al_rnn_gates_free(&run->gates);
    al_rnn_cell_free(&run->grad);
    al_rnn_cell_free(&run->cell);
}

/* Compare dx, d_h_init and every parameter gradient (less start, what it
 * held before the backward) with finite differences of run_loss. */
static void check_against_plain(library_run *run, int steps, float start)
{
    plain_run c = {.kind = run->cell.kind, .steps = steps};
    al_matrix *params[PARAMS], *grads[PARAMS];
    int count = cell_matrices(params, &run->cell);
    cell_matrices(grads, &run->grad);
    for (int k = 0; k < count; k++)
        gc_to_double(c.param[k], params[k]);
    gc_to_double(c.x, &run->x), gc_to_double(c.h_init, &run->h_init);
    gc_to_double(c.r, &run->r);
    double numeric[MAX];
    gc_central_differences(numeric, c.x, steps * D_IN, run_loss, &c);
    gc_expect_gradient("dx", &run->dx, numeric, FLOAT_GRADIENT, REASON);
    gc_central_differences(numeric, c.h_init, D_H, run_loss, &c);
    gc_expect_gradient("dh_prev (d_h_init)", &run->dh_init, numeric, FLOAT_GRADIENT, REASON);
    for (int k = 0; k < count; k++) {
        al_matrix *g = grads[k];
        for (int i = 0; i < g->rows; i++)
            for (int j = 0; j < g->cols; j++)
                *al_at(g, i, j) -= start;
        gc_central_differences(numeric, c.param[k], g->rows * g->cols, run_loss, &c);
        gc_expect_gradient(PARAM_NAMES[k], g, numeric, FLOAT_GRADIENT, REASON);
    }
}

/* One al_rnn_step from a random h_prev, then al_rnn_step_backward with dh = r. */
static void check_step(al_rnn_kind kind, uint64_t seed)
{
    library_run run;
    library_setup(&run, kind, 1, seed);
    al_matrix h = run.states, z = {0}, r = {0}, n = {0};
    if (al_rnn_is_gru(kind)) {
        z = al_matrix_rows(&run.gates.z, 0, 1);
        r = al_matrix_rows(&run.gates.r, 0, 1);
        n = al_matrix_rows(&run.gates.n, 0, 1);
    }
    assert_int_equal(al_rnn_step(&h, &z, &r, &n, &run.gates, &run.x, &run.h_init, &run.cell,
                                 NULL), AL_OK);
    assert_int_equal(al_rnn_step_backward(&run.dx, &run.dh_init, &run.grad, &run.scratch,
                                          &run.r, &run.x, &run.h_init, &h, &z, &r, &n,
                                          &run.cell, NULL), AL_OK);
    check_against_plain(&run, 1, 0.0f);
    library_free(&run);
}

/* al_rnn_run over L steps, then al_rnn_run_backward with d_states = r. */
static void check_run(al_rnn_kind kind, uint64_t seed)
{
    library_run run;
    library_setup(&run, kind, L, seed);
    al_matrix *grads[PARAMS];
    int count = cell_matrices(grads, &run.grad);
    for (int k = 0; k < count; k++)
        al_fill(grads[k], START_GRADIENT);
    assert_int_equal(al_rnn_run(&run.states, &run.gates, &run.x, &run.h_init, &run.cell, NULL,
                                NULL, NULL), AL_OK);
    assert_int_equal(al_rnn_run_backward(&run.dx, &run.dh_init, &run.grad, &run.scratch,
                                         &run.r, &run.x, &run.h_init, &run.states, &run.gates,
                                         &run.cell, NULL), AL_OK);
    check_against_plain(&run, L, START_GRADIENT);
    library_free(&run);
}

static void elman_step(void **state)
{
    (void)state;
    check_step(AL_RNN_ELMAN, 31);
}

static void gru_step(void **state)
{
    (void)state;
    check_step(AL_RNN_GRU, 32);
}

static void gru_pytorch_step(void **state)
{
    (void)state;
    check_step(AL_RNN_GRU_PYTORCH, 33);
}

static void elman_run(void **state)
{
    (void)state;
    check_run(AL_RNN_ELMAN, 34);
}

static void gru_run(void **state)
{
    (void)state;
    check_run(AL_RNN_GRU, 35);
}

static void gru_pytorch_run(void **state)
{
    (void)state;
    check_run(AL_RNN_GRU_PYTORCH, 36);
}

/* --- the seq2seq model with attention, teacher forcing ----------------------------- */

/* V words (above the 6 special tokens), d_e, d_a, S source tokens, T steps */
enum { V = 8, D_E = 3, D_A = 3, S = 4, T = 3 };
_Static_assert(2 * D_H * V <= P && (D_E + D_H) * D_H <= P && V * D_E <= P,
               "every seq2seq parameter fits in P doubles");

/* Every parameter of the model in the order of al_seq2seq, each cell's
 * PARAMS matrices in a row (absent ones stay unused). */
enum { SOURCE_TABLE, ENC, TARGET_TABLE = ENC + PARAMS, DEC, ATTN_W_Q = DEC + PARAMS,
       ATTN_W_K, ATTN_V_A, ATTN_W_A, OUT_W, OUT_B, S2S_PARAMS };

static const int SOURCE[S] = {6, 7, 4, 6};   /* 6 twice: its table row collects both */
static const int TARGET[T] = {7, 6, 3};      /* ... <eos>; the decoder reads <bos> 7 6  */
static const int READ[T] = {2, 7, 6};

static const char *const CELL_SUFFIXES[PARAMS] = {"w_x",  "w_h", "b",    "w_xz", "w_hz",
                                                  "b_z",  "w_xr", "w_hr", "b_r", "b_hn"};

/* The parameter k's name (seq2seq.h) */
static const char *s2s_param_name(char buf[AL_NAME_SIZE], int k)
{
    static const char *const rest[] = {"s2s.attn.w_q", "s2s.attn.w_k", "s2s.attn.v_a",
                                       "s2s.attn.w_a", "s2s.output.w", "s2s.output.b"};
    if (k == SOURCE_TABLE || k == TARGET_TABLE)
        return al_name(buf, "s2s.%s.embed.table", k == SOURCE_TABLE ? "enc" : "dec");
    if (k < TARGET_TABLE)
        return al_name(buf, "s2s.enc.%s", CELL_SUFFIXES[k - ENC]);
    if (k < ATTN_W_Q)
        return al_name(buf, "s2s.dec.%s", CELL_SUFFIXES[k - DEC]);
    return al_name(buf, "%s", rest[k - ATTN_W_Q]);
}

typedef struct plain_s2s {
    al_seq2seq_config config;
    double param[S2S_PARAMS][P];
    double r[T * V];
} plain_s2s;

/* score(q = s_{t-1}, k = h_j), the kinds of seq2seq.h */
static double plain_score(const plain_s2s *c, const double *q, const double *k)
{
    const double (*w)[P] = c->param;
    double score = 0.0;
    if (c->config.score == AL_SCORE_ADDITIVE) {
        for (int a = 0; a < D_A; a++) {
            double sum = 0.0;
            for (int p = 0; p < D_H; p++)
                sum += q[p] * w[ATTN_W_Q][p * D_A + a] + k[p] * w[ATTN_W_K][p * D_A + a];
            score += w[ATTN_V_A][a] * tanh(sum);
        }
        return score;
    }
    for (int p = 0; p < D_H; p++)
        for (int u = 0; u < D_H; u++)
            score += q[p] * (c->config.score == AL_SCORE_GENERAL ? w[ATTN_W_A][p * D_H + u]
                                                                  : (double)(p == u)) * k[u];
    return c->config.score == AL_SCORE_SCALED_DOT ? score / sqrt((double)D_H) : score;
}

/* c (1 x d_h) = Σ_j softmax_j(score(prev, h_j)) h_j, or h_{S-1} without attention */
static void plain_context(double *context, const plain_s2s *c, const double *prev,
                          const double (*h)[D_H])
{
    if (!c->config.attention) {
        for (int p = 0; p < D_H; p++)
            context[p] = h[S - 1][p];
        return;
    }
    double scores[S], max = -INFINITY, sum = 0.0;
    for (int j = 0; j < S; j++)
        max = fmax(max, scores[j] = plain_score(c, prev, h[j]));
    for (int j = 0; j < S; j++)
        sum += scores[j] = exp(scores[j] - max);
    for (int p = 0; p < D_H; p++) {
        context[p] = 0.0;
        for (int j = 0; j < S; j++)
            context[p] += scores[j] / sum * h[j][p];
    }
}

/* Σ_t Σ_v r_tv · logits_tv for the pass of seq2seq.h under teacher forcing */
static double s2s_loss(void *context_)
{
    plain_s2s *c = context_;
    double (*w)[P] = c->param;
    double h[S][D_H], zero[D_H] = {0}, loss = 0.0;
    for (int j = 0; j < S; j++)
        plain_step(h[j], w[SOURCE_TABLE] + SOURCE[j] * D_E, j == 0 ? zero : h[j - 1],
                   c->config.cell, D_E, w + ENC);
    double state[D_H], before[D_H];
    for (int p = 0; p < D_H; p++)
        state[p] = h[S - 1][p];
    for (int t = 0; t < T; t++) {
        double input[D_E + D_H], context[D_H];
        for (int p = 0; p < D_H; p++)
            before[p] = state[p];
        plain_context(context, c, before, (const double (*)[D_H])h);
        for (int p = 0; p < D_E; p++)
            input[p] = w[TARGET_TABLE][READ[t] * D_E + p];
        for (int p = 0; p < D_H; p++)
            input[D_E + p] = context[p];
        plain_step(state, input, before, c->config.cell, D_E + D_H, w + DEC);
        for (int v = 0; v < V; v++) {
            double logit = w[OUT_B][v];
            for (int p = 0; p < D_H; p++)
                logit += state[p] * w[OUT_W][p * V + v] + context[p] * w[OUT_W][(D_H + p) * V + v];
            loss += c->r[t * V + v] * logit;
        }
    }
    return loss;
}

/* Encode, decode with the target, al_seq2seq_backward with dlogits = r,
 * then every parameter's gradient against s2s_loss's finite differences. */
static void check_seq2seq(al_rnn_kind cell, bool attention, al_score_kind score,
                          uint64_t seed)
{
    al_seq2seq_config config = {.cell = cell, .vocab_size = V, .d_embed = D_E, .d_hidden = D_H,
                                .attention = attention, .score = score, .d_attention = D_A};
    al_seq2seq model, grad;
    assert_int_equal(al_seq2seq_alloc(&model, &config, NULL), AL_OK);
    assert_int_equal(al_seq2seq_alloc(&grad, &config, NULL), AL_OK);
    al_rng rng;
    al_rng_seed(&rng, seed, 0);
    plain_s2s c = {.config = config};
    char name[AL_NAME_SIZE];
    for (int k = 0; k < S2S_PARAMS; k++) {
        al_matrix *m = al_seq2seq_param(&model, s2s_param_name(name, k));
        if (m) {
            al_rng_fill_normal(m, &rng, 0, 0.6f);
            gc_to_double(c.param[k], m);
        }
    }
    float r_data[T * V];
    al_matrix r = al_matrix_wrap(r_data, T, V);
    al_rng_fill_normal(&r, &rng, 0, 1);
    gc_to_double(c.r, &r);

    al_seq2seq_workspace ws;
    al_seq2seq_backward_workspace bw;
    assert_int_equal(al_seq2seq_workspace_alloc(&ws, &model, S, T, NULL), AL_OK);
    assert_int_equal(al_seq2seq_backward_workspace_alloc(&bw, &model, S, T, NULL), AL_OK);
    al_sequence source = {.length = S, .ids = SOURCE}, target = {.length = T, .ids = TARGET};
    int tokens[T], length;
    assert_int_equal(al_seq2seq_encode(&ws, &model, &source, NULL, NULL), AL_OK);
    assert_int_equal(al_seq2seq_decode(tokens, &length, &ws, &model, &target, T, NULL, NULL,
                                       NULL), AL_OK);
    assert_int_equal(al_seq2seq_backward(&grad, &bw, &r, &ws, &model, &source, NULL), AL_OK);

    /* from the output layer down, the order the backward reaches them */
    double numeric[MAX];
    for (int k = S2S_PARAMS - 1; k >= 0; k--) {
        al_matrix *g = al_seq2seq_param(&grad, s2s_param_name(name, k));
        if (!g)
            continue;
        gc_central_differences(numeric, c.param[k], g->rows * g->cols, s2s_loss, &c);
        gc_expect_gradient(name, g, numeric, FLOAT_GRADIENT, REASON);
    }
    al_seq2seq_backward_workspace_free(&bw);
    al_seq2seq_workspace_free(&ws);
    al_seq2seq_free(&grad);
    al_seq2seq_free(&model);
}

static void seq2seq_gru_additive(void **state)
{
    (void)state;
    check_seq2seq(AL_RNN_GRU, true, AL_SCORE_ADDITIVE, 41);
}

static void seq2seq_gru_pytorch_general(void **state)
{
    (void)state;
    check_seq2seq(AL_RNN_GRU_PYTORCH, true, AL_SCORE_GENERAL, 42);
}

static void seq2seq_elman_scaled_dot(void **state)
{
    (void)state;
    check_seq2seq(AL_RNN_ELMAN, true, AL_SCORE_SCALED_DOT, 43);
}

static void seq2seq_gru_without_attention(void **state)
{
    (void)state;
    check_seq2seq(AL_RNN_GRU, false, AL_SCORE_DOT, 44);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(elman_step),      cmocka_unit_test(gru_step),
        cmocka_unit_test(gru_pytorch_step), cmocka_unit_test(elman_run),
        cmocka_unit_test(gru_run),         cmocka_unit_test(gru_pytorch_run),
        cmocka_unit_test(seq2seq_gru_additive),
        cmocka_unit_test(seq2seq_gru_pytorch_general),
        cmocka_unit_test(seq2seq_elman_scaled_dot),
        cmocka_unit_test(seq2seq_gru_without_attention),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
