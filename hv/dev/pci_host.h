/* The PCI host bridge of a VM: configuration mechanism #1 (ports 0xCF8
 * address, 0xCFC-0xCFF data) for bus 0, a host bridge function at 00:00.0,
 * up to 31 attached functions, and the 32-bit memory window in which their
 * BARs live (one MMIO bus range; accesses go to the function whose memory
 * BAR holds the address, if its command register enables memory).
 * PCI Local Bus Specification 3.0, 3.2.2.3.2 "Software Generation of
 * Configuration Transactions". The DSDT describes the same bus and window
 * (hv/acpi/acpi_dsdt.c, PNP0A03). */
#ifndef KEEL_PCI_HOST_H
#define KEEL_PCI_HOST_H

#include "hv/dev/pci.h"
#include "lib/types.h"

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA    0xcfc
#define PCI_CONFIG_PORTS   8

/* CONFIG_ADDRESS fields. */
#define PCI_CONF1_ENABLE   0x80000000u
#define PCI_CONF1_BUS(a)   (((a) >> 16) & 0xff)
#define PCI_CONF1_DEV(a)   (((a) >> 11) & 0x1f)
#define PCI_CONF1_FN(a)    (((a) >> 8) & 0x7)
#define PCI_CONF1_REG(a)   ((a) & 0xfc)

/* The memory window (GPA) for BARs: from the end of low RAM (3 GiB,
 * hv/core/vm.c) to the IOAPIC page. */
#define PCI_MMIO_BASE 0xC0000000u
#define PCI_MMIO_END  0xFEC00000u   /* exclusive */
#define PCI_MMIO_SIZE (PCI_MMIO_END - PCI_MMIO_BASE)

#define PCI_MAX_DEVS 32   /* device numbers on bus 0 (function 0 only) */

/* The host bridge's IDs: Red Hat's "QEMU PCI host bridge" ID, class 0600
 * (host bridge); Linux's PCI sanity check accepts any host bridge. */
#define PCI_HOST_VENDOR 0x1b36
#define PCI_HOST_DEVICE 0x0008

struct pci_host {
    uint32_t address;                  /* the CONFIG_ADDRESS latch */
    struct pci_dev bridge;             /* 00:00.0 */
    struct pci_dev *devs[PCI_MAX_DEVS];
    uint32_t next_mmio;                /* BAR allocation cursor (GPA) */
};

/* Set up the latch, the host bridge at 00:00.0 and the BAR allocator. */
void pci_host_init(struct pci_host *h);

/* A VM reset: the latch and the host bridge back to their power-on state,
 * and every attached function's ops->reset; the functions stay attached
 * at their device numbers and keep their BAR space. */
void pci_host_reset(struct pci_host *h);

/* Put d at the next free device number on bus 0. Returns the device
 * number (1..31) or -ENOMEM. */
int pci_host_attach(struct pci_host *h, struct pci_dev *d);

/* Reserve `size` bytes (power of two) of the memory window, size-aligned,
 * for a BAR. Returns the GPA, or 0 when the window is full. */
uint32_t pci_host_alloc_mmio(struct pci_host *h, uint32_t size);

/* Ports 0xCF8-0xCFF (bus_read_fn / bus_write_fn, offset from 0xCF8). */
int pci_host_read(void *dev, uint64_t offset, unsigned size, uint64_t *val);
int pci_host_write(void *dev, uint64_t offset, unsigned size, uint64_t val);

/* The memory window (bus callbacks, offset from PCI_MMIO_BASE). An access
 * no BAR claims reads all-ones and is ignored on write, as on a real bus
 * (master abort). */
int pci_host_mmio_read(void *dev, uint64_t offset, unsigned size,
                       uint64_t *val);
int pci_host_mmio_write(void *dev, uint64_t offset, unsigned size,
                        uint64_t val);

#endif
