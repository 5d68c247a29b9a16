/* The physical frame allocator (mm/frame.h): a sorted table of free ranges
 * of host-physical memory, handed out in runs of 4 KiB frames.
 *
 * Invariant: ranges[0..nr_ranges) are sorted by base, none is empty, and no
 * two overlap or touch (touching ranges are merged on insert). So the table
 * never holds more entries than there are holes in free memory, and a free
 * that would overlap a free range is a double free.
 *
 * There is no lock: callers serialise. Keel allocates while it builds VMs
 * on the boot CPU, before any vCPU runs. */
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/frame.h"

struct frame_range {
    hpa_t base;       /* 4 KiB aligned */
    uint64_t pages;   /* > 0 */
};

static struct frame_range ranges[FRAME_MAX_RANGES];
static unsigned nr_ranges;

/* The allocator hands out nothing below this by default, leaving the first
 * megabyte (real-mode structures, the firmware's low buffers) alone. */
#define FRAME_DEFAULT_MIN MiB(1)

static hpa_t range_end(const struct frame_range *r)
{
    return r->base + r->pages * PAGE_SIZE;
}

void frame_init(void)
{
    nr_ranges = 0;
}

/* Check that [base, base + pages*4 KiB) is a well-formed run: aligned, not
 * empty, and not wrapping past the top of the 64-bit address space. */
static bool run_is_valid(hpa_t base, uint64_t pages)
{
    if (!IS_ALIGNED(base, PAGE_SIZE) || pages == 0)
        return false;
    /* base + pages*4 KiB must fit: pages <= (2^64 - base) / 4 KiB. The end
     * itself may not be 2^64 (it would read as 0). */
    if (pages > (UINT64_MAX - base) / PAGE_SIZE)
        return false;
    return true;
}

static void remove_at(unsigned i)
{
    memmove(&ranges[i], &ranges[i + 1],
            (nr_ranges - i - 1) * sizeof(ranges[0]));
    nr_ranges--;
}

/* Insert [base, end) at index i (all ranges before i end at or below base,
 * all from i on start at or above end), merging with touching neighbours.
 * Returns 0 or -ENOMEM if a new table entry was needed and none is left. */
static int insert_at(unsigned i, hpa_t base, hpa_t end)
{
    bool join_prev = i > 0 && range_end(&ranges[i - 1]) == base;
    bool join_next = i < nr_ranges && ranges[i].base == end;

    if (join_prev && join_next) {
        ranges[i - 1].pages += (end - base) / PAGE_SIZE + ranges[i].pages;
        remove_at(i);
    } else if (join_prev) {
        ranges[i - 1].pages += (end - base) / PAGE_SIZE;
    } else if (join_next) {
        ranges[i].base = base;
        ranges[i].pages += (end - base) / PAGE_SIZE;
    } else {
        if (nr_ranges == FRAME_MAX_RANGES)
            return -ENOMEM;
        memmove(&ranges[i + 1], &ranges[i],
                (nr_ranges - i) * sizeof(ranges[0]));
        ranges[i].base = base;
        ranges[i].pages = (end - base) / PAGE_SIZE;
        nr_ranges++;
    }
    return 0;
}

/* Add a run as free: the common body of frame_add_free and frame_free.
 * Returns 0, -EINVAL, -EEXIST (overlaps free memory) or -ENOMEM. */
static int add_run(hpa_t base, uint64_t pages)
{
    if (!run_is_valid(base, pages))
        return -EINVAL;
    hpa_t end = base + pages * PAGE_SIZE;

    /* First range that ends above base: the only one that can overlap or
     * follow the new run. */
    unsigned i = 0;
    while (i < nr_ranges && range_end(&ranges[i]) <= base)
        i++;
    if (i < nr_ranges && ranges[i].base < end)
        return -EEXIST;
    return insert_at(i, base, end);
}

int frame_add_free(hpa_t base, uint64_t pages)
{
    return add_run(base, pages);
}

int frame_free(hpa_t base, uint64_t pages)
{
    return add_run(base, pages);
}

/* Take [start, start + bytes) out of ranges[i], which contains it. Cutting
 * from the middle splits the range and needs a spare table entry.
 * Returns 0 or -ENOMEM. */
static int carve(unsigned i, hpa_t start, uint64_t bytes)
{
    struct frame_range *r = &ranges[i];
    hpa_t end = start + bytes;
    hpa_t r_end = range_end(r);

    if (start == r->base && end == r_end) {
        remove_at(i);
    } else if (start == r->base) {
        r->base = end;
        r->pages -= bytes / PAGE_SIZE;
    } else if (end == r_end) {
        r->pages -= bytes / PAGE_SIZE;
    } else {
        if (nr_ranges == FRAME_MAX_RANGES)
            return -ENOMEM;
        memmove(&ranges[i + 2], &ranges[i + 1],
                (nr_ranges - i - 1) * sizeof(ranges[0]));
        nr_ranges++;
        r->pages = (start - r->base) / PAGE_SIZE;
        ranges[i + 1].base = end;
        ranges[i + 1].pages = (r_end - end) / PAGE_SIZE;
    }
    return 0;
}

/* First fit, lowest address first. Frame 0 is never returned, because 0 is
 * the failure value. A fit that would split a range while the table is full
 * is skipped (a later range may still fit at its edge). */
hpa_t frame_alloc_above(uint64_t pages, uint64_t align, hpa_t min)
{
    if (pages == 0 || align < PAGE_SIZE || (align & (align - 1)) != 0)
        return 0;
    if (pages > UINT64_MAX / PAGE_SIZE)
        return 0;
    uint64_t bytes = pages * PAGE_SIZE;
    if (min == 0)
        min = 1;

    for (unsigned i = 0; i < nr_ranges; i++) {
        hpa_t lo = MAX(ranges[i].base, min);
        hpa_t end = range_end(&ranges[i]);
        if (lo >= end || lo > UINT64_MAX - (align - 1))
            continue;
        hpa_t start = ALIGN_UP(lo, align);
        if (start >= end || bytes > end - start)
            continue;
        if (carve(i, start, bytes) == 0)
            return start;
    }
    return 0;
}

hpa_t frame_alloc(uint64_t pages, uint64_t align)
{
    return frame_alloc_above(pages, align, FRAME_DEFAULT_MIN);
}

uint64_t frame_free_pages(void)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < nr_ranges; i++)
        n += ranges[i].pages;
    return n;
}

uint64_t frame_largest_run(void)
{
    uint64_t best = 0;
    for (unsigned i = 0; i < nr_ranges; i++)
        best = MAX(best, ranges[i].pages);
    return best;
}
