/* PCI configuration ports with no device behind them (hv/dev/pci_host.h). */
#include "hv/dev/pci_host.h"

int pci_host_read(void *dev, uint64_t offset, unsigned size, uint64_t *val)
{
    struct pci_host *h = dev;
    if (offset == 0 && size == 4) {
        *val = h->address;
        return 0;
    }
    /* Data port (or a partial access to the address port, which PCI
     * mechanism #1 passes through to the bus): no device answers. */
    *val = size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
    return 0;
}

int pci_host_write(void *dev, uint64_t offset, unsigned size, uint64_t val)
{
    struct pci_host *h = dev;
    /* Only a 32-bit write to 0xCF8 sets the latch; bits 1:0 are always 0. */
    if (offset == 0 && size == 4)
        h->address = (uint32_t)val & ~3u;
    return 0;
}
