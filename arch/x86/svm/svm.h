/* Internals of the SVM vendor code shared by its files. */
#ifndef KEEL_SVM_H
#define KEEL_SVM_H

#include "arch/x86/svm/svm_assist.h"
#include "arch/x86/svm/vmcb.h"
#include "hv/core/vcpu.h"

/* Per-vCPU SVM state (vcpu->vendor). */
struct svm_vcpu {
    struct vmcb *vmcb;   /* 4 KiB aligned; hpa == pointer */
    bool flush;          /* flush this ASID's TLB on the next VMRUN */
    uint64_t tsc_aux;    /* the guest's TSC_AUX while another vCPU runs */
    /* NMI blocking (vcpu_state.nmi_blocked) ends when the guest's IRET
     * completes. The IRET intercept fires before IRET runs, so Keel notes
     * where it was and unblocks at the first exit with RIP elsewhere. */
    bool iret_seen;
    uint64_t iret_rip;
};

/* Next-RIP save and decode assists: used or not (svm_assist.h), chosen
 * once by svm_detect from CPUID. QEMU TCG offers neither. */
extern struct svm_assists svm_assists;

/* Turn EXITCODE/EXITINFO* of vmcb into the neutral *exit (APM2 Appendix C)
 * and re-queue an event whose delivery the exit interrupted
 * (EXITINTINFO, 15.7.2). */
void svm_decode_exit(struct vcpu *v, const struct vmcb *vmcb,
                     struct vm_exit *exit);

/* Print the VMCB fields Keel uses, by their APM names. */
void svm_dump(const struct vcpu *v);

#endif
