/* A virtio device, independent of its transport: device status, feature
 * negotiation, its virtqueues, reset, and DEVICE_NEEDS_RESET when the
 * driver breaks the rules. Device types (console, blk) fill in
 * struct virtio_dev_ops; a transport (virtio-pci) exposes the fields to the
 * driver and supplies `interrupt`.
 * Virtual I/O Device (VIRTIO) Version 1.2: 2.1 "Device Status Field",
 * 2.2 "Feature Bits", 3.1 "Device Initialization", 6 "Reserved Feature
 * Bits". */
#ifndef KEEL_VIRTIO_H
#define KEEL_VIRTIO_H

#include "hv/virtio/virtq.h"
#include "lib/types.h"
#include "lib/virtio_spec.h"

struct guest_mem;

#define VIRTIO_MAX_QUEUES 8

/* The work one notification (or one later poll) may do on a queue: take
 * at most VIRTIO_BUDGET_CHAINS chains and move at most VIRTIO_BUDGET_BYTES
 * bytes between guest memory and a back end (a device may overshoot by one
 * step of its own, at most VIRTIO_BLK_STEP or one console chain). What is
 * left stays pending and continues at virtio_dev_poll, which the machine
 * calls before every entry of the VM and in the scheduler's pass, so no
 * guest can hold Keel inside one exit (DESIGN.md: work done for a guest
 * inside one exit is bounded). At the rate issue 11 measured under QEMU
 * TCG (40 MiB of console output in 1.7 s), one budget is about 5 ms. */
#define VIRTIO_BUDGET_CHAINS 64
#define VIRTIO_BUDGET_BYTES  (128 * 1024)

struct virtio_dev;

/* What a device type supplies. reset: forget per-driver state (queues are
 * reset by the core). notify: the driver made buffers available in queue q,
 * or work left on q by an earlier notify continues (only called while
 * DRIVER_OK and not NEEDS_RESET); it stops when virtio_budget_left() says
 * the budget is spent, keeping any half-done request in the device so the
 * next call resumes it. cfg_read/cfg_write:
 * the device-specific configuration space at byte offset off (size 1, 2,
 * 4 or 8; reads beyond the structure return 0, writes there are ignored).
 * See: 4.1.4.6 "Device-specific configuration". */
struct virtio_dev_ops {
    void (*reset)(struct virtio_dev *d);
    void (*notify)(struct virtio_dev *d, unsigned q);
    uint64_t (*cfg_read)(struct virtio_dev *d, unsigned off, unsigned size);
    void (*cfg_write)(struct virtio_dev *d, unsigned off, unsigned size,
                      uint64_t val);
};

/* One queue as the driver configures it (4.1.4.3 queue_* fields), and the
 * ring it becomes once enabled. */
struct virtio_queue {
    uint16_t max_size;          /* offered queue size; 0: queue absent */
    uint16_t size;              /* chosen by the driver, <= max_size */
    gpa_t desc, driver, device; /* GPAs: descriptor table, avail, used */
    bool enabled;
    struct virtq vq;
};

struct virtio_dev {
    const char *name;            /* "virtio-blk", for logs */
    const char *vm_name;
    uint16_t device_id;          /* VIRTIO_ID_* */
    uint64_t host_features;      /* offered (VIRTIO_F_VERSION_1 always) */
    uint64_t guest_features;     /* written by the driver */
    uint8_t status;
    uint8_t config_generation;
    unsigned nr_queues;
    struct virtio_queue queues[VIRTIO_MAX_QUEUES];
    const struct guest_mem *mem;
    const struct virtio_dev_ops *ops;
    /* Set by the transport: raise queue q's interrupt, or the
     * configuration-change interrupt for q < 0. */
    void (*interrupt)(struct virtio_dev *d, int q);
    void *transport;
    bool failure_logged;         /* NEEDS_RESET reported once per device */
    uint32_t pending;            /* queues whose notify ran out of budget */
    unsigned budget_chains;      /* what the running notify may still do */
    uint64_t budget_bytes;
};

/* Set up d: id, offered features (VIRTIO_F_VERSION_1, INDIRECT_DESC and
 * EVENT_IDX are added here), nr_queues each of max_size entries. */
void virtio_dev_init(struct virtio_dev *d, const char *name,
                     const char *vm_name, uint16_t device_id,
                     uint64_t features, unsigned nr_queues,
                     uint16_t max_size, const struct guest_mem *mem,
                     const struct virtio_dev_ops *ops);

/* The driver wrote the status byte. 0 resets the device (2.4 "Device
 * Reset"); FEATURES_OK sticks only if the driver accepted a subset of the
 * offered features including VERSION_1 (3.1.1 step 5-6); DRIVER_OK lets
 * notifications through. */
void virtio_set_status(struct virtio_dev *d, uint8_t status);

/* The driver wrote 32 feature bits at `select` * 32 (only while
 * FEATURES_OK is clear; later writes are ignored). */
void virtio_set_guest_features(struct virtio_dev *d, unsigned select,
                               uint32_t bits);

/* Offered feature bits at `select` * 32. */
uint32_t virtio_host_features(const struct virtio_dev *d, unsigned select);

/* True if feature bit `bit` was negotiated. */
static inline bool virtio_has(const struct virtio_dev *d, unsigned bit)
{
    return (d->guest_features >> bit) & 1;
}

/* The driver wrote 1 to queue_enable for queue q: bind the ring. A ring
 * outside RAM sets DEVICE_NEEDS_RESET. See: 4.1.4.3.2. */
void virtio_queue_enable(struct virtio_dev *d, unsigned q);

/* The driver notified queue q (available buffer notification). */
void virtio_queue_notify(struct virtio_dev *d, unsigned q);

/* Continue the work earlier notifications left pending, each queue with a
 * fresh budget. Returns true while work is still left (call again before
 * the VM's next entry, and do not idle). */
bool virtio_dev_poll(struct virtio_dev *d);

/* For a device's notify: true while the budget allows another step. */
static inline bool virtio_budget_left(const struct virtio_dev *d)
{
    return d->budget_chains && d->budget_bytes;
}

/* For a device's notify: bytes it may still move in this call. */
static inline uint64_t virtio_budget_bytes(const struct virtio_dev *d)
{
    return d->budget_bytes;
}

/* For a device's notify: charge one chain taken and `bytes` moved. */
static inline void virtio_budget_charge(struct virtio_dev *d, unsigned chains,
                                        uint64_t bytes)
{
    d->budget_chains -= MIN(chains, d->budget_chains);
    d->budget_bytes -= MIN(bytes, d->budget_bytes);
}

/* After a device pushed used buffers on queue q: interrupt the driver if
 * it asked for one (2.7.10). */
void virtio_queue_interrupt(struct virtio_dev *d, unsigned q);

/* The driver broke the rules on queue q (q < 0: not queue-specific): set
 * DEVICE_NEEDS_RESET, log once naming the device and `why`, send a
 * configuration-change interrupt. The device then ignores the driver until
 * it resets the device. See: 2.1.2 "Device Requirements: Device Status
 * Field". */
void virtio_needs_reset(struct virtio_dev *d, int q, const char *why);

/* True while the device may process queues. */
bool virtio_live(const struct virtio_dev *d);

#endif
