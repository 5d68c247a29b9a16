/* A fake NVMe controller in host memory (test/unit/fake_nvme.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test/unit/fake_nvme.h"

#define PG NVME_PAGE_SIZE

struct fake_nvme fake_nvme;

uint32_t fake_nvme_reg(unsigned off)
{
    return *(volatile uint32_t *)(fake_nvme.bar + off);
}

void fake_nvme_set_reg(unsigned off, uint32_t v)
{
    *(volatile uint32_t *)(fake_nvme.bar + off) = v;
}

static uint64_t reg64(unsigned off)
{
    return fake_nvme_reg(off) | (uint64_t)fake_nvme_reg(off + 4) << 32;
}

void fake_nvme_reset(unsigned dstrd)
{
    memset(&fake_nvme, 0, sizeof(fake_nvme));
    fake_nvme.bar = aligned_alloc(PG, FAKE_NVME_BAR_BYTES);
    assert_non_null(fake_nvme.bar);
    memset(fake_nvme.bar, 0, FAKE_NVME_BAR_BYTES);
    uint64_t cap = 63 | 1u << 24 | (uint64_t)dstrd << 32 | NVME_CAP_CSS_NVM;
    fake_nvme_set_reg(NVME_REG_CAP, (uint32_t)cap);
    fake_nvme_set_reg(NVME_REG_CAP + 4, (uint32_t)(cap >> 32));
    fake_nvme_set_reg(NVME_REG_VS, 0x00010400);
    fake_nvme.lbads = 9;
    fake_nvme.mdts = 5;
}

void fake_nvme_free(void)
{
    free(fake_nvme.bar);
    fake_nvme.bar = NULL;
}

volatile uint32_t *fake_nvme_doorbell(unsigned qid, bool cq)
{
    unsigned stride = 4u << NVME_CAP_DSTRD(reg64(NVME_REG_CAP));
    return (volatile uint32_t *)(fake_nvme.bar + NVME_REG_SQ0TDBL +
                                 (2 * qid + cq) * stride);
}

void fake_nvme_attach_admin(void *sq, void *cq, uint16_t entries)
{
    fake_nvme.q[0] = (struct fake_nvme_q){ .sq = sq, .cq = cq,
                                           .entries = entries, .phase = 1 };
}

static void copy(uint64_t addr, uint64_t disk_off, uint64_t n, bool write)
{
    void *mem = (void *)(uintptr_t)addr;
    assert_true(disk_off + n <= sizeof(fake_nvme.disk));
    if (write)
        memcpy(fake_nvme.disk + disk_off, mem, n);
    else
        memcpy(mem, fake_nvme.disk + disk_off, n);
}

/* Walk the data pointer the way a controller does (4.3.1). */
static void transfer(const struct nvme_sqe *e, bool write)
{
    unsigned lba = 1u << fake_nvme.lbads;
    uint64_t slba = e->cdw10 | (uint64_t)e->cdw11 << 32;
    uint64_t left = ((e->cdw12 & 0xffff) + 1) * (uint64_t)lba;
    uint64_t off = slba * lba;
    uint64_t n = MIN(left, PG - e->prp1 % PG);

    assert_int_equal(e->prp1 % 4, 0);
    copy(e->prp1, off, n, write);
    off += n;
    left -= n;
    if (!left)
        return;
    if (left <= PG) {
        assert_int_equal(e->prp2 % PG, 0);
        copy(e->prp2, off, left, write);
        return;
    }
    const uint64_t *l = (const uint64_t *)(uintptr_t)e->prp2;
    for (unsigned i = 0; left; i++) {
        assert_true(i < NVME_PRP_PER_PAGE);
        assert_int_equal(l[i] % PG, 0);
        n = MIN(left, PG);
        copy(l[i], off, n, write);
        off += n;
        left -= n;
    }
}

static void identify(const struct nvme_sqe *e)
{
    uint8_t *d = (uint8_t *)(uintptr_t)e->prp1;
    memset(d, 0, PG);
    if ((e->cdw10 & 0xff) == NVME_CNS_CONTROLLER) {
        memset(d + NVME_IDCTRL_SN, ' ', NVME_SN_LEN);
        memcpy(d + NVME_IDCTRL_SN, "fake0", 5);
        memset(d + NVME_IDCTRL_MN, ' ', NVME_MN_LEN);
        memcpy(d + NVME_IDCTRL_MN, "Keel fake NVMe", 14);
        memset(d + NVME_IDCTRL_FR, ' ', NVME_FR_LEN);
        memcpy(d + NVME_IDCTRL_FR, "1.0", 3);
        d[NVME_IDCTRL_MDTS] = fake_nvme.mdts;
        d[NVME_IDCTRL_NN] = 1;
        d[NVME_IDCTRL_VWC] = 1;
        return;
    }
    assert_int_equal(e->nsid, 1);
    uint64_t nsze = FAKE_NVME_DISK_LBAS * 512ull >> fake_nvme.lbads;
    memcpy(d + NVME_IDNS_NSZE, &nsze, 8);
    memcpy(d + NVME_IDNS_NCAP, &nsze, 8);
    d[NVME_IDNS_NLBAF] = 1;
    d[NVME_IDNS_FLBAS] = fake_nvme.flbas;
    /* Format 0: 512 bytes, no metadata; format 1: the knobs. */
    d[NVME_IDNS_LBAF0 + 2] = 9;
    d[NVME_IDNS_LBAF0 + 4] = fake_nvme.ms;
    d[NVME_IDNS_LBAF0 + 6] = fake_nvme.lbads;
}

static uint16_t admin(const struct nvme_sqe *e)
{
    struct fake_nvme_q *io = &fake_nvme.q[1];
    switch (e->opc) {
    case NVME_ADMIN_IDENTIFY:
        identify(e);
        return 0;
    case NVME_ADMIN_SET_FEATURES:
        assert_int_equal(e->cdw10, NVME_FEAT_NUM_QUEUES);
        return 0;
    case NVME_ADMIN_CREATE_IO_CQ:
        assert_int_equal(e->cdw10 & 0xffff, 1);
        assert_int_equal(e->cdw11 & 3, NVME_QUEUE_PC);   /* IEN off */
        assert_int_equal(e->prp1 % PG, 0);
        io->cq = (volatile struct nvme_cqe *)(uintptr_t)e->prp1;
        io->entries = (uint16_t)((e->cdw10 >> 16) + 1);
        io->phase = 1;
        fake_nvme.created_cq = true;
        return 0;
    case NVME_ADMIN_CREATE_IO_SQ:
        assert_true(fake_nvme.created_cq);               /* CQ first */
        assert_int_equal(e->cdw11 >> 16, 1);
        assert_int_equal((e->cdw10 >> 16) + 1, io->entries);
        io->sq = (volatile struct nvme_sqe *)(uintptr_t)e->prp1;
        fake_nvme.created_sq = true;
        return 0;
    }
    fail_msg("admin opcode %#x", e->opc);
    return 0;
}

static uint16_t execute(unsigned qid, const struct nvme_sqe *e)
{
    fake_nvme.commands++;
    if (fake_nvme.fail_status) {
        uint16_t st = fake_nvme.fail_status;
        fake_nvme.fail_status = 0;
        return st;
    }
    if (qid == 0)
        return admin(e);
    assert_true(fake_nvme.created_sq);
    assert_int_equal(e->nsid, 1);
    switch (e->opc) {
    case NVME_CMD_READ:
    case NVME_CMD_WRITE:
        transfer(e, e->opc == NVME_CMD_WRITE);
        return 0;
    case NVME_CMD_FLUSH:
        fake_nvme.flushes++;
        return 0;
    }
    fail_msg("I/O opcode %#x", e->opc);
    return 0;
}

void fake_nvme_step(unsigned qid)
{
    struct fake_nvme_q *f = &fake_nvme.q[qid];
    if (!f->sq || (qid && fake_nvme.hang_io))
        return;
    while (f->sq_head != *fake_nvme_doorbell(qid, false)) {
        struct nvme_sqe e = f->sq[f->sq_head];
        uint16_t st = execute(qid, &e);
        f->sq_head = (uint16_t)((f->sq_head + 1) % f->entries);
        f->cq[f->cq_tail] = (struct nvme_cqe){
            .sqhd = f->sq_head, .sqid = (uint16_t)qid, .cid = e.cid,
            .status = (uint16_t)(st << 1 | f->phase) };
        if (++f->cq_tail == f->entries) {
            f->cq_tail = 0;
            f->phase ^= 1;
        }
    }
}

void fake_nvme_tick(void)
{
    uint32_t cc = fake_nvme_reg(NVME_REG_CC);
    uint32_t csts = fake_nvme_reg(NVME_REG_CSTS);
    bool en = cc & NVME_CC_EN, rdy = csts & NVME_CSTS_RDY;

    if (en && !rdy && !fake_nvme.ignore_enable) {
        uint32_t aqa = fake_nvme_reg(NVME_REG_AQA);
        /* 3.1.3.5: CC as Keel sets it. */
        assert_int_equal(cc, NVME_CC_IOCQES(4) | NVME_CC_IOSQES(6) |
                                 NVME_CC_EN);
        assert_int_equal(aqa & 0xfff, (aqa >> 16) & 0xfff);
        fake_nvme_attach_admin((void *)(uintptr_t)reg64(NVME_REG_ASQ),
                               (void *)(uintptr_t)reg64(NVME_REG_ACQ),
                               (uint16_t)((aqa & 0xfff) + 1));
        csts = fake_nvme.fatal ? NVME_CSTS_CFS : NVME_CSTS_RDY;
    } else if (!en && rdy) {
        /* 3.7.2 "Controller Reset": queues deleted, doorbells 0. */
        memset(fake_nvme.q, 0, sizeof(fake_nvme.q));
        memset(fake_nvme.bar + NVME_REG_SQ0TDBL, 0,
               FAKE_NVME_BAR_BYTES - NVME_REG_SQ0TDBL);
        fake_nvme.created_cq = fake_nvme.created_sq = false;
        csts = 0;
    }
    fake_nvme_set_reg(NVME_REG_CSTS, csts);
    if (csts & NVME_CSTS_RDY) {
        fake_nvme_step(0);
        fake_nvme_step(1);
    }
}
