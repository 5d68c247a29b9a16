/* Keel's driver for the machine's own virtio-blk PCI device (under QEMU:
 * `-device virtio-blk-pci,disable-legacy=on`, backed by a host image
 * file). Polled and synchronous: one request in flight, no interrupts.
 * Reference: Virtual I/O Device (VIRTIO) Version 1.2, 4.1 (virtio over
 * PCI), 5.2 (block device), 2.7 (split virtqueues). */
#ifndef KEEL_VIRTIO_BLK_HOST_H
#define KEEL_VIRTIO_BLK_HOST_H

#include "drivers/hostpci.h"
#include "lib/types.h"
#include "lib/virtio_ring.h"
#include "lib/virtio_spec.h"

/* PCI device IDs of virtio-blk (4.1.2): modern-only and transitional. */
#define VIRTIO_PCI_DEVICE_ID_BLK_MODERN 0x1042
#define VIRTIO_PCI_DEVICE_ID_BLK_TRANS  0x1001

/* Entries in Keel's one request queue (a power of two, 2.7). A request
 * uses one descriptor for its header, one per data buffer and one for its
 * status, all from descriptor 0. */
#define VBLK_HOST_QUEUE_SIZE 256

/* One data buffer of a request: a host pointer (identity-mapped: used as
 * the DMA address) and its length in bytes. */
struct vblk_host_seg {
    void *buf;
    uint64_t len;
};

/* How long one request may take before it is reported as failed. */
#define VBLK_HOST_TIMEOUT_NS 10000000000ull   /* 10 s */

struct virtio_blk_host {
    struct hostpci_dev pci;
    /* The device's structures in its BARs (uncached in Keel's map). */
    volatile struct virtio_pci_common_cfg *common;
    volatile uint8_t *device_cfg;         /* struct virtio_blk_config */
    volatile uint16_t *notify;            /* doorbell of queue 0 */
    uint64_t features;                    /* negotiated, bit numbers 5.2.3 */
    uint64_t capacity;                    /* 512-byte sectors */
    uint32_t size_max;                    /* bytes per buffer; 0: no limit */
    /* Queue 0, in one frame Keel owns (HPA = pointer). */
    uint16_t qsize;
    struct virtq_desc *desc;
    struct virtq_avail *avail;
    struct virtq_used *used;
    uint16_t avail_idx;                   /* next free avail slot */
    uint16_t used_idx;                    /* next used entry to consume */
    struct virtio_blk_req_hdr *hdr;
    volatile uint8_t *status;
    bool broken;                          /* a request timed out */
};

/* Find the index-th (from 0) virtio-blk PCI function of the machine and
 * bring it up per 3.1.1 "Driver Requirements: Device Initialization".
 * Returns 0, -ENODEV (no such device, no modern capabilities, no
 * VERSION_1), -ENOMEM or -EIO (the device refused FEATURES_OK or a
 * reset did not finish). */
int virtio_blk_host_init(struct virtio_blk_host *h, unsigned index);

/* Read (write false) or write len bytes at 512-byte sector `sector`
 * to/from buf, a host pointer (identity-mapped: used as the DMA address).
 * len is a non-zero multiple of 512. Returns 0 or -EIO (device status not
 * OK, timeout, or the device is broken by an earlier timeout). */
int virtio_blk_host_rw(struct virtio_blk_host *h, bool write,
                       uint64_t sector, void *buf, uint64_t len);

/* The same for the n buffers segs[0..n) (each len a non-zero multiple of
 * 512, at most 4 GiB - 512 and size_max if the device sets one), data
 * moving to or from consecutive sectors from `sector`: one request per
 * qsize - 2 buffers. Returns 0, -EINVAL (a length out of those bounds,
 * nothing moved) or -EIO. */
int virtio_blk_host_rwv(struct virtio_blk_host *h, bool write,
                        uint64_t sector, const struct vblk_host_seg *segs,
                        unsigned n);

/* VIRTIO_BLK_T_FLUSH: returns once the device reports the writes it
 * completed are on stable storage. 0 or -EIO; -ENOTSUP without
 * VIRTIO_BLK_F_FLUSH. */
int virtio_blk_host_flush(struct virtio_blk_host *h);

static inline bool virtio_blk_host_has(const struct virtio_blk_host *h,
                                       unsigned feature)
{
    return h->features & BIT(feature);
}

#endif
