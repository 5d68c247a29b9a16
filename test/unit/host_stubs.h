/* Knobs of the host stand-ins in host_stubs.c. */
#ifndef KEEL_HOST_STUBS_H
#define KEEL_HOST_STUBS_H
#include <stdint.h>
extern uint64_t stub_now_ns;       /* platform_now_ns() */
extern uint64_t stub_tsc_hz;       /* platform_tsc_hz() */
extern uint64_t stub_wall_seconds; /* platform_wall_seconds() */
#endif
