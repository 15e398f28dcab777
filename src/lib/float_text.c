/* float_text.c: shortest round-trip decimal text for float32, for traces.
 * A JSON reader parses numbers to double; rounding that double to float
 * must give our float back. Nine significant digits always suffice for
 * strtof, but parse-to-double-then-round can in rare cases round twice the
 * wrong way, so each candidate is checked both ways. */
#include "float_text.h"

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

char *float_text(char buf[FLOAT_TEXT_SIZE], float x)
{
    /* "-0" is a JSON integer, and Python reads it as the integer 0, losing
     * the sign; "-0.0" is a real everywhere. */
    if (x == 0.0f && signbit(x)) {
        snprintf(buf, FLOAT_TEXT_SIZE, "-0.0");
        return buf;
    }
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(buf, FLOAT_TEXT_SIZE, "%.*g", digits, (double)x);
        if (reads_back(buf, x)) {
            positional_if_readable(buf, x, digits);
            return buf;
        }
    }
    /* The double nearest x is x itself; 17 digits name that double exactly
     * enough that every reader gets it, and rounding it gives x. */
    snprintf(buf, FLOAT_TEXT_SIZE, "%.17g", (double)x);
    return buf;
}
