/* The in-memory virtio-blk back end (hv/virtio/blk_backend.h). */
#include "hv/virtio/blk_ram.h"
#include "lib/string.h"

static int ram_read(struct blk_backend *b, uint64_t off, void *buf,
                    uint64_t len)
{
    memcpy(buf, (uint8_t *)b->ctx + off, len);
    return 0;
}

static int ram_write(struct blk_backend *b, uint64_t off, const void *buf,
                     uint64_t len)
{
    memcpy((uint8_t *)b->ctx + off, buf, len);
    return 0;
}

int blk_ram_rwv(struct blk_backend *b, bool write, uint64_t off,
                const struct blk_seg *segs, unsigned n)
{
    for (unsigned i = 0; i < n; off += segs[i].len, i++) {
        if (write)
            ram_write(b, off, segs[i].buf, segs[i].len);
        else
            ram_read(b, off, segs[i].buf, segs[i].len);
    }
    return 0;
}

void blk_ram_init(struct blk_backend *b, void *data, uint64_t size,
                  bool read_only)
{
    memset(b, 0, sizeof(*b));
    b->kind = "in-memory image";
    b->size = ALIGN_DOWN(size, 512);
    b->read_only = read_only;
    b->stable_flush = false;   /* RAM: nothing survives power-off */
    b->read = ram_read;
    b->write = ram_write;
    b->ctx = data;
}
