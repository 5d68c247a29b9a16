/* The port-I/O and MMIO buses (DESIGN.md, "Devices are plain objects on
 * buses"): address ranges mapped to {read, write} callbacks. Devices know
 * nothing of exits or vendors; the exit handlers and the emulator call
 * bus_read/bus_write. */
#ifndef KEEL_BUS_H
#define KEEL_BUS_H

#include "lib/types.h"

#define BUS_MAX_RANGES 48

/* Access of size 1, 2, 4 or 8 bytes at offset (bytes from the range's
 * base). Return 0, or a negative error (the caller logs it and treats the
 * access as to an absent device). Reads fill *val (zero-extended). */
typedef int (*bus_read_fn)(void *dev, uint64_t offset, unsigned size,
                           uint64_t *val);
typedef int (*bus_write_fn)(void *dev, uint64_t offset, unsigned size,
                            uint64_t val);

struct bus_range {
    uint64_t base;
    uint64_t len;      /* bytes (or ports) */
    void *dev;
    bus_read_fn read;  /* NULL: reads return all-ones */
    bus_write_fn write;/* NULL: writes are ignored */
    const char *name;  /* device name for logs and the monitor */
};

struct bus {
    const char *name;  /* "pio" or "mmio" */
    struct bus_range ranges[BUS_MAX_RANGES];
    unsigned nr;
};

/* The value an access of size bytes (1, 2, 4 or 8) reads when nothing
 * drives the bus: all ones, as an ISA read of an empty port or a PCI
 * master abort returns. */
static inline uint64_t bus_all_ones(unsigned size)
{
    return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

/* Map [base, base+len) to dev. Returns 0, -EINVAL (len 0 or overflow),
 * -EBUSY (overlaps an existing range) or -ENOMEM (table full). */
int bus_register(struct bus *bus, uint64_t base, uint64_t len, void *dev,
                 bus_read_fn read, bus_write_fn write, const char *name);

/* The range holding addr, or NULL. */
const struct bus_range *bus_find(const struct bus *bus, uint64_t addr);

/* Dispatch an access. Returns 0, -ENOENT when no device claims addr (the
 * caller decides: ports read all-ones, MMIO stops the VM), or the device's
 * error. */
int bus_read(const struct bus *bus, uint64_t addr, unsigned size,
             uint64_t *val);
int bus_write(const struct bus *bus, uint64_t addr, unsigned size,
              uint64_t val);

#endif
