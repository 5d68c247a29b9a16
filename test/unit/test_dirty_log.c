/* Host tests of the dirty-page log (hv/core/dirty_log.c, lab 9) on the
 * minimal VM of test/unit/fake_vm.h: 4 MiB of RAM at GPA 0 backed by 2 MiB
 * aligned host memory, so the nested page table starts with two 2 MiB
 * leaves (APM2 15.25.5; SDM 3C 29.3.2 for EPT, the same builder). The write
 * faults arrive as the exit dispatcher hands them over: EXIT_NPF with
 * write=1 and present=1 (APM2 15.25.6 error code P and RW; SDM 3C
 * 28.3.3.2 qualification bits 1 and 3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hv/core/dirty_log.h"
#include "hv/exit/exit.h"
#include "lib/errno.h"
#include "mm/frame.h"
#include "mm/pt.h"
#include "test/unit/fake_vm.h"
#include "test/unit/host_stubs.h"

#define RAM_SIZE MiB(4)
/* A second slot higher up, as a VM with RAM above the PCI hole has: a
 * page's index in its slot is not its frame number. */
#define HIGH_GPA GiB(4)
#define HIGH_SIZE MiB(2)

static struct vm *vm;
static uint8_t *ram, *high;

static int setup(void **state)
{
    (void)state;
    vm = fake_vm_create(2, 0);
    ram = aligned_alloc(MiB(2), RAM_SIZE);
    assert_non_null(ram);
    memset(ram, 0, RAM_SIZE);
    assert_int_equal(gmem_add_slot(&vm->mem, 0, RAM_SIZE, ptr_hpa(ram)), 0);
    assert_int_equal(pt_map(&vm->npt, 0, ptr_hpa(ram), RAM_SIZE, PT_RWX), 0);
    high = aligned_alloc(MiB(2), HIGH_SIZE);
    assert_non_null(high);
    assert_int_equal(gmem_add_slot(&vm->mem, HIGH_GPA, HIGH_SIZE,
                                   ptr_hpa(high)), 0);
    assert_int_equal(pt_map(&vm->npt, HIGH_GPA, ptr_hpa(high), HIGH_SIZE,
                            PT_RWX), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (unsigned i = 0; i < GMEM_MAX_SLOTS; i++)
        free(vm->dirty.bits[i]);             /* host kzalloc is calloc */
    fake_vm_destroy(vm);
    free(ram);
    free(high);
    return 0;
}

/* The NPT's permissions and leaf size at gpa. */
static unsigned perms_at(gpa_t gpa, uint64_t *page_size)
{
    hpa_t hpa;
    unsigned perms;
    assert_int_equal(pt_lookup(&vm->npt, gpa, &hpa, &perms, page_size), 0);
    if (gpa >= HIGH_GPA)                         /* never remapped */
        assert_int_equal(hpa, ptr_hpa(high) + gpa - HIGH_GPA);
    else
        assert_int_equal(hpa, ptr_hpa(ram) + gpa);
    return perms;
}

static bool writable(gpa_t gpa)
{
    return perms_at(gpa, NULL) & PT_W;
}

/* A write fault as the dispatcher delivers it. */
static void write_fault(gpa_t gpa)
{
    struct vm_exit e = fake_exit(EXIT_NPF, 0);
    e.npf.gpa = gpa;
    e.npf.write = e.npf.present = true;
    exit_dispatch(vm->vcpus[0], &e);
}

static void test_start_write_protects_all_ram(void **state)
{
    (void)state;
    uint64_t size;
    assert_int_equal(dirty_log_start(vm), 0);
    assert_true(vm->dirty.on);
    for (gpa_t gpa = 0; gpa < RAM_SIZE; gpa += PAGE_SIZE)
        assert_int_equal(perms_at(gpa, &size), PT_R | PT_X);
    assert_int_equal(size, MiB(2));          /* no split yet */
    /* Every vCPU flushes its guest-physical TLB entries. */
    assert_true(fake_vendor_flushes >= vm->nr_vcpus);
    uint8_t bm[64];
    assert_int_equal(dirty_log_get(vm, 0, RAM_SIZE / PAGE_SIZE / 16, bm), 0);
}

static void test_stop_makes_ram_writable(void **state)
{
    (void)state;
    uint64_t size;
    assert_int_equal(dirty_log_start(vm), 0);
    write_fault(0x201000);
    dirty_log_stop(vm);
    assert_false(vm->dirty.on);
    for (gpa_t gpa = 0; gpa < RAM_SIZE; gpa += PAGE_SIZE)
        assert_int_equal(perms_at(gpa, &size), PT_RWX);
    /* The split 2 MiB page is one leaf again. */
    assert_int_equal(size, MiB(2));
    uint8_t bm[1];
    assert_int_equal(dirty_log_get(vm, 0, 8, bm), -EINVAL);
}

static void test_write_fault_logs_one_page(void **state)
{
    (void)state;
    uint64_t size;
    assert_int_equal(dirty_log_start(vm), 0);
    unsigned flushes = fake_vendor_flushes;
    uint64_t rip = vm->vcpus[0]->state.rip = 0x1234;

    write_fault(0x201abc);
    assert_true(vm_running(vm));
    /* The guest retries the instruction: RIP stays, nothing emulated. */
    assert_int_equal(vm->vcpus[0]->state.rip, rip);
    assert_true(writable(0x201000));
    assert_int_equal(perms_at(0x201000, &size), PT_RWX);
    assert_int_equal(size, PAGE_SIZE);       /* the 2 MiB leaf was split */
    assert_false(writable(0x200000));
    assert_false(writable(0x202000));
    assert_false(writable(0x001000));
    assert_true(fake_vendor_flushes >= flushes + vm->nr_vcpus);
    assert_int_equal(vm->dirty.dirty, 1);

    /* A second fault on the same page (another vCPU's stale TLB entry)
     * is harmless and not counted twice. */
    write_fault(0x201000);
    assert_int_equal(vm->dirty.dirty, 1);
    assert_int_equal(vm->dirty.faults, 2);
}

static void test_write_fault_in_a_higher_slot(void **state)
{
    (void)state;
    uint8_t bm[1];
    assert_int_equal(dirty_log_start(vm), 0);
    assert_false(writable(HIGH_GPA + 0x3000));
    write_fault(HIGH_GPA + 0x3008);
    assert_true(vm_running(vm));
    assert_true(writable(HIGH_GPA + 0x3000));
    assert_false(writable(HIGH_GPA + 0x2000));
    assert_false(writable(0x3000));          /* the low slot's page 3 */
    assert_int_equal(vm->dirty.dirty, 1);
    assert_int_equal(dirty_log_get(vm, 0, 8, bm), 0);
    assert_int_equal(dirty_log_get(vm, HIGH_GPA, 8, bm), 1);
    assert_int_equal(bm[0], 0x08);
    assert_false(writable(HIGH_GPA + 0x3000));
}

/* No frame for the table that splitting the 2 MiB leaf needs: the guest
 * cannot make progress, so the VM stops (and Keel goes on). */
static void test_write_fault_without_memory_stops_the_vm(void **state)
{
    (void)state;
    hpa_t taken[1024];
    unsigned n = 0;
    assert_int_equal(dirty_log_start(vm), 0);
    while (n < 1024 && (taken[n] = frame_alloc(1, PAGE_SIZE)))
        n++;
    assert_int_equal(frame_alloc(1, PAGE_SIZE), 0);
    assert_true(dirty_log_write_fault(vm, 0x201000));
    assert_false(vm_running(vm));
    assert_int_equal(vm->end, VM_END_CRASHED);
    while (n)
        frame_free(taken[--n], 1);
}

static void test_write_fault_not_ours(void **state)
{
    (void)state;
    /* Log off: the fault is not the log's. */
    assert_false(dirty_log_write_fault(vm, 0x1000));
    assert_int_equal(dirty_log_start(vm), 0);
    /* Not RAM: MMIO or a guest bug, for exit_handle_npf to judge. */
    assert_false(dirty_log_write_fault(vm, RAM_SIZE));
    assert_false(dirty_log_write_fault(vm, 0xfee00000));
    assert_int_equal(vm->dirty.dirty, 0);
}

static void test_get_clears_and_protects_again(void **state)
{
    (void)state;
    uint8_t bm[2];
    assert_int_equal(dirty_log_start(vm), 0);
    write_fault(0x100000);
    write_fault(0x103fff);
    write_fault(0x10f000);
    write_fault(0x110000);                   /* outside the range read */

    memset(bm, 0xff, sizeof(bm));
    assert_int_equal(dirty_log_get(vm, 0x100000, 16, bm), 3);
    assert_int_equal(bm[0], 0x09);           /* pages 0 and 3 */
    assert_int_equal(bm[1], 0x80);           /* page 15 */
    assert_false(writable(0x100000));
    assert_false(writable(0x103000));
    assert_false(writable(0x10f000));
    assert_true(writable(0x110000));         /* not read: still logged */
    assert_int_equal(vm->dirty.dirty, 1);

    /* Read again: nothing new; a new write is logged anew. */
    assert_int_equal(dirty_log_get(vm, 0x100000, 16, bm), 0);
    assert_int_equal(bm[0] | bm[1], 0);
    write_fault(0x103000);
    assert_int_equal(dirty_log_get(vm, 0x100000, 16, bm), 1);
    assert_int_equal(bm[0], 0x08);
}

static void test_get_partial_byte_and_beyond_ram(void **state)
{
    (void)state;
    uint8_t bm[2] = { 0xff, 0xff };
    assert_int_equal(dirty_log_start(vm), 0);
    write_fault(RAM_SIZE - PAGE_SIZE);
    /* Pages 0..2 of the range: the last page of RAM, then no RAM. */
    assert_int_equal(dirty_log_get(vm, RAM_SIZE - PAGE_SIZE, 3, bm), 1);
    assert_int_equal(bm[0], 0x01);
    assert_int_equal(bm[1], 0xff);           /* only (3 + 7) / 8 bytes */
}

static void test_get_bad_arguments(void **state)
{
    (void)state;
    uint8_t bm[1];
    assert_int_equal(dirty_log_get(vm, 0, 8, bm), -EINVAL);   /* off */
    assert_int_equal(dirty_log_start(vm), 0);
    assert_int_equal(dirty_log_get(vm, 0x800, 8, bm), -EINVAL);
    assert_int_equal(dirty_log_get(vm, UINT64_MAX & ~0xfffULL, 2, bm),
                     -EINVAL);                                /* wraps */
}

static void test_mark_logs_keel_writes(void **state)
{
    (void)state;
    uint8_t bm[1];
    dirty_log_mark(vm, 0x5000, 8);           /* off: nothing */
    assert_int_equal(dirty_log_start(vm), 0);
    dirty_log_mark(vm, 0x5ffc, 8);           /* two pages */
    dirty_log_mark(vm, RAM_SIZE - 4, 100);   /* the part in RAM */
    dirty_log_mark(vm, UINT64_MAX - 10, 100); /* wraps: no RAM, ignored */
    assert_int_equal(vm->dirty.dirty, 3);
    assert_int_equal(dirty_log_get(vm, 0x5000, 8, bm), 2);
    assert_int_equal(bm[0], 0x03);
    assert_false(writable(0x5000));
    assert_false(writable(0x6000));
}

static void test_keel_writes_through_gmem_are_logged(void **state)
{
    (void)state;
    uint8_t bm[1];
    uint32_t val = 0x12345678;
    assert_int_equal(gmem_write(&vm->mem, 0x7000, &val, 4), 0); /* off */
    assert_int_equal(dirty_log_start(vm), 0);
    /* A virtio used-ring update or an emulated MOV to RAM: Keel writes. */
    assert_int_equal(gmem_write(&vm->mem, 0x9ffe, &val, 4), 0);
    assert_int_equal(dirty_log_get(vm, 0x8000, 8, bm), 2);
    assert_int_equal(bm[0], 0x06);                   /* 0x9000, 0xa000 */
    assert_int_equal(memcmp(ram + 0x9ffe, &val, 4), 0);
    /* A failed write marks nothing. */
    assert_int_not_equal(gmem_write(&vm->mem, RAM_SIZE - 2, &val, 4), 0);
    assert_int_equal(vm->dirty.dirty, 0);
    dirty_log_stop(vm);
    assert_null(vm->mem.on_write);
}

static void test_restart_clears(void **state)
{
    (void)state;
    uint8_t bm[1];
    assert_int_equal(dirty_log_start(vm), 0);
    write_fault(0x3000);
    assert_int_equal(dirty_log_start(vm), 0);
    assert_false(writable(0x3000));
    assert_int_equal(dirty_log_get(vm, 0, 8, bm), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_start_write_protects_all_ram),
        T(test_stop_makes_ram_writable),
        T(test_write_fault_logs_one_page),
        T(test_write_fault_in_a_higher_slot),
        T(test_write_fault_without_memory_stops_the_vm),
        T(test_write_fault_not_ours),
        T(test_get_clears_and_protects_again),
        T(test_get_partial_byte_and_beyond_ram),
        T(test_get_bad_arguments),
        T(test_mark_logs_keel_writes),
        T(test_keel_writes_through_gmem_are_logged),
        T(test_restart_clears),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
