/* What the vendor-neutral core needs from the machine it runs on. Provided by
 * drivers/ and arch/x86/ in the hypervisor, and by test/unit/host_stubs.c in
 * host unit tests. */
#ifndef KEEL_PLATFORM_H
#define KEEL_PLATFORM_H

#include "lib/types.h"

struct boot_info;

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

/* Bring up the console (COM1) so logging works; first thing hv_main does. */
void platform_console_init(void);

/* Bring up the boot CPU's own state (GDT/TSS/IDT, identity-mapped page
 * tables covering every range in bi's memory map), host time and host ACPI.
 * Needs the frame allocator. Panics on failure. */
void platform_init(const struct boot_info *bi);

/* In test mode power-off and fatal errors leave QEMU through isa-debug-exit
 * (keel.cfg: test-exit = yes). */
void platform_set_test_exit(bool on);

/* Write n bytes to the hypervisor's console (the physical serial port). */
void console_write(const char *s, size_t n);

/* Write n bytes unchanged (guest output, which carries its own CR LF). */
void console_write_raw(const char *s, size_t n);

/* Read one byte from the console if one is waiting; returns -1 if none. */
int console_getc(void);

/* Nanoseconds since an arbitrary fixed point (monotonic, from the TSC). */
uint64_t platform_now_ns(void);

/* The host TSC frequency in Hz (calibrated at boot). */
uint64_t platform_tsc_hz(void);

/* Read the host time-stamp counter. */
uint64_t platform_rdtsc(void);

/* Wall-clock time from the host RTC, seconds since 1970-01-01 UTC. */
uint64_t platform_wall_seconds(void);

/* Load XCR0 (index 0) with value on the guest's behalf, after checking the
 * XSETBV rules (SDM 2 XSETBV: x87 set, AVX needs SSE, AVX-512 states
 * together, only supported components). Returns 0, or -EINVAL when the
 * instruction would raise #GP. XCR0 stays loaded while Keel runs (Keel uses
 * no extended state). */
int platform_xsetbv(uint32_t index, uint64_t value);

/* Execute CPUID on the host CPU: out[0..3] = EAX, EBX, ECX, EDX. */
void platform_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

/* Arm the host timer to interrupt at deadline_ns (platform_now_ns time);
 * 0 disarms. A guest running then exits (INTR), an idle CPU wakes. */
void platform_timer_arm(uint64_t deadline_ns);

/* Sleep until the next host interrupt (STI; HLT; CLI). */
void platform_idle(void);

/* Guest x87/SSE/AVX state: the size in bytes of one save area (64-byte
 * aligned by the caller), an area in the power-on state with its XCR0,
 * and the switch from one vCPU's state to another's. save may be NULL
 * (nothing worth keeping is loaded). */
void platform_fpu_init(void);
size_t platform_fpu_area_size(void);
void platform_fpu_init_area(void *area, uint64_t *xcr0);
void platform_fpu_switch(void *save, uint64_t *save_xcr0, const void *load,
                         uint64_t load_xcr0);

/* Stop this CPU for good (interrupts off, HLT loop). */
NORETURN void platform_halt(void);

/* End the machine: in test mode print "keel: exit status N" and leave
 * through QEMU's isa-debug-exit with the given status (or Bochs' shutdown
 * port 0x8900), otherwise ACPI S5 power-off; falls back to platform_halt(). */
NORETURN void platform_poweroff(int status);

/* After a fatal error: in test mode leave QEMU with a failure status (so a
 * test never waits for a timeout), otherwise halt so the screen stays
 * readable. */
NORETURN void platform_fatal(void);

#endif
