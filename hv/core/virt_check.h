/* Can this CPU run Keel at all? The decision from CPUID bits and MSR values
 * alone (no instruction executed), so boot/ can refuse before
 * ExitBootServices and return to the firmware, and a unit test can cover
 * every case. The vendor's detect (arch/x86/{svm,vmx}) then checks the
 * finer capabilities (EPT, VMCS layout, ASIDs).
 * Reference: Intel SDM Vol. 3C 23.6 "Discovering Support for VMX", 23.7
 * "Enabling and Entering VMX Operation"; AMD APM Vol. 2 (rev. 3.40) 15.4
 * "Enabling SVM", 15.30.1 "VM_CR MSR", 15.25.1 "Nested Paging". */
#ifndef KEEL_VIRT_CHECK_H
#define KEEL_VIRT_CHECK_H

#include "arch/x86/msr_index.h"   /* FEATURE_CONTROL_*, VM_CR_* */
#include "lib/types.h"

/* What the CPU says, read by boot/ (boot_virt_facts). An MSR is read only
 * when its CPUID bit is set (elsewhere RDMSR would #GP); otherwise 0. */
struct virt_facts {
    bool vmx;                 /* CPUID.01h:ECX.VMX[bit 5] */
    bool svm;                 /* CPUID.8000_0001h:ECX.SVM[bit 2] */
    bool svm_np;              /* CPUID.8000_000Ah:EDX.NP[bit 0]; false when
                               * the leaf is beyond the maximum */
    uint64_t feature_control; /* IA32_FEATURE_CONTROL, when vmx */
    uint64_t vm_cr;           /* VM_CR, when svm */
};

/* NULL when an extension is present and enabled (SVM with nested paging
 * and VM_CR.SVMDIS clear; or VMX with IA32_FEATURE_CONTROL unlocked, or
 * locked with VMX outside SMX on: Keel locks an unlocked one itself).
 * Otherwise one sentence (static storage) saying what is wrong and which
 * firmware setting to change. With both extensions reported (never on
 * real hardware) either one being usable is enough; the SVM reason is
 * given first. */
const char *virt_check(const struct virt_facts *f);

#endif
