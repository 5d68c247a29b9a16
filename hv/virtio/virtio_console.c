/* virtio-console (hv/virtio/virtio_console.h). Virtio 1.2, 5.3. */
#include "hv/virtio/virtio_console.h"
#include "lib/string.h"

/* Give held input to the driver: as much as one receive buffer takes.
 * See: 5.3.6.1 "Driver Requirements: Device Operation" (the driver keeps
 * receive buffers posted). */
static void flush_input(struct virtio_console *con)
{
    struct virtio_dev *d = &con->vdev;
    struct virtq *q = &d->queues[VIRTIO_CONSOLE_RX].vq;

    while (con->in_len && virtio_live(d) &&
           d->queues[VIRTIO_CONSOLE_RX].enabled) {
        int rc = virtq_pop(q, &con->rx_chain);
        if (rc < 0) {
            virtio_needs_reset(d, VIRTIO_CONSOLE_RX, virtq_error_name(q->err));
            return;
        }
        if (rc == 0)
            return;
        uint32_t n = (uint32_t)MIN(con->rx_chain.in_bytes, con->in_len);
        if (con->rx_chain.nr_out || n == 0 ||
            virtq_chain_write(q, &con->rx_chain, 0, con->in, n)) {
            virtio_needs_reset(d, VIRTIO_CONSOLE_RX,
                               "receive buffer not device-writable");
            return;
        }
        memmove(con->in, con->in + n, con->in_len - n);
        con->in_len -= n;
        virtq_push(q, con->rx_chain.head, n);
        virtio_queue_interrupt(d, VIRTIO_CONSOLE_RX);
    }
}

/* Write out queued chains, as many as the budget allows (the rest stays
 * pending in the device core). See: 5.3.6 "Device Operation". */
static void transmit(struct virtio_console *con)
{
    struct virtio_dev *d = &con->vdev;
    struct virtq *q = &d->queues[VIRTIO_CONSOLE_TX].vq;
    struct virtq_chain *c = &con->tx_chain;
    bool pushed = false;
    uint8_t buf[128];

    while (virtio_budget_left(d)) {
        int rc = virtq_pop(q, c);
        if (rc < 0) {
            virtio_needs_reset(d, VIRTIO_CONSOLE_TX, virtq_error_name(q->err));
            return;
        }
        if (rc == 0)
            break;
        if (c->out_bytes > VIRTIO_CONSOLE_TX_MAX) {
            virtio_needs_reset(d, VIRTIO_CONSOLE_TX,
                               "transmit chain longer than 64 KiB");
            return;
        }
        virtio_budget_charge(d, 1, c->out_bytes);
        for (uint64_t off = 0; off < c->out_bytes;) {
            uint64_t n = MIN(sizeof(buf), c->out_bytes - off);
            virtq_chain_read(q, c, off, buf, n);
            for (uint64_t i = 0; i < n; i++)
                con->output(con->ctx, (char)buf[i]);
            off += n;
        }
        virtq_push(q, c->head, 0);
        pushed = true;
    }
    if (pushed)
        virtio_queue_interrupt(d, VIRTIO_CONSOLE_TX);
}

static void notify(struct virtio_dev *d, unsigned q)
{
    struct virtio_console *con = (struct virtio_console *)d;
    if (q == VIRTIO_CONSOLE_TX)
        transmit(con);
    else if (q == VIRTIO_CONSOLE_RX)
        flush_input(con);
}

static void reset(struct virtio_dev *d)
{
    struct virtio_console *con = (struct virtio_console *)d;
    con->in_len = 0;
}

/* No feature gives the configuration fields meaning (5.3.4): all zero. */
static uint64_t cfg_read(struct virtio_dev *d, unsigned off, unsigned size)
{
    (void)d;
    (void)off;
    (void)size;
    return 0;
}

static const struct virtio_dev_ops console_ops = {
    .reset = reset,
    .notify = notify,
    .cfg_read = cfg_read,
};

void virtio_console_init(struct virtio_console *con, const char *vm_name,
                         const struct guest_mem *mem,
                         void (*output)(void *ctx, char c), void *ctx)
{
    virtio_dev_init(&con->vdev, "virtio-console", vm_name, VIRTIO_ID_CONSOLE,
                    0, 2, VIRTIO_CONSOLE_QUEUE_SIZE, mem, &console_ops);
    con->output = output;
    con->ctx = ctx;
    con->in_len = 0;
}

bool virtio_console_receive(void *dev, uint8_t c)
{
    struct virtio_console *con = dev;
    if (!virtio_live(&con->vdev) || con->in_len == sizeof(con->in))
        return false;
    con->in[con->in_len++] = c;
    flush_input(con);
    return true;
}
