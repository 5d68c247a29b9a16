/* Virtual I/O APIC (hv/dev/vioapic.h).
 * Intel 82093AA I/O APIC datasheet, order 290566-001. */
#include "hv/dev/vioapic.h"
#include "lib/log.h"
#include "lib/string.h"
#include "mm/heap.h"

struct vioapic *vioapic_create(vioapic_deliver_fn deliver, void *ctx)
{
    struct vioapic *io = kzalloc(sizeof(*io));
    if (!io)
        return NULL;
    io->deliver = deliver;
    io->ctx = ctx;
    vioapic_reset(io);
    return io;
}

void vioapic_reset(struct vioapic *io)
{
    vioapic_deliver_fn deliver = io->deliver;
    void *ctx = io->ctx;
    memset(io, 0, sizeof(*io));
    for (unsigned i = 0; i < IOAPIC_NUM_PINS; i++)
        io->rte[i] = IOAPIC_RTE_MASKED;
    io->deliver = deliver;
    io->ctx = ctx;
}

/* Send the message of pin's entry. Level entries set Remote IRR: the pin
 * sends no more until the LAPIC's EOI comes back (82093AA 3.2.4). */
static void send(struct vioapic *io, unsigned pin)
{
    uint64_t rte = io->rte[pin];
    struct apic_irq irq = {
        .dest = (uint32_t)(rte >> IOAPIC_RTE_DEST_SHIFT),
        .vector = rte & IOAPIC_RTE_VECTOR,
        .delivery = (rte & IOAPIC_RTE_DM_MASK) >> IOAPIC_RTE_DM_SHIFT,
        .shorthand = APIC_SH_NONE,
        .logical = rte & IOAPIC_RTE_LOGICAL,
        .level = rte & IOAPIC_RTE_LEVEL,
        .assert = true,
        .x2apic = false,
    };
    if (irq.level)
        io->rte[pin] |= IOAPIC_RTE_REMOTE_IRR;
    if (io->deliver)
        io->deliver(io->ctx, &irq);
}

/* A level pin that is asserted, unmasked and not awaiting an EOI sends. */
static void service_level(struct vioapic *io, unsigned pin)
{
    uint64_t rte = io->rte[pin];
    if ((rte & IOAPIC_RTE_LEVEL) && !(rte & IOAPIC_RTE_MASKED) &&
        !(rte & IOAPIC_RTE_REMOTE_IRR) && (io->line & (1u << pin)))
        send(io, pin);
}

void vioapic_set_irq(struct vioapic *io, unsigned pin, bool level)
{
    if (pin >= IOAPIC_NUM_PINS) {
        log_once(LOG_WARN, "vioapic: pin %u out of range", pin);
        return;
    }
    uint32_t bit = 1u << pin;
    bool was = io->line & bit;
    if (level)
        io->line |= bit;
    else
        io->line &= ~bit;
    uint64_t rte = io->rte[pin];
    if (rte & IOAPIC_RTE_LEVEL)
        service_level(io, pin);
    else if (level && !was && !(rte & IOAPIC_RTE_MASKED))
        send(io, pin);        /* an edge while masked is lost, as on hardware */
}

void vioapic_eoi(struct vioapic *io, uint8_t vector)
{
    for (unsigned pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        uint64_t rte = io->rte[pin];
        if ((rte & IOAPIC_RTE_VECTOR) != vector ||
            !(rte & IOAPIC_RTE_REMOTE_IRR))
            continue;
        io->rte[pin] &= ~IOAPIC_RTE_REMOTE_IRR;
        service_level(io, pin);   /* still asserted: interrupt again */
    }
}

/* Write half of a redirection entry. Remote IRR and delivery status stay
 * read-only; switching an entry to edge clears a stale Remote IRR (as
 * KVM and QEMU do, so a guest reprogramming a pin is not stuck). A level
 * pin that is already asserted sends once unmasked. */
static void write_rte(struct vioapic *io, unsigned pin, bool high,
                      uint32_t val)
{
    uint64_t rte = io->rte[pin];
    uint64_t ro = rte & ~IOAPIC_RTE_WRITABLE;
    uint64_t nv = high ? ((uint64_t)val << 32) | (rte & 0xFFFFFFFFULL)
                       : (rte & ~0xFFFFFFFFULL) | val;
    nv = (nv & IOAPIC_RTE_WRITABLE) | ro;
    if (!(nv & IOAPIC_RTE_LEVEL))
        nv &= ~IOAPIC_RTE_REMOTE_IRR;
    io->rte[pin] = nv;
    service_level(io, pin);
}

static uint32_t reg_read(struct vioapic *io, uint32_t reg)
{
    switch (reg) {
    case IOAPIC_REG_ID:
        return io->id;
    case IOAPIC_REG_VER:
        return IOAPIC_VER_VALUE;
    case IOAPIC_REG_ARB:
        return io->id;           /* arbitration ID = APIC ID after reset */
    default:
        break;
    }
    if (reg >= IOAPIC_REDTBL && reg < IOAPIC_REDTBL + 2 * IOAPIC_NUM_PINS) {
        uint64_t rte = io->rte[(reg - IOAPIC_REDTBL) / 2];
        return (reg & 1) ? (uint32_t)(rte >> 32) : (uint32_t)rte;
    }
    return 0;
}

static void reg_write(struct vioapic *io, uint32_t reg, uint32_t val)
{
    if (reg == IOAPIC_REG_ID) {
        io->id = val & IOAPIC_ID_MASK;
        return;
    }
    if (reg >= IOAPIC_REDTBL && reg < IOAPIC_REDTBL + 2 * IOAPIC_NUM_PINS) {
        write_rte(io, (reg - IOAPIC_REDTBL) / 2, reg & 1, val);
        return;
    }
    /* VER and ARB are read-only; other indices do not exist. */
}

int vioapic_mmio_read(void *dev, uint64_t offset, unsigned size,
                      uint64_t *val)
{
    struct vioapic *io = dev;
    *val = 0;
    if (size != 4) {
        log_once(LOG_WARN, "vioapic: %u-byte read at %#llx ignored", size,
                 (unsigned long long)offset);
        return 0;
    }
    if (offset == IOAPIC_IOREGSEL)
        *val = io->regsel;
    else if (offset == IOAPIC_IOWIN)
        *val = reg_read(io, io->regsel);
    return 0;
}

int vioapic_mmio_write(void *dev, uint64_t offset, unsigned size,
                       uint64_t val)
{
    struct vioapic *io = dev;
    if (size != 4) {
        log_once(LOG_WARN, "vioapic: %u-byte write at %#llx ignored", size,
                 (unsigned long long)offset);
        return 0;
    }
    if (offset == IOAPIC_IOREGSEL)
        io->regsel = (uint32_t)val & 0xFF;
    else if (offset == IOAPIC_IOWIN)
        reg_write(io, io->regsel, (uint32_t)val);
    else if (offset == IOAPIC_EOI)
        vioapic_eoi(io, (uint8_t)val);
    return 0;
}
