/* Instruction-length decoding (emulate_insn_length) checked against
 * Capstone on systematically generated and random encodings, in 64-bit,
 * 32-bit and 16-bit code. */
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

/* Deliberate differences from Capstone 4.0.2, each with its reason. A
 * match returns true and the case is counted as an exception, not a
 * failure. */
static bool is_legacy_prefix(uint8_t b)
{
    return b == 0x66 || b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3 ||
           b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 ||
           b == 0x65;
}

static bool known_exception(enum tmode m, const uint8_t *b, int ours,
                            size_t theirs)
{
    size_t i = 0;
    bool p66 = false, p67 = false, p_vexbad = false, rex = false;
    bool stale_rex = false, prep = false;

    for (; i < 14; i++) {
        if (is_legacy_prefix(b[i])) {
            p66 |= b[i] == 0x66;
            p67 |= b[i] == 0x67;
            p_vexbad |= b[i] == 0x66 || b[i] == 0xf0 || b[i] == 0xf2 ||
                        b[i] == 0xf3;
            stale_rex |= rex;
            prep |= b[i] == 0xf2 || b[i] == 0xf3;
            rex = false;
        } else if (m == T64 && (b[i] & 0xf0) == 0x40) {
            rex = true;
            p_vexbad = true;
        } else {
            break;
        }
    }
    /* 1. UD1 (0F B9) and UD0 (0F FF) take a ModRM (SDM 2 "UD"); Capstone
     *    4 decodes them as two bytes. Both raise #UD, so their length is
     *    never used. */
    if (b[i] == 0x0f && (b[i + 1] == 0xb9 || b[i + 1] == 0xff) &&
        theirs == i + 2)
        return true;
    /* 2. VEX/XOP/EVEX after 66, F0, F2, F3 or REX is #UD (SDM 2 2.3.2);
     *    Capstone 4 accepts it. */
    if (ours == -EINVAL && p_vexbad &&
        (b[i] == 0xc4 || b[i] == 0xc5 || b[i] == 0x8f || b[i] == 0x62))
        return true;
    /* 3. RET imm16 with 66 or 67 and REX (e.g. 66 48 C2 iw) is 5 bytes;
     *    Capstone 4 reports 7. */
    if (m == T64 && (p66 || p67) && rex && (b[i] == 0xc2 || b[i] == 0xca) &&
        ours == (int)i + 3)
        return true;
    /* 4. 0F 78: Capstone 4 chooses between VMREAD and EXTRQ/INSERTQ (which
     *    carry two immediate bytes) by the wrong prefix when 67 is present
     *    or in 16-bit mode (where it reads 66 as an operand-size toggle,
     *    not as the mandatory prefix). */
    if ((p67 || m == T16) && b[i] == 0x0f && b[i + 1] == 0x78 &&
        (ours == (int)theirs + 2 || ours + 2 == (int)theirs))
        return true;
    /* 5. Near CALL/JMP/Jcc rel in 64-bit mode, where 66 selects rel16
     *    (AMD): Capstone 4 takes 67 with REX.W as rel16, and ignores the 66
     *    after a REX that a later legacy prefix cancelled (SDM 2 2.2.1:
     *    such a REX is simply ignored) or next to F2/F3. */
    if (m == T64 && (b[i] == 0xe8 || b[i] == 0xe9 ||
                     (b[i] == 0x0f && (b[i + 1] & 0xf0) == 0x80)) &&
        (ours == (int)theirs + 2 || ours + 2 == (int)theirs) &&
        (p67 || stale_rex || (p66 && prep)))
        return true;
    return false;
}

struct counts {
    unsigned long checked, agree, ours_only, cs_only, exceptions, mismatches;
};

static void check_one(enum tmode m, const uint8_t *buf, struct counts *c)
{
    struct emu_result res;
    cs_insn *ci;
    int ours;
    size_t theirs = 0;
    size_t n;

    memcpy(fake.ram + CODE_GPA, buf, 15);
    memset(&res, 0, sizeof(res));
    ours = emulate_insn_length(&states[m], &ops, &res);
    n = cs_disasm(cs[m], buf, 15, CODE_GPA, 1, &ci);
    if (n) {
        theirs = ci[0].size;
        cs_free(ci, n);
    }
    if (!n) {
        if (ours > 0)
            c->ours_only++;
        return;
    }
    c->checked++;
    if (ours > 0 && (size_t)ours == theirs) {
        c->agree++;
        return;
    }
    if (known_exception(m, buf, ours, theirs)) {
        c->exceptions++;
        return;
    }
    if (ours < 0)
        c->cs_only++;
    c->mismatches++;
    if (c->mismatches <= 40 || getenv("EMU_DECODE_ALL")) {
        printf("  mode %s: ours %d capstone %zu:", mode_name[m], ours, theirs);
        for (size_t i = 0; i < (theirs > 0 ? theirs : 15); i++)
            printf(" %02x", buf[i]);
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
    unsigned long total = 0, mism = 0;

    (void)state;
    fake.ram = calloc(1, RAM_SIZE);
    assert_non_null(fake.ram);
    setup_states();
    for (int m = 0; m < TMODES; m++) {
        struct counts c = { 0 };
        assert_int_equal(cs_open(CS_ARCH_X86, csm[m], &cs[m]), CS_ERR_OK);
        run_systematic((enum tmode)m, &c);
        run_vex((enum tmode)m, &c);
        run_random((enum tmode)m, &c, 300000);
        printf("mode %s: %lu encodings checked vs Capstone, %lu agree, "
               "%lu documented exceptions, %lu mismatches "
               "(%lu rejected by us only); %lu accepted by us only\n",
               mode_name[m], c.checked, c.agree, c.exceptions, c.mismatches,
               c.cs_only, c.ours_only);
        total += c.checked;
        mism += c.mismatches;
        cs_close(&cs[m]);
    }
    printf("total: %lu encodings checked against Capstone\n", total);
    free(fake.ram);
    assert_int_equal(mism, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lengths_vs_capstone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
