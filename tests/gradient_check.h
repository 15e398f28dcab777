/* gradient_check.h: testing a backward function against central finite
 * differences computed in double. The test writes its forward pass as
 * plain loops over doubles (a loss of the inputs, usually Σ r ⊙ f(x) for a
 * fixed random r, so that dL/df = r), the check differentiates it
 * numerically, and compares the library's float gradient entry by entry.
 *
 * Why in double: a float forward pass moved by h = 1e-3 changes its loss
 * in the 4th digit only, and float rounding (2^-24 relative) would then
 * be a sizeable part of the difference. In double, with h = 1e-5, the
 * truncation error (h² · f''') and the rounding (1e-16 / h) are both far
 * below the float gradient's own rounding, so what is compared is the
 * library's maths and its float arithmetic, nothing else. */
#ifndef ATTNLAB_TESTS_GRADIENT_CHECK_H
#define ATTNLAB_TESTS_GRADIENT_CHECK_H

#include "attnlab/matrix.h"

/* The loss of the test's forward pass; reads the doubles it was given
 * (through context) as they are now. */
typedef double (*gc_loss)(void *context);

/* The step of the central differences. */
#define GC_STEP 1e-5

/* numeric[i] = (loss(x_i + h) - loss(x_i - h)) / 2h for each of the n
 * doubles at x (restored afterwards), h = GC_STEP. */
void gc_central_differences(double *numeric, double *x, int n, gc_loss loss, void *context);

/* Fail unless every entry of the library's gradient (rows x cols of
 * analytic) is within tolerance · max(1, max |numeric|) of numeric (packed
 * row-major). Prints the worst entry, both numbers with %.9g, and the
 * tolerance's reason, whether or not it passes. */
void gc_expect_gradient(const char *what, const al_matrix *analytic, const double *numeric,
                        double tolerance, const char *reason);

/* A matrix into packed doubles (row-major), each float widened exactly:
 * what the double references read. */
void gc_to_double(double *out, const al_matrix *m);

/* Σ_ij r_ij · y_ij in double: the loss whose gradient with respect to y
 * is r. r is packed rows x cols. */
double gc_weighted_sum(const double *y, const double *r, int n);

#endif
