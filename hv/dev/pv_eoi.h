/* KVM-compatible paravirtual end of interrupt, which Linux supports
 * built-in: while Keel has set bit 0 of a guest word, the guest's next
 * EOI is a clear of that bit instead of a write to the EOI register (an
 * MSR exit); Keel carries out the EOI at the next exit. Keel sets the bit
 * only when that EOI cannot change what is injected next: nothing is
 * requested (IRR empty) and the in-service vector is edge-triggered (no
 * EOI owed to the IOAPIC). Offered with CPUID 0x40000101 EAX bit 6.
 * Reference: Linux Documentation/virt/kvm/x86/msr.rst ("MSR_KVM_PV_EOI_EN"),
 * cpuid.rst ("KVM_FEATURE_PV_EOI"). */
#ifndef KEEL_PV_EOI_H
#define KEEL_PV_EOI_H

#include "lib/types.h"

struct guest_mem;
struct vlapic;

#define MSR_KVM_PV_EOI_EN   0x4b564d04
#define KVM_FEATURE_PV_EOI  BIT(6)
/* MSR_KVM_PV_EOI_EN: bit 0 enables, bit 1 is reserved, bits 63:2 are the
 * GPA of a 4-byte aligned word in guest RAM. */
#define PV_EOI_MSR_ENABLED  BIT(0)
#define PV_EOI_MSR_RESERVED BIT(1)
/* Bit 0 of the guest word: set by Keel, cleared by the guest's EOI. */
#define PV_EOI_PENDING      BIT(0)

/* One vCPU's paravirtual EOI: the MSR as written, and whether Keel set
 * the guest's bit before the last entry. */
struct pv_eoi {
    uint64_t msr;
    bool armed;
    uint64_t done;     /* EOIs the guest did by clearing the bit */
};

/* WRMSR MSR_KVM_PV_EOI_EN: 0 (or bit 0 clear) disables; else bits 63:2
 * must be a word in mem's RAM. A disable while armed drops the bit's
 * meaning (the EOI register is used again). Returns 0, or -EINVAL for
 * reserved bit 1 or an address outside RAM (the guest gets #GP). */
int pv_eoi_wrmsr(struct pv_eoi *p, const struct guest_mem *mem, uint64_t val);

/* RDMSR MSR_KVM_PV_EOI_EN: the value last written. */
uint64_t pv_eoi_rdmsr(const struct pv_eoi *p);

/* Before an entry (after the interrupt to inject, if any, was accepted):
 * set the guest's bit if PV EOI is enabled and l's next EOI may be
 * deferred (vlapic_eoi_deferrable). */
void pv_eoi_arm(struct pv_eoi *p, const struct guest_mem *mem,
                struct vlapic *l);

/* After an exit, before it is handled: if the bit was set and the guest
 * cleared it, carry out that EOI in l; either way the bit is clear
 * afterwards (pv_eoi_arm sets it again when it is safe). */
void pv_eoi_sync(struct pv_eoi *p, const struct guest_mem *mem,
                 struct vlapic *l);

#endif
