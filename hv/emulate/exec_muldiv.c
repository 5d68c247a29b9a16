/* Multiplication and division with a memory (or register) operand: MUL,
 * IMUL in its one-, two- and three-operand forms, DIV and IDIV.
 * Reference: Intel SDM Volume 2 (order no. 325383), "MUL - Unsigned
 * Multiply", "IMUL - Signed Multiply", "DIV - Unsigned Divide", "IDIV -
 * Signed Divide"; AMD APM Volume 3 (rev. 3.35) under the same names.
 * Flags: MUL/IMUL define only CF and OF (set when the product does not fit
 * the destination); SF, ZF, AF, PF are undefined and left unchanged here.
 * DIV/IDIV define no flag; here CF and OF are left unchanged, AF is set and
 * SF, ZF, PF are cleared. Both choices are what AMD Zen processors do (the
 * unit test checks them beside the host CPU); Intel processors differ, and
 * software cannot rely on either (SDM: "undefined"). The hypervisor has no
 * 128-bit arithmetic from a library, so the wide product and quotient are
 * computed here from 64-bit halves. */
#include "hv/emulate/insn.h"
#include "lib/errno.h"

/* Undefined flags after DIV/IDIV (see the file comment). */
#define DIV_FLAGS_CLEARED (RFLAGS_SF | RFLAGS_ZF | RFLAGS_PF)
#define DIV_FLAGS_SET     RFLAGS_AF

/* A 128-bit value as two halves. */
struct u128 {
    uint64_t hi, lo;
};

/* a * b as an unsigned 128-bit product. */
static struct u128 umul128(uint64_t a, uint64_t b)
{
    uint64_t al = (uint32_t)a, ah = a >> 32, bl = (uint32_t)b, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;

    return (struct u128){
        .hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32),
        .lo = (mid << 32) | (uint32_t)ll,
    };
}

/* a * b with a and b taken as signed 64-bit values: the unsigned product
 * corrected by the two's-complement weights of the sign bits. */
static struct u128 smul128(uint64_t a, uint64_t b)
{
    struct u128 p = umul128(a, b);

    if ((int64_t)a < 0)
        p.hi -= b;
    if ((int64_t)b < 0)
        p.hi -= a;
    return p;
}

static struct u128 neg128(struct u128 v)
{
    v.lo = ~v.lo + 1;
    v.hi = ~v.hi + (v.lo == 0);
    return v;
}

/* (n.hi:n.lo) / d for n.hi < d (so the quotient fits 64 bits), by
 * shift-and-subtract one quotient bit at a time. */
static uint64_t udiv128(struct u128 n, uint64_t d, uint64_t *rem)
{
    for (int i = 0; i < 64; i++) {
        uint64_t carry = n.hi >> 63;
        n.hi = (n.hi << 1) | (n.lo >> 63);
        n.lo <<= 1;
        if (carry || n.hi >= d) {
            n.hi -= d;
            n.lo |= 1;
        }
    }
    *rem = n.hi;
    return n.lo;
}

/* Divide the 2*size-byte dividend n (sign- or zero-extended to 128 bits)
 * by the size-byte divisor d (extended to 64 bits). The quotient truncates
 * toward zero and the remainder takes the dividend's sign (SDM 2 IDIV).
 * Returns 0 with *q and *r (not yet masked to size), or -ERANGE when the
 * divisor is 0 or the quotient does not fit `size` bytes: #DE. */
static int divide(bool sign, unsigned size, struct u128 n, uint64_t d,
                  uint64_t *q, uint64_t *r)
{
    bool neg_n = sign && (int64_t)n.hi < 0;
    bool neg_d = sign && (int64_t)d < 0;
    uint64_t limit = emu_size_mask(size), uq, ur;

    if (neg_n)
        n = neg128(n);
    if (neg_d)
        d = ~d + 1;
    if (d == 0 || n.hi >= d)
        return -ERANGE;
    uq = udiv128(n, d, &ur);
    if (sign)   /* the most negative quotient fits, its negation does not */
        limit = (limit >> 1) + (neg_n != neg_d);
    if (uq > limit)
        return -ERANGE;
    *q = neg_n != neg_d ? ~uq + 1 : uq;
    *r = neg_n ? ~ur + 1 : ur;
    return 0;
}

/* The product of two size-byte values (already extended to 64 bits):
 * *lo and *hi are its low and high size-byte halves; returns CF/OF, set
 * when the product does not fit size bytes (for IMUL: differs from the
 * sign extension of its low half). */
static bool multiply(bool sign, unsigned size, uint64_t a, uint64_t b,
                     uint64_t *lo, uint64_t *hi)
{
    struct u128 p = sign ? smul128(a, b) : umul128(a, b);
    uint64_t mask = emu_size_mask(size);

    *lo = p.lo & mask;
    if (size == 8) {
        *hi = p.hi;
        return sign ? p.hi != (uint64_t)((int64_t)p.lo >> 63) : p.hi != 0;
    }
    /* Both factors fit 32 bits: the whole product is in p.lo. */
    *hi = (p.lo >> (size * 8)) & mask;
    return sign ? (uint64_t)emu_sext(p.lo, size) != p.lo
                : (p.lo >> (size * 8)) != 0;
}

static void set_mul_flags(struct vcpu_state *st, bool overflow)
{
    st->rflags &= ~(RFLAGS_CF | RFLAGS_OF);
    if (overflow)
        st->rflags |= RFLAGS_CF | RFLAGS_OF;
}

static uint64_t extend(bool sign, uint64_t v, unsigned size)
{
    return sign ? (uint64_t)emu_sext(v, size) : v & emu_size_mask(size);
}

/* F6/F7 /4 MUL, /5 IMUL: rDX:rAX (AX for bytes) = rAX * r/m. */
static enum emu_status mul_acc(const struct emu_ctx *x, unsigned size,
                               bool sign, uint64_t src)
{
    struct vcpu_state *st = x->st;
    uint64_t a = extend(sign, st->gpr[GPR_RAX], size), lo, hi;
    bool ovf = multiply(sign, size, a, extend(sign, src, size), &lo, &hi);

    if (size == 1) {
        emu_reg_write(st, GPR_RAX, 2, true, hi << 8 | lo);
    } else {
        emu_reg_write(st, GPR_RAX, size, true, lo);
        emu_reg_write(st, GPR_RDX, size, true, hi);
    }
    set_mul_flags(st, ovf);
    emu_advance_rip(st, x->in);
    return EMU_OK;
}

/* F6/F7 /6 DIV, /7 IDIV: rAX = rDX:rAX / r/m, rDX = the remainder (for
 * bytes AL = AX / r/m8, AH = the remainder). #DE leaves every register as
 * it was (a fault). */
static enum emu_status div_acc(const struct emu_ctx *x, unsigned size,
                               bool sign, uint64_t src)
{
    struct vcpu_state *st = x->st;
    uint64_t q, r, nlo;
    struct u128 n;

    if (size == 1) {
        nlo = st->gpr[GPR_RAX] & 0xffff;
        n.lo = sign ? (uint64_t)emu_sext(nlo, 2) : nlo;
    } else if (size < 8) {
        nlo = (st->gpr[GPR_RDX] & emu_size_mask(size)) << (size * 8) |
              (st->gpr[GPR_RAX] & emu_size_mask(size));
        n.lo = sign ? (uint64_t)emu_sext(nlo, size * 2) : nlo;
    } else {
        n.lo = st->gpr[GPR_RAX];
    }
    n.hi = size == 8 ? st->gpr[GPR_RDX] :
           (sign && (int64_t)n.lo < 0) ? ~0ULL : 0;
    if (divide(sign, size, n, extend(sign, src, size), &q, &r)) {
        emu_set_fault(x->res, VEC_DE, false, 0, 0);
        return EMU_FAULT;
    }
    if (size == 1) {
        emu_reg_write(st, GPR_RAX, 2, true, (r & 0xff) << 8 | (q & 0xff));
    } else {
        emu_reg_write(st, GPR_RAX, size, true, q);
        emu_reg_write(st, GPR_RDX, size, true, r);
    }
    st->rflags = (st->rflags & ~DIV_FLAGS_CLEARED) | DIV_FLAGS_SET;
    emu_advance_rip(st, x->in);
    return EMU_OK;
}

enum emu_status emu_exec_muldiv(const struct emu_ctx *x)
{
    const struct emu_insn *in = x->in;
    unsigned sub = in->reg & 7;
    unsigned size = (in->opcode & 1) ? in->opsize : 1;
    struct emu_operand rm;
    uint64_t v;
    int err;

    if ((err = emu_op_rm(x, size, EMU_ACC_READ, &rm)) ||
        (err = emu_op_read(x, &rm, false, &v)))
        return emu_status_of(x, err);
    if (sub < 6)
        return mul_acc(x, size, sub == 5, v);
    return div_acc(x, size, sub == 7, v);
}

/* 0F AF IMUL Gv,Ev; 69 IMUL Gv,Ev,Iz; 6B IMUL Gv,Ev,Ib: the product of
 * two operand-size values truncated to the destination register. */
enum emu_status emu_exec_imul(const struct emu_ctx *x)
{
    const struct emu_insn *in = x->in;
    unsigned size = in->opsize;
    struct emu_operand rm, r;
    uint64_t a, b, lo, hi;
    bool ovf;
    int err;

    emu_op_reg(x, size, &r);
    if ((err = emu_op_rm(x, size, EMU_ACC_READ, &rm)) ||
        (err = emu_op_read(x, &rm, false, &a)))
        return emu_status_of(x, err);
    if (in->map == MAP_0F)
        emu_op_read(x, &r, false, &b);
    else
        b = in->imm;    /* already sign-extended by the decoder */
    ovf = multiply(true, size, (uint64_t)emu_sext(a, size),
                   (uint64_t)emu_sext(b, size), &lo, &hi);
    emu_op_write(x, &r, lo);
    set_mul_flags(x->st, ovf);
    emu_advance_rip(x->st, in);
    return EMU_OK;
}
