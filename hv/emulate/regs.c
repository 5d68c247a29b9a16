/* General-purpose register access with the x86 width rules, and RIP
 * advance.
 * Reference: Intel SDM Volume 1 (order no. 253665), 3.4.1.1
 * "General-Purpose Registers in 64-Bit Mode". */
#include "hv/emulate/insn.h"

uint64_t emu_reg_read(const struct vcpu_state *st, unsigned reg,
                      unsigned size, bool rex)
{
    /* Without REX, byte registers 4..7 are AH, CH, DH, BH. */
    if (size == 1 && !rex && reg >= 4 && reg < 8)
        return (st->gpr[reg - 4] >> 8) & 0xff;
    return st->gpr[reg] & emu_size_mask(size);
}

void emu_reg_write(struct vcpu_state *st, unsigned reg, unsigned size,
                   bool rex, uint64_t val)
{
    uint64_t *r;

    if (size == 1 && !rex && reg >= 4 && reg < 8) {
        r = &st->gpr[reg - 4];
        *r = (*r & ~0xff00ULL) | ((val & 0xff) << 8);
        return;
    }
    r = &st->gpr[reg];
    if (size == 4)          /* 32-bit results zero-extend (3.4.1.1) */
        *r = val & 0xffffffffULL;
    else if (size == 8)
        *r = val;
    else
        *r = (*r & ~emu_size_mask(size)) | (val & emu_size_mask(size));
}

/* The instruction pointer is IP, EIP or RIP by the code segment's size
 * (SDM 1 3.5 "Instruction Pointer"); it wraps at that width. */
void emu_advance_rip(struct vcpu_state *st, const struct emu_insn *insn)
{
    uint64_t rip = st->rip + insn->len;

    switch (insn->mode) {
    case MODE_LONG64: st->rip = rip; break;
    case MODE_PROT32: st->rip = rip & 0xffffffffULL; break;
    default:          st->rip = rip & 0xffff; break;
    }
}
