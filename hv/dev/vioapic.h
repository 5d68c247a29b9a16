/* The virtual I/O APIC: 24 interrupt pins, each with a redirection entry
 * that turns a pin change into an interrupt message for the LAPICs.
 * Intel 82093AA I/O Advanced Programmable Interrupt Controller (IOAPIC)
 * datasheet, order 290566-001 (May 1996), with the EOI register of later
 * (version 0x20) IOAPICs found in chipset datasheets (e.g. ICH9 13.5). */
#ifndef KEEL_DEV_VIOAPIC_H
#define KEEL_DEV_VIOAPIC_H

#include "hv/dev/apic_route.h"
#include "lib/types.h"

/* Guest-physical base and size (bytes) of the register window. */
#define IOAPIC_DEFAULT_BASE 0xFEC00000ULL
#define IOAPIC_MMIO_SIZE    0x1000ULL
#define IOAPIC_NUM_PINS     24

/* Memory-mapped registers (byte offsets). See: 82093AA 3.1 "Memory Mapped
 * Registers for Accessing IOAPIC Registers". */
#define IOAPIC_IOREGSEL 0x00
#define IOAPIC_IOWIN    0x10
#define IOAPIC_EOI      0x40     /* version >= 0x20: write a vector to end it */

/* Indirect registers, selected by IOREGSEL. See: 82093AA 3.2. */
#define IOAPIC_REG_ID      0x00  /* IOAPICID, ID in bits 27:24 */
#define IOAPIC_REG_VER     0x01  /* IOAPICVER */
#define IOAPIC_REG_ARB     0x02  /* IOAPICARB */
#define IOAPIC_REDTBL      0x10  /* entry n: low 0x10+2n, high 0x11+2n */

#define IOAPIC_ID_SHIFT    24
#define IOAPIC_ID_MASK     (0xFu << IOAPIC_ID_SHIFT)
/* Version 0x20 (has the EOI register), max redirection entry 23. */
#define IOAPIC_VERSION     0x20u
#define IOAPIC_VER_VALUE   (IOAPIC_VERSION | ((IOAPIC_NUM_PINS - 1u) << 16))

/* Redirection table entry bits. See: 82093AA 3.2.4 "IOREDTBL[23:0]". */
#define IOAPIC_RTE_VECTOR     0xFFULL
#define IOAPIC_RTE_DM_SHIFT   8
#define IOAPIC_RTE_DM_MASK    (7ULL << IOAPIC_RTE_DM_SHIFT)
#define IOAPIC_RTE_LOGICAL    BIT(11)   /* destination mode */
#define IOAPIC_RTE_PENDING    BIT(12)   /* delivery status (read-only) */
#define IOAPIC_RTE_ACTIVE_LOW BIT(13)   /* interrupt input pin polarity */
#define IOAPIC_RTE_REMOTE_IRR BIT(14)   /* read-only */
#define IOAPIC_RTE_LEVEL      BIT(15)   /* trigger mode */
#define IOAPIC_RTE_MASKED     BIT(16)
#define IOAPIC_RTE_DEST_SHIFT 56
#define IOAPIC_RTE_WRITABLE   (IOAPIC_RTE_VECTOR | IOAPIC_RTE_DM_MASK | \
                               IOAPIC_RTE_LOGICAL | IOAPIC_RTE_ACTIVE_LOW | \
                               IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED | \
                               (0xFFULL << IOAPIC_RTE_DEST_SHIFT))

/* Sends one interrupt message to the LAPICs (the VM calls apic_route()). */
typedef void (*vioapic_deliver_fn)(void *ctx, const struct apic_irq *irq);

/* State; fields private to vioapic.c. */
struct vioapic {
    uint32_t id;                       /* IOAPICID register value */
    uint32_t regsel;
    uint64_t rte[IOAPIC_NUM_PINS];
    uint32_t line;                     /* bit n: pin n asserted now */
    vioapic_deliver_fn deliver;
    void *ctx;
};

/* Allocate an IOAPIC with every pin masked and de-asserted (82093AA 3.2.4:
 * the mask bit is set at reset). deliver(ctx, msg) sends its messages.
 * Returns NULL when out of memory. */
struct vioapic *vioapic_create(vioapic_deliver_fn deliver, void *ctx);

/* Back to the state vioapic_create gave it (a VM reset), keeping deliver
 * and ctx. */
void vioapic_reset(struct vioapic *io);

/* MMIO bus callbacks for [IOAPIC_DEFAULT_BASE, +IOAPIC_MMIO_SIZE): 32-bit
 * accesses to IOREGSEL, IOWIN and EOI (other registers read 0 and ignore
 * writes; other sizes are logged and dropped). Return 0. */
int vioapic_mmio_read(void *dev, uint64_t offset, unsigned size,
                      uint64_t *val);
int vioapic_mmio_write(void *dev, uint64_t offset, unsigned size,
                       uint64_t val);

/* Drive pin (0-23): level true = asserted. The polarity bit of the entry is
 * for the guest's benefit only: device models always signal "asserted".
 * Edge pins send a message on each de-asserted -> asserted change; level
 * pins send while asserted, unmasked and Remote IRR clear, and then set
 * Remote IRR. Out-of-range pins are logged and ignored. */
void vioapic_set_irq(struct vioapic *io, unsigned pin, bool level);

/* The EOI broadcast from a LAPIC for `vector`: clear Remote IRR of every
 * level entry with that vector, and send again if its pin is still
 * asserted. See: 82093AA 3.2.4 "Remote IRR". */
void vioapic_eoi(struct vioapic *io, uint8_t vector);

#endif
