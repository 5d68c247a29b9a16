/* One split virtqueue, device side: take descriptor chains the driver made
 * available, hand them to a device as a bounded scatter-gather list, and
 * return them through the used ring. Every address, length and index the
 * guest wrote is checked against its memory map (mm/guest_mem.h) before
 * use; a malformed queue is reported, never followed.
 * Virtual I/O Device (VIRTIO) Version 1.2, 2.7 "Split Virtqueues". */
#ifndef KEEL_VIRTIO_VIRTQ_H
#define KEEL_VIRTIO_VIRTQ_H

#include "lib/types.h"
#include "lib/virtio_ring.h"

struct guest_mem;

/* Most buffers one chain may have (direct and indirect descriptors
 * together). Devices advertise limits below this (virtio-blk seg_max). */
#define VIRTQ_MAX_SG 256

/* Why a queue was declared broken (virtq.err). */
enum virtq_error {
    VIRTQ_OK = 0,
    VIRTQ_ERR_RING_ADDR,    /* a ring part is not RAM or misaligned */
    VIRTQ_ERR_AVAIL_IDX,    /* avail->idx moved by more than the queue size */
    VIRTQ_ERR_HEAD,         /* a head or `next` index >= queue size */
    VIRTQ_ERR_LOOP,         /* chain longer than the queue: a loop */
    VIRTQ_ERR_TOO_MANY,     /* more than VIRTQ_MAX_SG buffers */
    VIRTQ_ERR_BUFFER,       /* a buffer [addr, addr+len) is not RAM */
    VIRTQ_ERR_DIRECTION,    /* readable buffer after a writable one */
    VIRTQ_ERR_INDIRECT,     /* bad indirect table (size, nesting, NEXT) */
    VIRTQ_ERR_USED_ID,      /* the device returned a head it does not own */
};

/* Name of an enum virtq_error for logs. */
const char *virtq_error_name(enum virtq_error e);

/* One buffer of a chain: guest-physical, checked to be RAM. */
struct virtq_buf {
    gpa_t gpa;
    uint32_t len;        /* bytes */
    bool write;          /* device-writable */
};

/* A chain taken from the available ring. The device-readable buffers come
 * first (nr_out of them, out_bytes in total), then the device-writable ones
 * (nr_in, in_bytes). */
struct virtq_chain {
    uint16_t head;       /* what goes back in the used ring */
    unsigned nr_out, nr_in;
    uint64_t out_bytes, in_bytes;
    struct virtq_buf buf[VIRTQ_MAX_SG];
};

struct virtq {
    const struct guest_mem *mem;
    uint16_t size;              /* entries, power of two; 0: not set up */
    gpa_t desc, avail, used;    /* GPAs of the three parts */
    bool event_idx;             /* VIRTIO_F_EVENT_IDX negotiated */
    bool ready;                 /* virtq_start() succeeded */
    enum virtq_error err;       /* first error; the queue is dead after it */
    uint16_t last_avail;        /* next available entry to take */
    uint16_t used_idx;          /* our copy of used->idx */
    uint16_t signalled;         /* used_idx when we last decided to notify */
    uint16_t inflight;          /* chains taken, not yet returned */
};

/* Bind q to the ring parts at desc/avail/used (GPAs) with size entries.
 * Checks size (power of two, 1..VIRTQ_SIZE_MAX), alignment and that each
 * part is RAM in mem. Resets the indices. Returns 0, or -EINVAL and sets
 * q->err (the queue stays not ready). See: 2.7 "Virtqueues",
 * 4.1.4.3 (queue_desc, queue_driver, queue_device). */
int virtq_start(struct virtq *q, const struct guest_mem *mem, uint16_t size,
                gpa_t desc, gpa_t avail, gpa_t used, bool event_idx);

/* Forget the ring (device reset or queue reset). */
void virtq_reset(struct virtq *q);

/* Take the next available chain into *c and walk it, following NEXT and
 * one level of INDIRECT, validating every descriptor. Returns 1 (a chain),
 * 0 (nothing available, or the queue is not ready or already broken), or
 * -EIO after setting q->err: the caller must then set DEVICE_NEEDS_RESET.
 * See: 2.7.5 "The Virtqueue Descriptor Table", 2.7.5.3 "Indirect
 * Descriptors", 2.7.13.2 "Updating The Available Ring". */
int virtq_pop(struct virtq *q, struct virtq_chain *c);

/* Return chain `head` with `written` bytes put in its writable buffers.
 * Returns 0, or -EIO (q->err set) if no chain is outstanding. See: 2.7.8
 * "The Virtqueue Used Ring", 2.7.14 "Receiving Used Buffers From The
 * Device". */
int virtq_push(struct virtq *q, uint16_t head, uint32_t written);

/* After one or more pushes: whether the driver wants an interrupt for
 * them (VIRTQ_AVAIL_F_NO_INTERRUPT, or used_event with EVENT_IDX). Also
 * publishes avail_event (with EVENT_IDX) so the driver notifies us for
 * any new entry. See: 2.7.10 "Virtqueue Notification Suppression". */
bool virtq_should_interrupt(struct virtq *q);

/* Copy len bytes starting at byte `off` of the chain's device-readable
 * part (its first nr_out buffers, read as one stream) into buf. Returns 0
 * or -EFAULT (off + len beyond out_bytes; nothing useful is copied then).
 * The buffers were checked to be RAM by virtq_pop. */
int virtq_chain_read(const struct virtq *q, const struct virtq_chain *c,
                     uint64_t off, void *buf, uint64_t len);

/* The buffer at byte `off` of the chain's readable (writable = false) or
 * writable part: *gpa where that byte is, *len the bytes from there to the
 * end of its buffer. Returns 0 or -EFAULT (off beyond the part). */
int virtq_chain_piece(const struct virtq_chain *c, bool writable,
                      uint64_t off, gpa_t *gpa, uint64_t *len);

/* Copy len bytes from buf into the chain's writable part at byte `off`.
 * Returns 0 or -EFAULT (beyond the writable part). */
int virtq_chain_write(const struct virtq *q, const struct virtq_chain *c,
                      uint64_t off, const void *buf, uint64_t len);

#endif
