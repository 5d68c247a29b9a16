/* Virtual 8259A pair (hv/dev/vpic.h).
 * Intel 8259A datasheet, order 231468-003. */
#include "hv/dev/vpic.h"
#include "lib/log.h"
#include "lib/string.h"
#include "mm/heap.h"

#define SPURIOUS_IRQ 7

struct vpic *vpic_create(void (*kick)(void *ctx), void *ctx)
{
    struct vpic *pic = kzalloc(sizeof(*pic));
    if (!pic)
        return NULL;
    pic->kick = kick;
    pic->ctx = ctx;
    vpic_reset(pic);
    return pic;
}

void vpic_reset(struct vpic *pic)
{
    void (*kick)(void *ctx) = pic->kick;
    void *ctx = pic->ctx;
    memset(pic, 0, sizeof(*pic));
    pic->chip[0].elcr_mask = PIC_ELCR_MASK_MASTER;
    pic->chip[1].elcr_mask = PIC_ELCR_MASK_SLAVE;
    pic->kick = kick;
    pic->ctx = ctx;
}

/* Priority rank (0 = highest) of the best IRQ in mask, 8 if none. The
 * rank rotates with prio_base ("Rotating priority" in the datasheet). */
static unsigned best_rank(const struct pic_chip *c, uint8_t mask)
{
    for (unsigned rank = 0; rank < 8; rank++)
        if (mask & (1u << ((rank + c->prio_base) & 7)))
            return rank;
    return 8;
}

static unsigned rank_irq(const struct pic_chip *c, unsigned rank)
{
    return (rank + c->prio_base) & 7;
}

/* The IRQ this chip asks for (fully nested mode: only above everything in
 * service; special mask mode ignores masked in-service levels), or -1. */
static int chip_irq(const struct pic_chip *c)
{
    unsigned want = best_rank(c, c->irr & ~c->imr);
    if (want == 8)
        return -1;
    uint8_t busy = c->special_mask ? c->isr & ~c->imr : c->isr;
    return want < best_rank(c, busy) ? (int)rank_irq(c, want) : -1;
}

/* Recompute the cascade (slave INTR is the master's IR2, level-sensitive
 * so a second slave request is never lost) and the INTR output. */
static void update(struct vpic *pic)
{
    struct pic_chip *m = &pic->chip[0];
    const uint8_t cascade = 1u << PIC_CASCADE_IRQ;
    if (chip_irq(&pic->chip[1]) >= 0)
        m->irr |= cascade;
    else
        m->irr &= ~cascade;
    bool intr = chip_irq(m) >= 0;
    if (intr && !pic->intr && pic->kick)
        pic->kick(pic->ctx);
    pic->intr = intr;
}

void vpic_set_irq(struct vpic *pic, unsigned irq, bool level)
{
    if (irq >= 16 || irq == PIC_CASCADE_IRQ) {
        log_once(LOG_WARN, "vpic: bad IRQ %u", irq);
        return;
    }
    struct pic_chip *c = &pic->chip[irq >> 3];
    uint8_t bit = 1u << (irq & 7);
    if (c->elcr & bit) {
        if (level)
            c->irr |= bit;
        else
            c->irr &= ~bit;
    } else if (level && !(c->line & bit)) {
        c->irr |= bit;
    }
    if (level)
        c->line |= bit;
    else
        c->line &= ~bit;
    update(pic);
}

/* INTA on one chip: IRR -> ISR (auto-EOI: no ISR, maybe rotate). Edge
 * requests are consumed; level ones stay while the line is high. */
static void chip_ack(struct pic_chip *c, unsigned irq)
{
    uint8_t bit = 1u << irq;
    if (c->auto_eoi) {
        if (c->rotate_aeoi)
            c->prio_base = (irq + 1) & 7;
    } else {
        c->isr |= bit;
    }
    if (!(c->elcr & bit))
        c->irr &= ~bit;
}

int vpic_pending_vector(const struct vpic *pic)
{
    const struct pic_chip *m = &pic->chip[0], *s = &pic->chip[1];
    int irq = chip_irq(m);
    if (irq < 0)
        return -1;
    if (irq == PIC_CASCADE_IRQ && !m->single) {
        int sirq = chip_irq(s);
        return s->vector_base + (sirq < 0 ? SPURIOUS_IRQ : sirq);
    }
    return m->vector_base + irq;
}

int vpic_ack(struct vpic *pic)
{
    struct pic_chip *m = &pic->chip[0], *s = &pic->chip[1];
    int vector;
    int irq = chip_irq(m);
    if (irq < 0) {
        vector = m->vector_base + SPURIOUS_IRQ;   /* request went away */
    } else if (irq == PIC_CASCADE_IRQ && !m->single) {
        int sirq = chip_irq(s);
        if (sirq < 0) {
            vector = s->vector_base + SPURIOUS_IRQ;
        } else {
            chip_ack(s, (unsigned)sirq);
            vector = s->vector_base + sirq;
        }
        chip_ack(m, PIC_CASCADE_IRQ);
    } else {
        chip_ack(m, (unsigned)irq);
        vector = m->vector_base + irq;
    }
    update(pic);
    return vector;
}

/* ICW1: start the initialisation sequence. "The edge sense circuit is
 * reset", the IMR and ISR are cleared, IR7 gets the lowest priority and
 * reads return the IRR. */
static void write_icw1(struct pic_chip *c, uint8_t val)
{
    if (val & PIC_ICW1_LTIM)
        log_once(LOG_WARN, "vpic: ICW1 LTIM ignored, use the ELCR");
    c->irr &= c->elcr;
    c->isr = 0;
    c->imr = 0;
    c->prio_base = 0;
    c->read_isr = c->poll = c->special_mask = false;
    c->auto_eoi = c->rotate_aeoi = false;
    c->icw4_needed = val & PIC_ICW1_IC4;
    c->single = val & PIC_ICW1_SNGL;
    c->init_step = 2;
}

static void write_ocw2(struct pic_chip *c, uint8_t val)
{
    unsigned cmd = val >> PIC_OCW2_CMD_SHIFT, irq;
    switch (cmd) {
    case PIC_OCW2_CLEAR_ROTATE_AEOI:
    case PIC_OCW2_SET_ROTATE_AEOI:
        c->rotate_aeoi = cmd == PIC_OCW2_SET_ROTATE_AEOI;
        break;
    case PIC_OCW2_NONSPECIFIC_EOI:
    case PIC_OCW2_ROTATE_NONSPECIFIC_EOI: {
        unsigned rank = best_rank(c, c->isr);
        if (rank == 8)
            break;
        irq = rank_irq(c, rank);
        c->isr &= ~(1u << irq);
        if (cmd == PIC_OCW2_ROTATE_NONSPECIFIC_EOI)
            c->prio_base = (irq + 1) & 7;
        break;
    }
    case PIC_OCW2_SPECIFIC_EOI:
    case PIC_OCW2_ROTATE_SPECIFIC_EOI:
        irq = val & PIC_OCW2_LEVEL;
        c->isr &= ~(1u << irq);
        if (cmd == PIC_OCW2_ROTATE_SPECIFIC_EOI)
            c->prio_base = (irq + 1) & 7;
        break;
    case PIC_OCW2_SET_PRIORITY:      /* the named IRQ becomes the lowest */
        c->prio_base = ((val & PIC_OCW2_LEVEL) + 1) & 7;
        break;
    default:                         /* NOP */
        break;
    }
}

static void write_ocw3(struct pic_chip *c, uint8_t val)
{
    if (val & PIC_OCW3_POLL)
        c->poll = true;
    if ((val & PIC_OCW3_RR_RIS) == PIC_OCW3_READ_IRR)
        c->read_isr = false;
    else if ((val & PIC_OCW3_RR_RIS) == PIC_OCW3_READ_ISR)
        c->read_isr = true;
    if ((val & PIC_OCW3_SMM_MASK) == PIC_OCW3_SMM_SET)
        c->special_mask = true;
    else if ((val & PIC_OCW3_SMM_MASK) == PIC_OCW3_SMM_CLEAR)
        c->special_mask = false;
}

static void write_data(struct pic_chip *c, uint8_t val)
{
    switch (c->init_step) {
    case 2:                          /* ICW2: vector base, bits 7:3 */
        c->vector_base = val & PIC_ICW2_BASE_MASK;
        c->init_step = !c->single ? 3 : c->icw4_needed ? 4 : 0;
        break;
    case 3:                          /* ICW3: cascade wiring */
        c->icw3 = val;
        c->init_step = c->icw4_needed ? 4 : 0;
        break;
    case 4:                          /* ICW4 */
        if (!(val & PIC_ICW4_8086))
            log_once(LOG_WARN, "vpic: MCS-80/85 mode not supported");
        c->auto_eoi = val & PIC_ICW4_AEOI;
        c->init_step = 0;
        break;
    default:                         /* OCW1: the IMR */
        c->imr = val;
        break;
    }
}

static void chip_write(struct vpic *pic, struct pic_chip *c, uint64_t offset,
                       uint8_t val)
{
    if (offset == 1)
        write_data(c, val);
    else if (val & PIC_ICW1)
        write_icw1(c, val);
    else if ((val & PIC_OCW_SELECT_MASK) == PIC_OCW3)
        write_ocw3(c, val);
    else if ((val & PIC_OCW_SELECT_MASK) == 0)
        write_ocw2(c, val);
    update(pic);
}

/* Poll command: the next read of the command port is an INTA that returns
 * 0x80 | level, or 0 when nothing is pending. */
static uint8_t chip_poll(struct vpic *pic, struct pic_chip *c)
{
    c->poll = false;
    int irq = chip_irq(c);
    if (irq < 0)
        return 0;
    chip_ack(c, (unsigned)irq);
    update(pic);
    return PIC_POLL_VALID | (uint8_t)irq;
}

static uint8_t chip_read(struct vpic *pic, struct pic_chip *c, uint64_t offset)
{
    if (offset == 1)
        return c->imr;
    if (c->poll)
        return chip_poll(pic, c);
    return c->read_isr ? c->isr : c->irr;
}

static bool byte_access(unsigned size, uint64_t offset)
{
    if (size == 1 && offset < PIC_PORTS)
        return true;
    log_once(LOG_WARN, "vpic: %u-byte access ignored", size);
    return false;
}

int vpic_master_read(void *dev, uint64_t offset, unsigned size, uint64_t *val)
{
    struct vpic *pic = dev;
    *val = byte_access(size, offset) ? chip_read(pic, &pic->chip[0], offset)
                                     : 0xFF;
    return 0;
}

int vpic_master_write(void *dev, uint64_t offset, unsigned size, uint64_t val)
{
    struct vpic *pic = dev;
    if (byte_access(size, offset))
        chip_write(pic, &pic->chip[0], offset, (uint8_t)val);
    return 0;
}

int vpic_slave_read(void *dev, uint64_t offset, unsigned size, uint64_t *val)
{
    struct vpic *pic = dev;
    *val = byte_access(size, offset) ? chip_read(pic, &pic->chip[1], offset)
                                     : 0xFF;
    return 0;
}

int vpic_slave_write(void *dev, uint64_t offset, unsigned size, uint64_t val)
{
    struct vpic *pic = dev;
    if (byte_access(size, offset))
        chip_write(pic, &pic->chip[1], offset, (uint8_t)val);
    return 0;
}

int vpic_elcr_read(void *dev, uint64_t offset, unsigned size, uint64_t *val)
{
    struct vpic *pic = dev;
    *val = byte_access(size, offset) ? pic->chip[offset].elcr : 0xFF;
    return 0;
}

int vpic_elcr_write(void *dev, uint64_t offset, unsigned size, uint64_t val)
{
    struct vpic *pic = dev;
    if (!byte_access(size, offset))
        return 0;
    struct pic_chip *c = &pic->chip[offset];
    c->elcr = (uint8_t)val & c->elcr_mask;
    /* Level IRQs now follow their line. */
    c->irr = (c->irr & ~c->elcr) | (c->line & c->elcr);
    update(pic);
    return 0;
}
