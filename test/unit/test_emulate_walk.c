/* emulate_translate_record(): the guest page walk in its looking-only mode
 * (the monitor's "xlate"), on 4-level long-mode tables built in a fake
 * RAM: every level recorded, a 2 MiB page, a not-present level, a table
 * outside RAM, and no accessed/dirty bit written. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "hv/emulate/emulate.h"
#include "lib/errno.h"

#define UNUSED __attribute__((unused))
#define RAM_SIZE (1u << 20)
#define P  0x1ULL
#define RW 0x2ULL
#define PS 0x80ULL

static uint8_t ram[RAM_SIZE];

static int read_ram(void *ctx UNUSED, gpa_t gpa, void *buf, size_t len)
{
    if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
        return -EFAULT;
    memcpy(buf, ram + gpa, len);
    return 0;
}

/* write_ram is NULL: a call would crash the test. */
static const struct emu_ops ops = { .read_ram = read_ram };

static void wr64(gpa_t gpa, uint64_t v) { memcpy(ram + gpa, &v, 8); }

/* Long mode, 4-level paging, CR3 = 0x1000. The tables map
 *   gva 0x0000_4020_3456 -> PML4[0] -> PDPT[1] -> PD[1] -> PT[3] -> 0x7000,
 *   gva 0x0000_4040_1234 -> PML4[0] -> PDPT[1] -> PD[2]: 2 MiB at 0x600000,
 *   gva 0x0000_4060_0000 -> PD[3] not present. */
static struct vcpu_state setup(void)
{
    struct vcpu_state st;
    memset(ram, 0, sizeof(ram));
    memset(&st, 0, sizeof(st));
    st.cr0 = CR0_PE | CR0_PG;
    st.cr4 = CR4_PAE;
    st.efer = EFER_LME | EFER_LMA;
    st.cr3 = 0x1000;
    wr64(0x1000 + 8 * 0, 0x2000 | P | RW);           /* PML4E */
    wr64(0x2000 + 8 * 1, 0x3000 | P | RW);           /* PDPTE: 1-2 GiB */
    wr64(0x3000 + 8 * 1, 0x4000 | P | RW);           /* PDE -> PT */
    wr64(0x3000 + 8 * 2, 0x600000 | P | RW | PS);    /* PDE: 2 MiB page */
    wr64(0x4000 + 8 * 3, 0x7000 | P);                /* PTE, read-only */
    return st;
}

static void test_4k_page_every_level(void **state UNUSED)
{
    struct vcpu_state st = setup();
    struct emu_walk w;
    uint8_t before[RAM_SIZE / 16];

    memcpy(before, ram, sizeof(before));
    assert_int_equal(emulate_translate_record(&st, &ops, 0x40203456, &w), 0);
    assert_string_equal(w.mode, "4-level");
    assert_int_equal(w.esize, 8);
    assert_int_equal(w.nr, 4);
    static const struct { unsigned level, index; gpa_t at; } want[] = {
        { 4, 0, 0x1000 }, { 3, 1, 0x2008 }, { 2, 1, 0x3008 },
        { 1, 3, 0x4018 },
    };
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(w.lv[i].level, want[i].level);
        assert_int_equal(w.lv[i].index, want[i].index);
        assert_int_equal(w.lv[i].entry_gpa, want[i].at);
    }
    assert_int_equal(w.lv[3].entry, 0x7000 | P);
    assert_string_equal(emulate_level_name(w.lv[0].level), "PML4E");
    assert_string_equal(emulate_level_name(w.lv[3].level), "PTE");
    assert_int_equal(w.gpa, 0x7456);
    assert_int_equal(w.page_size, 4096);
    /* Looking sets no accessed or dirty bit. */
    assert_memory_equal(before, ram, sizeof(before));
}

static void test_2m_page(void **state UNUSED)
{
    struct vcpu_state st = setup();
    struct emu_walk w;

    assert_int_equal(emulate_translate_record(&st, &ops, 0x40401234, &w), 0);
    assert_int_equal(w.nr, 3);                       /* the PDE ends it */
    assert_int_equal(w.lv[2].level, 2);
    assert_int_equal(w.lv[2].index, 2);
    assert_int_equal(w.lv[2].entry, 0x600000 | P | RW | PS);
    assert_int_equal(w.gpa, 0x601234);
    assert_int_equal(w.page_size, 2u << 20);
}

static void test_not_present(void **state UNUSED)
{
    struct vcpu_state st = setup();
    struct emu_walk w;

    assert_int_equal(emulate_translate_record(&st, &ops, 0x40600000, &w),
                     -ENOENT);
    assert_int_equal(w.nr, 3);                       /* the last is the PDE */
    assert_int_equal(w.lv[2].level, 2);
    assert_int_equal(w.lv[2].index, 3);
    assert_int_equal(w.lv[2].entry, 0);
    /* The emulator's mode of the same walk raises #PF (not present, read). */
    struct emu_result res = { 0 };
    gpa_t gpa;
    assert_int_equal(emulate_translate(&st, &ops, 0x40600000, EMU_ACC_READ,
                                       &gpa, &res), -EFAULT);
    assert_int_equal(res.fault.vector, 14);
    assert_int_equal(res.fault.error_code, 0);
    /* A PML4E pointing outside RAM: -EIO, the levels read so far kept. */
    wr64(0x1000 + 8 * 1, 0x40000000 | P | RW);
    assert_int_equal(emulate_translate_record(&st, &ops, 1ULL << 39, &w),
                     -EIO);
    assert_int_equal(w.nr, 1);
}

static void test_rights_not_checked(void **state UNUSED)
{
    struct vcpu_state st = setup();
    struct emu_walk w;

    /* A user-mode view of a supervisor-only, read-only page: the CPU's
     * walk faults, looking does not. */
    struct emu_result res = { 0 };
    gpa_t gpa;
    st.seg[SEG_SS].attr = 3u << 5;   /* CPL 3 */
    assert_int_equal(emulate_translate(&st, &ops, 0x40203456, EMU_ACC_READ,
                                       &gpa, &res), -EFAULT);
    assert_int_equal(res.fault.error_code, 5);       /* P | U/S */
    assert_int_equal(emulate_translate_record(&st, &ops, 0x40203456, &w), 0);
    assert_int_equal(w.gpa, 0x7456);
    /* Paging off: the GVA is the GPA, no levels. */
    st.cr0 = CR0_PE;
    st.efer = 0;
    assert_int_equal(emulate_translate_record(&st, &ops, 0x12345, &w), 0);
    assert_string_equal(w.mode, "paging off");
    assert_int_equal(w.nr, 0);
    assert_int_equal(w.gpa, 0x12345);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_4k_page_every_level),
        cmocka_unit_test(test_2m_page),
        cmocka_unit_test(test_not_present),
        cmocka_unit_test(test_rights_not_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
