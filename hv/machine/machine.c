/* The one owner of a VM's life cycle (hv/machine/machine.h): guest RAM and
 * its nested page table, the vCPUs, the PC board, the virtio devices and
 * the payload, at creation and again at every reset. */
#include "drivers/timer.h"
#include "hv/acpi/acpi.h"
#include "hv/core/dirty_log.h"
#include "hv/core/pin.h"
#include "hv/core/vendor.h"
#include "hv/core/vm.h"
#include "hv/loader/bda.h"
#include "hv/loader/linux.h"
#include "hv/loader/multiboot.h"
#include "hv/machine/machine.h"
#include "hv/machine/pc.h"
#include "hv/machine/vconsole.h"
#include "hv/machine/virtio_devices.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/frame.h"
#include "mm/heap.h"

/* Guest RAM below 4 GiB ends at 3 GiB at most; the rest of the top GiB is
 * left for device MMIO (PCI, IOAPIC, LAPIC), as on PC hardware. */
#define LOW_RAM_LIMIT GiB(3)

/* Back [gpa, gpa+size) with host frames: 2 MiB-aligned runs as large as
 * the allocator has, so NPT can use large pages. */
static int alloc_ram(struct vm *vm, gpa_t gpa, uint64_t size)
{
    while (size) {
        uint64_t chunk = size;
        hpa_t hpa = 0;
        while (chunk >= LARGE_PAGE_SIZE) {
            hpa = frame_alloc(chunk / PAGE_SIZE, LARGE_PAGE_SIZE);
            if (hpa)
                break;
            chunk = ALIGN_DOWN(chunk / 2, LARGE_PAGE_SIZE);
        }
        if (!hpa)
            return -ENOMEM;
        /* Fresh frames may hold firmware data: a guest never sees it. */
        memset(hpa_ptr(hpa), 0, chunk);
        int err = gmem_add_slot(&vm->mem, gpa, chunk, hpa);
        if (err)
            return err;
        err = pt_map(&vm->npt, gpa, hpa, chunk, PT_RWX);
        if (err)
            return err;
        gpa += chunk;
        size -= chunk;
    }
    return 0;
}

/* Linux: ACPI tables in the BIOS area, an e820 map of exactly the guest's
 * RAM and reserved ranges, then the 64-bit boot protocol (hv/loader). */
static int load_linux(struct vm *vm, const struct load_request *req)
{
    struct boot_e820_entry map[32];
    struct acpi_tables tables;
    struct acpi_config acfg = { .nr_vcpus = vm->nr_vcpus };
    struct linux_layout layout;
    struct linux_placement place;
    int rc;

    rc = acpi_build(&vm->mem, ACPI_TABLES_GPA, ACPI_TABLES_SIZE, &acfg,
                    &tables);
    if (rc) {
        ksnprintf(req->err, req->errlen, "cannot build ACPI tables (%s)",
                  err_name(rc));
        return rc;
    }
    int n = linux_e820_default(&vm->mem, ACPI_TABLES_GPA, ACPI_TABLES_SIZE,
                               map, ARRAY_SIZE(map));
    if (n < 0) {
        ksnprintf(req->err, req->errlen, "cannot build the e820 map (%s)",
                  err_name(n));
        return n;
    }
    linux_layout_default(&layout);
    layout.rsdp = tables.rsdp;
    layout.e820 = map;
    layout.e820_entries = (unsigned)n;
    rc = linux_load(&vm->mem, req->kernel, req->kernel_size, req->initrd,
                    req->initrd_size, vm->cfg->cmdline, &layout,
                    &vm->vcpus[0]->state, &place, req->err, req->errlen);
    if (rc)
        return rc;
    vm->rsdp_gpa = tables.rsdp;
    log_info("vm %s: kernel at %#llx (%llu MiB reserved), initrd at %#llx "
             "(%llu bytes), ACPI RSDP at %#llx, %d e820 entries", vm->name,
             (unsigned long long)place.kernel,
             (unsigned long long)(place.kernel_span >> 20),
             (unsigned long long)place.initrd,
             (unsigned long long)place.initrd_size,
             (unsigned long long)tables.rsdp, n);
    return 0;
}

static int load_payload(struct vm *vm, const struct blob *kernel,
                        const struct blob *initrd, char *err, size_t errlen)
{
    struct load_request req = {
        .mem = &vm->mem,
        .cmdline = vm->cfg->cmdline,
        .load_addr = vm->cfg->load_addr,
        .has_entry = vm->cfg->has_entry,
        .entry = vm->cfg->entry,
        .kernel = kernel->data,
        .kernel_size = kernel->size,
        .initrd = initrd && initrd->size ? initrd->data : NULL,
        .initrd_size = initrd ? initrd->size : 0,
        .ram_top_low = MIN(vm->cfg->memory, LOW_RAM_LIMIT),
        .err = err,
        .errlen = errlen,
    };
    struct vcpu_state *st = &vm->vcpus[0]->state;

    /* The BIOS Data Area a PC's firmware leaves, for every payload. */
    if (bda_write(&vm->mem)) {
        ksnprintf(err, errlen, "no RAM for the BIOS Data Area");
        return -EFAULT;
    }
    switch (vm->cfg->format) {
    case FMT_MULTIBOOT:
        return multiboot_load(&req, st);
    case FMT_FLAT:
        return flat_load(&req, st);
    case FMT_LINUX:
        return load_linux(vm, &req);
    }
    return -EINVAL;
}

struct vm *machine_create(unsigned id, const struct vm_config *cfg,
                          const struct vm_files *files)
{
    char err[200] = "";
    struct vm *vm = kzalloc(sizeof(*vm));
    int rc;

    if (!vm) {
        log_err("vm %s: out of memory for the VM structure", cfg->name);
        return NULL;
    }
    vm->id = id;
    vm->cfg = cfg;
    vm->kernel = &files->kernel;
    vm->initrd = &files->initrd;
    vm->device_files = files->devices;
    vm->console_flush = vconsole_flush;
    strlcpy(vm->name, cfg->name, sizeof(vm->name));
    vm->pio.name = "pio";
    vm->mmio.name = "mmio";

    rc = pt_init(&vm->npt, vendor->npt_format);
    if (!rc) {
        uint64_t low = MIN(cfg->memory, LOW_RAM_LIMIT);
        rc = alloc_ram(vm, 0, low);
        if (!rc && cfg->memory > low)
            rc = alloc_ram(vm, GiB(4), cfg->memory - low);
    }
    if (rc) {
        log_err("vm %s: cannot allocate %llu MiB of guest RAM (%llu MiB "
                "free, largest run %llu MiB)", vm->name,
                (unsigned long long)(cfg->memory >> 20),
                (unsigned long long)(frame_free_pages() >> 8),
                (unsigned long long)(frame_largest_run() >> 8));
        return NULL;
    }
    rc = vendor->vm_init(vm);
    for (unsigned i = 0; !rc && i < cfg->vcpus; i++) {
        struct vcpu *v = kzalloc(sizeof(*v));
        if (!v) {
            rc = -ENOMEM;
            break;
        }
        v->vm = vm;
        v->id = i;
        v->pcpu = pin_cpu(cfg->cpus, i);   /* 0 unless pinned */
        v->run_state = i == 0 ? VCPU_RUNNABLE : VCPU_WAIT_SIPI;
        for (int e = 0; e < EXIT_REASON_COUNT; e++)
            v->stats.min[e] = ~0ULL;
        vm->vcpus[vm->nr_vcpus++] = v;
    }
    if (!rc)
        rc = pc_create(vm);
    if (rc) {
        log_err("vm %s: set-up failed (%s)", vm->name, err_name(rc));
        return NULL;
    }
    rc = virtio_devices_create(vm);
    if (rc)
        return NULL;      /* logged: which device and why */
    rc = load_payload(vm, vm->kernel, vm->initrd, err, sizeof(err));
    if (rc) {
        log_err("vm %s: %s %s: %s", vm->name, payload_format_name(cfg->format),
                cfg->kernel, err);
        return NULL;
    }
    for (unsigned i = 0; i < vm->nr_vcpus; i++) {
        rc = vendor->vcpu_init(vm->vcpus[i]);
        if (rc) {
            log_err("vm %s: vCPU %u set-up failed (%s)", vm->name, i,
                    err_name(rc));
            return NULL;
        }
    }
    vm->start_ns = timer_now_ns();
    log_info("vm %s: %llu MiB RAM, %u vCPU%s, %s payload %s, entry %#llx",
             vm->name, (unsigned long long)(cfg->memory >> 20), vm->nr_vcpus,
             vm->nr_vcpus == 1 ? "" : "s", payload_format_name(cfg->format),
             cfg->kernel, (unsigned long long)vm->vcpus[0]->state.rip);
    return vm;
}

/* The first step of a reset: the rate limit, then devices back to their
 * power-on state so none writes into RAM while it is cleared. */
static int reset_begin(struct vm *vm)
{
    uint64_t now = timer_now_ns();

    if (!vm->reset_window_count ||
        now - vm->reset_window_ns >= MACHINE_RESET_WINDOW_NS) {
        vm->reset_window_ns = now;
        vm->reset_window_count = 0;
    }
    if (++vm->reset_window_count > MACHINE_RESET_LIMIT) {
        vm->reset_pending = false;
        vm_stop(vm, VM_END_CRASHED, "reset more than %u times within %llu "
                "s: stopped (a reset loop would take Keel's time from the "
                "other VMs)", MACHINE_RESET_LIMIT,
                MACHINE_RESET_WINDOW_NS / 1000000000ULL);
        return -EBUSY;
    }
    vm->resets++;
    vm->resetting = true;
    vm->clear_slot = 0;
    vm->clear_off = 0;
    pc_reset(vm);
    /* A reset is a new boot: the dirty log belonged to the old one. */
    if (vm->dirty.on)
        dirty_log_stop(vm);
    return 0;
}

/* Zero up to MACHINE_RESET_CLEAR_BYTES more of guest RAM. A PC's reset
 * leaves RAM contents undefined; Keel clears them so the new boot cannot
 * depend on the old one. Returns true when all of it is clear. */
static bool reset_clear_step(struct vm *vm)
{
    uint64_t budget = MACHINE_RESET_CLEAR_BYTES;

    while (budget && vm->clear_slot < vm->mem.nr_slots) {
        const struct mem_slot *sl = &vm->mem.slots[vm->clear_slot];
        uint64_t n = MIN(budget, sl->size - vm->clear_off);
        memset((uint8_t *)hpa_ptr(sl->hpa) + vm->clear_off, 0, n);
        vm->clear_off += n;
        budget -= n;
        if (vm->clear_off == sl->size) {
            vm->clear_slot++;
            vm->clear_off = 0;
        }
    }
    return vm->clear_slot == vm->mem.nr_slots;
}

int machine_reset(struct vm *vm)
{
    char err[200] = "";
    int rc;

    if (!vm->resetting) {
        rc = reset_begin(vm);
        if (rc)
            return rc;
    }
    if (!reset_clear_step(vm))
        return -EAGAIN;
    vm->resetting = false;
    vm->reset_pending = false;
    for (unsigned i = 0; i < vm->nr_vcpus; i++) {
        struct vcpu *v = vm->vcpus[i];
        memset(&v->state, 0, sizeof(v->state));
        v->state_replaced = true;
        v->event.valid = false;
        v->want_intr_window = false;
        v->tsc_offset = 0;
        v->pvclock = (struct pvclock){ 0 };
        v->pv_eoi = (struct pv_eoi){ 0 };
        v->run_state = i == 0 ? VCPU_RUNNABLE : VCPU_WAIT_SIPI;
        vcpu_fpu_reset(v);
        vcpu_dreg_reset(v);
        /* Guest-virtual translations cached under this VM's tag belong
         * to the old boot. */
        vendor->flush_guest_tlb(v);
    }
    rc = load_payload(vm, vm->kernel, vm->initrd, err, sizeof(err));
    if (rc) {
        vm_crash(vm, "reset failed: %s", err[0] ? err : err_name(rc));
        return rc;
    }
    return 0;
}
