/* Host tests of the software VMRUN consistency checks
 * (arch/x86/svm/svm_check.c, APM2 15.5.1 "Basic Operation"): a VMCB as
 * Keel builds it for a 32-bit guest passes; breaking each rule is caught
 * and named in the log, e.g. lab 1's classic mistake of leaving the VMRUN
 * intercept clear. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/svm/svm_check.h"
#include "arch/x86/vcpu_state.h"
#include "test/unit/host_stubs.h"

static struct vmcb vmcb;

static int setup(void **state)
{
    (void)state;
    memset(&vmcb, 0, sizeof(vmcb));
    vmcb.control.intercept_misc2 = SVM_INTERCEPT_VMRUN;
    vmcb.control.guest_asid = 1;
    vmcb.save.efer = EFER_SVME;
    vmcb.save.cr0 = CR0_PE | CR0_ET;
    vmcb.save.dr6 = 0xffff0ff0;
    vmcb.save.dr7 = 0x400;
    vmcb.save.cs.attrib = SEG_ATTR_DB;
    return 0;
}

/* Check the VMCB; returns the number of broken rules and asserts the log
 * names `what` when it is not NULL. */
static unsigned check(const char *what)
{
    stub_capture_begin();
    unsigned n = svm_check_vmcb(&vmcb);
    const char *log = stub_capture_end();
    if (what)
        assert_non_null(strstr(log, what));
    else
        assert_string_equal(log, "");
    return n;
}

static void test_keel_vmcb_passes(void **state)
{
    (void)state;
    assert_int_equal(check(NULL), 0);
    /* Long mode done right passes too. */
    vmcb.save.efer |= EFER_LME | EFER_LMA;
    vmcb.save.cr0 |= CR0_PG;
    vmcb.save.cr4 = CR4_PAE;
    vmcb.save.cs.attrib = SEG_ATTR_L;
    assert_int_equal(check(NULL), 0);
}

static void test_vmrun_intercept_clear(void **state)
{
    (void)state;
    vmcb.control.intercept_misc2 = 0;
    assert_int_equal(check("the VMRUN intercept is clear"), 1);
}

static void test_asid_zero(void **state)
{
    (void)state;
    vmcb.control.guest_asid = 0;
    assert_int_equal(check("guest_asid is 0"), 1);
}

static void test_efer(void **state)
{
    (void)state;
    vmcb.save.efer = 0;
    assert_int_equal(check("EFER.SVME is clear"), 1);
    vmcb.save.efer = EFER_SVME | BIT(9);
    assert_int_equal(check("must-be-zero"), 1);
    vmcb.save.efer = EFER_SVME | BIT(16);
    assert_int_equal(check("must-be-zero"), 1);
}

static void test_cr0_and_debug_registers(void **state)
{
    (void)state;
    vmcb.save.cr0 |= CR0_NW;
    assert_int_equal(check("CR0.NW is set with CR0.CD clear"), 1);
    vmcb.save.cr0 |= CR0_CD;                 /* CD=1, NW=1 is allowed */
    assert_int_equal(check(NULL), 0);
    vmcb.save.cr0 |= BIT(32);
    assert_int_equal(check("CR0 bits 63:32"), 1);
    setup(NULL);
    vmcb.save.dr6 |= BIT(40);
    vmcb.save.dr7 |= BIT(33);
    assert_int_equal(check("DR7 bits 63:32"), 2);
}

static void test_long_mode_rules(void **state)
{
    (void)state;
    vmcb.save.efer |= EFER_LME;
    vmcb.save.cr0 |= CR0_PG;
    assert_int_equal(check("CR4.PAE is clear"), 1);
    vmcb.save.cr4 = CR4_PAE;
    vmcb.save.cs.attrib = SEG_ATTR_L | SEG_ATTR_DB;
    assert_int_equal(check("both CS.L and CS.D set"), 1);
    vmcb.save.cs.attrib = SEG_ATTR_L;
    vmcb.save.cr0 &= ~CR0_PE;
    assert_int_equal(check("CR0.PE is clear"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup(f, setup)
        T(test_keel_vmcb_passes),
        T(test_vmrun_intercept_clear),
        T(test_asid_zero),
        T(test_efer),
        T(test_cr0_and_debug_registers),
        T(test_long_mode_rules),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
