/* virtio-blk (hv/virtio/virtio_blk.h). Virtio 1.2, 5.2. */
#include "lib/string.h"
#include "hv/virtio/virtio_blk.h"

#define REQ_QUEUE 0

/* Move len bytes between the back end at byte `disk` and the chain at
 * byte `at` of its readable (write == true) or writable part. */
static int copy(struct virtio_blk *blk, struct virtq *q, uint64_t disk,
                uint64_t at, uint64_t len, bool write)
{
    struct blk_backend *be = blk->be;
    while (len) {
        uint64_t n = MIN(len, sizeof(blk->bounce));
        int rc;
        if (write) {
            rc = virtq_chain_read(q, &blk->chain, at, blk->bounce, n);
            rc = rc ? rc : be->write(be, disk, blk->bounce, n);
        } else {
            rc = be->read(be, disk, blk->bounce, n);
            rc = rc ? rc : virtq_chain_write(q, &blk->chain, at,
                                             blk->bounce, n);
        }
        if (rc)
            return rc;
        disk += n;
        at += n;
        len -= n;
    }
    return 0;
}

/* Whether [sector, sector + bytes) lies on the disk, in whole sectors. */
static bool in_range(const struct virtio_blk *blk, uint64_t sector,
                     uint64_t bytes)
{
    uint64_t cap = blk->be->size / VIRTIO_BLK_SECTOR_SIZE;
    return bytes % VIRTIO_BLK_SECTOR_SIZE == 0 && sector <= cap &&
           bytes / VIRTIO_BLK_SECTOR_SIZE <= cap - sector;
}

/* Serve one request; returns the status byte and sets *data to the bytes
 * written into the driver's buffers before the status. */
static uint8_t serve(struct virtio_blk *blk, struct virtq *q,
                     const struct virtio_blk_req_hdr *h, uint32_t *data)
{
    const struct virtq_chain *c = &blk->chain;
    struct blk_backend *be = blk->be;
    uint64_t in_data = c->in_bytes - 1, out_data = c->out_bytes - sizeof(*h);

    *data = 0;
    switch (h->type) {
    case VIRTIO_BLK_T_IN:
        if (!in_range(blk, h->sector, in_data))
            return VIRTIO_BLK_S_IOERR;
        if (copy(blk, q, h->sector * VIRTIO_BLK_SECTOR_SIZE, 0, in_data,
                 false))
            return VIRTIO_BLK_S_IOERR;
        *data = (uint32_t)in_data;
        return VIRTIO_BLK_S_OK;
    case VIRTIO_BLK_T_OUT:
        /* 5.2.6.2: a write to a VIRTIO_BLK_F_RO device fails. */
        if (be->read_only || !in_range(blk, h->sector, out_data))
            return VIRTIO_BLK_S_IOERR;
        if (copy(blk, q, h->sector * VIRTIO_BLK_SECTOR_SIZE, sizeof(*h),
                 out_data, true))
            return VIRTIO_BLK_S_IOERR;
        return VIRTIO_BLK_S_OK;
    case VIRTIO_BLK_T_FLUSH:
        if (!virtio_has(&blk->vdev, VIRTIO_BLK_F_FLUSH) || !be->flush)
            return VIRTIO_BLK_S_UNSUPP;
        return be->flush(be) ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
    case VIRTIO_BLK_T_GET_ID: {
        uint32_t n = (uint32_t)MIN(in_data, (uint64_t)VIRTIO_BLK_ID_BYTES);
        if (virtq_chain_write(q, c, 0, blk->id, n))
            return VIRTIO_BLK_S_IOERR;
        *data = n;
        return VIRTIO_BLK_S_OK;
    }
    default:
        return VIRTIO_BLK_S_UNSUPP;
    }
}

static void notify(struct virtio_dev *d, unsigned qi)
{
    struct virtio_blk *blk = (struct virtio_blk *)d;
    struct virtq *q = &d->queues[REQ_QUEUE].vq;

    if (qi != REQ_QUEUE)
        return;
    for (;;) {
        struct virtio_blk_req_hdr h;
        uint32_t data;
        int rc = virtq_pop(q, &blk->chain);
        if (rc < 0) {
            virtio_needs_reset(d, REQ_QUEUE, virtq_error_name(q->err));
            return;
        }
        if (rc == 0)
            break;
        /* 5.2.6.1: header readable, status byte writable, last. */
        if (blk->chain.out_bytes < sizeof(h) || blk->chain.in_bytes < 1) {
            virtio_needs_reset(d, REQ_QUEUE, "request without a readable "
                               "header or a writable status byte");
            return;
        }
        virtq_chain_read(q, &blk->chain, 0, &h, sizeof(h));
        uint8_t status = serve(blk, q, &h, &data);
        virtq_chain_write(q, &blk->chain, blk->chain.in_bytes - 1, &status,
                          1);
        virtq_push(q, blk->chain.head, data + 1);
    }
    virtio_queue_interrupt(d, REQ_QUEUE);
}

static uint64_t cfg_read(struct virtio_dev *d, unsigned off, unsigned size)
{
    struct virtio_blk *blk = (struct virtio_blk *)d;
    uint64_t v = 0;
    if (off < sizeof(blk->cfg) && size <= sizeof(blk->cfg) - off)
        memcpy(&v, (uint8_t *)&blk->cfg + off, size);
    return v;
}

static const struct virtio_dev_ops blk_ops = {
    .notify = notify,
    .cfg_read = cfg_read,
};

void virtio_blk_init(struct virtio_blk *blk, const char *vm_name,
                     const struct guest_mem *mem, struct blk_backend *be,
                     const char *id)
{
    uint64_t features = BIT(VIRTIO_BLK_F_SEG_MAX) |
                        BIT(VIRTIO_BLK_F_BLK_SIZE);
    if (be->read_only)
        features |= BIT(VIRTIO_BLK_F_RO);
    if (be->stable_flush && be->flush)
        features |= BIT(VIRTIO_BLK_F_FLUSH);
    virtio_dev_init(&blk->vdev, "virtio-blk", vm_name, VIRTIO_ID_BLOCK,
                    features, 1, VIRTIO_BLK_QUEUE_SIZE, mem, &blk_ops);
    blk->be = be;
    memset(&blk->cfg, 0, sizeof(blk->cfg));
    blk->cfg.capacity = be->size / VIRTIO_BLK_SECTOR_SIZE;
    blk->cfg.seg_max = VIRTIO_BLK_SEG_MAX;
    blk->cfg.blk_size = VIRTIO_BLK_SECTOR_SIZE;
    /* 5.2.6: the ID is up to 20 bytes, NUL-padded (not terminated when
     * it fills all 20). */
    memset(blk->id, 0, sizeof(blk->id));
    for (size_t i = 0; i < sizeof(blk->id) && id[i]; i++)
        blk->id[i] = id[i];
}
