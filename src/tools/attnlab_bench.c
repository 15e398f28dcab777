/* attnlab-bench: how fast attnlab computes, traces and reads traces.
 * Each measurement repeats until at least a quarter second has passed and
 * reports the fastest repetition (the least disturbed by the rest of the
 * machine); runs that take seconds are repeated less. A benchmark, not a test: it checks nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attnlab/blas.h"
#include "attnlab/multihead.h"
#include "attnlab/rng.h"
#include "attnlab/trace.h"
#include "attnlab/trace_file.h"
#include "bench_timing.h"
#include "cli_options.h"

/* --- products ------------------------------------------------------------ */

typedef struct product_case {
    al_matrix a, b, out;
    int reference;
} product_case;

static int run_product(void *context)
{
    product_case *c = context;
    al_status status = c->reference ? al_matmul_reference(&c->out, &c->a, false, &c->b, false, NULL)
                                    : al_matmul(&c->out, &c->a, &c->b, NULL);
    return status != AL_OK;
}

static void bench_products(al_rng *rng)
{
    printf("%-44s %10s %10s\n", "product out = a · b (n x n)", "ms", "GFLOP/s");
    const int sizes[] = {64, 256, 512};
    for (int s = 0; s < 3; s++) {
        int n = sizes[s];
        product_case c = {0};
        al_error err = {0};
        if (al_matrix_alloc(&c.a, n, n, &err) || al_matrix_alloc(&c.b, n, n, &err) ||
            al_matrix_alloc(&c.out, n, n, &err))
            die(&err);
        al_rng_fill_uniform(&c.a, rng, -1, 1);
        al_rng_fill_uniform(&c.b, rng, -1, 1);
        for (c.reference = 0; c.reference < 2; c.reference++) {
            if (c.reference && n > 256)
                continue; /* the triple loop takes seconds there */
            double t = fastest(run_product, &c);
            char label[64];
            snprintf(label, sizeof label, "  n = %d, %s", n,
                     c.reference ? "reference loop" : "al_matmul (OpenBLAS)");
            printf("%-44s %10.3f %10.2f\n", label, 1e3 * t, 2.0 * n * n * n / t / 1e9);
        }
        al_matrix_free(&c.a);
        al_matrix_free(&c.b);
        al_matrix_free(&c.out);
    }
}

/* --- multi-head self-attention -------------------------------------------- */

typedef struct attention_case {
    al_attention_params params;
    al_attention_workspace ws;
    al_matrix x, out;
    const char *trace_path;  /* NULL: untraced */
} attention_case;

static int run_attention(void *context)
{
    attention_case *c = context;
    al_trace *trace = NULL;
    al_error err = {0};
    al_trace_options options = {.program = "attnlab-bench", .seed = 1};
    if (c->trace_path && al_trace_open(&trace, c->trace_path, &options, &err) != AL_OK)
        die(&err);
    al_attention_call call = {.trace_inputs = true, .temperature = 1.0f};
    al_named x = {.value = &c->x, .name = "x"};
    al_trace_at at = {.trace = trace, .name = "enc.0.attn"};
    if (al_self_attention(&c->out, &c->ws, x, &c->params, &call, at, &err) != AL_OK)
        die(&err);
    if (trace && al_trace_close(trace, &err) != AL_OK)
        die(&err);
    return 0;
}

static int run_read(void *context)
{
    al_trace_file *file;
    al_error err = {0};
    if (al_trace_file_read(&file, context, &err) != AL_OK)
        die(&err);
    al_trace_file_free(file);
    return 0;
}

static long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

static void bench_attention(al_rng *rng, int length, int d_model, int heads, const char *folder)
{
    attention_case c = {0};
    al_error err = {0};
    if (al_attention_params_alloc(&c.params, d_model, heads, false, &err) ||
        al_attention_workspace_alloc(&c.ws, &c.params, length, length, &err) ||
        al_matrix_alloc(&c.x, length, d_model, &err) || al_matrix_alloc(&c.out, length, d_model, &err))
        die(&err);
    al_attention_params_init(&c.params, rng);
    al_rng_fill_normal(&c.x, rng, 0, 1);

    char path[512];
    snprintf(path, sizeof path, "%s/attnlab-bench-%d.jsonl", folder, length);
    double untraced = fastest(run_attention, &c);
    c.trace_path = path;
    double traced = fastest(run_attention, &c);
    double reading = fastest(run_read, path);
    double megabytes = (double)file_size(path) / 1e6;
    remove(path);

    printf("  L = %-4d d_model = %-4d h = %-2d %13.3f %14.3f %8.1f %10.3f\n", length, d_model,
           heads, 1e3 * untraced, 1e3 * traced, megabytes, 1e3 * reading);
    al_attention_params_free(&c.params);
    al_attention_workspace_free(&c.ws);
    al_matrix_free(&c.x);
    al_matrix_free(&c.out);
}

/* The help around the generated option lines. */
static const char help_top[] =
    "usage: attnlab-bench [--threads N] [--folder DIR] [--train [--torch SCRIPT]]\n"
    "Times products, multi-head self-attention with and without a trace,\n"
    "and reading the trace back. Trace files go to DIR (default /tmp).\n"
    "With --train, times training steps of a small decoder-only model instead,\n"
    "beside the same step's products alone (the GEMM bound); with --torch\n"
    "src/tools/train_speed_torch.py also PyTorch's steps of the same model.\n"
    "\n";

int main(int argc, char **argv)
{
    int threads = 1;
    const char *folder = "/tmp";
    bool train = false;
    const char *torch = NULL;
    const cli_option options[] = {
        {.name = "threads", .kind = CLI_INT, .target = &threads, .value_name = "N",
         .help = "OpenBLAS threads (default 1)", .min = 1, .max = 256},
        {.name = "folder", .kind = CLI_STRING, .target = &folder, .value_name = "DIR",
         .help = "where the trace files go (default /tmp)"},
        {.name = "train", .kind = CLI_FLAG, .target = &train,
         .help = "time training steps (the PyTorch comparison) instead"},
        {.name = "torch", .kind = CLI_STRING, .target = &torch, .value_name = "SCRIPT",
         .help = "with --train: run SCRIPT with python3 (PyTorch's side)",
         .only_with = "train"},
        CLI_HELP_OPTION,
        {0},
    };
    const cli_program program = {"attnlab-bench", help_top, NULL};
    int parsed = cli_parse_program(&program, options, NULL, argc, argv);
    if (parsed >= 0)
        return parsed;
    al_blas_set_threads(threads);
    al_rng rng;
    al_rng_seed(&rng, AL_DEFAULT_SEED, 0);
    printf("attnlab-bench: OpenBLAS threads %d; fastest of repeated runs\n\n", threads);
    if (train) {
        bench_training(&rng, threads, torch);
        return 0;
    }
    bench_products(&rng);
    printf("\n%-34s %13s %14s %8s %10s\n", "multi-head self-attention", "untraced ms", "traced ms",
           "MB", "read ms");
    bench_attention(&rng, 6, 6, 1, folder);
    bench_attention(&rng, 32, 64, 4, folder);
    bench_attention(&rng, 128, 512, 8, folder);
    bench_attention(&rng, 512, 512, 8, folder);
    return 0;
}
