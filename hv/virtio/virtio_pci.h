/* The virtio-pci transport, modern interface only: a PCI function whose
 * vendor-specific capabilities point into BAR 0 at the common
 * configuration, notification, ISR and device configuration structures,
 * with MSI-X for interrupts. Device types never see this file.
 * Virtual I/O Device (VIRTIO) Version 1.2, 4.1 "Virtio Over PCI Bus". */
#ifndef KEEL_VIRTIO_PCI_H
#define KEEL_VIRTIO_PCI_H

#include "hv/dev/msix.h"
#include "hv/dev/pci.h"
#include "lib/types.h"
#include "hv/virtio/virtio.h"

struct pci_host;

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

/* BAR 0 layout Keel uses (bytes). */
#define VIRTIO_PCI_BAR          0
#define VIRTIO_PCI_BAR_SIZE     0x8000
#define VIRTIO_PCI_COMMON_OFF   0x0000
#define VIRTIO_PCI_ISR_OFF      0x1000
#define VIRTIO_PCI_DEVICE_OFF   0x2000
#define VIRTIO_PCI_NOTIFY_OFF   0x3000
#define VIRTIO_PCI_MSIX_OFF     0x4000
#define VIRTIO_PCI_PBA_OFF      0x5000
#define VIRTIO_PCI_REGION_SIZE  0x1000
#define VIRTIO_PCI_NOTIFY_MULT  4      /* bytes between queue doorbells */

struct virtio_pci {
    struct pci_dev pci;                 /* first: container of pci_dev */
    struct virtio_dev *vdev;
    struct msix msix;
    unsigned cfg_cap;                   /* offset of the PCI_CFG capability */
    uint32_t device_feature_select, driver_feature_select;
    uint16_t queue_select;
    uint16_t config_msix_vector;
    uint16_t queue_msix_vector[VIRTIO_MAX_QUEUES];
    uint8_t isr;
};

/* Build the PCI function for vdev (class code for the device type), place
 * BAR 0 in host's window, attach it to bus 0 and hook vdev->interrupt.
 * MSI-X messages go to send(ctx, irq). Returns 0, -ENOMEM (no slot or
 * window space) or -EINVAL. */
int virtio_pci_create(struct virtio_pci *vp, struct virtio_dev *vdev,
                      uint32_t class_code, struct pci_host *host,
                      msix_send_fn send, void *ctx);

#endif
