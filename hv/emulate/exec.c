/* emulate_insn(): fetch, decode and carry out one instruction that touches
 * memory (usually an MMIO page). The handlers cover the data-movement and
 * integer forms that drivers use on device registers; anything else is
 * EMU_UNHANDLED with its bytes.
 * Reference: Intel SDM Volume 2 (order no. 325383), the instruction pages
 * named at each handler; appendix A.4 "Opcode Extensions" for the groups. */
#include "hv/emulate/insn.h"
#include "lib/errno.h"
#include "lib/string.h"

typedef enum emu_status (*emu_handler)(const struct emu_ctx *x);

/* Success: RIP past the instruction. */
static enum emu_status done(const struct emu_ctx *x)
{
    emu_advance_rip(x->st, x->in);
    return EMU_OK;
}

static enum emu_status undefined_opcode(const struct emu_ctx *x)
{
    emu_set_fault(x->res, VEC_UD, false, 0, 0);
    return EMU_FAULT;
}

/* dst = dst OP src with flags (ALU forms, SDM 2 ADD ... XOR, TEST, CMP).
 * CMP and TEST only read dst. Memory is written before flags and registers
 * change, so a fault leaves the vCPU state untouched. */
static enum emu_status alu_apply(const struct emu_ctx *x, enum alu_op alu,
                                 const struct emu_operand *dst, uint64_t src)
{
    bool writes = alu != ALU_CMP && alu != ALU_TEST;
    uint64_t a, r, fl = x->st->rflags;
    int err;

    if ((err = emu_op_read(x, dst, writes, &a)))
        return emu_status_of(x, err);
    r = emu_alu(alu, a, src, dst->size, &fl);
    if (writes && (err = emu_op_write(x, dst, r)))
        return emu_status_of(x, err);
    x->st->rflags = fl;
    return done(x);
}

/* An r/m destination of the given size, checked for write unless the
 * operation only reads it. */
static int rm_dst(const struct emu_ctx *x, enum alu_op alu, unsigned size,
                  struct emu_operand *op)
{
    enum emu_access acc = (alu == ALU_CMP || alu == ALU_TEST) ?
                          EMU_ACC_READ : EMU_ACC_WRITE;
    return emu_op_rm(x, size, acc, op);
}

/* 00-3D: the eight ALU operations in their six forms: Eb,Gb  Ev,Gv  Gb,Eb
 * Gv,Ev  AL,Ib  rAX,Iz (SDM 2 A.3 table A-2). */
static enum emu_status h_alu(const struct emu_ctx *x)
{
    const struct emu_insn *in = x->in;
    enum alu_op alu = (enum alu_op)(in->opcode >> 3);
    unsigned form = in->opcode & 7;
    unsigned size = (form & 1) ? in->opsize : 1;
    struct emu_operand dst, src;
    uint64_t s;
    int err;

    switch (form) {
    case 0: case 1:
        if ((err = rm_dst(x, alu, size, &dst)))
            return emu_status_of(x, err);
        emu_op_reg(x, size, &src);
        break;
    case 2: case 3:
        emu_op_reg(x, size, &dst);
        if ((err = emu_op_rm(x, size, EMU_ACC_READ, &src)))
            return emu_status_of(x, err);
        break;
    default:
        dst = (struct emu_operand){ .reg = GPR_RAX, .size = size };
        return alu_apply(x, alu, &dst, in->imm);
    }
    if ((err = emu_op_read(x, &src, false, &s)))
        return emu_status_of(x, err);
    return alu_apply(x, alu, &dst, s);
}

/* 80/81/82/83: group 1, Eb,Ib / Ev,Iz / Eb,Ib / Ev,Ib (SDM 2 A.4). */
static enum emu_status h_grp1(const struct emu_ctx *x)
{
    const struct emu_insn *in = x->in;
    enum alu_op alu = (enum alu_op)(in->reg & 7);
    unsigned size = (in->opcode & 1) ? in->opsize : 1;
    struct emu_operand dst;
    int err;

    if ((err = rm_dst(x, alu, size, &dst)))
        return emu_status_of(x, err);
    return alu_apply(x, alu, &dst, in->imm);
}

/* 84/85 TEST Eb,Gb / Ev,Gv; A8/A9 TEST AL,Ib / rAX,Iz. */
static enum emu_status h_test(const struct emu_ctx *x)
{
    const struct emu_insn *in = x->in;
    unsigned size = (in->opcode & 1) ? in->opsize : 1;
    struct emu_operand dst, src;
    uint64_t s;
    int err;

    if (in->opcode >= 0xa8) {
        dst = (struct emu_operand){ .reg = GPR_RAX, .size = size };
        return alu_apply(x, ALU_TEST, &dst, in->imm);
    }
    if ((err = emu_op_rm(x, size, EMU_ACC_READ, &dst)))
        return emu_status_of(x, err);
    emu_op_reg(x, size, &src);
    if ((err = emu_op_read(x, &src, false, &s)))
        return emu_status_of(x, err);
    return alu_apply(x, ALU_TEST, &dst, s);
}

/* 86/87 XCHG Eb,Gb / Ev,Gv: locked implicitly with a memory operand. */
static enum emu_status h_xchg(const struct emu_ctx *x)
{
    unsigned size = (x->in->opcode & 1) ? x->in->opsize : 1;
    struct emu_operand m, r;
    uint64_t mv, rv;
    int err;

    if ((err = emu_op_rm(x, size, EMU_ACC_WRITE, &m)))
        return emu_status_of(x, err);
    emu_op_reg(x, size, &r);
    if ((err = emu_op_read(x, &m, true, &mv)) ||
        (err = emu_op_read(x, &r, false, &rv)) ||
        (err = emu_op_write(x, &m, rv)))
        return emu_status_of(x, err);
    emu_op_write(x, &r, mv);
    return done(x);
}

/* 88/89 MOV Eb,Gb / Ev,Gv; 8A/8B MOV Gb,Eb / Gv,Ev. */
static enum emu_status h_mov(const struct emu_ctx *x)
{
    unsigned size = (x->in->opcode & 1) ? x->in->opsize : 1;
    bool to_rm = !(x->in->opcode & 2);
    struct emu_operand rm, r;
    uint64_t v;
    int err;

    emu_op_reg(x, size, &r);
    err = emu_op_rm(x, size, to_rm ? EMU_ACC_WRITE : EMU_ACC_READ, &rm);
    if (!err)
        err = emu_op_read(x, to_rm ? &r : &rm, false, &v);
    if (!err)
        err = emu_op_write(x, to_rm ? &rm : &r, v);
    return err ? emu_status_of(x, err) : done(x);
}

/* C6 /0 MOV Eb,Ib; C7 /0 MOV Ev,Iz (sign-extended to 64 bits). The other
 * encodings are XABORT/XBEGIN (RTM), not emulated. */
static enum emu_status h_mov_imm(const struct emu_ctx *x)
{
    /* LAB 5 BEGIN: MOV r/m, imm */
    unsigned size = (x->in->opcode & 1) ? x->in->opsize : 1;
    struct emu_operand rm;
    int err;

    if (x->in->reg & 7)
        return EMU_UNHANDLED;
    err = emu_op_rm(x, size, EMU_ACC_WRITE, &rm);
    if (!err)
        err = emu_op_write(x, &rm, x->in->imm);
    return err ? emu_status_of(x, err) : done(x);
    /* LAB 5 STUB
    return EMU_UNHANDLED;
    */
    /* LAB 5 END */
}

/* A0-A3 MOV AL/rAX <-> moffs: the offset is an immediate of the address
 * size, DS unless overridden (SDM 2 MOV, note on moffs). */
static enum emu_status h_mov_moffs(const struct emu_ctx *x)
{
    /* LAB 5 BEGIN: MOV between the accumulator and a moffs address */
    const struct emu_insn *in = x->in;
    unsigned size = (in->opcode & 1) ? in->opsize : 1;
    bool store = in->opcode & 2;
    int seg = in->seg_override >= 0 ? in->seg_override : SEG_DS;
    struct emu_operand m, acc = { .reg = GPR_RAX, .size = size };
    uint64_t v;
    int err;

    err = emu_op_mem(x, seg, in->imm & emu_size_mask(in->addrsize), size,
                     store ? EMU_ACC_WRITE : EMU_ACC_READ, &m);
    if (!err)
        err = emu_op_read(x, store ? &acc : &m, false, &v);
    if (!err)
        err = emu_op_write(x, store ? &m : &acc, v);
    return err ? emu_status_of(x, err) : done(x);
    /* LAB 5 STUB
    return EMU_UNHANDLED;
    */
    /* LAB 5 END */
}

/* F6/F7 group 3: /0 /1 TEST imm, /2 NOT, /3 NEG; /4-/7 MUL, IMUL, DIV,
 * IDIV are in exec_muldiv.c. */
static enum emu_status h_grp3(const struct emu_ctx *x)
{
    static const enum alu_op ops[4] = { ALU_TEST, ALU_TEST, ALU_NOT,
                                        ALU_NEG };
    unsigned sub = x->in->reg & 7;
    unsigned size = (x->in->opcode & 1) ? x->in->opsize : 1;
    struct emu_operand dst;
    int err;

    if (sub >= 4)
        return emu_exec_muldiv(x);
    if ((err = rm_dst(x, ops[sub], size, &dst)))
        return emu_status_of(x, err);
    return alu_apply(x, ops[sub], &dst, x->in->imm);
}

/* FE/FF /0 INC, /1 DEC (CF unchanged). The rest of group 5 (CALL, JMP,
 * PUSH through memory) is not emulated. */
static enum emu_status h_incdec(const struct emu_ctx *x)
{
    unsigned sub = x->in->reg & 7;
    unsigned size = (x->in->opcode & 1) ? x->in->opsize : 1;
    struct emu_operand dst;
    int err;

    if (sub >= 2)
        return EMU_UNHANDLED;
    if ((err = emu_op_rm(x, size, EMU_ACC_WRITE, &dst)))
        return emu_status_of(x, err);
    return alu_apply(x, sub ? ALU_DEC : ALU_INC, &dst, 0);
}

/* Gv = extend(E of src_size): MOVZX/MOVSX (0F B6/B7/BE/BF) and MOVSXD (63
 * in 64-bit mode, where a 32-bit operand size makes it a plain MOV). */
static enum emu_status load_extend(const struct emu_ctx *x, unsigned src_size,
                                   bool sign)
{
    /* LAB 5 BEGIN: MOVZX/MOVSX: load src_size bytes, extend to opsize */
    struct emu_operand rm, r;
    uint64_t v;
    int err;

    if ((err = emu_op_rm(x, src_size, EMU_ACC_READ, &rm)) ||
        (err = emu_op_read(x, &rm, false, &v)))
        return emu_status_of(x, err);
    if (sign)
        v = (uint64_t)emu_sext(v, src_size);
    emu_op_reg(x, x->in->opsize, &r);
    emu_op_write(x, &r, v);
    return done(x);
    /* LAB 5 STUB
    return EMU_UNHANDLED;
    */
    /* LAB 5 END */
}

static enum emu_status h_movsxd(const struct emu_ctx *x)
{
    if (x->in->mode != MODE_LONG64)
        return EMU_UNHANDLED;   /* ARPL */
    return load_extend(x, x->in->opsize == 8 ? 4 : x->in->opsize,
                       x->in->opsize == 8);
}

static enum emu_status h_movx(const struct emu_ctx *x)
{
    return load_extend(x, (x->in->opcode & 1) ? 2 : 1,
                       x->in->opcode >= 0xbe);
}

/* 0F C3 MOVNTI My,Gy: a store with a non-temporal hint (memory only). */
static enum emu_status h_movnti(const struct emu_ctx *x)
{
    struct emu_operand m, r;
    uint64_t v;
    int err;

    if (x->in->mod == 3 || x->in->opsize == 2)
        return undefined_opcode(x);
    emu_op_reg(x, x->in->opsize, &r);
    emu_op_read(x, &r, false, &v);
    err = emu_op_rm(x, x->in->opsize, EMU_ACC_WRITE, &m);
    if (!err)
        err = emu_op_write(x, &m, v);
    return err ? emu_status_of(x, err) : done(x);
}

/* 0F 90-9F SETcc Eb: 1 if the condition holds, else 0 (SDM 2 SETcc).
 * ModRM.reg is ignored. */
static enum emu_status h_setcc(const struct emu_ctx *x)
{
    struct emu_operand rm;
    int err;

    err = emu_op_rm(x, 1, EMU_ACC_WRITE, &rm);
    if (!err)
        err = emu_op_write(x, &rm, emu_cond(x->in->opcode, x->st->rflags));
    return err ? emu_status_of(x, err) : done(x);
}

static const emu_handler map1b_handlers[256] = {
    [0x00 ... 0x05] = h_alu, [0x08 ... 0x0d] = h_alu,
    [0x10 ... 0x15] = h_alu, [0x18 ... 0x1d] = h_alu,
    [0x20 ... 0x25] = h_alu, [0x28 ... 0x2d] = h_alu,
    [0x30 ... 0x35] = h_alu, [0x38 ... 0x3d] = h_alu,
    [0x63] = h_movsxd,
    [0x69] = emu_exec_imul, [0x6b] = emu_exec_imul,
    [0x6c ... 0x6f] = emu_exec_string_io,
    [0x80 ... 0x83] = h_grp1,
    [0x84 ... 0x85] = h_test, [0xa8 ... 0xa9] = h_test,
    [0x86 ... 0x87] = h_xchg,
    [0x88 ... 0x8b] = h_mov,
    [0xa0 ... 0xa3] = h_mov_moffs,
    [0xa4 ... 0xa7] = emu_exec_string, [0xaa ... 0xaf] = emu_exec_string,
    [0xc6 ... 0xc7] = h_mov_imm,
    [0xf6 ... 0xf7] = h_grp3,
    [0xfe ... 0xff] = h_incdec,
};

static const emu_handler map0f_handlers[256] = {
    [0xa3] = emu_exec_bt, [0xab] = emu_exec_bt, [0xb3] = emu_exec_bt,
    [0xbb] = emu_exec_bt, [0xba] = emu_exec_bt,
    [0xb6 ... 0xb7] = h_movx, [0xbe ... 0xbf] = h_movx,
    [0xc3] = h_movnti,
    [0x90 ... 0x9f] = h_setcc,
    [0xaf] = emu_exec_imul,
    [0xb0 ... 0xb1] = emu_exec_cmpxchg,
    [0xc0 ... 0xc1] = emu_exec_xadd,
};

/* SDM 2 LOCK: "the LOCK prefix can be prepended only to" the RMW forms
 * with a memory destination; elsewhere it raises #UD. */
static bool lock_allowed(const struct emu_insn *in)
{
    unsigned op = in->opcode, sub = in->reg & 7;

    if (!in->has_modrm || in->mod == 3)
        return false;
    if (in->map == MAP_1B) {
        if (op < 0x40 && (op & 7) < 2)
            return (op >> 3) != ALU_CMP;
        if (op >= 0x80 && op <= 0x83)
            return sub != ALU_CMP;
        if (op == 0x86 || op == 0x87)
            return true;
        if (op == 0xf6 || op == 0xf7)
            return sub == 2 || sub == 3;
        if (op == 0xfe || op == 0xff)
            return sub <= 1;
        return false;
    }
    if (in->map == MAP_0F) {
        if (op == 0xab || op == 0xb3 || op == 0xbb)
            return true;
        if (op == 0xba)
            return sub >= 5;
        /* CMPXCHG, XADD; CMPXCHG8B/16B: lockable, though not emulated. */
        return op == 0xb0 || op == 0xb1 || op == 0xc0 || op == 0xc1 ||
               (op == 0xc7 && sub == 1);
    }
    return false;
}

/* Fetch, decode and run the instruction at st->rip; with io_only, only
 * INS/OUTS (the port-I/O exit must not carry out anything else). */
static enum emu_status emulate(struct vcpu_state *st, const struct emu_ops *ops,
                               struct emu_result *res, bool io_only)
{
    struct emu_insn in;
    struct emu_ctx x = { st, ops, &in, res };
    emu_handler h = NULL;
    enum emu_status s;
    int err;

    memset(res, 0, sizeof(*res));
    err = emu_fetch_decode(st, ops, &in, res);
    if (err == -EFAULT)
        return res->status = EMU_FAULT;
    if (err == -EIO)
        return res->status = EMU_ERROR;
    if (err)
        return res->status = EMU_UNHANDLED;

    if (!in.vex && in.map == MAP_1B)
        h = map1b_handlers[in.opcode];
    else if (!in.vex && in.map == MAP_0F)
        h = map0f_handlers[in.opcode];
    if (io_only && h != emu_exec_string_io)
        h = NULL;
    if (!h)
        return res->status = EMU_UNHANDLED;
    if (in.p_lock && !lock_allowed(&in))
        s = undefined_opcode(&x);
    else
        s = h(&x);
    res->status = s;
    return s;
}

enum emu_status emulate_insn(struct vcpu_state *st, const struct emu_ops *ops,
                             struct emu_result *res)
{
    return emulate(st, ops, res, false);
}

enum emu_status emulate_string_io(struct vcpu_state *st,
                                  const struct emu_ops *ops,
                                  struct emu_result *res)
{
    return emulate(st, ops, res, true);
}
