/* A small learning Ethernet switch inside Keel: every VM's virtio-net
 * device and the uplink NIC are ports; a frame is copied to the port its
 * destination MAC was last seen on, or flooded to every other port when
 * the destination is unknown, broadcast or multicast. Never back to the
 * port it came from. Pure C: host unit tests drive it directly.
 *
 * A VM's port has the MAC address Keel gave its virtio-net device: the
 * switch accepts only that address as the source of the port's frames
 * (others are dropped and counted), and treats it as a static entry that
 * no frame from another port can move, so one VM cannot take another's
 * unicast traffic by sending with its address. The uplink port has no
 * configured address: it carries the outside world's stations, which are
 * learned into a table of NETSWITCH_MAC_ENTRIES (the least recently seen
 * entry is replaced when it is full; VM addresses never occupy it).
 * IEEE 802.1D-2004, 7.8 "The Learning Process", 7.9.1 "Static Filtering
 * Entries" (they take precedence over learned ones), 7.9.2 "Dynamic
 * Filtering Entries" (ageing, default Ageing Time 300 s). */
#ifndef KEEL_NETSWITCH_H
#define KEEL_NETSWITCH_H

#include "lib/eth.h"
#include "lib/types.h"

#define NETSWITCH_MAX_PORTS   16
#define NETSWITCH_MAC_ENTRIES 64
/* 802.1D-2004 Table 7-5: recommended Ageing Time, 300 s. */
#define NETSWITCH_AGEING_NS   (300ULL * 1000000000ULL)

/* deliver(ctx, frame, len): a frame of len bytes (ETH_HLEN..ETH_FRAME_MAX)
 * for this port. The switch owns `frame`: the port copies what it keeps
 * before returning. */
struct netswitch_port {
    const char *name;
    void (*deliver)(void *ctx, const void *frame, size_t len);
    void *ctx;
    uint8_t mac[ETH_ALEN];  /* the one source allowed, if has_mac */
    bool has_mac;           /* false: any source (the uplink) */
    bool spoof_logged;      /* the first spoofed frame was logged */
    uint64_t in_frames;     /* frames the port handed to the switch */
    uint64_t out_frames;    /* frames the switch delivered to the port */
    uint64_t spoofed;       /* dropped: source not the port's own MAC */
};

struct netswitch_mac {
    uint8_t mac[ETH_ALEN];
    bool valid;
    unsigned port;
    uint64_t seen_ns;       /* timer_now_ns() when last a source */
};

struct netswitch {
    unsigned nr_ports;
    struct netswitch_port ports[NETSWITCH_MAX_PORTS];
    struct netswitch_mac table[NETSWITCH_MAC_ENTRIES];
    uint64_t ageing_ns;     /* NETSWITCH_AGEING_NS unless a test sets it */
    uint64_t runts;         /* frames shorter than ETH_HLEN or too long */
    uint64_t flooded;       /* frames sent to every other port */
};

/* Empty switch, default ageing time. */
void netswitch_init(struct netswitch *sw);

/* Add a port. mac: the only source address the port may send (a VM's
 * virtio-net MAC, unicast), or NULL for a port that carries any source
 * (the uplink). Returns its number (>= 0), -ENOMEM when the switch has
 * NETSWITCH_MAX_PORTS already, or -EINVAL for a group address. */
int netswitch_add_port(struct netswitch *sw, const char *name,
                       const uint8_t *mac,
                       void (*deliver)(void *ctx, const void *frame,
                                       size_t len),
                       void *ctx);

/* Port `port` received a frame of len bytes at time now_ns (ns): check its
 * source MAC, learn it (unicast sources of ports without a configured MAC
 * only), then forward it. Dropped and counted: frames outside
 * ETH_HLEN..ETH_FRAME_MAX (sw->runts), and frames whose source is not the
 * port's configured MAC or is another port's configured MAC
 * (ports[port].spoofed; the first one per port is logged). */
void netswitch_input(struct netswitch *sw, unsigned port, const void *frame,
                     size_t len, uint64_t now_ns);

/* The port whose configured MAC is mac, else the port a MAC was learned
 * on and not aged out at now_ns, or -1. */
int netswitch_lookup(const struct netswitch *sw, const uint8_t *mac,
                     uint64_t now_ns);

#endif
