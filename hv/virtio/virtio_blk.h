/* virtio-blk: one request queue served synchronously from a block back end
 * (hv/virtio/blk_backend.h). Offers VIRTIO_BLK_F_SEG_MAX and BLK_SIZE,
 * VIRTIO_BLK_F_RO for read-only back ends, VIRTIO_BLK_F_FLUSH only for
 * back ends whose flush reaches stable storage.
 * Virtual I/O Device (VIRTIO) Version 1.2, 5.2 "Block Device". */
#ifndef KEEL_VIRTIO_BLK_H
#define KEEL_VIRTIO_BLK_H

#include "lib/types.h"
#include "hv/virtio/blk_backend.h"
#include "hv/virtio/virtio.h"

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX  2
#define VIRTIO_BLK_F_RO       5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH    9

/* Request types and status (5.2.6). */
#define VIRTIO_BLK_T_IN     0
#define VIRTIO_BLK_T_OUT    1
#define VIRTIO_BLK_T_FLUSH  4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_SECTOR_SIZE 512   /* capacity and `sector` units */
#define VIRTIO_BLK_ID_BYTES    20
#define VIRTIO_BLK_QUEUE_SIZE  256
/* Data segments per request: the chain also holds header and status. */
#define VIRTIO_BLK_SEG_MAX     (VIRTQ_MAX_SG - 2)

/* Device configuration layout, the fields Keel fills (5.2.4). */
struct virtio_blk_config {
    uint64_t capacity;      /* 512-byte sectors */
    uint32_t size_max;
    uint32_t seg_max;
    uint16_t cylinders;
    uint8_t heads;
    uint8_t sectors;
    uint32_t blk_size;
    uint8_t physical_block_exp;
    uint8_t alignment_offset;
    uint16_t min_io_size;
    uint32_t opt_io_size;
    uint8_t writeback;
    uint8_t unused0;
    uint16_t num_queues;
};
_Static_assert(offsetof(struct virtio_blk_config, seg_max) == 12, "seg_max");
_Static_assert(offsetof(struct virtio_blk_config, blk_size) == 20,
               "blk_size");
_Static_assert(offsetof(struct virtio_blk_config, writeback) == 32,
               "writeback");
_Static_assert(sizeof(struct virtio_blk_config) == 40, "blk config size");

/* The request header, first in every request (5.2.6). */
struct virtio_blk_req_hdr {
    uint32_t type;          /* VIRTIO_BLK_T_* */
    uint32_t reserved;
    uint64_t sector;        /* 512-byte units, for IN and OUT */
};
_Static_assert(sizeof(struct virtio_blk_req_hdr) == 16, "blk req header");

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
