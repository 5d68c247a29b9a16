/* Unit tests of the virtio-net device (hv/virtio/virtio_net.c) over real split
 * virtqueues: configuration space and features, transmit gathering a
 * header + frame chain into one frame for the port, receive into a posted
 * buffer with the 12-byte header, drops (no buffer, buffer too small,
 * bad lengths) counted, and wrong-direction chains ending in
 * DEVICE_NEEDS_RESET. Guest RAM: one 1 MiB slot at GPA 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define UNUSED __attribute__((unused))

#include "hv/virtio/virtio_net.h"
#include "mm/guest_mem.h"
#include "test/unit/virtio_driver.h"

#define RAM_SIZE  MiB(1)
#define QSIZE     VIRTIO_NET_QUEUE_SIZE
#define HDR       VIRTIO_NET_HDR_BYTES
#define BUF_GPA   0x10000

static const uint8_t MAC[ETH_ALEN] = {0x52, 0x54, 0x00, 0x4b, 1, 0};

static struct guest_mem gm;
static struct virtio_net *net;
static int irqs[3];             /* rx, tx, config */
static unsigned sent;
static size_t sent_len;
static uint8_t sent_frame[2048];

static void on_interrupt(struct virtio_dev *d UNUSED, int q)
{
    irqs[q < 0 ? 2 : q]++;
}

static void on_transmit(void *ctx UNUSED, const void *frame, size_t len)
{
    sent++;
    sent_len = len;
    memcpy(sent_frame, frame, len);
}

static void post(unsigned q, uint16_t head)
{
    post_chain(q, QSIZE, head);
}

static int setup(void **state UNUSED)
{
    ram_init(&gm, RAM_SIZE);
    net = calloc(1, sizeof(*net));
    virtio_net_init(net, "test", &gm, MAC, on_transmit, NULL);
    net->vdev.interrupt = on_interrupt;
    memset(irqs, 0, sizeof(irqs));
    sent = 0;
    return 0;
}

static int teardown(void **state UNUSED)
{
    free(net);
    free(ram);
    return 0;
}

/* A frame of len bytes: broadcast from MAC, payload i * 3. */
static void fill_frame(uint8_t *f, size_t len)
{
    for (size_t i = 0; i < len; i++)
        f[i] = (uint8_t)(i * 3);
    memset(f, 0xff, ETH_ALEN);
    memcpy(f + ETH_ALEN, MAC, ETH_ALEN);
}

static void test_config_and_features(void **state UNUSED)
{
    struct virtio_dev *d = &net->vdev;
    assert_int_equal(d->device_id, VIRTIO_ID_NET);
    uint32_t lo = virtio_host_features(d, 0);
    assert_true(lo & BIT(VIRTIO_NET_F_MAC));
    assert_true(lo & BIT(VIRTIO_NET_F_STATUS));
    assert_false(lo & BIT(0));          /* VIRTIO_NET_F_CSUM */
    assert_false(lo & BIT(15));         /* VIRTIO_NET_F_MRG_RXBUF */
    assert_true(virtio_host_features(d, 1) & 1);     /* VERSION_1 */
    for (unsigned i = 0; i < ETH_ALEN; i++)
        assert_int_equal(d->ops->cfg_read(d, i, 1), MAC[i]);
    assert_int_equal(d->ops->cfg_read(d, 6, 2), VIRTIO_NET_S_LINK_UP);
    assert_int_equal(d->ops->cfg_read(d, 64, 4), 0);  /* beyond: 0 */
    assert_int_equal(d->nr_queues, 2);
}

static void test_transmit_gathers_chain(void **state UNUSED)
{
    driver_init(&net->vdev);
    uint8_t frame[100];
    fill_frame(frame, sizeof(frame));
    memset(ram + BUF_GPA, 0, HDR);                     /* header */
    memcpy(ram + BUF_GPA + 0x100, frame, 40);          /* frame, 2 parts */
    memcpy(ram + BUF_GPA + 0x200, frame + 40, 60);
    *desc(1, 0) = (struct virtq_desc){ BUF_GPA, HDR, VIRTQ_DESC_F_NEXT, 1 };
    *desc(1, 1) = (struct virtq_desc){ BUF_GPA + 0x100, 40,
                                       VIRTQ_DESC_F_NEXT, 2 };
    *desc(1, 2) = (struct virtq_desc){ BUF_GPA + 0x200, 60, 0, 0 };
    post(1, 0);
    virtio_queue_notify(&net->vdev, VIRTIO_NET_TX);
    assert_int_equal(sent, 1);
    assert_int_equal(sent_len, sizeof(frame));
    assert_memory_equal(sent_frame, frame, sizeof(frame));
    assert_int_equal(used(1)->idx, 1);
    assert_int_equal(used(1)->ring[0].id, 0);
    assert_int_equal(used(1)->ring[0].len, 0);
    assert_int_equal(irqs[1], 1);
    assert_int_equal(net->tx_frames, 1);
}

static void test_transmit_bad_lengths_dropped(void **state UNUSED)
{
    driver_init(&net->vdev);
    /* Header + 13 bytes (below ETH_HLEN), then header + 1515. */
    *desc(1, 0) = (struct virtq_desc){ BUF_GPA, HDR + ETH_HLEN - 1, 0, 0 };
    *desc(1, 1) = (struct virtq_desc){ BUF_GPA, HDR + ETH_FRAME_MAX + 1, 0,
                                       0 };
    *desc(1, 2) = (struct virtq_desc){ BUF_GPA, HDR + ETH_FRAME_MAX, 0, 0 };
    post(1, 0);
    post(1, 1);
    post(1, 2);
    virtio_queue_notify(&net->vdev, VIRTIO_NET_TX);
    assert_int_equal(net->tx_dropped, 2);
    assert_int_equal(sent, 1);
    assert_int_equal(sent_len, ETH_FRAME_MAX);
    assert_int_equal(used(1)->idx, 3);            /* all returned */
    assert_true(virtio_live(&net->vdev));
}

static void test_transmit_writable_needs_reset(void **state UNUSED)
{
    driver_init(&net->vdev);
    *desc(1, 0) = (struct virtq_desc){ BUF_GPA, 64, VIRTQ_DESC_F_WRITE, 0 };
    post(1, 0);
    virtio_queue_notify(&net->vdev, VIRTIO_NET_TX);
    assert_true(net->vdev.status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    assert_int_equal(sent, 0);
    assert_int_equal(irqs[2], 1);
}

static void test_receive_into_posted_buffer(void **state UNUSED)
{
    uint8_t frame[60];
    fill_frame(frame, sizeof(frame));
    virtio_net_receive(net, frame, sizeof(frame));   /* no driver yet */
    assert_int_equal(net->rx_dropped, 1);

    driver_init(&net->vdev);
    virtio_net_receive(net, frame, sizeof(frame));   /* no buffer yet */
    assert_int_equal(net->rx_dropped, 2);
    assert_int_equal(used(0)->idx, 0);

    /* Linux's small-buffer layout: one writable header + 1514 buffer. */
    memset(ram + BUF_GPA, 0xee, 2048);
    *desc(0, 5) = (struct virtq_desc){ BUF_GPA, HDR + ETH_FRAME_MAX,
                                       VIRTQ_DESC_F_WRITE, 0 };
    post(0, 5);
    virtio_queue_notify(&net->vdev, VIRTIO_NET_RX);  /* nothing pending */
    assert_int_equal(used(0)->idx, 0);
    virtio_net_receive(net, frame, sizeof(frame));
    assert_int_equal(used(0)->idx, 1);
    assert_int_equal(used(0)->ring[0].id, 5);
    assert_int_equal(used(0)->ring[0].len, HDR + sizeof(frame));
    struct virtio_net_hdr h;
    memcpy(&h, ram + BUF_GPA, sizeof(h));
    assert_int_equal(h.flags, 0);
    assert_int_equal(h.gso_type, 0);
    assert_int_equal(h.num_buffers, 1);
    assert_memory_equal(ram + BUF_GPA + HDR, frame, sizeof(frame));
    assert_int_equal(ram[BUF_GPA + HDR + sizeof(frame)], 0xee);
    assert_int_equal(irqs[0], 1);
    assert_int_equal(net->rx_frames, 1);
}

static void test_receive_small_buffer_dropped(void **state UNUSED)
{
    driver_init(&net->vdev);
    uint8_t frame[200];
    fill_frame(frame, sizeof(frame));
    *desc(0, 0) = (struct virtq_desc){ BUF_GPA, HDR + 100,
                                       VIRTQ_DESC_F_WRITE, 0 };
    post(0, 0);
    virtio_net_receive(net, frame, sizeof(frame));
    assert_int_equal(net->rx_dropped, 1);
    assert_int_equal(used(0)->idx, 1);            /* returned empty */
    assert_int_equal(used(0)->ring[0].len, 0);
    assert_true(virtio_live(&net->vdev));
    virtio_net_receive(net, frame, ETH_FRAME_MAX + 1);   /* too long */
    assert_int_equal(net->rx_dropped, 2);
}

static void test_receive_readable_needs_reset(void **state UNUSED)
{
    driver_init(&net->vdev);
    uint8_t frame[60];
    fill_frame(frame, sizeof(frame));
    *desc(0, 0) = (struct virtq_desc){ BUF_GPA, 2048, 0, 0 };
    post(0, 0);
    virtio_net_receive(net, frame, sizeof(frame));
    assert_true(net->vdev.status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    assert_int_equal(irqs[2], 1);
    /* The device ignores the driver until it resets; then works again. */
    virtio_net_receive(net, frame, sizeof(frame));
    assert_int_equal(net->rx_dropped, 1);
    memset(ram + USED_GPA(0), 0, 0x1000);
    memset(ram + AVAIL_GPA(0), 0, 0x1000);
    memset(ram + USED_GPA(1), 0, 0x1000);
    memset(ram + AVAIL_GPA(1), 0, 0x1000);
    driver_init(&net->vdev);
    assert_true(virtio_live(&net->vdev));
    *desc(0, 0) = (struct virtq_desc){ BUF_GPA, 2048, VIRTQ_DESC_F_WRITE,
                                       0 };
    post(0, 0);
    virtio_net_receive(net, frame, sizeof(frame));
    assert_int_equal(net->rx_frames, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_config_and_features, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_transmit_gathers_chain, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_transmit_bad_lengths_dropped,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_transmit_writable_needs_reset,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_receive_into_posted_buffer,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_receive_small_buffer_dropped,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_receive_readable_needs_reset,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
