/* What the vendor-neutral core needs from the machine it runs on. Provided by
 * drivers/ and arch/x86/ in the hypervisor, and by test/unit/host_stubs.c in
 * host unit tests. */
#ifndef KEEL_PLATFORM_H
#define KEEL_PLATFORM_H

#include "hv/types.h"

/* Write n bytes to the hypervisor's console (the physical serial port). */
void console_write(const char *s, size_t n);

/* Read one byte from the console if one is waiting; returns -1 if none. */
int console_getc(void);

/* Nanoseconds since an arbitrary fixed point (monotonic, from the TSC). */
uint64_t platform_now_ns(void);

/* The host TSC frequency in Hz (calibrated at boot). */
uint64_t platform_tsc_hz(void);

/* Read the host time-stamp counter. */
uint64_t platform_rdtsc(void);

/* Wall-clock time from the host RTC, seconds since 1970-01-01 UTC. */
uint64_t platform_wall_seconds(void);

/* Stop this CPU for good (interrupts off, HLT loop). */
NORETURN void platform_halt(void);

/* End the machine: in test mode through QEMU's isa-debug-exit with the given
 * status, otherwise ACPI S5 power-off; falls back to platform_halt(). */
NORETURN void platform_poweroff(int status);

/* After a fatal error: in test mode leave QEMU with a failure status (so a
 * test never waits for a timeout), otherwise halt so the screen stays
 * readable. */
NORETURN void platform_fatal(void);

#endif
