/* cli.h: the small pieces of command-line handling both renderers share:
 * numbers from option values and the one-line error message. Not an
 * option parser: each program reads its own options in one loop. */
#ifndef ATTNLAB_RENDER_CLI_H
#define ATTNLAB_RENDER_CLI_H

#include <stdbool.h>

/* True, with *value set, when text is a whole number from low to high. */
bool cli_parse_int(int *value, const char *text, int low, int high);

/* True, with *low and *high set, when text is "LOW,HIGH" with LOW < HIGH. */
bool cli_parse_range(float *low, float *high, const char *text);

/* Print "program: message" and a newline on stderr. */
void cli_error(const char *program, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

#endif
