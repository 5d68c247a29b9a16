/* The guest MSR policy (hv/exit/msr.c): which MSRs the guest reaches directly
 * through the vendor's MSR bitmap, which Keel emulates, and #GP for the
 * rest (with one log line per MSR). */
#ifndef KEEL_MSR_H
#define KEEL_MSR_H

#include "lib/types.h"

struct vcpu;
struct vm_exit;

/* The one list of MSRs the guest reaches without an exit, from which each
 * vendor builds its bitmap (SDM 3C 24.6.9 "MSR-Bitmap Address"; APM2 15.11
 * "MSR Intercepts"): state that is only the guest's own and is switched by
 * VMLOAD/VMSAVE, the VMCS or Keel (FS/GS bases, KERNEL_GS_BASE, SYSCALL and
 * SYSENTER MSRs, TSC_AUX). Every other MSR exits to msr_read/msr_write. */
#define MSR_PASS_READ  0x1u    /* RDMSR does not exit */
#define MSR_PASS_WRITE 0x2u    /* WRMSR does not exit */
#define MSR_PASS_RW    (MSR_PASS_READ | MSR_PASS_WRITE)

struct msr_pass {
    uint32_t index;            /* MSR number (arch/x86/msr_index.h) */
    uint32_t flags;            /* MSR_PASS_* */
};

#define MSR_PASSTHROUGH_COUNT 11
extern const struct msr_pass msr_passthrough[MSR_PASSTHROUGH_COUNT];

/* Emulate RDMSR/WRMSR of MSR index for v. Return 0 (done; *val set for a
 * read) or -EINVAL, meaning the guest gets #GP(0). */
int msr_read(struct vcpu *v, uint32_t index, uint64_t *val);
int msr_write(struct vcpu *v, uint32_t index, uint64_t val);

/* The RDMSR and WRMSR exits: ECX is the index, EDX:EAX the value; #GP(0)
 * when the policy refuses, else RIP past the instruction. SDM 2B "RDMSR",
 * "WRMSR". */
void msr_handle_read(struct vcpu *v, const struct vm_exit *exit);
void msr_handle_write(struct vcpu *v, const struct vm_exit *exit);

#endif
