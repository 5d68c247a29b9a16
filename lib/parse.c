/* The number parser (lib/parse.h). */
#include "lib/errno.h"
#include "lib/parse.h"

/* The value of digit c in base (10 or 16), or -1. */
static int digit(char c, unsigned base)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (base == 16 && c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (base == 16 && c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The shift a size suffix stands for, or 0 if c is none. */
static unsigned suffix_shift(char c)
{
    switch (c) {
    case 'K': case 'k': return 10;
    case 'M': case 'm': return 20;
    case 'G': case 'g': return 30;
    default: return 0;
    }
}

int parse_u64(const char *s, size_t len, unsigned flags, uint64_t *out)
{
    unsigned base = 10, shift = 0;
    uint64_t x = 0;

    if (len && (flags & PARSE_SIZE_SUFFIX) &&
        (shift = suffix_shift(s[len - 1])))
        len--;
    if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        len -= 2;
    }
    if (len == 0)
        return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        int d = digit(s[i], base);
        if (d < 0)
            return -EINVAL;
        if (x > (UINT64_MAX - (unsigned)d) / base)
            return -ERANGE;
        x = x * base + (unsigned)d;
    }
    if (x > (UINT64_MAX >> shift))
        return -ERANGE;
    *out = x << shift;
    return 0;
}
