/* Host tests of the host LAPIC's register mapping (drivers/lapic_regs.c):
 * xAPIC page offset <-> x2APIC MSR (SDM 3A 11.12.1.2 Table 11-6) and the
 * ICR in both modes (11.6.1 Figure 11-12, 11.12.9). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "drivers/lapic.h"
#include "lib/errno.h"

/* The rows of Table 11-6 that Keel's host code uses, plus the ends. */
static const struct { uint32_t offset, msr; } table_11_6[] = {
    { APIC_REG_ID,       0x802 },
    { APIC_REG_VERSION,  0x803 },
    { APIC_REG_TPR,      0x808 },
    { APIC_REG_PPR,      0x80a },
    { APIC_REG_EOI,      0x80b },
    { APIC_REG_LDR,      0x80d },
    { APIC_REG_SVR,      0x80f },
    { APIC_REG_ISR,      0x810 },
    { APIC_REG_TMR,      0x818 },
    { APIC_REG_IRR,      0x820 },
    { APIC_REG_ESR,      0x828 },
    { APIC_REG_ICR_LO,   0x830 },
    { APIC_LVT_TIMER,    0x832 },
    { APIC_LVT_LINT0,    0x835 },
    { APIC_LVT_LINT1,    0x836 },
    { APIC_LVT_ERROR,    0x837 },
    { APIC_REG_TMICT,    0x838 },
    { APIC_REG_TMCCT,    0x839 },
    { APIC_REG_TDCR,     0x83e },
    { APIC_REG_SELF_IPI, 0x83f },
};

static void test_offset_to_msr(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(table_11_6) / sizeof(table_11_6[0]); i++)
        assert_int_equal(lapic_regs_msr(table_11_6[i].offset),
                         table_11_6[i].msr);
    assert_int_equal(lapic_regs_msr(0), 0x800);
    assert_int_equal(MSR_X2APIC_ICR, lapic_regs_msr(APIC_REG_ICR_LO));
}

static void test_msr_to_offset(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(table_11_6) / sizeof(table_11_6[0]); i++)
        assert_int_equal(lapic_regs_offset(table_11_6[i].msr),
                         (int)table_11_6[i].offset);
    /* Every offset survives the round trip. */
    for (uint32_t off = 0; off < LAPIC_REGS_END; off += 16)
        assert_int_equal(lapic_regs_offset(lapic_regs_msr(off)), (int)off);
}

static void test_bad_offsets_and_msrs(void **state)
{
    (void)state;
    assert_int_equal(lapic_regs_msr(0x0b4), 0);    /* not 16-aligned */
    assert_int_equal(lapic_regs_msr(0x001), 0);
    assert_int_equal(lapic_regs_msr(LAPIC_REGS_END), 0);
    assert_int_equal(lapic_regs_msr(0xff0), 0);
    assert_int_equal(lapic_regs_offset(0x7ff), -EINVAL);
    assert_int_equal(lapic_regs_offset(0x840), -EINVAL);
    assert_int_equal(lapic_regs_offset(0x8ff), -EINVAL);
    assert_int_equal(lapic_regs_offset(0x1b), -EINVAL);   /* IA32_APIC_BASE */
}

static void test_icr_low(void **state)
{
    (void)state;
    /* Fixed, physical, edge, no shorthand: vector and the assert bit. */
    assert_int_equal(lapic_regs_icr_low(0x40, APIC_DM_FIXED, APIC_SH_NONE),
                     0x00004040u);
    /* Fixed to self (shorthand 01b in bits 19:18). */
    assert_int_equal(lapic_regs_icr_low(0xf0, APIC_DM_FIXED, APIC_SH_SELF),
                     0x000440f0u);
    /* NMI to self: delivery mode 100b in bits 10:8, vector ignored. */
    assert_int_equal(lapic_regs_icr_low(0, APIC_DM_NMI, APIC_SH_SELF),
                     0x00044400u);
    /* INIT to all excluding self. */
    assert_int_equal(lapic_regs_icr_low(0, APIC_DM_INIT, APIC_SH_ALL_EXCL),
                     0x000c4500u);
    /* Out-of-range modes and shorthands stay in their fields. */
    assert_int_equal(lapic_regs_icr_low(0x20, 0xf, 0x7),
                     0x20u | (7u << 8) | (1u << 14) | (3u << 18));
}

static void test_icr_destinations(void **state)
{
    (void)state;
    uint32_t low = lapic_regs_icr_low(0x31, APIC_DM_FIXED, APIC_SH_NONE);
    /* x2APIC: one 64-bit MSR, the 32-bit destination in bits 63:32. */
    assert_int_equal(lapic_regs_icr_x2apic(0x12345678, low),
                     0x1234567800004031ULL);
    assert_int_equal(lapic_regs_icr_x2apic(APIC_BROADCAST_X2APIC, low),
                     0xffffffff00004031ULL);
    assert_int_equal(lapic_regs_icr_x2apic(0, 0), 0);
    /* xAPIC: the 8-bit destination in ICR high bits 31:24. */
    assert_int_equal(lapic_regs_icr_xapic_high(3), 0x03000000u);
    assert_int_equal(lapic_regs_icr_xapic_high(APIC_BROADCAST_XAPIC),
                     0xff000000u);
    assert_int_equal(lapic_regs_icr_xapic_high(0x1ff), 0xff000000u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offset_to_msr),
        cmocka_unit_test(test_msr_to_offset),
        cmocka_unit_test(test_bad_offsets_and_msrs),
        cmocka_unit_test(test_icr_low),
        cmocka_unit_test(test_icr_destinations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
