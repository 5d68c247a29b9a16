/* Operands of the emulated instruction: effective-address arithmetic,
 * register and memory operands, and their reads and writes.
 * Reference: Intel SDM Volume 1 (order no. 253665) 3.7.5 "Specifying an
 * Offset"; Volume 2 2.1.5 (ModRM/SIB), 2.2.1.6 "RIP-Relative Addressing". */
#include "hv/emulate/insn.h"
#include "lib/errno.h"

uint64_t emu_ea(const struct emu_ctx *x)
{
    const struct emu_insn *in = x->in;
    uint64_t ea = (uint64_t)in->disp;

    if (in->rip_relative)
        ea += x->st->rip + in->len;
    if (in->ea_base >= 0)
        ea += x->st->gpr[in->ea_base];
    if (in->ea_index >= 0)
        ea += x->st->gpr[in->ea_index] * in->ea_scale;
    /* The sum wraps at the address size (SDM 1 3.3.7; 16-bit forms wrap
     * at 64 KiB). */
    return ea & emu_size_mask(in->addrsize);
}

int emu_op_mem(const struct emu_ctx *x, int seg, uint64_t offset,
               unsigned size, enum emu_access acc, struct emu_operand *op)
{
    op->mem = true;
    op->size = size;
    op->reg = 0;
    return emu_linear(x->st, seg, offset, size, acc, &op->la, x->res);
}

int emu_op_rm(const struct emu_ctx *x, unsigned size, enum emu_access acc,
              struct emu_operand *op)
{
    if (x->in->mod == 3) {
        op->mem = false;
        op->reg = x->in->rm;
        op->size = size;
        op->la = 0;
        return 0;
    }
    return emu_op_mem(x, x->in->ea_seg, emu_ea(x), size, acc, op);
}

void emu_op_reg(const struct emu_ctx *x, unsigned size, struct emu_operand *op)
{
    op->mem = false;
    op->reg = x->in->reg;
    op->size = size;
    op->la = 0;
}

int emu_op_read(const struct emu_ctx *x, const struct emu_operand *op,
                bool rmw, uint64_t *val)
{
    if (!op->mem) {
        *val = emu_reg_read(x->st, op->reg, op->size, x->in->rex != 0);
        return 0;
    }
    return emu_mem_read(x->st, x->ops, op->la, op->size, rmw, val, x->res);
}

int emu_op_write(const struct emu_ctx *x, const struct emu_operand *op,
                 uint64_t val)
{
    if (!op->mem) {
        emu_reg_write(x->st, op->reg, op->size, x->in->rex != 0, val);
        return 0;
    }
    return emu_mem_write(x->st, x->ops, op->la, op->size, val, x->res);
}

enum emu_status emu_status_of(const struct emu_ctx *x, int err)
{
    if (err == -EFAULT)
        return EMU_FAULT;
    x->res->status = EMU_ERROR;
    return EMU_ERROR;
}
