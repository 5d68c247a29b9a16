/* VMX exit decoding: basic exit reason -> enum exit_reason in one table,
 * the exit qualification of each reason, and re-queuing an event whose
 * delivery the exit interrupted.
 * Reference: Intel SDM Volume 3C (Order No. 326019). See: Appendix C "VMX
 * Basic Exit Reasons", 27.2 "Recording VM-Exit Information and Updating
 * VM-Entry Control Fields" (Tables 27-3, 27-5, 27-7), 27.2.4 "Information
 * for VM Exits During Event Delivery", 28.2.1 (event re-injection). */
#include "arch/x86/exception.h"
#include "arch/x86/vmx/vmx.h"
#include "lib/log.h"

struct vmx_exit_entry {
    enum exit_reason reason;
    const char *name;   /* the SDM's name (EXIT_REASON_*) */
    bool insn;          /* caused by an instruction: the VM-exit
                         * instruction-length field is valid (27.2.5) */
};

#define E(code, r, i) [EXIT_REASON_##code] = { r, "EXIT_REASON_" #code, i }

static const struct vmx_exit_entry vmx_exits[EXIT_REASON_MAX + 1] = {
    E(EXCEPTION_NMI, EXIT_EXCEPTION, false),
    E(EXTERNAL_INTERRUPT, EXIT_INTR, false),
    E(TRIPLE_FAULT, EXIT_TRIPLE_FAULT, false),
    E(INIT_SIGNAL, EXIT_UNEXPECTED, false),
    E(SIPI, EXIT_UNEXPECTED, false),
    E(IO_SMI, EXIT_UNEXPECTED, false),
    E(OTHER_SMI, EXIT_UNEXPECTED, false),
    E(INTERRUPT_WINDOW, EXIT_INTR_WINDOW, false),
    E(NMI_WINDOW, EXIT_NMI_WINDOW, false),
    E(TASK_SWITCH, EXIT_UNEXPECTED, false),
    E(CPUID, EXIT_CPUID, true),
    E(GETSEC, EXIT_VIRT_INSN, true),        /* SMX hidden: #UD */
    E(HLT, EXIT_HLT, true),
    E(INVD, EXIT_INVD, true),
    E(INVLPG, EXIT_UNEXPECTED, true),
    E(RDPMC, EXIT_RDPMC, true),
    E(RDTSC, EXIT_UNEXPECTED, true),
    E(RSM, EXIT_VIRT_INSN, true),
    E(VMCALL, EXIT_VMCALL, true),
    /* VMX instructions always exit; VMX is hidden from guests: #UD. */
    E(VMCLEAR, EXIT_VIRT_INSN, true),
    E(VMLAUNCH, EXIT_VIRT_INSN, true),
    E(VMPTRLD, EXIT_VIRT_INSN, true),
    E(VMPTRST, EXIT_VIRT_INSN, true),
    E(VMREAD, EXIT_VIRT_INSN, true),
    E(VMRESUME, EXIT_VIRT_INSN, true),
    E(VMWRITE, EXIT_VIRT_INSN, true),
    E(VMXOFF, EXIT_VIRT_INSN, true),
    E(VMXON, EXIT_VIRT_INSN, true),
    E(CR_ACCESS, EXIT_CR_ACCESS, true),
    E(DR_ACCESS, EXIT_UNEXPECTED, true),
    E(IO_INSTRUCTION, EXIT_IO, true),
    E(MSR_READ, EXIT_MSR_READ, true),
    E(MSR_WRITE, EXIT_MSR_WRITE, true),
    E(INVALID_GUEST_STATE, EXIT_ENTRY_FAILED, false),
    E(MSR_LOADING, EXIT_ENTRY_FAILED, false),
    E(MWAIT_INSTRUCTION, EXIT_VIRT_INSN, true),   /* hidden in CPUID: #UD */
    E(MONITOR_TRAP_FLAG, EXIT_UNEXPECTED, false),
    E(MONITOR_INSTRUCTION, EXIT_VIRT_INSN, true),
    E(PAUSE_INSTRUCTION, EXIT_PAUSE, true),
    E(MCE_DURING_VMENTRY, EXIT_ENTRY_FAILED, false),
    E(TPR_BELOW_THRESHOLD, EXIT_UNEXPECTED, false),
    E(APIC_ACCESS, EXIT_UNEXPECTED, false),
    E(EOI_INDUCED, EXIT_UNEXPECTED, false),
    E(GDTR_IDTR, EXIT_UNEXPECTED, true),
    E(LDTR_TR, EXIT_UNEXPECTED, true),
    E(EPT_VIOLATION, EXIT_NPF, false),
    E(EPT_MISCONFIG, EXIT_UNEXPECTED, false),
    E(INVEPT, EXIT_VIRT_INSN, true),
    E(RDTSCP, EXIT_UNEXPECTED, true),
    E(PREEMPTION_TIMER, EXIT_UNEXPECTED, false),
    E(INVVPID, EXIT_VIRT_INSN, true),
    E(WBINVD, EXIT_INVD, true),
    E(XSETBV, EXIT_XSETBV, true),
    E(APIC_WRITE, EXIT_UNEXPECTED, false),
    E(RDRAND, EXIT_UNEXPECTED, true),
    E(INVPCID, EXIT_UNEXPECTED, true),
    E(VMFUNC, EXIT_VIRT_INSN, true),
    E(ENCLS, EXIT_UNEXPECTED, true),
    E(RDSEED, EXIT_UNEXPECTED, true),
    E(PML_FULL, EXIT_UNEXPECTED, false),
    E(XSAVES, EXIT_UNEXPECTED, true),
    E(XRSTORS, EXIT_UNEXPECTED, true),
};
#undef E

/* 27.2.4: an exit during event delivery leaves the event in the
 * IDT-vectoring information; it is delivered again on the next entry
 * (28.2.1). Software interrupts and exceptions (INT n, INT3, INTO, INT1)
 * are re-injected with the instruction length the exit reports (27.2.5),
 * not run again: running INT n again would meet a second time whatever
 * the first delivery already did (a #DB, a changed code page). */
static void requeue_event(struct vcpu *v)
{
    uint32_t info = (uint32_t)vmcs_read(VMCS_IDT_VECTORING_INFO);
    if (!(info & INTR_INFO_VALID))
        return;
    uint32_t type = (info & INTR_INFO_TYPE_MASK) >> INTR_INFO_TYPE_SHIFT;
    bool software = type == INTR_TYPE_SOFT_INTR ||
                    type == INTR_TYPE_PRIV_SOFT_EXCEPTION ||
                    type == INTR_TYPE_SOFT_EXCEPTION;
    v->event = (struct event){
        .valid = true,
        .type = (uint8_t)type,       /* same numbers as enum event_type */
        .vector = (uint8_t)(info & INTR_INFO_VECTOR_MASK),
        .has_error = info & INTR_INFO_DELIVER_CODE,
        .error_code = (info & INTR_INFO_DELIVER_CODE) ?
                      (uint32_t)vmcs_read(VMCS_IDT_VECTORING_ERROR_CODE) : 0,
        .insn_len = software ? (uint8_t)vmcs_read(
                        VMCS_VM_EXIT_INSTRUCTION_LENGTH) : 0,
    };
}

/* Exit qualification of a failed entry (27.8), by name. */
static const char *entry_fail_name(uint64_t qual)
{
    switch (qual) {
    case ENTRY_FAIL_PDPTE: return "loading the PDPTEs";
    case ENTRY_FAIL_NMI_INJECT: return "NMI injection while NMIs blocked";
    case ENTRY_FAIL_VMCS_LINK: return "invalid VMCS link pointer";
    default: return "a guest-state check (26.3.1)";
    }
}

static void decode_failed_entry(uint32_t basic, uint64_t qual,
                                struct vm_exit *exit)
{
    exit->reason = EXIT_ENTRY_FAILED;
    exit->raw.info1 = qual;
    log_err("VMX: VM entry failed with %s (qualification %llu: %s)",
            exit->raw_name, (unsigned long long)qual,
            basic == EXIT_REASON_INVALID_GUEST_STATE ? entry_fail_name(qual) :
            basic == EXIT_REASON_MSR_LOADING ? "MSR-load entry number" :
            "machine check");
    if (basic == EXIT_REASON_INVALID_GUEST_STATE &&
        vmx_check_guest_state() == 0)
        log_err("VMX: Keel's software checks found nothing wrong; the CPU "
                "checks more than Keel models (SDM 3C 26.3.1)");
}

void vmx_decode_exit(struct vcpu *v, struct vm_exit *exit)
{
    uint32_t reason = (uint32_t)vmcs_read(VMCS_EXIT_REASON);
    uint32_t basic = EXIT_REASON_BASIC(reason);
    uint64_t qual = vmcs_read(VMCS_EXIT_QUALIFICATION);

    *exit = (struct vm_exit){ .raw_reason = reason };
    if (basic > EXIT_REASON_MAX || !vmx_exits[basic].name) {
        exit->reason = EXIT_UNEXPECTED;
        exit->raw_name = "EXIT_REASON_(unknown)";
        exit->raw.info1 = qual;
        return;
    }
    const struct vmx_exit_entry *e = &vmx_exits[basic];
    exit->reason = e->reason;
    exit->raw_name = e->name;
    exit->raw.info1 = qual;
    if (reason & EXIT_REASON_FAILED_ENTRY) {
        decode_failed_entry(basic, qual, exit);
        return;
    }
    requeue_event(v);
    if (e->insn)
        exit->insn_len = (uint8_t)vmcs_read(VMCS_VM_EXIT_INSTRUCTION_LENGTH);

    switch (basic) {
    case EXIT_REASON_EXCEPTION_NMI: {
        uint32_t info = (uint32_t)vmcs_read(VMCS_VM_EXIT_INTERRUPTION_INFO);
        uint8_t vec = info & INTR_INFO_VECTOR_MASK;
        if (((info & INTR_INFO_TYPE_MASK) >> INTR_INFO_TYPE_SHIFT) ==
            INTR_TYPE_NMI) {
            exit->reason = EXIT_NMI;
            break;
        }
        exit->exception.vector = vec;
        exit->exception.has_error = exception_has_error(vec) &&
                                    (info & INTR_INFO_DELIVER_CODE);
        if (exit->exception.has_error)
            exit->exception.error_code = (uint32_t)vmcs_read(
                VMCS_VM_EXIT_INTERRUPTION_ERROR_CODE);
        exit->exception.cr2 = qual;   /* #PF: the faulting linear address */
        break;
    }
    case EXIT_REASON_IO_INSTRUCTION:
        exit->io.port = IO_QUAL_PORT(qual);
        exit->io.size = (uint8_t)IO_QUAL_SIZE(qual);
        exit->io.in = qual & IO_QUAL_IN;
        exit->io.string = qual & IO_QUAL_STRING;
        exit->io.rep = qual & IO_QUAL_REP;
        break;
    case EXIT_REASON_MSR_READ:
    case EXIT_REASON_MSR_WRITE:
        exit->msr.index = (uint32_t)v->state.gpr[GPR_RCX];
        break;
    case EXIT_REASON_CR_ACCESS:
        exit->cr.cr = (uint8_t)CR_QUAL_NUMBER(qual);
        exit->cr.gpr = (uint8_t)CR_QUAL_GPR(qual);
        exit->cr.write = CR_QUAL_ACCESS_TYPE(qual) == CR_ACCESS_MOV_TO_CR;
        /* Only MOV to CR0/CR4 touching a host-owned bit can exit with
         * Keel's controls; CLTS/LMSW could only if PE/MP/EM/TS were
         * host-owned, which unrestricted guest rules out. */
        if (CR_QUAL_ACCESS_TYPE(qual) != CR_ACCESS_MOV_TO_CR)
            exit->reason = EXIT_UNEXPECTED;
        break;
    case EXIT_REASON_EPT_VIOLATION:
        exit->npf.gpa = vmcs_read(VMCS_GUEST_PHYSICAL_ADDRESS);
        exit->npf.read = qual & EPT_QUAL_READ;
        exit->npf.write = qual & EPT_QUAL_WRITE;
        exit->npf.fetch = qual & EPT_QUAL_FETCH;
        exit->npf.present = qual & (EPT_QUAL_READABLE | EPT_QUAL_WRITABLE |
                                    EPT_QUAL_EXECUTABLE);
        break;
    case EXIT_REASON_EPT_MISCONFIG:
        /* A Keel bug in the EPT entries (29.3.3.1): loud. */
        exit->raw.info2 = vmcs_read(VMCS_GUEST_PHYSICAL_ADDRESS);
        break;
    default:
        break;
    }
}
