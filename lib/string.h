/* Freestanding string and memory helpers (the subset of <string.h> Keel
 * uses). On the host the C library provides these; lib/string.c is only
 * linked into the hypervisor. */
#ifndef KEEL_STRING_H
#define KEEL_STRING_H

#include "lib/types.h"

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);

/* Copy at most size-1 bytes of src into dst and NUL-terminate.
 * Returns strlen(src), so a result >= size means truncation. */
size_t strlcpy(char *dst, const char *src, size_t size);

#endif
