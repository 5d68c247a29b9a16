/* Keel's own GDT and TSS (arch/x86/gdt.c). */
#ifndef KEEL_GDT_H
#define KEEL_GDT_H

#include "lib/types.h"

/* Bytes of each IST stack. */
#define IST_STACK_SIZE 8192

/* Load a GDT with a 64-bit code and a data segment (HOST_CS/HOST_DS in
 * arch/x86/cpu.h) and a TSS whose IST stacks take #DF, NMI and #MC (IST_*
 * in arch/x86/trap.h), so a stack overflow in Keel still gets a report.
 * SDM 3A 3.4.5 "Segment Descriptors", 8.7 "Task Management in 64-bit Mode".
 * cpu: Keel's number of the calling CPU (arch/x86/percpu.h), which gets
 * its own GDT and TSS; ist: IST_COUNT * IST_STACK_SIZE bytes for its IST
 * stacks, or NULL on the boot CPU (static stacks). */
void arch_gdt_init(unsigned cpu, uint8_t *ist);

#endif
