/* The VMRUN consistency checks of APM2 15.5.1 "Basic Operation" done in
 * software against a VMCB, so that a VMEXIT_INVALID (the CPU's only word on
 * a bad VMCB) comes with the rule that failed. Pure: host unit tests
 * compile it (test/unit/test_svm_check.c). */
#ifndef KEEL_SVM_CHECK_H
#define KEEL_SVM_CHECK_H

#include "arch/x86/svm/vmcb.h"

/* Check vmcb against the rules Keel can judge without CPUID (the MSR and
 * I/O permission maps' addresses against MAXPHYADDR and CR3/CR4 reserved
 * bits, which depend on CPU features, are left out) and log one error per
 * broken rule, naming it. Returns how many rules are broken (0: none of
 * these; the CPU then refused the VMCB for another reason). */
unsigned svm_check_vmcb(const struct vmcb *vmcb);

#endif
