/* The host LAPIC timer (drivers/lapic_timer.c); implements
 * platform_timer_arm and platform_idle (arch/x86/platform.h). */
#ifndef KEEL_LAPIC_TIMER_H
#define KEEL_LAPIC_TIMER_H

/* Enable the host LAPIC, mask the 8259s, calibrate the timer against the
 * TSC (10 ms) and install its interrupt handler. */
void lapic_timer_init(void);

/* Acknowledge the interrupt in service (stray vectors). */
void lapic_timer_eoi(void);

#endif
