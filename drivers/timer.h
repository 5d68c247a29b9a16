/* Host time sources (drivers/timer.c): the TSC, calibrated against PIT
 * channel 2, and the CMOS RTC read once at boot. */
#ifndef KEEL_TIMER_H
#define KEEL_TIMER_H

#include "lib/types.h"

/* Calibrate the TSC (about 20 ms) and read the RTC once. */
void timer_init(void);

/* Nanoseconds since an arbitrary fixed point (monotonic, from the TSC). */
uint64_t timer_now_ns(void);

/* The host TSC frequency in Hz (calibrated at boot). */
uint64_t timer_tsc_hz(void);

/* Read the host time-stamp counter. */
uint64_t timer_rdtsc(void);

/* The TSC value at which timer_now_ns() was 0. */
uint64_t timer_tsc_at_boot(void);

/* Wall-clock time from the host RTC, seconds since 1970-01-01 UTC. */
uint64_t timer_wall_seconds(void);

#endif
