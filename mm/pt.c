/* The generic 4-level page-table builder and walker (mm/pt.h). The entry
 * format (host paging, NPT or EPT, mm/pt_formats.c) is a table of
 * functions, so this file knows only the shape shared by all three: four
 * levels of 512 8-byte entries, each level translating 9 bits of the
 * address above the 12-bit page offset (SDM 3A 4.5 "4-Level Paging",
 * SDM 3C 29.3.2 "EPT Translation Mechanism").
 *
 * Table frames come from frame_alloc() and are reached through hpa_ptr():
 * Keel identity-maps host memory, and host unit tests use real pointers. */
#include "lib/errno.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "mm/frame.h"
#include "mm/guest_mem.h"
#include "mm/pt.h"

#define PT_LEVELS   4
#define PT_ENTRIES  512
/* Four levels translate 48 bits. Keel maps only the lower half (GPAs, and
 * the identity-mapped host), so addresses must be below 2^48. */
#define PT_VA_LIMIT BIT(48)
/* The architectural maximum physical address width (MAXPHYADDR <= 52). */
#define PT_PA_LIMIT BIT(52)

/* Bytes mapped by one entry at level (1: 4 KiB, 2: 2 MiB, 3: 1 GiB,
 * 4: 512 GiB). */
static uint64_t level_size(unsigned level)
{
    return 1ULL << (PAGE_SHIFT + 9 * (level - 1));
}

/* Index of va's entry in its table at level. */
static unsigned level_index(uint64_t va, unsigned level)
{
    return (va >> (PAGE_SHIFT + 9 * (level - 1))) & (PT_ENTRIES - 1);
}

static uint64_t *table_ptr(hpa_t table)
{
    return hpa_ptr(table);
}

/* A leaf ends the walk: every present level-1 entry, and a large entry
 * above it. (Bit 7 of a level-1 x86 entry is PAT, not PS, so is_large is
 * only asked above level 1.) */
static bool is_leaf(const struct pt_format *fmt, uint64_t e, unsigned level)
{
    return level == 1 || fmt->is_large(e);
}

/* One zeroed table frame, or 0 when memory is exhausted. */
static hpa_t table_alloc(struct pt *pt)
{
    hpa_t t = frame_alloc(1, PAGE_SIZE);
    if (!t)
        return 0;
    memset(hpa_ptr(t), 0, PAGE_SIZE);
    pt->table_pages++;
    return t;
}

static void table_free(struct pt *pt, hpa_t t)
{
    /* A table freed twice is a bug in this file, never the guest's doing. */
    BUG_ON(frame_free(t, 1) != 0);
    pt->table_pages--;
}

static bool table_empty(const struct pt *pt, hpa_t table)
{
    const uint64_t *t = table_ptr(table);
    for (unsigned i = 0; i < PT_ENTRIES; i++)
        if (pt->fmt->present(t[i]))
            return false;
    return true;
}

/* Free the table at `table` (whose entries are at `level`) and every table
 * below it. The memory its leaves map is not touched. */
static void free_tree(struct pt *pt, hpa_t table, unsigned level)
{
    const struct pt_format *fmt = pt->fmt;
    const uint64_t *t = table_ptr(table);

    if (level > 1) {
        for (unsigned i = 0; i < PT_ENTRIES; i++) {
            if (fmt->present(t[i]) && !fmt->is_large(t[i]))
                free_tree(pt, fmt->addr(t[i], level), level - 1);
        }
    }
    table_free(pt, table);
}

/* Replace the large leaf *slot (at level > 1) by a table of 512 leaves one
 * level down that map the same memory with the same permissions, so a part
 * of it can then be changed. The new table is filled before it is linked,
 * so a walker never sees a half-built table. Returns 0 or -ENOMEM. */
static int split_large(struct pt *pt, uint64_t *slot, unsigned level)
{
    /* LAB 4 BEGIN: split a large leaf into 512 smaller ones */
    const struct pt_format *fmt = pt->fmt;
    hpa_t base = fmt->addr(*slot, level);
    unsigned perms = fmt->perms(*slot);
    uint64_t step = level_size(level - 1);

    hpa_t t = table_alloc(pt);
    if (!t)
        return -ENOMEM;
    uint64_t *sub = table_ptr(t);
    for (unsigned i = 0; i < PT_ENTRIES; i++)
        sub[i] = fmt->make_leaf(base + i * step, perms, level - 1);
    *slot = fmt->make_table(t);
    return 0;
    /* LAB 4 STUB
    return -ENOSYS;
    */
    /* LAB 4 END */
}

/* The table that *slot (at level > 1) points to, creating it if the entry
 * is empty and splitting it if it is a large leaf. Returns 0 with *child
 * set, or -ENOMEM. */
static int child_table(struct pt *pt, uint64_t *slot, unsigned level,
                       hpa_t *child)
{
    const struct pt_format *fmt = pt->fmt;

    if (!fmt->present(*slot)) {
        hpa_t t = table_alloc(pt);
        if (!t)
            return -ENOMEM;
        *slot = fmt->make_table(t);
    } else if (fmt->is_large(*slot)) {
        int rc = split_large(pt, slot, level);
        if (rc)
            return rc;
    }
    *child = fmt->addr(*slot, level);
    return 0;
}

/* Map [va, end) -> hpa in the table at `table` (entries at `level`). An
 * entry wholly covered by the range, with hpa aligned to its size, becomes
 * a leaf if the format allows leaves at that level; otherwise we go one
 * level down. */
static int map_level(struct pt *pt, hpa_t table, unsigned level, uint64_t va,
                     hpa_t hpa, uint64_t end, unsigned perms)
{
    const struct pt_format *fmt = pt->fmt;
    uint64_t *t = table_ptr(table);
    uint64_t step = level_size(level);

    while (va < end) {
        uint64_t chunk_end = MIN(ALIGN_DOWN(va, step) + step, end);
        uint64_t *slot = &t[level_index(va, level)];
        bool whole = IS_ALIGNED(va, step) && chunk_end - va == step;

        if (level == 1 || (level <= fmt->max_leaf_level && whole &&
                           IS_ALIGNED(hpa, step))) {
            uint64_t old = *slot;
            *slot = fmt->make_leaf(hpa, perms, level);
            /* A table this leaf replaces is unlinked first, then freed. */
            if (level > 1 && fmt->present(old) && !fmt->is_large(old))
                free_tree(pt, fmt->addr(old, level), level - 1);
        } else {
            hpa_t child;
            int rc = child_table(pt, slot, level, &child);
            if (rc)
                return rc;
            rc = map_level(pt, child, level - 1, va, hpa, chunk_end, perms);
            if (rc)
                return rc;
        }
        hpa += chunk_end - va;
        va = chunk_end;
    }
    return 0;
}

/* Remove [va, end) from the table at `table` (entries at `level`). Entries
 * wholly covered are cleared (freeing any tables below); partly covered
 * large leaves are split first. A lower table left empty is freed, so
 * unmapping everything returns the tables to the allocator. */
static int unmap_level(struct pt *pt, hpa_t table, unsigned level,
                       uint64_t va, uint64_t end)
{
    const struct pt_format *fmt = pt->fmt;
    uint64_t *t = table_ptr(table);
    uint64_t step = level_size(level);

    while (va < end) {
        uint64_t chunk_end = MIN(ALIGN_DOWN(va, step) + step, end);
        uint64_t *slot = &t[level_index(va, level)];
        uint64_t e = *slot;

        if (!fmt->present(e)) {
            /* nothing mapped here */
        } else if (IS_ALIGNED(va, step) && chunk_end - va == step) {
            *slot = 0;  /* not present in every format */
            if (!is_leaf(fmt, e, level))
                free_tree(pt, fmt->addr(e, level), level - 1);
        } else {
            /* Partly covered, so level > 1 (ranges are 4 KiB aligned). */
            hpa_t child;
            int rc = child_table(pt, slot, level, &child);
            if (rc)
                return rc;
            rc = unmap_level(pt, child, level - 1, va, chunk_end);
            if (rc)
                return rc;
            if (table_empty(pt, child)) {
                *slot = 0;
                table_free(pt, child);
            }
        }
        va = chunk_end;
    }
    return 0;
}

int pt_init(struct pt *pt, const struct pt_format *fmt)
{
    pt->fmt = fmt;
    pt->table_pages = 0;
    pt->root = table_alloc(pt);
    return pt->root ? 0 : -ENOMEM;
}

/* [va, va + size) must be a non-empty, 4 KiB-aligned range below
 * PT_VA_LIMIT. */
static bool va_range_ok(uint64_t va, uint64_t size)
{
    return IS_ALIGNED(va, PAGE_SIZE) && IS_ALIGNED(size, PAGE_SIZE) &&
           size != 0 && va < PT_VA_LIMIT && size <= PT_VA_LIMIT - va;
}

int pt_map(struct pt *pt, uint64_t va, hpa_t hpa, uint64_t size,
           unsigned perms)
{
    if (!pt->root || !va_range_ok(va, size))
        return -EINVAL;
    if (!IS_ALIGNED(hpa, PAGE_SIZE) || hpa >= PT_PA_LIMIT ||
        size > PT_PA_LIMIT - hpa)
        return -EINVAL;
    if (perms & ~(PT_RWX | PT_UC))
        return -EINVAL;
    return map_level(pt, pt->root, PT_LEVELS, va, hpa, va + size, perms);
}

int pt_unmap(struct pt *pt, uint64_t va, uint64_t size)
{
    if (!pt->root || !va_range_ok(va, size))
        return -EINVAL;
    return unmap_level(pt, pt->root, PT_LEVELS, va, va + size);
}

int pt_lookup(const struct pt *pt, uint64_t va, hpa_t *hpa, unsigned *perms,
              uint64_t *page_size)
{
    /* LAB 4 BEGIN: walk the four levels to the leaf that maps va */
    const struct pt_format *fmt = pt->fmt;

    if (!pt->root || va >= PT_VA_LIMIT)
        return -ENOENT;
    hpa_t table = pt->root;
    for (unsigned level = PT_LEVELS; level >= 1; level--) {
        uint64_t e = table_ptr(table)[level_index(va, level)];
        if (!fmt->present(e))
            return -ENOENT;
        if (is_leaf(fmt, e, level)) {
            uint64_t size = level_size(level);
            if (hpa)
                *hpa = fmt->addr(e, level) + (va & (size - 1));
            if (perms)
                *perms = fmt->perms(e);
            if (page_size)
                *page_size = size;
            return 0;
        }
        table = fmt->addr(e, level);
    }
    return -ENOENT; /* not reached: level 1 entries are always leaves */
    /* LAB 4 STUB
    return -ENOENT;
    */
    /* LAB 4 END */
}

void pt_destroy(struct pt *pt)
{
    if (!pt->root)
        return;
    free_tree(pt, pt->root, PT_LEVELS);
    pt->root = 0;
}
