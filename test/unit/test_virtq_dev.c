/* Unit tests of the virtio device layer over the virtqueue: feature
 * negotiation and status (hv/virtio/virtio.c), virtio-blk requests on the
 * in-memory back end (hv/virtio/virtio_blk.c), and malformed queues ending in
 * DEVICE_NEEDS_RESET with one configuration interrupt, until the driver
 * resets the device; large requests done a budget at a time over several
 * polls, buffers above size_max refused with IOERR. Guest RAM: one 4 MiB
 * slot at GPA 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define UNUSED __attribute__((unused))

#include "hv/virtio/blk_ram.h"
#include "hv/virtio/virtio_blk.h"
#include "mm/guest_mem.h"

#define RAM_SIZE  MiB(4)
#define QSIZE     VIRTIO_BLK_QUEUE_SIZE
#define DESC_GPA  0x1000
#define AVAIL_GPA 0x3000
#define USED_GPA  0x4000
#define HDR_GPA   0x10000
#define DATA_GPA  0x11000
#define STATUS_GPA 0x13000
#define DISK_SIZE (64 * 1024)
#define BIG_GPA   MiB(1)
#define BIG_SIZE  MiB(2)      /* the disk of the large-request tests */

static uint8_t *ram, disk[DISK_SIZE];
static struct guest_mem gm;
static struct blk_backend be;
static struct virtio_blk *blk;
static int irqs[2];            /* [0] queue 0, [1] config */

static void on_interrupt(struct virtio_dev *d UNUSED, int q)
{
    irqs[q < 0 ? 1 : 0]++;
}

static struct virtq_desc *desc(unsigned i)
{
    return (struct virtq_desc *)(ram + DESC_GPA) + i;
}
static struct virtq_avail *avail(void)
{
    return (struct virtq_avail *)(ram + AVAIL_GPA);
}
static struct virtq_used *used(void)
{
    return (struct virtq_used *)(ram + USED_GPA);
}

/* The driver side of 3.1.1 "Driver Requirements: Device Initialization". */
static void driver_init(void)
{
    struct virtio_dev *d = &blk->vdev;
    virtio_set_status(d, 0);
    virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
    virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    virtio_set_guest_features(d, 0, virtio_host_features(d, 0));
    virtio_set_guest_features(d, 1, virtio_host_features(d, 1));
    virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                      VIRTIO_STATUS_FEATURES_OK);
    assert_true(d->status & VIRTIO_STATUS_FEATURES_OK);
    d->queues[0].desc = DESC_GPA;
    d->queues[0].driver = AVAIL_GPA;
    d->queues[0].device = USED_GPA;
    virtio_queue_enable(d, 0);
    assert_true(d->queues[0].enabled);
    virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                      VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
}

static void make_device(bool ro)
{
    blk_ram_init(&be, disk, sizeof(disk), ro);
    virtio_blk_init(blk, "test", &gm, &be, "serial-1");
    blk->vdev.interrupt = on_interrupt;
    driver_init();
}

static int setup(void **state UNUSED)
{
    ram = aligned_alloc(PAGE_SIZE, RAM_SIZE);
    memset(ram, 0, RAM_SIZE);
    memset(&gm, 0, sizeof(gm));
    assert_int_equal(gmem_add_slot(&gm, 0, RAM_SIZE, ptr_hpa(ram)), 0);
    blk = calloc(1, sizeof(*blk));
    memset(irqs, 0, sizeof(irqs));
    for (unsigned i = 0; i < sizeof(disk); i++)
        disk[i] = (uint8_t)(i * 7);
    return 0;
}

static int teardown(void **state UNUSED)
{
    free(blk);
    free(ram);
    return 0;
}

/* A three-part request: header, data (len bytes, writable for IN), status. */
static void request(uint32_t type, uint64_t sector, uint32_t len)
{
    struct virtio_blk_req_hdr h = { type, 0, sector };
    memcpy(ram + HDR_GPA, &h, sizeof(h));
    ram[STATUS_GPA] = 0xff;
    uint16_t data_flags = VIRTQ_DESC_F_NEXT |
                          (type == VIRTIO_BLK_T_OUT ? 0 : VIRTQ_DESC_F_WRITE);
    *desc(0) = (struct virtq_desc){ HDR_GPA, 16, VIRTQ_DESC_F_NEXT, 1 };
    *desc(1) = (struct virtq_desc){ DATA_GPA, len, data_flags, 2 };
    *desc(2) = (struct virtq_desc){ STATUS_GPA, 1, VIRTQ_DESC_F_WRITE, 0 };
    avail()->ring[avail()->idx % QSIZE] = 0;
    avail()->idx++;
    virtio_queue_notify(&blk->vdev, 0);
}

static void test_negotiation(void **state UNUSED)
{
    blk_ram_init(&be, disk, sizeof(disk), false);
    virtio_blk_init(blk, "test", &gm, &be, "x");
    struct virtio_dev *d = &blk->vdev;
    /* VERSION_1 is offered; FLUSH is not (RAM is not stable storage). */
    assert_true(virtio_host_features(d, 1) & 1);
    assert_false(virtio_host_features(d, 0) & BIT(VIRTIO_BLK_F_FLUSH));
    assert_false(virtio_host_features(d, 0) & BIT(VIRTIO_BLK_F_RO));
    /* A driver without VERSION_1 does not get FEATURES_OK. */
    virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    virtio_set_guest_features(d, 0, virtio_host_features(d, 0));
    virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                      VIRTIO_STATUS_FEATURES_OK);
    assert_false(d->status & VIRTIO_STATUS_FEATURES_OK);
    /* Features the device did not offer are refused too. */
    virtio_set_guest_features(d, 1, 1 | 2);
    virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                      VIRTIO_STATUS_FEATURES_OK);
    assert_false(d->status & VIRTIO_STATUS_FEATURES_OK);
    /* Config space: capacity in sectors, seg_max, blk_size. */
    assert_int_equal(d->ops->cfg_read(d, 0, 8), DISK_SIZE / 512);
    assert_int_equal(d->ops->cfg_read(d, 12, 4), VIRTIO_BLK_SEG_MAX);
    assert_int_equal(d->ops->cfg_read(d, 20, 4), 512);
    assert_int_equal(d->ops->cfg_read(d, 0x100, 4), 0);
}

static void test_read_write(void **state UNUSED)
{
    make_device(false);
    request(VIRTIO_BLK_T_IN, 2, 1024);
    assert_int_equal(ram[STATUS_GPA], VIRTIO_BLK_S_OK);
    assert_memory_equal(ram + DATA_GPA, disk + 1024, 1024);
    assert_int_equal(used()->idx, 1);
    assert_int_equal(used()->ring[0].len, 1025);
    assert_int_equal(irqs[0], 1);

    memset(ram + DATA_GPA, 0x5a, 512);
    request(VIRTIO_BLK_T_OUT, 127, 512);            /* the last sector */
    assert_int_equal(ram[STATUS_GPA], VIRTIO_BLK_S_OK);
    assert_int_equal(disk[DISK_SIZE - 1], 0x5a);
    assert_int_equal(used()->ring[1].len, 1);

    request(VIRTIO_BLK_T_IN, 127, 1024);            /* past the end */
    assert_int_equal(ram[STATUS_GPA], VIRTIO_BLK_S_IOERR);
    request(VIRTIO_BLK_T_IN, ~0ULL, 512);           /* sector overflow */
    assert_int_equal(ram[STATUS_GPA], VIRTIO_BLK_S_IOERR);
    request(VIRTIO_BLK_T_FLUSH, 0, 0);
    assert_int_equal(ram[STATUS_GPA], VIRTIO_BLK_S_UNSUPP);
    request(VIRTIO_BLK_T_GET_ID, 0, 20);
    assert_int_equal(ram[STATUS_GPA], VIRTIO_BLK_S_OK);
    assert_string_equal((char *)ram + DATA_GPA, "serial-1");
    assert_false(blk->vdev.status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
}

static void test_read_only(void **state UNUSED)
{
    make_device(true);
    assert_true(blk->vdev.host_features & BIT(VIRTIO_BLK_F_RO));
    memset(ram + DATA_GPA, 0x5a, 512);
    request(VIRTIO_BLK_T_OUT, 0, 512);
    assert_int_equal(ram[STATUS_GPA], VIRTIO_BLK_S_IOERR);
    assert_int_equal(disk[0], 0);
}

/* After a malformed queue: NEEDS_RESET, one config interrupt, nothing
 * served until the driver resets; then the device works again. */
static void expect_needs_reset(void)
{
    struct virtio_dev *d = &blk->vdev;
    assert_true(d->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    assert_int_equal(irqs[1], 1);
    uint16_t before = used()->idx;
    request(VIRTIO_BLK_T_IN, 0, 512);
    assert_int_equal(used()->idx, before);
    /* The driver cannot clear the bit by writing status. */
    virtio_set_status(d, d->status & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    assert_true(d->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    driver_init();
    assert_false(d->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    memset(ram + AVAIL_GPA, 0, 4);
    memset(ram + USED_GPA, 0, 4);
    request(VIRTIO_BLK_T_IN, 0, 512);
    assert_int_equal(ram[STATUS_GPA], VIRTIO_BLK_S_OK);
}

static void test_loop_needs_reset(void **state UNUSED)
{
    make_device(false);
    *desc(0) = (struct virtq_desc){ HDR_GPA, 16, VIRTQ_DESC_F_NEXT, 1 };
    *desc(1) = (struct virtq_desc){ DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 0 };
    avail()->ring[0] = 0;
    avail()->idx = 1;
    virtio_queue_notify(&blk->vdev, 0);
    expect_needs_reset();
}

static void test_out_of_range_needs_reset(void **state UNUSED)
{
    make_device(false);
    *desc(0) = (struct virtq_desc){ HDR_GPA, 16, VIRTQ_DESC_F_NEXT, 1 };
    *desc(1) = (struct virtq_desc){ RAM_SIZE + 0x1000, 512,
                                    VIRTQ_DESC_F_WRITE, 0 };
    avail()->ring[0] = 0;
    avail()->idx = 1;
    virtio_queue_notify(&blk->vdev, 0);
    expect_needs_reset();
}

static void test_oversized_needs_reset(void **state UNUSED)
{
    make_device(false);
    *desc(0) = (struct virtq_desc){ HDR_GPA, 16, VIRTQ_DESC_F_NEXT, 1 };
    *desc(1) = (struct virtq_desc){ DATA_GPA, 0x7fffffff,
                                    VIRTQ_DESC_F_WRITE, 0 };
    avail()->ring[0] = 0;
    avail()->idx = 1;
    virtio_queue_notify(&blk->vdev, 0);
    expect_needs_reset();
}

static void test_bad_index_needs_reset(void **state UNUSED)
{
    make_device(false);
    avail()->ring[0] = QSIZE + 3;
    avail()->idx = 1;
    virtio_queue_notify(&blk->vdev, 0);
    expect_needs_reset();
}

static void test_bad_avail_idx_needs_reset(void **state UNUSED)
{
    make_device(false);
    avail()->idx = QSIZE + 1;
    virtio_queue_notify(&blk->vdev, 0);
    expect_needs_reset();
}

static void test_wrong_direction_needs_reset(void **state UNUSED)
{
    make_device(false);
    /* The status byte is device-readable: not a valid request. */
    *desc(0) = (struct virtq_desc){ HDR_GPA, 16, VIRTQ_DESC_F_NEXT, 1 };
    *desc(1) = (struct virtq_desc){ STATUS_GPA, 1, 0, 0 };
    avail()->ring[0] = 0;
    avail()->idx = 1;
    virtio_queue_notify(&blk->vdev, 0);
    expect_needs_reset();
}

static void test_ring_outside_ram_needs_reset(void **state UNUSED)
{
    blk_ram_init(&be, disk, sizeof(disk), false);
    virtio_blk_init(blk, "test", &gm, &be, "x");
    blk->vdev.interrupt = on_interrupt;
    struct virtio_dev *d = &blk->vdev;
    virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    virtio_set_guest_features(d, 1, 1);
    virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                      VIRTIO_STATUS_FEATURES_OK);
    d->queues[0].desc = RAM_SIZE;        /* not RAM */
    d->queues[0].driver = AVAIL_GPA;
    d->queues[0].device = USED_GPA;
    virtio_queue_enable(d, 0);
    assert_false(d->queues[0].enabled);
    assert_true(d->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
}

/* A request of nseg data segments of seg bytes at BIG_GPA, from sector 0
 * of the big disk; head descriptor 0, status at STATUS_GPA. */
static void big_request(uint32_t type, unsigned nseg, uint32_t seg)
{
    struct virtio_blk_req_hdr h = { type, 0, 0 };
    memcpy(ram + HDR_GPA, &h, sizeof(h));
    ram[STATUS_GPA] = 0xff;
    uint16_t dir = type == VIRTIO_BLK_T_OUT ? 0 : VIRTQ_DESC_F_WRITE;
    *desc(0) = (struct virtq_desc){ HDR_GPA, 16, VIRTQ_DESC_F_NEXT, 1 };
    for (unsigned i = 0; i < nseg; i++)
        *desc(1 + i) = (struct virtq_desc){ BIG_GPA + (uint64_t)i * seg, seg,
                                            dir | VIRTQ_DESC_F_NEXT,
                                            (uint16_t)(2 + i) };
    *desc(1 + nseg) = (struct virtq_desc){ STATUS_GPA, 1, VIRTQ_DESC_F_WRITE,
                                           0 };
    avail()->ring[avail()->idx % QSIZE] = 0;
    avail()->idx++;
    virtio_queue_notify(&blk->vdev, 0);
}

static uint8_t *make_big_device(void)
{
    uint8_t *big = malloc(BIG_SIZE);
    for (unsigned i = 0; i < BIG_SIZE; i++)
        big[i] = (uint8_t)(i * 31 + i / 65536);
    blk_ram_init(&be, big, BIG_SIZE, false);
    virtio_blk_init(blk, "test", &gm, &be, "big");
    blk->vdev.interrupt = on_interrupt;
    driver_init();
    return big;
}

/* The end of a large read: nothing left to poll, status OK, every byte of
 * the device in guest memory, the used length (data + status byte) and one
 * interrupt. Frees big. */
static void big_read_done(uint8_t *big)
{
    assert_false(virtio_dev_poll(&blk->vdev));
    assert_int_equal(ram[STATUS_GPA], VIRTIO_BLK_S_OK);
    assert_memory_equal(ram + BIG_GPA, big, BIG_SIZE);
    assert_int_equal(used()->ring[0].len, BIG_SIZE + 1);
    assert_int_equal(irqs[0], 1);
    free(big);
}

/* A 2 MiB read (32 segments of size_max) through the bounce buffer (the
 * in-memory back end has no rwv by default): one notification moves at most the byte budget;
 * polls finish it; the data and used length are right and the driver
 * hears once, at the end. */
static void test_large_read_over_several_polls(void **state UNUSED)
{
    uint8_t *big = make_big_device();
    assert_int_equal(blk->vdev.ops->cfg_read(&blk->vdev, 8, 4),
                     VIRTIO_BLK_SIZE_MAX);
    assert_true(blk->vdev.host_features & BIT(VIRTIO_BLK_F_SIZE_MAX));
    big_request(VIRTIO_BLK_T_IN, BIG_SIZE / VIRTIO_BLK_SIZE_MAX,
                VIRTIO_BLK_SIZE_MAX);
    assert_int_equal(used()->idx, 0);               /* not done yet */
    assert_true(blk->vdev.pending);
    assert_memory_equal(ram + BIG_GPA, big, VIRTIO_BUDGET_BYTES);
    assert_int_equal(ram[BIG_GPA + VIRTIO_BUDGET_BYTES], 0);
    unsigned polls = 0;
    while (used()->idx == 0) {
        virtio_dev_poll(&blk->vdev);
        polls++;
        assert_true(polls < 64);
        if (used()->idx == 0) {
            /* Each poll moved one budget more, not everything. */
            uint64_t done = (polls + 1) * VIRTIO_BUDGET_BYTES;
            assert_memory_equal(ram + BIG_GPA, big, done);
            assert_int_equal(ram[BIG_GPA + done], 0);
        }
    }
    assert_int_equal(polls, BIG_SIZE / VIRTIO_BUDGET_BYTES - 1);
    big_read_done(big);
}

/* The same read with buffers taken in place (rwv): VIRTIO_BLK_STEP bytes
 * per step, the first at the notification, the next at a poll. */
static void test_large_read_in_place(void **state UNUSED)
{
    uint8_t *big = make_big_device();
    be.rwv = blk_ram_rwv;
    big_request(VIRTIO_BLK_T_IN, BIG_SIZE / VIRTIO_BLK_SIZE_MAX,
                VIRTIO_BLK_SIZE_MAX);
    assert_int_equal(used()->idx, 0);
    assert_memory_equal(ram + BIG_GPA, big, VIRTIO_BLK_STEP);
    assert_int_equal(ram[BIG_GPA + VIRTIO_BLK_STEP], 0);
    virtio_dev_poll(&blk->vdev);
    assert_int_equal(used()->idx, 1);
    big_read_done(big);
}

/* The same for a 2 MiB write, then many small requests: the chain budget
 * holds too. */
static void test_large_write_and_many_requests(void **state UNUSED)
{
    uint8_t *big = make_big_device();
    for (unsigned i = 0; i < BIG_SIZE; i++)
        ram[BIG_GPA + i] = (uint8_t)(i * 7 + 1);
    big_request(VIRTIO_BLK_T_OUT, BIG_SIZE / VIRTIO_BLK_SIZE_MAX,
                VIRTIO_BLK_SIZE_MAX);
    assert_int_equal(used()->idx, 0);
    while (virtio_dev_poll(&blk->vdev))
        ;
    assert_int_equal(used()->idx, 1);
    assert_int_equal(ram[STATUS_GPA], VIRTIO_BLK_S_OK);
    assert_memory_equal(big, ram + BIG_GPA, BIG_SIZE);

    /* QSIZE one-sector reads queued at once: the first notification takes
     * VIRTIO_BUDGET_CHAINS of them. */
    struct virtio_blk_req_hdr h = { VIRTIO_BLK_T_IN, 0, 1 };
    memcpy(ram + HDR_GPA, &h, sizeof(h));
    *desc(0) = (struct virtq_desc){ HDR_GPA, 16, VIRTQ_DESC_F_NEXT, 1 };
    *desc(1) = (struct virtq_desc){ DATA_GPA, 512,
                                    VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT,
                                    2 };
    *desc(2) = (struct virtq_desc){ STATUS_GPA, 1, VIRTQ_DESC_F_WRITE, 0 };
    uint16_t before = used()->idx;
    for (unsigned i = 0; i < QSIZE; i++) {
        avail()->ring[avail()->idx % QSIZE] = 0;
        avail()->idx++;
    }
    virtio_queue_notify(&blk->vdev, 0);
    assert_int_equal((uint16_t)(used()->idx - before), VIRTIO_BUDGET_CHAINS);
    while (virtio_dev_poll(&blk->vdev))
        ;
    assert_int_equal((uint16_t)(used()->idx - before), QSIZE);
    free(big);
}

/* A data buffer longer than size_max: IOERR, the disk untouched, the
 * device still usable (5.2.6: the device reports a failed request in its
 * status byte). */
static void test_segment_over_size_max(void **state UNUSED)
{
    uint8_t *big = make_big_device();
    memset(ram + BIG_GPA, 0x77, 2 * VIRTIO_BLK_SIZE_MAX);
    big_request(VIRTIO_BLK_T_OUT, 1, 2 * VIRTIO_BLK_SIZE_MAX);
    assert_int_equal(used()->idx, 1);
    assert_int_equal(ram[STATUS_GPA], VIRTIO_BLK_S_IOERR);
    assert_int_not_equal(big[0], 0x77);
    assert_false(blk->vdev.status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    big_request(VIRTIO_BLK_T_OUT, 2, VIRTIO_BLK_SIZE_MAX);
    assert_int_equal(ram[STATUS_GPA], VIRTIO_BLK_S_OK);
    assert_int_equal(big[0], 0x77);
    free(big);
}

/* Data in buffers that are not whole sectors (100, then 924 bytes, a
 * page apart), with and without the back end taking buffers in place:
 * those pieces go through the bounce buffer, and the bytes land (and are
 * taken) where the chain says either way. */
static void split_request(uint32_t type)
{
    struct virtio_blk_req_hdr h = { type, 0, 2 };
    uint16_t data = VIRTQ_DESC_F_NEXT |
                    (type == VIRTIO_BLK_T_IN ? VIRTQ_DESC_F_WRITE : 0);
    memcpy(ram + HDR_GPA, &h, sizeof(h));
    ram[STATUS_GPA] = 0xff;
    *desc(0) = (struct virtq_desc){ HDR_GPA, 16, VIRTQ_DESC_F_NEXT, 1 };
    *desc(1) = (struct virtq_desc){ DATA_GPA, 100, data, 2 };
    *desc(2) = (struct virtq_desc){ DATA_GPA + 0x1000, 924, data, 3 };
    *desc(3) = (struct virtq_desc){ STATUS_GPA, 1, VIRTQ_DESC_F_WRITE, 0 };
    avail()->ring[avail()->idx % QSIZE] = 0;
    avail()->idx++;
    virtio_queue_notify(&blk->vdev, 0);
    assert_int_equal(ram[STATUS_GPA], VIRTIO_BLK_S_OK);
}

static void test_buffers_not_whole_sectors(void **state UNUSED)
{
    for (int direct = 0; direct < 2; direct++) {
        make_device(false);
        be.rwv = direct ? blk_ram_rwv : NULL;
        split_request(VIRTIO_BLK_T_IN);
        assert_memory_equal(ram + DATA_GPA, disk + 1024, 100);
        assert_memory_equal(ram + DATA_GPA + 0x1000, disk + 1124, 924);
        memset(ram + DATA_GPA, 0x3c + direct, 100);
        memset(ram + DATA_GPA + 0x1000, 0x4d + direct, 924);
        split_request(VIRTIO_BLK_T_OUT);
        assert_int_equal(disk[1024], 0x3c + direct);
        assert_int_equal(disk[1123], 0x3c + direct);
        assert_int_equal(disk[1124], 0x4d + direct);
        assert_int_equal(disk[2047], 0x4d + direct);
        assert_int_equal(disk[2048], (uint8_t)(2048 * 7));
    }
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_negotiation),
        T(test_read_write),
        T(test_read_only),
        T(test_loop_needs_reset),
        T(test_out_of_range_needs_reset),
        T(test_oversized_needs_reset),
        T(test_bad_index_needs_reset),
        T(test_bad_avail_idx_needs_reset),
        T(test_wrong_direction_needs_reset),
        T(test_ring_outside_ram_needs_reset),
        T(test_large_read_over_several_polls),
        T(test_large_read_in_place),
        T(test_large_write_and_many_requests),
        T(test_segment_over_size_max),
        T(test_buffers_not_whole_sectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
