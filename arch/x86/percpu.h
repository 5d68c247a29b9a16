/* Which physical CPU am I, and how to reach the others (arch/x86/percpu.c).
 * Keel numbers the CPUs it runs on: 0 is the boot CPU, then the other
 * processors the ACPI MADT lists, in table order (acpi_host_madt_cpus);
 * a CPU that failed to start keeps its number and is not online. Each
 * CPU's GS base points at its struct percpu (IA32_GS_BASE; SDM 3A 3.4.4
 * "Segment Loading Instructions in IA-32e Mode"), so percpu_index is one
 * load. Host unit tests get percpu_index (0), percpu_kick and
 * percpu_online_mask from test/unit/host_stubs.c. */
#ifndef KEEL_PERCPU_H
#define KEEL_PERCPU_H

#include "lib/types.h"

/* The most CPUs Keel runs on: the width of keel.cfg's cpus mask. */
#define PERCPU_MAX 64

/* The host IPI that makes a CPU leave its guest (an INTR exit) or its
 * idle HLT, so it looks at what another CPU changed (a vCPU's pending
 * interrupt, its VM's end). Its handler only acknowledges it. */
#define HOST_KICK_VECTOR 0xf1

struct percpu {
    struct percpu *self;     /* at %gs:0 */
    unsigned index;          /* Keel's number of this CPU */
    uint32_t apic_id;        /* its LAPIC ID (x2APIC: 32 bits) */
    bool online;             /* started and running Keel */
};

/* Make the calling CPU Keel's CPU `index` with LAPIC ID apic_id: fill its
 * struct percpu and point IA32_GS_BASE at it. index < PERCPU_MAX. A later
 * load of the GS selector would clear the base: arch_gdt_init runs first. */
void percpu_set(unsigned index, uint32_t apic_id);

/* Keel's number of the calling CPU (0 = boot CPU). */
unsigned percpu_index(void);

/* Mark CPU index online (it runs Keel) and its LAPIC ID. */
void percpu_set_online(unsigned index, uint32_t apic_id);

/* Bit i set: CPU i is online. Bit 0, the boot CPU, always. */
uint64_t percpu_online_mask(void);

/* Send HOST_KICK_VECTOR to CPU index, unless it is the calling CPU or not
 * online (then nothing: the caller's own loop sees the change). */
void percpu_kick(unsigned index);

/* Install the kick vector's handler (EOI only). Once, on the boot CPU,
 * after the LAPIC is up. */
void percpu_kick_init(void);

/* After a fatal error: an NMI to every other online CPU, whose NMI
 * handler (arch/x86/trap.c) then halts it, so nothing prints over the
 * report. Returns at once. */
void percpu_stop_others(void);

/* Has percpu_stop_others been called? (trap.c's NMI handler asks.) */
bool percpu_stopping(void);

#endif
