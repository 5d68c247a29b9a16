/* The virtual 8254 programmable interval timer (three counters at ports
 * 0x40-0x43) and the PC's port 0x61 ("system control port B"), which holds
 * counter 2's gate and shows its output.
 * Intel 82C54 CHMOS Programmable Interval Timer datasheet (order
 * 231244-006); port 0x61: Intel 82371AB PIIX4 datasheet 4.1.14 "NMI Status
 * and Control Register".
 *
 * Counters are not ticked: their count and output are computed from the
 * platform clock (ns) whenever the guest looks, at PIT_HZ. */
#ifndef KEEL_DEV_VPIT_H
#define KEEL_DEV_VPIT_H

#include "hv/dev/apic_route.h"
#include "lib/types.h"

#define PIT_HZ          1193182ULL   /* input clock, Hz */
#define PIT_PORT        0x40         /* counter 0; 0x41, 0x42; 0x43 control */
#define PIT_PORTS       4
#define PIT_PORT_SYSCTL 0x61
#define PIT_IRQ         0            /* counter 0 drives ISA IRQ0 */
#define PIT_CHANNELS    3

/* Port offsets from PIT_PORT. */
#define PIT_REG_COUNTER0 0
#define PIT_REG_COUNTER2 2
#define PIT_REG_CONTROL  3

/* Control word. See: 82C54 datasheet, "Control Word Format". */
#define PIT_CW_SC_SHIFT  6           /* select counter; 3 = read-back */
#define PIT_CW_READBACK  3
#define PIT_CW_RW_SHIFT  4           /* 0 latch, 1 LSB, 2 MSB, 3 LSB then MSB */
#define PIT_CW_RW_MASK   (3u << PIT_CW_RW_SHIFT)
#define PIT_CW_MODE_SHIFT 1
#define PIT_CW_MODE_MASK (7u << PIT_CW_MODE_SHIFT)
#define PIT_CW_BCD       0x01
#define PIT_CW_STATUS_BITS 0x3F      /* RW, mode, BCD as the status shows them */

enum pit_access { PIT_RW_LATCH = 0, PIT_RW_LSB = 1, PIT_RW_MSB = 2,
                  PIT_RW_LSB_MSB = 3 };

/* Read-back command bits. See: 82C54 datasheet, "Read-Back Command". */
#define PIT_RB_NO_COUNT  0x20        /* 0 = latch count */
#define PIT_RB_NO_STATUS 0x10        /* 0 = latch status */
#define PIT_RB_CNT_SHIFT 1           /* bits 3:1 select counters 2..0 */

/* Status byte. */
#define PIT_STATUS_OUT   0x80
#define PIT_STATUS_NULL  0x40

/* Port 0x61 bits. */
#define SYSCTL_GATE2     0x01        /* counter 2 gate */
#define SYSCTL_SPKR_DATA 0x02        /* speaker data enable */
#define SYSCTL_WRITABLE  0x0F        /* also parity/IOCHK NMI enables */
#define SYSCTL_REFRESH   0x10        /* toggles every 15.085 us */
#define SYSCTL_OUT2      0x20        /* counter 2 output */
#define SYSCTL_REFRESH_NS 15085

/* One counter; fields private to vpit.c. */
struct pit_channel {
    uint32_t reload;         /* N, 1..65536 (a written 0 means 65536) */
    uint8_t ctrl;            /* RW, mode, BCD bits of the control word */
    uint8_t mode;            /* 0-5 */
    uint8_t access;          /* enum pit_access */
    bool loaded;             /* a full count has been written */
    bool counting;           /* counting element started (1, 5: triggered) */
    bool gate;
    uint64_t start_ns;       /* when counting (re)started or resumed */
    uint64_t ticks_before;   /* ticks counted before a gate pause */
    uint64_t edges_sent;     /* counter 0: OUT rising edges signalled */
    bool write_msb_next;     /* LSB-then-MSB write toggle */
    uint8_t write_lsb;
    bool read_msb_next;      /* LSB-then-MSB read toggle */
    bool count_latched, status_latched;
    uint16_t latch;
    uint8_t status;
};

struct vpit {
    struct pit_channel ch[PIT_CHANNELS];
    uint8_t sysctl;          /* port 0x61 writable bits */
    isa_irq_fn set_irq;      /* may be NULL */
    void *ctx;
};

/* Allocate a PIT with all counters idle (gates 0 and 1 high, counter 2's
 * gate from port 0x61, low). Counter 0 pulses ISA IRQ0 through
 * set_irq(ctx, 0, true) then (ctx, 0, false) on each rising edge of its
 * output. Returns NULL when out of memory. */
struct vpit *vpit_create(isa_irq_fn set_irq, void *ctx);

/* Back to the state vpit_create gave it (a VM reset), keeping set_irq and
 * ctx. */
void vpit_reset(struct vpit *pit);

/* Port bus callbacks: vpit_read/vpit_write for [PIT_PORT, +PIT_PORTS),
 * vpit_sysctl_read/write for PIT_PORT_SYSCTL (1 port); dev is the struct
 * vpit. Byte accesses; others are logged and read as 0xFF. Return 0. */
int vpit_read(void *dev, uint64_t offset, unsigned size, uint64_t *val);
int vpit_write(void *dev, uint64_t offset, unsigned size, uint64_t val);
int vpit_sysctl_read(void *dev, uint64_t offset, unsigned size,
                     uint64_t *val);
int vpit_sysctl_write(void *dev, uint64_t offset, unsigned size,
                      uint64_t val);

/* When counter 0's output next rises (ns, timer_now_ns() clock): store
 * it in *ns and return 0, or return -ENOENT if it never will. */
int vpit_next_deadline(struct vpit *pit, uint64_t *ns);

/* Signal IRQ0 if counter 0's output rose since the last call (missed
 * periods coalesce into one pulse, as the PIC's IRR would). now_ns: ns. */
void vpit_update(struct vpit *pit, uint64_t now_ns);

#endif
