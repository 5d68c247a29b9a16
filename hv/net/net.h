/* The VMs' network: one learning switch (hv/net/netswitch.h) shared by every
 * VM's virtio-net device and, when the machine has a NIC Keel drives, the
 * uplink. Keel takes no device interrupts: the uplink is polled before
 * every guest entry and from the idle loop (net_poll). */
#ifndef KEEL_NET_H
#define KEEL_NET_H

#include "hv/net/netswitch.h"
#include "lib/types.h"

/* A NIC driver's side of the uplink. transmit sends one frame of len
 * bytes (ETH_HLEN..ETH_FRAME_MAX, no FCS; the driver copies it). poll
 * hands every received frame to net_input(port, ...), where port is the
 * number net_uplink_register returned. */
struct net_uplink {
    const char *name;
    uint8_t mac[ETH_ALEN];
    void (*transmit)(void *ctx, const void *frame, size_t len);
    void (*poll)(void *ctx);
    void (*report)(void *ctx);  /* log the driver's counters; may be NULL */
    void *ctx;
};

/* Attach the uplink (one only; up must stay valid). Returns its switch
 * port, -EBUSY if an uplink exists, -ENOMEM if the switch is full. */
int net_uplink_register(const struct net_uplink *up);

/* Attach a VM's device; deliver(ctx, frame, len) gets frames for it.
 * Returns its switch port or -ENOMEM. */
int net_port_add(const char *name,
                 void (*deliver)(void *ctx, const void *frame, size_t len),
                 void *ctx);

/* Point an existing port at a new device (after a VM reset recreated its
 * virtio-net): returns 0 or -EINVAL for an unknown port. */
int net_port_rebind(unsigned port,
                    void (*deliver)(void *ctx, const void *frame, size_t len),
                    void *ctx);

/* Port `port` sends a frame (bytes, no FCS) into the switch. */
void net_input(unsigned port, const void *frame, size_t len);

/* Poll the uplink for received frames. Cheap when nothing arrived. */
void net_poll(void);

/* One line per switch port (frames in and out) and the uplink driver's
 * counters, for Keel's end-of-run summary. Nothing when no port exists. */
void net_report(void);

/* True when an uplink is attached. The idle loop's 10 ms wake-up polls it
 * too (measured: waking every 1 ms made the 16 MiB fetch no faster). */
bool net_has_uplink(void);

#endif
