/* PCI configuration space of an emulated function (hv/dev/pci.h).
 * PCI Local Bus Specification 3.0, chapter 6. */
#include "hv/dev/pci.h"
#include "lib/string.h"

uint32_t pci_cfg_get(const struct pci_dev *d, unsigned off, unsigned size)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < size && off + i < PCI_CFG_SPACE_SIZE; i++)
        v |= (uint32_t)d->cfg[off + i] << (8 * i);
    return v;
}

void pci_cfg_set(struct pci_dev *d, unsigned off, unsigned size,
                 uint32_t val)
{
    for (unsigned i = 0; i < size && off + i < PCI_CFG_SPACE_SIZE; i++)
        d->cfg[off + i] = (uint8_t)(val >> (8 * i));
}

static void set_wmask(struct pci_dev *d, unsigned off, unsigned size,
                      uint32_t mask)
{
    for (unsigned i = 0; i < size; i++)
        d->wmask[off + i] = (uint8_t)(mask >> (8 * i));
}

void pci_dev_init(struct pci_dev *d, const char *name, uint16_t vendor,
                  uint16_t device, uint8_t revision, uint32_t class_code,
                  const struct pci_dev_ops *ops)
{
    memset(d, 0, sizeof(*d));
    d->name = name;
    d->ops = ops;
    pci_cfg_set(d, PCI_VENDOR_ID, 2, vendor);
    pci_cfg_set(d, PCI_DEVICE_ID, 2, device);
    pci_cfg_set(d, PCI_REVISION_ID, 1, revision);
    pci_cfg_set(d, PCI_CLASS_PROG, 1, class_code & 0xff);
    pci_cfg_set(d, PCI_CLASS_DEVICE, 2, class_code >> 8);
    set_wmask(d, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
              PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
    set_wmask(d, PCI_INTERRUPT_LINE, 1, 0xff);
    d->cap_end = PCI_CAP_FIRST;
    d->cap_last_next = &d->cfg[PCI_CAPABILITY_LIST];
}

void pci_set_bar32(struct pci_dev *d, unsigned bar, uint32_t gpa,
                   uint32_t size)
{
    unsigned off = PCI_BASE_ADDRESS_0 + 4 * bar;
    d->bar_size[bar] = size;
    /* Bits 3:0 read 0: memory space, 32-bit, not prefetchable. */
    pci_cfg_set(d, off, 4, gpa & ~(size - 1));
    set_wmask(d, off, 4, ~(size - 1));
}

uint32_t pci_bar_gpa(const struct pci_dev *d, unsigned bar)
{
    return pci_cfg_get(d, PCI_BASE_ADDRESS_0 + 4 * bar, 4) & ~0xfu;
}

unsigned pci_add_cap(struct pci_dev *d, uint8_t id, const void *body,
                     unsigned len)
{
    unsigned off = ALIGN_UP(d->cap_end, 4);
    if (len < 2 || off + len > PCI_CFG_SPACE_SIZE)
        return 0;
    memcpy(&d->cfg[off], body, len);
    d->cfg[off] = id;
    d->cfg[off + 1] = 0;
    *d->cap_last_next = (uint8_t)off;
    d->cap_last_next = &d->cfg[off + 1];
    d->cap_end = off + len;
    pci_cfg_set(d, PCI_STATUS, 2,
                pci_cfg_get(d, PCI_STATUS, 2) | PCI_STATUS_CAP_LIST);
    return off;
}

uint32_t pci_cfg_read(struct pci_dev *d, unsigned off, unsigned size)
{
    uint32_t v;
    if (d->ops && d->ops->cfg_read && d->ops->cfg_read(d, off, size, &v))
        return v;
    return pci_cfg_get(d, off, size);
}

void pci_cfg_write(struct pci_dev *d, unsigned off, unsigned size,
                   uint32_t val)
{
    for (unsigned i = 0; i < size && off + i < PCI_CFG_SPACE_SIZE; i++) {
        uint8_t m = d->wmask[off + i];
        d->cfg[off + i] = (uint8_t)((d->cfg[off + i] & ~m) |
                                    ((val >> (8 * i)) & m));
    }
    if (d->ops && d->ops->cfg_write)
        d->ops->cfg_write(d, off, size, val);
}
