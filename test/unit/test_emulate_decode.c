/* Instruction-length decoding (emulate_insn_length) checked against
 * Capstone 4.0.2 on systematically generated and random encodings, in
 * 64-bit, 32-bit and 16-bit code. Strict: the lengths must be equal, an
 * encoding only one side accepts is a failure, and the only exceptions
 * are the entries below, each with the manual's reason and, where
 * possible, a sibling encoding that Capstone must decode to Keel's length.
 * The test prints how many encodings it compared and each entry's count. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <capstone/capstone.h>

#include "hv/emulate/emulate.h"
#include "lib/errno.h"

#define RAM_SIZE  (4u << 20)
#define CODE_GPA  0x10000u

struct fake {
    uint8_t *ram;
};

static int f_read_ram(void *ctx, gpa_t gpa, void *buf, size_t len)
{
    struct fake *f = ctx;
    if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
        return -EFAULT;
    memcpy(buf, f->ram + gpa, len);
    return 0;
}

static int f_write_ram(void *ctx, gpa_t gpa, const void *buf, size_t len)
{
    struct fake *f = ctx;
    if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
        return -EFAULT;
    memcpy(f->ram + gpa, buf, len);
    return 0;
}

static int f_phys_read(void *ctx, gpa_t gpa, unsigned size, uint64_t *val)
{
    *val = 0;
    return f_read_ram(ctx, gpa, val, size);
}

static int f_phys_write(void *ctx, gpa_t gpa, unsigned size, uint64_t val)
{
    return f_write_ram(ctx, gpa, &val, size);
}

static struct fake fake;
static struct emu_ops ops = {
    .ctx = &fake, .read_ram = f_read_ram, .write_ram = f_write_ram,
    .phys_read = f_phys_read, .phys_write = f_phys_write,
};

enum tmode { T64, T32, T16, TMODES };
static const char *mode_name[TMODES] = { "64", "32", "16" };
static struct vcpu_state states[TMODES];
static csh cs[TMODES];

/* 64-bit: 4-level paging, first GiB identity-mapped by one 1-GiB page.
 * 32-bit: protected mode, flat, no paging. 16-bit: protected mode. */
static void setup_states(void)
{
    uint64_t pml4e = 0x2000 | 3, pdpte = 0x83;
    memcpy(fake.ram + 0x1000, &pml4e, 8);
    memcpy(fake.ram + 0x2000, &pdpte, 8);

    struct vcpu_state *s = &states[T64];
    s->cr0 = CR0_PE | CR0_PG;
    s->cr4 = CR4_PAE;
    s->cr3 = 0x1000;
    s->efer = EFER_LME | EFER_LMA;
    s->seg[SEG_CS].attr = 0x9b | SEG_ATTR_L;
    s->seg[SEG_SS].attr = 0x93;
    s->rip = CODE_GPA;

    s = &states[T32];
    s->cr0 = CR0_PE;
    s->seg[SEG_CS].attr = 0x9b | SEG_ATTR_DB | SEG_ATTR_G;
    s->seg[SEG_CS].limit = 0xffffffff;
    s->seg[SEG_SS].attr = 0x93 | SEG_ATTR_DB;
    s->rip = CODE_GPA;

    /* 16-bit protected mode rather than real mode: Capstone's 16-bit mode
     * decodes VEX/XOP/EVEX, which real mode does not have. */
    s = &states[T16];
    s->cr0 = CR0_PE;
    s->seg[SEG_CS].attr = 0x9b;
    s->seg[SEG_CS].limit = 0xffff;
    s->seg[SEG_CS].base = CODE_GPA;
    s->rip = 0;
}

/* ---- Differences from Capstone 4.0.2 ---------------------------------
 * Every encoding is decoded by both. A difference fails the test unless
 * it is one of the entries below, each with the manual's reason; entries
 * that say "Capstone rejects" also require a sibling encoding (the same
 * instruction with only the offending part changed) that Capstone decodes
 * to exactly the length Keel gives, so an entry can never hide a length
 * error. Each entry's count is printed. */

enum entry {
    E_UD01,         /* lengths differ: UD1/UD0 ModRM */
    E_RET_IMM,      /* lengths differ: RET imm16 with 66/67 and REX */
    E_0F78,         /* lengths differ: VMREAD vs EXTRQ/INSERTQ */
    E_REL16,        /* lengths differ: near branch rel16 in 64-bit mode */
    E_VEX_PREFIX,   /* Capstone accepts, Keel rejects: VEX after 66/F2/F3/F0/REX */
    E_LOCK,         /* Capstone rejects: LOCK on a non-lockable form */
    E_GROUP_REG,    /* Capstone rejects: undefined ModRM.reg of a group */
    E_MANDATORY,    /* Capstone rejects: undefined mandatory-prefix form */
    E_MAP_UNCHECKED,/* Capstone rejects: 0F38/0F3A/VEX/XOP/EVEX opcode */
    E_MOD_FORM,     /* Capstone rejects: register/memory-only form, other mod */
    E_3DNOW,        /* Capstone rejects: 3DNow! suffix it does not know */
    E_SREG_REX,     /* Capstone rejects: MOV Sreg with REX.R */
    E_XOP_A,        /* Capstone rejects: XOP maps 8, 9, 0Ah */
    E_EVEX,         /* Capstone rejects: EVEX 0F38/0F3A opcode it lacks */
    E_PADLOCK,      /* Capstone rejects: 0F A6/A7 (VIA PadLock) forms */
    E_REP_IGNORED,  /* Capstone rejects: F2/F3 on a non-string instruction */
    E_COUNT
};

static const char *const entry_reason[E_COUNT] = {
    [E_UD01] = "UD1 (0F B9) and UD0 (0F FF) take a ModRM (SDM 2 \"UD\"); "
               "Capstone 4 stops after two bytes. Both raise #UD, so the "
               "length is never used",
    [E_RET_IMM] = "RET imm16 (C2/CA) with 66 or 67 and REX has exactly a "
                  "2-byte immediate (SDM 2 \"RET\": Iw); Capstone 4 reads "
                  "two more bytes",
    [E_0F78] = "0F 78 is VMREAD (ModRM only) without a prefix and EXTRQ / "
               "INSERTQ (ModRM + Ib Ib) with 66 / F2 (APM 3 \"EXTRQ\"); "
               "Capstone 4 picks by the wrong prefix with 67 or in 16-bit "
               "code: its length is exactly the other form's",
    [E_REL16] = "near CALL/JMP/Jcc in 64-bit mode: 66 selects rel16 (APM 3 "
                "\"Near Branches in 64-Bit Mode\"; Keel follows AMD, "
                "docs/emulator.md); Capstone 4 takes 67 with REX.W as rel16 "
                "and ignores a 66 after a REX cancelled by a later prefix "
                "(SDM 2 2.2.1) or beside F2/F3: exactly 2 bytes apart",
    [E_VEX_PREFIX] = "VEX/XOP/EVEX after 66, F0, F2, F3 or REX is #UD (SDM 2 "
                     "2.3.2); Keel rejects it, Capstone 4 decodes it",
    [E_LOCK] = "LOCK on an instruction the SDM does not list is #UD (SDM 2 "
               "\"LOCK\"); the length decoder leaves that check to "
               "emulate_insn (lock_allowed), since LOCK does not change the "
               "length. Sibling: F0 replaced by 3E (a DS override, so a "
               "REX before it stays ignored)",
    [E_GROUP_REG] = "a ModRM.reg value that table A-6 (SDM 2 A.4 \"Opcode "
                    "Extensions\") leaves blank is #UD; the group's ModRM and "
                    "immediate, hence its length, are the same for every reg. "
                    "Sibling: another reg value",
    [E_MANDATORY] = "a 0F-map SSE opcode with a prefix (none/66/F2/F3) its "
                    "row in SDM 2 A.3 table A-3 leaves blank is #UD; the "
                    "prefix does not change the length. Sibling: the same "
                    "opcode with the prefix a defined form uses",
    [E_MAP_UNCHECKED] = "the 0F38, 0F3A, VEX, XOP and EVEX maps are not "
                        "checked opcode by opcode (docs/emulator.md): their "
                        "length follows from the map alone (SDM 2 A.3 tables "
                        "A-4/A-5: 0F38 has ModRM and no immediate, 0F3A "
                        "ModRM and Ib; 2.3.5 and 2.7 for VEX/EVEX). Sibling: "
                        "a defined opcode of the same map",
    [E_MOD_FORM] = "a form SDM 2 A.3 table A-3 defines only with mod = 11B "
                   "(PEXTRW, PMOVMSKB, MASKMOVQ, MOVMSKPS, the 0F 71-73 "
                   "shifts) or only with memory (LEA, LSS/LFS/LGS, MOVNTI, "
                   "MOVNTQ, MOVNTPS, LDDQU, MOVLPS/MOVHPS stores, PREFETCH) "
                   "is #UD with the other mod; the length still follows the "
                   "ModRM as for every form. Sibling: the same bytes with "
                   "the other mod, the SIB/displacement bytes taken out or "
                   "put in",
    [E_3DNOW] = "0F 0F is AMD 3DNow!: ModRM, then an opcode suffix byte "
                "(APM 3 \"3DNow! Instructions\", opcode map 0F 0Fh); the "
                "suffix picks the instruction, not the length, and an "
                "undefined suffix is #UD. Sibling: suffix 0Dh (PI2FD)",
    [E_SREG_REX] = "MOV Sreg (8C/8E) has six segment registers; REX.R on "
                   "its reg field does not change the length whether the "
                   "CPU ignores it or faults (SDM 2 \"MOV\"). Sibling: "
                   "REX.R cleared",
    [E_XOP_A] = "XOP maps 8 (ModRM + Ib), 9 (ModRM) and 0Ah (ModRM + a "
                "4-byte immediate: TBM BEXTR, LWP), APM 3 1.8 and appendix "
                "A \"XOP Opcode Maps\"; Capstone 4 decodes few of them. "
                "Checked instead: Keel's length is prefixes + 3 + opcode + "
                "ModRM + SIB/disp + the map's immediate",
    [E_EVEX] = "EVEX maps 2 and 3 (0F38: ModRM, 0F3A: ModRM + Ib; SDM 2 "
               "2.7); Capstone 4 rejects opcodes and P-byte combinations "
               "it has no AVX-512 entry for. Checked instead: Keel's length "
               "is prefixes + 4 + opcode + ModRM + SIB/disp + the map's "
               "immediate",
    [E_PADLOCK] = "0F A6/A7 are VIA PadLock (Centaur), in neither SDM nor "
                  "APM (#UD on Intel and AMD); Keel decodes them with a "
                  "ModRM, their length on the CPUs that have them",
    [E_REP_IGNORED] = "F2/F3 before an instruction that defines no repeat "
                      "form is reserved (SDM 2 2.1.1) and does not change "
                      "the length. Sibling: the same bytes without F2/F3",
};

static bool is_legacy_prefix(uint8_t b)
{
    return b == 0x66 || b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3 ||
           b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 ||
           b == 0x65;
}

/* Where the prefixes end, and which were seen. */
struct pfx {
    size_t op;       /* index of the first byte after prefixes and REX */
    bool p66, p67, rep, lock, rex, stale_rex, vexbad;
    uint8_t last_rep;    /* the last of F2/F3, or 0 */
};

static struct pfx scan_prefixes(enum tmode m, const uint8_t *b)
{
    struct pfx p = { 0 };
    bool rex = false;

    for (; p.op < 14; p.op++) {
        uint8_t c = b[p.op];
        if (is_legacy_prefix(c)) {
            p.p66 |= c == 0x66;
            p.p67 |= c == 0x67;
            p.lock |= c == 0xf0;
            p.rep |= c == 0xf2 || c == 0xf3;
            if (c == 0xf2 || c == 0xf3)
                p.last_rep = c;
            p.vexbad |= c == 0x66 || c == 0xf0 || c == 0xf2 || c == 0xf3;
            p.stale_rex |= rex;
            rex = false;
        } else if (m == T64 && (c & 0xf0) == 0x40) {
            rex = p.rex = true;
            p.vexbad = true;
        } else {
            break;
        }
    }
    return p;
}

/* Capstone's length for bytes b (15 of them), or 0 if it rejects them. */
static size_t cs_len(enum tmode m, const uint8_t *b)
{
    cs_insn *ci;
    size_t n = cs_disasm(cs[m], b, 15, CODE_GPA, 1, &ci), len = 0;

    if (n) {
        len = ci[0].size;
        cs_free(ci, n);
    }
    return len;
}

/* Copy b without the legacy prefixes for which drop(byte) holds; returns
 * how many were dropped. The tail is padded with NOPs. */
static int strip(const uint8_t *b, size_t op, bool (*drop)(uint8_t),
                 uint8_t *out)
{
    size_t k = 0;
    for (size_t i = 0; i < 15; i++)
        if (i >= op || !drop(b[i]))
            out[k++] = b[i];
    int dropped = (int)(15 - k);
    while (k < 32)
        out[k++] = 0x90;
    return dropped;
}

static bool is_asize(uint8_t c) { return c == 0x67; }
static bool is_rep(uint8_t c) { return c == 0xf2 || c == 0xf3; }
static bool is_sse_prefix(uint8_t c) { return c == 0x66 || c == 0xf2 || c == 0xf3; }

/* Sibling with ModRM.reg (the byte at `at`) set to another value. */
static bool sibling_reg(enum tmode m, const uint8_t *b, size_t at, int ours)
{
    uint8_t t[32];
    for (unsigned reg = 0; reg < 8; reg++) {
        memcpy(t, b, 32);
        t[at] = (uint8_t)((t[at] & 0xc7) | reg << 3);
        if (cs_len(m, t) == (size_t)ours)
            return true;
    }
    return false;
}

/* Sibling with each choice of SSE prefix (none, 66, F2, F3) put in front
 * of the instruction in place of the ones it has. */
static bool sibling_prefix(enum tmode m, const uint8_t *b, size_t op,
                           int ours)
{
    static const uint8_t choice[4] = { 0, 0x66, 0xf2, 0xf3 };
    uint8_t t[32], u[32];
    int dropped = strip(b, op, is_sse_prefix, t);

    /* Where the opcode (or a REX before it) now starts. */
    size_t at = op - (size_t)dropped;
    while (at > 0 && m == T64 && (t[at - 1] & 0xf0) == 0x40)
        at--;
    for (int c = 0; c < 4; c++)
    for (int place = 0; place < 2; place++) {
        size_t k = 0, where = place ? at : 0;
        if (place && !at)
            continue;
        memcpy(u, t, where);
        k = where;
        if (choice[c])
            u[k++] = choice[c];
        memcpy(u + k, t + where, 32 - k);
        if ((int)cs_len(m, u) == ours - dropped + (choice[c] != 0))
            return true;
        /* Capstone 4 reads 66 in 16-bit code as an operand-size toggle,
         * never as a mandatory prefix: ask its 32-bit decoder with 67, so
         * that the addressing stays 16-bit (needs no 67 already). */
        if (m == T16) {
            /* 67 toggles the address size in either decoder: add it, or
             * take out the one the 16-bit code has. */
            uint8_t w[33];
            int d67 = strip(u, k, is_asize, w + 1) ? -1 : 1;
            if (d67 > 0)
                w[0] = 0x67;
            const uint8_t *x = d67 > 0 ? w : w + 1;
            if ((int)cs_len(T32, x) ==
                ours - dropped + d67 + (choice[c] != 0))
                return true;
        }
    }
    return false;
}

/* Sibling with the opcode byte (at `at`) replaced by a defined opcode of
 * the same map (or kept), with or without the SSE prefixes, and for VEX
 * with each pp (the byte at `pp_at`, 0 for none), vvvv as given and as
 * 1111b (unused), which VZEROUPPER and others require. */
static bool sibling_opcode(enum tmode m, const uint8_t *b, size_t op,
                           size_t at, size_t pp_at, int ours)
{
    static const uint8_t defined[] = { 0x00, 0x0f, 0x58, 0x18, 0x40, 0x10,
                                       0xf0, 0x01, 0x20, 0x02, 0x12, 0xa0,
                                       0x90, 0xcc, 0xc2, 0x80 };
    uint8_t t[32];

    for (size_t o = 0; o <= sizeof(defined); o++)
    for (unsigned pp = 0; pp < (pp_at ? 8u : 1u); pp++) {
        memcpy(t, b, 32);
        if (o < sizeof(defined))
            t[at] = defined[o];
        if (pp_at)
            t[pp_at] = (uint8_t)((t[pp_at] & ~3u) | (pp & 3));
        if (pp & 4)   /* vvvv (stored inverted) = 1111b; EVEX V' too */
            t[pp_at] |= 0x78;
        if ((pp & 4) && b[op] == 0x62)
            t[pp_at + 1] |= 0x08;
        if ((int)cs_len(m, t) == ours)
            return true;
        if (!pp_at && sibling_prefix(m, t, op, ours))
            return true;
    }
    return false;
}

/* Bytes of SIB and displacement after the ModRM at b[at] for address
 * size asz (2, 4, 8): SDM 2 tables 2-1, 2-2, 2-3. */
static int ea_extra(const uint8_t *b, size_t at, unsigned asz)
{
    unsigned mod = b[at] >> 6, rm = b[at] & 7;

    if (mod == 3)
        return 0;
    if (asz == 2)
        return mod == 1 ? 1 : mod == 2 ? 2 : rm == 6 ? 2 : 0;
    int n = rm == 4 ? 1 : 0;
    if (mod == 1)
        return n + 1;
    if (mod == 2 || (mod == 0 && rm == 5) ||
        (mod == 0 && rm == 4 && (b[at + 1] & 7) == 5))
        return n + 4;
    return n;
}

static enum entry keel_only(enum tmode m, const uint8_t *b, int ours,
                            int depth);

/* Whether t (Keel's length `len` unchanged or adjusted) is accepted by
 * Capstone at that length, directly or through further siblings. */
static bool accepted(enum tmode m, const uint8_t *t, int len, int depth)
{
    return (int)cs_len(m, t) == len ||
           (depth < 3 && keel_only(m, t, len, depth + 1) != E_COUNT);
}

/* An encoding only Keel decodes (to `ours` bytes): the first entry whose
 * sibling Capstone decodes to the same length, E_COUNT if none. Siblings
 * may combine (LOCK and an unchecked map, ...), up to three deep. */
static enum entry keel_only(enum tmode m, const uint8_t *b, int ours,
                            int depth)
{
    struct pfx p = scan_prefixes(m, b);
    size_t i = p.op;
    uint8_t o = b[i], t[32];
    bool map0f = o == 0x0f && b[i + 1] != 0x38 && b[i + 1] != 0x3a;

    if (p.lock) {
        /* F0 -> 3E (a DS override: no effect on the length, and a REX
         * before it stays ignored). */
        memcpy(t, b, 32);
        for (size_t k = 0; k < i; k++)
            if (t[k] == 0xf0)
                t[k] = 0x3e;
        if (accepted(m, t, ours, depth))
            return E_LOCK;
        return E_COUNT;
    }
    /* VEX/EVEX need mod = 11B outside 64-bit mode (else LES/LDS/BOUND);
     * XOP needs only map >= 8 (else POP Ev): SDM 2 2.3.5, APM 3 1.8. */
    bool vex = ((o == 0xc4 || o == 0xc5 || o == 0x62) &&
                (m == T64 || (b[i + 1] & 0xc0) == 0xc0)) ||
               (o == 0x8f && (b[i + 1] & 0x1f) >= 8);
    unsigned asz = m == T64 ? (p.p67 ? 4 : 8) : m == T32 ? (p.p67 ? 2 : 4)
                                                         : (p.p67 ? 4 : 2);
    if (vex && o == 0x8f) {
        unsigned map = b[i + 1] & 0x1f;
        int imm = map == 8 ? 1 : map == 10 ? 4 : 0;
        if (map <= 10 && ours == (int)i + 5 + ea_extra(b, i + 4, asz) + imm)
            return E_XOP_A;
        return E_COUNT;
    }
    /* EVEX maps 2 and 3 (0F38: no immediate, 0F3A: Ib), as for VEX. */
    if (vex && o == 0x62 && ((b[i + 1] & 3) == 2 || (b[i + 1] & 3) == 3) &&
        ours == (int)i + 6 + ea_extra(b, i + 5, asz) + ((b[i + 1] & 3) == 3)) {
        if (!sibling_opcode(m, b, i, i + 4, i + 2, ours))
            return E_EVEX;
        return E_MAP_UNCHECKED;
    }
    if (map0f && (b[i + 1] == 0xb9 || b[i + 1] == 0xff))
        return E_UD01;
    if (map0f && (b[i + 1] == 0xa6 || b[i + 1] == 0xa7))
        return E_PADLOCK;
    if (map0f && b[i + 1] == 0x0f) {
        memcpy(t, b, 32);
        t[ours - 1] = 0x0d;
        return accepted(m, t, ours, depth) ? E_3DNOW : E_COUNT;
    }
    if ((o == 0x8c || o == 0x8e) && i > 0 && (b[i - 1] & 0xf4) == 0x44) {
        memcpy(t, b, 32);
        t[i - 1] &= (uint8_t)~4u;
        return accepted(m, t, ours, depth) ? E_SREG_REX : E_COUNT;
    }
    if (vex) {
        size_t at = o == 0xc5 ? i + 2 : o == 0x62 ? i + 4 : i + 3;
        size_t pp_at = o == 0x8f ? 0 : o == 0x62 ? i + 2 : at - 1;
        return sibling_opcode(m, b, i, at, pp_at, ours) ? E_MAP_UNCHECKED
                                                        : E_COUNT;
    }
    if (o == 0x0f && (b[i + 1] == 0x38 || b[i + 1] == 0x3a))
        return sibling_opcode(m, b, i, i + 2, 0, ours) ? E_MAP_UNCHECKED
                                                       : E_COUNT;
    size_t at = map0f ? i + 2 : i + 1;
    if (sibling_reg(m, b, at, ours))
        return E_GROUP_REG;
    if (map0f && sibling_prefix(m, b, i, ours))
        return E_MANDATORY;
    if (p.rep) {
        int dropped = strip(b, i, is_rep, t);
        if (accepted(m, t, ours - dropped, depth))
            return E_REP_IGNORED;
    }
    /* The other mod: register -> [rAX] / [BX+SI] (no SIB, no
     * displacement: the same length); memory -> the register form with
     * its SIB/displacement bytes taken out. */
    memcpy(t, b, 32);
    if ((b[at] >> 6) == 3) {
        t[at] = (uint8_t)(b[at] & 0x38);
        if (accepted(m, t, ours, depth))
            return E_MOD_FORM;
    } else {
        int extra = ea_extra(b, at, asz);
        t[at] = (uint8_t)(0xc0 | (b[at] & 0x3f));
        memmove(t + at + 1, b + at + 1 + extra, (size_t)(31 - at - extra));
        if (accepted(m, t, ours - extra, depth))
            return E_MOD_FORM;
    }
    return E_COUNT;
}

/* The entry covering an encoding Keel decodes to `ours` bytes (negative:
 * rejects) and Capstone to `theirs` (0: rejects), or E_COUNT if none. */
static enum entry classify(enum tmode m, const uint8_t *b, int ours,
                           size_t theirs)
{
    struct pfx p = scan_prefixes(m, b);
    size_t i = p.op;
    uint8_t o = b[i];
    bool map0f = o == 0x0f && b[i + 1] != 0x38 && b[i + 1] != 0x3a;

    if (ours > 0 && theirs > 0) {           /* both decode: lengths differ */
        if (map0f && (b[i + 1] == 0xb9 || b[i + 1] == 0xff) &&
            theirs == i + 2)
            return E_UD01;
        if (m == T64 && (p.p66 || p.p67) && p.rex && (o == 0xc2 || o == 0xca) &&
            ours == (int)i + 3 && theirs == i + 5)
            return E_RET_IMM;
        /* Keel: EXTRQ/INSERTQ (two more bytes) exactly when 66 or a
         * last F2 is present; Capstone the other form. */
        bool extrq = p.p66 || p.last_rep == 0xf2;
        if ((p.p67 || m == T16) && map0f && b[i + 1] == 0x78 &&
            ours == (int)theirs + (extrq ? 2 : -2))
            return E_0F78;
        /* Keel: rel16 (two bytes shorter) exactly when 66 is present. */
        if (m == T64 && (o == 0xe8 || o == 0xe9 ||
                         (map0f && (b[i + 1] & 0xf0) == 0x80)) &&
            ours == (int)theirs + (p.p66 ? -2 : 2) &&
            (p.p67 || p.stale_rex || (p.p66 && p.rep)))
            return E_REL16;
        return E_COUNT;
    }
    if (ours < 0) {                          /* only Capstone decodes it */
        if (p.vexbad && (o == 0xc4 || o == 0xc5 || o == 0x8f || o == 0x62))
            return E_VEX_PREFIX;
        return E_COUNT;
    }
    return keel_only(m, b, ours, 0);
}

struct counts {
    unsigned long checked, agree, both_reject, entries[E_COUNT], failures;
};

static void check_one(enum tmode m, const uint8_t *buf, struct counts *c)
{
    struct emu_result res;
    int ours;
    size_t theirs;
    uint8_t b[32];

    memcpy(b, buf, 32);
    memcpy(fake.ram + CODE_GPA, b, 15);
    memset(&res, 0, sizeof(res));
    ours = emulate_insn_length(&states[m], &ops, &res);
    theirs = cs_len(m, b);
    c->checked++;
    if (ours < 0 && theirs == 0) {
        c->both_reject++;
        return;
    }
    if (ours > 0 && (size_t)ours == theirs) {
        c->agree++;
        return;
    }
    enum entry e = classify(m, b, ours, theirs);
    if (e != E_COUNT) {
        c->entries[e]++;
        return;
    }
    c->failures++;
    if (c->failures <= 40 || getenv("EMU_DECODE_ALL")) {
        printf("  mode %s: ours %d capstone %zu:", mode_name[m], ours, theirs);
        for (size_t i = 0; i < 15; i++)
            printf(" %02x", b[i]);
        printf("\n");
    }
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint8_t rnd8(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint8_t)rng;
}

/* Prefix sets tried in front of every opcode. */
static const uint8_t prefix_sets[][4] = {
    { 0 }, { 1, 0x66 }, { 1, 0x67 }, { 1, 0xf2 }, { 1, 0xf3 },
    { 1, 0x2e }, { 1, 0x64 }, { 1, 0xf0 }, { 2, 0x66, 0x67 },
    { 2, 0xf3, 0x66 }, { 3, 0x26, 0x67, 0x66 },
};
static const uint8_t rex_sets[] = { 0, 0x40, 0x41, 0x44, 0x48, 0x4c, 0x4f };

/* Opcode prefix bytes for each map: one-byte, 0F, 0F 38, 0F 3A. */
static const uint8_t map_bytes[4][3] = {
    { 0 }, { 1, 0x0f }, { 2, 0x0f, 0x38 }, { 2, 0x0f, 0x3a },
};
static const uint8_t sibs[] = { 0x00, 0x24, 0x25, 0x65, 0xe5, 0x1c };

static void run_systematic(enum tmode m, struct counts *c)
{
    uint8_t buf[32];

    for (size_t p = 0; p < sizeof(prefix_sets) / sizeof(prefix_sets[0]); p++)
    for (size_t r = 0; r < sizeof(rex_sets); r++) {
        /* REX only in 64-bit mode, and only with no prefix, 66 or F3. */
        if (r && (m != T64 || (p != 0 && p != 1 && p != 4)))
            continue;
        for (int map = 0; map < 4; map++)
        for (int op = 0; op < 256; op++)
        for (int modrm = 0; modrm < 256; modrm++) {
            unsigned reg = (modrm >> 3) & 7;
            /* Every ModRM for the one-byte map without prefixes; with
             * prefixes or other maps, reg 0 and 7 (group 3 has an
             * immediate only for /0) and the rm values that change the
             * length (4: SIB, 5: disp32/RIP) and two that do not. */
            unsigned rm = modrm & 7;
            if ((p || r || map) &&
                ((reg != 0 && reg != 7) || (rm != 0 && rm != 4 && rm != 5 &&
                                            rm != 7)))
                continue;
            size_t nsib = (modrm & 7) == 4 && modrm < 0xc0 ? sizeof(sibs) : 1;
            for (size_t s = 0; s < nsib; s++) {
                size_t k = 0;
                for (int i = 0; i < prefix_sets[p][0]; i++)
                    buf[k++] = prefix_sets[p][1 + i];
                if (rex_sets[r])
                    buf[k++] = rex_sets[r];
                for (int i = 0; i < map_bytes[map][0]; i++)
                    buf[k++] = map_bytes[map][1 + i];
                buf[k++] = (uint8_t)op;
                buf[k++] = (uint8_t)modrm;
                buf[k++] = sibs[s];
                while (k < sizeof(buf))
                    buf[k++] = rnd8();
                check_one(m, buf, c);
            }
        }
    }
}

/* VEX/XOP forms: C5 and C4 with each map and the ModRM space. */
static void run_vex(enum tmode m, struct counts *c)
{
    uint8_t buf[32];

    for (int form = 0; form < 4; form++)
    for (int op = 0; op < 256; op++)
    for (int modrm = 0; modrm < 256; modrm += 3) {
        size_t k = 0;
        if (form == 0) {
            buf[k++] = 0xc5;
            buf[k++] = 0xf8 | (rnd8() & 7);
        } else {
            buf[k++] = 0xc4;
            buf[k++] = (uint8_t)(0xe0 | form);
            buf[k++] = (uint8_t)(0x78 | (rnd8() & 0x87));
        }
        buf[k++] = (uint8_t)op;
        buf[k++] = (uint8_t)modrm;
        while (k < sizeof(buf))
            buf[k++] = rnd8();
        check_one(m, buf, c);
    }
}

static void run_random(enum tmode m, struct counts *c, unsigned n)
{
    uint8_t buf[32];

    for (unsigned i = 0; i < n; i++) {
        for (size_t k = 0; k < sizeof(buf); k++)
            buf[k] = rnd8();
        check_one(m, buf, c);
    }
}

static void test_lengths_vs_capstone(void **state)
{
    static const cs_mode csm[TMODES] = { CS_MODE_64, CS_MODE_32, CS_MODE_16 };
    unsigned long total = 0, fails = 0, all[E_COUNT] = { 0 };

    (void)state;
    fake.ram = calloc(1, RAM_SIZE);
    assert_non_null(fake.ram);
    setup_states();
    /* All three decoders stay open: a 16-bit sibling may be asked of the
     * 32-bit one. */
    for (int m = 0; m < TMODES; m++)
        assert_int_equal(cs_open(CS_ARCH_X86, csm[m], &cs[m]), CS_ERR_OK);
    for (int m = 0; m < TMODES; m++) {
        struct counts c = { 0 };
        run_systematic((enum tmode)m, &c);
        run_vex((enum tmode)m, &c);
        run_random((enum tmode)m, &c, 300000);
        printf("mode %s: %lu encodings compared with Capstone: %lu same "
               "length, %lu rejected by both, %lu failures\n",
               mode_name[m], c.checked, c.agree, c.both_reject, c.failures);
        for (int e = 0; e < E_COUNT; e++) {
            all[e] += c.entries[e];
            if (c.entries[e])
                printf("    %lu x entry %d\n", c.entries[e], e);
        }
        total += c.checked;
        fails += c.failures;
    }
    for (int m = 0; m < TMODES; m++)
        cs_close(&cs[m]);
    printf("allowed differences, with the manual's reason:\n");
    for (int e = 0; e < E_COUNT; e++)
        printf("  entry %d (%lu encodings): %s\n", e, all[e],
               entry_reason[e]);
    printf("total: %lu encodings compared with Capstone, %lu failures\n",
           total, fails);
    free(fake.ram);
    assert_int_equal(fails, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lengths_vs_capstone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
