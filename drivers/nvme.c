/* A polled driver for the machine's NVMe controller (drivers/nvme.h).
 * NVM Express Base Specification 2.0; NVM Command Set Specification 1.0. */
#include "arch/x86/cpu.h"
#include "drivers/nvme.h"
#include "drivers/timer.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/string.h"
#include "mm/frame.h"

/* Pages of Keel's one allocation, in order. */
enum { PG_ASQ, PG_ACQ, PG_IOSQ, PG_IOCQ, PG_PRP, PG_IDENTIFY, NR_PAGES };
_Static_assert(NVME_QUEUE_ENTRIES * sizeof(struct nvme_sqe) <= PAGE_SIZE,
               "an SQ fits a page");
_Static_assert(NVME_MAX_XFER / NVME_PAGE_SIZE + 1 <= NVME_PRP_PER_PAGE,
               "one PRP list page per command");

#define IO_QID 1
/* While a command runs, CSTS.CFS is read this often: the completion
 * queue is memory, while a register read is an uncached MMIO access (under
 * QEMU a trip through the device model), far dearer than the poll. */
#define CSTS_POLL_NS 1000000ull   /* 1 ms */
/* CAP.TO of 0 would mean no wait at all; allow at least this. */
#define MIN_READY_TIMEOUT_NS 500000000ull

/* Registers are read and written as 32-bit words; 64-bit ones low half
 * first (3.1.3: "accessed ... in their native width or as 32-bit"). */
static uint32_t rd32(const struct nvme_ctrl *c, unsigned off)
{
    return *(volatile uint32_t *)(c->regs + off);
}

static void wr32(struct nvme_ctrl *c, unsigned off, uint32_t v)
{
    *(volatile uint32_t *)(c->regs + off) = v;
}

static uint64_t rd64(const struct nvme_ctrl *c, unsigned off)
{
    uint64_t lo = rd32(c, off);
    return lo | (uint64_t)rd32(c, off + 4) << 32;
}

static void wr64(struct nvme_ctrl *c, unsigned off, uint64_t v)
{
    wr32(c, off, (uint32_t)v);
    wr32(c, off + 4, (uint32_t)(v >> 32));
}

/* SQyTDBL at 1000h + (2y) * stride, CQyHDBL at 1000h + (2y + 1) * stride
 * (3.1.3.24, 3.1.3.25). */
static volatile uint32_t *doorbell(struct nvme_ctrl *c, uint16_t qid, bool cq)
{
    return (volatile uint32_t *)(c->regs + NVME_REG_SQ0TDBL +
                                 (2u * qid + cq) * c->dstrd_bytes);
}

#define nvme_log_err(c, fmt, ...)                                       \
    log_err("nvme %02x:%02x.%x: " fmt, (c)->pci.bus, (c)->pci.dev,      \
            (c)->pci.fn, ##__VA_ARGS__)

/* Wait until CSTS.RDY equals rdy. With check_cfs, Controller Fatal Status
 * ends the wait early. 0, -EIO (CFS) or -ETIMEDOUT after CAP.TO. */
static int wait_ready(struct nvme_ctrl *c, bool rdy, bool check_cfs)
{
    uint64_t end = timer_now_ns() + c->timeout_ns;

    for (;;) {
        uint32_t csts = rd32(c, NVME_REG_CSTS);
        if (csts == 0xffffffff)
            return -EIO;   /* the function is gone (all-ones read) */
        if (check_cfs && (csts & NVME_CSTS_CFS))
            return -EIO;
        if (!!(csts & NVME_CSTS_RDY) == rdy)
            return 0;
        if (timer_now_ns() > end)
            return -ETIMEDOUT;
        pause();
    }
}

/* Submit cmd on q and poll for its completion (one command in flight).
 * 0, -EIO (a failure status, CFS, broken) or -ETIMEDOUT; *cqe_out (may be
 * NULL) gets the completion. */
static int run_cmd(struct nvme_ctrl *c, struct nvme_queue *q,
                   const struct nvme_sqe *cmd, struct nvme_cqe *cqe_out)
{
    struct nvme_cqe cqe;
    uint64_t now, end, next_csts;
    int cid;

    if (c->broken)
        return -EIO;
    cid = nvme_queue_submit(q, cmd);
    if (cid < 0)
        return -EIO;   /* cannot happen with one command in flight */
    now = timer_now_ns();
    end = now + NVME_CMD_TIMEOUT_NS;
    next_csts = now + CSTS_POLL_NS;
    for (;;) {
        if (nvme_queue_poll(q, &cqe)) {
            if (cqe.cid == cid)
                break;
            nvme_log_err(c, "queue %u: completion for unknown CID %u "
                         "ignored", q->qid, cqe.cid);
            continue;
        }
        now = timer_now_ns();
        if (now < next_csts) {
            pause();
            continue;
        }
        next_csts = now + CSTS_POLL_NS;
        if (rd32(c, NVME_REG_CSTS) & NVME_CSTS_CFS) {
            c->broken = true;
            nvme_log_err(c, "controller fatal status (CSTS.CFS) during "
                         "opcode %#x on queue %u", cmd->opc, q->qid);
            return -EIO;
        }
        if (now > end) {
            /* The buffers may still be in the controller's hands: never
             * reuse them, never issue another command. */
            c->broken = true;
            nvme_log_err(c, "opcode %#x on queue %u timed out after %llu "
                         "s; controller abandoned", cmd->opc, q->qid,
                         NVME_CMD_TIMEOUT_NS / 1000000000ull);
            return -ETIMEDOUT;
        }
        pause();
    }
    if (cqe.status >> 1) {
        nvme_log_err(c, "opcode %#x on queue %u failed: status code type "
                     "%u, status code %#x", cmd->opc, q->qid,
                     NVME_CQE_SCT(cqe.status), NVME_CQE_SC(cqe.status));
        return -EIO;
    }
    if (cqe_out)
        *cqe_out = cqe;
    return 0;
}

/* Copy an ASCII Identify field of len bytes, trailing spaces dropped. */
static void id_string(char *dst, const uint8_t *src, unsigned len)
{
    unsigned n = len;
    while (n && (src[n - 1] == ' ' || src[n - 1] == 0))
        n--;
    for (unsigned i = 0; i < n; i++)
        dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? (char)src[i] : '?';
    dst[n] = '\0';
}

static uint32_t le32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Reset (CC.EN to 0, wait CSTS.RDY 0), point AQA/ASQ/ACQ at the admin
 * queues and enable (3.5.1 steps 1-5). */
static int reset_and_enable(struct nvme_ctrl *c, uint8_t *pages)
{
    uint32_t cc = rd32(c, NVME_REG_CC);
    uint16_t entries = MIN(NVME_QUEUE_ENTRIES, NVME_CAP_MQES(c->cap) + 1);
    int err;

    /* The firmware's driver used the controller before ExitBootServices.
     * 3.5.2: wait for CSTS.RDY to match CC.EN before changing CC.EN. */
    if (cc & NVME_CC_EN) {
        wait_ready(c, true, false);
        wr32(c, NVME_REG_CC, cc & ~NVME_CC_EN);
    }
    err = wait_ready(c, false, false);
    if (err) {
        nvme_log_err(c, "reset: CSTS.RDY stayed 1 after CC.EN = 0 (%s)",
                     err_name(err));
        return err;
    }
    nvme_queue_init(&c->admin, 0, entries,
                    (struct nvme_sqe *)(pages + PG_ASQ * PAGE_SIZE),
                    (struct nvme_cqe *)(pages + PG_ACQ * PAGE_SIZE),
                    doorbell(c, 0, false), doorbell(c, 0, true));
    wr32(c, NVME_REG_INTMS, 0xffffffff);   /* polled: no pin interrupts */
    wr32(c, NVME_REG_AQA, NVME_AQA(entries, entries));
    wr64(c, NVME_REG_ASQ, (uintptr_t)c->admin.sq);
    wr64(c, NVME_REG_ACQ, (uintptr_t)c->admin.cq);
    wr32(c, NVME_REG_CC, NVME_CC_IOCQES(NVME_CQES_LOG2) |
                             NVME_CC_IOSQES(NVME_SQES_LOG2) |
                             NVME_CC_AMS_RR | NVME_CC_MPS(0) |
                             NVME_CC_CSS_NVM | NVME_CC_EN);
    err = wait_ready(c, true, true);
    if (err)
        nvme_log_err(c, "enable: CSTS.RDY not 1 within CAP.TO = %llu ms "
                     "(%s%s)", (unsigned long long)(c->timeout_ns / 1000000),
                     err_name(err),
                     rd32(c, NVME_REG_CSTS) & NVME_CSTS_CFS ? ", CSTS.CFS"
                                                           : "");
    return err;
}

/* Identify Controller (5.17.2.1): names, MDTS, VWC. */
static int identify_controller(struct nvme_ctrl *c)
{
    struct nvme_sqe cmd;
    const uint8_t *id = c->identify;
    int err;

    nvme_cmd_identify(&cmd, NVME_CNS_CONTROLLER, 0, (uintptr_t)id);
    err = run_cmd(c, &c->admin, &cmd, NULL);
    if (err)
        return err;
    id_string(c->model, id + NVME_IDCTRL_MN, NVME_MN_LEN);
    id_string(c->serial, id + NVME_IDCTRL_SN, NVME_SN_LEN);
    id_string(c->firmware, id + NVME_IDCTRL_FR, NVME_FR_LEN);
    c->vwc = id[NVME_IDCTRL_VWC] & 1;
    c->max_xfer = NVME_MAX_XFER;
    /* MDTS: 2^MDTS units of CAP.MPSMIN (= 4 KiB here); 0: no limit. */
    if (id[NVME_IDCTRL_MDTS] && id[NVME_IDCTRL_MDTS] < 20)
        c->max_xfer = MIN(c->max_xfer,
                          NVME_PAGE_SIZE << id[NVME_IDCTRL_MDTS]);
    if (le32(id + NVME_IDCTRL_NN) < 1) {
        nvme_log_err(c, "controller has no namespaces (NN = 0)");
        return -ENODEV;
    }
    return 0;
}

/* Identify Namespace 1 (NVM 4.1.5.1): size and the LBA format in use. */
static int identify_namespace(struct nvme_ctrl *c)
{
    struct nvme_sqe cmd;
    const uint8_t *id = c->identify;
    int err;

    c->nsid = 1;
    nvme_cmd_identify(&cmd, NVME_CNS_NAMESPACE, c->nsid, (uintptr_t)id);
    err = run_cmd(c, &c->admin, &cmd, NULL);
    if (err)
        return err;
    c->nsze = le64(id + NVME_IDNS_NSZE);
    if (c->nsze == 0) {
        nvme_log_err(c, "namespace 1 is not active (NSZE = 0)");
        return -ENODEV;
    }
    /* FLBAS bits 3:0 are the low and 6:5 the high bits of the index. */
    uint8_t flbas = id[NVME_IDNS_FLBAS];
    unsigned fmt = (flbas & 0xf) | ((flbas >> 5) & 3) << 4;
    if (fmt > id[NVME_IDNS_NLBAF]) {
        nvme_log_err(c, "namespace 1: LBA format %u beyond NLBAF %u", fmt,
                     id[NVME_IDNS_NLBAF]);
        return -EIO;
    }
    uint32_t lbaf = le32(id + NVME_IDNS_LBAF0 + 4 * fmt);
    unsigned lbads = NVME_LBAF_LBADS(lbaf);
    if (NVME_LBAF_MS(lbaf) || lbads < 9 || lbads > 16) {
        nvme_log_err(c, "namespace 1: LBA format %u (2^%u data bytes, %u "
                     "metadata bytes) unsupported; need 512..65536 bytes "
                     "and no metadata", fmt, lbads, NVME_LBAF_MS(lbaf));
        return -ENOTSUP;
    }
    c->lba_bytes = 1u << lbads;
    c->max_xfer = ALIGN_DOWN(c->max_xfer, c->lba_bytes);
    if (!c->max_xfer)
        c->max_xfer = c->lba_bytes;
    return 0;
}

/* Set Features Number of Queues, then I/O CQ 1 and SQ 1 (3.5.1 steps
 * 8-9; the CQ must exist before the SQ that uses it, 5.5). */
static int create_io_queues(struct nvme_ctrl *c, uint8_t *pages)
{
    uint16_t entries = MIN(NVME_QUEUE_ENTRIES, NVME_CAP_MQES(c->cap) + 1);
    struct nvme_sqe cmd;
    int err;

    nvme_queue_init(&c->io, IO_QID, entries,
                    (struct nvme_sqe *)(pages + PG_IOSQ * PAGE_SIZE),
                    (struct nvme_cqe *)(pages + PG_IOCQ * PAGE_SIZE),
                    doorbell(c, IO_QID, false), doorbell(c, IO_QID, true));
    nvme_cmd_set_num_queues(&cmd, 1, 1);
    err = run_cmd(c, &c->admin, &cmd, NULL);
    if (!err) {
        nvme_cmd_create_cq(&cmd, IO_QID, entries, (uintptr_t)c->io.cq);
        err = run_cmd(c, &c->admin, &cmd, NULL);
    }
    if (!err) {
        nvme_cmd_create_sq(&cmd, IO_QID, entries, IO_QID,
                           (uintptr_t)c->io.sq);
        err = run_cmd(c, &c->admin, &cmd, NULL);
    }
    if (err)
        nvme_log_err(c, "cannot create I/O queue pair 1 (%s)",
                     err_name(err));
    return err;
}

/* Map BAR0 and read CAP/VS; check what Keel needs of CAP. */
static int map_registers(struct nvme_ctrl *c)
{
    uint64_t size;
    bool io;
    hpa_t base = hostpci_bar(&c->pci, 0, &size, &io);

    if (!base || io || size < 0x2000) {
        nvme_log_err(c, "BAR0 is not a memory BAR of at least 8 KiB");
        return -ENODEV;
    }
    hostpci_enable(&c->pci);
    if (arch_map_mmio(base, size))
        return -ENOMEM;
    c->regs = (volatile uint8_t *)(uintptr_t)base;
    c->cap = rd64(c, NVME_REG_CAP);
    c->vs = rd32(c, NVME_REG_VS);
    c->dstrd_bytes = 4u << NVME_CAP_DSTRD(c->cap);
    c->timeout_ns = MAX(NVME_CAP_TO(c->cap) * NVME_CAP_TO_UNIT_NS,
                        MIN_READY_TIMEOUT_NS);
    if (NVME_REG_SQ0TDBL + 4 * c->dstrd_bytes > size) {
        nvme_log_err(c, "BAR0 (%llu bytes) too small for the doorbells of "
                     "queue 1 (CAP.DSTRD %u)", (unsigned long long)size,
                     NVME_CAP_DSTRD(c->cap));
        return -ENODEV;
    }
    if (!(c->cap & NVME_CAP_CSS_NVM)) {
        nvme_log_err(c, "no NVM command set (CAP.CSS bit 0 clear)");
        return -ENODEV;
    }
    if (NVME_CAP_MPSMIN(c->cap) != 0) {
        nvme_log_err(c, "4 KiB pages unsupported (CAP.MPSMIN %u)",
                     NVME_CAP_MPSMIN(c->cap));
        return -ENOTSUP;
    }
    return 0;
}

int nvme_init(struct nvme_ctrl *c, unsigned index)
{
    hpa_t frame;
    uint8_t *pages;
    int err;

    memset(c, 0, sizeof(*c));
    if (hostpci_find_class(NVME_PCI_CLASS, NVME_PCI_SUBCLASS,
                           NVME_PCI_PROG_IF, index, &c->pci))
        return -ENODEV;
    err = map_registers(c);
    if (err)
        return err;
    frame = frame_alloc(NR_PAGES, PAGE_SIZE);
    if (!frame)
        return -ENOMEM;
    pages = (uint8_t *)(uintptr_t)frame;
    memset(pages, 0, NR_PAGES * PAGE_SIZE);
    c->prp_list = (uint64_t *)(pages + PG_PRP * PAGE_SIZE);
    c->identify = pages + PG_IDENTIFY * PAGE_SIZE;

    err = reset_and_enable(c, pages);
    if (!err)
        err = identify_controller(c);
    if (!err)
        err = identify_namespace(c);
    if (!err)
        err = create_io_queues(c, pages);
    if (err)
        return err;   /* the frames stay allocated, like Keel's heap */
    log_info("nvme %02x:%02x.%x (%04x:%04x): model \"%s\", serial \"%s\", "
             "firmware \"%s\", NVMe %u.%u; namespace 1: %llu LBAs of %u "
             "bytes (%llu MiB); %u KiB per command, volatile write cache %s",
             c->pci.bus, c->pci.dev, c->pci.fn, c->pci.vendor, c->pci.device,
             c->model, c->serial, c->firmware, NVME_VS_MJR(c->vs),
             NVME_VS_MNR(c->vs), (unsigned long long)c->nsze, c->lba_bytes,
             (unsigned long long)(c->nsze * c->lba_bytes >> 20),
             c->max_xfer / 1024, c->vwc ? "yes" : "no");
    return 0;
}

int nvme_rw(struct nvme_ctrl *c, bool write, uint64_t lba, void *buf,
            uint64_t len)
{
    uint64_t addr = (uintptr_t)buf;

    if (c->broken)
        return -EIO;
    if (!len || len % c->lba_bytes || addr % 4 || lba > c->nsze ||
        len / c->lba_bytes > c->nsze - lba)
        return -EINVAL;
    for (uint64_t done = 0; done < len;) {
        uint32_t n = (uint32_t)MIN(len - done, c->max_xfer);
        struct nvme_prp prp;
        struct nvme_sqe cmd;
        int err = nvme_prp_build(addr + done, n, c->prp_list,
                                 (uintptr_t)c->prp_list, &prp);
        if (err)
            return err;
        nvme_cmd_rw(&cmd, write, c->nsid, lba + done / c->lba_bytes,
                    n / c->lba_bytes, &prp);
        err = run_cmd(c, &c->io, &cmd, NULL);
        if (err)
            return err;
        done += n;
    }
    return 0;
}

int nvme_flush(struct nvme_ctrl *c)
{
    struct nvme_sqe cmd;

    nvme_cmd_flush(&cmd, c->nsid);
    return run_cmd(c, &c->io, &cmd, NULL);
}
