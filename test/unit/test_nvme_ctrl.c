/* Unit tests of the NVMe controller driver (drivers/nvme.c) and its block
 * back end (hv/virtio/blk_nvme.c) against the fake controller of
 * test/unit/fake_nvme.c, whose BAR0 is host memory: bring-up (reset of a
 * controller the firmware left enabled, a doorbell stride other than 4),
 * what the log says, reads and writes split by MDTS with PRP lists, Flush,
 * range checks, and every error path with its time limit: CSTS.RDY never
 * set (CAP.TO), CSTS.CFS, a command that never completes (10 s, then the
 * controller is abandoned), a failed status, LBA formats Keel refuses, no
 * controller. Time is stub_now_ns; the fake takes a step at every
 * timer_now_ns() the driver's wait loops call. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define UNUSED __attribute__((unused))

#include "drivers/nvme.h"
#include "hv/virtio/blk_nvme.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "mm/frame.h"
#include "test/unit/fake_nvme.h"
#include "test/unit/host_stubs.h"

#define PG NVME_PAGE_SIZE
#define POOL_PAGES 64
#define TICK_NS 1000000ull   /* fake time per timer_now_ns(): 1 ms */

/* blk_nvme_init keeps its controller on a failure, as Keel never frees
 * what a VM is built from (mm/heap.h): not a leak. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "detect_leaks=0";
}

static bool have_ctrl;
static void *pool;
static struct nvme_ctrl c;
static char logbuf[8192];
static size_t loglen;

/* The machine's PCI bus as this test sees it: one NVMe function whose
 * BAR0 is the fake's register block (strong over host_stubs' weak ones). */
int hostpci_find_class(uint8_t class_code, uint8_t subclass, uint8_t prog_if,
                       unsigned index, struct hostpci_dev *out)
{
    assert_int_equal(class_code, 0x01);
    assert_int_equal(subclass, 0x08);
    assert_int_equal(prog_if, 0x02);
    if (!have_ctrl || index > 0)
        return -ENODEV;
    *out = (struct hostpci_dev){ .dev = 4, .vendor = 0x1b36,
                                 .device = 0x0010, .class_code = 1,
                                 .subclass = 8 };
    return 0;
}

uint64_t hostpci_bar(const struct hostpci_dev *d, unsigned bar,
                     uint64_t *size, bool *is_io)
{
    (void)d;
    assert_int_equal(bar, 0);
    *size = FAKE_NVME_BAR_BYTES;
    *is_io = false;
    return (uintptr_t)fake_nvme.bar;
}

static void tick(void)
{
    stub_now_ns += TICK_NS;
    fake_nvme_tick();
}

static void capture(const char *s, size_t n)
{
    n = MIN(n, sizeof(logbuf) - 1 - loglen);
    memcpy(logbuf + loglen, s, n);
    loglen += n;
    logbuf[loglen] = '\0';
}

static void assert_logged(const char *what)
{
    if (!strstr(logbuf, what))
        fail_msg("log lacks \"%s\"; it says:\n%s", what, logbuf);
}

static int setup_stride(unsigned dstrd)
{
    fake_nvme_reset(dstrd);
    have_ctrl = true;
    pool = aligned_alloc(PG, POOL_PAGES * PG);
    frame_init();
    assert_int_equal(frame_add_free((uintptr_t)pool, POOL_PAGES), 0);
    stub_now_ns = 0;
    stub_timer_hook = tick;
    loglen = 0;
    logbuf[0] = '\0';
    log_set_output(capture);
    return 0;
}

static int setup(void **state UNUSED)
{
    return setup_stride(0);
}

static int teardown(void **state UNUSED)
{
    stub_timer_hook = NULL;
    log_set_output(NULL);
    fake_nvme_free();
    free(pool);
    return 0;
}

/* Bring-up and what the log says; I/O split into MDTS-sized commands
 * (MDTS 5: 128 KiB) with PRP lists, from a buffer at a page offset. */
static void test_init_and_io(void **state UNUSED)
{
    enum { LEN = 300 * 1024, LBA = 10 };
    uint8_t *mem = aligned_alloc(PG, LEN + 2 * PG), *buf = mem + 0x200;

    assert_int_equal(nvme_init(&c, 0), 0);
    assert_string_equal(c.model, "Keel fake NVMe");
    assert_string_equal(c.serial, "fake0");
    assert_string_equal(c.firmware, "1.0");
    assert_int_equal(c.nsze, FAKE_NVME_DISK_LBAS);
    assert_int_equal(c.lba_bytes, 512);
    assert_int_equal(c.max_xfer, 128 * 1024);
    assert_true(c.vwc);
    assert_logged("nvme 00:04.0 (1b36:0010): model \"Keel fake NVMe\", "
                  "serial \"fake0\", firmware \"1.0\", NVMe 1.4; namespace "
                  "1: 4096 LBAs of 512 bytes (2 MiB); 128 KiB per command");
    assert_true(fake_nvme.created_sq);

    for (unsigned i = 0; i < LEN; i++)
        buf[i] = (uint8_t)(i * 13 + 1);
    unsigned before = fake_nvme.commands;
    assert_int_equal(nvme_rw(&c, true, LBA, buf, LEN), 0);
    assert_int_equal(fake_nvme.commands - before, 3);   /* 128+128+44 KiB */
    assert_memory_equal(fake_nvme.disk + LBA * 512, buf, LEN);
    memset(buf, 0, LEN);
    assert_int_equal(nvme_rw(&c, false, LBA, buf, LEN), 0);
    assert_memory_equal(fake_nvme.disk + LBA * 512, buf, LEN);
    assert_int_equal(nvme_flush(&c), 0);
    assert_int_equal(fake_nvme.flushes, 1);

    /* Range and alignment checks send nothing. */
    before = fake_nvme.commands;
    assert_int_equal(nvme_rw(&c, false, FAKE_NVME_DISK_LBAS - 1, buf, 1024),
                     -EINVAL);
    assert_int_equal(nvme_rw(&c, false, FAKE_NVME_DISK_LBAS + 1, buf, 512),
                     -EINVAL);
    assert_int_equal(nvme_rw(&c, false, 0, buf + 2, 512), -EINVAL);
    assert_int_equal(nvme_rw(&c, false, 0, buf, 100), -EINVAL);
    assert_int_equal(nvme_rw(&c, false, 0, buf, 0), -EINVAL);
    assert_int_equal(fake_nvme.commands, before);
    assert_int_equal(nvme_rw(&c, false, FAKE_NVME_DISK_LBAS - 2, buf, 1024),
                     0);
    free(mem);
}

/* CAP.DSTRD 2: doorbells 16 bytes apart. */
static void test_doorbell_stride(void **state UNUSED)
{
    uint8_t *buf = aligned_alloc(PG, PG);
    teardown(NULL);
    setup_stride(2);
    assert_int_equal(nvme_init(&c, 0), 0);
    assert_int_equal(c.dstrd_bytes, 16);
    assert_ptr_equal(c.io.sq_tdbl, fake_nvme_doorbell(1, false));
    assert_ptr_equal((uint8_t *)c.io.cq_hdbl,
                     fake_nvme.bar + 0x1000 + 3 * 16);
    memset(buf, 0x5a, PG);
    assert_int_equal(nvme_rw(&c, true, 7, buf, PG), 0);
    assert_int_equal(fake_nvme.disk[7 * 512 + 100], 0x5a);
    free(buf);
}

/* The firmware left the controller enabled: Keel disables it first. */
static void test_reset_of_enabled_controller(void **state UNUSED)
{
    fake_nvme_set_reg(NVME_REG_CC, NVME_CC_EN);
    fake_nvme_set_reg(NVME_REG_CSTS, NVME_CSTS_RDY);
    fake_nvme.ignore_enable = true;      /* its own old queues: none */
    tick();
    fake_nvme.ignore_enable = false;
    assert_int_equal(nvme_init(&c, 0), 0);
    assert_int_equal(fake_nvme_reg(NVME_REG_CSTS), NVME_CSTS_RDY);
}

/* CSTS.RDY never follows CC.EN: ETIMEDOUT after CAP.TO (500 ms). */
static void test_enable_timeout(void **state UNUSED)
{
    fake_nvme.ignore_enable = true;
    assert_int_equal(nvme_init(&c, 0), -ETIMEDOUT);
    assert_in_range(stub_now_ns, 500000000ull, 600000000ull);
    assert_logged("enable: CSTS.RDY not 1 within CAP.TO = 500 ms "
                  "(ETIMEDOUT)");
}

static void test_fatal_status(void **state UNUSED)
{
    fake_nvme.fatal = true;
    assert_int_equal(nvme_init(&c, 0), -EIO);
    assert_logged("(EIO, CSTS.CFS)");
    assert_true(stub_now_ns < 100000000ull);   /* no wait for CAP.TO */
}

/* A command that never completes: ETIMEDOUT after 10 s, then nothing more
 * is sent and every request fails at once. */
static void test_command_timeout(void **state UNUSED)
{
    uint8_t *buf = aligned_alloc(PG, PG);
    assert_int_equal(nvme_init(&c, 0), 0);
    fake_nvme.hang_io = true;
    uint64_t t0 = stub_now_ns;
    assert_int_equal(nvme_rw(&c, false, 0, buf, 512), -ETIMEDOUT);
    assert_in_range(stub_now_ns - t0, NVME_CMD_TIMEOUT_NS,
                    NVME_CMD_TIMEOUT_NS + 10 * TICK_NS);
    assert_logged("opcode 0x2 on queue 1 timed out after 10 s; controller "
                  "abandoned");
    assert_true(c.broken);
    fake_nvme.hang_io = false;
    t0 = stub_now_ns;
    unsigned sent = fake_nvme.commands;
    assert_int_equal(nvme_rw(&c, false, 0, buf, 512), -EIO);
    assert_int_equal(nvme_flush(&c), -EIO);
    assert_int_equal(stub_now_ns, t0);
    tick();
    assert_int_equal(fake_nvme.commands, sent + 1);   /* only the old one */
    free(buf);
}

/* A failed command: EIO with its status; the next one works. */
static void test_command_error(void **state UNUSED)
{
    uint8_t *buf = aligned_alloc(PG, PG);
    assert_int_equal(nvme_init(&c, 0), 0);
    fake_nvme.fail_status = 2u << 8 | 0x81;   /* Media, Unrecovered Read */
    assert_int_equal(nvme_rw(&c, false, 0, buf, 512), -EIO);
    assert_logged("opcode 0x2 on queue 1 failed: status code type 2, "
                  "status code 0x81");
    assert_false(c.broken);
    assert_int_equal(nvme_rw(&c, false, 0, buf, 512), 0);
    free(buf);
}

static void test_lba_formats(void **state UNUSED)
{
    /* Format 1 with 8 metadata bytes per LBA: refused. */
    fake_nvme.flbas = 1;
    fake_nvme.ms = 8;
    assert_int_equal(nvme_init(&c, 0), -ENOTSUP);
    assert_logged("namespace 1: LBA format 1 (2^9 data bytes, 8 metadata "
                  "bytes) unsupported");
    /* 4 KiB LBAs: the driver takes them, the virtio-blk back end not. */
    fake_nvme.ms = 0;
    fake_nvme.lbads = 12;
    assert_int_equal(nvme_init(&c, 0), 0);
    assert_int_equal(c.lba_bytes, 4096);
    assert_int_equal(c.nsze, FAKE_NVME_DISK_LBAS / 8);
    struct blk_backend be;
    assert_int_equal(blk_nvme_init(&be, 0, false), -ENOTSUP);
    assert_logged("nvme 0: LBA size 4096 bytes; the virtio-blk back end "
                  "needs 512-byte LBAs");
}

/* The block back end over the driver: size, read-only, Flush. */
static void test_backend(void **state UNUSED)
{
    struct blk_backend be;
    uint8_t *buf = aligned_alloc(PG, 2 * PG);

    assert_int_equal(blk_nvme_init(&be, 0, true), 0);
    assert_int_equal(be.size, FAKE_NVME_DISK_LBAS * 512ull);
    assert_true(be.read_only);
    assert_true(be.stable_flush);
    memset(buf, 0xc3, 2 * PG);
    assert_int_equal(be.write(&be, 4096, buf, 2 * PG), 0);
    assert_int_equal(fake_nvme.disk[4096 + 2 * PG - 1], 0xc3);
    memset(buf, 0, 2 * PG);
    assert_int_equal(be.read(&be, 4096, buf, 2 * PG), 0);
    assert_int_equal(buf[0], 0xc3);
    assert_int_equal(be.flush(&be), 0);
    assert_int_equal(fake_nvme.flushes, 1);
    free(buf);
}

static void test_no_controller(void **state UNUSED)
{
    struct blk_backend be;
    have_ctrl = false;
    assert_int_equal(nvme_init(&c, 0), -ENODEV);
    assert_int_equal(blk_nvme_init(&be, 0, false), -ENODEV);
    have_ctrl = true;
    assert_int_equal(nvme_init(&c, 1), -ENODEV);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_init_and_io, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doorbell_stride, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reset_of_enabled_controller,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_enable_timeout, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fatal_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_timeout, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_command_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lba_formats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backend, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_controller, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
