/* The persistent virtio-blk back end (hv/virtio/blk_host.c). */
#ifndef KEEL_BLK_HOST_H
#define KEEL_BLK_HOST_H

#include "hv/virtio/blk_backend.h"
#include "lib/types.h"

/* The persistent back end over the index-th (from 0) virtio-blk PCI
 * device of the machine (drivers/virtio_blk_host.c). stable_flush is set
 * when that device offers VIRTIO_BLK_F_FLUSH; read-only when asked or when
 * the device is. Returns 0, -ENODEV (no such device or not usable), -EIO
 * or -ENOMEM. */
int blk_host_init(struct blk_backend *b, unsigned index, bool read_only);

#endif
