/* check.h: float assertions for attnlab's cmocka tests.
 * cmocka 1.1.5's assert_float_equal prints with %f, which hides differences
 * below 1e-6; these print both numbers with %.9g (enough digits to tell any
 * two float32 values apart) and the tolerance, then fail the test.
 * Include after <cmocka.h>. */
#ifndef ATTNLAB_TESTS_CHECK_H
#define ATTNLAB_TESTS_CHECK_H

#include <math.h>
#include <stdio.h>

/* Fail unless |actual - expected| <= tolerance. */
#define assert_close(actual, expected, tolerance)                                       \
    do {                                                                                \
        double al_actual_ = (double)(actual), al_expected_ = (double)(expected);        \
        double al_tolerance_ = (double)(tolerance);                                     \
        if (!(fabs(al_actual_ - al_expected_) <= al_tolerance_)) {                      \
            fail_msg("%s = %.9g, expected %.9g (difference %.9g, tolerance %.9g)",     \
                     #actual, al_actual_, al_expected_, al_actual_ - al_expected_,      \
                     al_tolerance_);                                                    \
        }                                                                               \
    } while (0)

/* Fail unless the two floats are the same bits (both NaN counts as equal). */
#define assert_same_float(actual, expected)                                             \
    do {                                                                                \
        float al_a_ = (actual), al_e_ = (expected);                                     \
        if (!(al_a_ == al_e_ || (isnan(al_a_) && isnan(al_e_)))) {                      \
            fail_msg("%s = %.9g, expected exactly %.9g", #actual, (double)al_a_,        \
                     (double)al_e_);                                                    \
        }                                                                               \
    } while (0)

#endif
