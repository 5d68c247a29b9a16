/* Keel's own formatted output (freestanding; named k* so that host unit
 * tests can link it beside the C library).
 * Supports: %d %i %u %x %X %o %c %s %p %% with flags '-' '0' '#', a width,
 * a precision for %s (also '.*'), and the length modifiers hh h l ll z. */
#ifndef KEEL_PRINTF_H
#define KEEL_PRINTF_H

#include <stdarg.h>
#include "lib/types.h"

/* Format into buf (size bytes, always NUL-terminated when size > 0).
 * Returns the length the full output would have had, like C99 vsnprintf. */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) PRINTF(3, 4);

#endif
