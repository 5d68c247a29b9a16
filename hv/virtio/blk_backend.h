/* Where a virtio-blk device keeps its blocks: one interface for every
 * back end (the in-memory image, blk_ram.c; the machine's own virtio-blk
 * device, blk_host.c). Offsets and lengths are
 * bytes, multiples of VIRTIO_BLK_SECTOR_SIZE, already checked against
 * `size` by the device. */
#ifndef KEEL_VIRTIO_BLK_BACKEND_H
#define KEEL_VIRTIO_BLK_BACKEND_H

#include "lib/types.h"

struct blk_backend {
    const char *kind;       /* "in-memory image", for logs */
    uint64_t size;          /* bytes */
    bool read_only;
    bool stable_flush;      /* flush() makes writes survive power-off */
    /* Return 0 or a negative error (reported to the guest as IOERR). */
    int (*read)(struct blk_backend *b, uint64_t off, void *buf,
                uint64_t len);
    int (*write)(struct blk_backend *b, uint64_t off, const void *buf,
                 uint64_t len);
    int (*flush)(struct blk_backend *b);   /* NULL unless stable_flush */
    void *ctx;
};

#endif
