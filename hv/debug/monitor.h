/* The serial monitor: Ctrl-] then 'm' on Keel's console stops every guest
 * and opens a command prompt (list VMs and vCPUs, registers, VMCB/VMCS,
 * GVA -> GPA -> HPA walks, exit statistics and trace); "resume" returns to
 * the guests. Commands and keys: docs/monitor.md. */
#ifndef KEEL_MONITOR_H
#define KEEL_MONITOR_H

#include "lib/types.h"

struct vm;

/* The escape byte, Ctrl-] (ASCII GS). Not Ctrl-A: `make run` uses QEMU's
 * -serial mon:stdio, where Ctrl-A is QEMU's own escape and never reaches
 * the guest. Ctrl-] Ctrl-] types one Ctrl-]; Ctrl-] then any byte other
 * than 'm' or 'n' passes both bytes on, so no guest input is lost. */
#define MONITOR_ESCAPE 0x1d
#define MONITOR_OPEN   'm'
#define MONITOR_NEXT_VM 'n'   /* typed input to the next running VM */

/* Keel's console input with the monitor's key sequences taken out: reads
 * the console (drivers/serial.h) and returns the next byte for the guests,
 * VCONSOLE_NEXT_VM for Ctrl-] n (hv/machine/vconsole.h), or -1 when none
 * is waiting. When the sequence is complete it sets *open
 * and returns -1: the caller (the scheduler, hv/sched.c) then runs
 * monitor_run. It never runs the monitor itself, so guest input does not
 * pass through the monitor's commands. */
int monitor_getkey(bool *open);

/* The monitor's prompt on vms[0..n), synchronously: the guests do not run
 * until the user resumes (or types Ctrl-D). */
void monitor_run(struct vm **vms, unsigned n);

/* Run one monitor command line (as typed, without the newline) on
 * vms[0..n). Returns false for "resume". Exposed for host tests. */
bool monitor_command(struct vm **vms, unsigned n, const char *line);

/* Print the GVA -> GPA -> HPA translation of gva for vCPU v: each guest
 * paging-structure entry read, then the nested page table's mapping
 * (hv/debug/monitor_xlate.c). */
struct vcpu;
void monitor_translate(struct vcpu *v, uint64_t gva);

#endif
