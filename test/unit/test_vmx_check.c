/* Host tests of the VM-entry state explainer (arch/x86/vmx/vmx_check.c):
 * over a VMCS image held in an array, the guest states Keel's loaders build
 * pass every check, and each deliberately broken state fails exactly the
 * check that names it (SDM 3C 26.3.1). vmx_check.c is compiled into this
 * test with VMREAD replaced by a lookup in the image. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

/* arch/x86/cpu.h has its own pause() (the PAUSE instruction), which
 * <unistd.h> also declares: rename Keel's while it is included. */
#define pause keel_pause
#include "arch/x86/vmx/vmx_check.c"
#undef pause

/* ---- The VMCS image and the symbols vmx_check.c needs. */
static uint64_t image[0x7000];   /* indexed by field encoding */
struct vmx_caps vmx_caps;

uint64_t vmcs_read_named(uint32_t field, const char *name)
{
    (void)name;
    assert_true(field < ARRAY_SIZE(image));
    return image[field];
}

/* Access rights (Table 24-2) of the segments the loaders use. */
#define AR_CODE64 0xa09b   /* type 11, S, P, L, G */
#define AR_CODE32 0xc09b   /* type 11, S, P, D/B, G */
#define AR_DATA   0xc093   /* type 3, S, P, D/B, G */
#define AR_TR     0x008b   /* busy TSS, P */
#define AR_LDT    0x0082   /* LDT, P */

static void set_seg(unsigned i, uint16_t sel, uint64_t base, uint32_t limit,
                    uint32_t ar)
{
    image[VMCS_GUEST_ES_SELECTOR + 2 * i] = sel;
    image[VMCS_GUEST_ES_BASE + 2 * i] = base;
    image[VMCS_GUEST_ES_LIMIT + 2 * i] = limit;
    image[VMCS_GUEST_ES_ACCESS_RIGHTS + 2 * i] = ar;
}

/* Capabilities as Bochs' corei7_skylake_x reports them (the relevant
 * bits): CR0 fixed PE, NE, PG; CR4 fixed VMXE. */
static void set_caps(void)
{
    vmx_caps.cr0_fixed0 = 0x80000021;
    vmx_caps.cr0_fixed1 = 0xffffffff;
    vmx_caps.cr4_fixed0 = 0x2000;
    vmx_caps.cr4_fixed1 = 0x3727ff;
}

static void common_state(void)
{
    memset(image, 0, sizeof(image));
    set_caps();
    image[VMCS_SECONDARY_PROC_BASED_VM_EXEC_CONTROL] =
        SECONDARY_ENABLE_EPT | SECONDARY_ENABLE_VPID |
        SECONDARY_UNRESTRICTED_GUEST;
    image[VMCS_GUEST_DR7] = 0x400;
    image[VMCS_GUEST_IA32_PAT] = PAT_POWER_ON;
    image[VMCS_GUEST_RFLAGS] = 2;
    image[VMCS_VMCS_LINK_POINTER] = ~0ULL;
    image[VMCS_GUEST_GDTR_LIMIT] = 0xffff;
    image[VMCS_GUEST_IDTR_LIMIT] = 0xffff;
}

/* hv/loader/linux.c: 64-bit entry, paging on, flat segments, busy TSS. */
static void linux_state(void)
{
    common_state();
    image[VMCS_VM_ENTRY_CONTROLS] = VM_ENTRY_IA32E_MODE_GUEST |
                                    VM_ENTRY_LOAD_IA32_EFER;
    image[VMCS_GUEST_CR0] = 0x80000031;  /* PG, NE, ET, PE */
    image[VMCS_GUEST_CR4] = 0x2020;      /* VMXE, PAE */
    image[VMCS_GUEST_CR3] = 0x9000;
    image[VMCS_GUEST_IA32_EFER] = EFER_LME | EFER_LMA;
    image[VMCS_GUEST_RIP] = 0x1000200;
    for (unsigned i = 0; i < SEG_COUNT; i++)
        set_seg(i, 0x18, 0, 0xffffffff, AR_DATA);
    set_seg(SEG_CS, 0x10, 0, 0xffffffff, AR_CODE64);
    set_seg(SEG_LDTR, 0, 0, 0, VMX_AR_UNUSABLE);
    set_seg(SEG_TR, 0, 0, 0xffff, AR_TR);
}

/* hv/loader/multiboot.c multiboot_set_prot32: 32-bit, paging off (needs
 * unrestricted guest), NE forced on by VMX. */
static void prot32_state(void)
{
    common_state();
    image[VMCS_VM_ENTRY_CONTROLS] = VM_ENTRY_LOAD_IA32_EFER;
    image[VMCS_GUEST_CR0] = 0x31;        /* NE, ET, PE */
    image[VMCS_GUEST_CR4] = 0x2000;      /* VMXE */
    image[VMCS_GUEST_RIP] = 0x100010;
    for (unsigned i = 0; i < SEG_COUNT; i++)
        set_seg(i, 0x10, 0, 0xffffffff, AR_DATA);
    set_seg(SEG_CS, 0x08, 0, 0xffffffff, AR_CODE32);
    set_seg(SEG_LDTR, 0, 0, 0xffff, AR_LDT);
    set_seg(SEG_TR, 0, 0, 0xffff, AR_TR);
}

/* Run the checks with the console (stdout) captured; returns the number of
 * failed checks and leaves the output in out. */
static int run_checks(char *out, size_t size)
{
    fflush(stdout);
    int saved = dup(1);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    dup2(fileno(tmp), 1);
    int failed = vmx_check_guest_state();
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    rewind(tmp);
    size_t n = fread(out, 1, size - 1, tmp);
    out[n] = '\0';
    fclose(tmp);
    return failed;
}

/* Exactly one check fails and its message contains what. */
static void expect_one(const char *what)
{
    char out[4096];
    int failed = run_checks(out, sizeof(out));
    if (failed != 1 || !strstr(out, what))
        fail_msg("expected one failed check naming \"%s\", got %d:\n%s",
                 what, failed, out);
}

static void test_loader_states_pass(void **state)
{
    char out[4096];
    (void)state;
    linux_state();
    assert_int_equal(run_checks(out, sizeof(out)), 0);
    prot32_state();
    assert_int_equal(run_checks(out, sizeof(out)), 0);
}

static void test_tr_available_tss_in_ia32e(void **state)
{
    (void)state;
    linux_state();
    image[VMCS_GUEST_TR_ACCESS_RIGHTS] = 0x0089;   /* type 9: available */
    expect_one("(SDM 3C 26.3.1.2): TR type 9 must be 11");
}

static void test_cs_long_and_db(void **state)
{
    (void)state;
    linux_state();
    image[VMCS_GUEST_CS_ACCESS_RIGHTS] = AR_CODE64 | 0x4000;
    expect_one("64-bit CS (L=1) needs D/B=0");
}

static void test_efer_lma_vs_entry_control(void **state)
{
    (void)state;
    linux_state();
    image[VMCS_GUEST_IA32_EFER] = EFER_LME;        /* LMA lost */
    char out[4096];
    int failed = run_checks(out, sizeof(out));
    /* Two rules name it: LMA vs the entry control, LMA vs LME with PG. */
    assert_int_equal(failed, 2);
    assert_non_null(strstr(out, "LMA (0) must equal the IA-32e mode guest"));
    assert_non_null(strstr(out, "LMA must equal LME"));
}

static void test_rflags_bit1_clear(void **state)
{
    (void)state;
    prot32_state();
    image[VMCS_GUEST_RFLAGS] = 0;
    expect_one("(SDM 3C 26.3.1.4): GUEST_RFLAGS 0: bit 1 must be 1");
}

static void test_pg_without_pe(void **state)
{
    (void)state;
    prot32_state();
    image[VMCS_GUEST_CR0] = 0x80000030;
    expect_one("PG=1 without PE=1");
}

static void test_cr4_without_vmxe(void **state)
{
    (void)state;
    prot32_state();
    image[VMCS_GUEST_CR4] = 0;
    expect_one("GUEST_CR4 0 violates IA32_VMX_CR4_FIXED0/1");
}

static void test_limit_granularity(void **state)
{
    (void)state;
    prot32_state();
    image[VMCS_GUEST_DS_ACCESS_RIGHTS] = AR_DATA & ~0x8000u;   /* G=0 */
    expect_one("DS limit 0xffffffff does not match its granularity");
}

static void test_sti_blocking_with_if_clear(void **state)
{
    (void)state;
    prot32_state();
    image[VMCS_GUEST_INTERRUPTIBILITY_STATE] = GUEST_INTR_STATE_STI;
    expect_one("blocking by STI needs RFLAGS.IF=1");
}

static void test_vmcs_link_pointer(void **state)
{
    (void)state;
    linux_state();
    image[VMCS_VMCS_LINK_POINTER] = 0;
    expect_one("VMCS link pointer must be FFFFFFFF_FFFFFFFFH");
}

static void test_ss_dpl_in_real_mode(void **state)
{
    (void)state;
    prot32_state();
    image[VMCS_GUEST_CR0] = 0x30;                  /* PE=0 */
    image[VMCS_GUEST_SS_ACCESS_RIGHTS] = AR_DATA | 0x60;   /* DPL 3 */
    char out[4096];
    int failed = run_checks(out, sizeof(out));
    assert_true(failed >= 1);
    assert_non_null(strstr(out, "SS DPL must be 0 with CR0.PE=0"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loader_states_pass),
        cmocka_unit_test(test_tr_available_tss_in_ia32e),
        cmocka_unit_test(test_cs_long_and_db),
        cmocka_unit_test(test_efer_lma_vs_entry_control),
        cmocka_unit_test(test_rflags_bit1_clear),
        cmocka_unit_test(test_pg_without_pe),
        cmocka_unit_test(test_cr4_without_vmxe),
        cmocka_unit_test(test_limit_granularity),
        cmocka_unit_test(test_sti_blocking_with_if_clear),
        cmocka_unit_test(test_vmcs_link_pointer),
        cmocka_unit_test(test_ss_dpl_in_real_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
