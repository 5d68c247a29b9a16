/* Keel's scheduler: every vCPU of every VM shares the boot CPU, round
 * robin, in time slices ended by the host timer (hv/sched.c). */
#ifndef KEEL_SCHED_H
#define KEEL_SCHED_H

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

/* Run vms[0..n) until every one has ended. */
void sched_run(struct vm **vms, unsigned n);

#endif
