/* Knobs of the host stand-ins in host_stubs.c. */
#ifndef KEEL_HOST_STUBS_H
#define KEEL_HOST_STUBS_H
#include <stddef.h>
#include <stdint.h>
extern uint64_t stub_now_ns;       /* timer_now_ns() */
/* Called by every timer_now_ns() when set: a fake device polled by a
 * driver's wait loop takes its step (and moves stub_now_ns) here. */
extern void (*stub_timer_hook)(void);
extern uint64_t stub_tsc_hz;       /* timer_tsc_hz() */
extern uint64_t stub_tsc_at_boot;  /* timer_tsc_at_boot() */
extern uint64_t stub_wall_seconds; /* timer_wall_seconds() */

/* serial_write() output between begin and end goes to a buffer; end
 * returns it (NUL-terminated, valid until the next begin). */
void stub_capture_begin(void);
const char *stub_capture_end(void);

/* serial_getc() returns the bytes of s (which must outlive the reads),
 * then -1. */
void stub_console_input(const char *s);
extern uint64_t stub_kzalloc_bytes; /* bytes kzalloc() handed out so far */

/* The same script as bytes (may hold NUL): serial_getc() returns
 * stub_console_in[stub_console_in_pos++] until stub_console_in_len. */
extern const uint8_t *stub_console_in;
extern size_t stub_console_in_len, stub_console_in_pos;
#endif
