/* Starting the host's other processors (arch/x86/smp_boot.c): the
 * INIT-SIPI-SIPI sequence through a real-mode trampoline page below 1 MiB
 * (arch/x86/smp_tramp.asm), up to long mode on Keel's page tables, then
 * each CPU's own GDT/TSS, IDT, control registers and struct percpu.
 * Reference: SDM 3A 9.4 "Multiple-Processor (MP) Initialization" (9.4.4.1
 * "Typical BSP Initialization Sequence"), 11.6.1 "Interrupt Command
 * Register (ICR)", 10.8.5 "Initializing IA-32e Mode". */
#ifndef KEEL_SMP_BOOT_H
#define KEEL_SMP_BOOT_H

#include "lib/types.h"

/* What an AP runs once it is in long mode with its own tables: the hv's
 * per-CPU set-up (LAPIC timer, the vendor's hw_enable), which must call
 * smp_boot_ap_report, then its scheduler. Never returns. */
typedef void (*smp_boot_main_fn)(unsigned index);

/* Start the processor with LAPIC ID apic_id as Keel's CPU index (1 ..
 * PERCPU_MAX-1), through the trampoline page at tramp (4 KiB aligned,
 * below 1 MiB, reserved by boot/), to run main(index) on a fresh 64 KiB
 * stack. Waits until main reports (up to 2 s: TCG can be slow). Returns 0
 * when it reported success, -EIO when it reported failure, -ETIMEDOUT
 * when it never answered (it is sent INIT again, which parks it), -EINVAL
 * for a bad trampoline address or host page tables above 4 GiB (CR3 is
 * loaded in 32-bit mode), -ENOMEM. Boot CPU only, one AP at a time. */
int smp_boot_start_ap(unsigned index, uint32_t apic_id, hpa_t tramp,
                      smp_boot_main_fn main);

/* Called by an AP's main: its set-up succeeded (ok) or not; on failure
 * it must then halt. */
void smp_boot_ap_report(bool ok);

#endif
