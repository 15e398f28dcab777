/* rnn_cell.c: Elman and GRU cells, the GRU in Cho et al.'s form and in
 * PyTorch's (formulas in rnn.h): one step, a run over a sequence, their
 * parameters and their trace. Products go through blas.h; the elementwise
 * gates are plain loops. */
#include "attnlab/rnn.h"

#include <math.h>

#include "attnlab/blas.h"

const char *al_rnn_kind_name(al_rnn_kind kind)
{
    switch (kind) {
    case AL_RNN_GRU:
        return "gru";
    case AL_RNN_GRU_PYTORCH:
        return "gru_pytorch";
    default:
        return "elman";
    }
}

bool al_rnn_is_gru(al_rnn_kind kind)
{
    return kind == AL_RNN_GRU || kind == AL_RNN_GRU_PYTORCH;
}

/* --- parameters ------------------------------------------------------------------ */

/* The cell's matrices, in the order of the struct, with their names. */
typedef struct cell_param {
    const char *name;
    al_matrix *m;
    bool input_side;   /* d_in x d_h, not d_h x d_h */
    bool bias;
} cell_param;

enum { CELL_PARAMS = 10 };

/* Elman has the first 3, Cho et al.'s GRU the first 9, PyTorch's all 10:
 * b_hn comes last, so the other forms' lists, draws and traces are
 * unchanged. */
static int cell_params(cell_param *out, al_rnn_cell *cell)
{
    const cell_param all[CELL_PARAMS] = {
        {"w_x", &cell->w_x, true, false},   {"w_h", &cell->w_h, false, false},
        {"b", &cell->b, false, true},       {"w_xz", &cell->w_xz, true, false},
        {"w_hz", &cell->w_hz, false, false}, {"b_z", &cell->b_z, false, true},
        {"w_xr", &cell->w_xr, true, false}, {"w_hr", &cell->w_hr, false, false},
        {"b_r", &cell->b_r, false, true},   {"b_hn", &cell->b_hn, false, true}};
    int count = cell->kind == AL_RNN_GRU_PYTORCH ? 10 : cell->kind == AL_RNN_GRU ? 9 : 3;
    for (int k = 0; k < count; k++)
        out[k] = all[k];
    return count;
}

void al_rnn_cell_free(al_rnn_cell *cell)
{
    al_matrix *all[] = {&cell->w_x, &cell->w_h, &cell->b, &cell->w_xz, &cell->w_hz,
                        &cell->b_z, &cell->w_xr, &cell->w_hr, &cell->b_r, &cell->b_hn};
    for (int k = 0; k < CELL_PARAMS; k++)
        al_matrix_free(all[k]);
}

al_status al_rnn_cell_alloc(al_rnn_cell *cell, al_rnn_kind kind, int d_in, int d_hidden,
                            al_error *err)
{
    *cell = (al_rnn_cell){.kind = kind, .d_in = d_in, .d_hidden = d_hidden};
    if ((unsigned)kind > AL_RNN_GRU_PYTORCH)
        return al_fail(err, AL_ERR_ARG, "rnn: unknown cell kind %d", (int)kind);
    cell_param params[CELL_PARAMS];
    int count = cell_params(params, cell);
    al_status status = AL_OK;
    for (int k = 0; k < count && status == AL_OK; k++)
        status = al_matrix_alloc(params[k].m, params[k].bias ? 1 : params[k].input_side ? d_in
                                                                                       : d_hidden,
                                 d_hidden, err);
    if (status != AL_OK)
        al_rnn_cell_free(cell);
    return status;
}

void al_rnn_cell_init(al_rnn_cell *cell, al_rng *rng)
{
    cell_param params[CELL_PARAMS];
    int count = cell_params(params, cell);
    for (int k = 0; k < count; k++) {
        al_matrix *m = params[k].m;
        float limit = sqrtf(6.0f / (float)(m->rows + m->cols));
        if (params[k].bias)
            al_fill(m, 0.0f);
        else
            al_rng_fill_uniform(m, rng, -limit, limit);
    }
}

al_status al_rnn_trace_params(al_trace *trace, const char *prefix, const al_rnn_cell *cell,
                              al_error *err)
{
    cell_param params[CELL_PARAMS];
    int count = cell_params(params, (al_rnn_cell *)cell);
    al_status status = AL_OK;
    for (int k = 0; k < count && status == AL_OK; k++) {
        char name[AL_NAME_SIZE];
        al_tensor_info info = {.name = al_name(name, "%s.%s", prefix, params[k].name),
                               .role = AL_ROLE_PARAM};
        status = al_trace_matrix(trace, &info, params[k].m, err);
    }
    return status;
}

/* --- gates ------------------------------------------------------------------------- */

void al_rnn_gates_free(al_rnn_gates *gates)
{
    al_matrix *all[] = {&gates->z, &gates->r, &gates->n, &gates->product, &gates->reset};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        al_matrix_free(all[k]);
}

al_status al_rnn_gates_alloc(al_rnn_gates *gates, const al_rnn_cell *cell, int max_steps,
                             al_error *err)
{
    *gates = (al_rnn_gates){0};
    int d = cell->d_hidden;
    al_status status = al_matrix_alloc(&gates->product, 1, d, err);
    if (status == AL_OK)
        status = al_matrix_alloc(&gates->reset, 1, d, err);
    al_matrix *per_step[] = {&gates->z, &gates->r, &gates->n};
    for (int k = 0; k < 3 && status == AL_OK && al_rnn_is_gru(cell->kind); k++)
        status = al_matrix_alloc(per_step[k], max_steps, d, err);
    if (status != AL_OK)
        al_rnn_gates_free(gates);
    return status;
}

/* --- one step --------------------------------------------------------------------- */

static float sigmoid(float a)
{
    return 1.0f / (1.0f + expf(-a));
}

/* out (1 x d_h) = x · W_x + h · W_h + b, the sum inside every gate; the
 * second product goes into scratch first because BLAS overwrites. */
static al_status affine(al_matrix *out, al_matrix *scratch, const al_matrix *x,
                        const al_matrix *w_x, const al_matrix *h, const al_matrix *w_h,
                        const al_matrix *b, al_error *err)
{
    al_status status = al_matmul(out, x, w_x, err);
    if (status == AL_OK)
        status = al_matmul(scratch, h, w_h, err);
    if (status == AL_OK)
        status = al_add(out, out, scratch, err);
    if (status == AL_OK)
        status = al_add_row_vector(out, out, b, err);
    return status;
}

/* Elman: h = tanh(x · W_x + h_prev · W_h + b) */
static al_status elman_step(al_matrix *h, al_rnn_gates *scratch, const al_matrix *x,
                            const al_matrix *h_prev, const al_rnn_cell *cell, al_error *err)
{
    al_status status = affine(h, &scratch->product, x, &cell->w_x, h_prev, &cell->w_h,
                              &cell->b, err);
    for (int j = 0; j < h->cols && status == AL_OK; j++)
        *al_at(h, 0, j) = tanhf(*al_at(h, 0, j));
    return status;
}

/* The gates both GRU forms share (1 x d_h each):
 * z = σ(x · W_xz + h_prev · W_hz + b_z),  r = σ(x · W_xr + h_prev · W_hr + b_r) */
static al_status gru_gates(al_matrix *z, al_matrix *r, al_rnn_gates *scratch,
                           const al_matrix *x, const al_matrix *h_prev, const al_rnn_cell *cell,
                           al_error *err)
{
    al_status status = affine(z, &scratch->product, x, &cell->w_xz, h_prev, &cell->w_hz,
                              &cell->b_z, err);
    if (status == AL_OK)
        status = affine(r, &scratch->product, x, &cell->w_xr, h_prev, &cell->w_hr, &cell->b_r,
                        err);
    for (int j = 0; j < cell->d_hidden && status == AL_OK; j++) {
        *al_at(z, 0, j) = sigmoid(*al_at(z, 0, j));
        *al_at(r, 0, j) = sigmoid(*al_at(r, 0, j));
    }
    return status;
}

/* n holds the candidate's sum before tanh; both forms finish alike:
 * n = tanh(n),  h = (1 − z) ⊙ n + z ⊙ h_prev */
static void gru_blend(al_matrix *h, al_matrix *n, const al_matrix *z, const al_matrix *h_prev)
{
    for (int j = 0; j < h->cols; j++) {
        float nj = tanhf(*al_at(n, 0, j)), zj = *al_at(z, 0, j);
        *al_at(n, 0, j) = nj;
        *al_at(h, 0, j) = (1.0f - zj) * nj + zj * *al_at(h_prev, 0, j);
    }
}

/* GRU, Cho et al. (2014), in the order of the formulas in rnn.h */
static al_status gru_step(al_matrix *h, al_matrix *z, al_matrix *r, al_matrix *n,
                          al_rnn_gates *scratch, const al_matrix *x, const al_matrix *h_prev,
                          const al_rnn_cell *cell, al_error *err)
{
    al_status status = gru_gates(z, r, scratch, x, h_prev, cell, err);
    if (status != AL_OK)
        return status;
    /* n = tanh(x · W_x + (r ⊙ h_prev) · W_h + b): the gate before the product */
    for (int j = 0; j < cell->d_hidden; j++)
        *al_at(&scratch->reset, 0, j) = *al_at(r, 0, j) * *al_at(h_prev, 0, j);
    status = affine(n, &scratch->product, x, &cell->w_x, &scratch->reset, &cell->w_h, &cell->b,
                    err);
    if (status == AL_OK)
        gru_blend(h, n, z, h_prev);
    return status;
}

/* GRU as PyTorch computes it (torch.nn.GRUCell; rnn.h): the same gates,
 * and the reset gate applied after the hidden product and its bias:
 *   n (1 x d_h) = tanh(x (1 x d_in) · W_x (d_in x d_h) + b
 *                      + r ⊙ (h_prev (1 x d_h) · W_h (d_h x d_h) + b_hn)) */
static al_status gru_pytorch_step(al_matrix *h, al_matrix *z, al_matrix *r, al_matrix *n,
                                  al_rnn_gates *scratch, const al_matrix *x,
                                  const al_matrix *h_prev, const al_rnn_cell *cell,
                                  al_error *err)
{
    al_status status = gru_gates(z, r, scratch, x, h_prev, cell, err);
    /* n = x · W_x + b;  product = h_prev · W_h + b_hn */
    if (status == AL_OK)
        status = al_matmul(n, x, &cell->w_x, err);
    if (status == AL_OK)
        status = al_add_row_vector(n, n, &cell->b, err);
    if (status == AL_OK)
        status = al_matmul(&scratch->product, h_prev, &cell->w_h, err);
    if (status == AL_OK)
        status = al_add_row_vector(&scratch->product, &scratch->product, &cell->b_hn, err);
    if (status != AL_OK)
        return status;
    /* n += r ⊙ product: the gate after the product */
    for (int j = 0; j < cell->d_hidden; j++)
        *al_at(n, 0, j) += *al_at(r, 0, j) * *al_at(&scratch->product, 0, j);
    gru_blend(h, n, z, h_prev);
    return AL_OK;
}

static al_status check_step(const al_matrix *h, const al_matrix *x, const al_matrix *h_prev,
                            const al_rnn_cell *cell, al_error *err)
{
    int d = cell->d_hidden;
    if (x->rows != 1 || x->cols != cell->d_in)
        return al_fail(err, AL_ERR_SHAPE, "%s cell: x_t is %d x %d but must be 1 x %d (d_in)",
                       al_rnn_kind_name(cell->kind), x->rows, x->cols, cell->d_in);
    if (h->rows != 1 || h->cols != d || h_prev->rows != 1 || h_prev->cols != d)
        return al_fail(err, AL_ERR_SHAPE, "%s cell: the states are %d x %d and %d x %d but must "
                       "be 1 x %d (d_h)", al_rnn_kind_name(cell->kind), h->rows, h->cols,
                       h_prev->rows, h_prev->cols, d);
    return AL_OK;
}

al_status al_rnn_step(al_matrix *h, al_matrix *z, al_matrix *r, al_matrix *n,
                      al_rnn_gates *scratch, const al_matrix *x, const al_matrix *h_prev,
                      const al_rnn_cell *cell, al_error *err)
{
    al_status status = check_step(h, x, h_prev, cell, err);
    if (status != AL_OK)
        return status;
    if (cell->kind == AL_RNN_GRU)
        return gru_step(h, z, r, n, scratch, x, h_prev, cell, err);
    if (cell->kind == AL_RNN_GRU_PYTORCH)
        return gru_pytorch_step(h, z, r, n, scratch, x, h_prev, cell, err);
    return elman_step(h, scratch, x, h_prev, cell, err);
}

/* --- a run -------------------------------------------------------------------------- */

static al_status trace_run(al_trace *trace, const al_matrix *states, const al_rnn_gates *gates,
                           const al_rnn_cell *cell, const al_rnn_names *names, al_error *err)
{
    int steps = states->rows;
    char param_names[CELL_PARAMS][AL_NAME_SIZE];
    cell_param params[CELL_PARAMS];
    int count = cell_params(params, (al_rnn_cell *)cell);
    al_tensor_info info = {.role = AL_ROLE_ACTIVATION, .row_labels = names->labels,
                           .col_labels = names->units, .inputs = {names->x, names->h_init}};
    for (int k = 0; k < count; k++)
        info.inputs[2 + k] = al_name(param_names[k], "%s.%s", names->params, params[k].name);

    /* the op names say which GRU form made the numbers (rnn.h) */
    bool pytorch = cell->kind == AL_RNN_GRU_PYTORCH;
    const char *ops[] = {al_rnn_kind_name(cell->kind),
                         pytorch ? "gru_pytorch_update_gate" : "gru_update_gate",
                         pytorch ? "gru_pytorch_reset_gate" : "gru_reset_gate",
                         pytorch ? "gru_pytorch_candidate" : "gru_candidate"};
    const char *suffixes[] = {"h", "z", "r", "n"};
    al_matrix gate_rows[] = {*states, al_matrix_rows(&gates->z, 0, steps),
                             al_matrix_rows(&gates->r, 0, steps),
                             al_matrix_rows(&gates->n, 0, steps)};
    int records = al_rnn_is_gru(cell->kind) ? 4 : 1;
    al_status status = AL_OK;
    for (int k = 0; k < records && status == AL_OK; k++) {
        char name[AL_NAME_SIZE];
        info.name = al_name(name, "%s.%s", names->out, suffixes[k]);
        info.op = ops[k];
        status = al_trace_matrix(trace, &info, &gate_rows[k], err);
    }
    return status;
}

al_status al_rnn_run(al_matrix *states, al_rnn_gates *gates, const al_matrix *x,
                     const al_matrix *h_init, const al_rnn_cell *cell,
                     const al_rnn_names *names, al_trace *trace, al_error *err)
{
    int steps = x->rows;
    if (states->rows != steps || states->cols != cell->d_hidden)
        return al_fail(err, AL_ERR_SHAPE, "%s run: the states are %d x %d but must be %d x %d "
                       "(one row per step)", al_rnn_kind_name(cell->kind), states->rows,
                       states->cols, steps, cell->d_hidden);
    if (al_rnn_is_gru(cell->kind) && steps > gates->z.rows)
        return al_fail(err, AL_ERR_SHAPE, "%s run: %d steps but the gates hold %d",
                       al_rnn_kind_name(cell->kind), steps, gates->z.rows);
    if (trace && (!names || !names->out || !names->params || !names->x || !names->h_init))
        return al_fail(err, AL_ERR_ARG, "rnn run: tracing needs the names of the states, the "
                       "parameters, the inputs and the start state");
    al_status status = AL_OK;
    /* h_t = cell(x_t, h_{t-1}), from h_{-1} = h_init */
    for (int t = 0; t < steps && status == AL_OK; t++) {
        al_matrix x_t = al_matrix_rows(x, t, 1), h_t = al_matrix_rows(states, t, 1);
        al_matrix h_before = t == 0 ? *h_init : al_matrix_rows(states, t - 1, 1);
        al_matrix z = {0}, r = {0}, n = {0};
        if (al_rnn_is_gru(cell->kind)) {
            z = al_matrix_rows(&gates->z, t, 1);
            r = al_matrix_rows(&gates->r, t, 1);
            n = al_matrix_rows(&gates->n, t, 1);
        }
        status = al_rnn_step(&h_t, &z, &r, &n, gates, &x_t, &h_before, cell, err);
    }
    if (status != AL_OK || !trace)
        return status;
    return trace_run(trace, states, gates, cell, names, err);
}

/* --- backward ------------------------------------------------------------------------- */

void al_rnn_backward_scratch_free(al_rnn_backward_scratch *scratch)
{
    al_matrix *all[] = {&scratch->d_pre_n, &scratch->d_pre_z, &scratch->d_pre_r,
                        &scratch->hidden,  &scratch->d_hidden, &scratch->carry[0],
                        &scratch->carry[1]};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        al_matrix_free(all[k]);
}

al_status al_rnn_backward_scratch_alloc(al_rnn_backward_scratch *scratch,
                                        const al_rnn_cell *cell, al_error *err)
{
    *scratch = (al_rnn_backward_scratch){0};
    al_matrix *all[] = {&scratch->d_pre_n, &scratch->d_pre_z, &scratch->d_pre_r,
                        &scratch->hidden,  &scratch->d_hidden, &scratch->carry[0],
                        &scratch->carry[1]};
    al_status status = AL_OK;
    for (size_t k = 0; k < sizeof all / sizeof all[0] && status == AL_OK; k++)
        status = al_matrix_alloc(all[k], 1, cell->d_hidden, err);
    if (status != AL_OK)
        al_rnn_backward_scratch_free(scratch);
    return status;
}

/* Backward of one sum s (1 x d_h) = x · W_x + h · W_h + b into the
 * parameters, from d_pre = dL/ds:
 *   dW_x (d_in x d_h) += xᵀ · d_pre,  dW_h (d_h x d_h) += hᵀ · d_pre,  db += d_pre */
static al_status affine_backward(al_matrix *dw_x, al_matrix *dw_h, al_matrix *db,
                                 const al_matrix *d_pre, const al_matrix *x,
                                 const al_matrix *h, al_error *err)
{
    al_status status = al_matmul_at_add(dw_x, x, d_pre, err);
    if (status == AL_OK)
        status = al_matmul_at_add(dw_h, h, d_pre, err);
    if (status == AL_OK)
        status = al_add_column_sums(db, d_pre, err);
    return status;
}

/* Elman, h = tanh(x · W_x + h_prev · W_h + b):
 *   d_pre (1 x d_h) = dh ⊙ (1 − h²)          (tanh' = 1 − tanh²)
 *   dx (1 x d_in)   = d_pre · W_xᵀ,  dh_prev (1 x d_h) = d_pre · W_hᵀ */
static al_status elman_backward(al_matrix *dx, al_matrix *dh_prev, al_rnn_cell *grad,
                                al_rnn_backward_scratch *s, const al_matrix *dh,
                                const al_matrix *x, const al_matrix *h_prev, const al_matrix *h,
                                const al_rnn_cell *cell, al_error *err)
{
    for (int j = 0; j < cell->d_hidden; j++) {
        float hj = *al_at(h, 0, j);
        *al_at(&s->d_pre_n, 0, j) = *al_at(dh, 0, j) * (1.0f - hj * hj);
    }
    al_status status = affine_backward(&grad->w_x, &grad->w_h, &grad->b, &s->d_pre_n, x, h_prev,
                                       err);
    if (status == AL_OK && dx)
        status = al_matmul_bt(dx, &s->d_pre_n, &cell->w_x, err);
    if (status == AL_OK && dh_prev)
        status = al_matmul_bt(dh_prev, &s->d_pre_n, &cell->w_h, err);
    return status;
}

/* The candidate's hidden input, recomputed from what the forward kept
 * (its scratch holds only the last step's):
 *   Cho et al.:  hidden = r ⊙ h_prev                  (gru_step)
 *   PyTorch:     hidden = h_prev · W_h + b_hn          (gru_pytorch_step) */
static al_status candidate_hidden(al_matrix *hidden, const al_matrix *h_prev,
                                  const al_matrix *r, const al_rnn_cell *cell, al_error *err)
{
    if (cell->kind == AL_RNN_GRU_PYTORCH) {
        al_status status = al_matmul(hidden, h_prev, &cell->w_h, err);
        return status == AL_OK ? al_add_row_vector(hidden, hidden, &cell->b_hn, err) : status;
    }
    for (int j = 0; j < cell->d_hidden; j++)
        *al_at(hidden, 0, j) = *al_at(r, 0, j) * *al_at(h_prev, 0, j);
    return AL_OK;
}

/* Steps 3 of gru_backward: the candidate's sum back to its parameters, to
 * d_hidden and to dr (left in d_pre_r).
 *   Cho, n = tanh(x · W_x + hidden · W_h + b), hidden = r ⊙ h_prev:
 *     dW_x += xᵀ · d_pre_n,  dW_h += hiddenᵀ · d_pre_n,  db += d_pre_n
 *     d_hidden = d_pre_n · W_hᵀ,  dr = d_hidden ⊙ h_prev
 *   PyTorch, n = tanh(x · W_x + b + r ⊙ hidden), hidden = h_prev · W_h + b_hn:
 *     dW_x += xᵀ · d_pre_n,  db += d_pre_n
 *     d_hidden = d_pre_n ⊙ r,  dr = d_pre_n ⊙ hidden
 *     dW_h += h_prevᵀ · d_hidden,  db_hn += d_hidden */
static al_status candidate_backward(al_rnn_cell *grad, al_rnn_backward_scratch *s,
                                    const al_matrix *x, const al_matrix *h_prev,
                                    const al_matrix *r, const al_rnn_cell *cell, al_error *err)
{
    int d = cell->d_hidden;
    if (cell->kind == AL_RNN_GRU) {
        al_status status = affine_backward(&grad->w_x, &grad->w_h, &grad->b, &s->d_pre_n, x,
                                           &s->hidden, err);
        if (status == AL_OK)
            status = al_matmul_bt(&s->d_hidden, &s->d_pre_n, &cell->w_h, err);
        for (int j = 0; j < d && status == AL_OK; j++)
            *al_at(&s->d_pre_r, 0, j) = *al_at(&s->d_hidden, 0, j) * *al_at(h_prev, 0, j);
        return status;
    }
    for (int j = 0; j < d; j++) {
        float d_pre_nj = *al_at(&s->d_pre_n, 0, j);
        *al_at(&s->d_hidden, 0, j) = d_pre_nj * *al_at(r, 0, j);
        *al_at(&s->d_pre_r, 0, j) = d_pre_nj * *al_at(&s->hidden, 0, j);
    }
    al_status status = al_matmul_at_add(&grad->w_x, x, &s->d_pre_n, err);
    if (status == AL_OK)
        status = al_add_column_sums(&grad->b, &s->d_pre_n, err);
    if (status == AL_OK)
        status = al_matmul_at_add(&grad->w_h, h_prev, &s->d_hidden, err);
    if (status == AL_OK)
        status = al_add_column_sums(&grad->b_hn, &s->d_hidden, err);
    return status;
}

/* Both GRU forms, backwards through the formulas of rnn.h. */
static al_status gru_backward(al_matrix *dx, al_matrix *dh_prev, al_rnn_cell *grad,
                              al_rnn_backward_scratch *s, const al_matrix *dh,
                              const al_matrix *x, const al_matrix *h_prev, const al_matrix *z,
                              const al_matrix *r, const al_matrix *n, const al_rnn_cell *cell,
                              al_error *err)
{
    int d = cell->d_hidden;
    /* 1. h = (1 − z) ⊙ n + z ⊙ h_prev, n = tanh(pre_n):
     *    d_pre_n = dh ⊙ (1 − z) ⊙ (1 − n²),  dz = dh ⊙ (h_prev − n) (in d_pre_z) */
    for (int j = 0; j < d; j++) {
        float dhj = *al_at(dh, 0, j), zj = *al_at(z, 0, j), nj = *al_at(n, 0, j);
        *al_at(&s->d_pre_n, 0, j) = dhj * (1.0f - zj) * (1.0f - nj * nj);
        *al_at(&s->d_pre_z, 0, j) = dhj * (*al_at(h_prev, 0, j) - nj);
    }
    /* 2. and 3. the candidate: its hidden input again, then its gradients */
    al_status status = candidate_hidden(&s->hidden, h_prev, r, cell, err);
    if (status == AL_OK)
        status = candidate_backward(grad, s, x, h_prev, r, cell, err);
    if (status != AL_OK)
        return status;
    /* 4. z = σ(pre_z), r = σ(pre_r), σ' = σ (1 − σ):
     *    d_pre_z = dz ⊙ z ⊙ (1 − z),  d_pre_r = dr ⊙ r ⊙ (1 − r) */
    for (int j = 0; j < d; j++) {
        float zj = *al_at(z, 0, j), rj = *al_at(r, 0, j);
        *al_at(&s->d_pre_z, 0, j) *= zj * (1.0f - zj);
        *al_at(&s->d_pre_r, 0, j) *= rj * (1.0f - rj);
    }
    status = affine_backward(&grad->w_xz, &grad->w_hz, &grad->b_z, &s->d_pre_z, x, h_prev, err);
    if (status == AL_OK)
        status = affine_backward(&grad->w_xr, &grad->w_hr, &grad->b_r, &s->d_pre_r, x, h_prev,
                                 err);
    /* 5. dx (1 x d_in) = d_pre_n · W_xᵀ + d_pre_z · W_xzᵀ + d_pre_r · W_xrᵀ */
    if (status == AL_OK && dx)
        status = al_matmul_bt(dx, &s->d_pre_n, &cell->w_x, err);
    if (status == AL_OK && dx)
        status = al_matmul_bt_add(dx, &s->d_pre_z, &cell->w_xz, err);
    if (status == AL_OK && dx)
        status = al_matmul_bt_add(dx, &s->d_pre_r, &cell->w_xr, err);
    if (status != AL_OK || !dh_prev)
        return status;
    /* 6. dh_prev (1 x d_h) = dh ⊙ z                       (the kept share)
     *      + d_hidden ⊙ r  (Cho)  or  d_hidden · W_hᵀ  (PyTorch)
     *      + d_pre_z · W_hzᵀ + d_pre_r · W_hrᵀ              (through the gates) */
    bool cho = cell->kind == AL_RNN_GRU;
    for (int j = 0; j < d; j++)
        *al_at(dh_prev, 0, j) = *al_at(dh, 0, j) * *al_at(z, 0, j) +
                                (cho ? *al_at(&s->d_hidden, 0, j) * *al_at(r, 0, j) : 0.0f);
    if (!cho)
        status = al_matmul_bt_add(dh_prev, &s->d_hidden, &cell->w_h, err);
    if (status == AL_OK)
        status = al_matmul_bt_add(dh_prev, &s->d_pre_z, &cell->w_hz, err);
    if (status == AL_OK)
        status = al_matmul_bt_add(dh_prev, &s->d_pre_r, &cell->w_hr, err);
    return status;
}

static bool is_row(const al_matrix *m, int cols)
{
    return m && m->rows == 1 && m->cols == cols;
}

static al_status check_step_backward(const al_matrix *dx, const al_matrix *dh_prev,
                                     const al_rnn_cell *grad,
                                     const al_rnn_backward_scratch *scratch,
                                     const al_matrix *dh, const al_matrix *z,
                                     const al_matrix *r, const al_matrix *n,
                                     const al_rnn_cell *cell, al_error *err)
{
    const char *kind = al_rnn_kind_name(cell->kind);
    int d = cell->d_hidden;
    if (grad->kind != cell->kind || grad->d_in != cell->d_in || grad->d_hidden != d)
        return al_fail(err, AL_ERR_SHAPE, "%s backward: the gradient is a %s cell of %d -> %d "
                       "but the cell is %d -> %d", kind, al_rnn_kind_name(grad->kind),
                       grad->d_in, grad->d_hidden, cell->d_in, d);
    if (!is_row(dh, d) || (dh_prev && !is_row(dh_prev, d)) || (dx && !is_row(dx, cell->d_in)))
        return al_fail(err, AL_ERR_SHAPE, "%s backward: dh and dh_prev must be 1 x %d (d_h) "
                       "and dx 1 x %d (d_in)", kind, d, cell->d_in);
    if (dh_prev == dh)
        return al_fail(err, AL_ERR_ARG, "%s backward: dh_prev must not be dh", kind);
    if (!is_row(&scratch->d_pre_n, d))
        return al_fail(err, AL_ERR_SHAPE, "%s backward: the scratch is for d_h = %d, not %d",
                       kind, scratch->d_pre_n.cols, d);
    if (al_rnn_is_gru(cell->kind) && (!is_row(z, d) || !is_row(r, d) || !is_row(n, d)))
        return al_fail(err, AL_ERR_SHAPE, "%s backward: z, r and n must be 1 x %d (d_h)", kind,
                       d);
    return AL_OK;
}

al_status al_rnn_step_backward(al_matrix *dx, al_matrix *dh_prev, al_rnn_cell *grad,
                               al_rnn_backward_scratch *scratch, const al_matrix *dh,
                               const al_matrix *x, const al_matrix *h_prev, const al_matrix *h,
                               const al_matrix *z, const al_matrix *r, const al_matrix *n,
                               const al_rnn_cell *cell, al_error *err)
{
    al_status status = check_step(h, x, h_prev, cell, err);
    if (status == AL_OK)
        status = check_step_backward(dx, dh_prev, grad, scratch, dh, z, r, n, cell, err);
    if (status != AL_OK)
        return status;
    if (al_rnn_is_gru(cell->kind))
        return gru_backward(dx, dh_prev, grad, scratch, dh, x, h_prev, z, r, n, cell, err);
    return elman_backward(dx, dh_prev, grad, scratch, dh, x, h_prev, h, cell, err);
}

static al_status check_run_backward(const al_matrix *dx, const al_matrix *d_h_init,
                                    const al_matrix *d_states, const al_matrix *x,
                                    const al_matrix *states, const al_rnn_gates *gates,
                                    const al_rnn_cell *cell, al_error *err)
{
    const char *kind = al_rnn_kind_name(cell->kind);
    if (states->rows != x->rows || states->cols != cell->d_hidden)
        return al_fail(err, AL_ERR_SHAPE, "%s run backward: the states are %d x %d but must "
                       "be %d x %d", kind, states->rows, states->cols, x->rows, cell->d_hidden);
    if ((d_states && !al_same_shape(d_states, states)) || (dx && !al_same_shape(dx, x)))
        return al_fail(err, AL_ERR_SHAPE, "%s run backward: d_states must be shaped like the "
                       "states (%d x %d) and dx like x (%d x %d)", kind, states->rows,
                       states->cols, x->rows, x->cols);
    if (d_h_init && !is_row(d_h_init, cell->d_hidden))
        return al_fail(err, AL_ERR_SHAPE, "%s run backward: d_h_init must be 1 x %d", kind,
                       cell->d_hidden);
    if (al_rnn_is_gru(cell->kind) && x->rows > gates->z.rows)
        return al_fail(err, AL_ERR_SHAPE, "%s run backward: %d steps but the gates hold %d",
                       kind, x->rows, gates->z.rows);
    return AL_OK;
}

al_status al_rnn_run_backward(al_matrix *dx, al_matrix *d_h_init, al_rnn_cell *grad,
                              al_rnn_backward_scratch *scratch, const al_matrix *d_states,
                              const al_matrix *x, const al_matrix *h_init,
                              const al_matrix *states, const al_rnn_gates *gates,
                              const al_rnn_cell *cell, al_error *err)
{
    al_status status = check_run_backward(dx, d_h_init, d_states, x, states, gates, cell, err);
    if (status != AL_OK)
        return status;
    /* dh holds dL/dh_t, dh_before receives dL/dh_{t-1}; nothing comes after the last step */
    al_matrix *dh = &scratch->carry[0], *dh_before = &scratch->carry[1];
    al_fill(dh, 0.0f);
    for (int t = x->rows - 1; t >= 0 && status == AL_OK; t--) {
        /* h_t feeds the caller's loss (d_states row t) and step t + 1 (dh so far) */
        al_matrix d_state_t = d_states ? al_matrix_rows(d_states, t, 1) : (al_matrix){0};
        if (d_states)
            status = al_add(dh, dh, &d_state_t, err);
        al_matrix x_t = al_matrix_rows(x, t, 1), h_t = al_matrix_rows(states, t, 1);
        al_matrix h_before = t == 0 ? *h_init : al_matrix_rows(states, t - 1, 1);
        al_matrix dx_t = dx ? al_matrix_rows(dx, t, 1) : (al_matrix){0};
        al_matrix z = {0}, r = {0}, n = {0};
        if (al_rnn_is_gru(cell->kind)) {
            z = al_matrix_rows(&gates->z, t, 1);
            r = al_matrix_rows(&gates->r, t, 1);
            n = al_matrix_rows(&gates->n, t, 1);
        }
        al_matrix *d_before = t == 0 ? d_h_init : dh_before;
        if (status == AL_OK)
            status = al_rnn_step_backward(dx ? &dx_t : NULL, d_before, grad, scratch, dh, &x_t,
                                          &h_before, &h_t, &z, &r, &n, cell, err);
        al_matrix *swap = dh;
        dh = dh_before;
        dh_before = swap;
    }
    return status;
}
