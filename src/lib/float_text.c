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

static bool reads_back(const char *text, float x)
{
    return strtof(text, NULL) == x && (float)strtod(text, NULL) == x;
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
        if (reads_back(buf, x))
            return buf;
    }
    /* The double nearest x is x itself; 17 digits name that double exactly
     * enough that every reader gets it, and rounding it gives x. */
    snprintf(buf, FLOAT_TEXT_SIZE, "%.17g", (double)x);
    return buf;
}
