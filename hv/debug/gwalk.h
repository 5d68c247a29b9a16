/* A read-only guest page walk that reports every level, for the serial
 * monitor's "translate" command (docs/monitor.md). Unlike
 * emulate_translate (hv/emulate/emulate.h), it checks no access rights and
 * sets no accessed/dirty bits: looking must not change the guest.
 * Reference: Intel SDM Volume 3A, chapter 4 "Paging": 4.3 (32-bit),
 * 4.4 (PAE), 4.5 (4-level and 5-level paging). */
#ifndef KEEL_GWALK_H
#define KEEL_GWALK_H

#include "lib/types.h"
#include "arch/x86/vcpu_state.h"
#include "mm/guest_mem.h"

#define GWALK_MAX_LEVELS 5

/* One paging-structure entry the walk read. */
struct gwalk_level {
    unsigned level;      /* 5 PML5 .. 1 PT (names: gwalk_level_name) */
    unsigned index;      /* entry index within its table */
    gpa_t entry_gpa;     /* where the entry is in guest-physical memory */
    uint64_t entry;      /* its value (32-bit entries zero-extended) */
};

struct gwalk {
    unsigned nr;                            /* levels read */
    struct gwalk_level lv[GWALK_MAX_LEVELS]; /* top level first */
    gpa_t gpa;                              /* result, when 0 is returned */
    uint64_t page_size;                     /* 4 KiB, 2/4 MiB or 1 GiB */
    const char *mode;                       /* "4-level", "PAE", ... */
};

/* Walk gva (a guest-linear address) through the tables of st (CR0.PG,
 * CR4.PAE/PSE/LA57, EFER.LMA, CR3) in guest memory gm. Returns 0 with
 * w->gpa set; -ENOENT when an entry is not present (the last level in w
 * shows which); -EFAULT when a table is not in guest RAM. With paging off
 * the GVA is the GPA and w->nr is 0. */
int gwalk_translate(const struct vcpu_state *st, const struct guest_mem *gm,
                    gva_t gva, struct gwalk *w);

/* The SDM's name of an entry at level 5..1: "PML5E", "PML4E", "PDPTE",
 * "PDE", "PTE". */
const char *gwalk_level_name(unsigned level);

#endif
