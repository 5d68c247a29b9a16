/* Keel's scheduler: every vCPU of every VM shares the boot CPU, round
 * robin, in time slices ended by the host timer (hv/sched.c). */
#ifndef KEEL_SCHED_H
#define KEEL_SCHED_H

#include "lib/types.h"

struct vm;

/* Time slice of one vCPU before the next one runs. */
#define SCHED_SLICE_NS 10000000ULL   /* 10 ms */

/* Run vms[0..n) until every one has ended. */
void sched_run(struct vm **vms, unsigned n);

#endif
