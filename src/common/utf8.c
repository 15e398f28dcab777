/* utf8.c: well-formed UTF-8 (utf8.h), as Unicode's table 3-7 defines it. */
#include "attnlab/utf8.h"

/* Is b a continuation byte within [low, high]? */
static int within(unsigned char b, unsigned char low, unsigned char high)
{
    return b >= low && b <= high;
}

int al_utf8_sequence(const unsigned char *s, size_t n)
{
    if (n == 0)
        return 0;
    unsigned char b = s[0];
    if (b < 0x80)
        return 1;
    /* the first byte fixes the length and the range of the second byte */
    int length = 0;
    unsigned char low = 0x80, high = 0xbf;
    if (within(b, 0xc2, 0xdf))
        length = 2;
    else if (within(b, 0xe0, 0xef)) {
        length = 3;
        low = b == 0xe0 ? 0xa0 : 0x80;    /* no overlong forms        */
        high = b == 0xed ? 0x9f : 0xbf;   /* no surrogates            */
    } else if (within(b, 0xf0, 0xf4)) {
        length = 4;
        low = b == 0xf0 ? 0x90 : 0x80;
        high = b == 0xf4 ? 0x8f : 0xbf;   /* nothing past U+10FFFF    */
    }
    if (length == 0 || (size_t)length > n || !within(s[1], low, high))
        return 0;
    for (int k = 2; k < length; k++)
        if (!within(s[k], 0x80, 0xbf))
            return 0;
    return length;
}

long al_utf8_invalid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        int length = al_utf8_sequence(u + i, n - i);
        if (length == 0)
            return (long)i;
        i += (size_t)length;
    }
    return -1;
}
