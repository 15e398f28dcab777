/* utf8.h: checking that text is UTF-8. Every text attnlab reads from a
 * person (a sentence, a corpus, a file name in the arguments) is checked,
 * and every text it writes into a trace is valid UTF-8, so the trace stays
 * valid JSON for every reader. Part of the small common library. */
#ifndef ATTNLAB_UTF8_H
#define ATTNLAB_UTF8_H

#include <stddef.h>

/* The length (1 to 4) of the well-formed UTF-8 sequence at s (of at most
 * n bytes), or 0 if the byte at s does not start one: a stray continuation
 * byte, a cut sequence, an overlong form, a surrogate or a code point past
 * U+10FFFF. */
int al_utf8_sequence(const unsigned char *s, size_t n);

/* The offset of the first byte of s[0 .. n) that is not UTF-8, or -1 if
 * all are. */
long al_utf8_invalid(const char *s, size_t n);

#endif
