/* Keel's own GDT and TSS (arch/x86/gdt.c). */
#ifndef KEEL_GDT_H
#define KEEL_GDT_H

/* Load a GDT with a 64-bit code and a data segment (HOST_CS/HOST_DS in
 * arch/x86/cpu.h) and a TSS whose IST stacks take #DF, NMI and #MC (IST_*
 * in arch/x86/trap.h), so a stack overflow in Keel still gets a report.
 * SDM 3A 3.4.5 "Segment Descriptors", 8.7 "Task Management in 64-bit Mode". */
void arch_gdt_init(void);

#endif
