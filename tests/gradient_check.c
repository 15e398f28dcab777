/* gradient_check.c: central differences in double and the comparison
 * (gradient_check.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>

#include <cmocka.h>

#include "gradient_check.h"

void gc_central_differences(double *numeric, double *x, int n, gc_loss loss, void *context)
{
    for (int i = 0; i < n; i++) {
        double saved = x[i];
        x[i] = saved + GC_STEP;
        double up = loss(context);
        x[i] = saved - GC_STEP;
        double down = loss(context);
        x[i] = saved;
        numeric[i] = (up - down) / (2.0 * GC_STEP);
    }
}

void gc_expect_gradient(const char *what, const al_matrix *analytic, const double *numeric,
                        double tolerance, const char *reason)
{
    double scale = 1.0;
    for (int i = 0; i < analytic->rows * analytic->cols; i++)
        scale = fmax(scale, fabs(numeric[i]));
    double worst = -1.0;
    int worst_i = 0, worst_j = 0;
    for (int i = 0; i < analytic->rows; i++)
        for (int j = 0; j < analytic->cols; j++) {
            double gap = fabs((double)*al_at(analytic, i, j) - numeric[i * analytic->cols + j]);
            if (gap > worst)
                worst = gap, worst_i = i, worst_j = j;
        }
    double library = *al_at(analytic, worst_i, worst_j);
    double reference = numeric[worst_i * analytic->cols + worst_j];
    print_message("%-22s worst at (%d, %d): backward %.9g, finite differences %.9g, gap %.3g, "
                  "allowed %.3g (%s)\n", what, worst_i, worst_j, library, reference, worst,
                  tolerance * scale, reason);
    if (!(worst <= tolerance * scale))
        fail_msg("%s: backward %.9g and finite differences %.9g differ at (%d, %d) by %.3g, "
                 "more than %.3g", what, library, reference, worst_i, worst_j, worst,
                 tolerance * scale);
}

void gc_to_double(double *out, const al_matrix *m)
{
    for (int i = 0; i < m->rows; i++)
        for (int j = 0; j < m->cols; j++)
            out[i * m->cols + j] = *al_at(m, i, j);
}

double gc_weighted_sum(const double *y, const double *r, int n)
{
    double sum = 0.0;
    for (int i = 0; i < n; i++)
        sum += r[i] * y[i];
    return sum;
}
