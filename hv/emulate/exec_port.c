/* emulate_port_insn (hv/emulate/emulate.h): the instruction after an I/O
 * exit, carried out in the same exit when it is IN, OUT or MOV reg, imm.
 * See: SDM 2A "IN", "OUT", 2B "MOV"; SDM 1 18.5.1 "I/O Privilege Level";
 * APM3 "IN", "OUT". */
#include "hv/emulate/insn.h"
#include "lib/errno.h"
#include "lib/string.h"

/* IN and OUT without the TSS permission bitmap: real mode, or protected
 * mode with CPL <= IOPL (SDM 1 18.5.2: otherwise the CPU consults the
 * bitmap, which Keel leaves to the guest's own execution). */
static bool io_allowed(const struct vcpu_state *st)
{
    if (!(st->cr0 & CR0_PE))
        return true;
    if (st->rflags & RFLAGS_VM)
        return false;
    return emu_cpl(st) <= ((st->rflags >> RFLAGS_IOPL_SHIFT) & 3);
}

/* The port and access size of IN/OUT opcode op (E4-E7, EC-EF): 1 byte for
 * the even opcodes, else 2 with 66h, otherwise 4 (REX.W changes nothing:
 * SDM 2A "IN": "In 64-bit mode, the operand size is fixed at 32 bits"). */
static void io_operands(const struct vcpu_state *st, const struct emu_insn *in,
                        uint16_t *port, unsigned *size)
{
    bool dx = in->opcode >= 0xec;
    *port = dx ? (uint16_t)st->gpr[GPR_RDX] : (uint16_t)in->imm;
    *size = !(in->opcode & 1) ? 1 : in->opsize == 2 ? 2 : 4;
}

enum emu_status emulate_port_insn(struct vcpu_state *st,
                                  const struct emu_ops *ops,
                                  struct emu_result *res)
{
    struct emu_insn in;
    uint16_t port;
    unsigned size;
    uint32_t val;

    memset(res, 0, sizeof(*res));
    res->status = EMU_UNHANDLED;
    /* A fault or a bad fetch is left for the guest to take itself. */
    if (emu_fetch_decode(st, ops, &in, res)) {
        res->status = EMU_UNHANDLED;
        return EMU_UNHANDLED;
    }
    if (in.vex || in.map != MAP_1B || in.p_lock)
        return EMU_UNHANDLED;

    uint8_t op = in.opcode;
    if (op >= 0xb0 && op <= 0xbf) {          /* MOV reg, imm (B0-B7 byte) */
        unsigned reg = (op & 7u) | (in.rex_b ? 8u : 0u);
        emu_reg_write(st, reg, op < 0xb8 ? 1 : in.opsize, in.rex != 0,
                      in.imm);
    } else if ((op >= 0xe4 && op <= 0xe7) || op >= 0xec) {
        if (op > 0xef || !io_allowed(st) || !ops->pio_read ||
            !ops->pio_write)
            return EMU_UNHANDLED;
        io_operands(st, &in, &port, &size);
        if (!(op & 2)) {                      /* IN: E4, E5, EC, ED */
            if (ops->pio_read(ops->ctx, port, size, &val))
                return res->status = EMU_ERROR;
            /* AL/AX merge, EAX zero-extends (SDM 1 3.4.1.1). */
            emu_reg_write(st, GPR_RAX, size, false, val);
        } else {                              /* OUT: E6, E7, EE, EF */
            val = (uint32_t)(st->gpr[GPR_RAX] & emu_size_mask(size));
            if (ops->pio_write(ops->ctx, port, size, val))
                return res->status = EMU_ERROR;
        }
    } else {
        return EMU_UNHANDLED;
    }
    emu_advance_rip(st, &in);
    res->len = in.len;
    return res->status = EMU_OK;
}
