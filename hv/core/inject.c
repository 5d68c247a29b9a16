/* Interrupt injection point (hv/core/inject.h). Sources, in priority order: an NMI
 * pending in the vLAPIC, then the highest deliverable vector of the vLAPIC
 * (fed by the vIOAPIC, MSIs and IPIs), then the 8259's INTR when the vLAPIC
 * passes it through (LINT0 in ExtINT mode, or the APIC disabled).
 * References: SDM 3A 6.9 "Priority Among Simultaneous Exceptions and
 * Interrupts", 11.8.3 "Interrupt, Task, and Processor Priority". */
#include "hv/core/inject.h"
#include "hv/core/vcpu.h"
#include "hv/core/vm.h"
#include "hv/dev/pv_eoi.h"
#include "hv/dev/vlapic.h"
#include "hv/dev/vpic.h"
#include "hv/emulate/emulate.h"

#define OPCODE_HLT 0xf4

/* Does the 8259 reach this vCPU? Only the BSP's LINT0 is wired to it. */
static bool pic_reaches(const struct vcpu *v)
{
    return v->id == 0 && v->vm->pic && vlapic_accepts_pic(v->lapic);
}

/* Does a maskable interrupt wait, from the vLAPIC or the 8259? (v has a
 * vLAPIC.) */
static bool maskable_pending(const struct vcpu *v)
{
    return vlapic_pending_vector(v->lapic) >= 0 ||
           (pic_reaches(v) && vpic_pending_vector(v->vm->pic) >= 0);
}

bool inject_pending(const struct vcpu *v)
{
    if (!v->lapic)
        return false;
    /* An NMI wakes HLT whatever RFLAGS.IF says (SDM 2A "HLT"). */
    if (vlapic_nmi_pending(v->lapic) && !v->state.nmi_blocked)
        return true;
    return maskable_pending(v);
}

/* What inject_prepare_entry decides: the event and the windows. */
static void choose_event(struct vcpu *v)
{
    v->want_intr_window = false;
    v->want_nmi_window = false;
    if (!v->lapic || v->event.valid) {
        /* An exception or a re-injection goes first; ask to come back as
         * soon as an interrupt or NMI could follow it. */
        v->want_intr_window = v->event.valid && inject_pending(v);
        v->want_nmi_window = v->lapic && vlapic_nmi_pending(v->lapic);
        return;
    }
    /* NMIs are not masked by RFLAGS.IF, but one being handled blocks the
     * next until its IRET (SDM 3A 6.7.1), and the MOV SS shadow blocks
     * them for one instruction (STI's may, 6.8.3; Keel waits for either):
     * the NMI waits for the NMI window; the LAPIC holds at most one. */
    if (vlapic_nmi_pending(v->lapic)) {
        if (!v->state.nmi_blocked && !v->state.interrupt_shadow) {
            vlapic_take_nmi(v->lapic);
            v->event = (struct event){ .valid = true, .type = EVENT_NMI,
                                       .vector = VEC_NMI };
            return;
        }
        v->want_nmi_window = true;
    }
    /* LAB 6 BEGIN: inject the highest pending vector, or ask for a window */
    int vec = vlapic_pending_vector(v->lapic);
    bool from_pic = false;
    if (vec < 0 && pic_reaches(v)) {
        vec = vpic_pending_vector(v->vm->pic);
        from_pic = vec >= 0;
    }
    if (vec < 0)
        return;
    if (!(v->state.rflags & RFLAGS_IF) || v->state.interrupt_shadow) {
        v->want_intr_window = true;
        return;
    }
    /* The interrupt is taken now: IRR -> ISR (LAPIC) or an INTA cycle
     * (8259), which may return a different vector than it showed. */
    if (from_pic)
        vec = vpic_ack(v->vm->pic);
    else
        vlapic_accept(v->lapic, (uint8_t)vec);
    v->event = (struct event){ .valid = true, .type = EVENT_EXT_INT,
                               .vector = (uint8_t)vec };
    /* LAB 6 END */
}

/* "sti; hlt", the way a guest idles, with an interrupt already waiting
 * behind STI's shadow: the HLT halts and wakes at once, and the interrupt
 * returns to the instruction after it (SDM 2A "HLT", "STI"). Keel retires
 * that HLT here, so choose_event can deliver the interrupt on this entry.
 * It must: QEMU 7.2 TCG's VMRUN drops the VMCB's interrupt shadow
 * (helper_vmrun never reads control.int_state), so the window Keel would
 * ask for opens before the HLT, the interrupt returns onto the HLT and the
 * guest sleeps past its wake-up (a one-shot timer never comes back). On
 * hardware it saves the HLT exit and the window exit. */
static void retire_shadowed_hlt(struct vcpu *v)
{
    if (!v->lapic || v->event.valid || !v->state.interrupt_shadow ||
        !(v->state.rflags & RFLAGS_IF) || !maskable_pending(v))
        return;
    struct emu_ops ops;
    struct emu_result res;
    vcpu_emu_ops(v, &ops);
    if (emulate_insn_length(&v->state, &ops, &res) != 1 ||
        res.bytes[0] != OPCODE_HLT)
        return;
    vcpu_retire_insn(v, 1);   /* ends the shadow; a TF trap goes first */
}

void inject_prepare_entry(struct vcpu *v)
{
    retire_shadowed_hlt(v);
    choose_event(v);
    /* With the vector to inject now in service: may its EOI wait for the
     * next exit (no exit of its own)? */
    if (v->lapic)
        pv_eoi_arm(&v->pv_eoi, &v->vm->mem, v->lapic);
}

void inject_after_exit(struct vcpu *v)
{
    if (v->lapic)
        pv_eoi_sync(&v->pv_eoi, &v->vm->mem, v->lapic);
}
