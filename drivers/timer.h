/* Host time sources (drivers/timer.c): the calibrated TSC and the RTC.
 * platform_now_ns / platform_tsc_hz / platform_wall_seconds (arch/x86/platform.h)
 * are implemented there. */
#ifndef KEEL_TIMER_H
#define KEEL_TIMER_H

/* Calibrate the TSC (about 20 ms) and read the RTC once. */
void timer_init(void);

#endif
