/* Unit tests of the virtio-console device (hv/virtio/virtio_console.c) and
 * the device core's work budget (hv/virtio/virtio.c): transmitted bytes
 * reach the output in order; a long transmit queue is written at most a
 * budget per notification and finished by later polls; a chain longer
 * than VIRTIO_CONSOLE_TX_MAX (the review's 4 descriptors of 10 MiB) is
 * refused with DEVICE_NEEDS_RESET without writing a byte; typed input
 * reaches a posted receive buffer. Guest RAM: one 16 MiB slot at GPA 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define UNUSED __attribute__((unused))

#include "hv/virtio/virtio_console.h"
#include "mm/guest_mem.h"
#include "test/unit/virtio_driver.h"

#define RAM_SIZE  MiB(16)
#define QSIZE     VIRTIO_CONSOLE_QUEUE_SIZE
#define RX        VIRTIO_CONSOLE_RX
#define TX        VIRTIO_CONSOLE_TX
#define BUF_GPA   0x10000
#define BIG_GPA   MiB(4)
#define OUT_MAX   MiB(1)

static struct guest_mem gm;
static struct virtio_console *con;
static int irqs[3];             /* rx, tx, config */
static uint8_t *out;            /* what the device wrote out */
static size_t out_len;

static void on_interrupt(struct virtio_dev *d UNUSED, int q)
{
    irqs[q < 0 ? 2 : q]++;
}

static void on_output(void *ctx UNUSED, char c)
{
    if (out_len < OUT_MAX)
        out[out_len] = (uint8_t)c;
    out_len++;
}

static void post(unsigned q, uint16_t head)
{
    post_chain(q, QSIZE, head);
}

static int setup(void **state UNUSED)
{
    ram_init(&gm, RAM_SIZE);
    con = calloc(1, sizeof(*con));
    out = calloc(1, OUT_MAX);
    out_len = 0;
    memset(irqs, 0, sizeof(irqs));
    virtio_console_init(con, "test", &gm, on_output, NULL);
    con->vdev.interrupt = on_interrupt;
    driver_init(&con->vdev);
    return 0;
}

static int teardown(void **state UNUSED)
{
    free(out);
    free(con);
    free(ram);
    return 0;
}

static void test_transmit(void **state UNUSED)
{
    memcpy(ram + BUF_GPA, "hello, ", 7);
    memcpy(ram + BUF_GPA + 0x100, "world\n", 6);
    *desc(TX, 0) = (struct virtq_desc){ BUF_GPA, 7, VIRTQ_DESC_F_NEXT, 1 };
    *desc(TX, 1) = (struct virtq_desc){ BUF_GPA + 0x100, 6, 0, 0 };
    post(TX, 0);
    virtio_queue_notify(&con->vdev, TX);
    assert_int_equal(out_len, 13);
    assert_memory_equal(out, "hello, world\n", 13);
    assert_int_equal(used(TX)->idx, 1);
    assert_int_equal(irqs[TX], 1);
    assert_false(con->vdev.pending);
}

/* 64 chains of 4 KiB (256 KiB, twice the byte budget) queued at once:
 * the notification writes one budget, polls write the rest, in order. */
static void test_transmit_over_several_polls(void **state UNUSED)
{
    const unsigned n = QSIZE, len = 4096;
    for (unsigned i = 0; i < n * len; i++)
        ram[BIG_GPA + i] = (uint8_t)(i * 13 + i / 4096);
    for (unsigned i = 0; i < n; i++) {
        *desc(TX, i) = (struct virtq_desc){ BIG_GPA + i * len, len, 0, 0 };
        post(TX, (uint16_t)i);
    }
    virtio_queue_notify(&con->vdev, TX);
    assert_true(out_len <= VIRTIO_BUDGET_BYTES);
    assert_true(out_len > 0);
    assert_int_equal(used(TX)->idx, out_len / len);
    assert_true(con->vdev.pending & BIT(TX));
    unsigned polls = 0;
    while (virtio_dev_poll(&con->vdev)) {
        polls++;
        assert_true(polls < 10);
    }
    assert_int_equal(polls, 1);      /* 256 KiB = two budgets */
    assert_int_equal(out_len, n * len);
    assert_memory_equal(out, ram + BIG_GPA, n * len);
    assert_int_equal(used(TX)->idx, n);
    assert_false(con->vdev.status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
}

/* The review's transmit: one chain of 4 descriptors of 10 MiB (the same
 * buffer four times). Refused: NEEDS_RESET, nothing written. */
static void test_huge_chain_refused(void **state UNUSED)
{
    for (unsigned i = 0; i < 4; i++)
        *desc(TX, i) = (struct virtq_desc){ BUF_GPA, MiB(10),
                                            i < 3 ? VIRTQ_DESC_F_NEXT : 0,
                                            (uint16_t)(i + 1) };
    post(TX, 0);
    virtio_queue_notify(&con->vdev, TX);
    assert_int_equal(out_len, 0);
    assert_true(con->vdev.status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    assert_int_equal(irqs[2], 1);
    assert_false(virtio_dev_poll(&con->vdev));
    /* Just over the cap is refused too; at the cap it is written. */
    driver_init(&con->vdev);
    memset(ram + AVAIL_GPA(TX), 0, 4);
    memset(ram + USED_GPA(TX), 0, 4);
    *desc(TX, 0) = (struct virtq_desc){ BIG_GPA, VIRTIO_CONSOLE_TX_MAX, 0,
                                        0 };
    post(TX, 0);
    virtio_queue_notify(&con->vdev, TX);
    assert_int_equal(out_len, VIRTIO_CONSOLE_TX_MAX);
    *desc(TX, 1) = (struct virtq_desc){ BIG_GPA, VIRTIO_CONSOLE_TX_MAX + 1,
                                        0, 0 };
    post(TX, 1);
    virtio_queue_notify(&con->vdev, TX);
    assert_int_equal(out_len, VIRTIO_CONSOLE_TX_MAX);
    assert_true(con->vdev.status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
}

/* A device reset drops the work left pending. */
static void test_reset_drops_pending(void **state UNUSED)
{
    for (unsigned i = 0; i < QSIZE; i++) {
        *desc(TX, i) = (struct virtq_desc){ BIG_GPA, 4096, 0, 0 };
        post(TX, (uint16_t)i);
    }
    virtio_queue_notify(&con->vdev, TX);
    assert_true(con->vdev.pending);
    virtio_set_status(&con->vdev, 0);
    assert_false(con->vdev.pending);
    size_t before = out_len;
    assert_false(virtio_dev_poll(&con->vdev));
    assert_int_equal(out_len, before);
}

static void test_receive(void **state UNUSED)
{
    *desc(RX, 0) = (struct virtq_desc){ BUF_GPA, 16, VIRTQ_DESC_F_WRITE, 0 };
    post(RX, 0);
    virtio_queue_notify(&con->vdev, RX);
    assert_true(virtio_console_receive(con, 'k'));
    assert_int_equal(ram[BUF_GPA], 'k');
    assert_int_equal(used(RX)->idx, 1);
    assert_int_equal(used(RX)->ring[0].len, 1);
    assert_int_equal(irqs[RX], 1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_transmit),
        T(test_transmit_over_several_polls),
        T(test_huge_chain_refused),
        T(test_reset_drops_pending),
        T(test_receive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
