/* BT, BTS, BTR, BTC (0F A3/AB/B3/BB with a register bit offset, 0F BA /4-7
 * with an immediate one).
 * Reference: Intel SDM Volume 2 (order no. 325383), "BT - Bit Test" and
 * its siblings; table 3-2 "Range of Bit Positions Specified by Bit Offset
 * Operands". Flags: CF = the selected bit; ZF is unaffected; OF, SF, AF
 * and PF are undefined and left unchanged here (recent Intel cores leave
 * them so as well). */
#include "hv/emulate/insn.h"
#include "lib/errno.h"

enum bt_op { BT_TEST, BT_SET, BT_RESET, BT_COMPLEMENT };

enum emu_status emu_exec_bt(const struct emu_ctx *x)
{
    const struct emu_insn *in = x->in;
    unsigned size = in->opsize, bits = size * 8;
    unsigned shift = size == 2 ? 4 : size == 4 ? 5 : 6;
    struct emu_operand dst;
    enum bt_op op;
    uint64_t bit, v, nv;
    int err;

    if (in->opcode == 0xba) {
        if ((in->reg & 7) < 4) {
            emu_set_fault(x->res, VEC_UD, false, 0, 0);
            return EMU_FAULT;
        }
        op = (enum bt_op)((in->reg & 7) - 4);
        bit = in->imm & (bits - 1);
        err = emu_op_rm(x, size, op == BT_TEST ? EMU_ACC_READ : EMU_ACC_WRITE,
                        &dst);
    } else {
        op = in->opcode == 0xa3 ? BT_TEST : in->opcode == 0xab ? BT_SET :
             in->opcode == 0xb3 ? BT_RESET : BT_COMPLEMENT;
        int64_t off = emu_sext(emu_reg_read(x->st, in->reg, size, true),
                               size);
        bit = (uint64_t)off & (bits - 1);
        enum emu_access acc = op == BT_TEST ? EMU_ACC_READ : EMU_ACC_WRITE;
        if (in->mod == 3) {
            err = emu_op_rm(x, size, acc, &dst);
        } else {
            /* With a memory operand the signed offset also selects the
             * operand-sized word: EA + size * (offset SAR log2(bits)). */
            uint64_t ea = emu_ea(x) + (uint64_t)((off >> shift) * (int64_t)size);
            err = emu_op_mem(x, in->ea_seg, ea & emu_size_mask(in->addrsize),
                             size, acc, &dst);
        }
    }
    if (err || (err = emu_op_read(x, &dst, op != BT_TEST, &v)))
        return emu_status_of(x, err);
    switch (op) {
    case BT_SET:        nv = v | BIT(bit); break;
    case BT_RESET:      nv = v & ~BIT(bit); break;
    case BT_COMPLEMENT: nv = v ^ BIT(bit); break;
    default:            nv = v; break;
    }
    if (op != BT_TEST && (err = emu_op_write(x, &dst, nv)))
        return emu_status_of(x, err);
    x->st->rflags = (x->st->rflags & ~RFLAGS_CF) |
                    (((v >> bit) & 1) ? RFLAGS_CF : 0);
    emu_advance_rip(x->st, in);
    return EMU_OK;
}
