/* Unit tests of the split virtqueue (hv/virtio/virtq.c): good chains
 * (direct, indirect), used ring updates, notification suppression with and
 * without VIRTIO_F_EVENT_IDX, and every malformed-queue case the issue
 * names (loop, out-of-range buffer, oversized length, bad indices, wrong
 * direction, bad indirect tables): each one returns -EIO with the reason in
 * q.err and leaves the queue dead, never touching memory outside the
 * guest's RAM (run under ASan). Guest RAM is one 1 MiB slot at GPA 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define UNUSED __attribute__((unused))

#include "hv/virtio/virtq.h"
#include "lib/errno.h"
#include "mm/guest_mem.h"

#define RAM_SIZE  MiB(1)
#define QSIZE     8
#define DESC_GPA  0x1000
#define AVAIL_GPA 0x2000
#define USED_GPA  0x3000
#define BUF_GPA   0x10000

static uint8_t *ram;
static struct guest_mem gm;
static struct virtq q;
static struct virtq_chain chain;

static int setup(void **state UNUSED)
{
    ram = aligned_alloc(PAGE_SIZE, RAM_SIZE);
    memset(ram, 0, RAM_SIZE);
    memset(&gm, 0, sizeof(gm));
    assert_int_equal(gmem_add_slot(&gm, 0, RAM_SIZE, ptr_hpa(ram)), 0);
    return 0;
}

static int teardown(void **state UNUSED)
{
    free(ram);
    return 0;
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
static uint16_t *used_event(void) { return &avail()->ring[QSIZE]; }
static uint16_t *avail_event(void)
{
    return (uint16_t *)&used()->ring[QSIZE];
}

static void set_desc(struct virtq_desc *d, uint64_t addr, uint32_t len,
                     uint16_t flags, uint16_t next)
{
    d->addr = addr;
    d->len = len;
    d->flags = flags;
    d->next = next;
}

/* Make chain `head` available as the driver would. */
static void offer(uint16_t head)
{
    avail()->ring[avail()->idx % QSIZE] = head;
    avail()->idx++;
}

static void start(bool event_idx)
{
    assert_int_equal(virtq_start(&q, &gm, QSIZE, DESC_GPA, AVAIL_GPA,
                                 USED_GPA, event_idx), 0);
}

/* A pop that must fail with reason e, then leave the queue dead. */
static void expect_broken(enum virtq_error e)
{
    assert_int_equal(virtq_pop(&q, &chain), -EIO);
    assert_int_equal(q.err, e);
    assert_string_not_equal(virtq_error_name(e), "?");
    assert_int_equal(virtq_pop(&q, &chain), 0);      /* stays dead */
    assert_int_equal(virtq_push(&q, 0, 0), -EIO);
    assert_false(virtq_should_interrupt(&q));
}

/* ---- good queues -------------------------------------------------------- */

static void test_direct_chain(void **state UNUSED)
{
    start(false);
    /* A virtio-blk-like request: 16-byte header, 512 data out, 1 in. */
    memcpy(ram + BUF_GPA, "header..........", 16);
    memset(ram + BUF_GPA + 0x100, 0xab, 512);
    set_desc(desc(3), BUF_GPA, 16, VIRTQ_DESC_F_NEXT, 5);
    set_desc(desc(5), BUF_GPA + 0x100, 512, VIRTQ_DESC_F_NEXT, 0);
    set_desc(desc(0), BUF_GPA + 0x400, 1, VIRTQ_DESC_F_WRITE, 0);
    offer(3);

    assert_int_equal(virtq_pop(&q, &chain), 1);
    assert_int_equal(chain.head, 3);
    assert_int_equal(chain.nr_out, 2);
    assert_int_equal(chain.nr_in, 1);
    assert_int_equal(chain.out_bytes, 528);
    assert_int_equal(chain.in_bytes, 1);

    /* The readable part reads as one stream across buffers. */
    uint8_t buf[32];
    assert_int_equal(virtq_chain_read(&q, &chain, 10, buf, 8), 0);
    assert_memory_equal(buf, "........", 6);
    assert_int_equal(buf[6], 0xab);
    assert_int_equal(virtq_chain_read(&q, &chain, 520, buf, 9), -EFAULT);
    uint8_t st = 0;
    assert_int_equal(virtq_chain_write(&q, &chain, 0, &st, 1), 0);
    assert_int_equal(virtq_chain_write(&q, &chain, 0, buf, 2), -EFAULT);

    assert_int_equal(virtq_pop(&q, &chain), 0);       /* nothing more */
    assert_int_equal(virtq_push(&q, 3, 1), 0);
    assert_int_equal(used()->idx, 1);
    assert_int_equal(used()->ring[0].id, 3);
    assert_int_equal(used()->ring[0].len, 1);
    assert_true(virtq_should_interrupt(&q));
    assert_false(virtq_should_interrupt(&q));         /* nothing new */
    assert_int_equal(q.err, VIRTQ_OK);
}

static void test_ring_wraps(void **state UNUSED)
{
    start(false);
    set_desc(desc(0), BUF_GPA, 64, VIRTQ_DESC_F_WRITE, 0);
    /* Indices are free-running 16-bit: start near the wrap. */
    avail()->idx = 65533;
    q.last_avail = 65533;
    q.used_idx = q.signalled = 65533;
    for (int i = 0; i < 5; i++) {
        offer(0);
        assert_int_equal(virtq_pop(&q, &chain), 1);
        assert_int_equal(virtq_push(&q, 0, 64), 0);
    }
    assert_int_equal(used()->idx, 2);
    assert_int_equal(q.err, VIRTQ_OK);
}

static void test_indirect(void **state UNUSED)
{
    start(false);
    struct virtq_desc *table = (struct virtq_desc *)(ram + 0x8000);
    set_desc(&table[0], BUF_GPA, 16, VIRTQ_DESC_F_NEXT, 2);
    set_desc(&table[2], BUF_GPA + 0x1000, 4096,
             VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
    set_desc(&table[1], BUF_GPA + 0x2000, 1, VIRTQ_DESC_F_WRITE, 0);
    set_desc(desc(6), 0x8000, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
    offer(6);

    assert_int_equal(virtq_pop(&q, &chain), 1);
    assert_int_equal(chain.head, 6);
    assert_int_equal(chain.nr_out, 1);
    assert_int_equal(chain.nr_in, 2);
    assert_int_equal(chain.in_bytes, 4097);
    assert_int_equal(chain.buf[1].gpa, BUF_GPA + 0x1000);
    assert_int_equal(virtq_push(&q, 6, 4097), 0);
    assert_int_equal(used()->ring[0].id, 6);
}

/* Direct descriptors, then an indirect table at the end of the chain. */
static void test_indirect_after_direct(void **state UNUSED)
{
    start(false);
    struct virtq_desc *table = (struct virtq_desc *)(ram + 0x8000);
    set_desc(&table[0], BUF_GPA + 0x100, 8, VIRTQ_DESC_F_WRITE, 0);
    set_desc(desc(1), BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 2);
    set_desc(desc(2), 0x8000, 16, VIRTQ_DESC_F_INDIRECT, 0);
    offer(1);
    assert_int_equal(virtq_pop(&q, &chain), 1);
    assert_int_equal(chain.nr_out, 1);
    assert_int_equal(chain.nr_in, 1);
}

static void test_no_interrupt_flag(void **state UNUSED)
{
    start(false);
    set_desc(desc(0), BUF_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
    avail()->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
    offer(0);
    assert_int_equal(virtq_pop(&q, &chain), 1);
    assert_int_equal(virtq_push(&q, 0, 8), 0);
    assert_false(virtq_should_interrupt(&q));
    avail()->flags = 0;
    offer(0);
    assert_int_equal(virtq_pop(&q, &chain), 1);
    assert_int_equal(virtq_push(&q, 0, 8), 0);
    assert_true(virtq_should_interrupt(&q));
}

static void test_event_idx(void **state UNUSED)
{
    start(true);
    set_desc(desc(0), BUF_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
    /* The device publishes the next index it wants a notification for. */
    assert_int_equal(virtq_pop(&q, &chain), 0);
    assert_int_equal(*avail_event(), 0);
    offer(0);
    offer(0);
    offer(0);
    assert_int_equal(virtq_pop(&q, &chain), 1);
    assert_int_equal(*avail_event(), 1);

    /* used_event 0: interrupt once used->idx passes 0 ... */
    *used_event() = 0;
    assert_int_equal(virtq_push(&q, 0, 8), 0);
    assert_true(virtq_should_interrupt(&q));
    /* ... and not again while used_event stays behind. */
    assert_int_equal(virtq_pop(&q, &chain), 1);
    assert_int_equal(virtq_push(&q, 0, 8), 0);
    assert_false(virtq_should_interrupt(&q));
    /* The driver asks for an interrupt after entry 2 (idx moves 2 -> 3). */
    *used_event() = 2;
    assert_int_equal(virtq_pop(&q, &chain), 1);
    assert_int_equal(*avail_event(), 3);
    assert_int_equal(virtq_push(&q, 0, 8), 0);
    assert_true(virtq_should_interrupt(&q));
    /* The flag is ignored once EVENT_IDX is negotiated. */
    avail()->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
    *used_event() = 3;
    offer(0);
    assert_int_equal(virtq_pop(&q, &chain), 1);
    assert_int_equal(virtq_push(&q, 0, 8), 0);
    assert_true(virtq_should_interrupt(&q));
}

static void test_need_event_math(void **state UNUSED)
{
    assert_true(virtq_need_event(0, 1, 0));
    assert_false(virtq_need_event(1, 1, 0));
    assert_true(virtq_need_event(5, 10, 0));
    assert_false(virtq_need_event(10, 10, 0));
    assert_true(virtq_need_event(65535, 2, 65534));   /* across the wrap */
}

/* ---- malformed queues ---------------------------------------------------- */

static void test_bad_ring_addresses(void **state UNUSED)
{
    assert_int_equal(virtq_start(&q, &gm, QSIZE, RAM_SIZE - 16, AVAIL_GPA,
                                 USED_GPA, false), -EINVAL);
    assert_int_equal(q.err, VIRTQ_ERR_RING_ADDR);
    assert_false(q.ready);
    assert_int_equal(virtq_pop(&q, &chain), 0);
    assert_int_equal(virtq_start(&q, &gm, QSIZE, DESC_GPA + 8, AVAIL_GPA,
                                 USED_GPA, false), -EINVAL);
    assert_int_equal(virtq_start(&q, &gm, QSIZE, DESC_GPA, AVAIL_GPA + 1,
                                 USED_GPA, false), -EINVAL);
    assert_int_equal(virtq_start(&q, &gm, 6, DESC_GPA, AVAIL_GPA, USED_GPA,
                                 false), -EINVAL);
    assert_int_equal(virtq_start(&q, &gm, 0, DESC_GPA, AVAIL_GPA, USED_GPA,
                                 false), -EINVAL);
    /* A used ring whose avail_event would lie past the end of RAM. */
    assert_int_equal(virtq_start(&q, &gm, QSIZE, DESC_GPA, AVAIL_GPA,
                                 RAM_SIZE - 4 - 8 * QSIZE, false), -EINVAL);
    assert_int_equal(virtq_start(&q, &gm, QSIZE, DESC_GPA, AVAIL_GPA,
                                 ~0ULL - 3, false), -EINVAL);
}

static void test_loop(void **state UNUSED)
{
    start(false);
    set_desc(desc(0), BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
    set_desc(desc(1), BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 2);
    set_desc(desc(2), BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 0);
    offer(0);
    expect_broken(VIRTQ_ERR_LOOP);
}

static void test_self_loop(void **state UNUSED)
{
    start(false);
    set_desc(desc(4), BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 4);
    offer(4);
    expect_broken(VIRTQ_ERR_LOOP);
}

static void test_indirect_loop(void **state UNUSED)
{
    start(false);
    struct virtq_desc *table = (struct virtq_desc *)(ram + 0x8000);
    set_desc(&table[0], BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
    set_desc(&table[1], BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 0);
    set_desc(desc(0), 0x8000, 32, VIRTQ_DESC_F_INDIRECT, 0);
    offer(0);
    expect_broken(VIRTQ_ERR_LOOP);
}

static void test_buffer_out_of_range(void **state UNUSED)
{
    start(false);
    set_desc(desc(0), RAM_SIZE + 0x1000, 16, 0, 0);
    offer(0);
    expect_broken(VIRTQ_ERR_BUFFER);
}

static void test_buffer_oversized(void **state UNUSED)
{
    start(false);
    /* Starts in RAM, runs past its end. */
    set_desc(desc(0), BUF_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
    set_desc(desc(1), RAM_SIZE - 4096, 0xffffffff, VIRTQ_DESC_F_WRITE, 0);
    offer(0);
    expect_broken(VIRTQ_ERR_BUFFER);
}

static void test_buffer_wraps_address_space(void **state UNUSED)
{
    start(false);
    set_desc(desc(0), ~0ULL - 8, 64, 0, 0);
    offer(0);
    expect_broken(VIRTQ_ERR_BUFFER);
}

static void test_bad_avail_idx(void **state UNUSED)
{
    start(false);
    set_desc(desc(0), BUF_GPA, 8, 0, 0);
    avail()->idx = QSIZE + 1;    /* more entries than the ring holds */
    expect_broken(VIRTQ_ERR_AVAIL_IDX);
}

static void test_bad_head(void **state UNUSED)
{
    start(false);
    offer(QSIZE);
    expect_broken(VIRTQ_ERR_HEAD);
}

static void test_bad_next(void **state UNUSED)
{
    start(false);
    set_desc(desc(0), BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 0x8000);
    offer(0);
    expect_broken(VIRTQ_ERR_HEAD);
}

/* The first index past the table: valid indices are 0..size-1 (2.7.5). */
static void test_next_equals_size(void **state UNUSED)
{
    start(false);
    set_desc(desc(0), BUF_GPA, 8, VIRTQ_DESC_F_NEXT, QSIZE);
    offer(0);
    expect_broken(VIRTQ_ERR_HEAD);
}

static void test_wrong_direction(void **state UNUSED)
{
    start(false);
    set_desc(desc(0), BUF_GPA, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    set_desc(desc(1), BUF_GPA, 8, 0, 0);
    offer(0);
    expect_broken(VIRTQ_ERR_DIRECTION);
}

static void test_indirect_nested(void **state UNUSED)
{
    start(false);
    struct virtq_desc *table = (struct virtq_desc *)(ram + 0x8000);
    set_desc(&table[0], 0x8000, 16, VIRTQ_DESC_F_INDIRECT, 0);
    set_desc(desc(0), 0x8000, 16, VIRTQ_DESC_F_INDIRECT, 0);
    offer(0);
    expect_broken(VIRTQ_ERR_INDIRECT);
}

static void test_indirect_with_next(void **state UNUSED)
{
    start(false);
    set_desc(desc(0), 0x8000, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT,
             1);
    offer(0);
    expect_broken(VIRTQ_ERR_INDIRECT);
}

static void test_indirect_bad_len(void **state UNUSED)
{
    start(false);
    set_desc(desc(0), 0x8000, 24, VIRTQ_DESC_F_INDIRECT, 0);
    offer(0);
    expect_broken(VIRTQ_ERR_INDIRECT);
}

static void test_indirect_out_of_range(void **state UNUSED)
{
    start(false);
    set_desc(desc(0), RAM_SIZE - 32, 64, VIRTQ_DESC_F_INDIRECT, 0);
    offer(0);
    expect_broken(VIRTQ_ERR_INDIRECT);
}

static void test_too_many_buffers(void **state UNUSED)
{
    start(false);
    unsigned n = VIRTQ_MAX_SG + 1;
    struct virtq_desc *table = (struct virtq_desc *)(ram + 0x8000);
    for (unsigned i = 0; i < n; i++)
        set_desc(&table[i], BUF_GPA, 8,
                 i + 1 < n ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
    set_desc(desc(0), 0x8000, n * 16, VIRTQ_DESC_F_INDIRECT, 0);
    offer(0);
    expect_broken(VIRTQ_ERR_TOO_MANY);
}

static void test_push_unowned(void **state UNUSED)
{
    start(false);
    assert_int_equal(virtq_push(&q, 0, 0), -EIO);
    assert_int_equal(q.err, VIRTQ_ERR_USED_ID);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_direct_chain),
        T(test_ring_wraps),
        T(test_indirect),
        T(test_indirect_after_direct),
        T(test_no_interrupt_flag),
        T(test_event_idx),
        T(test_need_event_math),
        T(test_bad_ring_addresses),
        T(test_loop),
        T(test_self_loop),
        T(test_indirect_loop),
        T(test_buffer_out_of_range),
        T(test_buffer_oversized),
        T(test_buffer_wraps_address_space),
        T(test_bad_avail_idx),
        T(test_bad_head),
        T(test_bad_next),
        T(test_next_equals_size),
        T(test_wrong_direction),
        T(test_indirect_nested),
        T(test_indirect_with_next),
        T(test_indirect_bad_len),
        T(test_indirect_out_of_range),
        T(test_too_many_buffers),
        T(test_push_unowned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
