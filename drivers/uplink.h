/* The contract between a NIC driver (drivers/e1000.c) and whoever attaches
 * the NIC to the VMs' network (hv/net/net.c, wired by hv_main). The driver
 * fills everything but `receive`; the attacher sets `receive`, which the
 * driver calls from its poll for every good frame. Drivers are below hv/,
 * so this is how a received frame travels up without an upward include. */
#ifndef KEEL_UPLINK_H
#define KEEL_UPLINK_H

#include "lib/eth.h"
#include "lib/types.h"

struct net_uplink {
    const char *name;
    uint8_t mac[ETH_ALEN];
    /* Send one frame of len bytes (ETH_HLEN..ETH_FRAME_MAX, no FCS); the
     * driver copies it before returning. Drops when its ring is full. */
    void (*transmit)(void *ctx, const void *frame, size_t len);
    void (*poll)(void *ctx);    /* look for received frames; cheap if none */
    void (*report)(void *ctx);  /* log the driver's counters; may be NULL */
    void *ctx;
    /* Set by the attacher: a received frame (len bytes, valid only during
     * the call). NULL: frames are dropped. */
    void (*receive)(void *receive_ctx, const void *frame, size_t len);
    void *receive_ctx;
};

#endif
