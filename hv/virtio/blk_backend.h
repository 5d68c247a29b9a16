/* Where a virtio-blk device keeps its blocks: one interface for every
 * back end (the in-memory image, blk_ram.c; the machine's own virtio-blk
 * device, blk_host.c). Offsets and lengths are
 * bytes, multiples of VIRTIO_BLK_SECTOR_SIZE, already checked against
 * `size` by the device. */
#ifndef KEEL_VIRTIO_BLK_BACKEND_H
#define KEEL_VIRTIO_BLK_BACKEND_H

#include "lib/types.h"

/* One buffer of a vectored request: a host pointer (into guest RAM, any
 * alignment) and its length in bytes, a multiple of 512. */
struct blk_seg {
    void *buf;
    uint64_t len;
};
#define BLK_MAX_SEGS 256    /* buffers per rwv call */

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
    /* Optional: read (write false) or write the n buffers segs[0..n)
     * (1 <= n <= BLK_MAX_SEGS, each at most VIRTIO_BLK_SIZE_MAX bytes) in
     * place, as one request over consecutive bytes from off. With it the
     * device moves guest buffers without its bounce buffer. 0 or a
     * negative error. */
    int (*rwv)(struct blk_backend *b, bool write, uint64_t off,
               const struct blk_seg *segs, unsigned n);
    void *ctx;
};

#endif
