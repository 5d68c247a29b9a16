/* The in-memory virtio-blk back end (hv/virtio/blk_ram.c). */
#ifndef KEEL_BLK_RAM_H
#define KEEL_BLK_RAM_H

#include "hv/virtio/blk_backend.h"
#include "lib/types.h"

/* The in-memory back end over `size` bytes at host pointer data (the
 * image file boot/ loaded). Writes change only that memory: they are lost
 * at power-off. A size that is not a multiple of 512 is cut down. */
void blk_ram_init(struct blk_backend *b, void *data, uint64_t size,
                  bool read_only);

/* The in-place variant (blk_backend.rwv) over the same memory. Not set by
 * blk_ram_init: here every byte of a step is a copy by Keel, and a
 * VIRTIO_BLK_STEP of 1 MiB would be eight times the byte budget of one
 * exit (hv/virtio/virtio.h); the unit tests use it to test the in-place
 * steps. Returns 0. */
int blk_ram_rwv(struct blk_backend *b, bool write, uint64_t off,
                const struct blk_seg *segs, unsigned n);

#endif
