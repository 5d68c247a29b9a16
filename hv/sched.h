/* Keel's scheduler (hv/sched.c): each physical CPU runs its vCPUs round
 * robin, in time slices ended by the host timer. Unpinned VMs share the
 * boot CPU; a pinned VM's vCPU i runs on the i-th CPU of its cpus set
 * (hv/core/pin.h). */
#ifndef KEEL_SCHED_H
#define KEEL_SCHED_H

#include "lib/spinlock.h"
#include "lib/types.h"

struct vm;

/* Time slice of one vCPU before the next one runs. */
#define SCHED_SLICE_NS 10000000ULL   /* 10 ms */
/* The slice when Keel runs one VM with one vCPU: no other vCPU waits for
 * the CPU, so the slice end only bounds how long a guest that never exits
 * keeps Keel from its console (typed input, the monitor's key). A host
 * timer interrupt, an INTR exit, every 100 ms instead of every 10 ms
 * (issue 12). */
#define SCHED_SLICE_ALONE_NS 100000000ULL   /* 100 ms */

/* The hypervisor lock: held by a CPU for everything it does except while
 * its guest runs (hv/run.c) and while it sleeps, so exits on different
 * CPUs are handled one at a time while the guests run in parallel. Buses,
 * devices, the net switch, VM state and statistics are all under it
 * (docs/architecture.md, "Several CPUs"). */
extern struct spinlock sched_lock;

/* On the boot CPU: run vms[0..n) until every one has ended (the unpinned
 * vCPUs here, the pinned ones on their CPUs through sched_run_ap), and
 * until every vCPU is out of its guest. Returns with the lock free. */
void sched_run(struct vm **vms, unsigned n);

/* On AP cpu (after its set-up): wait until sched_run has started, then
 * run the vCPUs pinned to cpu until every VM with a vCPU there has ended.
 * Returns with the lock free; the caller halts. */
void sched_run_ap(unsigned cpu);

#endif
