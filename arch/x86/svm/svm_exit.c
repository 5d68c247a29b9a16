/* SVM exit decoding: EXITCODE -> enum exit_reason in one table, plus the
 * exit information each reason carries. Reference: APM2 Appendix C "SVM
 * Intercept Exit Codes", 15.7 "Intercept Operation". */
#include "arch/x86/exception.h"
#include "arch/x86/svm/svm.h"
#include "arch/x86/svm/svm_check.h"
#include "lib/log.h"

struct svm_exit_entry {
    enum exit_reason reason;
    const char *name;        /* APM name (VMEXIT_*) */
};

/* Codes below 0x100; NPF and INVALID are handled apart. */
static const struct svm_exit_entry svm_exits[0x100] = {
    [SVM_EXIT_INTR] = { EXIT_INTR, "VMEXIT_INTR" },
    [SVM_EXIT_NMI] = { EXIT_NMI, "VMEXIT_NMI" },
    [SVM_EXIT_SMI] = { EXIT_UNEXPECTED, "VMEXIT_SMI" },
    [SVM_EXIT_INIT] = { EXIT_UNEXPECTED, "VMEXIT_INIT" },
    [SVM_EXIT_VINTR] = { EXIT_INTR_WINDOW, "VMEXIT_VINTR" },
    [SVM_EXIT_RDTSC] = { EXIT_UNEXPECTED, "VMEXIT_RDTSC" },
    [SVM_EXIT_RDPMC] = { EXIT_RDPMC, "VMEXIT_RDPMC" },
    [SVM_EXIT_CPUID] = { EXIT_CPUID, "VMEXIT_CPUID" },
    [SVM_EXIT_RSM] = { EXIT_VIRT_INSN, "VMEXIT_RSM" },
    /* The IRET that will end NMI blocking (svm.c notes it; nothing else
     * to do: the window opens once the IRET has run). */
    [SVM_EXIT_IRET] = { EXIT_NMI_WINDOW, "VMEXIT_IRET" },
    [SVM_EXIT_INVD] = { EXIT_INVD, "VMEXIT_INVD" },
    [SVM_EXIT_PAUSE] = { EXIT_PAUSE, "VMEXIT_PAUSE" },
    [SVM_EXIT_HLT] = { EXIT_HLT, "VMEXIT_HLT" },
    [SVM_EXIT_INVLPGA] = { EXIT_VIRT_INSN, "VMEXIT_INVLPGA" },
    [SVM_EXIT_IOIO] = { EXIT_IO, "VMEXIT_IOIO" },
    [SVM_EXIT_MSR] = { EXIT_MSR_READ, "VMEXIT_MSR" },
    [SVM_EXIT_FERR_FREEZE] = { EXIT_UNEXPECTED, "VMEXIT_FERR_FREEZE" },
    [SVM_EXIT_SHUTDOWN] = { EXIT_TRIPLE_FAULT, "VMEXIT_SHUTDOWN" },
    [SVM_EXIT_VMRUN] = { EXIT_VIRT_INSN, "VMEXIT_VMRUN" },
    [SVM_EXIT_VMMCALL] = { EXIT_VMCALL, "VMEXIT_VMMCALL" },
    [SVM_EXIT_VMLOAD] = { EXIT_VIRT_INSN, "VMEXIT_VMLOAD" },
    [SVM_EXIT_VMSAVE] = { EXIT_VIRT_INSN, "VMEXIT_VMSAVE" },
    [SVM_EXIT_STGI] = { EXIT_VIRT_INSN, "VMEXIT_STGI" },
    [SVM_EXIT_CLGI] = { EXIT_VIRT_INSN, "VMEXIT_CLGI" },
    [SVM_EXIT_SKINIT] = { EXIT_VIRT_INSN, "VMEXIT_SKINIT" },
    [SVM_EXIT_WBINVD] = { EXIT_INVD, "VMEXIT_WBINVD" },
    [SVM_EXIT_MONITOR] = { EXIT_VIRT_INSN, "VMEXIT_MONITOR" },
    [SVM_EXIT_MWAIT] = { EXIT_VIRT_INSN, "VMEXIT_MWAIT" },
    [SVM_EXIT_MWAIT_COND] = { EXIT_VIRT_INSN, "VMEXIT_MWAIT_CONDITIONAL" },
    [SVM_EXIT_XSETBV] = { EXIT_XSETBV, "VMEXIT_XSETBV" },
};

void svm_decode_exit(struct vcpu *v, const struct vmcb *vmcb,
                     struct vm_exit *exit)
{
    const struct vmcb_control *c = &vmcb->control;
    uint64_t code = c->exitcode;

    *exit = (struct vm_exit){ .raw_reason = code };

    /* An event whose delivery was cut short by this exit must be delivered
     * on the next entry (15.7.2 "EXITINTINFO"). Not INT n, INT3 and INTO:
     * RIP still points at the instruction, and EVENTINJ would push that
     * RIP as the return address, so the handler's IRET would run it a
     * second time (KVM needs next-RIP, which TCG lacks, to re-inject
     * them); the instruction simply runs again and raises it anew. */
    uint8_t ii_type = (c->exitintinfo >> SVM_EVTINJ_TYPE_SHIFT) & 7;
    uint8_t ii_vec = c->exitintinfo & SVM_EVTINJ_VEC_MASK;
    bool ii_software = ii_type == EVENT_SOFT_INT ||
                       (ii_type == EVENT_EXCEPTION &&
                        (ii_vec == VEC_BP || ii_vec == VEC_OF));
    if ((c->exitintinfo & SVM_EVTINJ_V) && !ii_software) {
        v->event = (struct event){
            .valid = true,
            .vector = c->exitintinfo & SVM_EVTINJ_VEC_MASK,
            .type = (c->exitintinfo >> SVM_EVTINJ_TYPE_SHIFT) & 7,
            .has_error = c->exitintinfo & SVM_EVTINJ_EV,
            .error_code = (uint32_t)(c->exitintinfo >> 32),
        };
    }
    /* With next-RIP save the CPU reports instruction lengths; TCG does
     * not, and then the core decodes (hv/core/vcpu.c). */
    exit->insn_len = svm_assist_insn_len(&svm_assists, v->state.rip, c->nrip);

    /* VMEXIT_INVALID is -1 (APM2 Appendix C); QEMU TCG stores it as a
     * 32-bit -1, hardware as a 64-bit one. Either names the failed
     * consistency check (15.5.1 "Basic Operation"). */
    if (code == (uint64_t)SVM_EXIT_INVALID || code == 0xffffffffull) {
        exit->reason = EXIT_ENTRY_FAILED;
        exit->raw_name = "VMEXIT_INVALID";
        svm_check_vmcb(vmcb);          /* logs the rules it breaks */
        return;
    }
    if (code == SVM_EXIT_NPF) {
        exit->reason = EXIT_NPF;
        exit->raw_name = "VMEXIT_NPF";
        exit->npf.gpa = c->exitinfo2;
        exit->npf.present = c->exitinfo1 & SVM_NPF_P;
        exit->npf.write = c->exitinfo1 & SVM_NPF_RW;
        exit->npf.fetch = c->exitinfo1 & SVM_NPF_ID;
        exit->npf.read = !exit->npf.write && !exit->npf.fetch;
        /* With decode assists the emulator need not fetch the
         * instruction through the guest's page tables (15.33). */
        exit->npf.insn_nbytes = svm_assist_insn_bytes(&svm_assists, c,
                                                      exit->npf.insn_bytes);
        return;
    }
    if (code >= SVM_EXIT_EXCP_BASE && code < SVM_EXIT_EXCP_BASE + 32) {
        uint8_t vec = (uint8_t)(code - SVM_EXIT_EXCP_BASE);
        exit->reason = EXIT_EXCEPTION;
        /* APM2's VMEXIT_EXCPx; the vector is named where it is printed
         * (arch/x86/exception.h). */
        exit->raw_name = "VMEXIT_EXCP";
        exit->exception.vector = vec;
        exit->exception.has_error = exception_has_error(vec);
        exit->exception.error_code = (uint32_t)c->exitinfo1;
        exit->exception.cr2 = c->exitinfo2;
        return;
    }
    if (code < SVM_EXIT_EXCP_BASE) {
        exit->reason = EXIT_CR_ACCESS;
        exit->raw_name = code < 0x20 ? "VMEXIT_CR" : "VMEXIT_DR";
        exit->cr.cr = code & 0xf;
        exit->cr.write = code >= SVM_EXIT_WRITE_CR0;
        if (code >= 0x20)
            exit->reason = EXIT_UNEXPECTED;
        return;
    }
    if (code >= ARRAY_SIZE(svm_exits) || !svm_exits[code].name) {
        exit->reason = EXIT_UNEXPECTED;
        exit->raw_name = "VMEXIT_(unknown)";
        exit->raw.info1 = c->exitinfo1;
        exit->raw.info2 = c->exitinfo2;
        return;
    }
    exit->reason = svm_exits[code].reason;
    exit->raw_name = svm_exits[code].name;
    exit->raw.info1 = c->exitinfo1;
    exit->raw.info2 = c->exitinfo2;

    switch (code) {
    case SVM_EXIT_IOIO: {
        uint64_t info = c->exitinfo1;
        exit->io.port = (uint16_t)(info >> SVM_IOIO_PORT_SHIFT);
        exit->io.size = (info & SVM_IOIO_SZ32) ? 4 :
                        (info & SVM_IOIO_SZ16) ? 2 : 1;
        exit->io.in = info & SVM_IOIO_TYPE_IN;
        exit->io.string = info & SVM_IOIO_STR;
        exit->io.rep = info & SVM_IOIO_REP;
        /* IOIO always reports the next RIP in EXITINFO2 (15.10.2). */
        if (c->exitinfo2 > v->state.rip && c->exitinfo2 - v->state.rip <= 15)
            exit->insn_len = (uint8_t)(c->exitinfo2 - v->state.rip);
        break;
    }
    case SVM_EXIT_MSR:
        exit->reason = c->exitinfo1 ? EXIT_MSR_WRITE : EXIT_MSR_READ;
        exit->msr.index = (uint32_t)v->state.gpr[GPR_RCX];
        break;
    default:
        break;
    }
}

void svm_dump(const struct vcpu *v)
{
    const struct svm_vcpu *s = v->vendor;
    const struct vmcb_control *c = &s->vmcb->control;
    const struct vmcb_save *sv = &s->vmcb->save;

    kprintf("keel: VMCB at %p (APM2 Appendix B)\n", (void *)s->vmcb);
    kprintf("  intercept misc1 %08x misc2 %08x exceptions %08x\n",
            c->intercept_misc1, c->intercept_misc2, c->intercept_exceptions);
    kprintf("  guest_asid %u  tlb_control %u  np_enable %llu  n_cr3 %llx\n",
            c->guest_asid, c->tlb_control, (unsigned long long)c->np_enable,
            (unsigned long long)c->n_cr3);
    kprintf("  v_intr %llx  interrupt_shadow %llx  eventinj %llx\n",
            (unsigned long long)c->v_intr,
            (unsigned long long)c->interrupt_shadow,
            (unsigned long long)c->eventinj);
    kprintf("  exitcode %llx  exitinfo1 %llx  exitinfo2 %llx  exitintinfo %llx\n",
            (unsigned long long)c->exitcode, (unsigned long long)c->exitinfo1,
            (unsigned long long)c->exitinfo2,
            (unsigned long long)c->exitintinfo);
    kprintf("  cs %04x/%03x/%llx rip %llx rsp %llx rflags %llx cpl %u\n",
            sv->cs.selector, sv->cs.attrib, (unsigned long long)sv->cs.base,
            (unsigned long long)sv->rip, (unsigned long long)sv->rsp,
            (unsigned long long)sv->rflags, sv->cpl);
    kprintf("  cr0 %llx cr3 %llx cr4 %llx efer %llx\n",
            (unsigned long long)sv->cr0, (unsigned long long)sv->cr3,
            (unsigned long long)sv->cr4, (unsigned long long)sv->efer);
}
