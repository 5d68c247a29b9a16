/* The host LAPIC timer (drivers/lapic_timer.c): the one-shot interrupt
 * that ends a guest's time slice or wakes an idle Keel. */
#ifndef KEEL_LAPIC_TIMER_H
#define KEEL_LAPIC_TIMER_H

#include "lib/types.h"

/* Enable the host LAPIC, mask the 8259s, calibrate the timer against the
 * TSC (10 ms) and install its interrupt handler. */
void lapic_timer_init(void);

/* Acknowledge the interrupt in service (stray vectors). */
void lapic_timer_eoi(void);

/* Arm the host timer to interrupt at deadline_ns (timer_now_ns time);
 * 0 disarms. A guest running then exits (INTR), an idle CPU wakes. */
void lapic_timer_arm(uint64_t deadline_ns);

/* Sleep until the next host interrupt (STI; HLT; CLI). */
void lapic_timer_idle(void);

#endif
