/* rng.h: attnlab's seeded random numbers, the same on every machine.
 * The generator is PCG32 (Melissa O'Neill, "PCG: A Family of Simple Fast
 * Space-Efficient Statistically Good Algorithms for Random Number
 * Generation", 2014): 64 bits of state, a 32-bit output per step, defined
 * entirely by integer arithmetic, so a seed gives the same stream on every
 * compiler and CPU. Lessons start from AL_DEFAULT_SEED unless told
 * otherwise; nothing in attnlab ever seeds from the clock.
 * Not for cryptography. */
#ifndef ATTNLAB_RNG_H
#define ATTNLAB_RNG_H

#include <stdint.h>

#include "attnlab/matrix.h"

#define AL_DEFAULT_SEED 42u

typedef struct al_rng {
    uint64_t state;
    uint64_t increment;  /* odd; selects one of 2^63 independent streams */
} al_rng;

/* Start a generator from a seed. Different streams with the same seed give
 * unrelated sequences (use them to keep, e.g., weights and sampling apart). */
void al_rng_seed(al_rng *rng, uint64_t seed, uint64_t stream);

/* The next 32 random bits. */
uint32_t al_rng_next(al_rng *rng);

/* A uniform float in [0, 1) with 24 random bits (every value is exact). */
float al_rng_uniform(al_rng *rng);

/* A uniform integer in [0, n), without modulo bias. n must be > 0. */
uint32_t al_rng_below(al_rng *rng, uint32_t n);

/* A normal sample with the given mean and standard deviation, by the
 * Box-Muller transform in double precision (two uniforms per sample). */
float al_rng_normal(al_rng *rng, float mean, float stddev);

/* Fill m with normal samples, row by row. */
void al_rng_fill_normal(al_matrix *m, al_rng *rng, float mean, float stddev);

/* Fill m with uniform samples in [low, high), row by row. */
void al_rng_fill_uniform(al_matrix *m, al_rng *rng, float low, float high);

#endif
