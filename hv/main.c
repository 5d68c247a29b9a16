/* hv_main: the vendor-neutral core's start. Brings up memory, the CPU and
 * the host drivers, picks the vendor, creates every configured VM, runs
 * them to the end, prints the summary and ends the machine. */
#include "arch/x86/percpu.h"
#include "arch/x86/platform.h"
#include "arch/x86/smp_boot.h"
#include "arch/x86/trap.h"
#include "drivers/acpi_host.h"
#include "drivers/console.h"
#include "drivers/e1000.h"
#include "drivers/i8042.h"
#include "drivers/lapic.h"
#include "drivers/lapic_timer.h"
#include "drivers/timer.h"
#include "hv/core/pin.h"
#include "hv/core/vendor.h"
#include "hv/core/vm.h"
#include "hv/debug/stats.h"
#include "hv/debug/trace.h"
#include "hv/machine/machine.h"
#include "hv/machine/vconsole.h"
#include "hv/main.h"
#include "hv/net/net.h"
#include "hv/run.h"
#include "hv/sched.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "mm/frame.h"

/* Keel leaves the first MiB alone (real-mode firmware structures). */
#define LOW_RESERVED MiB(1)

static void init_frames(const struct boot_info *bi)
{
    frame_init();
    for (unsigned i = 0; i < bi->nr_mem; i++) {
        const struct mem_range *r = &bi->mem[i];
        if (r->kind != MEM_FREE)
            continue;
        hpa_t base = MAX(r->base, LOW_RESERVED);
        hpa_t end = r->base + r->pages * PAGE_SIZE;
        if (end > base && frame_add_free(base, (end - base) / PAGE_SIZE))
            log_warn("memory map: range %#llx-%#llx overlaps another; "
                     "skipped", (unsigned long long)base,
                     (unsigned long long)end);
    }
    log_info("memory: %llu MiB free for guests and Keel",
             (unsigned long long)(frame_free_pages() >> 8));
}

/* The screen console (drivers/console.h) on the GOP framebuffer boot/
 * found, with the boot messages the firmware showed before
 * ExitBootServices drawn again; from here on Keel's log, the guests'
 * consoles and the monitor appear on the serial port and the screen. */
static void start_screen(const struct boot_info *bi)
{
    if (!bi->fb.base)
        return;
    if (console_screen_start(&bi->fb)) {
        log_warn("screen: cannot draw on the %ux%u framebuffer (format "
                 "%u)", bi->fb.width, bi->fb.height, bi->fb.format);
        return;
    }
    console_write_screen(bi->boot_log, bi->boot_log_len);
    unsigned cols, rows;
    console_screen_size(&cols, &rows);
    log_info("screen: %ux%u pixels, %ux%u characters", bi->fb.width,
             bi->fb.height, cols, rows);
}

/* The host machine: the boot CPU's tables, then Keel's own drivers: TSC
 * calibration, the LAPIC in the mode the firmware handed over (or x2APIC
 * with "x2apic = force"), the LAPIC timer that ends time slices, host ACPI
 * (power-off) and, when the machine has one, the NIC that links the VMs'
 * switch to the outside. */
static void start_host(const struct boot_info *bi)
{
    hpa_t top = 0;
    for (unsigned i = 0; i < bi->nr_mem; i++)
        top = MAX(top, bi->mem[i].base + bi->mem[i].pages * PAGE_SIZE);
    console_screen_hold();  /* a framebuffer above 4 GiB: see console.h */
    platform_init(top);
    console_screen_map();
    timer_init();
    if (lapic_init(bi->cfg.x2apic_force))
        panic("cannot map the host LAPIC page");
    lapic_timer_init();
    trap_set_eoi(lapic_eoi);   /* stray host IRQs: ack at the LAPIC */
    percpu_set_online(0, lapic_id());
    percpu_kick_init();
    acpi_host_init(bi->rsdp);
    if (i8042_init() == 0)
        log_info("keyboard: PS/2 (i8042), polled");
    struct net_uplink *nic = e1000_probe();
    if (nic && net_uplink_register(nic) < 0)
        log_err("net: cannot attach %s as the uplink", nic->name);
}

/* An AP's life after smp_boot_start_ap brought it to long mode: its own
 * LAPIC timer and hardware virtualization, then the vCPUs pinned to it.
 * Halts when they have all ended. */
static NORETURN void ap_main(unsigned cpu)
{
    lapic_timer_init_ap();
    int err = vendor->hw_enable();
    if (err) {
        log_err("smp: CPU %u: cannot enable %s (%s)", cpu, vendor->name,
                err_name(err));
        smp_boot_ap_report(false);
        platform_halt();
    }
    percpu_set_online(cpu, lapic_id());
    smp_boot_ap_report(true);
    sched_run_ap(cpu);
    platform_halt();
}

/* Start the other processors the host's MADT lists (Keel's numbering:
 * the boot CPU is 0, the rest in table order). Without a MADT (OVMF
 * under Bochs has no ACPI tables) the list the firmware's MP Services
 * protocol gave boot/ stands in; without either, or without a trampoline
 * page, Keel runs on the boot CPU alone. A CPU that does not start is
 * logged and left out. */
static void start_cpus(const struct boot_info *bi)
{
    uint32_t len, ids[PERCPU_MAX];
    const char *source = "MADT";
    int n;
    const void *madt = acpi_host_madt(&len);
    if (madt) {
        n = acpi_host_madt_cpus(madt, len, lapic_id(), ids, PERCPU_MAX);
        if (n < 0) {
            log_warn("smp: the MADT does not parse (%s): 1 CPU used",
                     err_name(n));
            return;
        }
    } else if (bi->nr_fw_cpus > 0 && bi->fw_cpus[0] == lapic_id()) {
        source = "UEFI MP Services";
        n = (int)bi->nr_fw_cpus;
        memcpy(ids, bi->fw_cpus, (size_t)n * sizeof(ids[0]));
    } else {
        log_info("smp: no ACPI MADT and no UEFI MP Services list from the "
                 "firmware: 1 CPU (the boot CPU) used");
        return;
    }
    unsigned started = 1;
    for (int i = 1; i < n; i++) {
        int err = -EINVAL;
        if (!bi->ap_trampoline)
            log_err("smp: no page below 1 MiB for the start-up code");
        else if (lapic_mode() == LAPIC_MODE_XAPIC && ids[i] > 0xfe)
            log_err("smp: APIC ID %u needs x2APIC mode", ids[i]);
        else
            err = smp_boot_start_ap((unsigned)i, ids[i], bi->ap_trampoline,
                                    ap_main);
        if (err)
            log_err("smp: CPU %d (APIC ID %u) did not start (%s); left out",
                    i, ids[i], err_name(err));
        else
            started++;
    }
    log_info("smp: %d CPU%s found (%s), %u started", n, n == 1 ? "" : "s",
             source, started);
}

/* May vm's vCPUs run where its cpus mask says? Every CPU named must be
 * running Keel. */
static bool pinning_ok(const struct vm_config *c)
{
    int missing = pin_missing(c->cpus, percpu_online_mask());
    if (missing >= 0) {
        log_err("vm %s: cpus names CPU %d, which Keel did not start "
                "(online: %#llx); VM not created", c->name, missing,
                (unsigned long long)percpu_online_mask());
        return false;
    }
    return true;
}

/* Did vm end the way its configuration expects (keel.cfg "expect")? By
 * default a guest passes by writing 0 to the debug-exit port or by
 * powering off. */
static bool vm_passed(const struct vm *vm)
{
    switch (vm->cfg->expect) {
    case EXPECT_PASS:
        return (vm->end == VM_END_DEBUG_EXIT && vm->exit_status == 0) ||
               vm->end == VM_END_POWEROFF;
    case EXPECT_STATUS:
        return vm->end == VM_END_DEBUG_EXIT &&
               (uint32_t)vm->exit_status == vm->cfg->expect_status;
    case EXPECT_HALTED:
        return vm->end == VM_END_HALTED;
    case EXPECT_TRIPLE_FAULT:
        return vm->end == VM_END_TRIPLE_FAULT;
    case EXPECT_CRASHED:
        return vm->end == VM_END_CRASHED;
    case EXPECT_POWEROFF:
        return vm->end == VM_END_POWEROFF;
    }
    return false;
}

void hv_main(struct boot_info *bi)
{
    static struct vm *vms[CFG_MAX_VMS];
    unsigned nr = 0, failed = 0;

    start_screen(bi);
    /* A panic prints the last vCPU and its exit trace, then halts. */
    panic_set_hooks(trace_panic_dump, platform_fatal);
    log_set_level(bi->cfg.log_level);
    platform_set_test_exit(bi->cfg.test_exit);
    trace_configure(bi->cfg.trace);
    log_info("boot services exited; hypervisor core starting (image %#llx)",
             (unsigned long long)bi->image_base);
    init_frames(bi);
    start_host(bi);

    if (vendor_select() || vendor->hw_enable())
        panic("cannot enable hardware virtualization");
    log_info("%s enabled", vendor->name);
    start_cpus(bi);

    for (unsigned i = 0; i < bi->cfg.nr_vms; i++) {
        if (!pinning_ok(&bi->cfg.vms[i])) {
            failed++;
            continue;
        }
        struct vm *vm = machine_create(i, &bi->cfg.vms[i], &bi->files[i]);
        if (vm)
            vms[nr++] = vm;
        else
            failed++;
        for (unsigned c = 0; vm && vm->cfg->cpus && c < vm->nr_vcpus; c++)
            log_info("vm %s: vCPU %u pinned to CPU %u", vm->name, c,
                     vm->vcpus[c]->pcpu);
    }
    vconsole_set_raw(nr == 1 && bi->cfg.nr_vms == 1);
    int in = vconsole_input_vm(vms, nr);
    if (nr > 1 && in >= 0)
        kprintf("keel: console: typed input goes to vm %s; Ctrl-] n moves "
                "it to the next VM, Ctrl-] m opens the monitor\n",
                vms[in]->name);
    sched_run(vms, nr);

    kprintf("keel: summary: %u VM%s\n", bi->cfg.nr_vms,
            bi->cfg.nr_vms == 1 ? "" : "s");
    for (unsigned i = 0; i < nr; i++) {
        bool ok = vm_passed(vms[i]);
        stats_vm_report(vms[i]);
        kprintf("keel: vm %s: %s\n", vms[i]->name,
                ok ? "ended as expected" : "did NOT end as expected");
        failed += !ok;
    }
    net_report();
    for (unsigned c = 0; percpu_online_mask() != 1 && c < PERCPU_MAX; c++)
        if (percpu_online_mask() & (1ULL << c))
            kprintf("keel: smp: CPU %u: %llu guest entries\n", c,
                    (unsigned long long)run_cpu_entries(c));
    if (failed)
        kprintf("keel: %u VM%s did not pass (not created, crashed, or "
                "non-zero status)\n", failed, failed == 1 ? "" : "s");
    kprintf("keel: all VMs have ended; powering off\n");
    platform_poweroff(failed ? KEEL_STATUS_FAIL : KEEL_STATUS_PASS);
}
