/* virtio-blk: one request queue served from a block back end
 * (hv/virtio/blk_backend.h), one request at a time, in steps of at most
 * VIRTIO_BLK_BOUNCE bytes (VIRTIO_BLK_STEP for a back end that takes
 * guest buffers in place) within the device core's budget
 * (hv/virtio/virtio.h): a large request continues over several exits.
 * Offers VIRTIO_BLK_F_SEG_MAX, SIZE_MAX and BLK_SIZE, VIRTIO_BLK_F_RO for
 * read-only back ends, VIRTIO_BLK_F_FLUSH only for back ends whose flush
 * reaches stable storage.
 * Virtual I/O Device (VIRTIO) Version 1.2, 5.2 "Block Device". */
#ifndef KEEL_VIRTIO_BLK_H
#define KEEL_VIRTIO_BLK_H

#include "hv/virtio/blk_backend.h"
#include "hv/virtio/virtio.h"
#include "lib/types.h"
#include "lib/virtio_spec.h"

#define VIRTIO_BLK_QUEUE_SIZE  256
/* Data segments per request: the chain also holds header and status. */
#define VIRTIO_BLK_SEG_MAX     (VIRTQ_MAX_SG - 2)

#define VIRTIO_BLK_BOUNCE 65536   /* bytes copied per step */
/* Bytes per step when the back end takes guest buffers in place (rwv):
 * one request to it, waited for within the exit (about 1-2 ms for the
 * machine's virtio-blk under QEMU TCG, inside the budget's 5 ms). */
#define VIRTIO_BLK_STEP (1024 * 1024)
/* Bytes per buffer (size_max): with seg_max data segments a request holds
 * at most 254 x 64 KiB, about 16 MiB. A chain with a longer buffer is
 * answered VIRTIO_BLK_S_IOERR without touching the disk (5.2.6). */
#define VIRTIO_BLK_SIZE_MAX VIRTIO_BLK_BOUNCE

struct virtio_blk {
    struct virtio_dev vdev;          /* first */
    struct blk_backend *be;
    struct virtio_blk_config cfg;
    struct virtq_chain chain;        /* the request being served */
    struct virtio_blk_req_hdr hdr;   /* its header */
    bool busy;                       /* chain taken, not yet returned */
    uint64_t done;                   /* data bytes moved for it so far */
    uint8_t bounce[VIRTIO_BLK_BOUNCE];
    /* The buffers of one in-place step (rwv): host pointers, GPAs. */
    struct blk_seg segs[BLK_MAX_SEGS];
    gpa_t gpas[BLK_MAX_SEGS];
    char id[VIRTIO_BLK_ID_BYTES];
};

/* Set up blk over back end be on guest memory mem; id is the serial
 * GET_ID returns (cut to 20 bytes). */
void virtio_blk_init(struct virtio_blk *blk, const char *vm_name,
                     const struct guest_mem *mem, struct blk_backend *be,
                     const char *id);

#endif
