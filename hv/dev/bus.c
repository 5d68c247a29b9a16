/* Port-I/O and MMIO buses (hv/dev/bus.h). A linear table: a VM has a few dozen
 * ranges at most, and exits are rare enough that a scan is not the cost. */
#include "hv/dev/bus.h"
#include "lib/errno.h"

int bus_register(struct bus *bus, uint64_t base, uint64_t len, void *dev,
                 bus_read_fn read, bus_write_fn write, const char *name)
{
    if (!len || base + len < base)
        return -EINVAL;
    for (unsigned i = 0; i < bus->nr; i++) {
        const struct bus_range *r = &bus->ranges[i];
        if (base < r->base + r->len && r->base < base + len)
            return -EBUSY;
    }
    if (bus->nr == BUS_MAX_RANGES)
        return -ENOMEM;
    bus->ranges[bus->nr++] = (struct bus_range){
        .base = base, .len = len, .dev = dev,
        .read = read, .write = write, .name = name,
    };
    return 0;
}

const struct bus_range *bus_find(const struct bus *bus, uint64_t addr)
{
    for (unsigned i = 0; i < bus->nr; i++) {
        const struct bus_range *r = &bus->ranges[i];
        if (addr >= r->base && addr - r->base < r->len)
            return r;
    }
    return NULL;
}

int bus_read(const struct bus *bus, uint64_t addr, unsigned size,
             uint64_t *val)
{
    const struct bus_range *r = bus_find(bus, addr);
    if (!r)
        return -ENOENT;
    if (!r->read) {
        *val = bus_all_ones(size);
        return 0;
    }
    *val = 0;
    return r->read(r->dev, addr - r->base, size, val);
}

int bus_write(const struct bus *bus, uint64_t addr, unsigned size,
              uint64_t val)
{
    const struct bus_range *r = bus_find(bus, addr);
    if (!r)
        return -ENOENT;
    return r->write ? r->write(r->dev, addr - r->base, size, val) : 0;
}
