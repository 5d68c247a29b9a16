/* The virtio wire formats shared by Keel's virtio devices (hv/virtio/) and
 * its driver for the machine's own virtio-blk (drivers/virtio_blk_host.c):
 * status and feature bits, the PCI transport's capabilities and common
 * configuration, the block device's configuration and request header.
 * All fields are little-endian, which is x86's order.
 * Virtual I/O Device (VIRTIO) Version 1.2: 2.1 "Device Status Field",
 * 6 "Reserved Feature Bits", 4.1 "Virtio Over PCI Bus", 5.2 "Block Device". */
#ifndef KEEL_VIRTIO_SPEC_H
#define KEEL_VIRTIO_SPEC_H

#include "lib/types.h"

/* Device status bits. See: 2.1 "Device Status Field". */
#define VIRTIO_STATUS_ACKNOWLEDGE        1
#define VIRTIO_STATUS_DRIVER             2
#define VIRTIO_STATUS_DRIVER_OK          4
#define VIRTIO_STATUS_FEATURES_OK        8
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED             128

/* Reserved feature bits (6 "Reserved Feature Bits"), as bit numbers. */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX     29
#define VIRTIO_F_VERSION_1     32

/* Device IDs. See: 5 "Device Types". */
#define VIRTIO_ID_NET     1
#define VIRTIO_ID_BLOCK   2
#define VIRTIO_ID_CONSOLE 3

/* PCI IDs. See: 4.1.2 "PCI Device Discovery": vendor 0x1AF4, device
 * 0x1040 + virtio device ID, revision >= 1 for modern-only devices. */
#define VIRTIO_PCI_VENDOR_ID        0x1af4
#define VIRTIO_PCI_DEVICE_ID_BASE   0x1040
#define VIRTIO_PCI_REVISION         1
#define VIRTIO_PCI_SUBSYS_ID        0x40   /* any value >= 0x40 (4.1.2.1) */

/* Capability types. See: 4.1.4 "Virtio Structure PCI Capabilities". */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG    3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG    5

/* ISR status bits. See: 4.1.4.5 "ISR status capability". */
#define VIRTIO_PCI_ISR_QUEUE  1
#define VIRTIO_PCI_ISR_CONFIG 2

/* One capability in config space (4.1.4). */
struct virtio_pci_cap {
    uint8_t cap_vndr;    /* PCI_CAP_ID_VNDR */
    uint8_t cap_next;
    uint8_t cap_len;
    uint8_t cfg_type;    /* VIRTIO_PCI_CAP_* */
    uint8_t bar;
    uint8_t id;
    uint8_t padding[2];
    uint32_t offset;     /* in the BAR, bytes */
    uint32_t length;     /* bytes */
};
_Static_assert(sizeof(struct virtio_pci_cap) == 16, "virtio_pci_cap size");

/* 4.1.4.4 "Notification structure layout". */
struct virtio_pci_notify_cap {
    struct virtio_pci_cap cap;
    uint32_t notify_off_multiplier;
};
_Static_assert(sizeof(struct virtio_pci_notify_cap) == 20, "notify cap");

/* 4.1.4.9 "PCI configuration access capability". */
struct virtio_pci_cfg_cap {
    struct virtio_pci_cap cap;
    uint8_t pci_cfg_data[4];
};
_Static_assert(sizeof(struct virtio_pci_cfg_cap) == 20, "pci cfg cap");

/* 4.1.4.3 "Common configuration structure layout". */
struct virtio_pci_common_cfg {
    uint32_t device_feature_select;
    uint32_t device_feature;
    uint32_t driver_feature_select;
    uint32_t driver_feature;
    uint16_t config_msix_vector;
    uint16_t num_queues;
    uint8_t device_status;
    uint8_t config_generation;
    uint16_t queue_select;
    uint16_t queue_size;
    uint16_t queue_msix_vector;
    uint16_t queue_enable;
    uint16_t queue_notify_off;
    uint64_t queue_desc;
    uint64_t queue_driver;
    uint64_t queue_device;
    uint16_t queue_notify_data;
    uint16_t queue_reset;
};
_Static_assert(sizeof(struct virtio_pci_common_cfg) == 64, "common cfg");
_Static_assert(offsetof(struct virtio_pci_common_cfg, device_status) == 20,
               "device_status");
_Static_assert(offsetof(struct virtio_pci_common_cfg, queue_desc) == 32,
               "queue_desc");
_Static_assert(offsetof(struct virtio_pci_common_cfg, queue_device) == 48,
               "queue_device");
_Static_assert(offsetof(struct virtio_pci_common_cfg, queue_reset) == 58,
               "queue_reset");

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX  2
#define VIRTIO_BLK_F_RO       5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH    9

/* Request types and status (5.2.6). */
#define VIRTIO_BLK_T_IN     0
#define VIRTIO_BLK_T_OUT    1
#define VIRTIO_BLK_T_FLUSH  4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_SECTOR_SIZE 512   /* capacity and `sector` units */
#define VIRTIO_BLK_ID_BYTES    20

/* Device configuration layout, the fields Keel fills (5.2.4). */
struct virtio_blk_config {
    uint64_t capacity;      /* 512-byte sectors */
    uint32_t size_max;
    uint32_t seg_max;
    uint16_t cylinders;
    uint8_t heads;
    uint8_t sectors;
    uint32_t blk_size;
    uint8_t physical_block_exp;
    uint8_t alignment_offset;
    uint16_t min_io_size;
    uint32_t opt_io_size;
    uint8_t writeback;
    uint8_t unused0;
    uint16_t num_queues;
};
_Static_assert(offsetof(struct virtio_blk_config, seg_max) == 12, "seg_max");
_Static_assert(offsetof(struct virtio_blk_config, blk_size) == 20,
               "blk_size");
_Static_assert(offsetof(struct virtio_blk_config, writeback) == 32,
               "writeback");
_Static_assert(sizeof(struct virtio_blk_config) == 40, "blk config size");

/* The request header, first in every request (5.2.6). */
struct virtio_blk_req_hdr {
    uint32_t type;          /* VIRTIO_BLK_T_* */
    uint32_t reserved;
    uint64_t sector;        /* 512-byte units, for IN and OUT */
};
_Static_assert(sizeof(struct virtio_blk_req_hdr) == 16, "blk req header");

#endif
