/* Host tests of Keel's hypercalls (hv/exit/hypercall.c, docs/hypercalls.md)
 * driven through exit_dispatch() on the minimal VM of test/unit/fake_vm.h,
 * as a VMCALL (SDM 3C 26.1.3) or VMMCALL (APM2 15.12) exit with the
 * instruction's length reported: the register convention (number in RAX,
 * arguments in RBX, RCX, RDX, result in RAX, 32-bit truncation outside
 * 64-bit mode), -EPERM above CPL 0, -ENOSYS for unknown numbers, the
 * console write of lab 10 and the dirty-log calls of lab 9. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hv/exit/exit.h"
#include "hv/exit/hypercall.h"
#include "lib/errno.h"
#include "test/unit/fake_vm.h"
#include "test/unit/host_stubs.h"

#define RAM_SIZE MiB(1)
#define RIP      0x4000

static struct vm *vm;
static struct vcpu *v;
static uint8_t *ram;

static int setup(void **state)
{
    (void)state;
    vm = fake_vm_create(1, 0);
    v = vm->vcpus[0];
    ram = fake_vm_add_ram(vm, 0, RAM_SIZE);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (unsigned i = 0; i < GMEM_MAX_SLOTS; i++)
        free(vm->dirty.bits[i]);
    fake_vm_destroy(vm);
    return 0;
}

/* Run hypercall nr(a0, a1, a2) as a 3-byte VMMCALL at RIP; returns RAX. */
static uint64_t call(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
    struct vm_exit e = fake_exit(EXIT_VMCALL, 3);
    v->state.rip = RIP;
    v->state.gpr[GPR_RAX] = nr;
    v->state.gpr[GPR_RBX] = a0;
    v->state.gpr[GPR_RCX] = a1;
    v->state.gpr[GPR_RDX] = a2;
    v->state.gpr[GPR_RSI] = 0x5151;
    exit_dispatch(v, &e);
    assert_int_equal(v->state.rip, RIP + 3);    /* always completes */
    assert_int_equal(v->state.gpr[GPR_RBX], a0); /* arguments kept */
    assert_int_equal(v->state.gpr[GPR_RCX], a1);
    assert_int_equal(v->state.gpr[GPR_RDX], a2);
    assert_int_equal(v->state.gpr[GPR_RSI], 0x5151);
    return v->state.gpr[GPR_RAX];
}

/* A result as the 32-bit guest sees it in EAX. */
#define RES32(x) ((uint64_t)(uint32_t)(int32_t)(x))

static void test_console_write_prints(void **state)
{
    (void)state;
    static const char text[] = "hello from a hypercall\n";
    memcpy(ram + 0x2000, text, sizeof(text) - 1);
    stub_capture_begin();
    uint64_t r = call(KEEL_HC_CONSOLE_WRITE, 0x2000, sizeof(text) - 1, 0);
    assert_string_equal(stub_capture_end(), text);
    assert_int_equal(r, sizeof(text) - 1);
    assert_true(vm_running(vm));

    /* A long text spanning pages, up to the limit, arrives whole. */
    memset(ram + 0x3000 - 100, 'x', KEEL_HC_CONSOLE_MAX);
    stub_capture_begin();
    r = call(KEEL_HC_CONSOLE_WRITE, 0x3000 - 100, KEEL_HC_CONSOLE_MAX, 0);
    assert_int_equal(strlen(stub_capture_end()), KEEL_HC_CONSOLE_MAX);
    assert_int_equal(r, KEEL_HC_CONSOLE_MAX);

    /* Nothing to print is not an error, wherever it points. */
    stub_capture_begin();
    assert_int_equal(call(KEEL_HC_CONSOLE_WRITE, 0x2000, 0, 0), 0);
    assert_int_equal(call(KEEL_HC_CONSOLE_WRITE, 0x40000000, 0, 0), 0);
    assert_string_equal(stub_capture_end(), "");
}

static void test_console_write_refuses_bad_buffers(void **state)
{
    (void)state;
    memset(ram + RAM_SIZE - 16, 'y', 16);
    stub_capture_begin();
    /* Too long, wherever it is. */
    assert_int_equal(call(KEEL_HC_CONSOLE_WRITE, 0x2000,
                          KEEL_HC_CONSOLE_MAX + 1, 0), RES32(-EINVAL));
    /* Not RAM at all, partly RAM, or past 4 GiB. */
    assert_int_equal(call(KEEL_HC_CONSOLE_WRITE, 0x40000000, 16, 0),
                     RES32(-EFAULT));
    assert_int_equal(call(KEEL_HC_CONSOLE_WRITE, RAM_SIZE - 16, 17, 0),
                     RES32(-EFAULT));
    /* Long and RAM for its first kilobyte: checking only where it starts
     * would print that part before finding the rest missing. */
    memset(ram + RAM_SIZE - 1024, 'z', 1024);
    assert_int_equal(call(KEEL_HC_CONSOLE_WRITE, RAM_SIZE - 1024, 2048, 0),
                     RES32(-EFAULT));
    assert_int_equal(call(KEEL_HC_CONSOLE_WRITE, 0xffffff00, 0x200, 0),
                     RES32(-EFAULT));
    /* Nothing was printed for any of them (all or nothing). */
    assert_string_equal(stub_capture_end(), "");
    assert_true(vm_running(vm));                /* the guest's mistake */
}

static void test_unknown_number_is_enosys(void **state)
{
    (void)state;
    assert_int_equal(call(0, 0, 0, 0), RES32(-ENOSYS));
    assert_int_equal(call(0x7fff, 0, 0, 0), RES32(-ENOSYS));
    /* KVM's numbers are not Keel's: KVM_HC_VAPIC_POLL_IRQ (1) and
     * KVM_HC_FEATURES (3) do nothing here. */
    assert_int_equal(call(1, 0x2000, 4, 0), RES32(-ENOSYS));
    assert_int_equal(call(3, 0, 0, 0), RES32(-ENOSYS));
    assert_false(vm->dirty.on);
    assert_true(vm_running(vm));
}

static void test_cpl3_is_eperm(void **state)
{
    (void)state;
    v->state.seg[SEG_SS].attr |= 3 << 5;         /* SS.DPL = 3 */
    stub_capture_begin();
    assert_int_equal(call(KEEL_HC_CONSOLE_WRITE, 0x2000, 4, 0),
                     RES32(-EPERM));
    assert_int_equal(call(KEEL_HC_DIRTY_LOG_START, 0, 0, 0), RES32(-EPERM));
    assert_string_equal(stub_capture_end(), "");
    assert_false(vm->dirty.on);
}

static void test_32bit_mode_uses_low_halves(void **state)
{
    (void)state;
    memcpy(ram + 0x2000, "ab", 2);
    stub_capture_begin();
    /* Upper halves are left over from 64-bit code: ignored in 32-bit. */
    uint64_t r = call(0xdead000000000000ULL | KEEL_HC_CONSOLE_WRITE,
                      0xdead000000002000ULL, 0xdead000000000002ULL, 0);
    assert_string_equal(stub_capture_end(), "ab");
    assert_int_equal(r, 2);
}

static void test_64bit_mode_uses_whole_registers(void **state)
{
    (void)state;
    v->state.efer |= EFER_LMA | EFER_LME;
    v->state.seg[SEG_CS].attr = (v->state.seg[SEG_CS].attr & ~SEG_ATTR_DB) |
                                SEG_ATTR_L;
    stub_capture_begin();
    assert_int_equal(call(BIT(32) | KEEL_HC_CONSOLE_WRITE, 0x2000, 2, 0),
                     (uint64_t)-ENOSYS);
    assert_int_equal(call(KEEL_HC_CONSOLE_WRITE, BIT(32) | 0x2000, 2, 0),
                     (uint64_t)-EFAULT);
    assert_string_equal(stub_capture_end(), "");
}

static void test_dirty_log_calls(void **state)
{
    (void)state;
    /* Not started: reading is refused. */
    assert_int_equal(call(KEEL_HC_DIRTY_LOG_GET, 0, 8, 0x8000),
                     RES32(-EINVAL));
    assert_int_equal(call(KEEL_HC_DIRTY_LOG_START, 0, 0, 0), 0);
    assert_true(vm->dirty.on);
    assert_true(dirty_log_write_fault(vm, 0x2000));
    assert_true(dirty_log_write_fault(vm, 0x5000));

    /* A bitmap outside RAM, or no or too many pages: refused, and the
     * log keeps its bits. */
    assert_int_equal(call(KEEL_HC_DIRTY_LOG_GET, 0, 8, 0x40000000),
                     RES32(-EFAULT));
    assert_int_equal(call(KEEL_HC_DIRTY_LOG_GET, 0, 0, 0x8000),
                     RES32(-EINVAL));
    assert_int_equal(call(KEEL_HC_DIRTY_LOG_GET, 0,
                          KEEL_HC_DIRTY_LOG_MAX + 1, 0x8000),
                     RES32(-EINVAL));
    assert_int_equal(vm->dirty.dirty, 2);

    ram[0x8000] = 0xff;
    assert_int_equal(call(KEEL_HC_DIRTY_LOG_GET, 0, 8, 0x8000), 2);
    assert_int_equal(ram[0x8000], 0x24);        /* pages 2 and 5 */
    /* Keel's write of the bitmap is logged too (nested paging never saw
     * it). */
    assert_int_equal(call(KEEL_HC_DIRTY_LOG_GET, 0x8000, 1, 0x9000), 1);
    assert_int_equal(ram[0x9000], 0x01);

    assert_int_equal(call(KEEL_HC_DIRTY_LOG_STOP, 0, 0, 0), 0);
    assert_false(vm->dirty.on);
    assert_int_equal(call(KEEL_HC_DIRTY_LOG_GET, 0, 8, 0x8000),
                     RES32(-EINVAL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_console_write_prints),
        T(test_console_write_refuses_bad_buffers),
        T(test_unknown_number_is_enosys),
        T(test_cpl3_is_eperm),
        T(test_32bit_mode_uses_low_halves),
        T(test_64bit_mode_uses_whole_registers),
        T(test_dirty_log_calls),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
