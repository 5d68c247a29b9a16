/* One builder for 4-level x86-64-shaped page tables, parameterised by the
 * entry format, used for the host's own page tables, AMD NPT and Intel EPT
 * (DESIGN.md: one generic walker/builder, not two copies).
 * Formats: SDM 3A 4.5 (4-level paging), APM2 15.25 (nested paging uses the
 * same format, all entries user-accessible), SDM 3C 29.3.2 (EPT). */
#ifndef KEEL_PT_H
#define KEEL_PT_H

#include "lib/types.h"

/* Access permissions of a mapping (format-neutral). */
#define PT_R   BIT(0)   /* readable (implied by present; EPT sets R too) */
#define PT_W   BIT(1)
#define PT_X   BIT(2)
#define PT_UC  BIT(3)   /* uncached memory type (MMIO); default write-back */
#define PT_RWX (PT_R | PT_W | PT_X)

/* How one format encodes entries. Levels count from 1 (4 KiB leaf, PTE) to
 * 4 (PML4). */
struct pt_format {
    const char *name;
    /* Entry pointing at a next-level table at hpa (all permissions granted
     * there; leaves restrict). */
    uint64_t (*make_table)(hpa_t table);
    /* Leaf mapping hpa with perms at level 1, 2 (2 MiB) or 3 (1 GiB). */
    uint64_t (*make_leaf)(hpa_t hpa, unsigned perms, unsigned level);
    bool (*present)(uint64_t e);
    bool (*is_large)(uint64_t e);       /* a leaf above level 1 */
    hpa_t (*addr)(uint64_t e, unsigned level);
    unsigned (*perms)(uint64_t e);      /* PT_* of a leaf */
    /* Highest level with leaves: 2 (2 MiB) for all three formats today;
     * 3 (1 GiB) would need a CPUID / VMX capability check first. */
    unsigned max_leaf_level;
};

extern const struct pt_format pt_format_host; /* x86-64 paging, supervisor */
extern const struct pt_format pt_format_npt;  /* x86-64 paging, user bit set */
extern const struct pt_format pt_format_ept;  /* EPT, WB/UC memory types */

struct pt {
    hpa_t root;                   /* 4 KiB-aligned PML4 */
    const struct pt_format *fmt;
    uint64_t table_pages;         /* frames used by tables (for stats) */
};

/* Allocate an empty, zeroed root (one frame from frame_alloc). Returns 0 or
 * -ENOMEM. */
int pt_init(struct pt *pt, const struct pt_format *fmt);

/* Map [va, va+size) to [hpa, hpa+size) with perms. va, hpa and size must be
 * 4 KiB aligned and size non-zero; va+size <= 2^48 (four levels; the upper
 * canonical half is not supported), hpa+size <= 2^52. Large pages are used
 * where va and hpa are both aligned to them, the range covers them and the
 * format allows (max_leaf_level). Replaces existing mappings, splitting large
 * pages as needed and freeing tables a new large leaf replaces.
 * Returns 0, -EINVAL or -ENOMEM; after -ENOMEM a prefix of the range may be
 * mapped, but every table stays consistent. Callers flush TLBs. */
int pt_map(struct pt *pt, uint64_t va, hpa_t hpa, uint64_t size,
           unsigned perms);

/* Remove [va, va+size) (4 KiB aligned, non-zero, below 2^48), splitting
 * large pages at the edges; unmapped parts are skipped. Tables left empty are
 * freed (not the root). Returns 0, -EINVAL or -ENOMEM (a split needed a
 * table). */
int pt_unmap(struct pt *pt, uint64_t va, uint64_t size);

/* Translate va. On success returns 0 and fills *hpa (the full address,
 * offset included), *perms and *page_size (4 KiB, 2 MiB or 1 GiB) where
 * those pointers are non-NULL. Returns -ENOENT if unmapped. */
int pt_lookup(const struct pt *pt, uint64_t va, hpa_t *hpa, unsigned *perms,
              uint64_t *page_size);

/* Free every table frame (not the mapped memory); pt->root becomes 0. */
void pt_destroy(struct pt *pt);

#endif
