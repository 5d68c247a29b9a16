/* How Keel ends the machine (hv/platform.h): halt, ACPI power-off, or in
 * test mode QEMU's isa-debug-exit device, whose exit status tells the test
 * harness whether every guest passed. */
#include "arch/x86/cpu.h"
#include "drivers/lapic_timer.h"
#include "drivers/serial.h"
#include "drivers/timer.h"
#include "hv/boot_info.h"
#include "hv/panic.h"
#include "drivers/acpi_host.h"
#include "hv/errno.h"
#include "hv/log.h"
#include "hv/platform.h"

/* QEMU `-device isa-debug-exit,iobase=0xf4,iosize=4`: a write of v ends
 * QEMU with status (v << 1) | 1. */
#define DEBUG_EXIT_PORT 0xf4

static bool test_exit;

void platform_console_init(void)
{
    serial_init();
}

void platform_init(const struct boot_info *bi)
{
    uint64_t top = 0;
    for (unsigned i = 0; i < bi->nr_mem; i++)
        top = MAX(top, bi->mem[i].base + bi->mem[i].pages * PAGE_SIZE);
    arch_cpu_init();
    int err = arch_paging_init(top);
    if (err)
        panic("cannot build host page tables (%s)", err_name(err));
    timer_init();
    lapic_timer_init();
    acpi_host_init(bi->rsdp);
}

void platform_set_test_exit(bool on) { test_exit = on; }

void platform_halt(void)
{
    for (;;) {
        cli();
        hlt();
    }
}

void platform_poweroff(int status)
{
    if (test_exit)
        outl(DEBUG_EXIT_PORT, (uint32_t)status);
    acpi_host_poweroff();
    kprintf("keel: power-off not available here; halted\n");
    platform_halt();
}

void platform_fatal(void)
{
    if (test_exit)
        outl(DEBUG_EXIT_PORT, KEEL_STATUS_FATAL);
    platform_halt();
}

void platform_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
    struct cpuid_regs r = cpuid(leaf, subleaf);
    out[0] = r.eax;
    out[1] = r.ebx;
    out[2] = r.ecx;
    out[3] = r.edx;
}
