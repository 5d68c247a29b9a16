/* Copying the neutral vcpu_state to the VMCS guest-state area and back,
 * with the segment access-rights conversion, the CR0/CR4 read shadows,
 * event injection and the interrupt-window request.
 * Reference: Intel SDM Volume 3C (Order No. 326019). See: 24.4 "Guest-State
 * Area", 24.6.6 "Guest/Host Masks and Read Shadows for CR0 and CR4",
 * 24.8.3 "VM-Entry Controls for Event Injection", 26.6 "Event Injection". */
#include "arch/x86/cpu.h"
#include "arch/x86/dreg.h"
#include "arch/x86/vmx/vmx.h"
#include "hv/core/vm.h"

/* The VMCS fields of one segment register, in enum seg order. */
static const struct {
    uint32_t sel, base, limit, ar;
} seg_fields[SEG_COUNT] = {
    [SEG_ES] = { VMCS_GUEST_ES_SELECTOR, VMCS_GUEST_ES_BASE,
                 VMCS_GUEST_ES_LIMIT, VMCS_GUEST_ES_ACCESS_RIGHTS },
    [SEG_CS] = { VMCS_GUEST_CS_SELECTOR, VMCS_GUEST_CS_BASE,
                 VMCS_GUEST_CS_LIMIT, VMCS_GUEST_CS_ACCESS_RIGHTS },
    [SEG_SS] = { VMCS_GUEST_SS_SELECTOR, VMCS_GUEST_SS_BASE,
                 VMCS_GUEST_SS_LIMIT, VMCS_GUEST_SS_ACCESS_RIGHTS },
    [SEG_DS] = { VMCS_GUEST_DS_SELECTOR, VMCS_GUEST_DS_BASE,
                 VMCS_GUEST_DS_LIMIT, VMCS_GUEST_DS_ACCESS_RIGHTS },
    [SEG_FS] = { VMCS_GUEST_FS_SELECTOR, VMCS_GUEST_FS_BASE,
                 VMCS_GUEST_FS_LIMIT, VMCS_GUEST_FS_ACCESS_RIGHTS },
    [SEG_GS] = { VMCS_GUEST_GS_SELECTOR, VMCS_GUEST_GS_BASE,
                 VMCS_GUEST_GS_LIMIT, VMCS_GUEST_GS_ACCESS_RIGHTS },
    [SEG_LDTR] = { VMCS_GUEST_LDTR_SELECTOR, VMCS_GUEST_LDTR_BASE,
                   VMCS_GUEST_LDTR_LIMIT, VMCS_GUEST_LDTR_ACCESS_RIGHTS },
    [SEG_TR] = { VMCS_GUEST_TR_SELECTOR, VMCS_GUEST_TR_BASE,
                 VMCS_GUEST_TR_LIMIT, VMCS_GUEST_TR_ACCESS_RIGHTS },
};

/* Neutral packed attributes (arch/x86/vcpu_state.h: descriptor bits 47:40 in
 * 7:0, bits 55:52 in 11:8; 0 = unusable) to VMX access rights (Table 24-2:
 * bits 55:52 in 15:12, 11:8 reserved, bit 16 unusable). */
static uint32_t attr_to_ar(uint16_t attr)
{
    if (attr == 0)
        return VMX_AR_UNUSABLE;
    return (attr & 0xffu) | ((uint32_t)(attr & 0xf00u) << 4);
}

/* And back. An unusable segment becomes 0, whatever else the CPU left in
 * its access rights (26.3.1.2 ignores them then too). */
static uint16_t ar_to_attr(uint32_t ar)
{
    if (ar & VMX_AR_UNUSABLE)
        return 0;
    return (uint16_t)((ar & 0xffu) | ((ar >> 4) & 0xf00u));
}

/* Event types of struct event are the VMX ones (hv/core/vcpu.h); software
 * interrupts and exceptions also need the instruction length, which the
 * CPU adds to RIP for the return address (26.6.1.1). */
static void inject_event(struct vcpu *v)
{
    const struct event *e = &v->event;
    if (!e->valid) {
        vmcs_write(VMCS_VM_ENTRY_INTERRUPTION_INFO, 0);
        return;
    }
    uint32_t info = e->vector | ((uint32_t)e->type << INTR_INFO_TYPE_SHIFT) |
                    INTR_INFO_VALID;
    if (e->has_error && e->type == EVENT_EXCEPTION) {
        info |= INTR_INFO_DELIVER_CODE;
        vmcs_write(VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE, e->error_code);
    }
    if (e->type == EVENT_SOFT_INT || e->type == EVENT_PRIV_SOFT_EXCEPTION ||
        e->type == EVENT_SOFT_EXCEPTION)
        vmcs_write(VMCS_VM_ENTRY_INSTRUCTION_LENGTH,
                   e->insn_len ? e->insn_len : 2);         /* INT imm8 */
    /* A #DB trap's DR6 bits: the VMCS has no DR6, the guest's is in the
     * CPU (vcpu_dreg_load) and injection leaves it alone (26.6.1.1). */
    if (e->dr6)
        dreg_set_dr6_bits(e->dr6);
    vmcs_write(VMCS_VM_ENTRY_INTERRUPTION_INFO, info);
    v->event.valid = false;
}

void vmx_state_to_vmcs(struct vcpu *v)
{
    struct vmx_vcpu *x = v->vendor;
    const struct vcpu_state *st = &v->state;
    const struct vmx_caps *c = &vmx_caps;

    for (int i = 0; i < SEG_COUNT; i++) {
        vmcs_write_named(seg_fields[i].sel, "GUEST_*_SELECTOR",
                         st->seg[i].selector);
        vmcs_write_named(seg_fields[i].base, "GUEST_*_BASE", st->seg[i].base);
        vmcs_write_named(seg_fields[i].limit, "GUEST_*_LIMIT",
                         st->seg[i].limit);
        vmcs_write_named(seg_fields[i].ar, "GUEST_*_ACCESS_RIGHTS",
                         attr_to_ar(st->seg[i].attr));
    }
    vmcs_write(VMCS_GUEST_GDTR_BASE, st->gdtr.base);
    vmcs_write(VMCS_GUEST_GDTR_LIMIT, st->gdtr.limit);
    vmcs_write(VMCS_GUEST_IDTR_BASE, st->idtr.base);
    vmcs_write(VMCS_GUEST_IDTR_LIMIT, st->idtr.limit);

    /* The CPU runs with the fixed bits forced; the guest reads its own
     * values of those bits from the shadows (24.6.6). */
    uint64_t cr0_fixed0 = c->cr0_fixed0 & ~(uint64_t)(CR0_PE | CR0_PG);
    vmcs_write(VMCS_GUEST_CR0, (st->cr0 | cr0_fixed0) & c->cr0_fixed1);
    vmcs_write(VMCS_CR0_READ_SHADOW, st->cr0);
    vmcs_write(VMCS_GUEST_CR4, (st->cr4 | c->cr4_fixed0) & c->cr4_fixed1);
    vmcs_write(VMCS_CR4_READ_SHADOW, st->cr4);
    vmcs_write(VMCS_GUEST_CR3, st->cr3);
    /* CR2 is not in the VMCS: the guest's value stays in the register
     * across entries and exits (27.3.1), and Keel never page-faults. */
    if (r_cr2() != st->cr2)
        w_cr2(st->cr2);
    vmcs_write(VMCS_GUEST_IA32_EFER, st->efer);
    vmcs_write(VMCS_GUEST_IA32_PAT, st->pat);
    vmcs_write(VMCS_GUEST_RSP, st->gpr[GPR_RSP]);
    vmcs_write(VMCS_GUEST_RIP, st->rip);
    vmcs_write(VMCS_GUEST_RFLAGS, st->rflags);
    vmcs_write(VMCS_TSC_OFFSET, v->tsc_offset);

    /* 24.8.1: "IA-32e mode guest" must equal EFER.LMA (26.3.1.1). */
    uint32_t entry = c->entry;
    if (st->efer & EFER_LMA)
        entry |= VM_ENTRY_IA32E_MODE_GUEST;
    if (entry != x->entry) {
        vmcs_write(VMCS_VM_ENTRY_CONTROLS, entry);
        x->entry = entry;
    }

    /* Blocking by STI needs RFLAGS.IF=1 (26.3.1.5), so a shadow with IF=0
     * is expressed as blocking by MOV SS, which blocks the same events.
     * An injected NMI must not meet either (26.3.1.5): Keel's injection
     * point waits for the shadow before NMIs too. */
    uint32_t intr = x->intr_other;
    if (st->interrupt_shadow)
        intr |= (st->rflags & RFLAGS_IF) ? GUEST_INTR_STATE_STI :
                                           GUEST_INTR_STATE_MOV_SS;
    if (st->nmi_blocked)
        intr |= GUEST_INTR_STATE_NMI;   /* virtual-NMI blocking (24.4.2) */
    vmcs_write(VMCS_GUEST_INTERRUPTIBILITY_STATE, intr);

    inject_event(v);

    /* The interrupt window (24.6.2): exit at the first instruction
     * boundary where RFLAGS.IF=1 and nothing blocks interrupts. */
    uint32_t proc = c->proc;
    /* LAB 6 BEGIN: request the interrupt window (interrupt-window exiting) */
    if (v->want_intr_window)
        proc |= CPU_BASED_INTR_WINDOW_EXITING;
    /* LAB 6 STUB
    (void)v->want_intr_window;
    */
    /* LAB 6 END */
    /* The NMI window (24.6.2): exit once virtual-NMI blocking ends. */
    if (v->want_nmi_window)
        proc |= CPU_BASED_NMI_WINDOW_EXITING;
    if (proc != x->proc) {
        vmcs_write(VMCS_PRIMARY_PROC_BASED_VM_EXEC_CONTROL, proc);
        x->proc = proc;
    }
}

void vmx_state_from_vmcs(struct vcpu *v)
{
    struct vmx_vcpu *x = v->vendor;
    struct vcpu_state *st = &v->state;
    const struct vmx_caps *c = &vmx_caps;

    for (int i = 0; i < SEG_COUNT; i++) {
        st->seg[i].selector = (uint16_t)vmcs_read_named(seg_fields[i].sel,
                                                        "GUEST_*_SELECTOR");
        st->seg[i].base = vmcs_read_named(seg_fields[i].base, "GUEST_*_BASE");
        st->seg[i].limit = (uint32_t)vmcs_read_named(seg_fields[i].limit,
                                                     "GUEST_*_LIMIT");
        st->seg[i].attr = ar_to_attr((uint32_t)vmcs_read_named(
            seg_fields[i].ar, "GUEST_*_ACCESS_RIGHTS"));
    }
    st->gdtr.base = vmcs_read(VMCS_GUEST_GDTR_BASE);
    st->gdtr.limit = (uint16_t)vmcs_read(VMCS_GUEST_GDTR_LIMIT);
    st->idtr.base = vmcs_read(VMCS_GUEST_IDTR_BASE);
    st->idtr.limit = (uint16_t)vmcs_read(VMCS_GUEST_IDTR_LIMIT);

    /* Host-owned bits cannot change without an exit, so the guest's view
     * of them is still what st holds. */
    st->cr0 = (vmcs_read(VMCS_GUEST_CR0) & ~c->cr0_host_owned) |
              (st->cr0 & c->cr0_host_owned);
    st->cr4 = (vmcs_read(VMCS_GUEST_CR4) & ~c->cr4_host_owned) |
              (st->cr4 & c->cr4_host_owned);
    st->cr3 = vmcs_read(VMCS_GUEST_CR3);
    st->cr2 = r_cr2();
    st->efer = vmcs_read(VMCS_GUEST_IA32_EFER);
    st->pat = vmcs_read(VMCS_GUEST_IA32_PAT);
    st->gpr[GPR_RSP] = vmcs_read(VMCS_GUEST_RSP);
    st->rip = vmcs_read(VMCS_GUEST_RIP);
    st->rflags = vmcs_read(VMCS_GUEST_RFLAGS);

    uint32_t intr = (uint32_t)vmcs_read(VMCS_GUEST_INTERRUPTIBILITY_STATE);
    st->interrupt_shadow = intr & (GUEST_INTR_STATE_STI |
                                   GUEST_INTR_STATE_MOV_SS);
    st->nmi_blocked = intr & GUEST_INTR_STATE_NMI;
    x->intr_other = intr & ~(uint32_t)(GUEST_INTR_STATE_STI |
                                       GUEST_INTR_STATE_MOV_SS |
                                       GUEST_INTR_STATE_NMI);
}
