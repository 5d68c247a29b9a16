/* The PC platform every VM gets (hv/machine/pc.c): one virtual LAPIC per vCPU,
 * an IOAPIC, the 8259 pair, the 8254 PIT, the CMOS RTC, the 16550 on COM1
 * (IRQ 4), the ACPI PM block, PCI configuration ports, and the ISA
 * interrupt wiring between them (IRQ n -> 8259 pin n and IOAPIC pin n,
 * except IRQ 0 -> IOAPIC pin 2, as the MADT's override says). */
#ifndef KEEL_PC_H
#define KEEL_PC_H

#include "lib/types.h"

struct vm;
struct vcpu;

/* Create and register the devices; vCPUs must exist (one LAPIC each).
 * Returns 0, -ENOMEM or -EBUSY (a port or MMIO range clash). Called once
 * per VM: a reset reuses what it built (pc_reset). */
int pc_create(struct vm *vm);

/* A VM reset: every board device, and through the PCI bus every PCI
 * function (the virtio devices), back to its power-on state in place.
 * The buses keep their registrations; nothing is allocated. */
void pc_reset(struct vm *vm);

/* Bring every device timer of vm up to now_ns (raises due interrupts). */
void pc_update(struct vm *vm, uint64_t now_ns);

/* Earliest time (ns) any device timer of vm fires; false if none. */
bool pc_next_deadline(struct vm *vm, uint64_t *ns);

#endif
