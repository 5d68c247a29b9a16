/* Control-register and XCR0 writes the vendor intercepted (hv/exit/exit.h):
 * checked and done as the CPU would. SDM 2A "MOV--Move to/from Control
 * Registers", SDM 2B "XSETBV", SDM 3A 2.5 "Control Registers". */
#include "arch/x86/exception.h"
#include "arch/x86/platform.h"
#include "hv/core/vendor.h"
#include "hv/core/vm.h"
#include "hv/exit/exit.h"

/* CR4 bits a guest may never set: VMXE and SMXE (VMX and SMX are hidden
 * from guests), bit 15 and bits 63:25 (reserved; SDM 3A 2.5). */
#define CR4_GUEST_RESERVED (BIT(13) | BIT(14) | BIT(15) | ~(BIT(25) - 1))

/* MOV to CR0/CR4 that the vendor intercepted because it touches a bit the
 * hardware forces (VMX: CR0.NE, CR4.VMXE; SDM 3C 24.6.6). Done as the CPU
 * would (SDM 2 "MOV--Move to/from Control Registers", SDM 3A 2.5, 9.8.5
 * "Initializing IA-32e Mode"): #GP for invalid values, EFER.LMA follows
 * CR0.PG when EFER.LME is set; the vendor loads the value on entry. The
 * TLBs are flushed, as such a write may change how addresses translate. */
void exit_handle_cr(struct vcpu *v, const struct vm_exit *exit)
{
    struct vcpu_state *s = &v->state;
    if (!exit->cr.write || (exit->cr.cr != 0 && exit->cr.cr != 4) ||
        exit->cr.gpr >= GPR_COUNT) {
        vm_crash(v->vm, "unexpected control-register access exit (CR%u, %s)",
                 exit->cr.cr, exit->cr.write ? "write" : "read");
        return;
    }
    uint64_t val = s->gpr[exit->cr.gpr];
    if (vcpu_state_mode(s) != MODE_LONG64)
        val = (uint32_t)val;
    if (exit->cr.cr == 0) {
        bool pg_on = (val & CR0_PG) && !(s->cr0 & CR0_PG);
        bool pg_off = !(val & CR0_PG) && (s->cr0 & CR0_PG);
        if ((val >> 32) || ((val & CR0_PG) && !(val & CR0_PE)) ||
            ((val & CR0_NW) && !(val & CR0_CD)) ||
            (pg_on && (s->efer & EFER_LME) && !(s->cr4 & CR4_PAE)) ||
            (pg_off && vcpu_state_mode(s) == MODE_LONG64)) {
            vcpu_inject_gp(v);
            return;
        }
        if (pg_on && (s->efer & EFER_LME))
            s->efer |= EFER_LMA;
        if (pg_off)
            s->efer &= ~EFER_LMA;
        s->cr0 = val | CR0_ET;   /* ET is fixed to 1 (SDM 3A 2.5) */
    } else {
        if ((val & CR4_GUEST_RESERVED) ||
            (!(val & CR4_PAE) && (s->efer & EFER_LMA))) {
            vcpu_inject_gp(v);
            return;
        }
        s->cr4 = val;
    }
    if (vcpu_skip_insn(v, exit))
        return;
    vendor->flush_guest_tlb(v);
}

/* XSETBV, which VMX always intercepts (SDM 3C 25.1.2): #UD without
 * CR4.OSXSAVE, #GP at CPL > 0 or for an invalid XCR0 value, else the
 * host loads it (the guest's XCR0 stays loaded while Keel runs). */
void exit_handle_xsetbv(struct vcpu *v, const struct vm_exit *exit)
{
    const struct vcpu_state *s = &v->state;
    uint32_t index = (uint32_t)s->gpr[GPR_RCX];
    uint64_t val = (uint32_t)s->gpr[GPR_RAX] |
                   ((uint64_t)(uint32_t)s->gpr[GPR_RDX] << 32);
    unsigned cpl = (s->cr0 & CR0_PE) ? SEG_ATTR_DPL(s->seg[SEG_SS].attr) : 0;

    if (!(s->cr4 & CR4_OSXSAVE)) {
        vcpu_inject_ud(v);
        return;
    }
    if (cpl != 0 || platform_xsetbv(index, val)) {
        vcpu_inject_gp(v);
        return;
    }
    vcpu_skip_insn(v, exit);
}
