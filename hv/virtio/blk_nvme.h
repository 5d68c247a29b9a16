/* The persistent virtio-blk back end on an NVMe namespace
 * (hv/virtio/blk_nvme.c). */
#ifndef KEEL_BLK_NVME_H
#define KEEL_BLK_NVME_H

#include "hv/virtio/blk_backend.h"
#include "lib/types.h"

/* The persistent back end over namespace 1 of the index-th (from 0) NVMe
 * controller of the machine (PCI class 01:08:02, drivers/nvme.c). size is
 * the namespace size in bytes; stable_flush is always set (NVMe Flush,
 * NVM Command Set 1.0 3.2.2; without a volatile write cache a completed
 * write is already stable and Flush is cheap). Only a namespace with
 * 512-byte LBAs (virtio-blk's sector) is accepted.
 * Returns 0, -ENODEV, -ENOTSUP (LBA size other than 512 bytes), -EIO,
 * -ETIMEDOUT or -ENOMEM (from nvme_init). */
int blk_nvme_init(struct blk_backend *b, unsigned index, bool read_only);

#endif
