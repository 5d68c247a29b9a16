/* The split virtqueue's structures in guest memory, as the driver lays them
 * out. Virtual I/O Device (VIRTIO) Version 1.2, 2.7 "Split Virtqueues".
 * All fields are little-endian (2.7 "Endianness"), which is x86's order. */
#ifndef KEEL_VIRTIO_RING_H
#define KEEL_VIRTIO_RING_H

#include "lib/types.h"

/* Descriptor flags. See: 2.7.5 "The Virtqueue Descriptor Table". */
#define VIRTQ_DESC_F_NEXT     1   /* the chain continues at `next` */
#define VIRTQ_DESC_F_WRITE    2   /* device-writable (else device-readable) */
#define VIRTQ_DESC_F_INDIRECT 4   /* the buffer holds a descriptor table */

/* Available ring flags. See: 2.7.6 "The Virtqueue Available Ring". */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
/* Used ring flags. See: 2.7.8 "The Virtqueue Used Ring". */
#define VIRTQ_USED_F_NO_NOTIFY     1

/* Largest queue size a split ring can have (2.7 "Queue Size"). */
#define VIRTQ_SIZE_MAX 32768

/* One descriptor: 16 bytes, 16-byte aligned table. `addr` is a GPA. */
struct virtq_desc {
    uint64_t addr;
    uint32_t len;     /* bytes */
    uint16_t flags;   /* VIRTQ_DESC_F_* */
    uint16_t next;    /* index of the next descriptor when F_NEXT */
};
_Static_assert(sizeof(struct virtq_desc) == 16, "virtq_desc size");
_Static_assert(offsetof(struct virtq_desc, len) == 8, "virtq_desc.len");
_Static_assert(offsetof(struct virtq_desc, flags) == 12, "virtq_desc.flags");
_Static_assert(offsetof(struct virtq_desc, next) == 14, "virtq_desc.next");

/* Available ring header; ring[queue size] follows, then used_event
 * (only meaningful with VIRTIO_F_EVENT_IDX). 2-byte aligned. */
struct virtq_avail {
    uint16_t flags;   /* VIRTQ_AVAIL_F_* */
    uint16_t idx;     /* where the driver puts the next entry, free-running */
    uint16_t ring[];  /* descriptor chain heads */
};
_Static_assert(sizeof(struct virtq_avail) == 4, "virtq_avail header");

/* One used ring element: the chain's head and how many bytes the device
 * wrote into its device-writable buffers. */
struct virtq_used_elem {
    uint32_t id;
    uint32_t len;
};
_Static_assert(sizeof(struct virtq_used_elem) == 8, "virtq_used_elem size");

/* Used ring header; ring[queue size] follows, then avail_event. 4-byte
 * aligned. */
struct virtq_used {
    uint16_t flags;   /* VIRTQ_USED_F_* */
    uint16_t idx;
    struct virtq_used_elem ring[];
};
_Static_assert(sizeof(struct virtq_used) == 4, "virtq_used header");

/* Sizes in bytes of the three parts for a queue of n entries, including
 * the event fields. See: 2.7 "Virtqueues" (table of alignments and sizes). */
static inline uint64_t virtq_desc_bytes(unsigned n) { return 16ULL * n; }
static inline uint64_t virtq_avail_bytes(unsigned n) { return 6 + 2ULL * n; }
static inline uint64_t virtq_used_bytes(unsigned n) { return 6 + 8ULL * n; }

/* Alignment required of each part (2.7 "Virtqueues"). */
#define VIRTQ_DESC_ALIGN  16
#define VIRTQ_AVAIL_ALIGN 2
#define VIRTQ_USED_ALIGN  4

/* 2.7.10 "Virtqueue Notification Suppression", with EVENT_IDX: notify when
 * new_idx has just passed event, i.e. event lies in [old, new). All values
 * are free-running 16-bit indices. */
static inline bool virtq_need_event(uint16_t event, uint16_t new_idx,
                                    uint16_t old_idx)
{
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

#endif
