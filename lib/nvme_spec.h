/* The NVMe wire formats Keel's NVMe driver (drivers/nvme.c) uses: the
 * controller registers, the submission and completion queue entries, the
 * admin and NVM command opcodes and the fields of the Identify data it
 * reads. All fields are little-endian, which is x86's order.
 * NVM Express Base Specification 2.0 (register and field names as there;
 * the same layout as 1.4): 3.1 "Controller Registers", 4.2 "Submission
 * Queue Entry", 4.6 "Completion Queue Entry", 5 "Admin Command Set";
 * NVM Command Set Specification 1.0: 3.2 "I/O Commands", 4.1.5 "Identify
 * Namespace". */
#ifndef KEEL_NVME_SPEC_H
#define KEEL_NVME_SPEC_H

#include "lib/types.h"

/* PCI class code of an NVMe I/O controller: mass storage (01h),
 * non-volatile memory (08h), NVM Express I/O (02h).
 * See: PCI Code and ID Assignment 1.12, 1.2; NVMe PCIe Transport 2.1.4. */
#define NVME_PCI_CLASS    0x01
#define NVME_PCI_SUBCLASS 0x08
#define NVME_PCI_PROG_IF  0x02

/* Controller registers: byte offsets in BAR0 (MLBAR/MUBAR).
 * See: 3.1.3 "Controller Properties". */
#define NVME_REG_CAP   0x00   /* 64 bits: Controller Capabilities */
#define NVME_REG_VS    0x08   /* Version */
#define NVME_REG_INTMS 0x0c   /* Interrupt Mask Set */
#define NVME_REG_INTMC 0x10   /* Interrupt Mask Clear */
#define NVME_REG_CC    0x14   /* Controller Configuration */
#define NVME_REG_CSTS  0x1c   /* Controller Status */
#define NVME_REG_AQA   0x24   /* Admin Queue Attributes */
#define NVME_REG_ASQ   0x28   /* 64 bits: Admin Submission Queue Base */
#define NVME_REG_ACQ   0x30   /* 64 bits: Admin Completion Queue Base */
#define NVME_REG_SQ0TDBL 0x1000  /* first doorbell; stride 4 << CAP.DSTRD */

/* CAP fields. See: 3.1.3.1 "Offset 0h: CAP - Controller Capabilities". */
#define NVME_CAP_MQES(cap)   ((uint32_t)((cap) & 0xffff))  /* 0's based */
#define NVME_CAP_TO(cap)     ((uint32_t)(((cap) >> 24) & 0xff)) /* 500 ms */
#define NVME_CAP_DSTRD(cap)  ((uint32_t)(((cap) >> 32) & 0xf))
#define NVME_CAP_CSS_NVM     BIT(37)   /* CAP.CSS bit 0: NVM command set */
#define NVME_CAP_MPSMIN(cap) ((uint32_t)(((cap) >> 48) & 0xf)) /* 2^(12+n) */
#define NVME_CAP_TO_UNIT_NS  500000000ull

/* VS: major in 31:16, minor in 15:8, tertiary in 7:0 (3.1.3.2). */
#define NVME_VS_MJR(vs) ((vs) >> 16)
#define NVME_VS_MNR(vs) (((vs) >> 8) & 0xff)

/* CC fields. See: 3.1.3.5 "Offset 14h: CC - Controller Configuration". */
#define NVME_CC_EN            BIT(0)
#define NVME_CC_CSS_NVM       (0u << 4)   /* NVM command set */
#define NVME_CC_MPS(n)        ((uint32_t)(n) << 7)  /* page 2^(12+n) */
#define NVME_CC_AMS_RR        (0u << 11)  /* round robin arbitration */
#define NVME_CC_SHN_MASK      (3u << 14)
#define NVME_CC_IOSQES(n)     ((uint32_t)(n) << 16) /* SQ entry 2^n bytes */
#define NVME_CC_IOCQES(n)     ((uint32_t)(n) << 20) /* CQ entry 2^n bytes */

/* CSTS fields. See: 3.1.3.6 "Offset 1Ch: CSTS - Controller Status". */
#define NVME_CSTS_RDY BIT(0)
#define NVME_CSTS_CFS BIT(1)   /* Controller Fatal Status */

/* AQA: ACQS in 27:16, ASQS in 11:0, both 0's based (3.1.3.7). */
#define NVME_AQA(asqs, acqs) \
    ((uint32_t)((acqs) - 1) << 16 | (uint32_t)((asqs) - 1))

/* Keel uses the smallest memory page size, 4 KiB (CC.MPS = 0). */
#define NVME_PAGE_SIZE  4096u
#define NVME_PRP_PER_PAGE (NVME_PAGE_SIZE / 8)   /* PRP entries in a list */

/* Submission Queue Entry: 64 bytes. See: 4.2 "Submission Queue Entry";
 * CDW0 is OPC (7:0), FUSE (9:8), PSDT (15:14, 0 = PRPs), CID (31:16). */
struct nvme_sqe {
    uint8_t opc;
    uint8_t flags;          /* FUSE, PSDT: Keel leaves 0 */
    uint16_t cid;
    uint32_t nsid;
    uint32_t cdw2, cdw3;
    uint64_t mptr;
    uint64_t prp1, prp2;    /* DPTR (4.3.1 "Physical Region Page Entry") */
    uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};
_Static_assert(sizeof(struct nvme_sqe) == 64, "SQE is 64 bytes");
_Static_assert(offsetof(struct nvme_sqe, prp1) == 24, "DPTR at 24");
_Static_assert(offsetof(struct nvme_sqe, cdw10) == 40, "CDW10 at 40");

/* Completion Queue Entry: 16 bytes. See: 4.6 "Completion Queue Entry";
 * status is P (bit 0) and the Status Field (15:1): SC 8:1, SCT 11:9,
 * CRD 13:12, M 14, DNR 15. */
struct nvme_cqe {
    uint32_t dw0;           /* command specific */
    uint32_t dw1;
    uint16_t sqhd;          /* SQ Head Pointer */
    uint16_t sqid;          /* SQ Identifier */
    uint16_t cid;           /* Command Identifier */
    uint16_t status;        /* Phase Tag and Status Field */
};
_Static_assert(sizeof(struct nvme_cqe) == 16, "CQE is 16 bytes");
_Static_assert(offsetof(struct nvme_cqe, status) == 14, "status at 14");

#define NVME_CQE_P          BIT(0)
#define NVME_CQE_SC(st)     (((st) >> 1) & 0xff)
#define NVME_CQE_SCT(st)    (((st) >> 9) & 0x7)
/* log2 of the entry sizes Keel sets in CC.IOSQES / CC.IOCQES. */
#define NVME_SQES_LOG2 6
#define NVME_CQES_LOG2 4

/* Admin command opcodes. See: 5 "Admin Command Set", Figure 138. */
#define NVME_ADMIN_CREATE_IO_SQ 0x01
#define NVME_ADMIN_CREATE_IO_CQ 0x05
#define NVME_ADMIN_IDENTIFY     0x06
#define NVME_ADMIN_SET_FEATURES 0x09

/* NVM command set I/O opcodes (NVM Command Set 1.0, 3 Figure 20). */
#define NVME_CMD_FLUSH 0x00
#define NVME_CMD_WRITE 0x01
#define NVME_CMD_READ  0x02

/* Identify CNS values (5.17.2 "Identify Controller data structure"). */
#define NVME_CNS_NAMESPACE  0x00
#define NVME_CNS_CONTROLLER 0x01

/* Set Features: Number of Queues (5.27.1.5), CDW11 NCQR 31:16, NSQR
 * 15:0, both 0's based. */
#define NVME_FEAT_NUM_QUEUES 0x07

/* Create I/O Completion/Submission Queue CDW11 bits (5.4, 5.5). */
#define NVME_QUEUE_PC BIT(0)      /* Physically Contiguous */

/* Byte offsets in the Identify Controller data (4096 bytes, 5.17.2.1). */
#define NVME_IDCTRL_VID   0      /* 2: PCI Vendor ID */
#define NVME_IDCTRL_SN    4      /* 20: Serial Number, ASCII, space padded */
#define NVME_IDCTRL_MN    24     /* 40: Model Number */
#define NVME_IDCTRL_FR    64     /* 8: Firmware Revision */
#define NVME_IDCTRL_MDTS  77     /* 1: max transfer 2^n CAP.MPSMIN pages */
#define NVME_IDCTRL_NN    516    /* 4: Number of Namespaces */
#define NVME_IDCTRL_VWC   525    /* 1: bit 0 Volatile Write Cache present */
#define NVME_SN_LEN 20
#define NVME_MN_LEN 40
#define NVME_FR_LEN 8

/* Byte offsets in the Identify Namespace data (4096 bytes, NVM Command
 * Set 1.0, 4.1.5.1). LBAF[n] is 4 bytes at 128 + 4n: MS (15:0, metadata
 * bytes), LBADS (23:16, LBA data size 2^n bytes), RP (25:24). */
#define NVME_IDNS_NSZE   0       /* 8: namespace size, LBAs */
#define NVME_IDNS_NCAP   8       /* 8: capacity, LBAs */
#define NVME_IDNS_NLBAF  25      /* 1: number of LBA formats, 0's based */
#define NVME_IDNS_FLBAS  26      /* 1: bits 3:0 (and 6:5) the format used */
#define NVME_IDNS_LBAF0  128
#define NVME_LBAF_MS(f)    ((f) & 0xffff)
#define NVME_LBAF_LBADS(f) (((f) >> 16) & 0xff)

#endif
