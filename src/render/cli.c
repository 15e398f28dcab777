/* cli.c: option values and error lines for the renderers' main programs. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

bool cli_parse_int(int *value, const char *text, int low, int high)
{
    char *end;
    errno = 0;
    long parsed = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || parsed < low || parsed > high) {
        return false;
    }
    *value = (int)parsed;
    return true;
}

bool cli_parse_range(float *low, float *high, const char *text)
{
    char *end;
    double a = strtod(text, &end);
    if (end == text || *end != ',') {
        return false;
    }
    const char *second = end + 1;
    double b = strtod(second, &end);
    if (end == second || *end != '\0' || !isfinite(a) || !isfinite(b) || !(a < b)) {
        return false;
    }
    *low = (float)a;
    *high = (float)b;
    return true;
}

void cli_error(const char *program, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(stderr, "%s: ", program);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
}
