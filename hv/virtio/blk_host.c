/* The persistent virtio-blk back end (hv/virtio/blk_backend.h): blocks
 * live on the machine's own virtio-blk PCI device, driven by
 * drivers/virtio_blk_host.c. Under QEMU that device is backed by a host
 * image file, so the guest's writes outlive Keel. */
#include "drivers/virtio_blk_host.h"
#include "hv/virtio/blk_host.h"
#include "hv/virtio/virtio_blk.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/heap.h"

static int host_read(struct blk_backend *b, uint64_t off, void *buf,
                     uint64_t len)
{
    return virtio_blk_host_rw(b->ctx, false, off / VIRTIO_BLK_SECTOR_SIZE,
                              buf, len);
}

static int host_write(struct blk_backend *b, uint64_t off, const void *buf,
                      uint64_t len)
{
    /* The driver only reads buf on a write (device-readable buffer). */
    return virtio_blk_host_rw(b->ctx, true, off / VIRTIO_BLK_SECTOR_SIZE,
                              (void *)(uintptr_t)buf, len);
}

/* The driver's buffer list is the back end's: the same two fields. */
_Static_assert(sizeof(struct blk_seg) == sizeof(struct vblk_host_seg) &&
               offsetof(struct blk_seg, len) ==
               offsetof(struct vblk_host_seg, len), "same layout");

static int host_rwv(struct blk_backend *b, bool write, uint64_t off,
                    const struct blk_seg *segs, unsigned n)
{
    return virtio_blk_host_rwv(b->ctx, write, off / VIRTIO_BLK_SECTOR_SIZE,
                               (const struct vblk_host_seg *)segs, n);
}

static int host_flush(struct blk_backend *b)
{
    return virtio_blk_host_flush(b->ctx);
}

int blk_host_init(struct blk_backend *b, unsigned index, bool read_only)
{
    struct virtio_blk_host *h = kzalloc(sizeof(*h));
    int err;

    if (!h)
        return -ENOMEM;
    err = virtio_blk_host_init(h, index);
    if (err)
        return err;   /* h stays allocated: Keel's heap does not free */
    memset(b, 0, sizeof(*b));
    b->kind = "host virtio-blk device";
    b->size = h->capacity * VIRTIO_BLK_SECTOR_SIZE;
    b->read_only = read_only || virtio_blk_host_has(h, VIRTIO_BLK_F_RO);
    /* A host FLUSH is what makes QEMU fsync/flush the image file
     * (5.2.6.2); without the feature the device gives no such promise. */
    b->stable_flush = virtio_blk_host_has(h, VIRTIO_BLK_F_FLUSH);
    /* The machine's virtio-blk device takes buffers at any address
     * (2.7.5): it reads and writes guest RAM itself, several buffers per
     * request, if its size_max allows the guest's buffers. */
    if (!h->size_max || h->size_max >= VIRTIO_BLK_SIZE_MAX)
        b->rwv = host_rwv;
    b->read = host_read;
    b->write = host_write;
    b->flush = b->stable_flush ? host_flush : NULL;
    b->ctx = h;
    return 0;
}
