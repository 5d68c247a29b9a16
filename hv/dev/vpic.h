/* The virtual 8259A pair: a master PIC at ports 0x20-0x21 with a slave at
 * 0xA0-0xA1 cascaded on its IRQ2, plus the edge/level control registers
 * (ELCR) at 0x4D0-0x4D1 of the PC chipsets.
 * Intel 8259A Programmable Interrupt Controller datasheet (order 231468-003,
 * December 1988); ELCR: Intel 82371AB PIIX4 datasheet 4.1.12. */
#ifndef KEEL_DEV_VPIC_H
#define KEEL_DEV_VPIC_H

#include "lib/types.h"

#define PIC_MASTER_PORT 0x20     /* command; +1 data (IMR) */
#define PIC_SLAVE_PORT  0xA0
#define PIC_ELCR_PORT   0x4D0    /* 0x4D0 master, 0x4D1 slave */
#define PIC_PORTS       2        /* ports per range above */
#define PIC_CASCADE_IRQ 2

/* Command words. See: 8259A datasheet, "Initialization Command Words" and
 * "Operation Command Words" (Figures 6 and 7). */
#define PIC_ICW1            0x10     /* bit 4 set on the command port */
#define PIC_ICW1_IC4        0x01     /* ICW4 follows */
#define PIC_ICW1_SNGL       0x02     /* single PIC, no ICW3 */
#define PIC_ICW1_LTIM       0x08     /* level-triggered (we use the ELCR) */
#define PIC_ICW4_8086       0x01
#define PIC_ICW4_AEOI       0x02     /* automatic EOI */
#define PIC_OCW3            0x08     /* bits 4:3 = 01 */
#define PIC_OCW_SELECT_MASK 0x18
#define PIC_OCW3_RR_RIS     0x03     /* read register: 10 IRR, 11 ISR */
#define PIC_OCW3_READ_IRR   0x02
#define PIC_OCW3_READ_ISR   0x03
#define PIC_OCW3_POLL       0x04
#define PIC_OCW3_SMM_MASK   0x60     /* ESMM and SMM bits */
#define PIC_OCW3_SMM_SET    0x60
#define PIC_OCW3_SMM_CLEAR  0x40
#define PIC_ICW2_BASE_MASK  0xF8     /* vector base, bits 7:3 */
#define PIC_POLL_VALID      0x80     /* poll result: "an interrupt is pending" */
#define PIC_OCW2_CMD_SHIFT  5
#define PIC_OCW2_LEVEL      0x07     /* IR level for specific commands */

/* OCW2 commands, bits 7:5. */
enum pic_ocw2_cmd {
    PIC_OCW2_CLEAR_ROTATE_AEOI = 0,
    PIC_OCW2_NONSPECIFIC_EOI = 1,
    PIC_OCW2_NOP = 2,
    PIC_OCW2_SPECIFIC_EOI = 3,
    PIC_OCW2_SET_ROTATE_AEOI = 4,
    PIC_OCW2_ROTATE_NONSPECIFIC_EOI = 5,
    PIC_OCW2_SET_PRIORITY = 6,
    PIC_OCW2_ROTATE_SPECIFIC_EOI = 7,
};

/* IRQs that cannot be level-triggered: 0, 1, 2 on the master, 8 and 13 on
 * the slave. See: PIIX4 datasheet 4.1.12 "ELCR1/ELCR2". */
#define PIC_ELCR_MASK_MASTER 0xF8
#define PIC_ELCR_MASK_SLAVE  0xDE

/* One 8259A; fields private to vpic.c. */
struct pic_chip {
    uint8_t irr, isr, imr;
    uint8_t line;           /* input levels, for edge detection */
    uint8_t elcr, elcr_mask;
    uint8_t vector_base;    /* ICW2, bits 7:3 */
    uint8_t icw3;
    uint8_t init_step;      /* 0 operational; 2, 3, 4: next ICW expected */
    uint8_t prio_base;      /* the IRQ with the highest priority (rotation) */
    bool icw4_needed, single, read_isr, poll, auto_eoi, rotate_aeoi;
    bool special_mask;
};

struct vpic {
    struct pic_chip chip[2];     /* [0] master, [1] slave */
    bool intr;                   /* INTR output as last computed */
    void (*kick)(void *ctx);     /* INTR rose: wake the BSP; may be NULL */
    void *ctx;
};

/* Allocate a PIC pair in its power-on state (not initialised, nothing
 * masked, all edge-triggered). kick(ctx) is called when INTR rises.
 * Returns NULL when out of memory. */
struct vpic *vpic_create(void (*kick)(void *ctx), void *ctx);

/* Back to the power-on state vpic_create gave it (a VM reset), keeping
 * kick and ctx. */
void vpic_reset(struct vpic *pic);

/* Port bus callbacks: register the master at PIC_MASTER_PORT, the slave at
 * PIC_SLAVE_PORT and the ELCR at PIC_ELCR_PORT, each PIC_PORTS long, with
 * dev = the struct vpic. Byte accesses; others are logged and dropped.
 * Return 0. */
int vpic_master_read(void *dev, uint64_t offset, unsigned size, uint64_t *val);
int vpic_master_write(void *dev, uint64_t offset, unsigned size, uint64_t val);
int vpic_slave_read(void *dev, uint64_t offset, unsigned size, uint64_t *val);
int vpic_slave_write(void *dev, uint64_t offset, unsigned size, uint64_t val);
int vpic_elcr_read(void *dev, uint64_t offset, unsigned size, uint64_t *val);
int vpic_elcr_write(void *dev, uint64_t offset, unsigned size, uint64_t val);

/* Drive ISA IRQ line irq (0-15; 2 is the cascade and is ignored). Edge
 * IRQs latch into the IRR on a low -> high change; level IRQs (ELCR bit
 * set) follow the line. */
void vpic_set_irq(struct vpic *pic, unsigned irq, bool level);

/* The vector the CPU would get from an INTA cycle now, or -1 when INTR is
 * low. No side effects. */
int vpic_pending_vector(const struct vpic *pic);

/* The INTA cycle: the core injected an external interrupt from the PIC.
 * Returns its vector (IRR -> ISR, unless auto-EOI); when nothing is
 * pending any more, the spurious IRQ7 (or IRQ15) vector, as hardware does.
 * See: 8259A datasheet, "Interrupt Sequence". */
int vpic_ack(struct vpic *pic);

#endif
