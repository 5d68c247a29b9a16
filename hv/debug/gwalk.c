/* Read-only guest page walk with per-level reporting (hv/debug/gwalk.h). */
#include "lib/errno.h"
#include "hv/debug/gwalk.h"

/* Entry bits shared by every paging mode (SDM 3A 4.3 table 4-4 .. 4.5
 * table 4-20): present and page size. */
#define GPTE_P  BIT(0)
#define GPTE_PS BIT(7)

const char *gwalk_level_name(unsigned level)
{
    static const char *const names[] = {
        "?", "PTE", "PDE", "PDPTE", "PML4E", "PML5E",
    };
    return level < ARRAY_SIZE(names) ? names[level] : "?";
}

int gwalk_translate(const struct vcpu_state *st, const struct guest_mem *gm,
                    gva_t gva, struct gwalk *w)
{
    unsigned levels, esize, top_bits;
    uint64_t table, frame_mask;

    *w = (struct gwalk){ .page_size = PAGE_SIZE };
    if (!(st->cr0 & CR0_PG)) {
        w->mode = "paging off";
        w->gpa = gva;
        return 0;
    }
    if (!(st->cr4 & CR4_PAE)) {
        /* 32-bit paging: two levels of 1024 4-byte entries (SDM 3A 4.3). */
        w->mode = "32-bit";
        levels = 2, esize = 4, top_bits = 10;
        table = st->cr3 & 0xfffff000ULL;
        frame_mask = 0xfffff000ULL;
        gva &= 0xffffffffULL;
    } else if (!(st->efer & EFER_LMA)) {
        /* PAE: four PDPTEs selected by bits 31:30 (SDM 3A 4.4). */
        w->mode = "PAE";
        levels = 3, esize = 8, top_bits = 2;
        table = st->cr3 & 0xffffffe0ULL;
        frame_mask = 0x000ffffffffff000ULL;
        gva &= 0xffffffffULL;
    } else {
        w->mode = (st->cr4 & CR4_LA57) ? "5-level" : "4-level";
        levels = (st->cr4 & CR4_LA57) ? 5 : 4, esize = 8, top_bits = 9;
        table = st->cr3 & 0x000ffffffffff000ULL;
        frame_mask = 0x000ffffffffff000ULL;
    }

    for (unsigned level = levels; level >= 1; level--) {
        unsigned bits = level == levels ? top_bits : (esize == 4 ? 10 : 9);
        unsigned shift = 12 + (esize == 4 ? 10 : 9) * (level - 1);
        unsigned idx = (unsigned)((gva >> shift) & ((1ULL << bits) - 1));
        struct gwalk_level *l = &w->lv[w->nr++];
        uint64_t e = 0;

        l->level = level;
        l->index = idx;
        l->entry_gpa = table + (uint64_t)idx * esize;
        if (gmem_read(gm, l->entry_gpa, &e, esize))
            return -EFAULT;
        l->entry = e;
        if (!(e & GPTE_P))
            return -ENOENT;
        /* A large page ends the walk: PS in a PDE (2 MiB, or 4 MiB in
         * 32-bit paging with CR4.PSE) or a long-mode PDPTE (1 GiB). The
         * PAE PDPTE has no PS bit. */
        bool large = (e & GPTE_PS) &&
                     ((level == 2 && (esize == 8 || (st->cr4 & CR4_PSE))) ||
                      (level == 3 && levels >= 4));
        if (large || level == 1) {
            uint64_t size = 1ULL << shift;
            uint64_t base = e & frame_mask & ~(size - 1);
            if (esize == 4 && large)   /* PSE-36: bits 20:13 are PA 39:32 */
                base = (e & 0xffc00000ULL) | ((e >> 13) & 0xffULL) << 32;
            w->page_size = size;
            w->gpa = base | (gva & (size - 1));
            return 0;
        }
        table = e & frame_mask;
    }
    return -ENOENT;   /* not reached: level 1 always ends the walk */
}
