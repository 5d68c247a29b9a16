/* virtio-console, one port, no optional features: the transmit queue goes
 * to Keel's console (hv/machine/vconsole.h), typed input comes back through the
 * receive queue. Linux names it hvc0. Transmission follows the device
 * core's budget (hv/virtio/virtio.h): a long queue of output is written
 * over several exits.
 * Virtual I/O Device (VIRTIO) Version 1.2, 5.3 "Console Device". */
#ifndef KEEL_VIRTIO_CONSOLE_H
#define KEEL_VIRTIO_CONSOLE_H

#include "hv/virtio/virtio.h"
#include "lib/types.h"

/* Queues of port 0 (5.3.2 "Virtqueues"). */
#define VIRTIO_CONSOLE_RX 0   /* receiveq: device -> driver */
#define VIRTIO_CONSOLE_TX 1   /* transmitq: driver -> device */

#define VIRTIO_CONSOLE_QUEUE_SIZE 64
#define VIRTIO_CONSOLE_INBUF      64   /* typed bytes held for the guest */
/* Largest transmit chain: Linux's hvc sends at most a page per buffer.
 * A longer chain sets DEVICE_NEEDS_RESET (2.1.2), so one chain is never
 * more work than this. */
#define VIRTIO_CONSOLE_TX_MAX     (64 * 1024)

struct virtio_console {
    struct virtio_dev vdev;             /* first */
    struct virtq_chain rx_chain;        /* scratch: one receive buffer */
    struct virtq_chain tx_chain;        /* scratch: one transmit chain */
    uint8_t in[VIRTIO_CONSOLE_INBUF];   /* typed, not yet delivered */
    unsigned in_len;
    void (*output)(void *ctx, char c);  /* one byte the guest wrote */
    void *ctx;
};

/* Set up the device on guest memory mem; output(ctx, c) receives what the
 * guest transmits. */
void virtio_console_init(struct virtio_console *con, const char *vm_name,
                         const struct guest_mem *mem,
                         void (*output)(void *ctx, char c), void *ctx);

/* One typed byte for the guest (bool-returning input sink, as the UART's
 * uart_receive). Returns false when the device cannot take it now (no
 * driver yet, or its buffer is full): the caller keeps it and retries. */
bool virtio_console_receive(void *con, uint8_t c);

#endif
