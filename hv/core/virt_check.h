/* Can this CPU run Keel at all? The decision from CPUID bits and MSR values
 * alone (struct virt_facts, arch/x86/virt_facts.h), so boot/ can refuse
 * before ExitBootServices and return to the firmware, each vendor's detect
 * gives the same reasons, and a unit test (test/unit/test_virt_check.c)
 * covers every case. The vendor's detect then checks the finer
 * capabilities (EPT, VMCS layout, ASIDs).
 * Reference: Intel SDM Vol. 3C 23.7 "Enabling and Entering VMX
 * Operation"; AMD APM Vol. 2 (rev. 3.40) 15.4 "Enabling SVM", 15.30.1
 * "VM_CR MSR". */
#ifndef KEEL_VIRT_CHECK_H
#define KEEL_VIRT_CHECK_H

#include "arch/x86/msr_index.h"   /* FEATURE_CONTROL_*, VM_CR_* */
#include "arch/x86/virt_facts.h"

/* SVM: NULL when offered, enabled (VM_CR.SVMDIS clear) and with nested
 * paging; otherwise one sentence (static storage) saying what is wrong
 * and what to change. */
const char *virt_check_svm(const struct virt_facts *f);

/* VMX: NULL when offered and IA32_FEATURE_CONTROL is unlocked (Keel sets
 * VMX outside SMX and locks it itself) or locked with VMX outside SMX on;
 * otherwise one sentence as above. */
const char *virt_check_vmx(const struct virt_facts *f);

/* NULL when either extension is usable. Otherwise the reason of the one
 * the CPU offers (SVM's if both, which real CPUs never do), or a sentence
 * saying neither is offered; each names the firmware setting to change. */
const char *virt_check(const struct virt_facts *f);

#endif
