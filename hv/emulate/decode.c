/* Instruction decoder: prefixes, opcode, ModRM/SIB, displacement and
 * immediate, enough to know every instruction's length and the operands of
 * the ones Keel emulates.
 * Reference: Intel SDM Volume 2 (order no. 325383), chapter 2 "Instruction
 * Format" and appendix A "Opcode Map"; AMD APM Volume 3 (rev. 3.35) 1.8 for
 * the XOP prefix. */
#include "hv/emulate/insn.h"
#include "lib/errno.h"
#include "lib/string.h"

/* The byte at pos, or -EINVAL: past 15 bytes the instruction is too long
 * (SDM 2 2.3.11), past the fetched bytes the caller must fetch more. */
static int peek(struct emu_insn *in, unsigned pos, uint8_t *b)
{
    if (pos >= INSN_MAX_LEN)
        return -EINVAL;
    if (pos >= in->avail) {
        in->truncated = true;
        return -EINVAL;
    }
    *b = in->bytes[pos];
    return 0;
}

/* Read a little-endian field of n bytes at *pos. */
static int take(struct emu_insn *in, unsigned *pos, unsigned n, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned i = 0; i < n; i++) {
        uint8_t b;
        int err = peek(in, *pos + i, &b);
        if (err)
            return err;
        x |= (uint64_t)b << (8 * i);
    }
    *pos += n;
    *v = x;
    return 0;
}

/* Legacy prefixes (SDM 2 2.1.1) and REX (SDM 2 2.2.1). A REX byte counts
 * only when it comes right before the opcode; a legacy prefix after it
 * cancels it. Returns 0 with *pos at the first opcode byte. */
static int decode_prefixes(struct emu_insn *in, unsigned *pos)
{
    bool m64 = in->mode == MODE_LONG64;

    for (;;) {
        uint8_t b;
        int err = peek(in, *pos, &b);
        if (err)
            return err;
        switch (b) {
        case 0xf0: in->p_lock = true; break;
        case 0xf2: in->p_repne = true; in->last_rep = b; break;
        case 0xf3: in->p_rep = true; in->last_rep = b; break;
        case 0x66: in->p_opsize = true; break;
        case 0x67: in->p_addrsize = true; break;
        case 0x26: case 0x2e: case 0x36: case 0x3e:
            /* SDM 2 2.2.1.4: ES/CS/SS/DS overrides are ignored in 64-bit
             * mode. */
            if (!m64)
                in->seg_override = (int8_t)((b >> 3) & 3);
            break;
        case 0x64: in->seg_override = SEG_FS; break;
        case 0x65: in->seg_override = SEG_GS; break;
        default:
            if (m64 && (b & 0xf0) == 0x40) {
                in->rex = b;
                (*pos)++;
                continue;
            }
            return 0;
        }
        in->rex = 0;
        (*pos)++;
    }
}

/* VEX (C4/C5, SDM 2 2.3.5) and XOP (8F, APM 3 1.8) prefixes. *pos is at the
 * escape byte; on return it is past the opcode byte. */
static int decode_vex(struct emu_insn *in, unsigned *pos, uint8_t esc)
{
    uint8_t b1, b2 = 0, map;
    int err;

    /* SDM 2 2.3.2: VEX after 66, F2, F3, F0 or REX is #UD. */
    if (in->p_opsize || in->p_rep || in->p_repne || in->p_lock || in->rex)
        return -EINVAL;
    if ((err = peek(in, *pos + 1, &b1)))
        return err;
    in->vex = true;
    if (esc == 0xc5) {
        in->rex_r = !(b1 & 0x80);
        in->vex_l = (b1 >> 2) & 1;
        in->vex_pp = b1 & 3;
        in->map = MAP_0F;
        *pos += 2;
    } else {
        if ((err = peek(in, *pos + 2, &b2)))
            return err;
        map = b1 & 0x1f;
        if (esc == 0xc4 && map >= 1 && map <= 3)
            in->map = (enum opmap)(MAP_1B + map);
        else if (esc == 0x8f && map >= 8 && map <= 10)
            in->map = (enum opmap)(MAP_XOP8 + (map - 8));
        else
            return -EINVAL;
        if (in->mode == MODE_LONG64) {
            in->rex_r = !(b1 & 0x80);
            in->rex_x = !(b1 & 0x40);
            in->rex_b = !(b1 & 0x20);
            in->rex_w = b2 & 0x80;
        }
        in->vex_l = (b2 >> 2) & 1;
        in->vex_pp = b2 & 3;
        *pos += 3;
    }
    if ((err = peek(in, *pos, &in->opcode)))
        return err;
    (*pos)++;
    return 0;
}

/* EVEX (62, SDM 2 2.7.1): P0 = R X B R' 0 0 m m, P1 = W vvvv 1 pp,
 * P2 = z L'L b V' aaa. *pos is at the 62 byte; on return it is past the
 * opcode. Only the maps 0F, 0F38 and 0F3A exist. */
static int decode_evex(struct emu_insn *in, unsigned *pos)
{
    uint8_t p0, p1;
    int err;

    if (in->p_opsize || in->p_rep || in->p_repne || in->p_lock || in->rex)
        return -EINVAL;
    if ((err = peek(in, *pos + 1, &p0)) || (err = peek(in, *pos + 2, &p1)))
        return err;
    if ((p0 & 0x0c) || !(p0 & 3) || !(p1 & 0x04))
        return -EINVAL;
    in->vex = true;
    in->map = (enum opmap)(MAP_1B + (p0 & 3));
    if (in->mode == MODE_LONG64) {
        in->rex_r = !(p0 & 0x80);
        in->rex_x = !(p0 & 0x40);
        in->rex_b = !(p0 & 0x20);
        in->rex_w = p1 & 0x80;
    }
    in->vex_pp = p1 & 3;
    *pos += 4;
    if ((err = peek(in, *pos, &in->opcode)))
        return err;
    (*pos)++;
    return 0;
}

/* The opcode bytes and escapes; sets map, opcode and the attributes. */
static int decode_opcode(struct emu_insn *in, unsigned *pos)
{
    uint8_t b, next;
    int err;

    if ((err = peek(in, *pos, &b)))
        return err;
    /* C4/C5 are LES/LDS outside 64-bit mode unless the next byte has
     * mod = 11b (SDM 2 2.3.5); 8F is POP Ev unless ModRM.reg != 0; 62 is
     * BOUND or EVEX. VEX/XOP/EVEX are not recognised in real mode. */
    if (b == 0xc4 || b == 0xc5 || b == 0x8f || b == 0x62) {
        if ((err = peek(in, *pos + 1, &next)))
            return err;
        bool vex;
        if (b == 0x62) {
            /* BOUND outside 64-bit mode unless mod = 11b (SDM 2 2.7.1). */
            if (in->mode == MODE_LONG64 ||
                (in->mode != MODE_REAL && (next & 0xc0) == 0xc0))
                return decode_evex(in, pos);
            vex = false;
        } else if (b == 0x8f)
            vex = in->mode != MODE_REAL && ((next >> 3) & 7) != 0;
        else
            vex = in->mode == MODE_LONG64 ||
                  (in->mode != MODE_REAL && (next & 0xc0) == 0xc0);
        if (vex)
            return decode_vex(in, pos, b);
    }
    (*pos)++;
    if (b != 0x0f) {
        in->map = MAP_1B;
        in->opcode = b;
        return 0;
    }
    if ((err = peek(in, *pos, &b)))
        return err;
    (*pos)++;
    if (b == 0x38 || b == 0x3a) {
        in->map = b == 0x38 ? MAP_0F38 : MAP_0F3A;
        if ((err = peek(in, *pos, &in->opcode)))
            return err;
        (*pos)++;
        return 0;
    }
    in->map = MAP_0F;
    in->opcode = b;
    return 0;
}

/* Attributes of the decoded opcode; the VEX/XOP maps follow SDM 2 2.3.5
 * and APM 3 1.8: every VEX instruction has a ModRM except VZEROUPPER/ALL. */
static uint16_t opcode_attr(const struct emu_insn *in)
{
    uint16_t a;

    switch (in->map) {
    case MAP_1B:
        return emu_map1b_attr[in->opcode];
    case MAP_0F:
        a = emu_map0f_attr[in->opcode];
        if (in->vex) {
            if (in->opcode == 0x77)
                return 0;
            if (!(a & OP_MODRM))
                return OP_INV;
            return a & (OP_MODRM | OP_IB);
        }
        /* SSE4a EXTRQ/INSERTQ (66/F2 0F 78) carry two Ib (APM 4). */
        if (in->opcode == 0x78 && (in->p_opsize || in->last_rep == 0xf2))
            return OP_MODRM | OP_IW;
        return a;
    case MAP_0F38:
        return OP_MODRM;
    case MAP_0F3A:
    case MAP_XOP8:
        return OP_MODRM | OP_IB;
    case MAP_XOP9:
        return OP_MODRM;
    case MAP_XOPA:
        /* BEXTR, LWPINS, LWPVAL: "Id" in APM 3 appendix A, XOP opcode map
         * 0Ah, so 16-bit code does not shorten it. */
        return OP_MODRM | OP_ID;
    }
    return OP_INV;
}

/* Operand and address sizes (SDM 1 3.6 "Operand-size and Address-size
 * Attributes", SDM 2 2.2.1.2 table 2-4 for 64-bit mode). In 64-bit mode
 * near branches (F64) default to 64 bits; AMD honours a 66 prefix on them
 * (rel16, APM 3 1.2.2) where Intel ignores it. Keel's decoder matters most
 * on AMD (SVM under TCG has no next-RIP; VMX reports the length), so it
 * follows AMD. */
static void decode_sizes(struct emu_insn *in)
{
    switch (in->mode) {
    case MODE_LONG64:
        if (in->rex_w)
            in->opsize = 8;
        else if (in->p_opsize)
            in->opsize = 2;
        else
            in->opsize = (in->attr & (OP_D64 | OP_F64)) ? 8 : 4;
        in->addrsize = in->p_addrsize ? 4 : 8;
        break;
    case MODE_PROT32:
        in->opsize = in->p_opsize ? 2 : 4;
        in->addrsize = in->p_addrsize ? 2 : 4;
        break;
    default:
        in->opsize = in->p_opsize ? 4 : 2;
        in->addrsize = in->p_addrsize ? 4 : 2;
        break;
    }
}

/* 16-bit ModRM memory forms (SDM 2 2.1.5 table 2-1). */
static int decode_modrm16(struct emu_insn *in)
{
    static const int8_t base[8] = { GPR_RBX, GPR_RBX, GPR_RBP, GPR_RBP,
                                    GPR_RSI, GPR_RDI, GPR_RBP, GPR_RBX };
    static const int8_t index[8] = { GPR_RSI, GPR_RDI, GPR_RSI, GPR_RDI,
                                     -1, -1, -1, -1 };
    unsigned rm = in->modrm & 7;

    in->ea_base = base[rm];
    in->ea_index = index[rm];
    if (in->mod == 0 && rm == 6) {
        in->ea_base = -1;
        in->disp_size = 2;
    } else if (in->mod == 1) {
        in->disp_size = 1;
    } else if (in->mod == 2) {
        in->disp_size = 2;
    }
    /* SDM 3A 3.7.4 table 3-5: BP-based forms default to SS. */
    in->ea_seg = in->ea_base == GPR_RBP ? SEG_SS : SEG_DS;
    return 0;
}

/* 32/64-bit ModRM and SIB memory forms (SDM 2 2.1.5 tables 2-2, 2-3;
 * 2.2.1.6 "RIP-Relative Addressing"). */
static int decode_modrm32(struct emu_insn *in, unsigned *pos)
{
    unsigned rm = in->modrm & 7;
    int err;

    if (rm == 4) {
        if ((err = peek(in, *pos, &in->sib)))
            return err;
        (*pos)++;
        in->has_sib = true;
        unsigned idx = ((in->sib >> 3) & 7) | (in->rex_x ? 8 : 0);
        unsigned b = in->sib & 7;
        in->ea_scale = (uint8_t)(1u << (in->sib >> 6));
        in->ea_index = idx == GPR_RSP ? -1 : (int8_t)idx;
        if (b == 5 && in->mod == 0) {
            in->ea_base = -1;
            in->disp_size = 4;
        } else {
            in->ea_base = (int8_t)(b | (in->rex_b ? 8 : 0));
        }
    } else if (rm == 5 && in->mod == 0) {
        in->ea_base = -1;
        in->disp_size = 4;
        in->rip_relative = in->mode == MODE_LONG64;
    } else {
        in->ea_base = (int8_t)(rm | (in->rex_b ? 8 : 0));
    }
    if (in->mod == 1)
        in->disp_size = 1;
    else if (in->mod == 2)
        in->disp_size = 4;
    /* Only rSP and rBP (not r12/r13) select SS (SDM 3A 3.7.4). */
    in->ea_seg = (in->ea_base == GPR_RSP || in->ea_base == GPR_RBP) ?
                 SEG_SS : SEG_DS;
    return 0;
}

static int decode_modrm(struct emu_insn *in, unsigned *pos)
{
    uint64_t d;
    int err;

    if ((err = peek(in, *pos, &in->modrm)))
        return err;
    (*pos)++;
    in->has_modrm = true;
    in->mod = in->modrm >> 6;
    in->reg = ((in->modrm >> 3) & 7) | (in->rex_r ? 8 : 0);
    in->rm = (in->modrm & 7) | (in->rex_b ? 8 : 0);
    in->ea_base = in->ea_index = -1;
    in->ea_scale = 1;
    /* MOV to/from CRn/DRn treat mod as 11b (SDM 2 MOV "Description"). */
    if (in->attr & OP_MODREG)
        in->mod = 3;
    if (in->mod == 3)
        return 0;
    err = in->addrsize == 2 ? decode_modrm16(in) : decode_modrm32(in, pos);
    if (err)
        return err;
    if (in->seg_override >= 0)
        in->ea_seg = in->seg_override;
    if (in->disp_size) {
        if ((err = take(in, pos, in->disp_size, &d)))
            return err;
        in->disp = emu_sext(d, in->disp_size);
    }
    return 0;
}

/* Immediates by operand type (SDM 2 A.2.2). */
static int decode_imm(struct emu_insn *in, unsigned *pos)
{
    uint16_t a = in->attr;
    unsigned n = 0;
    bool sext = false;
    int err;

    /* EXTRQ/INSERTQ exist only in register form; with a memory operand
     * 66/F2 0F 78 is VMREAD without immediates. */
    if (in->map == MAP_0F && in->opcode == 0x78 && !in->vex && in->mod != 3)
        a &= (uint16_t)~OP_IW;
    if (a & OP_GRP3) {
        if ((in->reg & 7) >= 2)
            return 0;
        a |= in->opcode == 0xf6 ? OP_IB : OP_IZ;
    }
    if (a & OP_IB) {
        n = 1; sext = true;
    } else if (a & OP_IW) {
        n = 2;
    } else if (a & OP_IZ) {
        n = in->opsize == 2 ? 2 : 4; sext = true;
    } else if (a & OP_ID) {
        n = 4;
    } else if (a & OP_IV) {
        n = in->opsize;
    } else if (a & OP_MOFFS) {
        n = in->addrsize;
    } else if (a & OP_FARPTR) {
        n = in->opsize == 2 ? 2 : 4;
    } else if (a & OP_ENTER) {
        n = 2;
    }
    if (!n)
        return 0;
    if ((err = take(in, pos, n, &in->imm)))
        return err;
    in->imm_size = (uint8_t)n;
    if (sext)
        in->imm = (uint64_t)emu_sext(in->imm, n);
    if (a & (OP_FARPTR | OP_ENTER)) {
        unsigned n2 = (a & OP_FARPTR) ? 2 : 1;
        if ((err = take(in, pos, n2, &in->imm2)))
            return err;
        in->imm_size = (uint8_t)(n + n2);
    }
    return 0;
}

int emu_decode(struct emu_insn *in)
{
    unsigned pos = 0;
    int err;

    in->truncated = false;
    in->p_lock = in->p_rep = in->p_repne = false;
    in->p_opsize = in->p_addrsize = false;
    in->seg_override = -1;
    in->last_rep = 0;
    in->rex = 0;
    in->vex = false;
    in->vex_l = in->vex_pp = 0;
    in->has_modrm = in->has_sib = in->rip_relative = false;
    in->modrm = in->mod = in->reg = in->rm = in->sib = 0;
    in->ea_base = in->ea_index = -1;
    in->ea_scale = 1;
    in->ea_seg = SEG_DS;
    in->disp = 0;
    in->disp_size = 0;
    in->imm = in->imm2 = 0;
    in->imm_size = 0;
    in->len = 0;

    if ((err = decode_prefixes(in, &pos)))
        return err;
    in->rex_w = in->rex & 8;
    in->rex_r = in->rex & 4;
    in->rex_x = in->rex & 2;
    in->rex_b = in->rex & 1;
    if ((err = decode_opcode(in, &pos)))
        return err;
    in->attr = opcode_attr(in);
    if ((in->attr & OP_INV) ||
        ((in->attr & OP_INV64) && in->mode == MODE_LONG64))
        return -EINVAL;
    decode_sizes(in);
    if ((in->attr & OP_MODRM) && (err = decode_modrm(in, &pos)))
        return err;
    if ((err = decode_imm(in, &pos)))
        return err;
    if (pos > INSN_MAX_LEN)
        return -EINVAL;
    in->len = (uint8_t)pos;
    return 0;
}
