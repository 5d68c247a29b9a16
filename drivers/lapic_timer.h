/* The host LAPIC timer (drivers/lapic_timer.c): the one-shot interrupt
 * that ends a guest's time slice or wakes an idle Keel. */
#ifndef KEEL_LAPIC_TIMER_H
#define KEEL_LAPIC_TIMER_H

#include "lib/types.h"

/* Mask the 8259s, set up the host LAPIC (TPR 0, SVR enable with
 * HOST_SPURIOUS_VECTOR, LINT0/1 masked), calibrate the timer against the
 * TSC (10 ms) and install its interrupt handler. lapic_init
 * (drivers/lapic.h) must have run: it chose xAPIC or x2APIC access. */
void lapic_timer_init(void);

/* On an AP, after lapic_timer_init ran on the boot CPU: the same set-up
 * of this CPU's own LAPIC (each CPU has its own timer and LVT), with the
 * boot CPU's calibration (every LAPIC timer counts the same bus clock). */
void lapic_timer_init_ap(void);

/* Arm the calling CPU's host timer to interrupt at deadline_ns
 * (timer_now_ns time); 0 disarms. A guest running then exits (INTR), an idle CPU wakes. */
void lapic_timer_arm(uint64_t deadline_ns);

/* Sleep until the next host interrupt (STI; HLT; CLI). */
void lapic_timer_idle(void);

#endif
