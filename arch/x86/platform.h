/* The machine as a whole (arch/x86/platform.c): the boot CPU's set-up, how
 * Keel ends the machine (halt, ACPI power-off, the test harness's exit
 * ports), and the CPU instructions the core needs without inline assembly
 * (CPUID, XSETBV). Host unit tests get these from test/unit/host_stubs.c,
 * as they get the time (drivers/timer.h), the console (drivers/serial.h),
 * the host timer (drivers/lapic_timer.h) and the FPU (arch/x86/fpu.h). */
#ifndef KEEL_PLATFORM_H
#define KEEL_PLATFORM_H

#include "lib/types.h"

/* QEMU `-device isa-debug-exit,iobase=0xf4,iosize=4`: a write of v ends
 * QEMU with status (v << 1) | 1. Keel writes its test-mode status there
 * (arch/x86/platform.c), and gives each VM a device at the same port that
 * ends the VM with the status written (hv/machine/debug_exit.c). */
#define DEBUG_EXIT_PORT 0xf4

/* Status values Keel writes to isa-debug-exit in test mode; QEMU exits with
 * (v << 1) | 1: 1 when every guest passed, 3 when one failed, 5 on a
 * hypervisor panic. */
#define KEEL_STATUS_PASS  0
#define KEEL_STATUS_FAIL  1
#define KEEL_STATUS_FATAL 2

/* Bring up the console (COM1) so logging works; first thing efi_main does. */
void platform_console_init(void);

/* Bring up the boot CPU's own state: GDT/TSS/IDT, identity-mapped page
 * tables covering host-physical [0, mem_top) (bytes; the top of the
 * firmware's memory map), and the x87/SSE/AVX save format. Needs the frame
 * allocator. Panics on failure. The host drivers (timers, ACPI, NICs) are
 * started by hv_main, not here. */
void platform_init(hpa_t mem_top);

/* In test mode power-off and fatal errors leave QEMU through isa-debug-exit
 * (keel.cfg: test-exit = yes). */
void platform_set_test_exit(bool on);

/* Load XCR0 (index 0) with value on the guest's behalf, after checking the
 * XSETBV rules (SDM 2 XSETBV: x87 set, AVX needs SSE, AVX-512 states
 * together, only supported components). Returns 0, or -EINVAL when the
 * instruction would raise #GP. XCR0 stays loaded while Keel runs (Keel uses
 * no extended state). */
int platform_xsetbv(uint32_t index, uint64_t value);

/* Execute CPUID on the host CPU: out[0..3] = EAX, EBX, ECX, EDX. */
void platform_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

/* Stop this CPU for good (interrupts off, HLT loop). */
NORETURN void platform_halt(void);

/* End the machine: in test mode print "keel: exit status N" and leave
 * through QEMU's isa-debug-exit with the given status (or Bochs' shutdown
 * port 0x8900), otherwise ACPI S5 power-off; falls back to platform_halt(). */
NORETURN void platform_poweroff(int status);

/* After a fatal error: stop the other CPUs (an NMI each,
 * percpu_stop_others), then in test mode leave QEMU with a failure status
 * (so a test never waits for a timeout), otherwise halt so the screen
 * stays readable. */
NORETURN void platform_fatal(void);

#endif
