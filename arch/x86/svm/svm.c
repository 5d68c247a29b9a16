/* AMD SVM: detection, enabling, the VMCB of each vCPU and one guest entry.
 * Reference: AMD64 Architecture Programmer's Manual Volume 2, Revision
 * 3.40, chapter 15 "Secure Virtual Machine". See: 15.4 "Enabling SVM",
 * 15.5 "VMRUN", 15.9-15.13 intercepts, 15.20 "Event Injection", 15.25
 * "Nested Paging". */
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "arch/x86/svm/svm.h"
#include "arch/x86/virt_facts.h"
#include "drivers/lapic.h"
#include "hv/core/vendor.h"
#include "hv/core/virt_check.h"
#include "hv/core/vm.h"
#include "hv/exit/msr.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "mm/frame.h"
#include "mm/heap.h"


#define IOPM_PAGES   3   /* 12 KiB: one bit per port plus spill (15.10.1) */
#define MSRPM_PAGES  2   /* 8 KiB: two bits per MSR (15.11) */

/* The intercepts every guest runs with, and why (docs/svm.md has the
 * table). Intercept vector 3: */
#define SVM_MISC1_INTERCEPTS                                                \
    (SVM_INTERCEPT_INTR         /* host timer: Keel's scheduler */          \
     | SVM_INTERCEPT_NMI        /* host NMIs belong to Keel */              \
     | SVM_INTERCEPT_SMI                                                    \
     | SVM_INTERCEPT_INIT                                                   \
     | SVM_INTERCEPT_CPUID      /* CPUID policy (hv/exit/cpuid.c) */             \
     | SVM_INTERCEPT_INVD       /* would drop host cache lines */           \
     | SVM_INTERCEPT_RDPMC      /* host counters: #GP, none offered */     \
     | SVM_INTERCEPT_INVLPGA    /* any ASID's TLB entries: #UD */           \
     | SVM_INTERCEPT_IOIO_PROT  /* every port goes to the pio bus */        \
     | SVM_INTERCEPT_MSR_PROT   /* MSR policy, bitmap below */              \
     | SVM_INTERCEPT_RSM                                                    \
     | SVM_INTERCEPT_FERR_FREEZE                                            \
     | SVM_INTERCEPT_SHUTDOWN)  /* triple fault: stop the VM, not the host */
/* Intercept vector 4: the guest sees no SVM, so SVM instructions #UD.
 * The guest's EFER.SVME is forced on (VMRUN needs it), so any SVM
 * instruction not intercepted here would run for real (APM2 15.9
 * "Instruction Intercepts"; INVLPGA in vector 3 above). WBINVD would
 * write back and drop the whole host cache for every VM: done as a
 * no-op. HLT and VMRUN are set in svm_vcpu_init (lab 1). */
#define SVM_MISC2_INTERCEPTS                                                \
    (SVM_INTERCEPT_VMMCALL | SVM_INTERCEPT_VMLOAD | SVM_INTERCEPT_VMSAVE    \
     | SVM_INTERCEPT_STGI | SVM_INTERCEPT_CLGI | SVM_INTERCEPT_SKINIT       \
     | SVM_INTERCEPT_WBINVD                                                 \
     | SVM_INTERCEPT_MONITOR | SVM_INTERCEPT_MWAIT)

/* Per physical CPU (arch/x86/percpu.h): the host save area VMRUN uses
 * (VM_HSAVE_PA) and the VMSAVE area for host-only state (FS/GS/TR...). */
static hpa_t host_save_area[PERCPU_MAX];
static struct vmcb *host_vmcb[PERCPU_MAX];
static uint32_t max_asid;
/* Per physical CPU: the vCPU that last ran there. The ASID is the VM's,
 * shared by its vCPUs, so another vCPU of the same VM on this CPU finds
 * the TLB entries of the first one's address space under the same tag
 * (VMRUN loading another guest CR3 flushes nothing, 15.16): svm_run then
 * flushes the ASID. */
static struct vcpu *last_run[PERCPU_MAX];
struct svm_assists svm_assists;

static int svm_detect(void)
{
    /* Offered, enabled, nested paging: virt_check_svm decides, as boot/
     * did before ExitBootServices for whichever vendor the CPU has. */
    struct virt_facts f;
    virt_facts_read(&f);
    if (!f.svm) {
        log_info("SVM: not offered by this CPU");
        return -ENODEV;
    }
    const char *why = virt_check_svm(&f);
    if (why) {
        log_err("SVM: %s", why);
        return -ENODEV;
    }
    struct cpuid_regs r = cpuid(0x8000000a, 0);
    max_asid = r.ebx;
    svm_assists = svm_assist_select(r.edx);
    log_info("SVM: revision %u, %u ASIDs, nested paging", r.eax & 0xff,
             max_asid);
    log_info("SVM: %s", svm_assist_describe(&svm_assists));
    return 0;
}

static int svm_hw_enable(void)
{
    unsigned cpu = percpu_index();
    hpa_t save = frame_alloc(1, PAGE_SIZE);
    host_vmcb[cpu] = kzalloc(sizeof(struct vmcb));
    if (!save || !host_vmcb[cpu])
        return -ENOMEM;
    host_save_area[cpu] = save;
    memset(hpa_ptr(save), 0, PAGE_SIZE);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    wrmsr(MSR_VM_HSAVE_PA, save);
    return 0;
}

static int svm_vm_init(struct vm *vm)
{
    /* One ASID per VM (ASID 0 is the host's): its TLB entries are tagged
     * and need no flush on a switch between VMs (15.16 "TLB Control"). */
    if (vm->id + 1 >= max_asid)
        return -ENOMEM;
    vm->vendor = (void *)(uintptr_t)(vm->id + 1);
    return 0;
}

/* Clear the read and/or write intercept bit of one MSR in the permission
 * map, as flags (MSR_PASS_*) say (15.11: MSRs 0-1FFF at offset 0,
 * C000_0000-C000_1FFF at 0x800, C001_0000-C001_1FFF at 0x1000; two bits
 * each, read then write). An MSR outside the three ranges always exits. */
static void msrpm_allow(uint8_t *msrpm, uint32_t msr, uint32_t flags)
{
    uint32_t base;
    if (msr < 0x2000)
        base = 0;
    else if (msr - 0xc0000000u < 0x2000)
        base = 0x800, msr -= 0xc0000000u;
    else if (msr - 0xc0010000u < 0x2000)
        base = 0x1000, msr -= 0xc0010000u;
    else
        return;
    uint32_t bit = msr * 2;
    uint32_t clear = (flags & MSR_PASS_READ ? 1u : 0) |
                     (flags & MSR_PASS_WRITE ? 2u : 0);
    msrpm[base + bit / 8] &= (uint8_t)~(clear << (bit % 8));
}

/* PAUSEs before a PAUSE intercept: KVM's default, about 3,000 spins of a
 * lock loop. */
#define PAUSE_FILTER_COUNT 3000

static int svm_vcpu_init(struct vcpu *v)
{
    struct svm_vcpu *s = kzalloc(sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->vmcb = kzalloc(sizeof(struct vmcb));
    hpa_t iopm = frame_alloc(IOPM_PAGES, PAGE_SIZE);
    hpa_t msrpm = frame_alloc(MSRPM_PAGES, PAGE_SIZE);
    if (!s->vmcb || !iopm || !msrpm)
        return -ENOMEM;
    memset(hpa_ptr(iopm), 0xff, IOPM_PAGES * PAGE_SIZE);
    memset(hpa_ptr(msrpm), 0xff, MSRPM_PAGES * PAGE_SIZE);
    for (unsigned i = 0; i < MSR_PASSTHROUGH_COUNT; i++)
        msrpm_allow(hpa_ptr(msrpm), msr_passthrough[i].index,
                    msr_passthrough[i].flags);

    struct vmcb_control *c = &s->vmcb->control;
    c->intercept_misc1 = SVM_MISC1_INTERCEPTS;
    c->intercept_misc2 = SVM_MISC2_INTERCEPTS;
    /* LAB 1 BEGIN: the two intercepts the smallest VMCB needs */
    /* A clear VMRUN intercept bit is an illegal guest state: VMRUN fails
     * with VMEXIT_INVALID (APM2 15.5.1 "Basic Operation", the consistency
     * checks). HLT: idle the vCPU, not the host (15.9 "Instruction
     * Intercepts"). */
    c->intercept_misc2 |= SVM_INTERCEPT_VMRUN;
    c->intercept_misc1 |= SVM_INTERCEPT_HLT;
    /* LAB 1 END */
    /* A vCPU spinning with PAUSE waits for another vCPU of its VM (a lock
     * holder, an IPI's answer) that shares this CPU: exit after
     * PAUSE_FILTER_COUNT of them so the scheduler runs that one (15.14.4
     * "Pause Intercept Filtering"; without the filter feature, as under
     * QEMU TCG, every PAUSE exits). A one-vCPU VM has nobody to wait for,
     * and a pinned vCPU's siblings run on CPUs of their own: exiting would
     * only slow the spin (under TCG, an exit per PAUSE through the
     * hypervisor lock). */
    if (vcpu_shares_cpu(v)) {
        c->intercept_misc1 |= SVM_INTERCEPT_PAUSE;
        c->pause_filter_count = PAUSE_FILTER_COUNT;
    }
    /* #MC in a guest is a host machine check: let Keel see it. */
    c->intercept_exceptions = BIT(VEC_MC);
    c->iopm_base_pa = iopm;
    c->msrpm_base_pa = msrpm;
    c->guest_asid = (uint32_t)(uintptr_t)v->vm->vendor;
    c->tlb_control = SVM_TLB_CONTROL_FLUSH_ASID;
    /* Virtual interrupt masking: the guest's IF masks only virtual
     * interrupts; host interrupts exit (15.21.1). */
    c->v_intr = SVM_V_INTR_MASKING;
    c->np_enable = 1;
    c->n_cr3 = v->vm->npt.root;

    struct vmcb_save *sv = &s->vmcb->save;
    sv->g_pat = PAT_POWER_ON;
    sv->dr6 = 0xffff0ff0;
    sv->dr7 = 0x400;
    v->vendor = s;
    return 0;
}

static void seg_to_vmcb(struct vmcb_seg *d, const struct segment *s)
{
    d->selector = s->selector;
    d->attrib = s->attr;
    d->limit = s->limit;
    d->base = s->base;
}

static void seg_from_vmcb(struct segment *d, const struct vmcb_seg *s)
{
    d->selector = s->selector;
    d->attr = s->attrib;
    d->limit = s->limit;
    d->base = s->base;
}

static void state_to_vmcb(const struct vcpu *v, struct vmcb *vmcb)
{
    const struct vcpu_state *st = &v->state;
    struct vmcb_save *sv = &vmcb->save;
    struct vmcb_seg *segs[SEG_COUNT] = {
        &sv->es, &sv->cs, &sv->ss, &sv->ds, &sv->fs, &sv->gs, &sv->ldtr,
        &sv->tr,
    };
    for (int i = 0; i < SEG_COUNT; i++)
        seg_to_vmcb(segs[i], &st->seg[i]);
    sv->gdtr.base = st->gdtr.base;
    sv->gdtr.limit = st->gdtr.limit;
    sv->idtr.base = st->idtr.base;
    sv->idtr.limit = st->idtr.limit;
    /* CPL is SS.DPL in protected mode, 0 in real mode (15.5.1). */
    sv->cpl = (st->cr0 & CR0_PE) ? SEG_ATTR_DPL(st->seg[SEG_SS].attr) : 0;
    sv->efer = st->efer | EFER_SVME; /* VMRUN requires SVME in the guest */
    sv->cr0 = st->cr0;
    sv->cr2 = st->cr2;
    sv->cr3 = st->cr3;
    sv->cr4 = st->cr4;
    /* With nested paging the guest's PAT is G_PAT (APM2 15.25.8 "Combining
     * Memory Types, MTRRs"); WRMSR to IA32_PAT exits to hv/exit/msr.c. */
    sv->g_pat = st->pat;
    sv->rflags = st->rflags;
    sv->rip = st->rip;
    sv->rsp = st->gpr[GPR_RSP];
    sv->rax = st->gpr[GPR_RAX];
    vmcb->control.interrupt_shadow = st->interrupt_shadow ? 1 : 0;
}

static void state_from_vmcb(struct vcpu *v, const struct vmcb *vmcb)
{
    struct vcpu_state *st = &v->state;
    const struct vmcb_save *sv = &vmcb->save;
    const struct vmcb_seg *segs[SEG_COUNT] = {
        &sv->es, &sv->cs, &sv->ss, &sv->ds, &sv->fs, &sv->gs, &sv->ldtr,
        &sv->tr,
    };
    for (int i = 0; i < SEG_COUNT; i++)
        seg_from_vmcb(&st->seg[i], segs[i]);
    st->gdtr.base = sv->gdtr.base;
    st->gdtr.limit = (uint16_t)sv->gdtr.limit;
    st->idtr.base = sv->idtr.base;
    st->idtr.limit = (uint16_t)sv->idtr.limit;
    st->efer = sv->efer & ~EFER_SVME;
    st->cr0 = sv->cr0;
    st->cr2 = sv->cr2;
    st->cr3 = sv->cr3;
    st->cr4 = sv->cr4;
    st->rflags = sv->rflags;
    st->rip = sv->rip;
    st->gpr[GPR_RSP] = sv->rsp;
    st->gpr[GPR_RAX] = sv->rax;
    st->interrupt_shadow = vmcb->control.interrupt_shadow & 1;
}

/* TSC_AUX is passed through (hv/exit/msr.c) and neither VMRUN nor
 * VMLOAD/VMSAVE switch it (APM2 15.5.1 "Basic Operation", 15.5.2 "VMSAVE
 * and VMLOAD Instructions"), so the CPU's copy is the last vCPU's: swap
 * it when another vCPU enters. Keel itself never reads it. Every CPU
 * with SVM has RDTSCP and so TSC_AUX (K8 revision F onward), and QEMU TCG
 * implements the MSR whatever the CPU model. */
static void svm_load_tsc_aux(struct vcpu *v)
{
    static struct vcpu *aux_of[PERCPU_MAX];  /* whose TSC_AUX each CPU holds */
    struct vcpu **of = &aux_of[percpu_index()];
    if (*of == v)
        return;
    if (*of)
        ((struct svm_vcpu *)(*of)->vendor)->tsc_aux = rdmsr(MSR_TSC_AUX);
    wrmsr(MSR_TSC_AUX, ((struct svm_vcpu *)v->vendor)->tsc_aux);
    *of = v;
}

/* The NMI window on SVM, which has no NMI-window intercept: while an NMI
 * is being handled, intercept IRET; once it was seen, a pending NMI asks
 * for the interrupt window too, which opens right after the IRET when it
 * restores IF=1. If IF is 1 already at the IRET, that window would open
 * before the IRET ran, so the NMI waits for the next exit instead (KVM
 * single-steps the IRET there; Keel does not). */
static void svm_nmi_window(struct vcpu *v, struct vmcb_control *c)
{
    const struct svm_vcpu *s = v->vendor;
    if (v->state.nmi_blocked && !s->iret_seen)
        c->intercept_misc1 |= SVM_INTERCEPT_IRET;
    else
        c->intercept_misc1 &= ~SVM_INTERCEPT_IRET;
    /* Waiting for the IRET with IF=0, or only for the STI shadow (IF=1):
     * the interrupt window opens exactly then. */
    bool if_set = v->state.rflags & RFLAGS_IF;
    if (v->want_nmi_window && ((s->iret_seen && !if_set) ||
                               (!v->state.nmi_blocked && if_set))) {
        c->v_intr |= SVM_V_IRQ | SVM_V_IGN_TPR;
        c->intercept_misc1 |= SVM_INTERCEPT_VINTR;
    }
}

/* After an exit: has the IRET that ends NMI blocking completed? */
static void svm_nmi_after_exit(struct vcpu *v, const struct vmcb *vmcb)
{
    struct svm_vcpu *s = v->vendor;
    if (vmcb->control.exitcode == SVM_EXIT_IRET) {
        s->iret_seen = true;
        s->iret_rip = v->state.rip;
    } else if (s->iret_seen && v->state.rip != s->iret_rip) {
        v->state.nmi_blocked = false;
        s->iret_seen = false;
    }
}

/* QEMU's TCG (the machine without next-RIP save, svm_assist.h) delivers
 * an EVENTINJ external interrupt inside its VMRUN and leaves the vector
 * behind as its CPU's pending exception (QEMU 7.2
 * target/i386/tcg/sysemu/svm_helper.c, helper_vmrun: exception_index is
 * set and never cleared on that path). The next #VMEXIT overwrites it;
 * but if QEMU's CPU loop is asked to stop first (another host CPU's TLB
 * flush or exclusive section, a round-robin switch), it delivers the
 * vector a second time wherever the guest is, whatever RFLAGS.IF says.
 * Linux then takes a timer interrupt inside a spin_lock_irqsave section
 * and deadlocks on that lock, or corrupts what the lock protects: the RCU
 * stalls and soft lockups of pinned SMP guests here. A host interrupt
 * pending at VMRUN makes QEMU take an INTR #VMEXIT right after the
 * delivery, which clears the stale vector: a self-IPI of the kick vector
 * (percpu.h, handled as a kick) costs one exit per injected interrupt. */
static void stale_intr_workaround(void)
{
    lapic_self_ipi(HOST_KICK_VECTOR);
}

static void svm_run(struct vcpu *v, struct vm_exit *exit)
{
    struct svm_vcpu *s = v->vendor;
    struct vmcb *vmcb = s->vmcb;
    struct vmcb_control *c = &vmcb->control;

    svm_load_tsc_aux(v);
    state_to_vmcb(v, vmcb);
    c->tsc_offset = v->tsc_offset;
    if (v->event.valid) {
        /* Delivering an NMI blocks the next one until IRET (APM2 15.20
         * leaves that to the VMM: EVENTINJ does not track it). */
        if (v->event.type == EVENT_NMI) {
            v->state.nmi_blocked = true;
            s->iret_seen = false;
        }
        vmcb->save.dr6 |= v->event.dr6;   /* a #DB trap's DR6 bits */
        if (v->event.type == EVENT_EXT_INT && !svm_assists.nrips)
            stale_intr_workaround();
        c->eventinj = v->event.vector |
                      ((uint64_t)v->event.type << SVM_EVTINJ_TYPE_SHIFT) |
                      (v->event.has_error ? SVM_EVTINJ_EV : 0) |
                      SVM_EVTINJ_V |
                      ((uint64_t)v->event.error_code << 32);
        v->event.valid = false;
    } else {
        c->eventinj = 0;
    }
    /* The interrupt window: a virtual interrupt request (V_IRQ) with the
     * VINTR intercept exits as soon as the guest could take it (15.21.4).
     * V_IGN_TPR: the priority check is the vLAPIC's, not V_TPR's. */
    /* LAB 6 BEGIN: request the interrupt window (V_IRQ + VINTR) */
    if (v->want_intr_window) {
        c->v_intr |= SVM_V_IRQ | SVM_V_IGN_TPR;
        c->intercept_misc1 |= SVM_INTERCEPT_VINTR;
    } else {
        c->v_intr &= ~(SVM_V_IRQ | SVM_V_IGN_TPR);
        c->intercept_misc1 &= ~SVM_INTERCEPT_VINTR;
    }
    /* LAB 6 STUB
    c->v_intr &= ~(SVM_V_IRQ | SVM_V_IGN_TPR);
    c->intercept_misc1 &= ~SVM_INTERCEPT_VINTR;
    */
    /* LAB 6 END */
    svm_nmi_window(v, c);
    unsigned cpu = percpu_index();
    if (last_run[cpu] != v && v->vm->nr_vcpus > 1)
        s->flush = true;
    last_run[cpu] = v;
    if (s->flush) {
        c->tlb_control = SVM_TLB_CONTROL_FLUSH_ASID;
        s->flush = false;
    }

    svm_vmrun(ptr_hpa(vmcb), v->state.gpr, ptr_hpa(host_vmcb[cpu]));

    c->tlb_control = SVM_TLB_CONTROL_DO_NOTHING;
    state_from_vmcb(v, vmcb);
    svm_nmi_after_exit(v, vmcb);
    svm_decode_exit(v, vmcb, exit);
}

static void svm_flush_guest_tlb(struct vcpu *v)
{
    ((struct svm_vcpu *)v->vendor)->flush = true;
}

/* DR7 L0-L3/G0-G3 (APM2 13.1.1.5 "Debug-Control Register (DR7)"). */
static bool svm_breakpoints_armed(const struct vcpu *v)
{
    const struct svm_vcpu *s = v->vendor;
    return s->vmcb->save.dr7 & 0xff;
}

/* svm_run copies the whole VMCB state save area to v->state at every exit
 * (plain memory reads, cheap): nothing is left to fetch. */
static void svm_fetch_state(struct vcpu *v)
{
    (void)v;
}

const struct vendor_ops svm_ops = {
    .name = "SVM",
    .npt_format = &pt_format_npt,
    .detect = svm_detect,
    .hw_enable = svm_hw_enable,
    .vm_init = svm_vm_init,
    .vcpu_init = svm_vcpu_init,
    .run = svm_run,
    .fetch_state = svm_fetch_state,
    .flush_guest_tlb = svm_flush_guest_tlb,
    .dump = svm_dump,
    .breakpoints_armed = svm_breakpoints_armed,
};
