/* Unit tests of the virtio-pci modern transport (hv/virtio/virtio_pci.c) as a
 * driver sees it: the capability list through configuration mechanism #1
 * (ports 0xCF8/0xCFC of hv/dev/pci_host.c), and BAR 0 through the host
 * bridge's memory window: the common configuration registers, notify, ISR,
 * the device-specific region, the MSI-X table and the PCI_CFG window.
 * Virtio 1.2, 4.1.4 "Virtio Structure PCI Capabilities", 4.1.4.3 "Common
 * configuration structure layout", 4.1.5 "PCI-specific Initialization And
 * Device Operation"; 2.1 "Device Status Field", 2.4 "Device Reset". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hv/dev/pci_host.h"
#include "hv/virtio/virtio_pci.h"
#include "mm/guest_mem.h"

#define RAM_SIZE    MiB(1)
#define NR_QUEUES   2
#define QUEUE_MAX   64
#define OFFERED     (BIT(0) | BIT(5))   /* two device-type feature bits */
#define COMMON(f)   offsetof(struct virtio_pci_common_cfg, f)

static uint8_t *ram;
static struct guest_mem gm;
static struct pci_host host;
static struct virtio_dev vdev;
static struct virtio_pci vp;
static int devno;
static unsigned notified[NR_QUEUES], resets, msis;
static struct apic_irq last_msi;

static void t_reset(struct virtio_dev *d) { (void)d; resets++; }
static void t_notify(struct virtio_dev *d, unsigned q)
{
    (void)d;
    notified[q]++;
}
/* Device-specific configuration: byte i reads as 0xc0 + i. */
static uint64_t t_cfg_read(struct virtio_dev *d, unsigned off, unsigned size)
{
    (void)d;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)(0xc0 + off + i) << (8 * i);
    return v;
}
static const struct virtio_dev_ops ops = {
    .reset = t_reset, .notify = t_notify, .cfg_read = t_cfg_read,
};

static void t_send(void *ctx, const struct apic_irq *irq)
{
    (void)ctx;
    msis++;
    last_msi = *irq;
}

/* ---- the driver's view ----------------------------------------------- */

static uint32_t cfg_rd(unsigned off, unsigned size)
{
    uint64_t v;
    pci_host_write(&host, 0, 4, PCI_CONF1_ENABLE | (uint32_t)devno << 11 |
                                (off & 0xfc));
    pci_host_read(&host, 4 + (off & 3), size, &v);
    return (uint32_t)v;
}

static void cfg_wr(unsigned off, unsigned size, uint32_t val)
{
    pci_host_write(&host, 0, 4, PCI_CONF1_ENABLE | (uint32_t)devno << 11 |
                                (off & 0xfc));
    pci_host_write(&host, 4 + (off & 3), size, val);
}

static uint64_t bar_rd(uint64_t off, unsigned size)
{
    uint64_t v;
    uint64_t gpa = pci_bar_gpa(&vp.pci, VIRTIO_PCI_BAR) + off;
    assert_int_equal(pci_host_mmio_read(&host, gpa - PCI_MMIO_BASE, size,
                                        &v), 0);
    return v;
}

static void bar_wr(uint64_t off, unsigned size, uint64_t val)
{
    uint64_t gpa = pci_bar_gpa(&vp.pci, VIRTIO_PCI_BAR) + off;
    assert_int_equal(pci_host_mmio_write(&host, gpa - PCI_MMIO_BASE, size,
                                         val), 0);
}

static uint64_t common_rd(size_t off, unsigned size)
{
    return bar_rd(VIRTIO_PCI_COMMON_OFF + off, size);
}

static void common_wr(size_t off, unsigned size, uint64_t val)
{
    bar_wr(VIRTIO_PCI_COMMON_OFF + off, size, val);
}

static uint8_t status(void)
{
    return (uint8_t)common_rd(COMMON(device_status), 1);
}

static int setup(void **state)
{
    (void)state;
    memset(notified, 0, sizeof(notified));
    resets = msis = 0;
    ram = aligned_alloc(PAGE_SIZE, RAM_SIZE);
    assert_non_null(ram);
    memset(&gm, 0, sizeof(gm));
    assert_int_equal(gmem_add_slot(&gm, 0, RAM_SIZE, ptr_hpa(ram)), 0);
    pci_host_init(&host);
    virtio_dev_init(&vdev, "virtio-test", "test", VIRTIO_ID_CONSOLE, OFFERED,
                    NR_QUEUES, QUEUE_MAX, &gm, &ops);
    memset(&vp, 0, sizeof(vp));
    assert_int_equal(virtio_pci_create(&vp, &vdev, 0x078000, &host, t_send,
                                       NULL), 0);
    devno = 1;
    assert_ptr_equal(host.devs[devno], &vp.pci);
    cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(ram);
    return 0;
}

/* 3.1.1 steps 1-4: reset, ACKNOWLEDGE, DRIVER, accept `features`. */
static void driver_start(uint64_t features)
{
    common_wr(COMMON(device_status), 1, 0);
    common_wr(COMMON(device_status), 1, VIRTIO_STATUS_ACKNOWLEDGE);
    common_wr(COMMON(device_status), 1, VIRTIO_STATUS_ACKNOWLEDGE |
                                        VIRTIO_STATUS_DRIVER);
    for (unsigned sel = 0; sel < 2; sel++) {
        common_wr(COMMON(driver_feature_select), 4, sel);
        common_wr(COMMON(driver_feature), 4, (uint32_t)(features >> (32 * sel)));
    }
}

/* Queue q set up in RAM and enabled; the device then DRIVER_OK. */
static void driver_enable_queue(unsigned q)
{
    common_wr(COMMON(queue_select), 2, q);
    common_wr(COMMON(queue_size), 2, 16);
    common_wr(COMMON(queue_desc), 8, 0x10000 + q * 0x1000);
    common_wr(COMMON(queue_driver), 8, 0x20000 + q * 0x1000);
    common_wr(COMMON(queue_device), 8, 0x30000 + q * 0x1000);
    common_wr(COMMON(queue_enable), 2, 1);
    assert_int_equal(common_rd(COMMON(queue_enable), 2), 1);
}

static void driver_ok(void)
{
    driver_start(BIT(VIRTIO_F_VERSION_1));
    common_wr(COMMON(device_status), 1, VIRTIO_STATUS_ACKNOWLEDGE |
              VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    for (unsigned q = 0; q < NR_QUEUES; q++)
        driver_enable_queue(q);
    common_wr(COMMON(device_status), 1, VIRTIO_STATUS_ACKNOWLEDGE |
              VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
              VIRTIO_STATUS_DRIVER_OK);
}

/* ---- PCI configuration space ----------------------------------------- */

/* 4.1.2: vendor 1AF4h, device 1040h + device ID, revision >= 1. */
static void test_virtio_pci_ids(void **state)
{
    (void)state;
    assert_int_equal(cfg_rd(PCI_VENDOR_ID, 2), VIRTIO_PCI_VENDOR_ID);
    assert_int_equal(cfg_rd(PCI_DEVICE_ID, 2), 0x1040 + VIRTIO_ID_CONSOLE);
    assert_true(cfg_rd(PCI_REVISION_ID, 1) >= 1);
    assert_true(cfg_rd(PCI_SUBSYSTEM_ID, 2) >= 0x40);
}

/* 4.1.4: walk the capability list from offset 34h (PCI 3.0 6.7) as a
 * driver does; each vendor capability (ID 09h) names a structure by
 * cfg_type, in BAR 0 at offset/length; the notify capability carries
 * notify_off_multiplier; the MSI-X capability is on the same list. */
static void test_virtio_pci_capability_list_walk(void **state)
{
    (void)state;
    struct { bool seen; uint8_t bar; uint32_t off, len; } t[6] = { 0 };
    bool msix = false;
    unsigned hops = 0;
    assert_true(cfg_rd(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
    for (unsigned p = cfg_rd(PCI_CAPABILITY_LIST, 1); p;
         p = cfg_rd(p + 1, 1)) {
        assert_true(p >= PCI_CAP_FIRST && p % 4 == 0);
        assert_true(++hops < 48);                       /* no loop */
        uint8_t id = (uint8_t)cfg_rd(p, 1);
        if (id == PCI_CAP_ID_MSIX) {
            msix = true;
            continue;
        }
        assert_int_equal(id, PCI_CAP_ID_VNDR);
        uint8_t type = (uint8_t)cfg_rd(p + 3, 1);
        assert_true(type >= 1 && type <= 5);
        assert_false(t[type].seen);
        t[type].seen = true;
        t[type].bar = (uint8_t)cfg_rd(p + 4, 1);
        t[type].off = cfg_rd(p + 8, 4);
        t[type].len = cfg_rd(p + 12, 4);
        assert_true(cfg_rd(p + 2, 1) >= sizeof(struct virtio_pci_cap));
        if (type == VIRTIO_PCI_CAP_NOTIFY_CFG)
            assert_int_equal(cfg_rd(p + 16, 4), VIRTIO_PCI_NOTIFY_MULT);
    }
    assert_true(msix);
    for (unsigned type = 1; type <= 5; type++)
        assert_true(t[type].seen);
    assert_int_equal(t[VIRTIO_PCI_CAP_COMMON_CFG].bar, 0);
    assert_int_equal(t[VIRTIO_PCI_CAP_COMMON_CFG].off, VIRTIO_PCI_COMMON_OFF);
    assert_true(t[VIRTIO_PCI_CAP_COMMON_CFG].len >=
                sizeof(struct virtio_pci_common_cfg));
    assert_int_equal(t[VIRTIO_PCI_CAP_ISR_CFG].off, VIRTIO_PCI_ISR_OFF);
    assert_true(t[VIRTIO_PCI_CAP_ISR_CFG].len >= 1);
    assert_int_equal(t[VIRTIO_PCI_CAP_DEVICE_CFG].off, VIRTIO_PCI_DEVICE_OFF);
    assert_int_equal(t[VIRTIO_PCI_CAP_NOTIFY_CFG].off, VIRTIO_PCI_NOTIFY_OFF);
    /* 4.1.4.4: room for every queue's doorbell. */
    assert_true(t[VIRTIO_PCI_CAP_NOTIFY_CFG].len >=
                NR_QUEUES * VIRTIO_PCI_NOTIFY_MULT);
}

/* 4.1.4.9: the PCI_CFG capability is a window into the BARs: the driver
 * sets bar, offset and length, then reads pci_cfg_data. */
static void test_virtio_pci_cfg_window(void **state)
{
    (void)state;
    unsigned c = vp.cfg_cap;
    unsigned data = c + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data);
    assert_int_equal(cfg_rd(c + 3, 1), VIRTIO_PCI_CAP_PCI_CFG);
    cfg_wr(c + 4, 1, 0);                                 /* bar */
    cfg_wr(c + 8, 4, VIRTIO_PCI_COMMON_OFF + COMMON(num_queues));
    cfg_wr(c + 12, 4, 2);                                /* length */
    assert_int_equal(cfg_rd(data, 4), NR_QUEUES);
    /* A write goes through too: device_status. */
    cfg_wr(c + 8, 4, VIRTIO_PCI_COMMON_OFF + COMMON(device_status));
    cfg_wr(c + 12, 4, 1);
    cfg_wr(data, 4, VIRTIO_STATUS_ACKNOWLEDGE);
    assert_int_equal(status(), VIRTIO_STATUS_ACKNOWLEDGE);
}

/* ---- common configuration (4.1.4.3) ------------------------------------ */

/* device_feature shows 32 offered bits at device_feature_select * 32;
 * VIRTIO_F_VERSION_1 (bit 32) is offered by every modern device. */
static void test_virtio_device_feature_select(void **state)
{
    (void)state;
    common_wr(COMMON(device_feature_select), 4, 0);
    uint32_t lo = (uint32_t)common_rd(COMMON(device_feature), 4);
    assert_int_equal(lo & OFFERED, OFFERED);
    assert_int_equal(lo, (uint32_t)vdev.host_features);
    common_wr(COMMON(device_feature_select), 4, 1);
    assert_int_equal(common_rd(COMMON(device_feature_select), 4), 1);
    assert_int_equal(common_rd(COMMON(device_feature), 4),
                     BIT(VIRTIO_F_VERSION_1 - 32));
    common_wr(COMMON(device_feature_select), 4, 2);
    assert_int_equal(common_rd(COMMON(device_feature), 4), 0);
}

/* driver_feature holds what the driver accepted, per select. */
static void test_virtio_driver_feature_select(void **state)
{
    (void)state;
    driver_start(BIT(VIRTIO_F_VERSION_1) | BIT(5));
    assert_int_equal(vdev.guest_features, BIT(VIRTIO_F_VERSION_1) | BIT(5));
    common_wr(COMMON(driver_feature_select), 4, 0);
    assert_int_equal(common_rd(COMMON(driver_feature), 4), BIT(5));
    common_wr(COMMON(driver_feature_select), 4, 1);
    assert_int_equal(common_rd(COMMON(driver_feature), 4), 1);
}

/* 3.1.1 step 5-6 / 2.2.2: FEATURES_OK sticks only for a subset of the
 * offered features that includes VERSION_1; the driver re-reads status to
 * find out. */
static void test_virtio_features_ok_rules(void **state)
{
    (void)state;
    const uint8_t s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
    driver_start(BIT(0));                                /* no VERSION_1 */
    common_wr(COMMON(device_status), 1, s | VIRTIO_STATUS_FEATURES_OK);
    assert_int_equal(status(), s);
    driver_start(BIT(VIRTIO_F_VERSION_1) | BIT(3));      /* 3 not offered */
    common_wr(COMMON(device_status), 1, s | VIRTIO_STATUS_FEATURES_OK);
    assert_int_equal(status(), s);
    driver_start(BIT(VIRTIO_F_VERSION_1) | BIT(0));
    common_wr(COMMON(device_status), 1, s | VIRTIO_STATUS_FEATURES_OK);
    assert_int_equal(status(), s | VIRTIO_STATUS_FEATURES_OK);
    /* Once FEATURES_OK is set, feature writes no longer change anything. */
    common_wr(COMMON(driver_feature_select), 4, 0);
    common_wr(COMMON(driver_feature), 4, BIT(5));
    assert_int_equal(common_rd(COMMON(driver_feature), 4), BIT(0));
}

/* 4.1.4.3: num_queues, then per queue_select: queue_size (the maximum
 * until the driver writes a smaller one), queue_notify_off, the three
 * ring addresses in 32-bit halves or 64 bits, queue_msix_vector. */
static void test_virtio_queue_select_fields(void **state)
{
    (void)state;
    assert_int_equal(common_rd(COMMON(num_queues), 2), NR_QUEUES);
    common_wr(COMMON(queue_select), 2, 1);
    assert_int_equal(common_rd(COMMON(queue_select), 2), 1);
    assert_int_equal(common_rd(COMMON(queue_size), 2), QUEUE_MAX);
    assert_int_equal(common_rd(COMMON(queue_notify_off), 2), 1);
    assert_int_equal(common_rd(COMMON(queue_enable), 2), 0);
    common_wr(COMMON(queue_size), 2, 32);
    common_wr(COMMON(queue_desc), 4, 0x89abc000);
    common_wr(COMMON(queue_desc) + 4, 4, 0x1);
    common_wr(COMMON(queue_driver), 8, 0x0000000212345000ULL);
    common_wr(COMMON(queue_device) + 4, 4, 0x3);
    common_wr(COMMON(queue_device), 4, 0x6000);
    assert_int_equal(common_rd(COMMON(queue_size), 2), 32);
    assert_int_equal(common_rd(COMMON(queue_desc), 8), 0x189abc000ULL);
    assert_int_equal(common_rd(COMMON(queue_desc) + 4, 4), 1);
    assert_int_equal(common_rd(COMMON(queue_driver), 8), 0x212345000ULL);
    assert_int_equal(common_rd(COMMON(queue_device), 8), 0x300006000ULL);
    /* Queue 0 is untouched. */
    common_wr(COMMON(queue_select), 2, 0);
    assert_int_equal(common_rd(COMMON(queue_size), 2), QUEUE_MAX);
    assert_int_equal(common_rd(COMMON(queue_desc), 8), 0);
    assert_int_equal(common_rd(COMMON(queue_notify_off), 2), 0);
}

/* 4.1.4.3.2: a queue_select past num_queues reads queue_size 0 ("not
 * available") and ignores writes. */
static void test_virtio_queue_select_out_of_range(void **state)
{
    (void)state;
    common_wr(COMMON(queue_select), 2, NR_QUEUES);
    assert_int_equal(common_rd(COMMON(queue_size), 2), 0);
    assert_int_equal(common_rd(COMMON(queue_msix_vector), 2), MSIX_NO_VECTOR);
    common_wr(COMMON(queue_size), 2, 8);
    common_wr(COMMON(queue_enable), 2, 1);
    assert_int_equal(common_rd(COMMON(queue_size), 2), 0);
    assert_int_equal(common_rd(COMMON(queue_enable), 2), 0);
}

/* 4.1.5.1.2: an MSI-X vector the function has reads back; any other value
 * reads NO_VECTOR, telling the driver it was refused. */
static void test_virtio_msix_vector_registers(void **state)
{
    (void)state;
    assert_int_equal(common_rd(COMMON(config_msix_vector), 2), MSIX_NO_VECTOR);
    common_wr(COMMON(config_msix_vector), 2, 0);
    assert_int_equal(common_rd(COMMON(config_msix_vector), 2), 0);
    common_wr(COMMON(config_msix_vector), 2, NR_QUEUES + 1);   /* too big */
    assert_int_equal(common_rd(COMMON(config_msix_vector), 2), MSIX_NO_VECTOR);
    common_wr(COMMON(queue_select), 2, 1);
    common_wr(COMMON(queue_msix_vector), 2, 2);
    assert_int_equal(common_rd(COMMON(queue_msix_vector), 2), 2);
    common_wr(COMMON(queue_select), 2, 0);
    assert_int_equal(common_rd(COMMON(queue_msix_vector), 2), MSIX_NO_VECTOR);
}

/* 4.1.4.3.2: once queue_enable is 1, the queue's size and addresses
 * no longer change. */
static void test_virtio_queue_enable_freezes_fields(void **state)
{
    (void)state;
    driver_start(BIT(VIRTIO_F_VERSION_1));
    driver_enable_queue(0);
    common_wr(COMMON(queue_size), 2, 8);
    common_wr(COMMON(queue_desc), 8, 0x50000);
    assert_int_equal(common_rd(COMMON(queue_size), 2), 16);
    assert_int_equal(common_rd(COMMON(queue_desc), 8), 0x10000);
    assert_true(vdev.queues[0].enabled);
}

/* 2.4 / 4.1.4.3.1: writing 0 to device_status resets the device: status,
 * features, queues, MSI-X vector choices and the ISR all return to their
 * initial values, and the device type forgets its state. */
static void test_virtio_status_zero_resets(void **state)
{
    (void)state;
    driver_ok();
    common_wr(COMMON(config_msix_vector), 2, 0);
    common_wr(COMMON(queue_select), 2, 1);
    common_wr(COMMON(queue_msix_vector), 2, 1);
    vdev.interrupt(&vdev, 0);                  /* ISR queue bit set */
    unsigned resets_before = resets;
    common_wr(COMMON(device_status), 1, 0);
    assert_int_equal(status(), 0);
    assert_int_equal(resets, resets_before + 1);
    assert_int_equal(vdev.guest_features, 0);
    assert_int_equal(common_rd(COMMON(config_msix_vector), 2), MSIX_NO_VECTOR);
    assert_int_equal(common_rd(COMMON(queue_msix_vector), 2), MSIX_NO_VECTOR);
    assert_int_equal(common_rd(COMMON(queue_enable), 2), 0);
    assert_int_equal(common_rd(COMMON(queue_size), 2), QUEUE_MAX);
    assert_int_equal(common_rd(COMMON(queue_desc), 8), 0);
    assert_int_equal(bar_rd(VIRTIO_PCI_ISR_OFF, 1), 0);
}

/* 4.1.5.2 / 4.1.4.4: the doorbell of queue q is at cap.offset +
 * queue_notify_off * notify_off_multiplier; it reaches the device only
 * once DRIVER_OK is set. */
static void test_virtio_notify_offset(void **state)
{
    (void)state;
    driver_start(BIT(VIRTIO_F_VERSION_1));
    common_wr(COMMON(device_status), 1, VIRTIO_STATUS_ACKNOWLEDGE |
              VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    driver_enable_queue(1);
    uint64_t off = common_rd(COMMON(queue_notify_off), 2) *
                   VIRTIO_PCI_NOTIFY_MULT;
    bar_wr(VIRTIO_PCI_NOTIFY_OFF + off, 2, 1);
    assert_int_equal(notified[1], 0);                    /* no DRIVER_OK */
    driver_ok();
    bar_wr(VIRTIO_PCI_NOTIFY_OFF + off, 2, 1);
    assert_int_equal(notified[1], 1);
    assert_int_equal(notified[0], 0);
    bar_wr(VIRTIO_PCI_NOTIFY_OFF + 0, 2, 0);
    assert_int_equal(notified[0], 1);
}

/* 4.1.4.5: reading the ISR status returns the bits (queue 1, device
 * configuration 2) and clears them. */
static void test_virtio_isr_read_to_clear(void **state)
{
    (void)state;
    vdev.interrupt(&vdev, 1);
    assert_int_equal(bar_rd(VIRTIO_PCI_ISR_OFF, 1), VIRTIO_PCI_ISR_QUEUE);
    assert_int_equal(bar_rd(VIRTIO_PCI_ISR_OFF, 1), 0);
    vdev.interrupt(&vdev, -1);
    vdev.interrupt(&vdev, 0);
    assert_int_equal(bar_rd(VIRTIO_PCI_ISR_OFF, 1),
                     VIRTIO_PCI_ISR_QUEUE | VIRTIO_PCI_ISR_CONFIG);
    assert_int_equal(bar_rd(VIRTIO_PCI_ISR_OFF, 1), 0);
}

/* 4.1.4.6: the device-specific region is the device type's. */
static void test_virtio_device_cfg_region(void **state)
{
    (void)state;
    assert_int_equal(bar_rd(VIRTIO_PCI_DEVICE_OFF + 4, 2), 0xc5c4);
    assert_int_equal(bar_rd(VIRTIO_PCI_DEVICE_OFF, 1), 0xc0);
}

/* The MSI-X table sits in BAR 0; a queue interrupt goes out as the message
 * its queue_msix_vector entry holds (4.1.5.1.2, PCI 3.0 6.8.2). */
static void test_virtio_queue_interrupt_through_msix(void **state)
{
    (void)state;
    unsigned entry = VIRTIO_PCI_MSIX_OFF + 1 * PCI_MSIX_ENTRY_SIZE;
    bar_wr(entry + PCI_MSIX_ENTRY_LOWER_ADDR, 4, 0xfee02000);
    bar_wr(entry + PCI_MSIX_ENTRY_DATA, 4, 0x45);
    bar_wr(entry + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
    assert_int_equal(bar_rd(entry + PCI_MSIX_ENTRY_LOWER_ADDR, 4), 0xfee02000);
    common_wr(COMMON(queue_select), 2, 0);
    common_wr(COMMON(queue_msix_vector), 2, 1);
    cfg_wr(vp.msix.cap + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
    vdev.interrupt(&vdev, 0);
    assert_int_equal(msis, 1);
    assert_int_equal(last_msi.vector, 0x45);
    assert_int_equal(last_msi.dest, 2);
}

/* Masked vector: the message waits in the PBA (in BAR 0) and goes out when
 * the driver clears the mask bit. */
static void test_virtio_masked_vector_pending_in_pba(void **state)
{
    (void)state;
    unsigned entry = VIRTIO_PCI_MSIX_OFF;
    bar_wr(entry + PCI_MSIX_ENTRY_LOWER_ADDR, 4, 0xfee00000);
    bar_wr(entry + PCI_MSIX_ENTRY_DATA, 4, 0x46);
    common_wr(COMMON(config_msix_vector), 2, 0);
    cfg_wr(vp.msix.cap + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
    vdev.interrupt(&vdev, -1);
    assert_int_equal(msis, 0);
    assert_int_equal(bar_rd(VIRTIO_PCI_PBA_OFF, 8), 1);
    bar_wr(entry + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
    assert_int_equal(msis, 1);
    assert_int_equal(last_msi.vector, 0x46);
    assert_int_equal(bar_rd(VIRTIO_PCI_PBA_OFF, 8), 0);
}

/* With memory decoding off (PCI 3.0 6.2.2 Command bit 1) the BAR does not
 * respond: reads are a master abort (all-ones). */
static void test_virtio_bar_needs_memory_enable(void **state)
{
    (void)state;
    cfg_wr(PCI_COMMAND, 2, 0);
    assert_int_equal(common_rd(COMMON(num_queues), 2), 0xffff);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_virtio_pci_ids),
        T(test_virtio_pci_capability_list_walk),
        T(test_virtio_pci_cfg_window),
        T(test_virtio_device_feature_select),
        T(test_virtio_driver_feature_select),
        T(test_virtio_features_ok_rules),
        T(test_virtio_queue_select_fields),
        T(test_virtio_queue_select_out_of_range),
        T(test_virtio_msix_vector_registers),
        T(test_virtio_queue_enable_freezes_fields),
        T(test_virtio_status_zero_resets),
        T(test_virtio_notify_offset),
        T(test_virtio_isr_read_to_clear),
        T(test_virtio_device_cfg_region),
        T(test_virtio_queue_interrupt_through_msix),
        T(test_virtio_masked_vector_pending_in_pba),
        T(test_virtio_bar_needs_memory_enable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
