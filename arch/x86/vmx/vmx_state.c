/* Copying the neutral vcpu_state to the VMCS guest-state area and back,
 * with the segment access-rights conversion, the CR0/CR4 read shadows,
 * event injection and the interrupt-window request.
 *
 * Not every field on every exit (KVM's regs_avail/regs_dirty): an exit
 * reads the eager fields (RIP, RSP, RFLAGS, the interruptibility state,
 * CR0/CR3/CR4, EFER, PAT, CS and SS), which every handler, the run loop
 * and the monitor may use; the lazy group (the other segments, GDTR and
 * IDTR) is read by vmx_state_fetch, for every exit but the few whose
 * handlers never look at it, and by the emulator's way in. An entry
 * writes a field only where v->state differs from what the VMCS holds
 * (struct vmx_vcpu's cache): a handler that changed RIP costs one VMWRITE.
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
 * CPU adds to RIP for the return address (26.6.1.1). Without an event
 * nothing is written: "VM exits clear the valid bit (bit 31) in the
 * VM-entry interruption-information field" (24.8.3), and Keel writes it
 * only right before an entry. */
static void inject_event(struct vcpu *v)
{
    const struct event *e = &v->event;
    if (!e->valid)
        return;
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

/* Write field if val differs from *held, what the VMCS holds, or if all;
 * *held follows. */
static void put(uint32_t field, const char *name, uint64_t val,
                uint64_t *held, bool all)
{
    if (all || val != *held) {
        vmcs_write_named(field, name, val);
        *held = val;
    }
}

/* The same for the four fields of segment i. */
static void put_seg(int i, const struct segment *s, struct segment *held,
                    bool all)
{
    if (all || s->selector != held->selector)
        vmcs_write_named(seg_fields[i].sel, "GUEST_*_SELECTOR", s->selector);
    if (all || s->base != held->base)
        vmcs_write_named(seg_fields[i].base, "GUEST_*_BASE", s->base);
    if (all || s->limit != held->limit)
        vmcs_write_named(seg_fields[i].limit, "GUEST_*_LIMIT", s->limit);
    if (all || s->attr != held->attr)
        vmcs_write_named(seg_fields[i].ar, "GUEST_*_ACCESS_RIGHTS",
                         attr_to_ar(s->attr));
    *held = *s;
}

/* And for GDTR or IDTR (base and limit fields). */
static void put_dtable(uint32_t base, uint32_t limit, const struct dtable *d,
                       struct dtable *held, bool all)
{
    if (all || d->base != held->base)
        vmcs_write_named(base, "GUEST_*DTR_BASE", d->base);
    if (all || d->limit != held->limit)
        vmcs_write_named(limit, "GUEST_*DTR_LIMIT", d->limit);
    *held = *d;
}

static bool is_lazy_seg(int i)
{
    return i != SEG_CS && i != SEG_SS;
}

void vmx_state_to_vmcs(struct vcpu *v)
{
    struct vmx_vcpu *x = v->vendor;
    const struct vcpu_state *st = &v->state;
    struct vcpu_state *held = &x->cache;
    const struct vmx_caps *c = &vmx_caps;
    /* The first entry, or the core set the whole state (reset, INIT):
     * every field. */
    bool all = !x->cache_valid || v->state_replaced;

    /* The lazy group only if it was read: the core writes it only after
     * vmx_state_fetch (the emulator) or as a whole (state_replaced). */
    for (int i = 0; i < SEG_COUNT; i++)
        if (all || x->lazy_valid || !is_lazy_seg(i))
            put_seg(i, &st->seg[i], &held->seg[i], all);
    if (all || x->lazy_valid) {
        put_dtable(VMCS_GUEST_GDTR_BASE, VMCS_GUEST_GDTR_LIMIT, &st->gdtr,
                   &held->gdtr, all);
        put_dtable(VMCS_GUEST_IDTR_BASE, VMCS_GUEST_IDTR_LIMIT, &st->idtr,
                   &held->idtr, all);
    }

    /* The CPU runs with the fixed bits forced; the guest reads its own
     * values of those bits from the shadows (24.6.6). */
    if (all || st->cr0 != held->cr0) {
        uint64_t cr0_fixed0 = c->cr0_fixed0 & ~(uint64_t)(CR0_PE | CR0_PG);
        vmcs_write(VMCS_GUEST_CR0, (st->cr0 | cr0_fixed0) & c->cr0_fixed1);
        vmcs_write(VMCS_CR0_READ_SHADOW, st->cr0);
        held->cr0 = st->cr0;
    }
    if (all || st->cr4 != held->cr4) {
        vmcs_write(VMCS_GUEST_CR4, (st->cr4 | c->cr4_fixed0) & c->cr4_fixed1);
        vmcs_write(VMCS_CR4_READ_SHADOW, st->cr4);
        held->cr4 = st->cr4;
    }
    put(VMCS_GUEST_CR3, "VMCS_GUEST_CR3", st->cr3, &held->cr3, all);
    /* CR2 is not in the VMCS: the guest's value stays in the register
     * across entries and exits (27.3.1), and Keel never page-faults. */
    if (r_cr2() != st->cr2)
        w_cr2(st->cr2);
    put(VMCS_GUEST_IA32_EFER, "VMCS_GUEST_IA32_EFER", st->efer, &held->efer,
        all);
    put(VMCS_GUEST_IA32_PAT, "VMCS_GUEST_IA32_PAT", st->pat, &held->pat, all);
    put(VMCS_GUEST_RSP, "VMCS_GUEST_RSP", st->gpr[GPR_RSP],
        &held->gpr[GPR_RSP], all);
    put(VMCS_GUEST_RIP, "VMCS_GUEST_RIP", st->rip, &held->rip, all);
    put(VMCS_GUEST_RFLAGS, "VMCS_GUEST_RFLAGS", st->rflags, &held->rflags,
        all);
    put(VMCS_TSC_OFFSET, "VMCS_TSC_OFFSET", v->tsc_offset, &x->tsc_offset,
        all);

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
    uint64_t intr = x->intr_other;
    if (st->interrupt_shadow)
        intr |= (st->rflags & RFLAGS_IF) ? GUEST_INTR_STATE_STI :
                                           GUEST_INTR_STATE_MOV_SS;
    if (st->nmi_blocked)
        intr |= GUEST_INTR_STATE_NMI;   /* virtual-NMI blocking (24.4.2) */
    put(VMCS_GUEST_INTERRUPTIBILITY_STATE, "VMCS_GUEST_INTERRUPTIBILITY_STATE",
        intr, &x->intr_state, all);

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
    if (all)
        x->lazy_valid = true; /* v->state and the VMCS agree on all */
    x->cache_valid = true;
    v->state_replaced = false;
}

/* Read segment i into *s. */
static void get_seg(int i, struct segment *s)
{
    s->selector = (uint16_t)vmcs_read_named(seg_fields[i].sel,
                                            "GUEST_*_SELECTOR");
    s->base = vmcs_read_named(seg_fields[i].base, "GUEST_*_BASE");
    s->limit = (uint32_t)vmcs_read_named(seg_fields[i].limit,
                                         "GUEST_*_LIMIT");
    s->attr = ar_to_attr((uint32_t)vmcs_read_named(seg_fields[i].ar,
                                                   "GUEST_*_ACCESS_RIGHTS"));
}

void vmx_state_from_vmcs(struct vcpu *v)
{
    struct vmx_vcpu *x = v->vendor;
    struct vcpu_state *st = &v->state;
    struct vcpu_state *held = &x->cache;
    const struct vmx_caps *c = &vmx_caps;

    get_seg(SEG_CS, &st->seg[SEG_CS]);
    get_seg(SEG_SS, &st->seg[SEG_SS]);
    held->seg[SEG_CS] = st->seg[SEG_CS];
    held->seg[SEG_SS] = st->seg[SEG_SS];

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
    held->cr0 = st->cr0;
    held->cr4 = st->cr4;
    held->cr3 = st->cr3;
    held->efer = st->efer;
    held->pat = st->pat;
    held->gpr[GPR_RSP] = st->gpr[GPR_RSP];
    held->rip = st->rip;
    held->rflags = st->rflags;

    uint32_t intr = (uint32_t)vmcs_read(VMCS_GUEST_INTERRUPTIBILITY_STATE);
    x->intr_state = intr;
    st->interrupt_shadow = intr & (GUEST_INTR_STATE_STI |
                                   GUEST_INTR_STATE_MOV_SS);
    st->nmi_blocked = intr & GUEST_INTR_STATE_NMI;
    x->intr_other = intr & ~(uint32_t)(GUEST_INTR_STATE_STI |
                                       GUEST_INTR_STATE_MOV_SS |
                                       GUEST_INTR_STATE_NMI);
    x->lazy_valid = false;
}

void vmx_state_fetch(struct vcpu *v)
{
    struct vmx_vcpu *x = v->vendor;
    struct vcpu_state *st = &v->state;

    if (x->lazy_valid)
        return;
    /* The monitor may ask for a vCPU whose VMCS is not current here:
     * another vCPU's on this CPU (then load it), or one active on another
     * CPU or not run yet (then v->state as of its last fetch is all there
     * is). */
    if (!vmx_is_here(v))
        return;
    vmx_make_current(v);
    for (int i = 0; i < SEG_COUNT; i++) {
        if (is_lazy_seg(i)) {
            get_seg(i, &st->seg[i]);
            x->cache.seg[i] = st->seg[i];
        }
    }
    st->gdtr.base = vmcs_read(VMCS_GUEST_GDTR_BASE);
    st->gdtr.limit = (uint16_t)vmcs_read(VMCS_GUEST_GDTR_LIMIT);
    st->idtr.base = vmcs_read(VMCS_GUEST_IDTR_BASE);
    st->idtr.limit = (uint16_t)vmcs_read(VMCS_GUEST_IDTR_LIMIT);
    x->cache.gdtr = st->gdtr;
    x->cache.idtr = st->idtr;
    x->lazy_valid = true;
}
