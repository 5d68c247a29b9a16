/* NVMe queue rings, PRPs and command encoding: the parts of the driver
 * with no hardware access (drivers/nvme.h). NVM Express Base
 * Specification 2.0; NVM Command Set Specification 1.0. */
#include "drivers/nvme.h"
#include "lib/errno.h"
#include "lib/string.h"

/* Order Keel's SQE stores before the doorbell write, and the
 * controller's CQE stores (seen through the phase tag) before the loads of
 * the entry's other fields. */
static inline void nvme_fence(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void nvme_queue_init(struct nvme_queue *q, uint16_t qid, uint16_t entries,
                     volatile struct nvme_sqe *sq,
                     volatile struct nvme_cqe *cq, volatile uint32_t *sq_tdbl,
                     volatile uint32_t *cq_hdbl)
{
    *q = (struct nvme_queue){ .qid = qid, .entries = entries, .sq = sq,
                              .cq = cq, .sq_tdbl = sq_tdbl,
                              .cq_hdbl = cq_hdbl, .phase = 1 };
}

int nvme_queue_submit(struct nvme_queue *q, const struct nvme_sqe *cmd)
{
    uint16_t next = (uint16_t)((q->sq_tail + 1) % q->entries);
    struct nvme_sqe e = *cmd;

    /* 3.3.1.5 "Full Queue": one slot always stays empty. */
    if (next == q->sq_head)
        return -EBUSY;
    e.cid = q->next_cid++;
    q->sq[q->sq_tail] = e;
    q->sq_tail = next;
    nvme_fence();
    *q->sq_tdbl = q->sq_tail;
    return e.cid;
}

bool nvme_queue_poll(struct nvme_queue *q, struct nvme_cqe *out)
{
    volatile struct nvme_cqe *e = &q->cq[q->cq_head];

    if ((e->status & NVME_CQE_P) != q->phase)
        return false;
    nvme_fence();
    *out = *e;
    if (++q->cq_head == q->entries) {
        q->cq_head = 0;
        q->phase ^= 1;
    }
    if (out->sqhd < q->entries)
        q->sq_head = out->sqhd;
    *q->cq_hdbl = q->cq_head;
    return true;
}

int nvme_prp_build(uint64_t addr, uint64_t len, uint64_t *list,
                   uint64_t list_addr, struct nvme_prp *out)
{
    /* The first entry may have an offset, but it is dword aligned
     * (4.3.1: "bits 1:0 shall be cleared to 00b"); every later page
     * starts at offset 0. */
    uint64_t first = NVME_PAGE_SIZE - addr % NVME_PAGE_SIZE;
    uint64_t page = ALIGN_DOWN(addr, NVME_PAGE_SIZE) + NVME_PAGE_SIZE;

    *out = (struct nvme_prp){ .prp1 = addr };
    if (len == 0 || addr % 4)
        return -EINVAL;
    if (len <= first)
        return 0;
    if (len <= first + NVME_PAGE_SIZE) {
        out->prp2 = page;
        return 0;
    }
    uint64_t rest = (len - first + NVME_PAGE_SIZE - 1) / NVME_PAGE_SIZE;
    if (rest > NVME_PRP_PER_PAGE)
        return -EINVAL;
    for (uint64_t i = 0; i < rest; i++)
        list[i] = page + i * NVME_PAGE_SIZE;
    out->prp2 = list_addr;
    out->list_entries = (unsigned)rest;
    return 0;
}

void nvme_cmd_identify(struct nvme_sqe *cmd, uint8_t cns, uint32_t nsid,
                       uint64_t prp1)
{
    *cmd = (struct nvme_sqe){ .opc = NVME_ADMIN_IDENTIFY, .nsid = nsid,
                              .prp1 = prp1, .cdw10 = cns };
}

void nvme_cmd_create_cq(struct nvme_sqe *cmd, uint16_t qid,
                        uint16_t entries, uint64_t prp1)
{
    /* CDW10: QSIZE (31:16, 0's based), QID (15:0); CDW11: IV (31:16),
     * IEN (bit 1) 0: polled, PC (bit 0). */
    *cmd = (struct nvme_sqe){ .opc = NVME_ADMIN_CREATE_IO_CQ, .prp1 = prp1,
                              .cdw10 = (uint32_t)(entries - 1) << 16 | qid,
                              .cdw11 = NVME_QUEUE_PC };
}

void nvme_cmd_create_sq(struct nvme_sqe *cmd, uint16_t qid,
                        uint16_t entries, uint16_t cqid, uint64_t prp1)
{
    /* CDW11: CQID (31:16), QPRIO (2:1) unused with round robin, PC. */
    *cmd = (struct nvme_sqe){ .opc = NVME_ADMIN_CREATE_IO_SQ, .prp1 = prp1,
                              .cdw10 = (uint32_t)(entries - 1) << 16 | qid,
                              .cdw11 = (uint32_t)cqid << 16 | NVME_QUEUE_PC };
}

void nvme_cmd_set_num_queues(struct nvme_sqe *cmd, uint16_t nsq,
                             uint16_t ncq)
{
    *cmd = (struct nvme_sqe){ .opc = NVME_ADMIN_SET_FEATURES,
                              .cdw10 = NVME_FEAT_NUM_QUEUES,
                              .cdw11 = (uint32_t)(ncq - 1) << 16 |
                                       (uint16_t)(nsq - 1) };
}

void nvme_cmd_rw(struct nvme_sqe *cmd, bool write, uint32_t nsid,
                 uint64_t slba, uint32_t nlb, const struct nvme_prp *prp)
{
    /* CDW10/11: SLBA; CDW12: NLB (15:0, 0's based), no FUA/LR. */
    *cmd = (struct nvme_sqe){ .opc = write ? NVME_CMD_WRITE : NVME_CMD_READ,
                              .nsid = nsid, .prp1 = prp->prp1,
                              .prp2 = prp->prp2, .cdw10 = (uint32_t)slba,
                              .cdw11 = (uint32_t)(slba >> 32),
                              .cdw12 = (nlb - 1) & 0xffff };
}

void nvme_cmd_flush(struct nvme_sqe *cmd, uint32_t nsid)
{
    *cmd = (struct nvme_sqe){ .opc = NVME_CMD_FLUSH, .nsid = nsid };
}
