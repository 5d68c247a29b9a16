/* The guest MSR policy (hv/exit/msr.c): which MSRs the guest reaches directly
 * through the vendor's MSR bitmap, which Keel emulates, and #GP for the
 * rest (with one log line per MSR). */
#ifndef KEEL_MSR_H
#define KEEL_MSR_H

#include "lib/types.h"

struct vcpu;

/* MSRs the guest may read and write without an exit: state that is only
 * the guest's own and is switched by VMLOAD/VMSAVE or the VMCS (FS/GS
 * bases, KERNEL_GS_BASE, SYSCALL and SYSENTER MSRs, TSC_AUX). */
extern const uint32_t msr_passthrough[];
extern const unsigned msr_passthrough_count;

/* Emulate RDMSR/WRMSR of MSR index for v. Return 0 (done; *val set for a
 * read) or -EINVAL, meaning the guest gets #GP(0). */
int msr_read(struct vcpu *v, uint32_t index, uint64_t *val);
int msr_write(struct vcpu *v, uint32_t index, uint64_t val);

#endif
