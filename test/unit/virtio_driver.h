/* The driver side of a two-queue virtio device for host unit tests
 * (test_virtio_net.c, test_virtio_console.c): guest RAM at GPA 0 (the
 * test allocates `ram`), the rings of queue q at fixed GPAs, posting a
 * chain, and 3.1.1 "Driver Requirements: Device Initialization". */
#ifndef KEEL_TEST_VIRTIO_DRIVER_H
#define KEEL_TEST_VIRTIO_DRIVER_H

#include "hv/virtio/virtio.h"
#include "mm/guest_mem.h"

/* Ring parts of queue q (0 or 1). */
#define DESC_GPA(q)  (0x1000 + (q) * 0x3000)
#define AVAIL_GPA(q) (0x2000 + (q) * 0x3000)
#define USED_GPA(q)  (0x3000 + (q) * 0x3000)

static uint8_t *ram;   /* guest RAM, GPA 0 */

static inline struct virtq_desc *desc(unsigned q, unsigned i)
{
    return (struct virtq_desc *)(ram + DESC_GPA(q)) + i;
}

static inline struct virtq_avail *avail(unsigned q)
{
    return (struct virtq_avail *)(ram + AVAIL_GPA(q));
}

static inline struct virtq_used *used(unsigned q)
{
    return (struct virtq_used *)(ram + USED_GPA(q));
}

/* Allocate `size` bytes of zeroed guest RAM and make it gm's one slot. */
static inline void ram_init(struct guest_mem *gm, uint64_t size)
{
    ram = aligned_alloc(PAGE_SIZE, size);
    memset(ram, 0, size);
    memset(gm, 0, sizeof(*gm));
    assert_int_equal(gmem_add_slot(gm, 0, size, ptr_hpa(ram)), 0);
}

/* Make chain `head` available on queue q of a queue of qsize entries. */
static inline void post_chain(unsigned q, unsigned qsize, uint16_t head)
{
    avail(q)->ring[avail(q)->idx % qsize] = head;
    avail(q)->idx++;
}

/* Reset d, negotiate every offered feature, enable queues 0 and 1 on the
 * rings above, set DRIVER_OK. */
static inline void driver_init(struct virtio_dev *d)
{
    uint8_t s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
    virtio_set_status(d, 0);
    virtio_set_status(d, s);
    virtio_set_guest_features(d, 0, virtio_host_features(d, 0));
    virtio_set_guest_features(d, 1, virtio_host_features(d, 1));
    s |= VIRTIO_STATUS_FEATURES_OK;
    virtio_set_status(d, s);
    assert_true(d->status & VIRTIO_STATUS_FEATURES_OK);
    for (unsigned q = 0; q < 2; q++) {
        d->queues[q].desc = DESC_GPA(q);
        d->queues[q].driver = AVAIL_GPA(q);
        d->queues[q].device = USED_GPA(q);
        virtio_queue_enable(d, q);
        assert_true(d->queues[q].enabled);
    }
    virtio_set_status(d, s | VIRTIO_STATUS_DRIVER_OK);
}

#endif
