/* Device status, features, queues and reset of a virtio device
 * (hv/virtio/virtio.h). Virtio 1.2, 2.1, 2.2, 2.4, 3.1. */
#include "hv/virtio/virtio.h"
#include "lib/log.h"
#include "lib/string.h"

void virtio_dev_init(struct virtio_dev *d, const char *name,
                     const char *vm_name, uint16_t device_id,
                     uint64_t features, unsigned nr_queues,
                     uint16_t max_size, const struct guest_mem *mem,
                     const struct virtio_dev_ops *ops)
{
    memset(d, 0, sizeof(*d));
    d->name = name;
    d->vm_name = vm_name;
    d->device_id = device_id;
    d->host_features = features | BIT(VIRTIO_F_VERSION_1) |
                       BIT(VIRTIO_F_INDIRECT_DESC) | BIT(VIRTIO_F_EVENT_IDX);
    d->nr_queues = MIN(nr_queues, VIRTIO_MAX_QUEUES);
    for (unsigned q = 0; q < d->nr_queues; q++) {
        d->queues[q].max_size = max_size;
        d->queues[q].size = max_size;
    }
    d->mem = mem;
    d->ops = ops;
}

static void reset(struct virtio_dev *d)
{
    d->status = 0;
    d->guest_features = 0;
    d->failure_logged = false;
    d->pending = 0;
    for (unsigned q = 0; q < d->nr_queues; q++) {
        struct virtio_queue *vq = &d->queues[q];
        vq->size = vq->max_size;
        vq->desc = vq->driver = vq->device = 0;
        vq->enabled = false;
        virtq_reset(&vq->vq);
    }
    if (d->ops->reset)
        d->ops->reset(d);
}

bool virtio_live(const struct virtio_dev *d)
{
    return (d->status & VIRTIO_STATUS_DRIVER_OK) &&
           !(d->status & (VIRTIO_STATUS_DEVICE_NEEDS_RESET |
                          VIRTIO_STATUS_FAILED));
}

void virtio_set_status(struct virtio_dev *d, uint8_t status)
{
    if (status == 0) {
        reset(d);
        return;
    }
    /* NEEDS_RESET is the device's bit: the driver cannot set or clear
     * it except by a reset. */
    uint8_t keep = d->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET;
    status &= (uint8_t)~VIRTIO_STATUS_DEVICE_NEEDS_RESET;
    if ((status & VIRTIO_STATUS_FEATURES_OK) &&
        !(d->status & VIRTIO_STATUS_FEATURES_OK)) {
        /* 3.1.1: accept only a subset of what we offered, and modern
         * devices only (VIRTIO_F_VERSION_1, 6.1). */
        if ((d->guest_features & ~d->host_features) ||
            !virtio_has(d, VIRTIO_F_VERSION_1)) {
            log_once(LOG_WARN, "vm %s: %s: driver accepted features "
                     "%#llx of %#llx (VERSION_1 is required); "
                     "FEATURES_OK refused", d->vm_name, d->name,
                     (unsigned long long)d->guest_features,
                     (unsigned long long)d->host_features);
            status &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
        }
    }
    d->status = status | keep;
}

void virtio_set_guest_features(struct virtio_dev *d, unsigned select,
                               uint32_t bits)
{
    if (select > 1 || (d->status & VIRTIO_STATUS_FEATURES_OK))
        return;
    unsigned shift = select * 32;
    d->guest_features = (d->guest_features & ~(0xffffffffULL << shift)) |
                        ((uint64_t)bits << shift);
}

uint32_t virtio_host_features(const struct virtio_dev *d, unsigned select)
{
    return select > 1 ? 0 : (uint32_t)(d->host_features >> (select * 32));
}

void virtio_needs_reset(struct virtio_dev *d, int q, const char *why)
{
    if (d->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
        return;
    d->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
    if (!d->failure_logged) {
        d->failure_logged = true;
        if (q >= 0)
            log_warn("vm %s: %s queue %d: %s; device needs reset",
                     d->vm_name, d->name, q, why);
        else
            log_warn("vm %s: %s: %s; device needs reset", d->vm_name,
                     d->name, why);
    }
    /* 4.1.5.2: a configuration change notification tells the driver. */
    if (d->interrupt && (d->status & VIRTIO_STATUS_DRIVER_OK))
        d->interrupt(d, -1);
}

void virtio_queue_enable(struct virtio_dev *d, unsigned q)
{
    if (q >= d->nr_queues || !d->queues[q].max_size)
        return;
    struct virtio_queue *vq = &d->queues[q];
    if (vq->size > vq->max_size) {
        virtio_needs_reset(d, (int)q, "queue size above the maximum");
        return;
    }
    if (virtq_start(&vq->vq, d->mem, vq->size, vq->desc, vq->driver,
                    vq->device, virtio_has(d, VIRTIO_F_EVENT_IDX))) {
        virtio_needs_reset(d, (int)q, virtq_error_name(vq->vq.err));
        return;
    }
    vq->enabled = true;
}

/* Run queue q's device work with a fresh budget; if the budget ran out,
 * the queue stays pending for virtio_dev_poll. */
static void run_queue(struct virtio_dev *d, unsigned q)
{
    d->pending &= ~BIT(q);
    if (!d->queues[q].enabled || !virtio_live(d) || !d->ops->notify)
        return;
    d->budget_chains = VIRTIO_BUDGET_CHAINS;
    d->budget_bytes = VIRTIO_BUDGET_BYTES;
    d->ops->notify(d, q);
    if (!virtio_budget_left(d) && virtio_live(d))
        d->pending |= BIT(q);
}

void virtio_queue_notify(struct virtio_dev *d, unsigned q)
{
    if (q < d->nr_queues)
        run_queue(d, q);
}

bool virtio_dev_poll(struct virtio_dev *d)
{
    uint32_t todo = d->pending;
    for (unsigned q = 0; todo && q < d->nr_queues; q++)
        if (todo & BIT(q))
            run_queue(d, q);
    return d->pending != 0;
}

void virtio_queue_interrupt(struct virtio_dev *d, unsigned q)
{
    if (q < d->nr_queues && virtq_should_interrupt(&d->queues[q].vq) &&
        d->interrupt)
        d->interrupt(d, (int)q);
}
