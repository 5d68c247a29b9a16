/* The host machine's PCI bus as Keel's own drivers see it: enumeration and
 * configuration space through configuration mechanism #1 (ports
 * 0xCF8/0xCFC). Reference: PCI Local Bus Specification 3.0, 3.2.2.3.2
 * (configuration mechanism #1), 6.1 (configuration header), 6.2.5 (base
 * addresses), 6.7 (capabilities list). */
#ifndef KEEL_HOSTPCI_H
#define KEEL_HOSTPCI_H

#include "lib/pci_regs.h"
#include "lib/types.h"

/* One function on the host's PCI bus. */
struct hostpci_dev {
    uint8_t bus, dev, fn;
    uint16_t vendor, device;
    uint8_t class_code, subclass;
};

/* Find the index-th (from 0) function with these IDs, scanning bus 0 and
 * every bus below a PCI-to-PCI bridge, in bus/device/function order.
 * Returns 0 and fills *out, or -ENODEV. */
int hostpci_find(uint16_t vendor, uint16_t device, unsigned index,
                 struct hostpci_dev *out);

/* Find the index-th (from 0) function whose class code register (PCI 3.0,
 * 6.2.1: base class, sub-class, programming interface at 0x0B..0x09)
 * matches, in the same order as hostpci_find. Returns 0 and fills *out, or
 * -ENODEV. */
int hostpci_find_class(uint8_t class_code, uint8_t subclass, uint8_t prog_if,
                       unsigned index, struct hostpci_dev *out);

/* Configuration space accessors; off is a byte offset below 256, naturally
 * aligned for its width. */
uint32_t hostpci_read32(const struct hostpci_dev *d, unsigned off);
uint16_t hostpci_read16(const struct hostpci_dev *d, unsigned off);
uint8_t hostpci_read8(const struct hostpci_dev *d, unsigned off);
void hostpci_write32(const struct hostpci_dev *d, unsigned off, uint32_t v);
void hostpci_write16(const struct hostpci_dev *d, unsigned off, uint16_t v);
void hostpci_write8(const struct hostpci_dev *d, unsigned off, uint8_t v);

/* Base address bar (0..5) as the firmware assigned it: a host-physical
 * memory address or an I/O port. *size (bytes) and *is_io are filled when
 * non-NULL; size comes from writing all-ones and restoring the value, with
 * decoding off meanwhile (PCI 3.0, 6.2.5.1). A 64-bit memory BAR uses bar
 * and bar + 1. Returns 0 (and size 0) for an unimplemented BAR. */
uint64_t hostpci_bar(const struct hostpci_dev *d, unsigned bar,
                     uint64_t *size, bool *is_io);

/* Turn on memory and I/O decoding and bus mastering (DMA). */
void hostpci_enable(const struct hostpci_dev *d);

/* Config-space offset of the next capability with this id: from the head
 * of the list when start is 0, else after the capability at offset start
 * (so a caller can visit several of one id). Returns 0 if none. A list that
 * runs longer than 48 entries (a loop) or points below 0x40 ends the
 * walk. */
int hostpci_find_cap(const struct hostpci_dev *d, uint8_t cap_id,
                     unsigned start);

#endif
