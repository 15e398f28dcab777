/* bench_timing.c: the repetition and the clock of attnlab-bench
 * (bench_timing.h). */
#include "bench_timing.h"

#include <stdlib.h>
#include <time.h>

#include "cli_options.h"

#define MIN_SECONDS 0.25

double bench_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

double fastest(bench_fn fn, void *context)
{
    double best = 1e30, started = bench_now();
    int runs = 0;
    while ((runs < 3 && bench_now() - started < 3.0) || bench_now() - started < MIN_SECONDS) {
        double t0 = bench_now();
        if (fn(context) != 0)
            return -1;
        double t = bench_now() - t0;
        best = t < best ? t : best;
        runs++;
    }
    return best;
}

void die(const al_error *err)
{
    cli_report("attnlab-bench", "%s", err->message);
    exit(1);
}
