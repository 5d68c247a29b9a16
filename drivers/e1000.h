/* Keel's driver for the Intel 8254x gigabit Ethernet controller (82540EM,
 * the "e1000" QEMU and Bochs offer) and the 82574L (the "e1000e" QEMU
 * offers, common on Intel desktop boards), used as the uplink of the VMs'
 * switch (hv/net/net.h). Polled: no interrupts; legacy descriptors; one
 * receive and one transmit ring in Keel's memory; promiscuous, since the
 * guests have MAC addresses of their own. The registers Keel uses sit at
 * the same offsets with the same bits on both families; what differs is
 * in the model table of e1000.c (EERD layout, PCIe reset and quirks).
 * PCI/PCI-X Family of Gigabit Ethernet Controllers Software Developer's
 * Manual (8254x), revision 4.0: 13 "Register Descriptions",
 * 3.2 "Receive Descriptor Format", 3.3 "Transmit Descriptor Format",
 * 14 "General Initialization and Reset Operation".
 * Intel 82574 GbE Controller Family Datasheet (82574): 10 "Device
 * Registers" (10.2 "PCIe Register Descriptions"), 7.1.4 "Legacy Receive
 * Descriptor Format", 7.2.10.1 "Legacy Transmit Descriptor Format",
 * 4.6 "Software Initialization and Diagnostics". The 82574 section
 * numbers here and in e1000.c were written without a copy of the datasheet
 * at hand (this machine is offline): look sections up by their titles, and
 * re-check the EERD layout and the bit-22 quirks before relying on them on
 * real hardware (QEMU's model exercises neither). */
#ifndef KEEL_DRIVERS_E1000_H
#define KEEL_DRIVERS_E1000_H

#include "drivers/uplink.h"
#include "lib/types.h"

/* PCI IDs (Table 5-1): vendor Intel. */
#define E1000_VENDOR_INTEL   0x8086
#define E1000_DEV_82540EM    0x100e   /* QEMU "e1000", Bochs "e1000" */
#define E1000_DEV_82545EM    0x100f   /* QEMU "e1000-82545em" */
#define E1000_DEV_82574L     0x10d3   /* QEMU "e1000e" (82574 datasheet 1.5 "Device Identification") */

/* Registers: byte offsets in BAR 0 (13 "Register Descriptions", Table 13-2). */
#define E1000_CTRL    0x0000   /* Device Control */
#define E1000_STATUS  0x0008   /* Device Status */
#define E1000_EERD    0x0014   /* EEPROM Read */
#define E1000_IMS     0x00d0   /* Interrupt Mask Set/Read */
#define E1000_ICR     0x00c0   /* Interrupt Cause Read */
#define E1000_IMC     0x00d8   /* Interrupt Mask Clear */
#define E1000_EIAC    0x00dc   /* 82574: Extended Interrupt Auto Clear (MSI-X) */
#define E1000_IAM     0x00e0   /* 82574: Interrupt Acknowledge Auto Mask */
#define E1000_RCTL    0x0100   /* Receive Control */
#define E1000_TCTL    0x0400   /* Transmit Control */
#define E1000_TIPG    0x0410   /* Transmit Inter Packet Gap */
#define E1000_RDBAL   0x2800   /* Receive Descriptor Base Low */
#define E1000_RDBAH   0x2804
#define E1000_RDLEN   0x2808   /* ring length in bytes, multiple of 128 */
#define E1000_RDH     0x2810   /* Receive Descriptor Head */
#define E1000_RDT     0x2818   /* Receive Descriptor Tail */
#define E1000_TDBAL   0x3800   /* Transmit Descriptor Base Low */
#define E1000_TDBAH   0x3804
#define E1000_TDLEN   0x3808
#define E1000_TDH     0x3810
#define E1000_TDT     0x3818
#define E1000_TXDCTL  0x3828   /* Transmit Descriptor Control (queue 0) */
#define E1000_MTA     0x5200   /* Multicast Table Array, 128 dwords */
#define E1000_RAL0    0x5400   /* Receive Address Low, entry 0 */
#define E1000_RAH0    0x5404   /* Receive Address High, entry 0 */
#define E1000_GCR     0x5b00   /* 82574: 3GIO (PCIe) Control Register */

/* CTRL bits (13, "Device Control Register"; 82574 10.2.2.1 "Device
 * Control Register - CTRL"). */
#define E1000_CTRL_GIO_MASTER_DISABLE BIT(2)   /* 82574: stop new PCIe requests */
#define E1000_CTRL_ASDE      BIT(5)    /* auto-speed detection */
#define E1000_CTRL_SLU       BIT(6)    /* set link up */
#define E1000_CTRL_RST       BIT(26)   /* device reset, self-clearing */

/* STATUS bits (13, "Device Status Register"). */
#define E1000_STATUS_LU      BIT(1)    /* link up */
#define E1000_STATUS_GIO_MASTER_ENABLE BIT(19) /* 82574: requests still pending */

/* EERD (13, "EEPROM Read Register", 8254x except 82541/82547 layout):
 * start, done (bit 4), address (bits 15:8), data (31:16). The 82574's
 * "EEPROM Read Register - EERD" has done at bit 1 and the word address in
 * bits 15:2; START and DATA are where the 8254x has them. */
#define E1000_EERD_START     BIT(0)
#define E1000_EERD_DONE      BIT(4)
#define E1000_EERD_ADDR_SHIFT 8
#define E1000_82574_EERD_DONE       BIT(1)
#define E1000_82574_EERD_ADDR_SHIFT 2
#define E1000_EERD_DATA_SHIFT 16

/* 82574 bits the datasheet lists as reserved, to be written as 1:
 * TXDCTL bit 22 ("Transmit Descriptor Control - TXDCTL") and GCR bit 22
 * ("3GIO Control Register - GCR"). */
#define E1000_82574_TXDCTL_RSVD1 BIT(22)
#define E1000_82574_GCR_RSVD1    BIT(22)

/* RAH bits (13, "Receive Address High"): address valid. */
#define E1000_RAH_AV         BIT(31)

/* RCTL bits (13, "Receive Control Register"). BSIZE 00 with BSEX 0: 2048-byte buffers. */
#define E1000_RCTL_EN        BIT(1)
#define E1000_RCTL_UPE       BIT(3)    /* unicast promiscuous */
#define E1000_RCTL_MPE       BIT(4)    /* multicast promiscuous */
#define E1000_RCTL_BAM       BIT(15)   /* accept broadcast */
#define E1000_RCTL_SECRC     BIT(26)   /* strip Ethernet CRC */

/* TCTL bits (13, "Transmit Control Register"): collision threshold 0x0F, collision distance 0x40
 * for full duplex, as "Transmit Initialization" (14.5) recommends. */
#define E1000_TCTL_EN        BIT(1)
#define E1000_TCTL_PSP       BIT(3)    /* pad short packets */
#define E1000_TCTL_CT_SHIFT  4
#define E1000_TCTL_COLD_SHIFT 12

/* TIPG for copper (13, "Transmit IPG Register"): IPGT 10, IPGR1 8, IPGR2 6. */
#define E1000_TIPG_COPPER    (10u | (8u << 10) | (6u << 20))

/* Legacy receive descriptor (3.2 "Receive Descriptor Format"). */
struct e1000_rx_desc {
    uint64_t addr;       /* host-physical buffer address */
    uint16_t length;     /* bytes stored (CRC stripped with SECRC) */
    uint16_t csum;
    uint8_t status;      /* E1000_RXD_STAT_* */
    uint8_t errors;
    uint16_t special;
};
_Static_assert(sizeof(struct e1000_rx_desc) == 16, "rx desc");

#define E1000_RXD_STAT_DD    BIT(0)    /* descriptor done */
#define E1000_RXD_STAT_EOP   BIT(1)    /* end of packet */

/* Legacy transmit descriptor (3.3.3 "Legacy Transmit Descriptor Format"). */
struct e1000_tx_desc {
    uint64_t addr;       /* host-physical buffer address */
    uint16_t length;     /* bytes, without the FCS the device adds */
    uint8_t cso;
    uint8_t cmd;         /* E1000_TXD_CMD_* */
    uint8_t status;      /* E1000_TXD_STAT_* */
    uint8_t css;
    uint16_t special;
};
_Static_assert(sizeof(struct e1000_tx_desc) == 16, "tx desc");

#define E1000_TXD_CMD_EOP    BIT(0)    /* end of packet */
#define E1000_TXD_CMD_IFCS   BIT(1)    /* insert FCS */
#define E1000_TXD_CMD_RS     BIT(3)    /* report status (sets DD) */
#define E1000_TXD_STAT_DD    BIT(0)

/* Find the first supported NIC on the host PCI bus (8254x first, then
 * 82574L, in the order of e1000.c's model table), reset and start it.
 * The log line names the model ("e1000 ... 82540EM", "e1000e ... 82574L")
 * and the uplink's name is "e1000" or "e1000e". Returns the NIC as an
 * uplink for the caller to attach (hv_main hands it to
 * net_uplink_register), or NULL when the machine has none or it could not
 * be started (logged: BAR, mapping, PCIe master disable or reset
 * timeout). */
struct net_uplink *e1000_probe(void);

#endif
