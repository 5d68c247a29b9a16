/* virtio-net, one queue pair, no offloads: frames the driver transmits go
 * to a port (Keel's switch, hv/net/netswitch.h); frames for the guest land in
 * the receive buffers the driver posted, or are dropped (and counted) when
 * there are none. Offered: VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS (link
 * always up). No checksum offload, no GSO, no mergeable receive buffers,
 * no control queue.
 * Virtual I/O Device (VIRTIO) Version 1.2, 5.1 "Network Device". */
#ifndef KEEL_VIRTIO_NET_H
#define KEEL_VIRTIO_NET_H

#include "hv/net/netswitch.h"
#include "hv/virtio/virtio.h"
#include "lib/types.h"

/* Feature bits (5.1.3 "Feature bits"), as bit numbers. */
#define VIRTIO_NET_F_MAC    5
#define VIRTIO_NET_F_STATUS 16

/* Configuration status field (5.1.4). */
#define VIRTIO_NET_S_LINK_UP 1

/* Queues of the first pair (5.1.2 "Virtqueues"). */
#define VIRTIO_NET_RX 0     /* receiveq1: device -> driver */
#define VIRTIO_NET_TX 1     /* transmitq1: driver -> device */

#define VIRTIO_NET_QUEUE_SIZE 256

/* Device configuration layout (5.1.4), little-endian; only mac and
 * status are meaningful with the features Keel offers. */
struct virtio_net_config {
    uint8_t mac[ETH_ALEN];
    uint16_t status;
    uint16_t max_virtqueue_pairs;
    uint16_t mtu;
} __attribute__((packed));
_Static_assert(offsetof(struct virtio_net_config, status) == 6, "status");
_Static_assert(sizeof(struct virtio_net_config) == 12, "net config size");

/* The header in front of every frame in both directions (5.1.6). With
 * VIRTIO_F_VERSION_1 it always has num_buffers: 12 bytes. */
struct virtio_net_hdr {
    uint8_t flags;
    uint8_t gso_type;       /* VIRTIO_NET_HDR_GSO_NONE (0) only */
    uint16_t hdr_len;
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
    uint16_t num_buffers;   /* 1 without VIRTIO_NET_F_MRG_RXBUF */
};
_Static_assert(sizeof(struct virtio_net_hdr) == 12, "virtio_net_hdr");

#define VIRTIO_NET_HDR_BYTES sizeof(struct virtio_net_hdr)

struct virtio_net {
    struct virtio_dev vdev;          /* first */
    struct virtio_net_config cfg;
    struct virtq_chain tx_chain;     /* scratch: one transmit chain */
    struct virtq_chain rx_chain;     /* scratch: one receive buffer */
    uint8_t frame[VIRTIO_NET_HDR_BYTES + ETH_FRAME_MAX];
    /* Where transmitted frames go; len is ETH_HLEN..ETH_FRAME_MAX. */
    void (*transmit)(void *ctx, const void *frame, size_t len);
    void *ctx;
    uint64_t tx_frames, tx_dropped;  /* dropped: bad length */
    uint64_t rx_frames, rx_dropped;  /* dropped: no buffer or too small */
};

/* Set up net on guest memory mem with MAC address mac; transmit(ctx, ...)
 * receives every frame the guest sends. */
void virtio_net_init(struct virtio_net *net, const char *vm_name,
                     const struct guest_mem *mem, const uint8_t *mac,
                     void (*transmit)(void *ctx, const void *frame,
                                      size_t len),
                     void *ctx);

/* Deliver one frame (len bytes, no virtio header) to the guest. Dropped
 * and counted when the driver is not ready or has no receive buffer
 * posted. Signature of struct netswitch_port deliver. */
void virtio_net_receive(void *net, const void *frame, size_t len);

#endif
