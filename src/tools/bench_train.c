/* bench_train.c: attnlab-bench --train. Times training steps of the model
 * the README compares with PyTorch (src/tools/train_speed_torch.py builds
 * the same): decoder-only, pre-norm, d_model 128, 4 heads, 2 layers, d_ff
 * 512, V 1000, learned positions, tied output; batches of 16 windows of 64
 * random tokens; AdamW. Beside them, the products one step makes, timed
 * alone through the same al_matmul calls: the GEMM bound, what a step
 * would cost if everything else were free. Then PyTorch's script, run
 * with the same threads, so the three numbers come from one run. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "attnlab/blas.h"
#include "attnlab/cleanup.h"
#include "attnlab/train.h"
#include "bench_timing.h"

extern char **environ;

#define PYTHON "/usr/bin/python3"

enum { D = 128, HEADS = 4, LAYERS = 2, V = 1000, CONTEXT = 64, BATCH = 16, STEPS = 10,
       D_FF = 4 * D, D_HEAD = D / HEADS, TOKENS = BATCH * CONTEXT };

/* --- the steps ------------------------------------------------------------ */

typedef struct train_case {
    al_transformer model;
    al_trainer trainer;
    int ids[BATCH][CONTEXT + 1];
    al_batch_item batch[BATCH];
    al_train_settings settings;
} train_case;

static int run_training(void *context)
{
    train_case *c = context;
    for (int step = 0; step < STEPS; step++)
        if (al_train_step(&c->trainer, &c->model, c->batch, BATCH, &c->settings, NULL, NULL,
                          NULL) != AL_OK)
            return 1;
    return 0;
}

/* Seconds a step, packed (the default) and one sequence at a time. */
static void time_steps(al_rng *rng, double *packed, double *one_at_a_time)
{
    static train_case c;
    al_model_config config = {
        .family = AL_FAMILY_DECODER_ONLY, .norm = AL_NORM_PRE, .d_model = D, .heads = HEADS,
        .decoder_layers = LAYERS, .d_ff = D_FF, .vocab_size = V,
        .positions = AL_POSITIONS_LEARNED, .max_positions = CONTEXT, .biases = true,
        .tied_output = true, .norm_epsilon = AL_LAYER_NORM_EPSILON};
    al_error err;
    if (al_transformer_alloc(&c.model, &config, &err) != AL_OK)
        die(&err);
    al_transformer_init(&c.model, rng);
    if (al_trainer_alloc(&c.trainer, &c.model, CONTEXT, &err) != AL_OK)
        die(&err);
    for (int b = 0; b < BATCH; b++) {
        for (int i = 0; i <= CONTEXT; i++)
            c.ids[b][i] = AL_SPECIAL_TOKENS + (int)al_rng_below(rng, V - AL_SPECIAL_TOKENS);
        c.batch[b] = (al_batch_item){.input = {.length = CONTEXT, .ids = c.ids[b]},
                                     .targets = c.ids[b] + 1};
    }
    c.settings = (al_train_settings){.adamw = AL_ADAMW_DEFAULTS,
                                     .schedule = {.max_lr = 1e-3, .min_lr = 1e-3},
                                     .clip_norm = 1.0};
    c.trainer.packed = true;
    *packed = fastest(run_training, &c) / STEPS;
    c.trainer.packed = false;
    *one_at_a_time = fastest(run_training, &c) / STEPS;
    if (*packed < 0 || *one_at_a_time < 0)
        die(&(al_error){.message = "a training step failed"});
    al_trainer_free(&c.trainer);
    al_transformer_free(&c.model);
}

/* --- the products of one step ---------------------------------------------- */

/* out (m x n) = a · b, a · bᵀ or aᵀ · b, replacing out or adding to it */
typedef enum { NN, NT, TN } product_kind;

typedef struct step_product {
    product_kind kind;
    int m, n, k;
    bool add;
    int count;              /* how many a step makes                          */
    const char *what;
} step_product;

/* The products of one packed step, N = 16 x 64 stacked rows. Counted, not
 * guessed: a wrapper around cblas_sgemm (LD_PRELOAD) logged the 807
 * calls of one step of this model, and this table lists them by shape. */
static const step_product STEP_PRODUCTS[] = {
    /* forward: each layer's four projections and FFN, the tied output */
    {NN, TOKENS, D, D, false, 4 * LAYERS, "x · W_q, W_k, W_v, W_o"},
    {NN, TOKENS, D_FF, D, false, LAYERS, "x · W_1"},
    {NN, TOKENS, D, D_FF, false, LAYERS, "h · W_2"},
    {NT, TOKENS, V, D, false, 1, "logits = x · Eᵀ"},
    /* forward and backward, per sequence and head: Q Kᵀ and dW = dO Vᵀ;
     * W V and dQ = dS K; dV = Wᵀ dO and dK = dSᵀ Q */
    {NT, CONTEXT, CONTEXT, D_HEAD, false, 2 * BATCH * HEADS * LAYERS, "Q Kᵀ, dO Vᵀ"},
    {NN, CONTEXT, D_HEAD, CONTEXT, false, 2 * BATCH * HEADS * LAYERS, "W V, dS K"},
    {TN, CONTEXT, D_HEAD, CONTEXT, false, 2 * BATCH * HEADS * LAYERS, "Wᵀ dO, dSᵀ Q"},
    /* backward of y = x W: dx = dy Wᵀ, dW += xᵀ dy */
    {NN, TOKENS, D, V, false, 1, "dx = dlogits · E"},
    {TN, V, D, TOKENS, true, 1, "dE += dlogitsᵀ · x"},
    {NT, TOKENS, D, D, false, 2 * LAYERS, "dx = dy · W_oᵀ, dq · W_qᵀ"},
    {NT, TOKENS, D, D, true, 2 * LAYERS, "dx += dk · W_kᵀ, dv · W_vᵀ"},
    {TN, D, D, TOKENS, true, 4 * LAYERS, "dW += xᵀ · dy (four projections)"},
    {NT, TOKENS, D_FF, D, false, LAYERS, "dh = dy · W_2ᵀ"},
    {NT, TOKENS, D, D_FF, false, LAYERS, "dx = dpre · W_1ᵀ"},
    {TN, D_FF, D, TOKENS, true, LAYERS, "dW_2 += hᵀ · dy"},
    {TN, D, D_FF, TOKENS, true, LAYERS, "dW_1 += xᵀ · dpre"},
};
enum { PRODUCT_KINDS = sizeof STEP_PRODUCTS / sizeof STEP_PRODUCTS[0] };

typedef struct products_case {
    al_matrix a[PRODUCT_KINDS], b[PRODUCT_KINDS], out[PRODUCT_KINDS];
} products_case;

static al_status run_one(const step_product *p, al_matrix *out, const al_matrix *a,
                         const al_matrix *b)
{
    switch (p->kind) {
    case NN:
        return p->add ? al_matmul_add(out, a, b, NULL) : al_matmul(out, a, b, NULL);
    case NT:
        return p->add ? al_matmul_bt_add(out, a, b, NULL) : al_matmul_bt(out, a, b, NULL);
    case TN:
        return p->add ? al_matmul_at_add(out, a, b, NULL) : al_matmul_at(out, a, b, NULL);
    }
    return AL_ERR_ARG;
}

static int run_products(void *context)
{
    products_case *c = context;
    for (int s = 0; s < STEPS; s++)
        for (int p = 0; p < PRODUCT_KINDS; p++)
            for (int r = 0; r < STEP_PRODUCTS[p].count; r++)
                if (run_one(&STEP_PRODUCTS[p], &c->out[p], &c->a[p], &c->b[p]) != AL_OK)
                    return 1;
    return 0;
}

/* Seconds for one step's products alone; *flop receives their count. */
static double time_products(al_rng *rng, double *flop, int *calls)
{
    static products_case c;
    al_error err = {0};
    *flop = 0.0, *calls = 0;
    for (int p = 0; p < PRODUCT_KINDS; p++) {
        const step_product *s = &STEP_PRODUCTS[p];
        /* a is m x k (k x m for aᵀ), b is k x n (n x k for bᵀ) */
        int a_rows = s->kind == TN ? s->k : s->m, a_cols = s->kind == TN ? s->m : s->k;
        int b_rows = s->kind == NT ? s->n : s->k, b_cols = s->kind == NT ? s->k : s->n;
        if (al_matrix_alloc(&c.a[p], a_rows, a_cols, &err) ||
            al_matrix_alloc(&c.b[p], b_rows, b_cols, &err) ||
            al_matrix_alloc(&c.out[p], s->m, s->n, &err))
            die(&err);
        al_rng_fill_uniform(&c.a[p], rng, -1, 1);
        al_rng_fill_uniform(&c.b[p], rng, -1, 1);
        *flop += 2.0 * s->m * s->n * s->k * s->count;
        *calls += s->count;
    }
    double t = fastest(run_products, &c) / STEPS;
    for (int p = 0; p < PRODUCT_KINDS; p++)
        al_matrix_free(&c.a[p]), al_matrix_free(&c.b[p]), al_matrix_free(&c.out[p]);
    if (t < 0)
        die(&(al_error){.message = "a product failed"});
    return t;
}

/* --- PyTorch ---------------------------------------------------------------- */

/* /usr/bin/python3 script --threads N --bound-ms B (Debian's Python, the
 * one python3-torch installs for; not whichever python3 PATH finds), its
 * one line passed through; false if it could not be run or failed (it
 * says why on stderr). */
static bool run_torch(const char *script, int threads, double bound)
{
    char thread_text[16], bound_text[32];
    snprintf(thread_text, sizeof thread_text, "%d", threads);
    snprintf(bound_text, sizeof bound_text, "%.3f", 1e3 * bound);
    char *argv[] = {PYTHON, (char *)script, "--threads", thread_text, "--bound-ms",
                    bound_text, NULL};
    fflush(stdout);
    pid_t pid;
    if (posix_spawn(&pid, PYTHON, NULL, NULL, argv, environ) != 0)
        return false;
    al_cleanup_add_child(pid);
    int status;
    pid_t waited = waitpid(pid, &status, 0);
    al_cleanup_forget_child(pid);
    return waited == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

void bench_training(al_rng *rng, int threads, const char *torch_script)
{
    double flop;
    int calls;
    double bound = time_products(rng, &flop, &calls);
    double packed, one_at_a_time;
    time_steps(rng, &packed, &one_at_a_time);
    double tokens = TOKENS;
    printf("a training step: d 128, 4 heads, 2 layers, d_ff 512, V 1000, 16 x 64 tokens\n");
    printf("  %-46s %8.1f ms %10.0f tokens/s  (%d products, %.2f GFLOP, %.0f GFLOP/s)\n",
           "its products alone (the GEMM bound)", 1e3 * bound, tokens / bound, calls,
           1e-9 * flop, 1e-9 * flop / bound);
    printf("  %-46s %8.1f ms %10.0f tokens/s  (%.2f x the bound)\n", "attnlab, packed",
           1e3 * packed, tokens / packed, packed / bound);
    printf("  %-46s %8.1f ms %10.0f tokens/s  (%.2f x the bound)\n",
           "attnlab, one sequence at a time", 1e3 * one_at_a_time, tokens / one_at_a_time,
           one_at_a_time / bound);
    if (torch_script && !run_torch(torch_script, threads, bound))
        printf("  PyTorch: not measured (" PYTHON " %s failed)\n", torch_script);
}
