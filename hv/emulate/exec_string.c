/* String instructions MOVS, STOS, LODS, with and without REP.
 * Reference: Intel SDM Volume 2 (order no. 325383), "MOVS", "STOS", "LODS",
 * "REP/REPE/REPZ/REPNE/REPNZ"; Volume 1 7.3.9 "String Operations".
 * A REP string instruction is interruptible between iterations: the CPU
 * updates rCX, rSI, rDI after each one and leaves RIP at the instruction
 * until the count reaches zero. The emulator does the same and stops after
 * STRING_BATCH iterations (RIP unchanged), so a long REP STOS to a device
 * costs several exits but never stalls the hypervisor. */
#include "hv/emulate/insn.h"
#include "lib/errno.h"

#define STRING_BATCH 4096

/* rSI/rDI/rCX are used and updated at the address size; a 32-bit update
 * in 64-bit mode zero-extends like any 32-bit register write. */
static uint64_t areg(const struct emu_ctx *x, unsigned r)
{
    return x->st->gpr[r] & emu_size_mask(x->in->addrsize);
}

static void areg_set(const struct emu_ctx *x, unsigned r, uint64_t v)
{
    emu_reg_write(x->st, r, x->in->addrsize, true, v);
}

/* One iteration. Registers change only after the memory accesses, so a
 * fault leaves the state of the completed iterations. */
static int string_step(const struct emu_ctx *x, unsigned size, int64_t step)
{
    const struct emu_insn *in = x->in;
    int src_seg = in->seg_override >= 0 ? in->seg_override : SEG_DS;
    struct emu_operand src, dst;
    uint64_t v;
    int err;

    switch (in->opcode) {
    case 0xa4: case 0xa5:                       /* MOVS ES:rDI <- DS:rSI */
        if ((err = emu_op_mem(x, src_seg, areg(x, GPR_RSI), size,
                              EMU_ACC_READ, &src)) ||
            (err = emu_op_mem(x, SEG_ES, areg(x, GPR_RDI), size,
                              EMU_ACC_WRITE, &dst)) ||
            (err = emu_op_read(x, &src, false, &v)) ||
            (err = emu_op_write(x, &dst, v)))
            return err;
        areg_set(x, GPR_RSI, areg(x, GPR_RSI) + (uint64_t)step);
        areg_set(x, GPR_RDI, areg(x, GPR_RDI) + (uint64_t)step);
        return 0;
    case 0xaa: case 0xab:                       /* STOS ES:rDI <- rAX */
        if ((err = emu_op_mem(x, SEG_ES, areg(x, GPR_RDI), size,
                              EMU_ACC_WRITE, &dst)) ||
            (err = emu_op_write(x, &dst, x->st->gpr[GPR_RAX])))
            return err;
        areg_set(x, GPR_RDI, areg(x, GPR_RDI) + (uint64_t)step);
        return 0;
    default:                                    /* LODS rAX <- DS:rSI */
        if ((err = emu_op_mem(x, src_seg, areg(x, GPR_RSI), size,
                              EMU_ACC_READ, &src)) ||
            (err = emu_op_read(x, &src, false, &v)))
            return err;
        emu_reg_write(x->st, GPR_RAX, size, true, v);
        areg_set(x, GPR_RSI, areg(x, GPR_RSI) + (uint64_t)step);
        return 0;
    }
}

enum emu_status emu_exec_string(const struct emu_ctx *x)
{
    const struct emu_insn *in = x->in;
    unsigned size = (in->opcode & 1) ? in->opsize : 1;
    int64_t step = (x->st->rflags & RFLAGS_DF) ? -(int64_t)size : size;
    /* F2 on MOVS/STOS/LODS repeats like F3 (the ZF test applies only to
     * CMPS/SCAS). */
    bool rep = in->p_rep || in->p_repne;
    int err;

    if (!rep) {
        if ((err = string_step(x, size, step)))
            return emu_status_of(x, err);
        emu_advance_rip(x->st, in);
        return EMU_OK;
    }
    for (unsigned i = 0; i < STRING_BATCH; i++) {
        uint64_t count = areg(x, GPR_RCX);
        if (count == 0)
            break;
        if ((err = string_step(x, size, step)))
            return emu_status_of(x, err);
        areg_set(x, GPR_RCX, count - 1);
    }
    if (areg(x, GPR_RCX) == 0)
        emu_advance_rip(x->st, in);
    return EMU_OK;
}
