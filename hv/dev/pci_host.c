/* PCI host bridge: configuration mechanism #1 and the BAR window
 * (hv/dev/pci_host.h). */
#include "hv/dev/bus.h"
#include "hv/dev/pci_host.h"
#include "lib/errno.h"

#define PCI_CLASS_BRIDGE_HOST 0x060000

/* The latch and the host bridge's configuration space at power-on. */
static void bridge_power_on(struct pci_host *h)
{
    h->address = 0;
    pci_dev_init(&h->bridge, "host bridge", PCI_HOST_VENDOR, PCI_HOST_DEVICE,
                 0, PCI_CLASS_BRIDGE_HOST, NULL);
}

void pci_host_init(struct pci_host *h)
{
    bridge_power_on(h);
    h->devs[0] = &h->bridge;
    h->next_mmio = PCI_MMIO_BASE;
}

void pci_host_reset(struct pci_host *h)
{
    bridge_power_on(h);
    for (int i = 1; i < PCI_MAX_DEVS; i++)
        if (h->devs[i] && h->devs[i]->ops && h->devs[i]->ops->reset)
            h->devs[i]->ops->reset(h->devs[i]);
}

int pci_host_attach(struct pci_host *h, struct pci_dev *d)
{
    for (int i = 1; i < PCI_MAX_DEVS; i++) {
        if (!h->devs[i]) {
            h->devs[i] = d;
            return i;
        }
    }
    return -ENOMEM;
}

uint32_t pci_host_alloc_mmio(struct pci_host *h, uint32_t size)
{
    uint64_t gpa = ALIGN_UP((uint64_t)h->next_mmio, size);
    if (gpa + size > PCI_MMIO_END)
        return 0;
    h->next_mmio = (uint32_t)(gpa + size);
    return (uint32_t)gpa;
}

/* The function CONFIG_ADDRESS names, or NULL (disabled, other bus, other
 * function, empty slot). */
static struct pci_dev *selected(const struct pci_host *h)
{
    uint32_t a = h->address;
    if (!(a & PCI_CONF1_ENABLE) || PCI_CONF1_BUS(a) != 0 || PCI_CONF1_FN(a))
        return NULL;
    return h->devs[PCI_CONF1_DEV(a)];
}

int pci_host_read(void *dev, uint64_t offset, unsigned size, uint64_t *val)
{
    struct pci_host *h = dev;
    if (offset == 0 && size == 4) {
        *val = h->address;
        return 0;
    }
    *val = bus_all_ones(size);
    if (offset < 4)
        return 0;   /* partial access to the address port: no device */
    unsigned byte = (unsigned)offset - 4;
    struct pci_dev *d = selected(h);
    if (d && byte + size <= 4)
        *val = pci_cfg_read(d, PCI_CONF1_REG(h->address) + byte, size);
    return 0;
}

int pci_host_write(void *dev, uint64_t offset, unsigned size, uint64_t val)
{
    struct pci_host *h = dev;
    /* Only a 32-bit write to 0xCF8 sets the latch; bits 1:0 are always 0. */
    if (offset == 0 && size == 4) {
        h->address = (uint32_t)val & ~3u;
        return 0;
    }
    if (offset < 4)
        return 0;
    unsigned byte = (unsigned)offset - 4;
    struct pci_dev *d = selected(h);
    if (d && byte + size <= 4)
        pci_cfg_write(d, PCI_CONF1_REG(h->address) + byte, size,
                      (uint32_t)val);
    return 0;
}

/* The function and BAR that decode GPA PCI_MMIO_BASE + offset. */
static struct pci_dev *decode(struct pci_host *h, uint64_t offset,
                              unsigned *bar, uint64_t *bar_off)
{
    uint64_t gpa = PCI_MMIO_BASE + offset;
    for (int i = 1; i < PCI_MAX_DEVS; i++) {
        struct pci_dev *d = h->devs[i];
        if (!d || !d->ops ||
            !(pci_cfg_get(d, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY))
            continue;
        for (unsigned b = 0; b < PCI_NUM_BARS; b++) {
            uint64_t base = pci_bar_gpa(d, b);
            if (d->bar_size[b] && gpa >= base &&
                gpa - base < d->bar_size[b]) {
                *bar = b;
                *bar_off = gpa - base;
                return d;
            }
        }
    }
    return NULL;
}

int pci_host_mmio_read(void *dev, uint64_t offset, unsigned size,
                       uint64_t *val)
{
    unsigned bar;
    uint64_t off;
    struct pci_dev *d = decode(dev, offset, &bar, &off);
    *val = bus_all_ones(size);
    if (d && d->ops->bar_read)
        return d->ops->bar_read(d, bar, off, size, val);
    return 0;
}

int pci_host_mmio_write(void *dev, uint64_t offset, unsigned size,
                        uint64_t val)
{
    unsigned bar;
    uint64_t off;
    struct pci_dev *d = decode(dev, offset, &bar, &off);
    if (d && d->ops->bar_write)
        return d->ops->bar_write(d, bar, off, size, val);
    return 0;
}
