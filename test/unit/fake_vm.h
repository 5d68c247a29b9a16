/* A minimal VM for host tests of the core (exit handlers, injection, the
 * monitor): a struct vm with its vCPUs, optionally their vLAPICs and the
 * 8259 pair and some RAM, and a fake vendor ops table in `vendor`. No
 * devices are on its buses until a test registers them. */
#ifndef KEEL_TEST_FAKE_VM_H
#define KEEL_TEST_FAKE_VM_H

#include "hv/core/vcpu.h"
#include "hv/core/vm.h"

#define FAKE_VM_MAX_VCPUS 4

/* What fake_vm_create adds besides the vCPUs. */
enum {
    FAKE_VM_LAPIC = 1,   /* a vLAPIC per vCPU, software-enabled (SVR 0x1FF) */
    FAKE_VM_PIC = 2,     /* vm->pic, not initialised (power-on state) */
};

/* A running VM "test" (64 MiB in its config, no RAM yet) with nr_vcpus
 * vCPUs, vCPU 0 runnable and the others waiting for SIPI, all in flat
 * 32-bit protected mode with RFLAGS.IF=1. Sets `vendor` to the fake table
 * and resets its counters. */
struct vm *fake_vm_create(unsigned nr_vcpus, unsigned flags);

/* Back [gpa, gpa+size) (4 KiB aligned) with zeroed host memory, in the
 * VM's guest_mem and nested page table. Returns the host pointer. */
void *fake_vm_add_ram(struct vm *vm, gpa_t gpa, uint64_t size);

/* Free everything fake_vm_create and fake_vm_add_ram allocated. */
void fake_vm_destroy(struct vm *vm);

/* Calls of the fake vendor's flush_guest_tlb and dump since the last
 * fake_vm_create. */
extern unsigned fake_vendor_flushes;
extern unsigned fake_vendor_dumps;
/* What the fake vendor's breakpoints_armed answers (false after
 * fake_vm_create). */
extern bool fake_vendor_dr7_armed;

/* A vm_exit of `reason` with insn_len set (the CPU reported the length). */
static inline struct vm_exit fake_exit(enum exit_reason reason,
                                       uint8_t insn_len)
{
    return (struct vm_exit){ .reason = reason, .insn_len = insn_len };
}

#endif
