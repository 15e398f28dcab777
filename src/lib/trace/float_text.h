/* float_text.h: writing a float32 as the shortest decimal that reads back
 * to the same bits. Internal to the trace writer; not a public header. */
#ifndef ATTNLAB_FLOAT_TEXT_H
#define ATTNLAB_FLOAT_TEXT_H

#include <stddef.h>

/* Room for the longest text float_text can write ("-1.17549435e-38" is 15;
 * the %.17g fallback can reach 24). */
#define FLOAT_TEXT_SIZE 32

/* Write the finite float x into buf as the shortest decimal (1 to 9
 * significant digits, else 17) that gives x back both through strtof and
 * through strtod followed by rounding to float. Returns buf. */
char *float_text(char buf[FLOAT_TEXT_SIZE], float x);

#endif
