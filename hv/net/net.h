/* The VMs' network: one learning switch (hv/net/netswitch.h) shared by every
 * VM's virtio-net device and, when the machine has a NIC Keel drives, the
 * uplink. Keel takes no device interrupts: the uplink is polled before
 * every guest entry and from the idle loop (net_poll). */
#ifndef KEEL_NET_H
#define KEEL_NET_H

#include "drivers/uplink.h"
#include "hv/net/netswitch.h"
#include "lib/types.h"

/* Attach the uplink a NIC driver's probe returned (one only; up must stay
 * valid): it becomes a switch port, and its up->receive is set so that
 * the frames its poll finds enter the switch there. Returns the port,
 * -EBUSY if an uplink exists, -ENOMEM if the switch is full. */
int net_uplink_register(struct net_uplink *up);

/* Attach a VM's device whose MAC is mac (the only source address the port
 * may send, hv/net/netswitch.h); deliver(ctx, frame, len) gets frames for
 * it. Returns its switch port, -ENOMEM or -EINVAL. */
int net_port_add(const char *name, const uint8_t *mac,
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
