/* Fuzz target: the virtio-pci transport (hv/virtio/virtio_pci.c), the
 * device core under it (hv/virtio/virtio.c), the MSI-X table and PBA
 * (hv/dev/msix.c) and the PCI host bridge that reaches them
 * (hv/dev/pci_host.c), driven the way a guest driver can: configuration
 * mechanism #1 at ports 0xCF8-0xCFF and BAR 0 in the memory window.
 *
 * The device behind the transport is a two-queue fake whose notify takes
 * every chain the queue offers (virtq_pop, so rings the driver placed
 * anywhere are walked), returns it and raises the queue's interrupt. Guest
 * RAM is 64 KiB at GPA 0 (zero, except what the driver's DMA-free accesses
 * cannot reach: rings the fuzzer points into it stay empty or loop).
 *
 * Input: a list of 8-byte accesses {op, size, offset (16 bits), value (32
 * bits)}: config read/write through 0xCF8/0xCFC, BAR 0 read/write
 * (offsets past the BAR reach the rest of the window), raw port accesses
 * to 0xCF8-0xCFF, a device-side interrupt on a queue or the config vector,
 * and a VM reset (pci_host_reset).
 *
 * Invariants checked beyond "no crash, no sanitizer report":
 *  - a read of 1, 2 or 4 bytes returns nothing above its size;
 *  - an MSI is sent only while MSI-X is enabled and the function not
 *    masked, and is the message of one unmasked vector of the table;
 *  - pending bits exist only for vectors the table has;
 *  - a notify takes at most VIRTIO_BUDGET_CHAINS chains (bounded work);
 *  - writing 0 to device_status resets: status reads 0, no queue enabled;
 *  - an enabled queue is no larger than offered, and its rings lie in
 *    guest RAM. */
#include <stdlib.h>

#include "hv/dev/pci_host.h"
#include "hv/virtio/virtio_pci.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "mm/guest_mem.h"
#include "test/fuzz/fuzz.h"
#include "test/unit/host_stubs.h"

#define RAM_SIZE   0x10000u
#define NR_QUEUES  2
#define QUEUE_MAX  64
#define COMMON(f)  offsetof(struct virtio_pci_common_cfg, f)

static uint8_t *ram;
static struct guest_mem gm;
static struct pci_host host;
static struct virtio_dev vdev;
static struct virtio_pci vp;
static struct virtq_chain chain;
static unsigned devno;

static void t_reset(struct virtio_dev *d) { (void)d; }

/* Take what the driver offers, within the budget, and give it back. */
static void t_notify(struct virtio_dev *d, unsigned q)
{
    struct virtq *vq = &d->queues[q].vq;
    unsigned taken = 0;
    FUZZ_CHECK(q < NR_QUEUES);
    while (virtio_budget_left(d)) {
        int rc = virtq_pop(vq, &chain);
        if (rc <= 0) {
            if (rc < 0)
                virtio_needs_reset(d, (int)q, virtq_error_name(vq->err));
            break;
        }
        FUZZ_CHECK(++taken <= VIRTIO_BUDGET_CHAINS);
        virtio_budget_charge(d, 1, chain.in_bytes);
        if (virtq_push(vq, chain.head, 0)) {
            virtio_needs_reset(d, (int)q, virtq_error_name(vq->err));
            break;
        }
    }
    virtio_queue_interrupt(d, q);
}

/* Device-specific configuration: byte i reads as i. */
static uint64_t t_cfg_read(struct virtio_dev *d, unsigned off, unsigned size)
{
    (void)d;
    FUZZ_CHECK(size == 1 || size == 2 || size == 4 || size == 8);
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)((off + i) & 0xff) << (8 * i);
    return v;
}

static void t_cfg_write(struct virtio_dev *d, unsigned off, unsigned size,
                        uint64_t val)
{
    (void)d, (void)off, (void)val;
    FUZZ_CHECK(size == 1 || size == 2 || size == 4 || size == 8);
}

static const struct virtio_dev_ops ops = {
    .reset = t_reset, .notify = t_notify, .cfg_read = t_cfg_read,
    .cfg_write = t_cfg_write,
};

static uint16_t msix_flags(void)
{
    return (uint16_t)pci_cfg_get(&vp.pci, vp.msix.cap + PCI_MSIX_FLAGS, 2);
}

/* An MSI left the device: it must be one an unmasked vector holds. */
static void t_send(void *ctx, const struct apic_irq *irq)
{
    (void)ctx;
    const struct msix *m = &vp.msix;
    FUZZ_CHECK(msix_enabled(m));
    FUZZ_CHECK(!(msix_flags() & PCI_MSIX_FLAGS_MASKALL));
    bool found = false;
    for (unsigned v = 0; v < m->nr && !found; v++) {
        struct apic_irq want;
        uint64_t addr = m->table[v][0] | (uint64_t)m->table[v][1] << 32;
        found = !(m->table[v][3] & PCI_MSIX_ENTRY_CTRL_MASKBIT) &&
                msi_decode(addr, m->table[v][2], &want) &&
                memcmp(&want, irq, sizeof(want)) == 0;
    }
    FUZZ_CHECK(found);
}

static void check_read(uint64_t v, unsigned size)
{
    if (size < 8)
        FUZZ_CHECK((v >> (8 * size)) == 0);
}

static void cfg_select(unsigned off)
{
    FUZZ_CHECK(pci_host_write(&host, 0, 4, PCI_CONF1_ENABLE |
                              devno << 11 | (off & 0xfc)) == 0);
}

static void check_state(void)
{
    FUZZ_CHECK((vp.msix.pending >> vp.msix.nr) == 0);
    for (unsigned q = 0; q < NR_QUEUES; q++) {
        const struct virtio_queue *vq = &vdev.queues[q];
        /* The driver may write any queue_size; only enabling checks it. */
        if (vq->enabled)
            FUZZ_CHECK(vq->size <= QUEUE_MAX && vq->vq.size == vq->size);
        if (vq->enabled && vq->vq.ready) {
            FUZZ_CHECK(gmem_is_ram(&gm, vq->vq.desc, 16ULL * vq->vq.size));
            FUZZ_CHECK(gmem_is_ram(&gm, vq->vq.used, 4 + 8ULL * vq->vq.size));
        }
    }
}

static void access(uint8_t op, unsigned size, uint16_t off, uint32_t val)
{
    uint64_t v = 0, bar = pci_bar_gpa(&vp.pci, VIRTIO_PCI_BAR);
    int rc;

    switch (op % 8) {
    case 0:   /* config read */
        cfg_select(off);
        size = size == 8 ? 4 : size;
        FUZZ_CHECK(pci_host_read(&host, 4 + (off & 3), size, &v) == 0);
        check_read(v, size);
        break;
    case 1:   /* config write */
        cfg_select(off);
        size = size == 8 ? 4 : size;
        FUZZ_CHECK(pci_host_write(&host, 4 + (off & 3), size, val) == 0);
        break;
    case 2:   /* BAR 0 (and past it) */
        rc = pci_host_mmio_read(&host, bar - PCI_MMIO_BASE + off, size, &v);
        FUZZ_CHECK(rc == 0 || rc < 0);
        check_read(v, size);
        break;
    case 3:
        rc = pci_host_mmio_write(&host, bar - PCI_MMIO_BASE + off, size,
                                 val | (uint64_t)off << 32);
        FUZZ_CHECK(rc == 0 || rc < 0);
        /* A reset, if the function decodes its BAR at all. */
        if (off == VIRTIO_PCI_COMMON_OFF + COMMON(device_status) &&
            size == 1 && (val & 0xff) == 0 &&
            (pci_cfg_get(&vp.pci, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY)) {
            FUZZ_CHECK(vdev.status == 0);
            for (unsigned q = 0; q < NR_QUEUES; q++)
                FUZZ_CHECK(!vdev.queues[q].enabled);
        }
        break;
    case 4:   /* the raw ports 0xCF8-0xCFF (port I/O is 1, 2 or 4 bytes) */
        size = size == 8 ? 4 : size;
        rc = pci_host_read(&host, off & 7, size, &v);
        FUZZ_CHECK(rc == 0 || rc < 0);
        check_read(v, size);
        break;
    case 5:
        size = size == 8 ? 4 : size;
        rc = pci_host_write(&host, off & 7, size, val);
        FUZZ_CHECK(rc == 0 || rc < 0);
        break;
    case 6:   /* the device interrupts: a queue, or its configuration */
        vdev.interrupt(&vdev, (int)(off % (NR_QUEUES + 1)) - 1);
        break;
    case 7:
        if (val % 16 == 0)
            pci_host_reset(&host);
        else if (vdev.status & VIRTIO_STATUS_DRIVER_OK)
            virtio_dev_poll(&vdev);
        break;
    }
    check_state();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The sizes the MMIO bus delivers (the emulator's phys accesses,
     * emulate.h) and port I/O (1, 2, 4: see access()). */
    static const unsigned sizes[4] = { 1, 2, 4, 8 };
    if (!ram) {
        ram = aligned_alloc(4096, RAM_SIZE);
        if (!ram || gmem_add_slot(&gm, 0, RAM_SIZE, ptr_hpa(ram)))
            abort();
        log_set_level(LOG_ERR);
    }
    stub_capture_begin();
    memset(ram, 0, RAM_SIZE);
    memset(&host, 0, sizeof(host));   /* as in a new struct vm */
    pci_host_init(&host);
    virtio_dev_init(&vdev, "virtio-fuzz", "fuzz", VIRTIO_ID_CONSOLE,
                    BIT(0) | BIT(5), NR_QUEUES, QUEUE_MAX, &gm, &ops);
    memset(&vp, 0, sizeof(vp));
    if (virtio_pci_create(&vp, &vdev, 0x078000, &host, t_send, NULL))
        abort();
    devno = 0;
    while (devno < PCI_MAX_DEVS && host.devs[devno] != &vp.pci)
        devno++;
    FUZZ_CHECK(devno < PCI_MAX_DEVS);

    struct fuzz_in in = { data, size };
    while (in.left) {
        uint8_t op = fuzz_u8(&in);
        unsigned sz = sizes[fuzz_u8(&in) % 4];
        uint16_t off = fuzz_u16(&in);
        uint32_t val = fuzz_u32(&in);
        access(op, sz, off, val);
    }
    return 0;
}
