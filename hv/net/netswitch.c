/* The learning switch (hv/net/netswitch.h). IEEE 802.1D-2004, 7.8, 7.9.2. */
#include "hv/net/netswitch.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/string.h"

void netswitch_init(struct netswitch *sw)
{
    memset(sw, 0, sizeof(*sw));
    sw->ageing_ns = NETSWITCH_AGEING_NS;
}

/* Group (multicast or broadcast) addresses have the I/G bit, bit 0 of the
 * first octet, set (IEEE 802-2014, 8.2 "Address fields"). */
static bool mac_is_group(const uint8_t *mac)
{
    return mac[0] & 1;
}

int netswitch_add_port(struct netswitch *sw, const char *name,
                       const uint8_t *mac,
                       void (*deliver)(void *ctx, const void *frame,
                                       size_t len),
                       void *ctx)
{
    if (sw->nr_ports == NETSWITCH_MAX_PORTS)
        return -ENOMEM;
    if (mac && mac_is_group(mac))
        return -EINVAL;
    struct netswitch_port *p = &sw->ports[sw->nr_ports];
    memset(p, 0, sizeof(*p));
    p->name = name;
    p->deliver = deliver;
    p->ctx = ctx;
    if (mac) {
        memcpy(p->mac, mac, ETH_ALEN);
        p->has_mac = true;
    }
    return (int)sw->nr_ports++;
}

/* The port whose configured MAC is mac (a static entry), or -1. */
static int static_port(const struct netswitch *sw, const uint8_t *mac)
{
    for (unsigned i = 0; i < sw->nr_ports; i++)
        if (sw->ports[i].has_mac && !memcmp(sw->ports[i].mac, mac, ETH_ALEN))
            return (int)i;
    return -1;
}

static bool live(const struct netswitch *sw, const struct netswitch_mac *e,
                 uint64_t now_ns)
{
    return e->valid && now_ns - e->seen_ns < sw->ageing_ns;
}

int netswitch_lookup(const struct netswitch *sw, const uint8_t *mac,
                     uint64_t now_ns)
{
    int port = static_port(sw, mac);
    if (port >= 0)
        return port;
    for (unsigned i = 0; i < NETSWITCH_MAC_ENTRIES; i++) {
        const struct netswitch_mac *e = &sw->table[i];
        if (live(sw, e, now_ns) && !memcmp(e->mac, mac, ETH_ALEN))
            return (int)e->port;
    }
    return -1;
}

/* Remember that `mac` is behind `port`: refresh its entry, or take a free
 * or aged-out one, or else the least recently seen. */
static void learn(struct netswitch *sw, const uint8_t *mac, unsigned port,
                  uint64_t now_ns)
{
    struct netswitch_mac *slot = NULL;
    for (unsigned i = 0; i < NETSWITCH_MAC_ENTRIES && !slot; i++)
        if (sw->table[i].valid && !memcmp(sw->table[i].mac, mac, ETH_ALEN))
            slot = &sw->table[i];
    for (unsigned i = 0; i < NETSWITCH_MAC_ENTRIES && !slot; i++)
        if (!live(sw, &sw->table[i], now_ns))
            slot = &sw->table[i];
    if (!slot) {
        slot = &sw->table[0];
        for (unsigned i = 1; i < NETSWITCH_MAC_ENTRIES; i++)
            if (sw->table[i].seen_ns < slot->seen_ns)
                slot = &sw->table[i];
    }
    memcpy(slot->mac, mac, ETH_ALEN);
    slot->valid = true;
    slot->port = port;
    slot->seen_ns = now_ns;
}

static void send(struct netswitch *sw, unsigned port, const void *frame,
                 size_t len)
{
    struct netswitch_port *p = &sw->ports[port];
    p->out_frames++;
    if (p->deliver)
        p->deliver(p->ctx, frame, len);
}

void netswitch_input(struct netswitch *sw, unsigned port, const void *frame,
                     size_t len, uint64_t now_ns)
{
    const uint8_t *f = frame;
    if (port >= sw->nr_ports)
        return;
    if (len < ETH_HLEN || len > ETH_FRAME_MAX) {
        sw->runts++;
        return;
    }
    struct netswitch_port *in = &sw->ports[port];
    const uint8_t *dst = f, *src = f + ETH_ALEN;
    int owner = static_port(sw, src);
    in->in_frames++;
    /* A VM port sends only with its own address; no port sends with
     * another port's address (802.1D 7.9.1: a static entry is not
     * overridden by learning). */
    if ((in->has_mac && memcmp(src, in->mac, ETH_ALEN)) ||
        (owner >= 0 && (unsigned)owner != port)) {
        in->spoofed++;
        if (!in->spoof_logged) {
            in->spoof_logged = true;
            log_warn("net: port %u (%s) sent a frame with source MAC "
                     "%02x:%02x:%02x:%02x:%02x:%02x, not its own: dropped "
                     "(and every such frame after it)", port, in->name,
                     src[0], src[1], src[2], src[3], src[4], src[5]);
        }
        return;
    }
    if (!in->has_mac && !mac_is_group(src))
        learn(sw, src, port, now_ns);

    int out = mac_is_group(dst) ? -1 : netswitch_lookup(sw, dst, now_ns);
    if (out >= 0) {
        if ((unsigned)out != port)   /* both ends on one port: filter */
            send(sw, (unsigned)out, frame, len);
        return;
    }
    sw->flooded++;
    for (unsigned i = 0; i < sw->nr_ports; i++)
        if (i != port)
            send(sw, i, frame, len);
}
