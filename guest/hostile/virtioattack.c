/* Hostile (issue 11): a driver that lies to Keel's virtio-blk device. It
 * finds the device on PCI bus 0 (virtio 1.2 4.1.2), brings it up through
 * the common configuration in BAR 0 (3.1.1 "Driver Requirements: Device
 * Initialization") with one queue of QSIZE entries, and then offers one
 * malformed request per round: a descriptor loop, buffers outside guest
 * RAM and inside the device's own BAR, an available index that jumps past
 * the ring, a head out of range, a request past the end of the disk, a
 * data length that is not whole sectors, a short header, a read-only status
 * byte, a chain that runs past the descriptor table; and writes to the
 * whole MSI-X table and PBA. After each
 * it reads the outcome: the device either marks itself DEVICE_NEEDS_RESET
 * (2.1.2) or completes the request with an error status; it must never
 * complete a bad request as OK, never hang, and a device reset must bring
 * it back, which a well-formed read of sector 0 shows at the end.
 *
 * Built as a 32-bit freestanding object and linked with lib.inc's start
 * code (Multiboot, protected mode, paging off: guest-physical = linear
 * addresses), which calls main() and reports its return value through the
 * debug-exit port (0 = pass). */
#include "lib/virtio_ring.h"
#include "lib/virtio_spec.h"

#define COM1 0x3f8
#define QSIZE 8
#define DISK_SECTORS 128          /* the test's disk image: 64 KiB */
#define SPIN_LIMIT 20000000u      /* polls before "no answer" */
#define OUTSIDE_RAM 0xf0000000u   /* nothing decodes it (16 MiB of RAM) */

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static void putc(char c)
{
    while (!(inb(COM1 + 5) & 0x20))
        ;
    outb(COM1, (uint8_t)c);
}

static void puts(const char *s)
{
    while (*s)
        putc(*s++);
}

static unsigned failures;

static void check(int ok, const char *what)
{
    puts("virtioattack: ");
    puts(what);
    puts(ok ? " ok\n" : " FAILED\n");
    if (!ok)
        failures++;
}

/* PCI configuration mechanism #1 (PCI 3.0 3.2.2.3.2). */
static uint32_t pci_read(unsigned dev, unsigned off)
{
    outl(0xcf8, 0x80000000u | dev << 11 | (off & 0xfc));
    return inl(0xcfc);
}
static void pci_write(unsigned dev, unsigned off, uint32_t v)
{
    outl(0xcf8, 0x80000000u | dev << 11 | (off & 0xfc));
    outl(0xcfc, v);
}

static volatile struct virtio_pci_common_cfg *common;
static volatile uint8_t *bar;
static uint16_t notify_off;

/* The queue: 4 KiB aligned, each part where virtio 2.7 wants it. */
static struct {
    struct virtq_desc desc[QSIZE];
    uint16_t avail[2 + QSIZE + 1];
    uint8_t pad[4096 - QSIZE * 16 - 2 * (QSIZE + 3)];
    uint32_t used[1 + 2 * QSIZE + 1];
} ring __attribute__((aligned(4096)));
static struct virtio_blk_req_hdr hdr;
static uint8_t data[1024] __attribute__((aligned(512)));
static volatile uint8_t status_byte;

/* No C library here: the two helpers the guest needs. */
static void fill(void *p, uint8_t v, unsigned n)
{
    uint8_t *b = p;
    while (n--)
        *b++ = v;
}

static int same(const void *a, const void *b, unsigned n)
{
    const uint8_t *x = a, *y = b;
    for (unsigned i = 0; i < n; i++)
        if (x[i] != y[i])
            return 0;
    return 1;
}

static volatile struct virtq_avail *avail(void)
{
    return (volatile struct virtq_avail *)ring.avail;
}
static volatile struct virtq_used *used(void)
{
    return (volatile struct virtq_used *)ring.used;
}

/* Reset the device and bring it up again with an empty queue (3.1.1). */
static int device_up(void)
{
    common->device_status = 0;
    for (unsigned i = 0; i < SPIN_LIMIT && common->device_status; i++)
        ;
    fill(&ring, 0, sizeof(ring));
    common->device_status = VIRTIO_STATUS_ACKNOWLEDGE;
    common->device_status |= VIRTIO_STATUS_DRIVER;
    common->driver_feature_select = 1;
    common->driver_feature = 1;                 /* VIRTIO_F_VERSION_1 */
    common->driver_feature_select = 0;
    common->driver_feature = 0;
    common->device_status |= VIRTIO_STATUS_FEATURES_OK;
    if (!(common->device_status & VIRTIO_STATUS_FEATURES_OK))
        return -1;
    common->queue_select = 0;
    common->queue_size = QSIZE;
    common->queue_desc = (uint32_t)ring.desc;
    common->queue_driver = (uint32_t)ring.avail;
    common->queue_device = (uint32_t)ring.used;
    common->queue_enable = 1;
    notify_off = common->queue_notify_off;
    common->device_status |= VIRTIO_STATUS_DRIVER_OK;
    return 0;
}

enum outcome { NO_ANSWER, COMPLETED, NEEDS_RESET };

/* Offer head (avail idx += n) and ring the doorbell; wait for a used
 * entry or DEVICE_NEEDS_RESET. */
static enum outcome offer(uint16_t head, uint16_t new_idx)
{
    uint16_t before = used()->idx;
    avail()->ring[avail()->idx % QSIZE] = head;
    __asm__ volatile("" ::: "memory");
    avail()->idx = new_idx;
    *(volatile uint16_t *)(bar + 0x3000 + 4u * notify_off) = 0;
    for (unsigned i = 0; i < SPIN_LIMIT; i++) {
        if (common->device_status & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
            return NEEDS_RESET;
        if (used()->idx != before)
            return COMPLETED;
        __asm__ volatile("pause");
    }
    return NO_ANSWER;
}

static void desc(unsigned i, uint32_t addr, uint32_t len, uint16_t flags,
                 uint16_t next)
{
    ring.desc[i] = (struct virtq_desc){ .addr = addr, .len = len,
                                        .flags = flags, .next = next };
}

/* A read request: header, data (len bytes at addr), status. */
static void read_request(uint64_t sector, uint32_t addr, uint32_t len)
{
    hdr = (struct virtio_blk_req_hdr){ .type = VIRTIO_BLK_T_IN,
                                       .sector = sector };
    status_byte = 0xff;
    desc(0, (uint32_t)&hdr, sizeof(hdr), VIRTQ_DESC_F_NEXT, 1);
    desc(1, addr, len, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
    desc(2, (uint32_t)&status_byte, 1, VIRTQ_DESC_F_WRITE, 0);
}

/* A bad request must not complete with VIRTIO_BLK_S_OK. */
static void expect_refused(enum outcome o, const char *what)
{
    check(o == NEEDS_RESET || (o == COMPLETED && status_byte != 0 &&
                               status_byte != 0xff), what);
}

int main(void)
{
    unsigned dev;
    for (dev = 0; dev < 32; dev++)
        if (pci_read(dev, 0) == ((VIRTIO_PCI_DEVICE_ID_BASE + VIRTIO_ID_BLOCK)
                                 << 16 | VIRTIO_PCI_VENDOR_ID))
            break;
    check(dev < 32, "a virtio-blk device on bus 0");
    if (dev == 32)
        return 1;
    pci_write(dev, 4, pci_read(dev, 4) | 0x6);  /* memory space, bus master */
    bar = (volatile uint8_t *)(pci_read(dev, 0x10) & ~0xfu);
    common = (volatile struct virtio_pci_common_cfg *)bar;

    check(device_up() == 0, "device up (VERSION_1, one queue of 8)");
    read_request(0, (uint32_t)data, 512);
    desc(1, (uint32_t)data, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
    desc(2, (uint32_t)&status_byte, 1, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT,
         1);                          /* 0 -> 1 -> 2 -> 1 -> ...: a loop */
    expect_refused(offer(0, 1), "a descriptor loop is refused");

    device_up();
    read_request(0, OUTSIDE_RAM, 512);
    expect_refused(offer(0, 1), "a buffer outside guest RAM is refused");

    device_up();
    read_request(0, (uint32_t)bar, 512);
    expect_refused(offer(0, 1), "a buffer in the device's own BAR is refused");
    check(common->num_queues == 1,
          "the BAR still reads as the device after that (one queue)");

    device_up();
    read_request(0, (uint32_t)data, 512);
    expect_refused(offer(0, 1000), "an available index far past the ring "
                   "is refused");

    device_up();
    read_request(0, (uint32_t)data, 512);
    expect_refused(offer(QSIZE + 3, 1), "a head out of range is refused");

    device_up();
    read_request(0xffffffff00000000ull, (uint32_t)data, 512);
    expect_refused(offer(0, 1), "a read past the end of the disk is refused");

    device_up();
    read_request(DISK_SECTORS - 1, (uint32_t)data, 1024);
    expect_refused(offer(0, 1), "a read running over the end of the disk "
                   "is refused");

    device_up();
    read_request(0, (uint32_t)data, 100);
    expect_refused(offer(0, 1), "a data length of 100 bytes is refused");

    device_up();
    read_request(0, (uint32_t)data, 512);
    desc(0, (uint32_t)&hdr, 8, VIRTQ_DESC_F_NEXT, 1);
    expect_refused(offer(0, 1), "an 8-byte header is refused");

    device_up();
    read_request(0, (uint32_t)data, 512);
    desc(2, (uint32_t)&status_byte, 1, 0, 0);
    expect_refused(offer(0, 1), "a read-only status byte is refused");

    device_up();
    hdr = (struct virtio_blk_req_hdr){ .type = VIRTIO_BLK_T_IN };
    status_byte = 0xff;
    for (unsigned i = 0; i < QSIZE; i++)   /* the last one's next: past it */
        desc(i, (uint32_t)data, 64, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE,
             (uint16_t)(i + 1));
    desc(0, (uint32_t)&hdr, sizeof(hdr), VIRTQ_DESC_F_NEXT, 1);
    expect_refused(offer(0, 1), "a chain running past the descriptor table "
                   "is refused");

    /* MSI-X: every dword of the table and PBA regions, most past the
     * device's few entries (PCI 3.0 6.8.2), and the PBA is read-only. */
    for (unsigned off = 0x4000; off < 0x6000; off += 4)
        *(volatile uint32_t *)(bar + off) = 0xffffffffu;
    check(common->num_queues == 1, "MSI-X table and PBA written past their "
          "entries; the device still answers");

    /* After a reset the device serves a well-formed read again. */
    check(device_up() == 0, "device up again after the attacks");
    read_request(0, (uint32_t)data, 512);
    enum outcome o = offer(0, 1);
    check(o == COMPLETED && status_byte == VIRTIO_BLK_S_OK &&
          same(data, "KEELDISK", 8),
          "a well-formed read of sector 0 returns the disk's first bytes");
    return (int)failures;
}
