/* The one vendor boundary (DESIGN.md; in the spirit of KVM's kvm_x86_ops):
 * everything VMX- or SVM-specific sits behind this table, chosen once at
 * boot from CPUID. hv/ never includes a vmx/ or svm/ header. */
#ifndef KEEL_VENDOR_H
#define KEEL_VENDOR_H

#include "hv/core/vm_exit.h"
#include "lib/types.h"

struct vm;
struct vcpu;
struct pt_format;

struct vendor_ops {
    const char *name;                 /* "SVM" or "VMX" */
    const struct pt_format *npt_format;

    /* Is the extension present and usable on this CPU? Returns 0, or
     * -ENODEV with the reason logged (e.g. disabled by firmware). */
    int (*detect)(void);
    /* Turn it on for the calling physical CPU (EFER.SVME / VMXON). */
    int (*hw_enable)(void);
    /* Per-VM set-up (ASID/VPID pool, nested paging pointer). Called after
     * vm->npt is built. */
    int (*vm_init)(struct vm *vm);
    /* Allocate and fill the VMCB/VMCS from v->state. */
    int (*vcpu_init)(struct vcpu *v);
    /* Enter the guest with v->state (and v->event, v->want_intr_window),
     * return at the next VM exit with v->state updated and *exit decoded. */
    void (*run)(struct vcpu *v, struct vm_exit *exit);
    /* Make every field of v->state the guest's, for the vCPU whose exit
     * is being handled: run() may leave some of it unread until needed
     * (VMX: segments other than CS/SS, GDTR, IDTR; SVM reads all). The
     * emulator's way in (vcpu_emu_ops) calls it. */
    void (*fetch_state)(struct vcpu *v);
    /* Flush this VM's guest-physical TLB entries after an NPT/EPT change. */
    void (*flush_guest_tlb)(struct vcpu *v);
    /* Print the VMCB/VMCS with field names (monitor, crash reports). */
    void (*dump)(const struct vcpu *v);
    /* Does the guest's DR7 (of the exit just taken) enable any breakpoint,
     * L0-L3 or G0-G3 (SDM 3A 17.2.4 "Debug Control Register (DR7)")? Keel
     * then carries out no instruction beyond the one that exited, since
     * one of the next could hit a breakpoint. */
    bool (*breakpoints_armed)(const struct vcpu *v);
};

/* The selected vendor; NULL before vendor_select(). */
extern const struct vendor_ops *vendor;

/* The tables provided by arch/x86/svm and arch/x86/vmx. */
extern const struct vendor_ops svm_ops;
extern const struct vendor_ops vmx_ops;

/* Pick the vendor from CPUID and check every op is present (refuse to run
 * otherwise). Returns 0 or -ENODEV. */
int vendor_select(void);

#endif
