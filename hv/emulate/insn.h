/* The emulator's internal view of one decoded instruction, and the helpers
 * its files share. Not for use outside hv/emulate/.
 * Reference: Intel SDM Volume 2 (order no. 325383), chapter 2 "Instruction
 * Format", appendix A "Opcode Map"; AMD APM Volume 3 chapter 1. */
#ifndef KEEL_EMULATE_INSN_H
#define KEEL_EMULATE_INSN_H

#include "arch/x86/exception.h"
#include "arch/x86/vcpu_state.h"
#include "hv/emulate/emulate.h"
#include "lib/types.h"

#define INSN_MAX_LEN 15 /* SDM 2 2.3.11: longer instructions raise #GP */

/* Opcode maps (SDM 2 A.2): the one-byte map, the 0F map, the two three-byte
 * maps, and the AMD XOP maps 8, 9 and 0Ah (APM 3 1.8). */
enum opmap { MAP_1B, MAP_0F, MAP_0F38, MAP_0F3A, MAP_XOP8, MAP_XOP9,
             MAP_XOPA };

/* Per-opcode attributes of the length tables in opcodes.c. The immediate
 * kinds follow the operand-type letters of SDM 2 A.2.2. */
#define OP_MODRM   0x0001 /* a ModRM byte follows the opcode */
#define OP_IB      0x0002 /* Ib: one-byte immediate */
#define OP_IW      0x0004 /* Iw: two-byte immediate (RET imm16) */
#define OP_IZ      0x0008 /* Iz: 2 bytes if operand size is 16, else 4 */
#define OP_IV      0x0010 /* Iv: 2, 4 or 8 bytes by operand size (MOV r,imm) */
#define OP_MOFFS   0x0020 /* Ob/Ov: an offset of the address size */
#define OP_FARPTR  0x0040 /* Ap: offset (2 or 4 bytes) plus a selector */
#define OP_ENTER   0x0080 /* Iw then Ib (ENTER) */
#define OP_INV64   0x0100 /* invalid in 64-bit mode (SDM 2 A.2.5 "i64") */
#define OP_INV     0x0200 /* undefined opcode: #UD */
#define OP_D64     0x0400 /* operand size defaults to 64 bits in 64-bit mode */
#define OP_F64     0x0800 /* operand size forced to 64 bits (near branches) */
#define OP_GRP3    0x1000 /* F6/F7: an immediate only for ModRM.reg 0 and 1 */
#define OP_MODREG  0x2000 /* MOV CR/DR: ModRM.mod is ignored (always a reg) */
#define OP_PREFIX  0x4000 /* a legacy prefix byte, not an opcode */
#define OP_ID      0x8000 /* Id: 4 bytes whatever the operand size (XOP 0Ah) */

extern const uint16_t emu_map1b_attr[256];
extern const uint16_t emu_map0f_attr[256];

/* One decoded instruction. Sizes are in bytes. */
struct emu_insn {
    uint8_t bytes[INSN_MAX_LEN];
    uint8_t avail;      /* bytes[0..avail) were fetched */
    uint8_t len;        /* total length once decoded */
    bool truncated;     /* decoding needed more than avail bytes */

    enum cpu_mode mode;
    uint8_t opsize;     /* 1 is never used here; 2, 4 or 8 */
    uint8_t addrsize;   /* 2, 4 or 8 */

    /* Legacy prefixes (SDM 2 2.1.1). */
    bool p_lock, p_rep, p_repne, p_opsize, p_addrsize;
    int8_t seg_override; /* enum seg, or -1 */
    uint8_t last_rep;    /* the last of F2/F3 seen (it decides), or 0 */

    /* REX (SDM 2 2.2.1); rex is 0 when absent. */
    uint8_t rex;
    bool rex_w, rex_r, rex_x, rex_b;

    /* VEX / XOP (SDM 2 2.3.5; APM 3 1.8). */
    bool vex;
    uint8_t vex_l, vex_pp;

    enum opmap map;
    uint8_t opcode;
    uint16_t attr;

    bool has_modrm;
    uint8_t modrm, mod, reg, rm; /* reg and rm include REX.R / REX.B */
    bool has_sib;
    uint8_t sib;
    bool rip_relative;
    int8_t ea_base;     /* enum gpr, or -1 */
    int8_t ea_index;    /* enum gpr, or -1 */
    uint8_t ea_scale;   /* 1, 2, 4 or 8 */
    int8_t ea_seg;      /* the segment the memory operand uses */
    int64_t disp;
    uint8_t disp_size;

    uint64_t imm;       /* sign-extended to 64 bits for Ib/Iz */
    uint64_t imm2;      /* second immediate (ENTER, EXTRQ, far pointer sel) */
    uint8_t imm_size;
};

/* Decode bytes[0..avail) of insn (mode already set). Returns 0 with the
 * fields filled in, -EINVAL for an invalid encoding or one longer than 15
 * bytes. If the bytes ran out first it returns -EINVAL with
 * insn->truncated set: the caller fetches more and decodes again.
 * See: SDM 2 2.1 "Instruction Format for Protected Mode, Real-Address Mode,
 * and Virtual-8086 Mode", 2.2 "IA-32e Mode". */
int emu_decode(struct emu_insn *insn);

/* Fetch the instruction at st->rip (CS:RIP through the guest page tables)
 * and decode it. Returns 0; -EFAULT with res->fault set (#PF or #GP); -EIO
 * if the code is not in RAM; -EINVAL if the bytes are not an instruction
 * (res->bytes holds what was fetched). See: SDM 3A 4 "Paging". */
int emu_fetch_decode(const struct vcpu_state *st, const struct emu_ops *ops,
                     struct emu_insn *insn, struct emu_result *res);

/* The current privilege level: 0 in real mode, 3 in virtual-8086 mode, else
 * SS.DPL (APM 2 4.9.1: CPL is held in SS.DPL; CS.DPL agrees outside
 * conforming code). */
unsigned emu_cpl(const struct vcpu_state *st);

/* Fill res->fault with an exception. */
void emu_set_fault(struct emu_result *res, uint8_t vector, bool has_error,
                   uint32_t error_code, uint64_t cr2);

/* Turn a segment:offset of `size` bytes into a linear address, applying the
 * segment base (FS/GS only in 64-bit mode), limit and type checks of SDM 3A
 * 5.3 "Limit Checking" / 5.4 "Type Checking", and the canonical check of
 * SDM 3A 3.3.7.1. offset is already truncated to the address size. Returns
 * 0 and *la, or -EFAULT with #GP(0) or #SS(0) in res->fault. */
int emu_linear(const struct vcpu_state *st, int seg, uint64_t offset,
               unsigned size, enum emu_access acc, gva_t *la,
               struct emu_result *res);

/* Read or write `size` (1..8) bytes of data at linear address la through
 * ops->phys_read/phys_write. An access that straddles a page is translated
 * page by page (both pages before any byte moves) and split so that no phys
 * access crosses a page. write_check: translate for a write even on a read
 * (the read half of a read-modify-write). Returns 0, -EFAULT (#PF in res),
 * or -EIO (a callback failed). */
int emu_mem_read(const struct vcpu_state *st, const struct emu_ops *ops,
                 gva_t la, unsigned size, bool write_check, uint64_t *val,
                 struct emu_result *res);
int emu_mem_write(const struct vcpu_state *st, const struct emu_ops *ops,
                  gva_t la, unsigned size, uint64_t val,
                  struct emu_result *res);

/* Register access with x86 rules (SDM 1 3.4.1.1): an 8-bit register number
 * 4..7 without REX is AH, CH, DH, BH; 8/16-bit writes merge; 32-bit writes
 * zero-extend to 64. */
uint64_t emu_reg_read(const struct vcpu_state *st, unsigned reg,
                      unsigned size, bool rex);
void emu_reg_write(struct vcpu_state *st, unsigned reg, unsigned size,
                   bool rex, uint64_t val);

/* Mask of the low `size` bytes. */
static inline uint64_t emu_size_mask(unsigned size)
{
    return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

/* Sign-extend the low `size` bytes of v. */
static inline int64_t emu_sext(uint64_t v, unsigned size)
{
    unsigned shift = 64 - size * 8;
    return size >= 8 ? (int64_t)v : (int64_t)(v << shift) >> shift;
}

/* The arithmetic operations of the ALU group, in ModRM.reg order of the 80
 * group (SDM 2 A.4 table A-6, group 1), plus the others the emulator needs. */
enum alu_op { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR,
              ALU_CMP, ALU_TEST, ALU_INC, ALU_DEC, ALU_NEG, ALU_NOT };

/* Compute dst OP src on `size` bytes with the flags of SDM 2 (per
 * instruction "Flags Affected"). *rflags is read (CF for ADC/SBB) and the
 * status flags updated. Returns the result (masked to size). */
uint64_t emu_alu(enum alu_op op, uint64_t dst, uint64_t src, unsigned size,
                 uint64_t *rflags);

/* Whether condition code cc (the low nibble of Jcc/SETcc/CMOVcc; SDM 2
 * appendix B.1.4.7 table B-10 "Encoding of Conditional Test (tttn) Field")
 * holds for rflags. */
bool emu_cond(unsigned cc, uint64_t rflags);

/* Everything an instruction handler works on. */
struct emu_ctx {
    struct vcpu_state *st;
    const struct emu_ops *ops;
    const struct emu_insn *in;
    struct emu_result *res;
};

/* An operand: a register (number in x86 encoding, size bytes) or memory at
 * a linear address (segmentation already applied). */
struct emu_operand {
    bool mem;
    unsigned reg;
    gva_t la;
    unsigned size;
};

/* The effective address (segment offset) of the ModRM memory operand,
 * truncated to the address size; RIP-relative forms count from the next
 * instruction (SDM 2 2.2.1.6). */
uint64_t emu_ea(const struct emu_ctx *x);

/* The ModRM r/m operand of `size` bytes, checked by segmentation for the
 * access acc. Returns 0, or -EFAULT (#GP/#SS in res). */
int emu_op_rm(const struct emu_ctx *x, unsigned size, enum emu_access acc,
              struct emu_operand *op);
/* A memory operand at seg:offset (offset already truncated). */
int emu_op_mem(const struct emu_ctx *x, int seg, uint64_t offset,
               unsigned size, enum emu_access acc, struct emu_operand *op);
/* The ModRM reg operand. */
void emu_op_reg(const struct emu_ctx *x, unsigned size, struct emu_operand *op);

/* Read/write an operand. rmw: the read half of a read-modify-write, which
 * the CPU checks for write access. Return 0, -EFAULT or -EIO. */
int emu_op_read(const struct emu_ctx *x, const struct emu_operand *op,
                bool rmw, uint64_t *val);
int emu_op_write(const struct emu_ctx *x, const struct emu_operand *op,
                 uint64_t val);

/* EMU_FAULT for -EFAULT (res->fault filled), else EMU_ERROR. */
enum emu_status emu_status_of(const struct emu_ctx *x, int err);

/* Handlers outside exec.c; each returns as emulate_insn and advances RIP
 * itself. */
enum emu_status emu_exec_string(const struct emu_ctx *x);  /* MOVS..SCAS */
enum emu_status emu_exec_string_io(const struct emu_ctx *x); /* INS, OUTS */
enum emu_status emu_exec_bt(const struct emu_ctx *x);
enum emu_status emu_exec_muldiv(const struct emu_ctx *x);  /* F6/F7 /4-/7 */
enum emu_status emu_exec_imul(const struct emu_ctx *x);    /* 0F AF, 69, 6B */
enum emu_status emu_exec_cmpxchg(const struct emu_ctx *x); /* 0F B0/B1 */
enum emu_status emu_exec_xadd(const struct emu_ctx *x);    /* 0F C0/C1 */

/* Iterations of a REP string instruction carried out per call before RIP
 * is left on the instruction for the guest to re-execute (the work done
 * in one exit is bounded; DESIGN.md). */
#define EMU_STRING_BATCH 4096

/* Check that `size` bytes at linear address la can be accessed for acc
 * (both pages of a straddling access), setting accessed/dirty bits as the
 * access would, without moving any data. INS uses it so that a faulting
 * destination does not consume a byte from the device. Returns 0, -EFAULT
 * (#PF in res) or -EIO. */
int emu_mem_check(const struct vcpu_state *st, const struct emu_ops *ops,
                  gva_t la, unsigned size, enum emu_access acc,
                  struct emu_result *res);

/* Advance RIP past insn, wrapping as the mode's IP width does. */
void emu_advance_rip(struct vcpu_state *st, const struct emu_insn *insn);

#endif
