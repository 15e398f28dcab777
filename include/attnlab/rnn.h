/* rnn.h: the recurrent cells of the seq2seq models that came before the
 * Transformer, reading a sequence one row at a time and carrying a hidden
 * state h from each step to the next. Not an LSTM, and not the seq2seq
 * model built from them (seq2seq.h).
 *
 * Dimension letters: L steps (rows of x), d_in the width of one input row,
 * d_h the width of the state. x_t is row t of x, h_{t-1} the state before
 * step t (h_{-1} is given: zeros for an encoder).
 *
 *   Elman (1990):  h_t = tanh(x_t · W_x + h_{t-1} · W_h + b)
 *
 *   GRU (Cho et al. 2014):
 *     z_t = σ(x_t · W_xz + h_{t-1} · W_hz + b_z)            update gate
 *     r_t = σ(x_t · W_xr + h_{t-1} · W_hr + b_r)            reset gate
 *     n_t = tanh(x_t · W_x + (r_t ⊙ h_{t-1}) · W_h + b)     candidate
 *     h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}
 *   z_t near 1 keeps the old state (memory); r_t near 0 lets the candidate
 *   ignore it. The candidate uses the Elman weights W_x, W_h, b, so with
 *   both gates open (z = 0, r = 1) a GRU step is an Elman step.
 *
 *   GRU as PyTorch computes it (torch.nn.GRU, torch.nn.GRUCell): the same
 *   z_t, r_t and h_t, but the reset gate scales the hidden product after
 *   it is formed, bias included, so the candidate has a hidden bias b_hn
 *   of its own:
 *     n_t = tanh(x_t · W_x + b + r_t ⊙ (h_{t-1} · W_h + b_hn))
 *   The two forms agree when r_t is all ones and b_hn = 0, and differ
 *   otherwise: r ⊙ (h · W_h) mixes the units of h before gating them,
 *   (r ⊙ h) · W_h gates them before mixing. (PyTorch's b_hz and b_hr just
 *   add to b_iz and b_ir, so one bias per gate, b_z and b_r, is enough.)
 *   PyTorch stores the same numbers transposed and stacked in the order
 *   r, z, n: weight_ih = [W_xr W_xz W_x]ᵀ (3 d_h x d_in), weight_hh =
 *   [W_hr W_hz W_h]ᵀ (3 d_h x d_h), bias_ih = [b_r b_z b], bias_hh =
 *   [0 0 b_hn].
 *
 * Parameters are d_in x d_h (W_x, W_xz, W_xr), d_h x d_h (W_h, W_hz, W_hr)
 * and 1 x d_h (b, b_z, b_r; PyTorch's form also b_hn), applied as x · W,
 * traced as <prefix>.w_x, .w_h, .b, .w_xz, .w_hz, .b_z, .w_xr, .w_hr, .b_r
 * (and .b_hn). */
#ifndef ATTNLAB_RNN_H
#define ATTNLAB_RNN_H

#include <stdbool.h>

#include "attnlab/matrix.h"
#include "attnlab/rng.h"
#include "attnlab/trace.h"

/* Which cell: Elman's, or a GRU in one of its two forms. AL_RNN_GRU is
 * Cho et al.'s form, (r ⊙ h) · W_h, as it always was; AL_RNN_GRU_PYTORCH
 * is torch.nn.GRU's, r ⊙ (h · W_h + b_hn). */
typedef enum al_rnn_kind { AL_RNN_ELMAN, AL_RNN_GRU, AL_RNN_GRU_PYTORCH } al_rnn_kind;

typedef struct al_rnn_cell {
    al_rnn_kind kind;
    int d_in, d_hidden;
    al_matrix w_x, w_h, b;        /* Elman; the GRU's candidate                */
    al_matrix w_xz, w_hz, b_z;    /* GRU update gate (empty for Elman)         */
    al_matrix w_xr, w_hr, b_r;    /* GRU reset gate (empty for Elman)          */
    al_matrix b_hn;               /* PyTorch's GRU only: the candidate's hidden
                                     bias, inside r ⊙ (h · W_h + b_hn)         */
} al_rnn_cell;

/* Allocate a cell of kind for inputs of d_in and states of d_h, all zeros.
 * On failure *cell is empty. Free with al_rnn_cell_free. */
al_status al_rnn_cell_alloc(al_rnn_cell *cell, al_rnn_kind kind, int d_in, int d_hidden,
                            al_error *err);

/* Glorot uniform for every W (each drawn in the order of the struct:
 * W_x, W_h, then W_xz, W_hz, W_xr, W_hr), biases 0 (b_hn too). The two GRU
 * forms draw the same numbers from the same rng, so one seed gives both
 * forms the same weights. */
void al_rnn_cell_init(al_rnn_cell *cell, al_rng *rng);

void al_rnn_cell_free(al_rnn_cell *cell);

/* "elman", "gru" (Cho et al.) or "gru_pytorch": the op of a run's states. */
const char *al_rnn_kind_name(al_rnn_kind kind);

/* True for either GRU form: the cell has gates z and r and a candidate n. */
bool al_rnn_is_gru(al_rnn_kind kind);

/* What a run keeps besides the states: the GRU's gates and candidate, one
 * row per step (L x d_h), and two rows of scratch. Allocated for up to
 * max_steps steps by al_rnn_gates_alloc, freed by al_rnn_gates_free. */
typedef struct al_rnn_gates {
    al_matrix z, r, n;            /* GRU only; empty for Elman                  */
    al_matrix product, reset;     /* 1 x d_h scratch: h · W, r ⊙ h              */
} al_rnn_gates;

al_status al_rnn_gates_alloc(al_rnn_gates *gates, const al_rnn_cell *cell, int max_steps,
                             al_error *err);
void al_rnn_gates_free(al_rnn_gates *gates);

/* One step: h (1 x d_h) = cell(x (1 x d_in), h_prev (1 x d_h)). For a GRU,
 * z, r and n (1 x d_h each, may be views of rows of gates) receive the
 * gates and the candidate. h must not be h_prev. */
al_status al_rnn_step(al_matrix *h, al_matrix *z, al_matrix *r, al_matrix *n,
                      al_rnn_gates *scratch, const al_matrix *x, const al_matrix *h_prev,
                      const al_rnn_cell *cell, al_error *err);

/* Names for tracing a run. */
typedef struct al_rnn_names {
    const char *out;              /* the states are <out>.h, the GRU's <out>.z .r .n */
    const char *params;           /* the cell's parameters are <params>.w_x ...      */
    const char *x, *h_init;       /* traced names of the inputs and the start state  */
    const char *const *labels;    /* one per row of x, or NULL                       */
    const char *const *units;     /* one per hidden unit (column of the states), or NULL */
} al_rnn_names;

/* Run the cell over the L rows of x from h_init: row t of states (L x d_h)
 * is h_t. Traces <out>.h (op "elman", "gru" or "gru_pytorch", inputs [x,
 * h_init, the parameters]) and, for a GRU, <out>.z, .r, .n (ops
 * "gru_update_gate", "gru_reset_gate", "gru_candidate" for Cho et al.'s
 * form; "gru_pytorch_update_gate", "gru_pytorch_reset_gate",
 * "gru_pytorch_candidate" for PyTorch's, whose inputs end with b_hn; the
 * same inputs as the states). The parameters are not recorded here:
 * al_rnn_trace_params does that once per cell. */
al_status al_rnn_run(al_matrix *states, al_rnn_gates *gates, const al_matrix *x,
                     const al_matrix *h_init, const al_rnn_cell *cell,
                     const al_rnn_names *names, al_trace *trace, al_error *err);

/* --- backward (backpropagation through time) ---------------------------------- */

/* What a backward step needs besides the forward's results, 1 x d_h each:
 * the gradients of the sums inside the nonlinearities (the candidate's, or
 * Elman's, inside tanh; the gates' inside σ), the hidden input of the
 * candidate recomputed (Cho et al.: r ⊙ h_prev; PyTorch: h_prev · W_h +
 * b_hn; the forward's scratch holds only the last step's) and its
 * gradient, and two rows for the gradient a run carries from step to step.
 * Allocated by al_rnn_backward_scratch_alloc, freed by
 * al_rnn_backward_scratch_free. */
typedef struct al_rnn_backward_scratch {
    al_matrix d_pre_n, d_pre_z, d_pre_r;  /* d_pre_n is Elman's d(pre-tanh) too    */
    al_matrix hidden, d_hidden;           /* the candidate's hidden input, its grad */
    al_matrix carry[2];                   /* a run's dh, one step and the next      */
} al_rnn_backward_scratch;

al_status al_rnn_backward_scratch_alloc(al_rnn_backward_scratch *scratch,
                                        const al_rnn_cell *cell, al_error *err);
void al_rnn_backward_scratch_free(al_rnn_backward_scratch *scratch);

/* Backward of one al_rnn_step, from dh = dL/dh (1 x d_h) and what the
 * forward kept: x (1 x d_in), h_prev and h (1 x d_h), and for a GRU z, r, n
 * (1 x d_h). Writes dx (1 x d_in) and dh_prev (1 x d_h), either may be
 * NULL, and ADDS the parameters' gradients into grad (a cell of the same
 * kind and shapes; layers.h's convention). dh_prev must not be dh.
 *   Elman:  d_pre = dh ⊙ (1 − h²)
 *           dW_x += xᵀ · d_pre, dW_h += h_prevᵀ · d_pre, db += d_pre
 *           dx = d_pre · W_xᵀ,  dh_prev = d_pre · W_hᵀ
 *   GRU, h = (1 − z) ⊙ n + z ⊙ h_prev:
 *           dn = dh ⊙ (1 − z),  dz = dh ⊙ (h_prev − n),  dh_prev = dh ⊙ z + ...
 *           d_pre_n = dn ⊙ (1 − n²)
 *     Cho:  d(r ⊙ h_prev) = d_pre_n · W_hᵀ,  dr = that ⊙ h_prev,
 *           dh_prev += that ⊙ r,  dW_h += (r ⊙ h_prev)ᵀ · d_pre_n
 *     PyTorch: dr = d_pre_n ⊙ (h_prev · W_h + b_hn),  dp = d_pre_n ⊙ r,
 *           dW_h += h_prevᵀ · dp,  db_hn += dp,  dh_prev += dp · W_hᵀ
 *           d_pre_z = dz ⊙ z ⊙ (1 − z),  d_pre_r = dr ⊙ r ⊙ (1 − r)
 *           dx = d_pre_n · W_xᵀ + d_pre_z · W_xzᵀ + d_pre_r · W_xrᵀ
 *           dh_prev += d_pre_z · W_hzᵀ + d_pre_r · W_hrᵀ
 *           and each gate's W_x?, W_h?, b_? as Elman's from its d_pre. */
al_status al_rnn_step_backward(al_matrix *dx, al_matrix *dh_prev, al_rnn_cell *grad,
                               al_rnn_backward_scratch *scratch, const al_matrix *dh,
                               const al_matrix *x, const al_matrix *h_prev, const al_matrix *h,
                               const al_matrix *z, const al_matrix *r, const al_matrix *n,
                               const al_rnn_cell *cell, al_error *err);

/* Backward of al_rnn_run through time, last step first. d_states
 * (L x d_h, or NULL for none) is the caller's gradient of each state row;
 * step t's dh is d_states row t plus the dh_prev step t + 1 sent back. dx
 * (L x d_in, row t for x_t) and d_h_init (1 x d_h, what reaches h_init)
 * are written; either may be NULL. grad collects every step's share (added).
 * x, h_init, states and gates as the forward run left them. */
al_status al_rnn_run_backward(al_matrix *dx, al_matrix *d_h_init, al_rnn_cell *grad,
                              al_rnn_backward_scratch *scratch, const al_matrix *d_states,
                              const al_matrix *x, const al_matrix *h_init,
                              const al_matrix *states, const al_rnn_gates *gates,
                              const al_rnn_cell *cell, al_error *err);

/* Record the cell's parameters as <prefix>.w_x ..., role param. */
al_status al_rnn_trace_params(al_trace *trace, const char *prefix, const al_rnn_cell *cell,
                              al_error *err);

#endif
