/* Printing the per-vCPU exit statistics (struct exit_stats in hv/core/vcpu.h,
 * gathered by the run loop in hv/run.c): at VM end (stats_vm_report) and
 * from the serial monitor (docs/monitor.md). */
#ifndef KEEL_STATS_H
#define KEEL_STATS_H

#include "lib/types.h"

struct vcpu;
struct vm;

/* Total exits of v over every reason. */
uint64_t stats_total(const struct vcpu *v);

/* Print v's table: one line per reason that occurred, with its count and
 * the host TSC cycles Keel spent handling it (min / avg / max) plus the
 * average in nanoseconds. Every line starts with prefix (e.g. "keel:  "). */
void stats_print(const struct vcpu *v, const char *prefix);

/* The end-of-run report of vm: how it ended and after how long, its resets,
 * each vCPU's exit counts by reason, how long wake-ups by another vCPU
 * waited for its entry (us), its statistics table, and with
 * `trace = yes` each vCPU's machine-readable trace (hv/debug/trace.h). */
void stats_vm_report(const struct vm *vm);

#endif
