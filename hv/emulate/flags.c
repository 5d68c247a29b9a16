/* The integer ALU with its status flags (CF, PF, AF, ZF, SF, OF).
 * Reference: Intel SDM Volume 1 (order no. 253665) 3.4.3.1 "Status Flags"
 * and appendix A "EFLAGS Cross-Reference"; Volume 2, "Flags Affected" of
 * ADD, ADC, SUB, SBB, CMP, AND, OR, XOR, TEST, INC, DEC, NEG, NOT.
 * Undefined flags: AF after AND/OR/XOR/TEST is cleared, as Intel and AMD
 * processors (and QEMU, Bochs) commonly leave it. */
#include "hv/emulate/insn.h"

#define STATUS_FLAGS (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | \
                      RFLAGS_SF | RFLAGS_OF)

/* PF: set when the low byte of the result has an even number of 1 bits. */
static bool parity_even(uint64_t v)
{
    uint8_t b = (uint8_t)v;
    b ^= b >> 4;
    b ^= b >> 2;
    b ^= b >> 1;
    return !(b & 1);
}

uint64_t emu_alu(enum alu_op op, uint64_t dst, uint64_t src, unsigned size,
                 uint64_t *rflags)
{
    uint64_t mask = emu_size_mask(size);
    uint64_t msb = 1ULL << (size * 8 - 1);
    uint64_t cin = (*rflags & RFLAGS_CF) ? 1 : 0;
    uint64_t r, f = 0;
    bool cf = false, of = false, af = false, keep_cf = false;

    dst &= mask;
    src &= mask;
    switch (op) {
    case ALU_INC:
        src = 1;
        keep_cf = true;
        /* fall through */
    case ALU_ADD:
        cin = 0;
        /* fall through */
    case ALU_ADC:
        r = (dst + src + cin) & mask;
        cf = cin ? r <= dst : r < dst;
        of = (dst ^ r) & (src ^ r) & msb;
        af = (dst ^ src ^ r) & 0x10;
        break;
    case ALU_NEG:
    case ALU_DEC:
        /* NEG is 0 - dst (SDM 2 NEG: CF = 1 unless the source is 0). */
        if (op == ALU_NEG) {
            src = dst;
            dst = 0;
        } else {
            src = 1;
            keep_cf = true;
        }
        /* fall through */
    case ALU_SUB:
    case ALU_CMP:
        cin = 0;
        /* fall through */
    case ALU_SBB:
        r = (dst - src - cin) & mask;
        cf = cin ? dst <= src : dst < src;
        of = (dst ^ src) & (dst ^ r) & msb;
        af = (dst ^ src ^ r) & 0x10;
        break;
    case ALU_AND:
    case ALU_TEST:
        r = dst & src;
        break;
    case ALU_OR:
        r = dst | src;
        break;
    case ALU_XOR:
        r = dst ^ src;
        break;
    case ALU_NOT:
        return ~dst & mask;    /* NOT changes no flag */
    default:
        return dst;
    }

    if (keep_cf)
        f |= *rflags & RFLAGS_CF;
    else if (cf)
        f |= RFLAGS_CF;
    if (of)
        f |= RFLAGS_OF;
    if (af)
        f |= RFLAGS_AF;
    if (r & msb)
        f |= RFLAGS_SF;
    if (r == 0)
        f |= RFLAGS_ZF;
    if (parity_even(r))
        f |= RFLAGS_PF;
    *rflags = (*rflags & ~STATUS_FLAGS) | f;
    return r;
}

bool emu_cond(unsigned cc, uint64_t rflags)
{
    bool cf = rflags & RFLAGS_CF, zf = rflags & RFLAGS_ZF;
    bool sf = rflags & RFLAGS_SF, of = rflags & RFLAGS_OF;
    bool r;

    switch ((cc >> 1) & 7) {
    case 0:  r = of; break;                    /* O */
    case 1:  r = cf; break;                    /* B, C, NAE */
    case 2:  r = zf; break;                    /* E, Z */
    case 3:  r = cf || zf; break;              /* BE, NA */
    case 4:  r = sf; break;                    /* S */
    case 5:  r = rflags & RFLAGS_PF; break;    /* P, PE */
    case 6:  r = sf != of; break;              /* L, NGE */
    default: r = zf || sf != of; break;        /* LE, NG */
    }
    return (cc & 1) ? !r : r;
}
