/* Knobs of the host stand-ins in host_stubs.c. */
#ifndef KEEL_HOST_STUBS_H
#define KEEL_HOST_STUBS_H
#include <stdint.h>
extern uint64_t stub_now_ns;       /* timer_now_ns() */
extern uint64_t stub_tsc_hz;       /* timer_tsc_hz() */
extern uint64_t stub_wall_seconds; /* timer_wall_seconds() */
extern uint64_t stub_kzalloc_bytes; /* bytes kzalloc() handed out so far */
#endif
