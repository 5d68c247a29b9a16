/* What the CPU says about hardware virtualization: the CPUID bits and MSR
 * values hv/core/virt_check.c decides on, read once by whoever needs them
 * (boot/ before ExitBootServices, each vendor's detect).
 * Reference: Intel SDM Vol. 3C 23.6 "Discovering Support for VMX", 23.7
 * "Enabling and Entering VMX Operation"; AMD APM Vol. 2 (rev. 3.40) 15.4
 * "Enabling SVM", 15.30.1 "VM_CR MSR", 15.25.1 "Nested Paging". */
#ifndef KEEL_VIRT_FACTS_H
#define KEEL_VIRT_FACTS_H

#include "lib/types.h"

/* An MSR is read only when its CPUID bit is set (elsewhere RDMSR would
 * #GP); otherwise it is 0. */
struct virt_facts {
    bool vmx;                 /* CPUID.01h:ECX.VMX[bit 5] */
    bool svm;                 /* CPUID.8000_0001h:ECX.SVM[bit 2] */
    bool svm_np;              /* CPUID.8000_000Ah:EDX.NP[bit 0]; false when
                               * the leaf is beyond the maximum */
    uint64_t feature_control; /* IA32_FEATURE_CONTROL (3Ah), when vmx */
    uint64_t vm_cr;           /* VM_CR (C001_0114h), when svm */
};

/* Fill *f from CPUID and the two MSRs (arch/x86/virt_facts.c). Runs on the
 * calling CPU; no side effects. */
void virt_facts_read(struct virt_facts *f);

#endif
