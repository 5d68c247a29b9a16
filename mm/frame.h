/* The physical frame allocator. It is filled from the UEFI memory map with
 * EfiConventionalMemory only, so the hypervisor's own image, its loaded
 * files and firmware runtime memory are never handed out (and so never
 * mapped into a guest). It hands out runs of 4 KiB frames as host-physical
 * addresses; it never touches the memory itself (callers zero what they
 * need), which lets host unit tests run it over fake ranges. */
#ifndef KEEL_FRAME_H
#define KEEL_FRAME_H

#include "lib/types.h"

#define FRAME_MAX_RANGES 256

/* Forget all ranges. */
void frame_init(void);

/* Add [base, base + pages*4 KiB) as free. base must be 4 KiB aligned.
 * Returns 0, -EINVAL (misaligned or empty), -EEXIST (overlaps a free range)
 * or -ENOMEM (range table full). Adjacent ranges are merged. */
int frame_add_free(hpa_t base, uint64_t pages);

/* Allocate pages contiguous 4 KiB frames whose first address is a multiple
 * of align (bytes, a power of two >= 4 KiB). Takes the lowest fitting
 * address at or above `min` (first fit). Returns the host-physical address,
 * or 0 when no run fits or the arguments are bad (pages 0, align not a power
 * of two >= 4 KiB). Frame 0 is never returned. A fit that would split a free
 * range while the range table is full is passed over.
 * No lock: callers serialise (Keel allocates while setting up VMs). */
hpa_t frame_alloc_above(uint64_t pages, uint64_t align, hpa_t min);

/* frame_alloc_above(pages, align, 1 MiB): the default; leaves low memory
 * alone. */
hpa_t frame_alloc(uint64_t pages, uint64_t align);

/* Return a run obtained from frame_alloc. Returns 0, -EINVAL (misaligned or
 * empty), -EEXIST if any part is already free (a double free; nothing is
 * freed then) or -ENOMEM (range table full). A run that was never added
 * cannot be told from a returned one: freeing it adds it. */
int frame_free(hpa_t base, uint64_t pages);

/* Number of free 4 KiB frames. */
uint64_t frame_free_pages(void);

/* Size in pages of the largest free run (for "not enough memory" reports). */
uint64_t frame_largest_run(void);

#endif
