/* virtio-pci modern transport (hv/virtio/virtio_pci.h).
 * Virtio 1.2, 4.1.4 "Virtio Structure PCI Capabilities", 4.1.5 "PCI-specific
 * Initialization And Device Operation". */
#include "hv/dev/bus.h"
#include "hv/dev/pci_host.h"
#include "hv/virtio/virtio_pci.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/string.h"

#define COMMON(f) offsetof(struct virtio_pci_common_cfg, f)

static struct virtio_pci *to_vp(struct pci_dev *d)
{
    return (struct virtio_pci *)d;   /* pci is the first member */
}

/* ---- common configuration (4.1.4.3) ------------------------------------ */

static struct virtio_queue *selected(struct virtio_pci *vp)
{
    struct virtio_dev *d = vp->vdev;
    return vp->queue_select < d->nr_queues ? &d->queues[vp->queue_select]
                                           : NULL;
}

static void common_snapshot(struct virtio_pci *vp,
                            struct virtio_pci_common_cfg *c)
{
    struct virtio_dev *d = vp->vdev;
    struct virtio_queue *q = selected(vp);

    memset(c, 0, sizeof(*c));
    c->device_feature_select = vp->device_feature_select;
    c->device_feature = virtio_host_features(d, vp->device_feature_select);
    c->driver_feature_select = vp->driver_feature_select;
    c->driver_feature = vp->driver_feature_select > 1 ? 0 :
        (uint32_t)(d->guest_features >> (32 * vp->driver_feature_select));
    c->config_msix_vector = vp->config_msix_vector;
    c->num_queues = (uint16_t)d->nr_queues;
    c->device_status = d->status;
    c->config_generation = d->config_generation;
    c->queue_select = vp->queue_select;
    if (q) {
        /* 4.1.4.3.2: queue_size 0 means "queue unavailable". */
        c->queue_size = q->max_size ? q->size : 0;
        c->queue_msix_vector = vp->queue_msix_vector[vp->queue_select];
        c->queue_enable = q->enabled;
        c->queue_notify_off = vp->queue_select;
        c->queue_desc = q->desc;
        c->queue_driver = q->driver;
        c->queue_device = q->device;
    } else {
        c->queue_msix_vector = MSIX_NO_VECTOR;
    }
}

static int common_read(struct virtio_pci *vp, uint64_t off, unsigned size,
                       uint64_t *val)
{
    struct virtio_pci_common_cfg c;
    common_snapshot(vp, &c);
    *val = 0;
    if (off + size <= sizeof(c))
        memcpy(val, (uint8_t *)&c + off, size);
    return 0;
}

/* A vector the function has, else NO_VECTOR (4.1.5.1.2: the device
 * answers NO_VECTOR when it cannot use the one written). */
static uint16_t valid_vector(struct virtio_pci *vp, uint64_t v)
{
    return v < vp->msix.nr ? (uint16_t)v : MSIX_NO_VECTOR;
}

/* Write 32 bits into half `hi` of a 64-bit queue address. */
static void set_half(gpa_t *addr, bool hi, uint64_t v, unsigned size)
{
    if (size == 8)
        *addr = v;
    else if (hi)
        *addr = (*addr & 0xffffffffULL) | (v & 0xffffffffULL) << 32;
    else
        *addr = (*addr & ~0xffffffffULL) | (v & 0xffffffffULL);
}

static void queue_write(struct virtio_pci *vp, uint64_t off, unsigned size,
                        uint64_t val)
{
    struct virtio_queue *q = selected(vp);
    if (!q || !q->max_size)
        return;
    if (off == COMMON(queue_msix_vector) && size == 2) {
        vp->queue_msix_vector[vp->queue_select] = valid_vector(vp, val);
        return;
    }
    if (off == COMMON(queue_enable) && size == 2) {
        if (val == 1 && !q->enabled)
            virtio_queue_enable(vp->vdev, vp->queue_select);
        return;
    }
    if (q->enabled)
        return;     /* 4.1.4.3.2: no changes once the queue is enabled */
    if (off == COMMON(queue_size) && size == 2)
        q->size = (uint16_t)val;
    else if (off >= COMMON(queue_desc) && off < COMMON(queue_desc) + 8)
        set_half(&q->desc, off & 4, val, size);
    else if (off >= COMMON(queue_driver) && off < COMMON(queue_driver) + 8)
        set_half(&q->driver, off & 4, val, size);
    else if (off >= COMMON(queue_device) && off < COMMON(queue_device) + 8)
        set_half(&q->device, off & 4, val, size);
}

static int common_write(struct virtio_pci *vp, uint64_t off, unsigned size,
                        uint64_t val)
{
    struct virtio_dev *d = vp->vdev;

    switch (off) {
    case COMMON(device_feature_select):
        vp->device_feature_select = (uint32_t)val;
        return 0;
    case COMMON(driver_feature_select):
        vp->driver_feature_select = (uint32_t)val;
        return 0;
    case COMMON(driver_feature):
        virtio_set_guest_features(d, vp->driver_feature_select,
                                  (uint32_t)val);
        return 0;
    case COMMON(config_msix_vector):
        vp->config_msix_vector = valid_vector(vp, val);
        return 0;
    case COMMON(device_status):
        virtio_set_status(d, (uint8_t)val);
        if (d->status == 0) {
            /* 4.1.4.3.1: reset also forgets the MSI-X vector choices. */
            vp->config_msix_vector = MSIX_NO_VECTOR;
            for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
                vp->queue_msix_vector[q] = MSIX_NO_VECTOR;
            vp->isr = 0;
        }
        return 0;
    case COMMON(queue_select):
        vp->queue_select = (uint16_t)val;
        return 0;
    default:
        queue_write(vp, off, size, val);
        return 0;
    }
}

/* ---- BAR 0 --------------------------------------------------------------- */

static int bar_read(struct pci_dev *pd, unsigned bar, uint64_t off,
                    unsigned size, uint64_t *val)
{
    struct virtio_pci *vp = to_vp(pd);
    uint64_t region = off & ~(uint64_t)(VIRTIO_PCI_REGION_SIZE - 1);
    uint64_t in = off - region;

    *val = bus_all_ones(size);
    if (bar != VIRTIO_PCI_BAR)
        return 0;
    switch (region) {
    case VIRTIO_PCI_COMMON_OFF:
        return common_read(vp, in, size, val);
    case VIRTIO_PCI_ISR_OFF:
        /* 4.1.4.5: reading ISR status clears it. */
        *val = in == 0 ? vp->isr : 0;
        if (in == 0)
            vp->isr = 0;
        return 0;
    case VIRTIO_PCI_DEVICE_OFF:
        *val = vp->vdev->ops->cfg_read ? vp->vdev->ops->cfg_read(
                                             vp->vdev, (unsigned)in, size)
                                       : 0;
        return 0;
    case VIRTIO_PCI_NOTIFY_OFF:
        *val = 0;
        return 0;
    case VIRTIO_PCI_MSIX_OFF:
        return msix_table_read(&vp->msix, in, size, val);
    case VIRTIO_PCI_PBA_OFF:
        return msix_pba_read(&vp->msix, in, size, val);
    }
    return 0;
}

static int bar_write(struct pci_dev *pd, unsigned bar, uint64_t off,
                     unsigned size, uint64_t val)
{
    struct virtio_pci *vp = to_vp(pd);
    uint64_t region = off & ~(uint64_t)(VIRTIO_PCI_REGION_SIZE - 1);
    uint64_t in = off - region;

    if (bar != VIRTIO_PCI_BAR)
        return 0;
    switch (region) {
    case VIRTIO_PCI_COMMON_OFF:
        return common_write(vp, in, size, val);
    case VIRTIO_PCI_DEVICE_OFF:
        if (vp->vdev->ops->cfg_write)
            vp->vdev->ops->cfg_write(vp->vdev, (unsigned)in, size, val);
        return 0;
    case VIRTIO_PCI_NOTIFY_OFF:
        /* 4.1.5.2: the doorbell of queue q is at q * multiplier. */
        if (in % VIRTIO_PCI_NOTIFY_MULT == 0)
            virtio_queue_notify(vp->vdev,
                                (unsigned)(in / VIRTIO_PCI_NOTIFY_MULT));
        return 0;
    case VIRTIO_PCI_MSIX_OFF:
        return msix_table_write(&vp->msix, in, size, val);
    }
    return 0;
}

/* ---- configuration space hooks ------------------------------------------- */

/* The PCI_CFG capability's window: pci_cfg_data reads and writes `length`
 * bytes at `offset` of BAR `bar` (4.1.4.9.1). */
static bool cfg_window(struct virtio_pci *vp, unsigned off, unsigned size,
                       unsigned *bar, uint32_t *bar_off, uint32_t *len)
{
    unsigned data = vp->cfg_cap + offsetof(struct virtio_pci_cfg_cap,
                                           pci_cfg_data);
    if (!vp->cfg_cap || off < data || off + size > data + 4)
        return false;
    *bar = vp->pci.cfg[vp->cfg_cap + offsetof(struct virtio_pci_cap, bar)];
    *bar_off = pci_cfg_get(&vp->pci, vp->cfg_cap +
                           offsetof(struct virtio_pci_cap, offset), 4);
    *len = pci_cfg_get(&vp->pci, vp->cfg_cap +
                       offsetof(struct virtio_pci_cap, length), 4);
    return *len == 1 || *len == 2 || *len == 4;
}

static bool cfg_read(struct pci_dev *pd, unsigned off, unsigned size,
                     uint32_t *val)
{
    struct virtio_pci *vp = to_vp(pd);
    unsigned bar;
    uint32_t bar_off, len;
    uint64_t v;
    if (!cfg_window(vp, off, size, &bar, &bar_off, &len))
        return false;
    bar_read(pd, bar, bar_off, len, &v);
    *val = (uint32_t)v;
    return true;
}

static void cfg_write(struct pci_dev *pd, unsigned off, unsigned size,
                      uint32_t val)
{
    struct virtio_pci *vp = to_vp(pd);
    unsigned bar;
    uint32_t bar_off, len;
    if (cfg_window(vp, off, size, &bar, &bar_off, &len)) {
        bar_write(pd, bar, bar_off, len, val);
        return;
    }
    if (off < vp->msix.cap + PCI_MSIX_CAP_SIZE && off + size > vp->msix.cap)
        msix_cfg_written(&vp->msix);
}

static void reset(struct pci_dev *pd);

static const struct pci_dev_ops virtio_pci_ops = {
    .bar_read = bar_read,
    .bar_write = bar_write,
    .cfg_read = cfg_read,
    .cfg_write = cfg_write,
    .reset = reset,
};

/* ---- interrupts ---------------------------------------------------------- */

static void interrupt(struct virtio_dev *d, int q)
{
    struct virtio_pci *vp = d->transport;
    vp->isr |= q < 0 ? VIRTIO_PCI_ISR_CONFIG : VIRTIO_PCI_ISR_QUEUE;
    if (!msix_enabled(&vp->msix)) {
        log_once(LOG_WARN, "vm %s: %s: interrupt with MSI-X disabled "
                 "(Keel's virtio-pci has no INTx); dropped", d->vm_name,
                 d->name);
        return;
    }
    msix_notify(&vp->msix, q < 0 ? vp->config_msix_vector
                                 : vp->queue_msix_vector[q]);
}

/* ---- creation ------------------------------------------------------------ */

static unsigned add_cap(struct virtio_pci *vp, uint8_t type, uint32_t offset,
                        uint32_t length, unsigned extra_len,
                        const void *extra)
{
    uint8_t buf[sizeof(struct virtio_pci_notify_cap)] = { 0 };
    struct virtio_pci_cap cap = {
        .cap_len = (uint8_t)(sizeof(cap) + extra_len),
        .cfg_type = type,
        .bar = VIRTIO_PCI_BAR,
        .offset = offset,
        .length = length,
    };
    memcpy(buf, &cap, sizeof(cap));
    if (extra_len)
        memcpy(buf + sizeof(cap), extra, extra_len);
    return pci_add_cap(&vp->pci, PCI_CAP_ID_VNDR, buf, cap.cap_len);
}

/* Fill the function's configuration space and transport registers in
 * their power-on state, BAR 0 at bar_gpa. Returns 0 or -EINVAL. */
static int power_on(struct virtio_pci *vp, uint32_t class_code,
                    uint32_t bar_gpa)
{
    struct virtio_dev *vdev = vp->vdev;
    uint32_t mult = VIRTIO_PCI_NOTIFY_MULT;
    uint8_t zero[4] = { 0 };

    pci_dev_init(&vp->pci, vdev->name, VIRTIO_PCI_VENDOR_ID,
                 (uint16_t)(VIRTIO_PCI_DEVICE_ID_BASE + vdev->device_id),
                 VIRTIO_PCI_REVISION, class_code, &virtio_pci_ops);
    pci_cfg_set(&vp->pci, PCI_SUBSYSTEM_VENDOR_ID, 2, VIRTIO_PCI_VENDOR_ID);
    pci_cfg_set(&vp->pci, PCI_SUBSYSTEM_ID, 2, VIRTIO_PCI_SUBSYS_ID);
    pci_set_bar32(&vp->pci, VIRTIO_PCI_BAR, bar_gpa, VIRTIO_PCI_BAR_SIZE);

    vp->device_feature_select = vp->driver_feature_select = 0;
    vp->queue_select = 0;
    vp->isr = 0;
    vp->config_msix_vector = MSIX_NO_VECTOR;
    for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
        vp->queue_msix_vector[q] = MSIX_NO_VECTOR;

    if (!add_cap(vp, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF,
                 VIRTIO_PCI_REGION_SIZE, 0, NULL) ||
        !add_cap(vp, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_OFF,
                 VIRTIO_PCI_NOTIFY_MULT * vdev->nr_queues, 4, &mult) ||
        !add_cap(vp, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFF, 1, 0,
                 NULL) ||
        !add_cap(vp, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVICE_OFF,
                 VIRTIO_PCI_REGION_SIZE, 0, NULL))
        return -EINVAL;
    /* The PCI_CFG window: bar, offset, length and data are the driver's
     * to write (4.1.4.9). */
    vp->cfg_cap = add_cap(vp, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 4, zero);
    if (!vp->cfg_cap)
        return -EINVAL;
    for (unsigned i = offsetof(struct virtio_pci_cap, bar);
         i < sizeof(struct virtio_pci_cfg_cap); i++)
        if (i < offsetof(struct virtio_pci_cap, id) ||
            i >= offsetof(struct virtio_pci_cap, offset))
            vp->pci.wmask[vp->cfg_cap + i] = 0xff;
    return msix_init(&vp->msix, &vp->pci, vdev->nr_queues + 1,
                     VIRTIO_PCI_BAR, VIRTIO_PCI_MSIX_OFF, VIRTIO_PCI_PBA_OFF,
                     vp->msix.send, vp->msix.ctx);
}

/* PCI reset (a VM reset): the function as created, the virtio device
 * reset as by a 0 written to device_status (2.4 "Device Reset"). */
static void reset(struct pci_dev *pd)
{
    struct virtio_pci *vp = to_vp(pd);
    virtio_set_status(vp->vdev, 0);
    power_on(vp, vp->class_code, vp->bar_gpa);   /* 0: it did at creation */
}

int virtio_pci_create(struct virtio_pci *vp, struct virtio_dev *vdev,
                      uint32_t class_code, struct pci_host *host,
                      msix_send_fn send, void *ctx)
{
    uint32_t gpa = pci_host_alloc_mmio(host, VIRTIO_PCI_BAR_SIZE);
    if (!gpa)
        return -ENOMEM;
    vp->vdev = vdev;
    vp->class_code = class_code;
    vp->bar_gpa = gpa;
    vp->msix.send = send;
    vp->msix.ctx = ctx;
    vdev->transport = vp;
    vdev->interrupt = interrupt;
    int rc = power_on(vp, class_code, gpa);
    if (rc)
        return rc;
    rc = pci_host_attach(host, &vp->pci);
    return rc < 0 ? rc : 0;
}
