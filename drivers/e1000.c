/* Intel 8254x (e1000) and 82574L (e1000e) uplink driver (drivers/e1000.h).
 * 8254x Software Developer's Manual rev. 4.0: 14 "General Initialization
 * and Reset Operation", 3.2 receive and 3.3 transmit descriptors. 82574
 * datasheet: 4.6 "Software Initialization and Diagnostics", 5.2.1.3
 * "Master Disable" (before a reset), 10.2 registers. */
#include "arch/x86/cpu.h"
#include "drivers/e1000.h"
#include "drivers/hostpci.h"
#include "drivers/timer.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/frame.h"
#include "mm/guest_mem.h"

/* Ring sizes: descriptor counts; lengths in bytes must be multiples of
 * 128 (RDLEN/TDLEN). One 2048-byte buffer per descriptor (RCTL.BSIZE). */
#define E1000_RX_RING 256
#define E1000_TX_RING 64
#define E1000_BUF     2048
#define E1000_RESET_TIMEOUT_NS 10000000ULL    /* 10 ms */
#define E1000_LINK_TIMEOUT_NS  2000000000ULL  /* 2 s for auto-negotiation */

/* What differs between the models Keel drives. Everything else it uses
 * (CTRL.RST/SLU, STATUS.LU, RAL0/RAH0, MTA, RCTL, TCTL, TIPG, the ring
 * registers, legacy descriptors) has the same offset and bits in both
 * manuals. On the 82574 the legacy descriptor formats are the default
 * (RCTL.DTYP 00, RFCTL.EXSTEN 0 after reset) and MSI-X is off until
 * software enables it in PCI configuration space, which Keel never does. */
struct e1000_model {
    uint16_t device;          /* PCI device ID, vendor 8086 */
    const char *driver;       /* uplink name: "e1000" or "e1000e" */
    const char *part;         /* Intel's part name, for the log */
    uint32_t eerd_done;       /* EERD done bit */
    unsigned eerd_addr_shift; /* EERD word-address field */
    bool pcie;                /* 82574: master disable, IAM/EIAC, GCR, TXDCTL */
};

static const struct e1000_model e1000_models[] = {
    {E1000_DEV_82540EM, "e1000", "82540EM", E1000_EERD_DONE,
     E1000_EERD_ADDR_SHIFT, false},
    {E1000_DEV_82545EM, "e1000", "82545EM", E1000_EERD_DONE,
     E1000_EERD_ADDR_SHIFT, false},
    {E1000_DEV_82574L, "e1000e", "82574L", E1000_82574_EERD_DONE,
     E1000_82574_EERD_ADDR_SHIFT, true},
};

struct e1000 {
    const struct e1000_model *model;
    volatile uint8_t *regs;             /* BAR 0, mapped uncached */
    struct e1000_rx_desc *rx;           /* identity-mapped: pointer = HPA */
    struct e1000_tx_desc *tx;
    uint8_t *rx_buf, *tx_buf;           /* ring-size * E1000_BUF bytes */
    unsigned rx_next;                   /* next descriptor to look at */
    unsigned tx_next;                   /* next descriptor to fill */
    struct net_uplink up;
    uint64_t rx_frames, rx_errors, tx_frames, tx_full;
};

static struct e1000 nic;

static uint32_t e1000_read(const struct e1000 *e, unsigned reg)
{
    return *(volatile uint32_t *)(e->regs + reg);
}

static void e1000_write(struct e1000 *e, unsigned reg, uint32_t v)
{
    *(volatile uint32_t *)(e->regs + reg) = v;
}

/* One 16-bit EEPROM word through EERD, or -1 after 1 ms (no EEPROM). */
static int eeprom_read(struct e1000 *e, unsigned word)
{
    e1000_write(e, E1000_EERD,
                (word << e->model->eerd_addr_shift) | E1000_EERD_START);
    uint64_t end = timer_now_ns() + 1000000;
    while (timer_now_ns() < end) {
        uint32_t v = e1000_read(e, E1000_EERD);
        if (v & e->model->eerd_done)
            return (int)(v >> E1000_EERD_DATA_SHIFT);
        pause();
    }
    return -1;
}

/* The station address: RAL0/RAH0 as the device loaded it from the EEPROM
 * at reset, else EEPROM words 0-2 ("Ethernet Address", 5.6.1). */
static void read_mac(struct e1000 *e, uint8_t *mac)
{
    uint32_t lo = e1000_read(e, E1000_RAL0), hi = e1000_read(e, E1000_RAH0);
    if (hi & E1000_RAH_AV) {
        for (unsigned i = 0; i < 4; i++)
            mac[i] = (uint8_t)(lo >> (8 * i));
        mac[4] = (uint8_t)hi;
        mac[5] = (uint8_t)(hi >> 8);
        return;
    }
    for (unsigned i = 0; i < 3; i++) {
        int w = eeprom_read(e, i);
        mac[2 * i] = (uint8_t)(w < 0 ? 0 : w);
        mac[2 * i + 1] = (uint8_t)(w < 0 ? 0 : w >> 8);
    }
}

/* Receive: every descriptor with DD set holds one frame (2048-byte buffers
 * and no long-packet mode, so every frame ends in its first descriptor).
 * Give each to the switch, then hand the descriptors back by moving RDT
 * to the last one consumed (3.2.6 "Receive Descriptor Queue Structure"). */
static void e1000_poll(void *ctx)
{
    struct e1000 *e = ctx;
    unsigned last = E1000_RX_RING;

    for (unsigned n = 0; n < E1000_RX_RING; n++) {
        struct e1000_rx_desc *d = &e->rx[e->rx_next];
        if (!(*(volatile uint8_t *)&d->status & E1000_RXD_STAT_DD))
            break;
        __asm__ volatile("" ::: "memory");   /* status before contents */
        if ((d->status & E1000_RXD_STAT_EOP) && !d->errors &&
            d->length >= ETH_HLEN && d->length <= ETH_FRAME_MAX) {
            e->rx_frames++;
            if (e->up.receive)
                e->up.receive(e->up.receive_ctx, e->rx_buf +
                              (size_t)e->rx_next * E1000_BUF, d->length);
        } else {
            e->rx_errors++;
        }
        d->status = 0;
        last = e->rx_next;
        e->rx_next = (e->rx_next + 1) % E1000_RX_RING;
    }
    if (last != E1000_RX_RING)
        e1000_write(e, E1000_RDT, last);
}

/* Transmit one frame: copy it into the next descriptor's buffer and move
 * TDT. A descriptor is free once the device set DD (we always ask for it
 * with RS); if the next one is not, the ring is full and the frame is
 * dropped (counted): the guests' TCP retransmits. */
static void e1000_transmit(void *ctx, const void *frame, size_t len)
{
    struct e1000 *e = ctx;
    struct e1000_tx_desc *d = &e->tx[e->tx_next];

    if (!(*(volatile uint8_t *)&d->status & E1000_TXD_STAT_DD) ||
        len > E1000_BUF) {
        e->tx_full++;
        return;
    }
    uint8_t *buf = e->tx_buf + (size_t)e->tx_next * E1000_BUF;
    memcpy(buf, frame, len);
    d->addr = ptr_hpa(buf);
    d->length = (uint16_t)len;
    d->cso = 0;
    d->css = 0;
    d->special = 0;
    d->cmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS;
    d->status = 0;
    e->tx_next = (e->tx_next + 1) % E1000_TX_RING;
    __asm__ volatile("" ::: "memory");   /* descriptor before the tail */
    e1000_write(e, E1000_TDT, e->tx_next);
    e->tx_frames++;
}

static void e1000_report(void *ctx)
{
    const struct e1000 *e = ctx;
    kprintf("keel: %s: %llu frames received, %llu bad; %llu sent, %llu "
            "dropped (ring full)\n", e->model->driver,
            (unsigned long long)e->rx_frames,
            (unsigned long long)e->rx_errors,
            (unsigned long long)e->tx_frames,
            (unsigned long long)e->tx_full);
}

static void *alloc_zeroed(uint64_t bytes)
{
    uint64_t pages = ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE;
    hpa_t p = frame_alloc(pages, PAGE_SIZE);
    if (!p)
        return NULL;
    memset(hpa_ptr(p), 0, pages * PAGE_SIZE);
    return hpa_ptr(p);
}

/* Wait up to timeout_ns for (reg & mask) == want: 0, or -EIO on timeout. */
static int wait_reg(struct e1000 *e, unsigned reg, uint32_t mask,
                    uint32_t want, uint64_t timeout_ns)
{
    uint64_t end = timer_now_ns() + timeout_ns;
    while ((e1000_read(e, reg) & mask) != want) {
        if (timer_now_ns() > end)
            return -EIO;
        pause();
    }
    return 0;
}

/* The reset (8254x 14.5 / 82574 4.6.1 "Interrupts During Initialization"
 * and 4.6.2 "Global Reset and General Configuration"). A PCIe part first
 * stops its bus mastering (CTRL.GIO_MASTER_DISABLE, then STATUS.
 * GIO_MASTER_ENABLE clears: no DMA in flight across the reset); every
 * interrupt is masked before and after (Keel polls), and on the 82574 the
 * auto-mask and MSI-X auto-clear registers are zeroed too. */
static int reset(struct e1000 *e)
{
    e1000_write(e, E1000_IMC, 0xffffffff);
    if (e->model->pcie) {
        e1000_write(e, E1000_CTRL, e1000_read(e, E1000_CTRL) |
                    E1000_CTRL_GIO_MASTER_DISABLE);
        if (wait_reg(e, E1000_STATUS, E1000_STATUS_GIO_MASTER_ENABLE, 0,
                     E1000_RESET_TIMEOUT_NS))
            log_warn("%s: bus master requests still pending before reset",
                     e->model->part);
    }
    e1000_write(e, E1000_CTRL, e1000_read(e, E1000_CTRL) | E1000_CTRL_RST);
    if (wait_reg(e, E1000_CTRL, E1000_CTRL_RST, 0, E1000_RESET_TIMEOUT_NS))
        return -EIO;
    e1000_write(e, E1000_IMC, 0xffffffff);
    if (e->model->pcie) {
        e1000_write(e, E1000_IAM, 0);
        e1000_write(e, E1000_EIAC, 0);
        e1000_write(e, E1000_GCR, e1000_read(e, E1000_GCR) |
                    E1000_82574_GCR_RSVD1);
    }
    (void)e1000_read(e, E1000_ICR);
    return 0;
}

/* 14.4 "Receive Initialization" and 14.5 "Transmit Initialization"
 * (82574: 4.6.6 "Receive Initialization", 4.6.7 "Transmit
 * Initialization"). */
static int start(struct e1000 *e)
{
    e->rx = alloc_zeroed(E1000_RX_RING * sizeof(*e->rx));
    e->tx = alloc_zeroed(E1000_TX_RING * sizeof(*e->tx));
    e->rx_buf = alloc_zeroed((uint64_t)E1000_RX_RING * E1000_BUF);
    e->tx_buf = alloc_zeroed((uint64_t)E1000_TX_RING * E1000_BUF);
    if (!e->rx || !e->tx || !e->rx_buf || !e->tx_buf)
        return -ENOMEM;

    int rc = reset(e);
    if (rc)
        return rc;
    e1000_write(e, E1000_CTRL, e1000_read(e, E1000_CTRL) |
                E1000_CTRL_SLU | E1000_CTRL_ASDE);
    read_mac(e, e->up.mac);
    for (unsigned i = 0; i < 128; i++)
        e1000_write(e, E1000_MTA + 4 * i, 0);

    for (unsigned i = 0; i < E1000_RX_RING; i++)
        e->rx[i].addr = ptr_hpa(e->rx_buf + (size_t)i * E1000_BUF);
    e1000_write(e, E1000_RDBAL, (uint32_t)ptr_hpa(e->rx));
    e1000_write(e, E1000_RDBAH, (uint32_t)(ptr_hpa(e->rx) >> 32));
    e1000_write(e, E1000_RDLEN, E1000_RX_RING * sizeof(*e->rx));
    e1000_write(e, E1000_RDH, 0);
    e1000_write(e, E1000_RDT, E1000_RX_RING - 1);
    e->rx_next = 0;
    /* Promiscuous: the guests' own MAC addresses are not the NIC's. */
    e1000_write(e, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_UPE |
                E1000_RCTL_MPE | E1000_RCTL_BAM | E1000_RCTL_SECRC);

    for (unsigned i = 0; i < E1000_TX_RING; i++)
        e->tx[i].status = E1000_TXD_STAT_DD;     /* free */
    e1000_write(e, E1000_TDBAL, (uint32_t)ptr_hpa(e->tx));
    e1000_write(e, E1000_TDBAH, (uint32_t)(ptr_hpa(e->tx) >> 32));
    e1000_write(e, E1000_TDLEN, E1000_TX_RING * sizeof(*e->tx));
    e1000_write(e, E1000_TDH, 0);
    e1000_write(e, E1000_TDT, 0);
    e->tx_next = 0;
    if (e->model->pcie)
        e1000_write(e, E1000_TXDCTL, e1000_read(e, E1000_TXDCTL) |
                    E1000_82574_TXDCTL_RSVD1);
    e1000_write(e, E1000_TIPG, E1000_TIPG_COPPER);
    e1000_write(e, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP |
                (0x0fu << E1000_TCTL_CT_SHIFT) |
                (0x40u << E1000_TCTL_COLD_SHIFT));
    return 0;
}

struct net_uplink *e1000_probe(void)
{
    struct hostpci_dev dev;
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(e1000_models); i++)
        if (hostpci_find(E1000_VENDOR_INTEL, e1000_models[i].device, 0,
                         &dev) == 0)
            break;
    if (i == ARRAY_SIZE(e1000_models))
        return NULL;
    const struct e1000_model *m = &e1000_models[i];

    uint64_t size;
    bool is_io;
    uint64_t bar = hostpci_bar(&dev, 0, &size, &is_io);
    if (!bar || is_io || size < 0x20000) {
        log_err("%s %02x:%02x.%x: BAR 0 %#llx (%llu bytes) is not the "
                "128 KiB register window", m->driver, dev.bus, dev.dev, dev.fn,
                (unsigned long long)bar, (unsigned long long)size);
        return NULL;
    }
    int rc = arch_map_mmio(bar, size);
    if (rc)
        return NULL;
    hostpci_enable(&dev);
    nic.regs = hpa_ptr(bar);
    nic.model = m;
    rc = start(&nic);
    if (rc) {
        log_err("%s %02x:%02x.%x: cannot start (%s)", m->driver, dev.bus,
                dev.dev, dev.fn, err_name(rc));
        return NULL;
    }
    /* Auto-negotiation may take a moment after the reset; a machine
     * without a cable waits E1000_LINK_TIMEOUT_NS once and goes on. */
    (void)wait_reg(&nic, E1000_STATUS, E1000_STATUS_LU, E1000_STATUS_LU,
                   E1000_LINK_TIMEOUT_NS);
    nic.up.name = m->driver;
    nic.up.transmit = e1000_transmit;
    nic.up.poll = e1000_poll;
    nic.up.report = e1000_report;
    nic.up.ctx = &nic;
    log_info("%s %02x:%02x.%x (8086:%04x, Intel %s): BAR 0 %#llx, link %s, "
             "polled, promiscuous", m->driver, dev.bus, dev.dev, dev.fn,
             dev.device, m->part, (unsigned long long)bar,
             (e1000_read(&nic, E1000_STATUS) & E1000_STATUS_LU) ? "up"
                                                               : "down");
    return &nic.up;
}
