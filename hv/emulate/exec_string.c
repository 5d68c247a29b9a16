/* String instructions MOVS, CMPS, STOS, LODS, SCAS and the string I/O
 * instructions INS, OUTS, with and without REP/REPE/REPNE.
 * Reference: Intel SDM Volume 2 (order no. 325383), "MOVS", "CMPS",
 * "STOS", "LODS", "SCAS", "INS", "OUTS", "REP/REPE/REPZ/REPNE/REPNZ";
 * Volume 1 7.3.9 "String Operations", 19.5.2 "String I/O Instructions".
 * A REP string instruction is interruptible between iterations: the CPU
 * updates rCX, rSI, rDI after each one and leaves RIP at the instruction
 * until the count reaches zero (or, for CMPS/SCAS, ZF ends it). The
 * emulator does the same and stops after EMU_STRING_BATCH iterations (RIP
 * unchanged), so a long REP STOS to a device costs several exits but never
 * stalls the hypervisor. */
#include "hv/emulate/insn.h"
#include "lib/errno.h"

/* rSI/rDI/rCX are used and updated at the address size; a 32-bit update
 * in 64-bit mode zero-extends like any 32-bit register write. */
static uint64_t areg(const struct emu_ctx *x, unsigned r)
{
    return x->st->gpr[r] & emu_size_mask(x->in->addrsize);
}

static void areg_add(const struct emu_ctx *x, unsigned r, int64_t step)
{
    emu_reg_write(x->st, r, x->in->addrsize, true,
                  areg(x, r) + (uint64_t)step);
}

/* The source DS:rSI (segment overridable) and destination ES:rDI (never
 * overridable) operands of one iteration (SDM 1 7.3.9.1). */
static int src_op(const struct emu_ctx *x, unsigned size,
                  struct emu_operand *op)
{
    int seg = x->in->seg_override >= 0 ? x->in->seg_override : SEG_DS;
    return emu_op_mem(x, seg, areg(x, GPR_RSI), size, EMU_ACC_READ, op);
}

static int dst_op(const struct emu_ctx *x, unsigned size, enum emu_access acc,
                  struct emu_operand *op)
{
    return emu_op_mem(x, SEG_ES, areg(x, GPR_RDI), size, acc, op);
}

/* One iteration. Registers and flags change only after the memory
 * accesses, so a fault leaves the state of the completed iterations. */
static int string_step(const struct emu_ctx *x, unsigned size, int64_t step)
{
    uint16_t port = (uint16_t)x->st->gpr[GPR_RDX];
    struct emu_operand src, dst;
    uint64_t a, b;
    uint32_t io;
    int err;

    switch (x->in->opcode) {
    case 0xa4: case 0xa5:                       /* MOVS ES:rDI <- DS:rSI */
        if ((err = src_op(x, size, &src)) ||
            (err = dst_op(x, size, EMU_ACC_WRITE, &dst)) ||
            (err = emu_op_read(x, &src, false, &a)) ||
            (err = emu_op_write(x, &dst, a)))
            return err;
        areg_add(x, GPR_RSI, step);
        areg_add(x, GPR_RDI, step);
        return 0;
    case 0xa6: case 0xa7:                       /* CMPS DS:rSI - ES:rDI */
        if ((err = src_op(x, size, &src)) ||
            (err = dst_op(x, size, EMU_ACC_READ, &dst)) ||
            (err = emu_op_read(x, &src, false, &a)) ||
            (err = emu_op_read(x, &dst, false, &b)))
            return err;
        emu_alu(ALU_CMP, a, b, size, &x->st->rflags);
        areg_add(x, GPR_RSI, step);
        areg_add(x, GPR_RDI, step);
        return 0;
    case 0xaa: case 0xab:                       /* STOS ES:rDI <- rAX */
        if ((err = dst_op(x, size, EMU_ACC_WRITE, &dst)) ||
            (err = emu_op_write(x, &dst, x->st->gpr[GPR_RAX])))
            return err;
        areg_add(x, GPR_RDI, step);
        return 0;
    case 0xac: case 0xad:                       /* LODS rAX <- DS:rSI */
        if ((err = src_op(x, size, &src)) ||
            (err = emu_op_read(x, &src, false, &a)))
            return err;
        emu_reg_write(x->st, GPR_RAX, size, true, a);
        areg_add(x, GPR_RSI, step);
        return 0;
    case 0x6c: case 0x6d:                       /* INS ES:rDI <- port DX */
        /* The destination is checked before the port is read, so a #PF
         * does not swallow a byte of the device's FIFO. */
        if ((err = dst_op(x, size, EMU_ACC_WRITE, &dst)) ||
            (err = emu_mem_check(x->st, x->ops, dst.la, size, EMU_ACC_WRITE,
                                 x->res)))
            return err;
        if (x->ops->pio_read(x->ops->ctx, port, size, &io))
            return -EIO;
        if ((err = emu_op_write(x, &dst, io)))
            return err;
        areg_add(x, GPR_RDI, step);
        return 0;
    case 0x6e: case 0x6f:                       /* OUTS port DX <- DS:rSI */
        if ((err = src_op(x, size, &src)) ||
            (err = emu_op_read(x, &src, false, &a)))
            return err;
        if (x->ops->pio_write(x->ops->ctx, port, size, (uint32_t)a))
            return -EIO;
        areg_add(x, GPR_RSI, step);
        return 0;
    default:                                    /* SCAS rAX - ES:rDI */
        if ((err = dst_op(x, size, EMU_ACC_READ, &dst)) ||
            (err = emu_op_read(x, &dst, false, &b)))
            return err;
        emu_alu(ALU_CMP, x->st->gpr[GPR_RAX], b, size, &x->st->rflags);
        areg_add(x, GPR_RDI, step);
        return 0;
    }
}

enum emu_status emu_exec_string(const struct emu_ctx *x)
{
    const struct emu_insn *in = x->in;
    /* INS/OUTS move 1, 2 or 4 bytes: REX.W does not make them 8 (SDM 2
     * INS: "64-bit mode ... operand size 64 is not encodable"). */
    unsigned size = !(in->opcode & 1) ? 1 :
                    (in->opcode < 0x70 && in->opsize == 8) ? 4 : in->opsize;
    int64_t step = (x->st->rflags & RFLAGS_DF) ? -(int64_t)size : size;
    /* CMPS and SCAS also end on ZF: REPE (F3) while equal, REPNE (F2)
     * while not; the last of F2/F3 decides. On MOVS/STOS/LODS, F2 repeats
     * like F3. */
    bool compares = in->opcode == 0xa6 || in->opcode == 0xa7 ||
                    in->opcode == 0xae || in->opcode == 0xaf;
    bool rep = in->p_rep || in->p_repne;
    int err;

    if (!rep) {
        if ((err = string_step(x, size, step)))
            return emu_status_of(x, err);
        emu_advance_rip(x->st, in);
        return EMU_OK;
    }
    for (unsigned i = 0; i < EMU_STRING_BATCH; i++) {
        uint64_t count = areg(x, GPR_RCX);
        if (count == 0)
            break;
        if ((err = string_step(x, size, step)))
            return emu_status_of(x, err);
        emu_reg_write(x->st, GPR_RCX, in->addrsize, true, count - 1);
        bool zf = x->st->rflags & RFLAGS_ZF;
        if (compares && zf != (in->last_rep == 0xf3)) {
            emu_advance_rip(x->st, in);
            return EMU_OK;
        }
    }
    if (areg(x, GPR_RCX) == 0)
        emu_advance_rip(x->st, in);
    return EMU_OK;
}

enum emu_status emu_exec_string_io(const struct emu_ctx *x)
{
    /* Only the port-I/O exit supplies a port bus; with none (an MMIO
     * exit) there is nothing to read or write. */
    if (!x->ops->pio_read || !x->ops->pio_write)
        return EMU_UNHANDLED;
    return emu_exec_string(x);
}
