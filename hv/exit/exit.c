/* VM exit dispatch (hv/exit/exit.h): one table from enum exit_reason to
 * its handler (STYLE.md: designated initialisers, a bounds check and a loud
 * default). The families have their own files: port I/O exit_io.c, nested
 * page faults exit_npf.c, control registers and XCR0 exit_cr.c, HLT
 * exit_hlt.c, CPUID cpuid.c, RDMSR/WRMSR msr.c, VMCALL/VMMCALL
 * hypercall.c; the rest is here. Handlers
 * advance RIP only when the instruction completed; a fault injected into
 * the guest leaves RIP on the instruction, as hardware does. */
#include "arch/x86/exception.h"
#include "hv/core/vendor.h"
#include "hv/core/vm.h"
#include "hv/exit/cpuid.h"
#include "hv/exit/exit.h"
#include "hv/exit/hypercall.h"
#include "hv/exit/msr.h"

typedef void (*exit_handler_t)(struct vcpu *v, const struct vm_exit *exit);

static void handle_nothing(struct vcpu *v, const struct vm_exit *exit)
{
    /* INTR: the host handled its interrupt after the exit. INTR_WINDOW,
     * NMI_WINDOW: the injection point runs before the next entry. NMI: no
     * guest-visible effect. */
    (void)v;
    (void)exit;
}

static void handle_skip(struct vcpu *v, const struct vm_exit *exit)
{
    /* INVD: dropping caches without writing back is never safe for a
     * guest sharing memory with Keel; WBINVD would write back and drop
     * every VM's cache lines: completing either as a no-op is (no guest
     * owns a device doing non-coherent DMA). */
    vcpu_skip_insn(v, exit);
}

static void handle_pause(struct vcpu *v, const struct vm_exit *exit)
{
    /* A spin loop (SVM PAUSE filter, VMX PAUSE-loop exiting): complete the
     * PAUSE and give the CPU to the vCPU the spinner waits for. */
    if (vcpu_skip_insn(v, exit))
        return;
    v->yield = true;
}

static void handle_ud(struct vcpu *v, const struct vm_exit *exit)
{
    /* The SVM instructions the guest cannot see in CPUID (VMRUN, VMLOAD,
     * ...): #UD, as on a CPU without them. */
    (void)exit;
    vcpu_inject_ud(v);
}

static void handle_gp(struct vcpu *v, const struct vm_exit *exit)
{
    /* RDPMC: Keel offers no performance counters (CPUID, MSR policy), so
     * every counter index is invalid: #GP(0) (SDM 2 "RDPMC"), instead of
     * reading the host's counters. */
    (void)exit;
    vcpu_inject_gp(v);
}

static void handle_triple_fault(struct vcpu *v, const struct vm_exit *exit)
{
    vm_stop(v->vm, VM_END_TRIPLE_FAULT, "triple fault (%s) at rip %#llx",
            exit->raw_name ? exit->raw_name : "shutdown",
            (unsigned long long)v->state.rip);
}

static void handle_exception(struct vcpu *v, const struct vm_exit *exit)
{
    if (exit->exception.vector == VEC_MC) {
        vm_crash(v->vm, "machine check while the guest ran");
        return;
    }
    /* Intercepted for observation only: deliver it unchanged. */
    vcpu_inject_exception(v, exit->exception.vector, exit->exception.has_error,
                          exit->exception.error_code);
}

static void handle_entry_failed(struct vcpu *v, const struct vm_exit *exit)
{
    /* The vendor code logged the consistency checks that fail
     * (svm_check_vmcb, vmx_check_guest_state) before this line. */
    vm_crash(v->vm, "VM entry failed (%s, info %#llx/%#llx): the %s "
             "control fields or guest state break a rule the CPU checks "
             "at entry (see the check named above)",
             exit->raw_name ? exit->raw_name : "?",
             (unsigned long long)exit->raw.info1,
             (unsigned long long)exit->raw.info2,
             vendor->name[0] == 'S' ? "VMCB" : "VMCS");
    vendor->dump(v);
}

static void handle_unexpected(struct vcpu *v, const struct vm_exit *exit)
{
    vm_crash(v->vm, "unexpected exit %s (code %#llx, info %#llx/%#llx)",
             exit->raw_name ? exit->raw_name : "?",
             (unsigned long long)exit->raw_reason,
             (unsigned long long)exit->raw.info1,
             (unsigned long long)exit->raw.info2);
    vendor->dump(v);
}

static const exit_handler_t handlers[EXIT_REASON_COUNT] = {
    [EXIT_IO] = exit_handle_io,
    [EXIT_NPF] = exit_handle_npf,
    [EXIT_CPUID] = cpuid_handle_exit,
    [EXIT_MSR_READ] = msr_handle_read,
    [EXIT_MSR_WRITE] = msr_handle_write,
    [EXIT_HLT] = exit_handle_hlt,
    [EXIT_INTR] = handle_nothing,
    [EXIT_INTR_WINDOW] = handle_nothing,
    [EXIT_NMI_WINDOW] = handle_nothing,
    [EXIT_NMI] = handle_nothing,
    [EXIT_PAUSE] = handle_pause,
    [EXIT_INVD] = handle_skip,
    [EXIT_CR_ACCESS] = exit_handle_cr,
    [EXIT_XSETBV] = exit_handle_xsetbv,
    [EXIT_VMCALL] = hypercall_handle_exit,
    [EXIT_VIRT_INSN] = handle_ud,
    [EXIT_RDPMC] = handle_gp,
    [EXIT_TRIPLE_FAULT] = handle_triple_fault,
    [EXIT_EXCEPTION] = handle_exception,
    [EXIT_ENTRY_FAILED] = handle_entry_failed,
    [EXIT_UNEXPECTED] = handle_unexpected,
};

void exit_dispatch(struct vcpu *v, const struct vm_exit *exit)
{
    if ((unsigned)exit->reason >= EXIT_REASON_COUNT || !handlers[exit->reason]) {
        handle_unexpected(v, exit);
        return;
    }
    handlers[exit->reason](v, exit);
}
