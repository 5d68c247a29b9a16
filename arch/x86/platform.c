/* How Keel ends the machine (arch/x86/platform.h): halt, ACPI power-off, or in
 * test mode QEMU's isa-debug-exit device, whose exit status tells the test
 * harness whether every guest passed. */
#include "arch/x86/cpu.h"
#include "arch/x86/fpu.h"
#include "arch/x86/percpu.h"
#include "arch/x86/platform.h"
#include "drivers/acpi_host.h"
#include "drivers/console.h"
#include "drivers/serial.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/panic.h"

/* Bochs has no isa-debug-exit. Its unmapped-I/O device (iodev/unmapped.cc)
 * ends the simulation when the bytes "Shutdown" are written to port 0x8900,
 * so in test mode Keel ends Bochs there, after printing its status (Bochs'
 * own exit status cannot carry it). Only in test mode: on real hardware the
 * port may belong to a device. */
#define BOCHS_SHUTDOWN_PORT 0x8900

static bool test_exit;

/* Test mode: print the status the harness reads (test/boot/keelrun.py
 * reads this line under Bochs), then try QEMU's debug-exit and Bochs'
 * shutdown port; returns if neither machine took it. */
static void test_mode_exit(int status)
{
    static const char shutdown[] = "Shutdown";
    if (!test_exit)
        return;
    kprintf("keel: exit status %d\n", status);
    outl(DEBUG_EXIT_PORT, (uint32_t)status);
    for (const char *p = shutdown; *p; p++)
        outb(BOCHS_SHUTDOWN_PORT, (uint8_t)*p);
}

void platform_console_init(void)
{
    serial_init();
}

void platform_init(hpa_t mem_top)
{
    arch_cpu_init();
    int err = arch_paging_init(mem_top);
    if (err)
        panic("cannot build host page tables (%s)", err_name(err));
    fpu_init();
}

void platform_set_test_exit(bool on) { test_exit = on; }

void platform_halt(void)
{
    console_screen_flush();   /* the last lines stay readable */
    for (;;) {
        cli();
        hlt();
    }
}

void platform_poweroff(int status)
{
    console_screen_flush();
    test_mode_exit(status);
    acpi_host_poweroff();
    kprintf("keel: power-off not available here; halted\n");
    platform_halt();
}

void platform_fatal(void)
{
    percpu_stop_others();
    console_screen_flush();   /* the panic message, on the screen too */
    test_mode_exit(KEEL_STATUS_FATAL);
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

/* XCR0 rules of XSETBV (SDM 1 13.3 "Enabling the XSAVE Feature Set and
 * XSAVE-Enabled Features", SDM 2 XSETBV): x87 always on, AVX needs SSE,
 * the AVX-512 states (bits 5-7) all or none and only with AVX, and nothing
 * the CPU does not support (CPUID.(EAX=0DH,ECX=0):EDX:EAX). */
int platform_xsetbv(uint32_t index, uint64_t value)
{
    if (index != 0 || !(cpuid(1, 0).ecx & BIT(26)))
        return -EINVAL;
    struct cpuid_regs r = cpuid(0xd, 0);
    uint64_t supported = ((uint64_t)r.edx << 32) | r.eax;
    uint64_t avx512 = BIT(5) | BIT(6) | BIT(7);
    if (!(value & BIT(0)) || (value & ~supported))
        return -EINVAL;
    if ((value & BIT(2)) && !(value & BIT(1)))
        return -EINVAL;
    if ((value & avx512) && ((value & avx512) != avx512 || !(value & BIT(2))))
        return -EINVAL;
    xsetbv(0, value);
    return 0;
}
