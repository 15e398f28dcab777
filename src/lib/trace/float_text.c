/* float_text.c: shortest round-trip decimal text for float32, for traces.
 * A JSON reader parses numbers to double; rounding that double to float
 * must give our float back, and so must strtof. Shorter candidates are
 * checked both ways; nine significant digits always read back. */
#include "trace/float_text.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool reads_back(const char *text, float x)
{
    return strtof(text, NULL) == x && (float)strtod(text, NULL) == x;
}

/* %g writes 1000 as "1e+03"; a student reads "1000" more easily. For
 * exponents from -4 to 15 rewrite the same significant digits without an
 * exponent: the decimals needed are digits - 1 - exponent. Kept only if it
 * names the same decimal number (1e+15 as a float is 999999986991104,
 * which is not the shorter "1e+15"), so it still reads back exactly. */
static void positional_if_readable(char buf[FLOAT_TEXT_SIZE], float x, int digits)
{
    const char *e = strchr(buf, 'e');
    if (!e)
        return;
    int exponent = atoi(e + 1);
    if (exponent < -4 || exponent > 15)
        return;
    int decimals = digits - 1 - exponent;
    char positional[FLOAT_TEXT_SIZE];
    snprintf(positional, sizeof positional, "%.*f", decimals > 0 ? decimals : 0, (double)x);
    if (strtod(positional, NULL) == strtod(buf, NULL))
        memcpy(buf, positional, FLOAT_TEXT_SIZE);
}

/* Write x with the given significant digits (%g drops trailing zeros, so
 * 0.1f at 6 digits is "0.1") and report whether it reads back as x. */
static bool try_digits(char buf[FLOAT_TEXT_SIZE], float x, int digits)
{
    snprintf(buf, FLOAT_TEXT_SIZE, "%.*g", digits, (double)x);
    return reads_back(buf, x);
}

char *float_text(char buf[FLOAT_TEXT_SIZE], float x)
{
    /* "-0" is a JSON integer, and Python reads it as the integer 0, losing
     * the sign; "-0.0" is a real everywhere. */
    if (x == 0.0f && signbit(x)) {
        snprintf(buf, FLOAT_TEXT_SIZE, "-0.0");
        return buf;
    }
    /* Subnormal floats are spaced evenly, not relatively: search every
     * digit count (rare in attnlab: values below 1.2e-38). */
    if (x != 0.0f && fabsf(x) < FLT_MIN) {
        int digits = 1;
        while (digits < 9 && !try_digits(buf, x, digits))
            digits++;
        if (digits == 9)
            snprintf(buf, FLOAT_TEXT_SIZE, "%.9g", (double)x);
        positional_if_readable(buf, x, digits);
        return buf;
    }
    /* For normal floats, the shortest digit count in few tries (each costs
     * a print and two parses). A float's read-back interval (at most 2^-23
     * relative) is narrower than the spacing of 6-digit decimals, so if any
     * decimal of 6 or fewer digits reads back, it is x rounded to 6 digits,
     * and %g's dropped zeros make it the shortest. Otherwise 8 digits
     * usually do, 7 rarely, and 9 always: a 9-digit decimal is within
     * 5e-10 relative of x, far inside the interval, so it reads back both
     * ways. */
    int digits;
    char eight[FLOAT_TEXT_SIZE];
    if (try_digits(buf, x, 6)) {
        digits = 6;
    } else if (try_digits(eight, x, 8)) {
        digits = try_digits(buf, x, 7) ? 7 : 8;
        if (digits == 8)
            memcpy(buf, eight, FLOAT_TEXT_SIZE);
    } else {
        digits = 9;
        snprintf(buf, FLOAT_TEXT_SIZE, "%.9g", (double)x);
    }
    positional_if_readable(buf, x, digits);
    return buf;
}
