/* virtio-net (hv/virtio/virtio_net.h). Virtio 1.2, 5.1. */
#include "hv/virtio/virtio_net.h"
#include "lib/string.h"

/* Send what the driver queued for transmission, as much as the budget
 * allows (the rest stays pending in the device core). Each chain is one
 * header + frame, device-readable only (5.1.6.2 "Packet Transmission").
 * A frame too short or too long for Ethernet is dropped and counted
 * without being read; a chain with writable buffers breaks the rules:
 * DEVICE_NEEDS_RESET. */
static void transmit(struct virtio_net *net)
{
    struct virtio_dev *d = &net->vdev;
    struct virtq *q = &d->queues[VIRTIO_NET_TX].vq;
    struct virtq_chain *c = &net->tx_chain;
    bool pushed = false;

    while (virtio_budget_left(d)) {
        int rc = virtq_pop(q, c);
        if (rc < 0) {
            virtio_needs_reset(d, VIRTIO_NET_TX, virtq_error_name(q->err));
            break;
        }
        if (rc == 0)
            break;
        if (c->nr_in) {
            virtio_needs_reset(d, VIRTIO_NET_TX,
                               "transmit buffer is device-writable");
            break;
        }
        uint64_t len = c->out_bytes;
        if (len < VIRTIO_NET_HDR_BYTES + ETH_HLEN ||
            len > sizeof(net->frame)) {
            virtio_budget_charge(d, 1, 0);
            net->tx_dropped++;
        } else {
            virtio_budget_charge(d, 1, len);
            virtq_chain_read(q, c, 0, net->frame, len);
            net->tx_frames++;
            /* The header carries nothing: no offloads were offered, so
             * flags and gso_type are 0 (5.1.6.2.1 "Driver Requirements:
             * Packet Transmission"). */
            net->transmit(net->ctx, net->frame + VIRTIO_NET_HDR_BYTES,
                          len - VIRTIO_NET_HDR_BYTES);
        }
        virtq_push(q, c->head, 0);
        pushed = true;
    }
    if (pushed)
        virtio_queue_interrupt(d, VIRTIO_NET_TX);
}

void virtio_net_receive(void *dev, const void *frame, size_t len)
{
    struct virtio_net *net = dev;
    struct virtio_dev *d = &net->vdev;
    struct virtq *q = &d->queues[VIRTIO_NET_RX].vq;
    struct virtq_chain *c = &net->rx_chain;

    if (!virtio_live(d) || !d->queues[VIRTIO_NET_RX].enabled ||
        len > ETH_FRAME_MAX) {
        net->rx_dropped++;
        return;
    }
    int rc = virtq_pop(q, c);
    if (rc < 0) {
        virtio_needs_reset(d, VIRTIO_NET_RX, virtq_error_name(q->err));
        return;
    }
    if (rc == 0) {              /* no buffer posted: drop */
        net->rx_dropped++;
        return;
    }
    if (c->nr_out) {
        virtio_needs_reset(d, VIRTIO_NET_RX,
                           "receive buffer is device-readable");
        return;
    }
    /* Without MRG_RXBUF or GUEST_TSO the driver posts buffers of at least
     * 1526 bytes (5.1.6.3.1 "Driver Requirements: Setting Up Receive
     * Buffers"); one too small for this frame is returned empty. */
    if (c->in_bytes < VIRTIO_NET_HDR_BYTES + len) {
        net->rx_dropped++;
        virtq_push(q, c->head, 0);
        virtio_queue_interrupt(d, VIRTIO_NET_RX);
        return;
    }
    /* num_buffers is 1 without VIRTIO_NET_F_MRG_RXBUF; no checksum or GSO
     * information: flags 0, gso_type NONE (5.1.6.4 "Processing of
     * Incoming Packets"). */
    struct virtio_net_hdr hdr = { .num_buffers = 1 };
    virtq_chain_write(q, c, 0, &hdr, sizeof(hdr));
    virtq_chain_write(q, c, sizeof(hdr), frame, len);
    virtq_push(q, c->head, (uint32_t)(sizeof(hdr) + len));
    net->rx_frames++;
    virtio_queue_interrupt(d, VIRTIO_NET_RX);
}

static void notify(struct virtio_dev *d, unsigned q)
{
    /* Receive buffers are used as frames arrive; nothing waits for them. */
    if (q == VIRTIO_NET_TX)
        transmit((struct virtio_net *)d);
}

static uint64_t cfg_read(struct virtio_dev *d, unsigned off, unsigned size)
{
    struct virtio_net *net = (struct virtio_net *)d;
    uint64_t v = 0;
    if (off < sizeof(net->cfg) && size <= sizeof(net->cfg) - off)
        memcpy(&v, (uint8_t *)&net->cfg + off, size);
    return v;
}

static const struct virtio_dev_ops net_ops = {
    .notify = notify,
    .cfg_read = cfg_read,
};

void virtio_net_init(struct virtio_net *net, const char *vm_name,
                     const struct guest_mem *mem, const uint8_t *mac,
                     void (*transmit_fn)(void *ctx, const void *frame,
                                         size_t len),
                     void *ctx)
{
    virtio_dev_init(&net->vdev, "virtio-net", vm_name, VIRTIO_ID_NET,
                    BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS), 2,
                    VIRTIO_NET_QUEUE_SIZE, mem, &net_ops);
    memcpy(net->cfg.mac, mac, ETH_ALEN);
    net->cfg.status = VIRTIO_NET_S_LINK_UP;
    net->cfg.max_virtqueue_pairs = 1;
    net->cfg.mtu = 1500;
    net->transmit = transmit_fn;
    net->ctx = ctx;
}
