/* virtio-blk (hv/virtio/virtio_blk.h). Virtio 1.2, 5.2. */
#include "hv/virtio/virtio_blk.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/guest_mem.h"

#define REQ_QUEUE 0

/* Whether [sector, sector + bytes) lies on the disk, in whole sectors. */
static bool in_range(const struct virtio_blk *blk, uint64_t sector,
                     uint64_t bytes)
{
    uint64_t cap = blk->be->size / VIRTIO_BLK_SECTOR_SIZE;
    return bytes % VIRTIO_BLK_SECTOR_SIZE == 0 && sector <= cap &&
           bytes / VIRTIO_BLK_SECTOR_SIZE <= cap - sector;
}

/* The next pieces of the request's data, if the back end takes guest
 * buffers in place (be->rwv): consecutive buffers from byte `done`, whole
 * sectors each, at most BLK_MAX_SEGS of them and VIRTIO_BLK_STEP bytes,
 * into blk->segs[] and blk->gpas[]. Returns how many (0: none, the bounce
 * buffer it is) and their bytes in *bytes. */
static unsigned direct_pieces(struct virtio_blk *blk, struct virtq *q,
                              uint64_t total, bool write, uint64_t *bytes)
{
    struct blk_seg *segs = blk->segs;
    gpa_t *gpas = blk->gpas;
    uint64_t off = write ? sizeof(blk->hdr) + blk->done : blk->done;
    uint64_t left = MIN(total - blk->done, (uint64_t)VIRTIO_BLK_STEP);
    unsigned n = 0;

    *bytes = 0;
    while (blk->be->rwv && left && n < BLK_MAX_SEGS) {
        uint64_t len;
        if (virtq_chain_piece(&blk->chain, !write, off, &gpas[n], &len))
            break;
        len = MIN(len, left);
        void *p = gmem_ptr(q->mem, gpas[n], len);
        if (!p || len % VIRTIO_BLK_SECTOR_SIZE)
            break;
        segs[n++] = (struct blk_seg){ p, len };
        off += len;
        left -= len;
        *bytes += len;
    }
    return n;
}

/* Move the next piece of a read or write of `total` data bytes: up to
 * BLK_MAX_SEGS guest buffers in place where the back end allows, else at
 * most one bounce buffer through it. Returns -EAGAIN while bytes remain,
 * else a status. */
static int transfer(struct virtio_blk *blk, struct virtq *q, uint64_t total,
                    bool write)
{
    struct blk_backend *be = blk->be;
    uint64_t disk = blk->hdr.sector * VIRTIO_BLK_SECTOR_SIZE + blk->done;
    uint64_t n;
    unsigned k = direct_pieces(blk, q, total, write, &n);
    int rc;

    if (!k)
        n = MIN(total - blk->done, sizeof(blk->bounce));
    if (k) {
        rc = be->rwv(be, write, disk, blk->segs, k);
        for (unsigned i = 0; !write && i < k; i++)      /* the device's DMA */
            gmem_wrote(q->mem, blk->gpas[i], blk->segs[i].len);
    } else if (write) {
        rc = virtq_chain_read(q, &blk->chain, sizeof(blk->hdr) + blk->done,
                              blk->bounce, n);
        rc = rc ? rc : be->write(be, disk, blk->bounce, n);
    } else {
        rc = be->read(be, disk, blk->bounce, n);
        rc = rc ? rc : virtq_chain_write(q, &blk->chain, blk->done,
                                         blk->bounce, n);
    }
    virtio_budget_charge(&blk->vdev, 0, n);
    if (rc)
        return VIRTIO_BLK_S_IOERR;
    blk->done += n;
    return blk->done < total ? -EAGAIN : VIRTIO_BLK_S_OK;
}

/* One step of the request in blk->chain: -EAGAIN while it continues, else
 * its status byte. See: 5.2.6 "Device Operation". */
static int step(struct virtio_blk *blk, struct virtq *q)
{
    const struct virtq_chain *c = &blk->chain;
    const struct virtio_blk_req_hdr *h = &blk->hdr;
    struct blk_backend *be = blk->be;
    uint64_t in_data = c->in_bytes - 1, out_data = c->out_bytes - sizeof(*h);

    switch (h->type) {
    case VIRTIO_BLK_T_IN:
        if (blk->done == 0 && !in_range(blk, h->sector, in_data))
            return VIRTIO_BLK_S_IOERR;
        return in_data ? transfer(blk, q, in_data, false) : VIRTIO_BLK_S_OK;
    case VIRTIO_BLK_T_OUT:
        /* 5.2.6.2: a write to a VIRTIO_BLK_F_RO device fails. */
        if (blk->done == 0 &&
            (be->read_only || !in_range(blk, h->sector, out_data)))
            return VIRTIO_BLK_S_IOERR;
        return out_data ? transfer(blk, q, out_data, true) : VIRTIO_BLK_S_OK;
    case VIRTIO_BLK_T_FLUSH:
        if (!virtio_has(&blk->vdev, VIRTIO_BLK_F_FLUSH) || !be->flush)
            return VIRTIO_BLK_S_UNSUPP;
        return be->flush(be) ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
    case VIRTIO_BLK_T_GET_ID: {
        uint32_t n = (uint32_t)MIN(in_data, (uint64_t)VIRTIO_BLK_ID_BYTES);
        if (virtq_chain_write(q, c, 0, blk->id, n))
            return VIRTIO_BLK_S_IOERR;
        blk->done = n;
        return VIRTIO_BLK_S_OK;
    }
    default:
        return VIRTIO_BLK_S_UNSUPP;
    }
}

/* Take the next request into blk->chain. Returns 1, 0 (none), or -EIO
 * after setting DEVICE_NEEDS_RESET. */
static int start(struct virtio_blk *blk, struct virtq *q)
{
    struct virtio_dev *d = &blk->vdev;
    int rc = virtq_pop(q, &blk->chain);
    if (rc < 0) {
        virtio_needs_reset(d, REQ_QUEUE, virtq_error_name(q->err));
        return -EIO;
    }
    if (rc == 0)
        return 0;
    /* 5.2.6.1: header readable, status byte writable, last. */
    if (blk->chain.out_bytes < sizeof(blk->hdr) || blk->chain.in_bytes < 1) {
        virtio_needs_reset(d, REQ_QUEUE, "request without a readable "
                           "header or a writable status byte");
        return -EIO;
    }
    virtio_budget_charge(d, 1, 0);
    virtq_chain_read(q, &blk->chain, 0, &blk->hdr, sizeof(blk->hdr));
    blk->busy = true;
    blk->done = 0;
    return 1;
}

/* Whether every buffer of the request respects size_max (5.2.4). */
static bool within_size_max(const struct virtq_chain *c)
{
    for (unsigned i = 0; i < c->nr_out + c->nr_in; i++)
        if (c->buf[i].len > VIRTIO_BLK_SIZE_MAX)
            return false;
    return true;
}

/* Write the status byte and return the chain with the bytes written
 * before it (data read for a successful IN or GET_ID). */
static void finish(struct virtio_blk *blk, struct virtq *q, uint8_t status)
{
    uint32_t data = status == VIRTIO_BLK_S_OK &&
                            (blk->hdr.type == VIRTIO_BLK_T_IN ||
                             blk->hdr.type == VIRTIO_BLK_T_GET_ID)
                        ? (uint32_t)blk->done : 0;
    virtq_chain_write(q, &blk->chain, blk->chain.in_bytes - 1, &status, 1);
    virtq_push(q, blk->chain.head, data + 1);
    blk->busy = false;
}

/* Serve requests within the budget; a request cut short by it stays in
 * blk->chain and continues at the next call (virtio_dev_poll). */
static void notify(struct virtio_dev *d, unsigned qi)
{
    struct virtio_blk *blk = (struct virtio_blk *)d;
    struct virtq *q = &d->queues[REQ_QUEUE].vq;
    bool pushed = false;

    if (qi != REQ_QUEUE)
        return;
    while (virtio_budget_left(d)) {
        int status;
        if (blk->busy)
            status = step(blk, q);
        else if (start(blk, q) <= 0)
            break;
        else
            status = within_size_max(&blk->chain) ? step(blk, q)
                                                  : VIRTIO_BLK_S_IOERR;
        if (status == -EAGAIN)
            continue;
        finish(blk, q, (uint8_t)status);
        pushed = true;
    }
    if (pushed)
        virtio_queue_interrupt(d, REQ_QUEUE);
}

static void reset(struct virtio_dev *d)
{
    struct virtio_blk *blk = (struct virtio_blk *)d;
    blk->busy = false;
    blk->done = 0;
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
    .reset = reset,
    .notify = notify,
    .cfg_read = cfg_read,
};

void virtio_blk_init(struct virtio_blk *blk, const char *vm_name,
                     const struct guest_mem *mem, struct blk_backend *be,
                     const char *id)
{
    uint64_t features = BIT(VIRTIO_BLK_F_SEG_MAX) |
                        BIT(VIRTIO_BLK_F_SIZE_MAX) |
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
    blk->cfg.size_max = VIRTIO_BLK_SIZE_MAX;
    blk->cfg.seg_max = VIRTIO_BLK_SEG_MAX;
    blk->cfg.blk_size = VIRTIO_BLK_SECTOR_SIZE;
    /* 5.2.6: the ID is up to 20 bytes, NUL-padded (not terminated when
     * it fills all 20). */
    memset(blk->id, 0, sizeof(blk->id));
    for (size_t i = 0; i < sizeof(blk->id) && id[i]; i++)
        blk->id[i] = id[i];
}
