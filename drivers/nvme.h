/* Keel's driver for the machine's NVMe controller (under QEMU: `-device
 * nvme,drive=...,serial=...`): one admin queue pair and one I/O queue
 * pair, polled and synchronous (one command in flight, no interrupts),
 * namespace 1 only. nvme.c owns the controller (reset, enable, Identify,
 * queue creation, Read/Write/Flush); nvme_queue.c holds the parts with no
 * hardware access (queue rings and phase tags, PRP lists, command
 * encoding), which the host unit tests drive against a fake controller.
 * Reference: NVM Express Base Specification 2.0 (1.4 has the same
 * registers and commands), NVM Command Set Specification 1.0. */
#ifndef KEEL_NVME_H
#define KEEL_NVME_H

#include "drivers/hostpci.h"
#include "lib/nvme_spec.h"
#include "lib/types.h"

/* Entries per queue Keel creates (at most CAP.MQES + 1). One 4 KiB page
 * holds 64 SQEs or 256 CQEs. */
#define NVME_QUEUE_ENTRIES 64

/* How long one command may take before Keel gives the controller up. */
#define NVME_CMD_TIMEOUT_NS 10000000000ull   /* 10 s */

/* Largest transfer per Read/Write command, bytes; smaller when the
 * controller's MDTS says so. 256 pages need one PRP list page. */
#define NVME_MAX_XFER (256u * NVME_PAGE_SIZE)

/* One submission/completion queue pair. sq and cq are host pointers that
 * are also their DMA addresses (Keel's memory is identity-mapped); each is
 * page aligned and physically contiguous. The doorbells are the
 * controller's SQyTDBL and CQyHDBL registers (3.1.3.24/25; in the unit
 * tests, plain words). */
struct nvme_queue {
    uint16_t qid;                    /* 0: the admin queue */
    uint16_t entries;                /* entries in each ring, 2..4096 */
    volatile struct nvme_sqe *sq;
    volatile struct nvme_cqe *cq;
    volatile uint32_t *sq_tdbl;      /* SQ Tail Doorbell */
    volatile uint32_t *cq_hdbl;      /* CQ Head Doorbell */
    uint16_t sq_tail;                /* next free SQ slot */
    uint16_t sq_head;                /* the controller's SQHD, last seen */
    uint16_t cq_head;                /* next CQ slot to look at */
    uint8_t phase;                   /* Phase Tag of new entries: 1 first */
    uint16_t next_cid;
};

/* A PRP data pointer for one transfer (4.3.1 "Physical Region Page Entry
 * and List"): prp1 is the buffer's address (any dword-aligned offset),
 * prp2 0 (one page), the second page (two pages) or the address of the PRP
 * list; list entries are page addresses. */
struct nvme_prp {
    uint64_t prp1, prp2;
    unsigned list_entries;           /* entries written to the list */
};

/* The controller and namespace 1, as nvme_init found them. */
struct nvme_ctrl {
    struct hostpci_dev pci;
    volatile uint8_t *regs;          /* BAR0, uncached */
    uint64_t cap;                    /* CAP */
    uint32_t vs;                     /* VS */
    uint32_t dstrd_bytes;            /* doorbell stride, 4 << CAP.DSTRD */
    uint64_t timeout_ns;             /* CAP.TO: reset/enable deadline */
    char model[NVME_MN_LEN + 1];     /* MN, trailing spaces dropped */
    char serial[NVME_SN_LEN + 1];    /* SN */
    char firmware[NVME_FR_LEN + 1];  /* FR */
    uint32_t nsid;                   /* 1 */
    uint64_t nsze;                   /* namespace size, LBAs */
    uint32_t lba_bytes;              /* 512..65536 */
    uint32_t max_xfer;               /* bytes per command, multiple of LBA */
    bool vwc;                        /* volatile write cache: Flush matters */
    struct nvme_queue admin, io;
    uint64_t *prp_list;              /* one page, the I/O queue's PRP list */
    uint8_t *identify;               /* one page for Identify data */
    bool broken;                     /* a command timed out or CFS */
};

/* ---- nvme.c: the controller ---- */

/* Find the index-th (from 0) PCI function of class 01:08:02 (NVMe I/O
 * controller), reset it, enable it with a 64-entry admin queue pair,
 * identify it and namespace 1, and create I/O queue pair 1 (3.5.1
 * "Memory-based Controller Initialization"). Logs the model, serial,
 * namespace size and LBA size. Returns 0, -ENODEV (no such function, no
 * memory BAR, no NVM command set, namespace 1 inactive), -ENOTSUP (4 KiB
 * pages or the LBA format unsupported: metadata, LBA > 64 KiB), -ENOMEM,
 * -ETIMEDOUT (CSTS.RDY did not follow CC.EN within CAP.TO, or a command
 * did not complete in NVME_CMD_TIMEOUT_NS) or -EIO (CSTS.CFS, a command
 * failed). */
int nvme_init(struct nvme_ctrl *c, unsigned index);

/* Read (write false) or write len bytes at LBA lba of namespace 1 to/from
 * buf, a dword-aligned host pointer (identity-mapped: the DMA address).
 * len is a non-zero multiple of lba_bytes; split into commands of at most
 * max_xfer bytes. Returns 0, -EINVAL (misaligned, past the namespace),
 * -ETIMEDOUT or -EIO (status not success, or the controller is broken by
 * an earlier timeout). */
int nvme_rw(struct nvme_ctrl *c, bool write, uint64_t lba, void *buf,
            uint64_t len);

/* Flush (NVM 3.2.2): returns once the writes completed so far are on
 * non-volatile media. 0, -ETIMEDOUT or -EIO. */
int nvme_flush(struct nvme_ctrl *c);

/* ---- nvme_queue.c: rings, PRPs and commands (no hardware access) ---- */

/* Start a queue pair with empty rings: tails and heads 0, expected phase
 * 1 (the zeroed CQ memory has phase 0; the controller writes 1 on its
 * first pass and inverts it on each wrap, 4.6 "Completion Queue Entry").
 * sq holds `entries` SQEs and cq `entries` CQEs; the caller zeroed cq. */
void nvme_queue_init(struct nvme_queue *q, uint16_t qid, uint16_t entries,
                     volatile struct nvme_sqe *sq,
                     volatile struct nvme_cqe *cq, volatile uint32_t *sq_tdbl,
                     volatile uint32_t *cq_hdbl);

/* Copy cmd into the next SQ slot with a fresh CID, then write the new
 * tail to the SQ Tail Doorbell after a store fence (4.1 "Submission Queue
 * ... Full": tail + 1 == head). Returns the CID (>= 0) or -EBUSY when the
 * queue is full. */
int nvme_queue_submit(struct nvme_queue *q, const struct nvme_sqe *cmd);

/* Take the next completion if the controller posted one: the entry at the
 * head whose Phase Tag equals q->phase. Copies it to *out, advances the
 * head (inverting the phase on wrap), records SQHD and writes the CQ Head
 * Doorbell. Returns true when *out was filled. See: 4.6 "Completion Queue
 * Entry", 3.3.1.2 "Completion Queue". */
bool nvme_queue_poll(struct nvme_queue *q, struct nvme_cqe *out);

/* Build the data pointer for len bytes at DMA address addr (4.3.1): list
 * is one page (NVME_PRP_PER_PAGE entries) at DMA address list_addr, used
 * only when the transfer touches more than two pages. Returns 0, or
 * -EINVAL when len is 0, addr is not dword aligned, or the transfer needs
 * more entries than one list page holds (no chaining). */
int nvme_prp_build(uint64_t addr, uint64_t len, uint64_t *list,
                   uint64_t list_addr, struct nvme_prp *out);

/* Command encoders: fill *cmd (zeroed first, CID left 0). */
/* Identify (5.17): cns NVME_CNS_*, data into one 4 KiB page at prp1. */
void nvme_cmd_identify(struct nvme_sqe *cmd, uint8_t cns, uint32_t nsid,
                       uint64_t prp1);
/* Create I/O Completion Queue (5.4): entries (2..CAP.MQES+1) at a page-
 * aligned, contiguous prp1, interrupts off (polled). */
void nvme_cmd_create_cq(struct nvme_sqe *cmd, uint16_t qid,
                        uint16_t entries, uint64_t prp1);
/* Create I/O Submission Queue (5.5) bound to completion queue cqid. */
void nvme_cmd_create_sq(struct nvme_sqe *cmd, uint16_t qid,
                        uint16_t entries, uint16_t cqid, uint64_t prp1);
/* Set Features Number of Queues (5.27.1.5): nsq/ncq I/O queues wanted. */
void nvme_cmd_set_num_queues(struct nvme_sqe *cmd, uint16_t nsq,
                             uint16_t ncq);
/* Read or Write (NVM 3.2.4/3.2.6): nlb LBAs (1..65536) at slba. */
void nvme_cmd_rw(struct nvme_sqe *cmd, bool write, uint32_t nsid,
                 uint64_t slba, uint32_t nlb, const struct nvme_prp *prp);
/* Flush (NVM 3.2.2) of namespace nsid. */
void nvme_cmd_flush(struct nvme_sqe *cmd, uint32_t nsid);

#endif
