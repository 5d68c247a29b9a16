/* PCI configuration space as the specification lays it out: header
 * offsets, command and status bits, base address register bits, capability
 * and class codes. Shared by Keel's emulated PCI functions (hv/dev/pci.h)
 * and its drivers for the machine's own bus (drivers/hostpci.h).
 * PCI Local Bus Specification 3.0, 6.1 "Configuration Space Organization",
 * 6.2.5 "Base Addresses", 6.7 "Capabilities List"; type 1 (bridge) where
 * marked. */
#ifndef KEEL_PCI_REGS_H
#define KEEL_PCI_REGS_H

#include "lib/types.h"

/* Type 0 header offsets (6.1). */
#define PCI_VENDOR_ID           0x00
#define PCI_DEVICE_ID           0x02
#define PCI_COMMAND             0x04
#define PCI_STATUS              0x06
#define PCI_REVISION_ID         0x08
#define PCI_CLASS_PROG          0x09
#define PCI_CLASS_DEVICE        0x0a   /* subclass, then base class at 0x0b */
#define PCI_HEADER_TYPE         0x0e
#define PCI_BASE_ADDRESS_0      0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID        0x2e
#define PCI_CAPABILITY_LIST     0x34
#define PCI_INTERRUPT_LINE      0x3c
#define PCI_INTERRUPT_PIN       0x3d

#define PCI_COMMAND_IO           0x0001
#define PCI_COMMAND_MEMORY       0x0002
#define PCI_COMMAND_MASTER       0x0004
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS_CAP_LIST      0x0010

/* Capability IDs (PCI Code and ID Assignment Specification 1.11, 2). */
#define PCI_CAP_ID_VNDR 0x09
#define PCI_CAP_ID_MSIX 0x11

#define PCI_CFG_SPACE_SIZE 256
#define PCI_NUM_BARS       6
#define PCI_CAP_FIRST      0x40   /* capabilities start after the header */

#define PCI_SECONDARY_BUS    0x19   /* type 1 (bridge) */

/* Header type: bit 7 multi-function, low bits the layout (6.2.1). */
#define PCI_HEADER_MULTI_FN  0x80
#define PCI_HEADER_BRIDGE    0x01

/* Base address register bits (PCI 3.0, 6.2.5.1). */
#define PCI_BAR_IO           BIT(0)
#define PCI_BAR_MEM_TYPE_64  0x4
#define PCI_BAR_MEM_TYPE_MASK 0x6
#define PCI_BAR_IO_MASK      (~0x3u)
#define PCI_BAR_MEM_MASK     (~0xfu)

/* Class codes used to follow bridges (PCI Code and ID Assignment 1.11). */
#define PCI_CLASS_BRIDGE     0x06
#define PCI_SUBCLASS_PCI_BRIDGE 0x04

#endif
