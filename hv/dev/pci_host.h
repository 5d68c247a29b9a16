/* PCI configuration mechanism #1 (ports 0xCF8 address, 0xCFC-0xCFF data;
 * PCI Local Bus Specification 3.0, 3.2.2.3.2). No device is attached yet:
 * every configuration read returns all-ones, which is how software learns
 * that a slot is empty. */
#ifndef KEEL_PCI_HOST_H
#define KEEL_PCI_HOST_H

#include "hv/types.h"

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA    0xcfc

struct pci_host {
    uint32_t address;     /* the CONFIG_ADDRESS latch */
};

/* Ports 0xCF8-0xCFF (bus_read_fn / bus_write_fn, offset from 0xCF8). */
int pci_host_read(void *dev, uint64_t offset, unsigned size, uint64_t *val);
int pci_host_write(void *dev, uint64_t offset, unsigned size, uint64_t val);

#endif
