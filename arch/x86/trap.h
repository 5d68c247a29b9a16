/* Exceptions in the hypervisor itself (not in guests): the IDT, the frame
 * the entry stubs in arch/x86/isr.asm build, and the handler that prints it.
 * Reference: SDM 3A 6.14 "Exception and Interrupt Handling in 64-bit Mode". */
#ifndef KEEL_TRAP_H
#define KEEL_TRAP_H

#include "lib/types.h"

/* IST slots in the TSS: #DF, NMI and #MC run on their own stacks, so a
 * stack overflow in Keel still produces a report. */
enum { IST_DF = 1, IST_NMI = 2, IST_MC = 3, IST_COUNT = 3 };

/* The host timer interrupt vector (drivers/lapic_timer.c). */
#define HOST_TIMER_VECTOR 0xf0
#define HOST_SPURIOUS_VECTOR 0xff

/* Saved by isr.asm, lowest address first. */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* Where UEFI loaded keel.efi (bytes), for image-relative addresses in
 * crash dumps. */
extern uint64_t keel_image_base, keel_image_size;

/* Fill Keel's IDT (one for every CPU) and load it on the boot CPU. */
void arch_idt_init(void);

/* Load the IDT arch_idt_init filled on the calling CPU (an AP). */
void arch_idt_load(void);

/* Called by isr.asm for every vector. */
void trap_dispatch(struct trap_frame *f);

/* A host interrupt handler; the table is set by drivers (timer). */
typedef void (*irq_handler_t)(struct trap_frame *f);
void trap_set_irq_handler(uint8_t vector, irq_handler_t h);

/* How a stray host interrupt (a vector nobody registered, e.g. a device
 * the firmware left armed) is acknowledged; set by hv_main once the host
 * LAPIC is up. Until then such an interrupt is logged and not acked. */
void trap_set_eoi(void (*eoi)(void));

#endif
