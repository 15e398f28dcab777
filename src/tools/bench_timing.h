/* bench_timing.h: how attnlab-bench times things. fastest() repeats fn
 * until at least a quarter second has passed (at most 3 runs once past
 * 3 seconds) and returns the fastest repetition, the least disturbed by
 * the rest of the machine, in seconds; -1 if fn returned non-zero. */
#ifndef TOOLS_BENCH_TIMING_H
#define TOOLS_BENCH_TIMING_H

#include "attnlab/rng.h"
#include "attnlab/status.h"

typedef int (*bench_fn)(void *context);

double bench_now(void);
double fastest(bench_fn fn, void *context);

/* Report err as attnlab-bench's one message and exit 1. */
_Noreturn void die(const al_error *err);

/* Training steps of the model src/tools/train_speed_torch.py builds, the
 * products such a step makes timed alone (the GEMM bound), and, when
 * torch_script is not NULL, that script run with the same threads
 * (bench_train.c). */
void bench_training(al_rng *rng, int threads, const char *torch_script);

#endif
