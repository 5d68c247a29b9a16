/* A PCI function's configuration space as Keel emulates it: the type 0
 * header, 32-bit memory BARs and a capability list, with a write mask that
 * says which bits the driver may change. Device models (virtio-pci) embed
 * a struct pci_dev and attach it to the host bridge (hv/dev/pci_host.h).
 * PCI Local Bus Specification 3.0, 6.1 "Configuration Space Organization",
 * 6.2.5 "Base Addresses", 6.7 "Capabilities List". */
#ifndef KEEL_DEV_PCI_H
#define KEEL_DEV_PCI_H

#include "lib/pci_regs.h"
#include "lib/types.h"

struct pci_dev;

/* What a device model supplies. BAR accesses come with the BAR index and
 * the byte offset inside it (size 1, 2, 4 or 8; return 0 or a negative
 * error, like a bus callback). cfg_read may answer a config read itself
 * (return true; e.g. a data window); cfg_write is called after the generic
 * masked update of cfg[] with the offset and size the driver wrote. reset
 * (a VM reset, PCI RST#) puts the function and its configuration space
 * back to their power-on state; BARs at the addresses first assigned. */
struct pci_dev_ops {
    int (*bar_read)(struct pci_dev *d, unsigned bar, uint64_t off,
                    unsigned size, uint64_t *val);
    int (*bar_write)(struct pci_dev *d, unsigned bar, uint64_t off,
                     unsigned size, uint64_t val);
    bool (*cfg_read)(struct pci_dev *d, unsigned off, unsigned size,
                     uint32_t *val);
    void (*cfg_write)(struct pci_dev *d, unsigned off, unsigned size,
                      uint32_t val);
    void (*reset)(struct pci_dev *d);
};

struct pci_dev {
    uint8_t cfg[PCI_CFG_SPACE_SIZE];
    uint8_t wmask[PCI_CFG_SPACE_SIZE];  /* 1 bits: the driver may write */
    uint32_t bar_size[PCI_NUM_BARS];    /* bytes (power of 2); 0: unused */
    unsigned cap_end;                   /* next free capability offset */
    uint8_t *cap_last_next;             /* link to patch for the next cap */
    const struct pci_dev_ops *ops;      /* NULL: no BARs, no hooks */
    const char *name;                   /* for logs */
};

/* Fill a type 0 header: IDs, revision, 24-bit class code (base class,
 * subclass, programming interface), no interrupt pin, command register
 * writable (I/O, memory, bus master, INTx disable). */
void pci_dev_init(struct pci_dev *d, const char *name, uint16_t vendor,
                  uint16_t device, uint8_t revision, uint32_t class_code,
                  const struct pci_dev_ops *ops);

/* Give BAR `bar` a 32-bit non-prefetchable memory range of `size` bytes
 * (power of two, >= 16) at GPA `gpa` (size aligned). The driver may move
 * it; the size reads back through the usual all-ones probe (6.2.5.1). */
void pci_set_bar32(struct pci_dev *d, unsigned bar, uint32_t gpa,
                   uint32_t size);

/* Current GPA of a memory BAR (its low flag bits cleared). */
uint32_t pci_bar_gpa(const struct pci_dev *d, unsigned bar);

/* Append a capability: `len` bytes of `body` whose first two bytes (ID,
 * next) are filled here from `id` and the list. Returns its offset in
 * config space, or 0 when it does not fit (a Keel bug: caller panics). */
unsigned pci_add_cap(struct pci_dev *d, uint8_t id, const void *body,
                     unsigned len);

/* Little-endian access to cfg[] (size 1, 2 or 4; off + size <= 256). */
uint32_t pci_cfg_get(const struct pci_dev *d, unsigned off, unsigned size);
void pci_cfg_set(struct pci_dev *d, unsigned off, unsigned size,
                 uint32_t val);

/* A configuration access from the host bridge (size 1, 2 or 4, not
 * crossing a dword). Writes change only wmask bits, then reach
 * ops->cfg_write. */
uint32_t pci_cfg_read(struct pci_dev *d, unsigned off, unsigned size);
void pci_cfg_write(struct pci_dev *d, unsigned off, unsigned size,
                   uint32_t val);

#endif
