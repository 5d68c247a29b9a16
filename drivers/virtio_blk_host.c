/* A polled driver for the machine's virtio-blk PCI function
 * (drivers/virtio_blk_host.h). Virtual I/O Device (VIRTIO) Version 1.2. */
#include "arch/x86/cpu.h"
#include "drivers/timer.h"
#include "drivers/virtio_blk_host.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/string.h"
#include "mm/frame.h"

/* Offsets in struct virtio_pci_cap / virtio_pci_notify_cap (4.1.4). */
#define VCAP_CFG_TYPE   3
#define VCAP_BAR        4
#define VCAP_OFFSET     8
#define VCAP_LENGTH     12
#define VCAP_NOTIFY_MUL 16

/* Layout of Keel's queue frames (QF_PAGES pages): the three ring parts for
 * VBLK_HOST_QUEUE_SIZE entries, then the request header and status byte.
 * Alignments per 2.7 "Virtqueues". */
#define QF_PAGES  2
#define QF_DESC   0x0000
#define QF_AVAIL  0x1000
#define QF_USED   0x1400
#define QF_HDR    0x1e00
#define QF_STATUS 0x1e10
_Static_assert(QF_STATUS < QF_PAGES * PAGE_SIZE, "frames hold it all");
_Static_assert(QF_DESC + 16 * VBLK_HOST_QUEUE_SIZE <= QF_AVAIL, "desc fits");
_Static_assert(QF_AVAIL + 6 + 2 * VBLK_HOST_QUEUE_SIZE <= QF_USED,
               "avail fits");
_Static_assert(QF_USED + 6 + 8 * VBLK_HOST_QUEUE_SIZE <= QF_HDR, "used fits");

/* Largest data buffer per request when the device gives no size_max. */
#define VBLK_HOST_MAX_XFER MiB(1)

/* Order Keel's stores to its rings before the doorbell and the device's
 * ring stores before Keel's loads (2.7.13 "Supplying Buffers to The
 * Device": "The driver performs a suitable memory barrier"). */
static inline void mb(void)
{
    __asm__ volatile("mfence" ::: "memory");
}

/* 64-bit common-config fields are written as two 32-bit halves, low
 * first (4.1.3.1 "Driver Requirements: PCI Device Layout"). */
static void write64(volatile uint64_t *reg, uint64_t v)
{
    volatile uint32_t *r = (volatile uint32_t *)reg;
    r[0] = (uint32_t)v;
    r[1] = (uint32_t)(v >> 32);
}

/* Where one virtio structure lives: BAR-relative offset and length. */
struct vcap {
    int off;            /* config-space offset of the capability; 0: none */
    uint8_t bar;
    uint32_t offset, length;
};

static struct vcap find_vcap(const struct hostpci_dev *d, uint8_t cfg_type)
{
    struct vcap c = { 0 };
    int off = 0;

    /* The first capability of each type is the one to use (4.1.4
     * "Driver Requirements"); entries for BARs 6..255 are reserved. */
    while ((off = hostpci_find_cap(d, PCI_CAP_ID_VNDR, off)) > 0) {
        if (hostpci_read8(d, off + VCAP_CFG_TYPE) != cfg_type ||
            hostpci_read8(d, off + VCAP_BAR) > 5)
            continue;
        c.off = off;
        c.bar = hostpci_read8(d, off + VCAP_BAR);
        c.offset = hostpci_read32(d, off + VCAP_OFFSET);
        c.length = hostpci_read32(d, off + VCAP_LENGTH);
        break;
    }
    return c;
}

/* Map the BAR of cap uncached and return the structure's host pointer, or
 * NULL (I/O BAR, unassigned BAR, structure outside it, mapping failed). */
static volatile void *map_vcap(const struct hostpci_dev *d,
                               const struct vcap *c, uint32_t min_len)
{
    uint64_t size;
    bool io;
    hpa_t base = hostpci_bar(d, c->bar, &size, &io);

    if (!c->off || io || !base || c->length < min_len ||
        (uint64_t)c->offset + c->length > size)
        return NULL;
    if (arch_map_mmio(base, size))
        return NULL;
    return (volatile void *)(uintptr_t)(base + c->offset);
}

static bool wait_status(volatile struct virtio_pci_common_cfg *cc,
                        uint8_t want)
{
    uint64_t end = timer_now_ns() + VBLK_HOST_TIMEOUT_NS;
    while (cc->device_status != want)
        if (timer_now_ns() > end)
            return false;
    return true;
}

static int fail(struct virtio_blk_host *h, int err, const char *why)
{
    log_err("virtio-blk-host %02x:%02x.%x: %s", h->pci.bus, h->pci.dev,
            h->pci.fn, why);
    if (h->common)
        h->common->device_status |= VIRTIO_STATUS_FAILED;
    return err;
}

static int find_device(struct virtio_blk_host *h, unsigned index)
{
    /* Modern-only functions first, then transitional ones (4.1.2.1). */
    if (!hostpci_find(VIRTIO_PCI_VENDOR_ID, VIRTIO_PCI_DEVICE_ID_BLK_MODERN,
                      index, &h->pci))
        return 0;
    return hostpci_find(VIRTIO_PCI_VENDOR_ID, VIRTIO_PCI_DEVICE_ID_BLK_TRANS,
                        index, &h->pci);
}

/* Feature negotiation (3.1.1 steps 4-6); 0 or an error. */
static int negotiate(struct virtio_blk_host *h)
{
    volatile struct virtio_pci_common_cfg *cc = h->common;
    uint64_t offered, want;

    cc->device_feature_select = 0;
    offered = cc->device_feature;
    cc->device_feature_select = 1;
    offered |= (uint64_t)cc->device_feature << 32;
    if (!(offered & BIT(VIRTIO_F_VERSION_1)))
        return fail(h, -ENODEV, "device does not offer VIRTIO_F_VERSION_1");
    want = offered & (BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_BLK_F_FLUSH) |
                      BIT(VIRTIO_BLK_F_RO) | BIT(VIRTIO_BLK_F_SIZE_MAX));
    cc->driver_feature_select = 0;
    cc->driver_feature = (uint32_t)want;
    cc->driver_feature_select = 1;
    cc->driver_feature = (uint32_t)(want >> 32);
    cc->device_status |= VIRTIO_STATUS_FEATURES_OK;
    if (!(cc->device_status & VIRTIO_STATUS_FEATURES_OK))
        return fail(h, -EIO, "device refused FEATURES_OK");
    h->features = want;
    return 0;
}

/* Set up queue 0 in a fresh frame (4.1.5.1.3 "Virtqueue Configuration"). */
static int setup_queue(struct virtio_blk_host *h, uint32_t notify_mul,
                       volatile uint8_t *notify_base)
{
    volatile struct virtio_pci_common_cfg *cc = h->common;
    hpa_t frame = frame_alloc(QF_PAGES, PAGE_SIZE);
    uint8_t *q = (uint8_t *)(uintptr_t)frame;

    if (!frame)
        return fail(h, -ENOMEM, "no frames for the queue");
    memset(q, 0, QF_PAGES * PAGE_SIZE);
    cc->queue_select = 0;
    if (cc->queue_size == 0)
        return fail(h, -ENODEV, "queue 0 does not exist");
    h->qsize = MIN(cc->queue_size, VBLK_HOST_QUEUE_SIZE);
    cc->queue_size = h->qsize;
    h->desc = (struct virtq_desc *)(q + QF_DESC);
    h->avail = (struct virtq_avail *)(q + QF_AVAIL);
    h->used = (struct virtq_used *)(q + QF_USED);
    h->hdr = (struct virtio_blk_req_hdr *)(q + QF_HDR);
    h->status = q + QF_STATUS;
    /* Polled: ask the device not to interrupt (2.7.7) and route no MSI-X
     * vector (4.1.4.3: VIRTIO_MSI_NO_VECTOR is 0xffff). */
    h->avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
    cc->queue_msix_vector = 0xffff;
    write64(&cc->queue_desc, frame + QF_DESC);
    write64(&cc->queue_driver, frame + QF_AVAIL);
    write64(&cc->queue_device, frame + QF_USED);
    h->notify = (volatile uint16_t *)(notify_base +
                                      (uint32_t)cc->queue_notify_off *
                                          notify_mul);
    cc->queue_enable = 1;
    return 0;
}

int virtio_blk_host_init(struct virtio_blk_host *h, unsigned index)
{
    memset(h, 0, sizeof(*h));
    if (find_device(h, index))
        return -ENODEV;
    struct hostpci_dev *d = &h->pci;
    struct vcap common = find_vcap(d, VIRTIO_PCI_CAP_COMMON_CFG);
    struct vcap notify = find_vcap(d, VIRTIO_PCI_CAP_NOTIFY_CFG);
    struct vcap device = find_vcap(d, VIRTIO_PCI_CAP_DEVICE_CFG);
    volatile uint8_t *notify_base;
    uint32_t notify_mul;
    int err;

    hostpci_enable(d);
    h->common = map_vcap(d, &common, sizeof(struct virtio_pci_common_cfg));
    notify_base = map_vcap(d, &notify, 2);
    h->device_cfg = map_vcap(d, &device, 8);
    if (!h->common || !notify_base || !h->device_cfg)
        return fail(h, -ENODEV, "no usable modern virtio-pci capabilities "
                                "(4.1.4); is it disable-legacy=on or "
                                "transitional with modern BARs?");
    notify_mul = hostpci_read32(d, notify.off + VCAP_NOTIFY_MUL);

    /* 3.1.1: reset, ACKNOWLEDGE, DRIVER, features, queues, DRIVER_OK.
     * The firmware's driver used this device before ExitBootServices. */
    h->common->device_status = 0;
    if (!wait_status(h->common, 0))
        return fail(h, -EIO, "reset did not complete");
    h->common->device_status = VIRTIO_STATUS_ACKNOWLEDGE;
    h->common->device_status |= VIRTIO_STATUS_DRIVER;
    err = negotiate(h);
    if (!err)
        err = setup_queue(h, notify_mul, notify_base);
    if (err)
        return err;

    /* Device configuration (5.2.4); capacity read twice around
     * config_generation so both halves belong together (4.1.4.3.1). */
    volatile struct virtio_blk_config *cfg =
        (volatile struct virtio_blk_config *)h->device_cfg;
    uint8_t gen;
    do {
        gen = h->common->config_generation;
        volatile uint32_t *cap32 = (volatile uint32_t *)&cfg->capacity;
        h->capacity = cap32[0] | (uint64_t)cap32[1] << 32;
        h->size_max = virtio_blk_host_has(h, VIRTIO_BLK_F_SIZE_MAX)
                          ? cfg->size_max : 0;
    } while (gen != h->common->config_generation);

    h->common->device_status |= VIRTIO_STATUS_DRIVER_OK;
    log_info("virtio-blk-host %02x:%02x.%x (%04x:%04x): %llu sectors, "
             "queue size %u, flush %s%s", d->bus, d->dev, d->fn, d->vendor,
             d->device, (unsigned long long)h->capacity, h->qsize,
             virtio_blk_host_has(h, VIRTIO_BLK_F_FLUSH) ? "yes" : "no",
             virtio_blk_host_has(h, VIRTIO_BLK_F_RO) ? ", read-only" : "");
    return 0;
}

/* Post one request (2.7.13): header, the nr_segs data buffers segs[]
 * (device-writable if data_in) and status, ring the doorbell (4.1.4.4) and
 * poll the used ring (2.7.14) until it returns or the timeout passes.
 * nr_segs is 0 (flush) to qsize - 2. */
static int submit(struct virtio_blk_host *h, uint32_t type, uint64_t sector,
                  const struct vblk_host_seg *segs, unsigned nr_segs,
                  bool data_in)
{
    uint16_t n = 0, slot;
    uint64_t end;

    if (h->broken)
        return -EIO;
    *h->hdr = (struct virtio_blk_req_hdr){ .type = type, .sector = sector };
    *h->status = 0xff;
    h->desc[n] = (struct virtq_desc){ .addr = (uintptr_t)h->hdr,
                                      .len = sizeof(*h->hdr),
                                      .flags = VIRTQ_DESC_F_NEXT,
                                      .next = n + 1 };
    n++;
    for (unsigned i = 0; i < nr_segs; i++, n++)
        h->desc[n] = (struct virtq_desc){
            .addr = (uintptr_t)segs[i].buf, .len = (uint32_t)segs[i].len,
            .flags = VIRTQ_DESC_F_NEXT | (data_in ? VIRTQ_DESC_F_WRITE : 0),
            .next = n + 1 };
    h->desc[n] = (struct virtq_desc){ .addr = (uintptr_t)h->status,
                                      .len = 1,
                                      .flags = VIRTQ_DESC_F_WRITE };
    slot = h->avail_idx % h->qsize;
    h->avail->ring[slot] = 0;   /* the chain always starts at descriptor 0 */
    mb();
    h->avail_idx++;
    *(volatile uint16_t *)&h->avail->idx = h->avail_idx;
    mb();
    *h->notify = 0;             /* queue index 0 (4.1.5.2) */

    end = timer_now_ns() + VBLK_HOST_TIMEOUT_NS;
    while (*(volatile uint16_t *)&h->used->idx == h->used_idx) {
        if (timer_now_ns() > end) {
            /* The buffers may still be in the device's hands: never
             * reuse them. */
            h->broken = true;
            log_err("virtio-blk-host: request type %u sector %llu timed out;"
                    " device abandoned", type, (unsigned long long)sector);
            return -EIO;
        }
        pause();
    }
    mb();
    h->used_idx++;
    if (*h->status != VIRTIO_BLK_S_OK) {
        log_err("virtio-blk-host: request type %u sector %llu: status %u",
                type, (unsigned long long)sector, *h->status);
        return -EIO;
    }
    return 0;
}

int virtio_blk_host_rw(struct virtio_blk_host *h, bool write,
                       uint64_t sector, void *buf, uint64_t len)
{
    uint64_t chunk = h->size_max ? MIN(h->size_max, VBLK_HOST_MAX_XFER)
                                 : VBLK_HOST_MAX_XFER;
    chunk = ALIGN_DOWN(chunk, VIRTIO_BLK_SECTOR_SIZE);
    if (!chunk)
        chunk = VIRTIO_BLK_SECTOR_SIZE;

    for (uint64_t done = 0; done < len;) {
        struct vblk_host_seg seg = { (uint8_t *)buf + done,
                                     (uint32_t)MIN(len - done, chunk) };
        int err = submit(h, write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN,
                         sector + done / VIRTIO_BLK_SECTOR_SIZE, &seg, 1,
                         !write);
        if (err)
            return err;
        done += seg.len;
    }
    return 0;
}

int virtio_blk_host_rwv(struct virtio_blk_host *h, bool write,
                        uint64_t sector, const struct vblk_host_seg *segs,
                        unsigned n)
{
    unsigned per = h->qsize - 2u;

    for (unsigned i = 0; i < n; i++)
        if (!segs[i].len || segs[i].len % VIRTIO_BLK_SECTOR_SIZE ||
            segs[i].len > UINT32_MAX ||
            (h->size_max && segs[i].len > h->size_max))
            return -EINVAL;
    for (unsigned i = 0; i < n; i += per) {
        unsigned k = MIN(n - i, per);
        int err = submit(h, write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN,
                         sector, segs + i, k, !write);
        if (err)
            return err;
        for (unsigned j = i; j < i + k; j++)
            sector += segs[j].len / VIRTIO_BLK_SECTOR_SIZE;
    }
    return 0;
}

int virtio_blk_host_flush(struct virtio_blk_host *h)
{
    if (!virtio_blk_host_has(h, VIRTIO_BLK_F_FLUSH))
        return -ENOTSUP;
    return submit(h, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, false);
}
