/* A guest's physical memory map: which guest-physical ranges are RAM and
 * where that RAM lives in host memory. Every guest-supplied address passes
 * through here before Keel touches guest memory (DESIGN.md, "Memory and
 * addresses"). */
#ifndef KEEL_GUEST_MEM_H
#define KEEL_GUEST_MEM_H

#include "lib/types.h"

#define GMEM_MAX_SLOTS 16

/* One contiguous run of guest RAM backed by contiguous host memory. */
struct mem_slot {
    gpa_t gpa;      /* 4 KiB aligned */
    uint64_t size;  /* bytes, 4 KiB multiple */
    hpa_t hpa;      /* 4 KiB aligned host-physical backing */
};

struct guest_mem {
    struct mem_slot slots[GMEM_MAX_SLOTS];
    unsigned nr_slots;
    uint64_t ram_bytes; /* total of all slots */
    /* Called after each successful gmem_write with its range (bytes):
     * the dirty log (hv/core/dirty_log.h) learns of Keel's own writes,
     * which nested paging does not see. NULL: nobody listens. */
    void (*on_write)(void *ctx, gpa_t gpa, uint64_t len);
    void *on_write_ctx;
};

/* Host memory is identity-mapped in Keel, so a host-physical address is also
 * the pointer to it. Host unit tests use real pointers as "hpa". */
static inline void *hpa_ptr(hpa_t hpa) { return (void *)(uintptr_t)hpa; }
static inline hpa_t ptr_hpa(const void *p) { return (hpa_t)(uintptr_t)p; }

/* Add a slot. Returns 0, -EINVAL (misaligned, empty, overflow), -EBUSY
 * (overlaps a slot) or -ENOMEM (too many slots). */
int gmem_add_slot(struct guest_mem *gm, gpa_t gpa, uint64_t size, hpa_t hpa);

/* The slot containing gpa, or NULL. */
const struct mem_slot *gmem_find(const struct guest_mem *gm, gpa_t gpa);

/* True if [gpa, gpa+len) is RAM (may span adjacent slots). len 0 is true
 * for any gpa inside RAM. Overflow-safe. */
bool gmem_is_ram(const struct guest_mem *gm, gpa_t gpa, uint64_t len);

/* Host pointer to [gpa, gpa+len) if it lies inside one slot, else NULL. */
void *gmem_ptr(const struct guest_mem *gm, gpa_t gpa, uint64_t len);

/* Copy between guest RAM and a host buffer; the range may span slots.
 * Return 0 or -EFAULT if any byte is not RAM (nothing is copied then).
 * A successful gmem_write calls gm->on_write. Writes through gmem_ptr's
 * pointer are the caller's to report. */
int gmem_read(const struct guest_mem *gm, gpa_t gpa, void *buf, uint64_t len);
int gmem_write(const struct guest_mem *gm, gpa_t gpa, const void *buf,
               uint64_t len);

/* Report a write to [gpa, gpa+len) made through a gmem_ptr pointer (calls
 * gm->on_write if set), so the dirty log sees every write Keel makes. */
void gmem_wrote(const struct guest_mem *gm, gpa_t gpa, uint64_t len);

#endif
