/* virtio-blk: one request queue served synchronously from a block back end
 * (hv/virtio/blk_backend.h). Offers VIRTIO_BLK_F_SEG_MAX and BLK_SIZE,
 * VIRTIO_BLK_F_RO for read-only back ends, VIRTIO_BLK_F_FLUSH only for
 * back ends whose flush reaches stable storage.
 * Virtual I/O Device (VIRTIO) Version 1.2, 5.2 "Block Device". */
#ifndef KEEL_VIRTIO_BLK_H
#define KEEL_VIRTIO_BLK_H

#include "lib/types.h"
#include "lib/virtio_spec.h"
#include "hv/virtio/blk_backend.h"
#include "hv/virtio/virtio.h"

#define VIRTIO_BLK_QUEUE_SIZE  256
/* Data segments per request: the chain also holds header and status. */
#define VIRTIO_BLK_SEG_MAX     (VIRTQ_MAX_SG - 2)

#define VIRTIO_BLK_BOUNCE 65536   /* bytes copied per step */

struct virtio_blk {
    struct virtio_dev vdev;          /* first */
    struct blk_backend *be;
    struct virtio_blk_config cfg;
    struct virtq_chain chain;
    uint8_t bounce[VIRTIO_BLK_BOUNCE];
    char id[VIRTIO_BLK_ID_BYTES];
};

/* Set up blk over back end be on guest memory mem; id is the serial
 * GET_ID returns (cut to 20 bytes). */
void virtio_blk_init(struct virtio_blk *blk, const char *vm_name,
                     const struct guest_mem *mem, struct blk_backend *be,
                     const char *id);

#endif
