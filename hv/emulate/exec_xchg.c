/* The exchanging read-modify-write instructions beyond XCHG: CMPXCHG and
 * XADD, with or without LOCK (a locked access to a device page is one
 * read followed by one write here; the vCPU is stopped in the exit, so no
 * other access of this vCPU can come between them).
 * Reference: Intel SDM Volume 2 (order no. 325383), "CMPXCHG - Compare and
 * Exchange", "XADD - Exchange and Add". */
#include "hv/emulate/insn.h"
#include "lib/errno.h"

/* 0F B0/B1 CMPXCHG Eb,Gb / Ev,Gv. Flags as CMP rAX, r/m. SDM 2 CMPXCHG:
 * "the destination operand receives a write cycle without regard to the
 * result of the comparison. The destination operand is written back if the
 * comparison fails; otherwise, the source operand is written into the
 * destination." A device therefore sees the write either way, as it would
 * from the CPU; on failure rAX receives the value read. */
enum emu_status emu_exec_cmpxchg(const struct emu_ctx *x)
{
    const struct emu_insn *in = x->in;
    unsigned size = (in->opcode & 1) ? in->opsize : 1;
    struct emu_operand dst, src;
    uint64_t d, s, acc, fl = x->st->rflags;
    bool equal;
    int err;

    if ((err = emu_op_rm(x, size, EMU_ACC_WRITE, &dst)) ||
        (err = emu_op_read(x, &dst, true, &d)))
        return emu_status_of(x, err);
    emu_op_reg(x, size, &src);
    emu_op_read(x, &src, false, &s);
    acc = emu_reg_read(x->st, GPR_RAX, size, true);
    emu_alu(ALU_CMP, acc, d, size, &fl);
    equal = fl & RFLAGS_ZF;
    if ((err = emu_op_write(x, &dst, equal ? s : d)))
        return emu_status_of(x, err);
    /* A 32-bit CMPXCHG that fails writes EAX, zero-extending RAX; one that
     * succeeds leaves RAX alone (SDM 2 CMPXCHG, 64-bit mode note). */
    if (!equal)
        emu_reg_write(x->st, GPR_RAX, size, true, d);
    x->st->rflags = fl;
    emu_advance_rip(x->st, in);
    return EMU_OK;
}

/* 0F C0/C1 XADD Eb,Gb / Ev,Gv: r/m = r/m + reg, reg = the old r/m; flags
 * of the ADD. The memory write comes first so a fault changes nothing. */
enum emu_status emu_exec_xadd(const struct emu_ctx *x)
{
    const struct emu_insn *in = x->in;
    unsigned size = (in->opcode & 1) ? in->opsize : 1;
    struct emu_operand dst, src;
    uint64_t d, s, sum, fl = x->st->rflags;
    int err;

    if ((err = emu_op_rm(x, size, EMU_ACC_WRITE, &dst)) ||
        (err = emu_op_read(x, &dst, true, &d)))
        return emu_status_of(x, err);
    emu_op_reg(x, size, &src);
    emu_op_read(x, &src, false, &s);
    sum = emu_alu(ALU_ADD, d, s, size, &fl);
    /* SDM 2 XADD: "TEMP := SRC + DEST; SRC := DEST; DEST := TEMP", so
     * with the same register twice the sum wins; a memory destination is
     * written first so that a fault leaves the register as it was. */
    if (dst.mem && (err = emu_op_write(x, &dst, sum)))
        return emu_status_of(x, err);
    emu_op_write(x, &src, d);
    if (!dst.mem)
        emu_op_write(x, &dst, sum);
    x->st->rflags = fl;
    emu_advance_rip(x->st, in);
    return EMU_OK;
}
