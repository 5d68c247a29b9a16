/* The persistent virtio-blk back end (hv/virtio/blk_backend.h) on the
 * machine's NVMe controller, driven by drivers/nvme.c. Under QEMU the
 * namespace is backed by a host image file, so the guest's writes outlive
 * Keel. */
#include "drivers/nvme.h"
#include "hv/virtio/blk_nvme.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/virtio_spec.h"
#include "mm/heap.h"

static int nvme_be_read(struct blk_backend *b, uint64_t off, void *buf,
                        uint64_t len)
{
    struct nvme_ctrl *c = b->ctx;
    return nvme_rw(c, false, off / c->lba_bytes, buf, len);
}

static int nvme_be_write(struct blk_backend *b, uint64_t off,
                         const void *buf, uint64_t len)
{
    struct nvme_ctrl *c = b->ctx;
    /* The controller only reads buf on a Write. */
    return nvme_rw(c, true, off / c->lba_bytes, (void *)(uintptr_t)buf,
                   len);
}

static int nvme_be_flush(struct blk_backend *b)
{
    return nvme_flush(b->ctx);
}

int blk_nvme_init(struct blk_backend *b, unsigned index, bool read_only)
{
    struct nvme_ctrl *c = kzalloc(sizeof(*c));
    int err;

    if (!c)
        return -ENOMEM;
    err = nvme_init(c, index);
    if (err)
        return err;   /* c stays allocated: Keel's heap does not free */
    /* virtio-blk offsets are 512-byte sectors; a 4 KiB-LBA namespace
     * would need read-modify-write of partial LBAs, which Keel lacks. */
    if (c->lba_bytes != VIRTIO_BLK_SECTOR_SIZE) {
        log_err("nvme %u: LBA size %u bytes; the virtio-blk back end needs "
                "%u-byte LBAs", index, c->lba_bytes, VIRTIO_BLK_SECTOR_SIZE);
        return -ENOTSUP;
    }
    memset(b, 0, sizeof(*b));
    b->kind = "host NVMe namespace";
    b->size = c->nsze * c->lba_bytes;
    b->read_only = read_only;
    b->stable_flush = true;
    b->read = nvme_be_read;
    b->write = nvme_be_write;
    b->flush = nvme_be_flush;
    b->ctx = c;
    return 0;
}
