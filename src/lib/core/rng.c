/* rng.c: PCG32 (O'Neill 2014, the "XSH RR" output function) and the
 * uniform and normal samples built on it. Integer arithmetic only until the
 * final conversion, so a seed means the same numbers everywhere. */
#include "attnlab/rng.h"

#include <math.h>

/* The 64-bit LCG multiplier PCG uses (Knuth's MMIX constant). */
#define PCG_MULTIPLIER 6364136223846793005ull
#define TWO_PI 6.283185307179586476925286766559

void al_rng_seed(al_rng *rng, uint64_t seed, uint64_t stream)
{
    /* The reference pcg32_srandom_r: the increment must be odd. */
    rng->state = 0u;
    rng->increment = (stream << 1u) | 1u;
    al_rng_next(rng);
    rng->state += seed;
    al_rng_next(rng);
}

/* Advance the LCG, then permute the old state into 32 output bits:
 * xorshift the high bits down, and rotate by the top 5 bits. */
uint32_t al_rng_next(al_rng *rng)
{
    uint64_t old = rng->state;
    rng->state = old * PCG_MULTIPLIER + rng->increment;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rotation = (uint32_t)(old >> 59u);
    return (xorshifted >> rotation) | (xorshifted << ((-rotation) & 31u));
}

/* The top 24 bits scaled by 2^-24: every float in [0, 1) on that grid,
 * each exactly representable, never 1. */
float al_rng_uniform(al_rng *rng)
{
    return (float)(al_rng_next(rng) >> 8) * 0x1.0p-24f;
}

/* Rejection as in PCG's pcg32_boundedrand_r: redraw the few values below
 * 2^32 mod n, so the rest cover each residue mod n equally often. */
uint32_t al_rng_below(al_rng *rng, uint32_t n)
{
    uint32_t threshold = (uint32_t)(-n) % n; /* 2^32 mod n */
    for (;;) {
        uint32_t r = al_rng_next(rng);
        if (r >= threshold)
            return r % n;
    }
}

/* Box-Muller: with u1 in (0, 1] and u2 in [0, 1),
 * z = sqrt(-2 ln u1) · cos(2 pi u2) is standard normal. */
float al_rng_normal(al_rng *rng, float mean, float stddev)
{
    double u1 = 1.0 - (double)al_rng_uniform(rng); /* (0, 1]: log(0) is avoided */
    double u2 = (double)al_rng_uniform(rng);
    double z = sqrt(-2.0 * log(u1)) * cos(TWO_PI * u2);
    return (float)(mean + stddev * z);
}

void al_rng_fill_normal(al_matrix *m, al_rng *rng, float mean, float stddev)
{
    for (int i = 0; i < m->rows; i++)
        for (int j = 0; j < m->cols; j++)
            *al_at(m, i, j) = al_rng_normal(rng, mean, stddev);
}

void al_rng_fill_uniform(al_matrix *m, al_rng *rng, float low, float high)
{
    for (int i = 0; i < m->rows; i++)
        for (int j = 0; j < m->cols; j++)
            *al_at(m, i, j) = low + (high - low) * al_rng_uniform(rng);
}
