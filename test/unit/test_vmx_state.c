/* Host tests of the VMX state copy (arch/x86/vmx/vmx_state.c) over a VMCS
 * image held in an array: an entry writes only the fields a handler
 * changed (and all of them on the first entry or after the core replaced
 * the state), an exit reads the eager fields only and vmx_state_fetch the
 * rest, and a field the guest changed without an exit survives an entry
 * whose handler did not touch it. vmx_state.c is compiled into this test
 * with VMREAD/VMWRITE and CR2 replaced by the image. */
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
 * <unistd.h> also declares, and reads CR2 with MOV, which faults in user
 * mode: rename Keel's while it is included, then point vmx_state.c's
 * r_cr2/w_cr2 at the fakes below. */
#define pause keel_pause
#define r_cr2 keel_r_cr2
#define w_cr2 keel_w_cr2
#include "arch/x86/cpu.h"
#undef r_cr2
#undef w_cr2
#define r_cr2 fake_r_cr2
#define w_cr2 fake_w_cr2
static uint64_t fake_r_cr2(void);
static void fake_w_cr2(uint64_t v);
#include "arch/x86/vmx/vmx_state.c"
#undef pause

/* ---- The VMCS image, its write log, and the symbols vmx_state.c needs. */
static uint64_t image[0x7000];      /* indexed by field encoding */
static unsigned writes[0x7000];     /* VMWRITEs per field since clear_log */
static unsigned nr_writes;
static uint64_t cr2;
struct vmx_caps vmx_caps;

uint64_t vmcs_read_named(uint32_t field, const char *name)
{
    (void)name;
    assert_true(field < ARRAY_SIZE(image));
    return image[field];
}

void vmcs_write_named(uint32_t field, const char *name, uint64_t val)
{
    (void)name;
    assert_true(field < ARRAY_SIZE(image));
    image[field] = val;
    writes[field]++;
    nr_writes++;
}

void dreg_set_dr6_bits(uint64_t bits)
{
    (void)bits;
}

/* One fake VMCS, always current on the one CPU. */
bool vmx_is_here(const struct vcpu *v)
{
    (void)v;
    return true;
}

void vmx_make_current(struct vcpu *v)
{
    (void)v;
}

static uint64_t fake_r_cr2(void)
{
    return cr2;
}

static void fake_w_cr2(uint64_t v)
{
    cr2 = v;
}

static void clear_log(void)
{
    memset(writes, 0, sizeof(writes));
    nr_writes = 0;
}

static struct vmx_vcpu xv;
static struct vcpu v;

/* A 32-bit flat guest after its first entry; the log cleared. */
static int setup(void **state)
{
    (void)state;
    memset(image, 0, sizeof(image));
    memset(&xv, 0, sizeof(xv));
    memset(&v, 0, sizeof(v));
    vmx_caps = (struct vmx_caps){
        .cr0_fixed0 = 0x80000021, .cr0_fixed1 = 0xffffffff,
        .cr4_fixed0 = 0x2000, .cr4_fixed1 = 0x3727ff,
        .cr0_host_owned = CR0_NE, .cr4_host_owned = CR4_VMXE,
    };
    v.vendor = &xv;
    for (int i = 0; i < SEG_COUNT; i++)
        v.state.seg[i] = (struct segment){ 0x10, 0xc93, 0xffffffff, 0 };
    v.state.seg[SEG_CS] = (struct segment){ 0x08, 0xc9b, 0xffffffff, 0 };
    v.state.gdtr = (struct dtable){ 0x1000, 23 };
    v.state.cr0 = CR0_PE | CR0_ET;
    v.state.rip = 0x100000;
    v.state.rflags = RFLAGS_FIXED;
    v.state.gpr[GPR_RSP] = 0x8000;
    vmx_state_to_vmcs(&v);
    clear_log();
    return 0;
}

/* The guest ran and exited: RIP moved, and it loaded ES (no exit). */
static void guest_runs(void)
{
    image[VMCS_GUEST_RIP] += 0x20;
    image[VMCS_GUEST_ES_BASE] = 0x5000;
    vmx_state_from_vmcs(&v);
}

static void test_first_entry_writes_every_field(void **state)
{
    (void)state;
    memset(&xv, 0, sizeof(xv));          /* a fresh VMCS */
    vmx_state_to_vmcs(&v);
    for (int i = 0; i < SEG_COUNT; i++)
        assert_int_equal(writes[seg_fields[i].base], 1);
    assert_int_equal(writes[VMCS_GUEST_GDTR_LIMIT], 1);
    assert_int_equal(writes[VMCS_GUEST_CR3], 1);
    assert_int_equal(writes[VMCS_GUEST_RIP], 1);
    assert_int_equal(image[VMCS_GUEST_CS_ACCESS_RIGHTS], 0xc09b);
    assert_int_equal(image[VMCS_GUEST_CR0], 0x80000031 & ~(uint64_t)CR0_PG);
}

static void test_nothing_changed_nothing_written(void **state)
{
    (void)state;
    vmx_state_from_vmcs(&v);
    vmx_state_to_vmcs(&v);
    assert_int_equal(nr_writes, 0);
}

static void test_handler_change_is_written_untouched_is_not(void **state)
{
    (void)state;
    guest_runs();
    assert_int_equal(v.state.rip, 0x100020);
    v.state.rip += 2;                     /* a CPUID handler */
    vmx_state_to_vmcs(&v);
    assert_int_equal(writes[VMCS_GUEST_RIP], 1);
    assert_int_equal(image[VMCS_GUEST_RIP], 0x100022);
    assert_int_equal(nr_writes, 1);
    /* The guest's ES, never read, is still the guest's. */
    assert_int_equal(image[VMCS_GUEST_ES_BASE], 0x5000);
}

static void test_lazy_group_is_read_by_fetch_only(void **state)
{
    (void)state;
    guest_runs();
    assert_int_equal(v.state.seg[SEG_ES].base, 0);     /* not read yet */
    vmx_state_fetch(&v);
    assert_int_equal(v.state.seg[SEG_ES].base, 0x5000);
    v.state.seg[SEG_DS].selector = 0x18;  /* the emulator's MOV DS */
    vmx_state_to_vmcs(&v);
    assert_int_equal(writes[VMCS_GUEST_DS_SELECTOR], 1);
    assert_int_equal(image[VMCS_GUEST_DS_SELECTOR], 0x18);
    assert_int_equal(writes[VMCS_GUEST_ES_BASE], 0);
    assert_int_equal(writes[VMCS_GUEST_DS_BASE], 0);
    assert_int_equal(writes[VMCS_GUEST_GDTR_BASE], 0);
}

static void test_replaced_state_is_written_whole(void **state)
{
    (void)state;
    guest_runs();
    v.state.seg[SEG_ES].base = 0;         /* INIT: what st already held */
    v.state_replaced = true;
    vmx_state_to_vmcs(&v);
    assert_false(v.state_replaced);
    assert_int_equal(image[VMCS_GUEST_ES_BASE], 0);
    for (int i = 0; i < SEG_COUNT; i++)
        assert_int_equal(writes[seg_fields[i].ar], 1);
    assert_int_equal(writes[VMCS_GUEST_IDTR_BASE], 1);
}

static void test_cr0_change_writes_the_field_and_shadow(void **state)
{
    (void)state;
    vmx_state_from_vmcs(&v);
    v.state.cr0 |= CR0_PG;
    vmx_state_to_vmcs(&v);
    assert_int_equal(writes[VMCS_GUEST_CR0], 1);
    assert_int_equal(writes[VMCS_CR0_READ_SHADOW], 1);
    assert_int_equal(image[VMCS_CR0_READ_SHADOW], CR0_PG | CR0_PE | CR0_ET);
    assert_int_equal(nr_writes, 2);
}

static void test_event_written_only_when_queued(void **state)
{
    (void)state;
    vmx_state_from_vmcs(&v);
    vmx_state_to_vmcs(&v);
    assert_int_equal(writes[VMCS_VM_ENTRY_INTERRUPTION_INFO], 0);
    vmx_state_from_vmcs(&v);
    v.event = (struct event){ .valid = true, .type = EVENT_EXT_INT,
                              .vector = 0x30 };
    vmx_state_to_vmcs(&v);
    assert_int_equal(writes[VMCS_VM_ENTRY_INTERRUPTION_INFO], 1);
    assert_int_equal(image[VMCS_VM_ENTRY_INTERRUPTION_INFO],
                     0x30 | INTR_INFO_VALID);
    assert_false(v.event.valid);
}

static void test_interrupt_shadow_change_is_written(void **state)
{
    (void)state;
    image[VMCS_GUEST_INTERRUPTIBILITY_STATE] = GUEST_INTR_STATE_STI;
    vmx_state_from_vmcs(&v);
    assert_true(v.state.interrupt_shadow);
    v.state.interrupt_shadow = false;     /* vcpu_complete_insn */
    vmx_state_to_vmcs(&v);
    assert_int_equal(writes[VMCS_GUEST_INTERRUPTIBILITY_STATE], 1);
    assert_int_equal(image[VMCS_GUEST_INTERRUPTIBILITY_STATE], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_first_entry_writes_every_field, setup),
        cmocka_unit_test_setup(test_nothing_changed_nothing_written, setup),
        cmocka_unit_test_setup(test_handler_change_is_written_untouched_is_not,
                               setup),
        cmocka_unit_test_setup(test_lazy_group_is_read_by_fetch_only, setup),
        cmocka_unit_test_setup(test_replaced_state_is_written_whole, setup),
        cmocka_unit_test_setup(test_cr0_change_writes_the_field_and_shadow,
                               setup),
        cmocka_unit_test_setup(test_event_written_only_when_queued, setup),
        cmocka_unit_test_setup(test_interrupt_shadow_change_is_written,
                               setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
