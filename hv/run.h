/* One step of the run loop, which the scheduler (hv/sched.c) repeats for
 * the vCPU it chose. */
#ifndef KEEL_RUN_H
#define KEEL_RUN_H

#include "lib/types.h"

struct vcpu;

/* Enter the guest of v once and handle the exit it returns with: device
 * timers and the uplink first, then the injection point
 * (inject_prepare_entry), vendor->run, the exit trace, exit_dispatch, and
 * the exit statistics (count and host TSC cycles of the handler). Returns
 * when the exit has been handled; v may now be halted or its VM stopped or
 * waiting for a reset. Called on v's own physical CPU (v->pcpu) with the
 * hypervisor lock (hv/sched.h) held; lets it go while the guest runs. */
void run_once(struct vcpu *v);

/* How many times physical CPU cpu entered a guest (for the summary). */
uint64_t run_cpu_entries(unsigned cpu);

#endif
