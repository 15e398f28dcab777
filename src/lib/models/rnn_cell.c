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
                           .inputs = {names->x, names->h_init}};
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
