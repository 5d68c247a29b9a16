/* Keel's one number parser, for keel.cfg (hv/core/config.c), the serial
 * monitor (hv/debug/monitor.c) and device arguments
 * (hv/machine/virtio_devices.c): one set of rules everywhere. */
#ifndef KEEL_PARSE_H
#define KEEL_PARSE_H

#include "lib/types.h"

/* Allow one K, M or G suffix (either case, no space before it): the
 * number times 2^10, 2^20 or 2^30. */
#define PARSE_SIZE_SUFFIX 0x1u

/* Parse the len bytes at s (no NUL needed) as an unsigned number: decimal
 * digits, or hexadecimal digits (either case) after "0x" or "0X", then a
 * suffix if flags allow one. Nothing else: no sign, no spaces, no empty
 * string. Returns 0 with *out set; -EINVAL if s is not such a number;
 * -ERANGE if it (with its suffix) does not fit in 64 bits. *out is left
 * alone on error. */
int parse_u64(const char *s, size_t len, unsigned flags, uint64_t *out);

#endif
