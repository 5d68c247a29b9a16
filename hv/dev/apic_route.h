/* Interrupt messages between the virtual interrupt devices: what an IOAPIC
 * redirection entry, an MSI or a LAPIC ICR write says, in one neutral form,
 * and the router that hands such a message to the LAPICs of one VM.
 * Intel SDM Volume 3A (Order 325384-080), chapter 11 "Advanced Programmable
 * Interrupt Controller (APIC)"; 82093AA I/O APIC datasheet (290566-001). */
#ifndef KEEL_APIC_ROUTE_H
#define KEEL_APIC_ROUTE_H

#include "lib/apic_regs.h"
#include "lib/types.h"

struct vlapic;

/* The lowest vector a fixed interrupt may use; 0-15 are illegal and set an
 * ESR bit instead of being delivered. See: SDM 3A 11.5.3 "Error Handling". */
#define APIC_MIN_VECTOR 16

/* One interrupt message. */
struct apic_irq {
    uint32_t dest;      /* APIC ID (physical) or logical set, or broadcast */
    uint8_t vector;
    uint8_t delivery;   /* enum apic_delivery_mode */
    uint8_t shorthand;  /* enum apic_shorthand; APIC_SH_NONE from IOAPIC/MSI */
    bool logical;       /* destination mode: logical (LDR/DFR) vs physical */
    bool level;         /* level-triggered: the EOI is sent back to the IOAPIC */
    bool assert;        /* ICR level bit; false only for an INIT de-assert */
    bool x2apic;        /* dest is a 32-bit x2APIC value, else 8 bits */
};

/* Deliver irq to every LAPIC of lapics[0..n) that it names (or, for
 * lowest-priority delivery, to the one with the lowest processor priority).
 * src is the index of the sending LAPIC for ICR shorthands, or -1 for an
 * IOAPIC or MSI message. Returns the number of LAPICs that got it (0: the
 * message named nobody; hardware drops it silently too). See: SDM 3A 11.6.2
 * "Determining IPI Destination", 11.6.2.4 "Lowest Priority Delivery Mode". */
unsigned apic_route(struct vlapic *const *lapics, unsigned n,
                    const struct apic_irq *irq, int src);

/* How an ISA device (PIT, RTC, ...) drives its interrupt line: level true
 * asserts, false de-asserts. The VM wires it to the 8259 pin `isa_irq` and
 * to the IOAPIC pin its MADT names (IRQ0 -> GSI 2 by the usual override).
 * Edge-triggered devices send a pulse: true then false. */
typedef void (*isa_irq_fn)(void *ctx, unsigned isa_irq, bool level);

#endif
