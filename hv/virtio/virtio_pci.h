/* The virtio-pci transport, modern interface only: a PCI function whose
 * vendor-specific capabilities point into BAR 0 at the common
 * configuration, notification, ISR and device configuration structures,
 * with MSI-X for interrupts. Device types never see this file.
 * Virtual I/O Device (VIRTIO) Version 1.2, 4.1 "Virtio Over PCI Bus". */
#ifndef KEEL_VIRTIO_PCI_H
#define KEEL_VIRTIO_PCI_H

#include "hv/dev/msix.h"
#include "hv/dev/pci.h"
#include "hv/virtio/virtio.h"
#include "lib/types.h"
#include "lib/virtio_spec.h"

struct pci_host;

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
    uint32_t class_code;                /* as created, for a reset */
    uint32_t bar_gpa;                   /* BAR 0 as first assigned */
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
 * window space) or -EINVAL. A VM reset (pci_host_reset) puts the function
 * and vdev back to this state in place, allocating nothing. */
int virtio_pci_create(struct virtio_pci *vp, struct virtio_dev *vdev,
                      uint32_t class_code, struct pci_host *host,
                      msix_send_fn send, void *ctx);

#endif
