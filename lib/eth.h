/* Ethernet frame sizes shared by the switch (hv/net/), virtio-net and the
 * NIC drivers. IEEE 802.3-2018, 3.1.1 "MAC frame format"; frames here
 * carry no FCS. */
#ifndef KEEL_ETH_H
#define KEEL_ETH_H

#define ETH_ALEN          6      /* bytes in a MAC address */
#define ETH_HLEN          14     /* destination, source, EtherType */
#define ETH_FRAME_MAX     1514   /* header + 1500-byte payload, no FCS */

#endif
