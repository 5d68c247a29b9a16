/* virt_check, virt_check_svm, virt_check_vmx (hv/core/virt_check.h): every
 * case of the go/no-go decision on hardware virtualization, from CPUID bits
 * and MSR values. A refusal must name the firmware setting to change (or
 * say there is none). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "hv/core/virt_check.h"

#define UNUSED __attribute__((unused))

#define FC_LOCKED_ON  (FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_OUTSIDE_SMX)
#define FC_LOCKED_OFF FEATURE_CONTROL_LOCK
/* Locked with VMX only inside SMX (TXT): still off for Keel, which does
 * not run in SMX. */
#define FC_LOCKED_SMX_ONLY (FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_IN_SMX)

static void assert_ok(struct virt_facts f)
{
    const char *why = virt_check(&f);
    if (why)
        fail_msg("refused: %s", why);
}

static void assert_refused(struct virt_facts f, const char *needle,
                           const char *setting)
{
    const char *why = virt_check(&f);
    assert_non_null(why);
    if (!strstr(why, needle))
        fail_msg("%s: no \"%s\"", why, needle);
    if (setting && !strstr(why, setting))
        fail_msg("%s: does not name \"%s\"", why, setting);
}

static void test_svm_enabled(void **s UNUSED)
{
    assert_ok((struct virt_facts){ .svm = true, .svm_np = true });
    /* Locked on, as firmware with SVM enabled usually leaves it. */
    assert_ok((struct virt_facts){ .svm = true, .svm_np = true,
                                   .vm_cr = VM_CR_LOCK });
}

static void test_svm_disabled_by_firmware(void **s UNUSED)
{
    assert_refused((struct virt_facts){ .svm = true, .svm_np = true,
                                        .vm_cr = VM_CR_SVMDIS | VM_CR_LOCK },
                   "VM_CR.SVMDIS=1", "\"SVM Mode\"");
    /* Unlocked but set: refused too (Keel does not rewrite VM_CR). */
    assert_refused((struct virt_facts){ .svm = true, .svm_np = true,
                                        .vm_cr = VM_CR_SVMDIS },
                   "disabled by the firmware", "\"SVM Mode\"");
}

static void test_svm_without_nested_paging(void **s UNUSED)
{
    assert_refused((struct virt_facts){ .svm = true },
                   "no nested paging", "npt=1");
}

static void test_vmx_enabled(void **s UNUSED)
{
    assert_ok((struct virt_facts){ .vmx = true,
                                   .feature_control = FC_LOCKED_ON });
    /* Unlocked: Keel sets VMX outside SMX and the lock bit itself. */
    assert_ok((struct virt_facts){ .vmx = true, .feature_control = 0 });
    assert_ok((struct virt_facts){ .vmx = true,
                                   .feature_control =
                                       FEATURE_CONTROL_VMX_IN_SMX });
}

static void test_vmx_disabled_by_firmware(void **s UNUSED)
{
    assert_refused((struct virt_facts){ .vmx = true,
                                        .feature_control = FC_LOCKED_OFF },
                   "IA32_FEATURE_CONTROL locked",
                   "\"Intel Virtualization Technology\"");
    assert_refused((struct virt_facts){ .vmx = true,
                                        .feature_control =
                                            FC_LOCKED_SMX_ONLY },
                   "VMX outside SMX off",
                   "\"Intel Virtualization Technology\"");
}

static void test_neither(void **s UNUSED)
{
    assert_refused((struct virt_facts){ 0 }, "neither Intel VT-x",
                   "nested virtualization");
    /* MSR values without their CPUID bit mean nothing. */
    assert_refused((struct virt_facts){ .feature_control = FC_LOCKED_ON,
                                        .svm_np = true },
                   "neither", "\"SVM Mode\"");
}

static void test_both_reported(void **s UNUSED)
{
    /* Either one usable is enough. */
    assert_ok((struct virt_facts){ .svm = true, .svm_np = true,
                                   .vm_cr = VM_CR_SVMDIS, .vmx = true,
                                   .feature_control = FC_LOCKED_ON });
    assert_ok((struct virt_facts){ .svm = true, .svm_np = true, .vmx = true,
                                   .feature_control = FC_LOCKED_OFF });
    /* Both off: the SVM reason. */
    assert_refused((struct virt_facts){ .svm = true, .svm_np = true,
                                        .vm_cr = VM_CR_SVMDIS, .vmx = true,
                                        .feature_control = FC_LOCKED_OFF },
                   "SVMDIS", NULL);
}

/* Each vendor's own verdict, as svm_detect and vmx_detect log it. */
static void test_per_vendor(void **s UNUSED)
{
    const struct virt_facts svm_ok = { .svm = true, .svm_np = true };
    const struct virt_facts vmx_ok = { .vmx = true,
                                       .feature_control = FC_LOCKED_ON };
    assert_null(virt_check_svm(&svm_ok));
    assert_non_null(strstr(virt_check_vmx(&svm_ok), "CPUID.1:ECX.VMX=0"));
    assert_null(virt_check_vmx(&vmx_ok));
    assert_non_null(strstr(virt_check_svm(&vmx_ok), "ECX.SVM=0"));
    const struct virt_facts svm_off = { .svm = true, .svm_np = true,
                                        .vm_cr = VM_CR_SVMDIS };
    assert_string_equal(virt_check_svm(&svm_off), virt_check(&svm_off));
    const struct virt_facts vmx_off = { .vmx = true,
                                        .feature_control = FC_LOCKED_OFF };
    assert_string_equal(virt_check_vmx(&vmx_off), virt_check(&vmx_off));
    const struct virt_facts no_np = { .svm = true };
    assert_string_equal(virt_check_svm(&no_np), virt_check(&no_np));
}

/* One message each: a sentence without a line break, short enough for
 * an 80-column firmware console in a few lines. */
static void test_messages_are_one_line(void **s UNUSED)
{
    const struct virt_facts cases[] = {
        { .svm = true, .svm_np = true, .vm_cr = VM_CR_SVMDIS },
        { .svm = true },
        { .vmx = true, .feature_control = FC_LOCKED_OFF },
        { 0 },
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *why = virt_check(&cases[i]);
        assert_non_null(why);
        assert_null(strchr(why, '\n'));
        assert_true(strlen(why) < 320);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_svm_enabled),
        cmocka_unit_test(test_svm_disabled_by_firmware),
        cmocka_unit_test(test_svm_without_nested_paging),
        cmocka_unit_test(test_vmx_enabled),
        cmocka_unit_test(test_vmx_disabled_by_firmware),
        cmocka_unit_test(test_neither),
        cmocka_unit_test(test_both_reported),
        cmocka_unit_test(test_per_vendor),
        cmocka_unit_test(test_messages_are_one_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
