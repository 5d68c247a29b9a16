/* strlcpy: in lib/string.h; kept apart from string.c because the host C
 * library (glibc 2.36) lacks it, so unit tests link this file too. */
#include "lib/string.h"

size_t strlcpy(char *dst, const char *src, size_t size)
{
    size_t len = strlen(src);
    if (size) {
        size_t n = len < size - 1 ? len : size - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
    }
    return len;
}
