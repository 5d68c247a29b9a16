/* Host tests of Keel's guest CPUID and MSR policies (hv/exit/cpuid.c, hv/exit/msr.c):
 * what a guest sees, what it may write, and #GP for the rest. The host CPU
 * is the fixed AMD-like model in host_stubs.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/msr_index.h"
#include "hv/core/vcpu.h"
#include "hv/core/vm.h"
#include "hv/dev/pvclock.h"
#include "hv/dev/vlapic.h"
#include "hv/exit/cpuid.h"
#include "hv/exit/msr.h"
#include "lib/errno.h"
#include "test/unit/host_stubs.h"

static struct vm vm = { .name = "t" };
static struct vcpu vcpu = { .vm = &vm };

static void q(uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    cpuid_guest(&vcpu, leaf, sub, out);
}

static void test_hypervisor_leaves(void **state)
{
    uint32_t r[4];
    char sig[13] = { 0 };

    q(1, 0, r);
    assert_true(r[2] & CPUID_1_ECX_HYPERVISOR);
    assert_false(r[2] & CPUID_1_ECX_VMX);
    assert_false(r[2] & CPUID_1_ECX_MONITOR);
    assert_true(r[2] & CPUID_1_ECX_X2APIC);
    assert_true(r[2] & CPUID_1_ECX_TSC_DEADLINE);
    q(0x80000001, 0, r);
    assert_false(r[2] & CPUID_80000001_ECX_SVM);

    q(CPUID_KEEL_BASE, 0, r);
    assert_int_equal(r[0], CPUID_KEEL_MAX);
    memcpy(sig, &r[1], 4);
    memcpy(sig + 4, &r[2], 4);
    memcpy(sig + 8, &r[3], 4);
    assert_string_equal(sig, "KeelKeelKeel");

    /* The kvmclock-compatible block sits one step of 0x100 higher. */
    q(CPUID_KVM_BASE, 0, r);
    assert_int_equal(r[0], CPUID_KVM_FEATURES);
    assert_memory_equal(&r[1], "KVMK", 4);
    q(CPUID_KVM_FEATURES, 0, r);
    assert_int_equal(r[0], KVM_FEATURE_CLOCKSOURCE2 |
                           KVM_FEATURE_CLOCKSOURCE_STABLE_BIT);
}

static void test_apic_id_and_osxsave_follow_the_vcpu(void **state)
{
    uint32_t r[4];
    vcpu.id = 3;
    vcpu.state.cr4 = 0;
    q(1, 0, r);
    assert_int_equal(r[1] >> 24, 3);
    assert_false(r[2] & CPUID_1_ECX_OSXSAVE);
    vcpu.state.cr4 = CR4_OSXSAVE;
    q(1, 0, r);
    assert_true(r[2] & CPUID_1_ECX_OSXSAVE);
    vcpu.id = 0;
    vcpu.state.cr4 = 0;
}

static void test_max_leaves_and_unknown_leaves(void **state)
{
    uint32_t r[4];
    q(0, 0, r);
    assert_true(r[0] <= 0xd);
    q(0x12345, 0, r);
    assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
    q(0x8000000a, 0, r);            /* SVM features: hidden */
    assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
}

static void test_efer_rules(void **state)
{
    uint64_t v;
    vcpu.state.efer = 0;
    vcpu.state.cr0 = 0;
    assert_int_equal(msr_write(&vcpu, 0xc0000080, EFER_LME | EFER_SCE), 0);
    assert_int_equal(msr_read(&vcpu, 0xc0000080, &v), 0);
    assert_int_equal(v, EFER_LME | EFER_SCE);
    /* SVME is Keel's, reserved bits #GP. */
    assert_int_equal(msr_write(&vcpu, 0xc0000080, EFER_SVME), -EINVAL);
    assert_int_equal(msr_write(&vcpu, 0xc0000080, BIT(2)), -EINVAL);
    /* LME may not change while paging is on. */
    vcpu.state.cr0 = CR0_PG | CR0_PE;
    assert_int_equal(msr_write(&vcpu, 0xc0000080, 0), -EINVAL);
    vcpu.state.cr0 = 0;
}

static void test_pat_and_unknown(void **state)
{
    uint64_t v;
    assert_int_equal(msr_write(&vcpu, 0x277, PAT_POWER_ON), 0);
    assert_int_equal(msr_read(&vcpu, 0x277, &v), 0);
    assert_int_equal(v, PAT_POWER_ON);
    assert_int_equal(msr_write(&vcpu, 0x277, 0x2), -EINVAL);  /* type 2 */
    assert_int_equal(msr_read(&vcpu, 0xdeadbeef, &v), -EINVAL);
    assert_int_equal(msr_write(&vcpu, 0xdeadbeef, 1), -EINVAL);
}

/* The fixed-value table (issue 11; old code: #GP for all of these writes
 * and for the PMU reads). The stub CPU is AMD. */
static void test_legacy_pmu_and_misc_enable(void **state)
{
    uint64_t v = 1;
    for (uint32_t m = MSR_K7_EVNTSEL0; m <= MSR_K7_PERFCTR3; m++) {
        assert_int_equal(msr_read(&vcpu, m, &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(msr_write(&vcpu, m, 0x430076), 0);   /* dropped */
        assert_int_equal(msr_read(&vcpu, m, &v), 0);
        assert_int_equal(v, 0);
    }
    assert_int_equal(msr_read(&vcpu, MSR_K7_PERFCTR3 + 1, &v), -EINVAL);
    /* No architectural PMU (CPUID 0xA is 0): IA32_PMC0, PERFEVTSEL0 #GP. */
    assert_int_equal(msr_read(&vcpu, 0xc1, &v), -EINVAL);
    assert_int_equal(msr_write(&vcpu, 0x186, 0), -EINVAL);

    uint64_t misc;
    assert_int_equal(msr_read(&vcpu, MSR_IA32_MISC_ENABLE, &misc), 0);
    assert_int_equal(misc, BIT(0) | BIT(11) | BIT(12));
    assert_int_equal(msr_write(&vcpu, MSR_IA32_MISC_ENABLE, misc), 0);
    /* R/W bits are accepted and ignored (fast strings off, XD disable). */
    assert_int_equal(msr_write(&vcpu, MSR_IA32_MISC_ENABLE,
                               (misc & ~BIT(0)) | BIT(34)), 0);
    assert_int_equal(msr_read(&vcpu, MSR_IA32_MISC_ENABLE, &v), 0);
    assert_int_equal(v, misc);
    /* Reserved bits and a changed read-only bit #GP. */
    assert_int_equal(msr_write(&vcpu, MSR_IA32_MISC_ENABLE, misc | BIT(1)), -EINVAL);
    assert_int_equal(msr_write(&vcpu, MSR_IA32_MISC_ENABLE, misc | BIT(7)), -EINVAL);
    assert_int_equal(msr_write(&vcpu, MSR_IA32_MISC_ENABLE, misc & ~BIT(11)), -EINVAL);
    /* Read-only MSRs of the table refuse writes. */
    assert_int_equal(msr_write(&vcpu, MSR_IA32_MTRRCAP, 0), -EINVAL);
}

/* SDM 3A 11.4.3: with IA32_APIC_BASE.EN = 0, CPUID.1:EDX.APIC reads 0
 * (old code: always 1). */
static void test_cpuid_apic_bit_follows_apic_base(void **state)
{
    uint32_t r[4];
    static struct vlapic l;          /* vlapic_create's memory is never freed */
    vlapic_reset(&l, false);
    vcpu.lapic = &l;
    q(1, 0, r);
    assert_true(r[3] & CPUID_1_EDX_APIC);
    assert_int_equal(msr_write(&vcpu, MSR_IA32_APIC_BASE,
                               APIC_DEFAULT_BASE | APIC_BASE_BSP), 0);
    q(1, 0, r);
    assert_false(r[3] & CPUID_1_EDX_APIC);
    assert_int_equal(msr_write(&vcpu, MSR_IA32_APIC_BASE, APIC_DEFAULT_BASE |
                               APIC_BASE_BSP | APIC_BASE_EN), 0);
    q(1, 0, r);
    assert_true(r[3] & CPUID_1_EDX_APIC);
    vcpu.lapic = NULL;
}

static void test_tsc_offset(void **state)
{
    uint64_t v;
    stub_now_ns = 1000;
    assert_int_equal(msr_write(&vcpu, 0x10, 5000), 0);
    assert_int_equal(msr_read(&vcpu, 0x10, &v), 0);
    assert_int_equal(v, 5000);
    stub_now_ns = 3000;   /* 1 GHz stub TSC: 2000 ticks later */
    assert_int_equal(msr_read(&vcpu, 0x10, &v), 0);
    assert_int_equal(v, 7000);
    vcpu.tsc_offset = 0;
}

static void test_passthrough_list_is_guest_state_only(void **state)
{
    /* EFER, PAT and the APIC base must never be passed through. */
    for (unsigned i = 0; i < MSR_PASSTHROUGH_COUNT; i++) {
        assert_int_not_equal(msr_passthrough[i].index, 0xc0000080);
        assert_int_not_equal(msr_passthrough[i].index, 0x277);
        assert_int_not_equal(msr_passthrough[i].index, 0x1b);
    }
    /* Exactly the set both vendors' bitmaps have passed through so far,
     * reads and writes. */
    static const uint32_t want[] = {
        0xc0000100, 0xc0000101, 0xc0000102, 0xc0000081, 0xc0000082,
        0xc0000083, 0xc0000084, 0xc0000103, 0x174, 0x175, 0x176,
    };
    assert_int_equal(MSR_PASSTHROUGH_COUNT, sizeof(want) / sizeof(want[0]));
    for (unsigned i = 0; i < MSR_PASSTHROUGH_COUNT; i++) {
        assert_int_equal(msr_passthrough[i].index, want[i]);
        assert_int_equal(msr_passthrough[i].flags, MSR_PASS_RW);
    }
}

static void test_pvclock_scale(void **state)
{
    static const uint64_t rates[] = { 100000000ULL, 999999999ULL,
                                      1000000000ULL, 2005752000ULL,
                                      3600000000ULL, 10000000000ULL };
    for (unsigned i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
        uint32_t mul;
        int8_t shift;
        pvclock_scale(rates[i], &mul, &shift);
        /* One second of ticks must scale to 1e9 ns within 1 ppm. */
        uint64_t ticks = rates[i];
        __uint128_t t = shift >= 0 ? (__uint128_t)ticks << shift
                                   : (__uint128_t)ticks >> -shift;
        uint64_t ns = (uint64_t)((t * mul) >> 32);
        assert_true(ns > 999999000ULL && ns <= 1000001000ULL);
        assert_true(mul >= 0x80000000u || rates[i] > 2000000000ULL);
    }
}

/* Every vCPU's kvmclock snapshot is the same (Keel's time origin), whenever
 * its MSR was written: with the stable bit the guest compares readings of
 * different vCPUs unguarded, so they must be one function of the TSC. */
static void test_pvclock_one_snapshot_for_every_vcpu(void **state)
{
    static uint8_t ram[8192] __attribute__((aligned(4096)));
    struct guest_mem mem = { .nr_slots = 1 };
    mem.slots[0] = (struct mem_slot){ .gpa = 0, .size = sizeof(ram),
                                      .hpa = (hpa_t)(uintptr_t)ram };
    struct pvclock a = { 0 }, b = { 0 };
    uint64_t saved_now = stub_now_ns, saved_boot = stub_tsc_at_boot;
    stub_tsc_at_boot = 12345;
    stub_now_ns = 1000000;
    assert_int_equal(pvclock_wrmsr(&a, &mem, 500, MSR_KVM_SYSTEM_TIME_NEW,
                                   0x100 | 1), 0);
    stub_now_ns = 7777777777ULL;      /* the second vCPU starts later */
    assert_int_equal(pvclock_wrmsr(&b, &mem, 500, MSR_KVM_SYSTEM_TIME_NEW,
                                   0x200 | 1), 0);
    const struct pvclock_vcpu_time_info *ta = (void *)(ram + 0x100);
    const struct pvclock_vcpu_time_info *tb = (void *)(ram + 0x200);
    assert_int_equal(ta->tsc_timestamp, 12345 + 500);
    assert_int_equal(ta->system_time, 0);
    assert_int_equal(tb->tsc_timestamp, ta->tsc_timestamp);
    assert_int_equal(tb->system_time, ta->system_time);
    assert_int_equal(tb->tsc_to_system_mul, ta->tsc_to_system_mul);
    assert_int_equal(tb->tsc_shift, ta->tsc_shift);
    assert_true(tb->flags & PVCLOCK_TSC_STABLE_BIT);
    assert_int_equal(ta->version & 1, 0);
    stub_now_ns = saved_now;
    stub_tsc_at_boot = saved_boot;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hypervisor_leaves),
        cmocka_unit_test(test_apic_id_and_osxsave_follow_the_vcpu),
        cmocka_unit_test(test_max_leaves_and_unknown_leaves),
        cmocka_unit_test(test_efer_rules),
        cmocka_unit_test(test_pat_and_unknown),
        cmocka_unit_test(test_legacy_pmu_and_misc_enable),
        cmocka_unit_test(test_cpuid_apic_bit_follows_apic_base),
        cmocka_unit_test(test_tsc_offset),
        cmocka_unit_test(test_passthrough_list_is_guest_state_only),
        cmocka_unit_test(test_pvclock_scale),
        cmocka_unit_test(test_pvclock_one_snapshot_for_every_vcpu),
    };
    return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
