/* distance.h (private to src/lib): the distance between a query and a key,
 * shared by the kernel similarities (scores.c) and the warnings al_attend
 * writes about exact matches (attention.c). Not a public header. */
#ifndef ATTNLAB_DISTANCE_H
#define ATTNLAB_DISTANCE_H

#include <float.h>
#include <math.h>
#include <stdbool.h>

#include "attnlab/matrix.h"

/* ‖k_j − q_i‖, summed in double: for scalar keys (d = 1) exactly |k − q|. */
static inline double al_distance(const al_matrix *q, int i, const al_matrix *k, int j)
{
    double sum = 0.0;
    for (int p = 0; p < q->cols; p++) {
        double difference = (double)*al_at(k, j, p) - (double)*al_at(q, i, p);
        sum += difference * difference;
    }
    return sqrt(sum);
}

/* True when 1 / distance would be infinite in float: the distance is 0, or
 * so small that its reciprocal overflows. Such a key "is" the query. */
static inline bool al_is_exact_match(double distance)
{
    return distance * (double)FLT_MAX < 1.0;
}

#endif
