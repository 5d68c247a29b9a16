/* Knobs of the host stand-ins in host_stubs.c. */
#ifndef KEEL_HOST_STUBS_H
#define KEEL_HOST_STUBS_H
#include <stdint.h>
extern uint64_t stub_now_ns;       /* platform_now_ns() */
/* Bytes "typed" at Keel's console: console_getc() returns
 * stub_console_in[stub_console_in_pos++] until stub_console_in_len. */
extern const uint8_t *stub_console_in;
extern size_t stub_console_in_len, stub_console_in_pos;
extern uint64_t stub_tsc_hz;       /* platform_tsc_hz() */
extern uint64_t stub_wall_seconds; /* platform_wall_seconds() */
#endif
