/* Unit tests of the NVMe driver's pure parts (drivers/nvme_queue.c): PRP
 * construction (one page, two pages, a PRP list, offsets, refusals), the
 * completion queue's phase tag across wraps, a full submission queue, the
 * command encodings, and a whole admin + I/O exchange with a fake
 * controller that lives in host memory: it reads the SQ up to the tail
 * doorbell, walks PRP1/PRP2/PRP lists as NVMe Base 2.0 4.3.1 says, and
 * posts completions with its own phase tag. Run under ASan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define UNUSED __attribute__((unused))

#include "drivers/nvme.h"
#include "lib/errno.h"
#include "test/unit/fake_nvme.h"

#define PG NVME_PAGE_SIZE

static void *page_alloc(size_t pages)
{
    void *p = aligned_alloc(PG, pages * PG);
    assert_non_null(p);
    memset(p, 0, pages * PG);
    return p;
}

static uint64_t addr_of(const volatile void *p)
{
    return (uint64_t)(uintptr_t)p;
}

/* ---- PRPs ---- */

static uint64_t *list;

static int prp_setup(void **state UNUSED)
{
    list = page_alloc(1);
    return 0;
}

static int prp_teardown(void **state UNUSED)
{
    free(list);
    return 0;
}

static void test_prp_one_page(void **state UNUSED)
{
    struct nvme_prp p;
    assert_int_equal(nvme_prp_build(0x10000, PG, list, 0x5000, &p), 0);
    assert_int_equal(p.prp1, 0x10000);
    assert_int_equal(p.prp2, 0);
    assert_int_equal(p.list_entries, 0);
    /* An offset: up to the end of that page still needs no PRP2. */
    assert_int_equal(nvme_prp_build(0x10200, PG - 0x200, list, 0x5000, &p),
                     0);
    assert_int_equal(p.prp1, 0x10200);
    assert_int_equal(p.prp2, 0);
    assert_int_equal(nvme_prp_build(0x10004, 512, list, 0x5000, &p), 0);
    assert_int_equal(p.prp2, 0);
}

static void test_prp_two_pages(void **state UNUSED)
{
    struct nvme_prp p;
    assert_int_equal(nvme_prp_build(0x10000, 2 * PG, list, 0x5000, &p), 0);
    assert_int_equal(p.prp2, 0x11000);
    assert_int_equal(p.list_entries, 0);
    /* 512 bytes over a page boundary: PRP2 is the next page. */
    assert_int_equal(nvme_prp_build(0x10e00, 1024, list, 0x5000, &p), 0);
    assert_int_equal(p.prp1, 0x10e00);
    assert_int_equal(p.prp2, 0x11000);
    /* Offset 0x800 and 1.5 pages: the rest fits the second page. */
    assert_int_equal(nvme_prp_build(0x10800, PG + PG / 2, list, 0x5000, &p),
                     0);
    assert_int_equal(p.prp2, 0x11000);
}

static void test_prp_list(void **state UNUSED)
{
    struct nvme_prp p;
    assert_int_equal(nvme_prp_build(0x10000, 3 * PG, list, 0x5000, &p), 0);
    assert_int_equal(p.prp1, 0x10000);
    assert_int_equal(p.prp2, 0x5000);
    assert_int_equal(p.list_entries, 2);
    assert_int_equal(list[0], 0x11000);
    assert_int_equal(list[1], 0x12000);
    /* With an offset, 2 pages of data touch 3 pages: a list of 2. */
    memset(list, 0, PG);
    assert_int_equal(nvme_prp_build(0x10200, 2 * PG, list, 0x5000, &p), 0);
    assert_int_equal(p.prp2, 0x5000);
    assert_int_equal(p.list_entries, 2);
    assert_int_equal(list[0], 0x11000);
    assert_int_equal(list[1], 0x12000);
    assert_int_equal(list[2], 0);
    /* The driver's largest command, 1 MiB at an offset: 256 entries. */
    assert_int_equal(nvme_prp_build(0x100200, NVME_MAX_XFER, list, 0x5000,
                                    &p), 0);
    assert_int_equal(p.list_entries, 256);
    assert_int_equal(list[255], 0x100000 + 256 * PG);
    /* Exactly one full list page (512 entries) is the limit. */
    assert_int_equal(nvme_prp_build(0x100000, (NVME_PRP_PER_PAGE + 1) * PG,
                                    list, 0x5000, &p), 0);
    assert_int_equal(p.list_entries, NVME_PRP_PER_PAGE);
}

static void test_prp_errors(void **state UNUSED)
{
    struct nvme_prp p;
    assert_int_equal(nvme_prp_build(0x10000, 0, list, 0x5000, &p), -EINVAL);
    /* 4.3.1: the PRP offset is dword aligned. */
    assert_int_equal(nvme_prp_build(0x10002, 512, list, 0x5000, &p),
                     -EINVAL);
    /* More than one list page would need chaining. */
    assert_int_equal(nvme_prp_build(0x100000,
                                    (NVME_PRP_PER_PAGE + 2) * PG, list,
                                    0x5000, &p), -EINVAL);
}

/* ---- Against the fake controller (test/unit/fake_nvme.c) ---- */

static struct nvme_queue admin, io;
static void *asq, *acq;

static int fake_setup(void **state UNUSED)
{
    fake_nvme_reset(0);
    asq = page_alloc(1);
    acq = page_alloc(1);
    nvme_queue_init(&admin, 0, 4, asq, acq, fake_nvme_doorbell(0, false),
                    fake_nvme_doorbell(0, true));
    fake_nvme_attach_admin(asq, acq, 4);
    return 0;
}

static int fake_teardown(void **state UNUSED)
{
    free(asq);
    free(acq);
    fake_nvme_free();
    return 0;
}

/* Submit on q, let the fake run, take the completion. */
static struct nvme_cqe roundtrip(struct nvme_queue *q,
                                 const struct nvme_sqe *cmd)
{
    struct nvme_cqe cqe;
    int cid = nvme_queue_submit(q, cmd);
    assert_true(cid >= 0);
    assert_false(nvme_queue_poll(q, &cqe));   /* nothing posted yet */
    fake_nvme_step(q->qid);
    assert_true(nvme_queue_poll(q, &cqe));
    assert_int_equal(cqe.cid, cid);
    assert_false(nvme_queue_poll(q, &cqe));   /* exactly one */
    return cqe;
}

/* The admin queue has 4 entries: 10 commands wrap the CQ twice, the
 * phase the driver expects flips each time and old entries (the
 * previous pass's phase) are never taken again. */
static void test_phase_wraps(void **state UNUSED)
{
    struct nvme_sqe cmd;
    uint8_t *id = page_alloc(1);

    nvme_cmd_identify(&cmd, NVME_CNS_CONTROLLER, 0, addr_of(id));
    for (unsigned i = 0; i < 10; i++) {
        struct nvme_cqe cqe = roundtrip(&admin, &cmd);
        assert_int_equal(cqe.status >> 1, 0);
        assert_int_equal(cqe.status & 1, (i / 4) % 2 == 0);
        assert_int_equal(admin.cq_head, (i + 1) % 4);
        assert_int_equal(admin.phase, ((i + 1) / 4) % 2 == 0);
        assert_int_equal(*fake_nvme_doorbell(0, true), (i + 1) % 4);   /* CQ head doorbell */
        assert_int_equal(*fake_nvme_doorbell(0, false), (i + 1) % 4);   /* SQ tail doorbell */
        assert_int_equal(admin.sq_head, (i + 1) % 4);
    }
    assert_int_equal(fake_nvme.commands, 10);
    assert_memory_equal(id + NVME_IDCTRL_MN, "Keel fake NVMe", 14);
    free(id);
}

/* 3.3.1.5: entries - 1 commands fill the queue; the next one waits. */
static void test_queue_full(void **state UNUSED)
{
    struct nvme_sqe cmd;
    struct nvme_cqe cqe;

    nvme_cmd_flush(&cmd, 1);
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(nvme_queue_submit(&admin, &cmd), (int)i);
    assert_int_equal(nvme_queue_submit(&admin, &cmd), -EBUSY);
    assert_int_equal(*fake_nvme_doorbell(0, false), 3);
    fake_nvme.fail_status = 0x01;   /* Invalid Command Opcode: fine to fail */
    fake_nvme.q[0].sq_head = 0;
    /* Only the first completes; its SQHD frees one slot. */
    *fake_nvme_doorbell(0, false) = 1;
    fake_nvme_step(0);
    *fake_nvme_doorbell(0, false) = 3;
    assert_true(nvme_queue_poll(&admin, &cqe));
    assert_int_equal(NVME_CQE_SC(cqe.status), 1);
    assert_int_equal(NVME_CQE_SCT(cqe.status), 0);
    assert_int_equal(admin.sq_head, 1);
    assert_int_equal(nvme_queue_submit(&admin, &cmd), 3);
    assert_int_equal(admin.sq_tail, 0);
    assert_int_equal(nvme_queue_submit(&admin, &cmd), -EBUSY);
}

static void test_encodings(void **state UNUSED)
{
    struct nvme_sqe c;
    struct nvme_prp prp = { .prp1 = 0x1234000, .prp2 = 0x5000 };

    nvme_cmd_identify(&c, NVME_CNS_NAMESPACE, 1, 0x7000);
    assert_int_equal(c.opc, 0x06);
    assert_int_equal(c.nsid, 1);
    assert_int_equal(c.cdw10, 0);
    assert_int_equal(c.prp1, 0x7000);
    nvme_cmd_create_cq(&c, 1, 64, 0x8000);
    assert_int_equal(c.opc, 0x05);
    assert_int_equal(c.cdw10, 63u << 16 | 1);
    assert_int_equal(c.cdw11, 1);              /* PC, IEN 0, IV 0 */
    nvme_cmd_create_sq(&c, 1, 64, 1, 0x9000);
    assert_int_equal(c.opc, 0x01);
    assert_int_equal(c.cdw10, 63u << 16 | 1);
    assert_int_equal(c.cdw11, 1u << 16 | 1);   /* CQID 1, PC */
    nvme_cmd_set_num_queues(&c, 1, 1);
    assert_int_equal(c.opc, 0x09);
    assert_int_equal(c.cdw10, 7);
    assert_int_equal(c.cdw11, 0);              /* 0's based: one each */
    nvme_cmd_rw(&c, true, 1, 0x123456789aull, 8, &prp);
    assert_int_equal(c.opc, 0x01);
    assert_int_equal(c.cdw10, 0x3456789a);
    assert_int_equal(c.cdw11, 0x12);
    assert_int_equal(c.cdw12, 7);
    assert_int_equal(c.prp1, 0x1234000);
    assert_int_equal(c.prp2, 0x5000);
    nvme_cmd_rw(&c, false, 1, 0, 65536, &prp);
    assert_int_equal(c.opc, 0x02);
    assert_int_equal(c.cdw12, 0xffff);
    nvme_cmd_flush(&c, 1);
    assert_int_equal(c.opc, 0x00);
    assert_int_equal(c.nsid, 1);
    assert_int_equal(c.prp1, 0);
    /* The wire layout: CID in bytes 2-3 of CDW0, PRP1 at byte 24. */
    c.cid = 0xabcd;
    assert_int_equal(((uint8_t *)&c)[2], 0xcd);
    assert_int_equal(((uint8_t *)&c)[3], 0xab);
}

/* The driver's bring-up order against the fake: Identify, Set Features,
 * create CQ 1 then SQ 1, then writes and reads that span one, two and
 * many pages (PRP lists), at page offsets, and a Flush. */
static void test_fake_io(void **state UNUSED)
{
    struct nvme_sqe cmd;
    uint8_t *id = page_alloc(1), *buf = page_alloc(8), *back = page_alloc(8);
    uint64_t *prp_list = page_alloc(1);
    void *iosq = page_alloc(1), *iocq = page_alloc(1);

    nvme_cmd_identify(&cmd, NVME_CNS_NAMESPACE, 1, addr_of(id));
    assert_int_equal(roundtrip(&admin, &cmd).status >> 1, 0);
    assert_int_equal(id[NVME_IDNS_LBAF0 + 2], 9);
    nvme_queue_init(&io, 1, 8, iosq, iocq, fake_nvme_doorbell(1, false),
                    fake_nvme_doorbell(1, true));
    nvme_cmd_set_num_queues(&cmd, 1, 1);
    roundtrip(&admin, &cmd);
    nvme_cmd_create_cq(&cmd, 1, 8, addr_of(iocq));
    roundtrip(&admin, &cmd);
    nvme_cmd_create_sq(&cmd, 1, 8, 1, addr_of(iosq));
    roundtrip(&admin, &cmd);

    static const struct { uint64_t off, len, lba; } xfers[] = {
        { 0, 512, 0 }, { 0, PG, 8 }, { 0xe00, 1024, 100 },
        { 0x200, 2 * PG, 200 }, { 0, 5 * PG, 300 }, { 0x400, 6 * PG, 1000 },
    };
    for (unsigned i = 0; i < sizeof(xfers) / sizeof(xfers[0]); i++) {
        struct nvme_prp prp;
        uint8_t *p = buf + xfers[i].off, *q = back + xfers[i].off;
        for (uint64_t b = 0; b < xfers[i].len; b++)
            p[b] = (uint8_t)(b * 7 + i);
        assert_int_equal(nvme_prp_build(addr_of(p), xfers[i].len, prp_list,
                                        addr_of(prp_list), &prp), 0);
        nvme_cmd_rw(&cmd, true, 1, xfers[i].lba,
                    (uint32_t)(xfers[i].len / 512), &prp);
        assert_int_equal(roundtrip(&io, &cmd).status >> 1, 0);
        assert_memory_equal(fake_nvme.disk + xfers[i].lba * 512, p,
                            xfers[i].len);
        memset(back, 0, 8 * PG);
        assert_int_equal(nvme_prp_build(addr_of(q), xfers[i].len, prp_list,
                                        addr_of(prp_list), &prp), 0);
        nvme_cmd_rw(&cmd, false, 1, xfers[i].lba,
                    (uint32_t)(xfers[i].len / 512), &prp);
        assert_int_equal(roundtrip(&io, &cmd).status >> 1, 0);
        assert_memory_equal(q, p, xfers[i].len);
    }
    nvme_cmd_flush(&cmd, 1);
    roundtrip(&io, &cmd);
    assert_int_equal(fake_nvme.flushes, 1);
    /* 13 I/O commands through an 8-entry queue: wrapped once. */
    assert_int_equal(io.phase, 0);
    free(id), free(buf), free(back), free(prp_list), free(iosq), free(iocq);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_prp_one_page, prp_setup,
                                        prp_teardown),
        cmocka_unit_test_setup_teardown(test_prp_two_pages, prp_setup,
                                        prp_teardown),
        cmocka_unit_test_setup_teardown(test_prp_list, prp_setup,
                                        prp_teardown),
        cmocka_unit_test_setup_teardown(test_prp_errors, prp_setup,
                                        prp_teardown),
        cmocka_unit_test_setup_teardown(test_phase_wraps, fake_setup,
                                        fake_teardown),
        cmocka_unit_test_setup_teardown(test_queue_full, fake_setup,
                                        fake_teardown),
        cmocka_unit_test(test_encodings),
        cmocka_unit_test_setup_teardown(test_fake_io, fake_setup,
                                        fake_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
