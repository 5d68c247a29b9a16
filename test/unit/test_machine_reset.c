/* Host tests of a VM's reset through the machine API
 * (hv/machine/machine.c): 10,000 resets of one VM allocate nothing (Keel's
 * heap, kzalloc, never frees: the review's VM ran the other one out of
 * memory after 3,660 resets), leave the devices in their power-on state on
 * the same buses and PCI slots, clear guest RAM a bounded piece per call,
 * and leave the other VM able to reset; a VM that resets more than
 * MACHINE_RESET_LIMIT times within MACHINE_RESET_WINDOW_NS is stopped.
 * The frames come from one aligned host buffer; the vendor is a stub. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define UNUSED __attribute__((unused))

#include "arch/x86/fpu.h"
#include "drivers/serial.h"
#include "drivers/virtio_blk_host.h"
#include "hv/core/config.h"
#include "hv/core/vendor.h"
#include "hv/core/vm.h"
#include "hv/dev/pci_host.h"
#include "hv/machine/machine.h"
#include "hv/virtio/virtio.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "mm/frame.h"
#include "mm/pt.h"
#include "test/unit/host_stubs.h"

#define POOL_SIZE MiB(128)
#define VM_RAM    MiB(2)      /* small: 10,000 resets clear it each time */
#define BIG_RAM   MiB(64)     /* two clearing steps */
#define SEC       1000000000ULL

/* ---- a vendor that does nothing ---- */
static int ok_void(void) { return 0; }
static int ok_vm(struct vm *vm UNUSED) { return 0; }
static int ok_vcpu(struct vcpu *v UNUSED) { return 0; }
static void run_none(struct vcpu *v UNUSED, struct vm_exit *e UNUSED) {}
static void flush_none(struct vcpu *v UNUSED) {}
static void fetch_none(struct vcpu *v UNUSED) {}
static void dump_none(const struct vcpu *v UNUSED) {}
static const struct vendor_ops stub_ops = {
    .name = "stub", .npt_format = &pt_format_npt, .detect = ok_void,
    .hw_enable = ok_void, .vm_init = ok_vm, .vcpu_init = ok_vcpu,
    .run = run_none, .fetch_state = fetch_none,
    .flush_guest_tlb = flush_none, .dump = dump_none,
};
const struct vendor_ops svm_ops, vmx_ops;   /* vendor.c names them */

/* The FPU hooks and the persistent disk (not configured here) come from
 * test/unit/host_stubs.c. */

static void quiet(const char *s UNUSED, size_t n UNUSED) {}

/* Keel never frees what a VM is built from (mm/heap.h): not a leak. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "detect_leaks=0";
}

static uint8_t *pool;
static const uint8_t payload[] = { 0xf4, 0xeb, 0xfd };   /* hlt; jmp $-1 */
static uint8_t disk[3][64 * 1024];
static struct vm_config cfg[3];
static struct vm_files files[3];
static struct vm *vms[3];

static void config(unsigned i, const char *name, uint64_t memory)
{
    struct vm_config *c = &cfg[i];
    memset(c, 0, sizeof(*c));
    strcpy(c->name, name);
    c->memory = memory;
    c->vcpus = 2;
    c->format = FMT_FLAT;
    strcpy(c->kernel, "guest.bin");
    c->load_addr = 0x100000;
    c->entry = 0x100000;
    c->has_entry = true;
    strcpy(c->devices[0].type, "virtio-console");
    strcpy(c->devices[1].type, "virtio-blk");
    strcpy(c->devices[1].arg, "disk.img");
    strcpy(c->devices[2].type, "virtio-net");
    c->nr_devices = 3;
    memset(&files[i], 0, sizeof(files[i]));
    files[i].kernel = (struct blob){ payload, sizeof(payload) };
    files[i].devices[1] = (struct blob){ disk[i], sizeof(disk[i]) };
}

static int setup(void **state UNUSED)
{
    pool = aligned_alloc(MiB(2), POOL_SIZE);
    assert_non_null(pool);
    frame_init();
    assert_int_equal(frame_add_free(ptr_hpa(pool), POOL_SIZE / PAGE_SIZE), 0);
    vendor = &stub_ops;
    stub_now_ns = 1000 * SEC;
    config(0, "resetter", VM_RAM);
    config(1, "other", VM_RAM);
    config(2, "big", BIG_RAM);
    for (unsigned i = 0; i < 3; i++) {
        vms[i] = machine_create(i, &cfg[i], &files[i]);
        assert_non_null(vms[i]);
    }
    return 0;
}

/* Run one requested reset to the end; returns the number of calls. */
static unsigned reset(struct vm *vm)
{
    unsigned calls = 1;
    vm_request_reset(vm, "test");
    assert_true(vm->reset_pending);
    while (machine_reset(vm) == -EAGAIN) {
        calls++;
        assert_true(vm->reset_pending);
        assert_true(calls < 100);
    }
    return calls;
}

static void test_reset_allocates_nothing(void **state UNUSED)
{
    struct vm *vm = vms[0];
    struct virtio_dev *blk = vm->virtio[1];
    uint64_t heap = stub_kzalloc_bytes, frames = frame_free_pages();
    unsigned pio = vm->pio.nr, mmio = vm->mmio.nr;
    uint32_t bar = pci_bar_gpa(vm->pci->devs[2], 0);

    /* A driver left the disk running; a reset puts it back to status 0. */
    blk->status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                  VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK;
    log_set_output(quiet);
    for (unsigned i = 0; i < 10000; i++) {
        stub_now_ns += 2 * SEC;      /* below the rate limit */
        reset(vm);
        assert_true(vm_running(vm));
    }
    reset(vms[1]);                   /* the other VM's ordinary reboot */
    log_set_output(serial_write);
    assert_int_equal(vm->resets, 10000);
    assert_true(vm_running(vms[1]));
    assert_int_equal(vms[1]->resets, 1);
    assert_int_equal(stub_kzalloc_bytes, heap);
    assert_int_equal(frame_free_pages(), frames);
    /* The same device objects, in their power-on state, on the same
     * buses and slots. */
    assert_ptr_equal(vm->virtio[1], blk);
    assert_int_equal(blk->status, 0);
    assert_int_equal(vm->pio.nr, pio);
    assert_int_equal(vm->mmio.nr, mmio);
    assert_int_equal(pci_bar_gpa(vm->pci->devs[2], 0), bar);
    assert_int_equal(vm->vcpus[0]->run_state, VCPU_RUNNABLE);
    assert_int_equal(vm->vcpus[1]->run_state, VCPU_WAIT_SIPI);
    assert_int_equal(vm->vcpus[0]->state.rip, 0x100000);
}

/* Guest RAM is cleared MACHINE_RESET_CLEAR_BYTES per call; the vCPUs may
 * not run until the last call reloaded the payload. */
static void test_ram_cleared_in_steps(void **state UNUSED)
{
    struct vm *vm = vms[2];
    uint8_t *ram = hpa_ptr(vm->mem.slots[0].hpa);
    assert_int_equal(vm->mem.nr_slots, 1);
    memset(ram, 0xcc, BIG_RAM);
    vm_request_reset(vm, "test");
    assert_int_equal(machine_reset(vm), -EAGAIN);
    assert_int_equal(ram[0], 0);
    assert_int_equal(ram[MACHINE_RESET_CLEAR_BYTES - 1], 0);
    assert_int_equal(ram[MACHINE_RESET_CLEAR_BYTES], 0xcc);
    assert_true(vm->reset_pending);
    assert_int_equal(machine_reset(vm), 0);
    assert_false(vm->reset_pending);
    assert_int_equal(ram[BIG_RAM - 1], 0);
    assert_memory_equal(ram + 0x100000, payload, sizeof(payload));
}

static void test_reset_loop_stopped(void **state UNUSED)
{
    struct vm *vm = vms[0];
    log_set_output(quiet);
    for (unsigned i = 0; i < MACHINE_RESET_LIMIT; i++)
        reset(vm);
    log_set_output(serial_write);
    assert_true(vm_running(vm));
    vm_request_reset(vm, "test");
    assert_int_equal(machine_reset(vm), -EBUSY);
    assert_false(vm_running(vm));
    assert_int_equal(vm->end, VM_END_CRASHED);
    assert_non_null(strstr(vm->end_reason, "reset more than 10 times"));
    assert_true(vm_running(vms[1]));
    /* A new window starts once the old one has passed. */
    stub_now_ns += MACHINE_RESET_WINDOW_NS;
    log_set_output(quiet);
    for (unsigned i = 0; i < MACHINE_RESET_LIMIT; i++)
        reset(vms[1]);
    log_set_output(serial_write);
    assert_true(vm_running(vms[1]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_reset_allocates_nothing, setup),
        cmocka_unit_test_setup(test_ram_cleared_in_steps, setup),
        cmocka_unit_test_setup(test_reset_loop_stopped, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
