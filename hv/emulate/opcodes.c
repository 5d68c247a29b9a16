/* Length attributes of the one-byte and 0F opcode maps: which opcodes take a
 * ModRM byte and which immediate follows. The 0F38 map always has a ModRM
 * and no immediate, the 0F3A map always a ModRM and an Ib, so they need no
 * table (decode.c).
 * Reference: Intel SDM Volume 2 (order no. 325383), appendix A "Opcode Map",
 * tables A-2 "One-byte Opcode Map" and A-3 "Two-byte Opcode Map". */
#include "hv/emulate/insn.h"

#define M  OP_MODRM

/* See: SDM 2 A.3 table A-2. 40-4F are REX prefixes in 64-bit mode; the
 * decoder handles them (and VEX C4/C5, the 0F escape) before this table. */
const uint16_t emu_map1b_attr[256] = {
    /* ALU rows: Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev / AL,Ib / rAX,Iz. */
    [0x00 ... 0x03] = M, [0x04] = OP_IB, [0x05] = OP_IZ,
    [0x06 ... 0x07] = OP_INV64,
    [0x08 ... 0x0b] = M, [0x0c] = OP_IB, [0x0d] = OP_IZ, [0x0e] = OP_INV64,
    [0x10 ... 0x13] = M, [0x14] = OP_IB, [0x15] = OP_IZ,
    [0x16 ... 0x17] = OP_INV64,
    [0x18 ... 0x1b] = M, [0x1c] = OP_IB, [0x1d] = OP_IZ,
    [0x1e ... 0x1f] = OP_INV64,
    [0x20 ... 0x23] = M, [0x24] = OP_IB, [0x25] = OP_IZ,
    [0x26] = OP_PREFIX, [0x27] = OP_INV64,
    [0x28 ... 0x2b] = M, [0x2c] = OP_IB, [0x2d] = OP_IZ,
    [0x2e] = OP_PREFIX, [0x2f] = OP_INV64,
    [0x30 ... 0x33] = M, [0x34] = OP_IB, [0x35] = OP_IZ,
    [0x36] = OP_PREFIX, [0x37] = OP_INV64,
    [0x38 ... 0x3b] = M, [0x3c] = OP_IB, [0x3d] = OP_IZ,
    [0x3e] = OP_PREFIX, [0x3f] = OP_INV64,
    /* 40-4F INC/DEC (REX in 64-bit mode): no operand bytes. */
    [0x50 ... 0x5f] = OP_D64,                      /* PUSH/POP r */
    [0x60 ... 0x61] = OP_INV64,                    /* PUSHA/POPA */
    [0x62] = M | OP_INV64,                         /* BOUND (EVEX in 64) */
    [0x63] = M,                                    /* ARPL / MOVSXD */
    [0x64 ... 0x67] = OP_PREFIX,
    [0x68] = OP_IZ | OP_D64, [0x69] = M | OP_IZ,
    [0x6a] = OP_IB | OP_D64, [0x6b] = M | OP_IB,
    [0x70 ... 0x7f] = OP_IB | OP_F64,              /* Jcc rel8 */
    [0x80] = M | OP_IB, [0x81] = M | OP_IZ,
    [0x82] = M | OP_IB | OP_INV64, [0x83] = M | OP_IB,
    [0x84 ... 0x8e] = M,
    [0x8f] = M | OP_D64,                           /* POP Ev (XOP in decode) */
    [0x9a] = OP_FARPTR | OP_INV64,                 /* CALL far */
    [0x9c ... 0x9d] = OP_D64,                      /* PUSHF/POPF */
    [0xa0 ... 0xa3] = OP_MOFFS,
    [0xa8] = OP_IB, [0xa9] = OP_IZ,
    [0xb0 ... 0xb7] = OP_IB, [0xb8 ... 0xbf] = OP_IV,
    [0xc0 ... 0xc1] = M | OP_IB,
    [0xc2] = OP_IW | OP_F64, [0xc3] = OP_F64,
    [0xc4 ... 0xc5] = M | OP_INV64,                /* LES/LDS (VEX in decode) */
    [0xc6] = M | OP_IB, [0xc7] = M | OP_IZ,        /* also XABORT/XBEGIN */
    [0xc8] = OP_ENTER | OP_D64, [0xc9] = OP_D64,
    [0xca] = OP_IW, [0xcd] = OP_IB, [0xce] = OP_INV64,
    [0xd0 ... 0xd3] = M,
    [0xd4 ... 0xd5] = OP_IB | OP_INV64,            /* AAM/AAD */
    [0xd6] = OP_INV64,                             /* SALC (undocumented) */
    [0xd8 ... 0xdf] = M,                           /* x87 escapes */
    [0xe0 ... 0xe3] = OP_IB | OP_F64,              /* LOOPcc/JrCXZ */
    [0xe4 ... 0xe7] = OP_IB,                       /* IN/OUT imm8 */
    [0xe8 ... 0xe9] = OP_IZ | OP_F64,              /* CALL/JMP rel */
    [0xea] = OP_FARPTR | OP_INV64,
    [0xeb] = OP_IB | OP_F64,
    [0xf0] = OP_PREFIX, [0xf2 ... 0xf3] = OP_PREFIX,
    [0xf6 ... 0xf7] = M | OP_GRP3,
    [0xfe ... 0xff] = M,
};

/* See: SDM 2 A.3 table A-3. 38 and 3A escape to the three-byte maps. */
const uint16_t emu_map0f_attr[256] = {
    [0x00 ... 0x03] = M,                           /* grp6/7, LAR, LSL */
    [0x04] = OP_INV, [0x0a] = OP_INV, [0x0c] = OP_INV,
    [0x0d] = M,                                    /* PREFETCH group P */
    [0x0f] = M | OP_IB,                            /* 3DNow!: suffix byte */
    [0x10 ... 0x1f] = M,                           /* SSE moves, hint NOPs */
    [0x20 ... 0x23] = M | OP_MODREG,               /* MOV CRn/DRn */
    [0x24 ... 0x27] = OP_INV,
    [0x28 ... 0x2f] = M,
    [0x36] = OP_INV, [0x39] = OP_INV, [0x3b ... 0x3f] = OP_INV,
    [0x40 ... 0x6f] = M,                           /* CMOVcc, SSE, MMX */
    [0x70 ... 0x73] = M | OP_IB,                   /* PSHUF, shift groups */
    [0x74 ... 0x76] = M,
    [0x78 ... 0x79] = M,                           /* VMREAD/VMWRITE */
    [0x7a ... 0x7b] = OP_INV,
    [0x7c ... 0x7f] = M,
    [0x80 ... 0x8f] = OP_IZ | OP_F64,              /* Jcc rel16/32 */
    [0x90 ... 0x9f] = M,                           /* SETcc */
    [0xa0 ... 0xa1] = OP_D64, [0xa3] = M, [0xa4] = M | OP_IB, [0xa5] = M,
    [0xa6 ... 0xa7] = M,                           /* VIA PadLock */
    [0xa8 ... 0xa9] = OP_D64, [0xab] = M, [0xac] = M | OP_IB,
    [0xad ... 0xaf] = M,
    [0xb0 ... 0xb9] = M, [0xba] = M | OP_IB, [0xbb ... 0xbf] = M,
    [0xc0 ... 0xc1] = M, [0xc2] = M | OP_IB, [0xc3] = M,
    [0xc4 ... 0xc6] = M | OP_IB, [0xc7] = M,
    [0xd0 ... 0xff] = M,                           /* SSE/MMX, UD0 */
};
