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

#endif
