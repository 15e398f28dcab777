/* cli_report.c: the one line a program prints when it stops,
 * "<program>: <message>" on stderr. Program code shared by every program
 * (the computing library never prints); how to exit stays the program's. */
#include "cli_options.h"

#include <stdarg.h>

void cli_vreport(const char *program, const char *format, va_list args)
{
    fprintf(stderr, "%s: ", program);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
}

void cli_report(const char *program, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    cli_vreport(program, format, args);
    va_end(args);
}
