/* svm_assist (arch/x86/svm/svm_assist.h): which source SVM takes
 * instruction lengths and MMIO instruction bytes from, for every
 * combination of CPUID Fn8000_000A EDX.NRIPS and .DecodeAssists, and what
 * each source gives for a VMCB. QEMU TCG has neither feature, so this is
 * the only test of the CPU-assisted paths; test_emulate_exec's
 * test_prefetched_bytes runs the emulator on bytes given this way. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/svm/svm_assist.h"

#define UNUSED __attribute__((unused))

static void test_select(void **s UNUSED)
{
    struct svm_assists a = svm_assist_select(0);
    assert_false(a.nrips);
    assert_false(a.decode_assists);
    /* QEMU TCG's qemu64,+svm,+npt: NP only. */
    a = svm_assist_select(CPUID_8000000A_EDX_NP);
    assert_false(a.nrips);
    assert_false(a.decode_assists);
    a = svm_assist_select(CPUID_8000000A_EDX_NP | CPUID_8000000A_EDX_NRIPS);
    assert_true(a.nrips);
    assert_false(a.decode_assists);
    a = svm_assist_select(CPUID_8000000A_EDX_DECODE_ASSISTS);
    assert_false(a.nrips);
    assert_true(a.decode_assists);
    /* A Zen CPU or KVM's nested SVM: everything set. */
    a = svm_assist_select(0xffffffffu);
    assert_true(a.nrips);
    assert_true(a.decode_assists);
}

static void test_describe(void **s UNUSED)
{
    struct svm_assists none = { 0 }, nrip = { .nrips = true },
                       da = { .decode_assists = true },
                       both = { .nrips = true, .decode_assists = true };
    assert_non_null(strstr(svm_assist_describe(&none),
                           "lengths and MMIO instructions from Keel's decoder"));
    assert_non_null(strstr(svm_assist_describe(&nrip),
                           "instruction lengths from nRIP (next-RIP save)"));
    assert_non_null(strstr(svm_assist_describe(&nrip), "no decode assists"));
    assert_non_null(strstr(svm_assist_describe(&da), "no next-RIP save"));
    assert_non_null(strstr(svm_assist_describe(&da),
                           "bytes from the VMCB (decode assists)"));
    assert_non_null(strstr(svm_assist_describe(&both), "lengths from nRIP"));
    assert_non_null(strstr(svm_assist_describe(&both), "from the VMCB"));
}

static void test_insn_len(void **s UNUSED)
{
    struct svm_assists on = { .nrips = true }, off = { 0 };
    const uint64_t rip = 0xffffffff81000000ull;
    /* Without next-RIP save the length is unknown: the decoder runs. */
    assert_int_equal(svm_assist_insn_len(&off, rip, rip + 2), 0);
    assert_int_equal(svm_assist_insn_len(&on, rip, rip + 2), 2);    /* CPUID */
    assert_int_equal(svm_assist_insn_len(&on, rip, rip + 1), 1);    /* HLT */
    assert_int_equal(svm_assist_insn_len(&on, rip, rip + 15), 15);
    /* nRIP is zero for intercepts that save none (#NPF, INTR, ...). */
    assert_int_equal(svm_assist_insn_len(&on, rip, 0), 0);
    assert_int_equal(svm_assist_insn_len(&on, rip, rip), 0);
    assert_int_equal(svm_assist_insn_len(&on, rip, rip - 1), 0);
    assert_int_equal(svm_assist_insn_len(&on, rip, rip + 16), 0);
    assert_int_equal(svm_assist_insn_len(&on, 0x7c00, 0x7c03), 3);
}

static void test_insn_bytes(void **s UNUSED)
{
    struct svm_assists on = { .decode_assists = true }, off = { 0 };
    struct vmcb_control c;
    uint8_t out[15];
    static const uint8_t mov[] = { 0x89, 0x18, 0x90, 0x90 };

    memset(&c, 0, sizeof(c));
    memcpy(c.insn_bytes, mov, sizeof(mov));
    c.insn_len = sizeof(mov);
    memset(out, 0xee, sizeof(out));
    assert_int_equal(svm_assist_insn_bytes(&off, &c, out), 0);
    assert_int_equal(out[0], 0xee);                      /* untouched */
    assert_int_equal(svm_assist_insn_bytes(&on, &c, out), 4);
    assert_memory_equal(out, mov, sizeof(mov));
    /* The CPU fetched nothing (the fault was on the fetch itself). */
    c.insn_len = 0;
    assert_int_equal(svm_assist_insn_bytes(&on, &c, out), 0);
    /* All 15; bits 7:4 of the count byte are not part of it. */
    for (unsigned i = 0; i < 15; i++)
        c.insn_bytes[i] = (uint8_t)(0x40 + i);
    c.insn_len = 0xf0 | 15;
    assert_int_equal(svm_assist_insn_bytes(&on, &c, out), 15);
    assert_memory_equal(out, c.insn_bytes, 15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_select),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_insn_len),
        cmocka_unit_test(test_insn_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
