/* The guest page walk: linear (GVA) to guest-physical (GPA) translation as
 * the CPU does it, with access-rights checks, accessed/dirty bits and the
 * #PF error code; and the same walk read-only, recording every level, for
 * the monitor's "xlate" (hv/debug/monitor_xlate.c). One walker for both.
 * Reference: Intel SDM Volume 3A (order no. 253668), chapter 4 "Paging":
 * 4.3 (32-bit), 4.4 (PAE), 4.5 (4-level and 5-level), 4.6 "Access Rights",
 * 4.7 "Page-Fault Exceptions", 4.8 "Accessed and Dirty Flags". */
#include "hv/emulate/insn.h"
#include "lib/errno.h"

/* Paging-structure entry bits (SDM 3A 4.5 tables 4-15 to 4-20). */
#define PTE_P    BIT(0)
#define PTE_RW   BIT(1)
#define PTE_US   BIT(2)
#define PTE_A    BIT(5)
#define PTE_D    BIT(6)
#define PTE_PS   BIT(7)
#define PTE_XD   BIT(63)

/* #PF error code bits (SDM 3A 4.7 figure 4-12). */
#define PFEC_P     BIT(0)
#define PFEC_WR    BIT(1)
#define PFEC_US    BIT(2)
#define PFEC_RSVD  BIT(3)
#define PFEC_ID    BIT(4)

#define RFLAGS_AC  BIT(18)

#define MAX_LEVELS 5

unsigned emu_cpl(const struct vcpu_state *st)
{
    if (!(st->cr0 & CR0_PE))
        return 0;
    if (st->rflags & RFLAGS_VM)
        return 3;
    return SEG_ATTR_DPL(st->seg[SEG_SS].attr);
}

void emu_set_fault(struct emu_result *res, uint8_t vector, bool has_error,
                   uint32_t error_code, uint64_t cr2)
{
    if (!res)
        return;
    res->status = EMU_FAULT;
    res->fault.vector = vector;
    res->fault.has_error = has_error;
    res->fault.error_code = error_code;
    res->fault.cr2 = cr2;
}

/* The shape of the current paging mode (SDM 3A 4.1.1 table 4-1). */
struct walk_geom {
    unsigned levels;   /* paging-structure levels */
    unsigned esize;    /* entry size: 4 or 8 bytes */
    unsigned top_bits; /* index width of the top level (PAE: 2) */
    bool pae;          /* 64-bit entries (PAE, 4-level, 5-level) */
};

/* Bits of a 64-bit entry that must be zero for the given level, entry and
 * mode (SDM 3A 4.4.1 table 4-8 and 4.5.4 tables 4-15..4-20). level 1 is the
 * PTE; is_leaf when PS ends the walk above level 1. */
static uint64_t rsvd_bits64(const struct vcpu_state *st, unsigned maxphy,
                            const struct walk_geom *g, unsigned level,
                            bool is_leaf)
{
    uint64_t r = 0;

    if (maxphy < 52)
        r |= ((1ULL << 52) - 1) & ~((1ULL << maxphy) - 1);
    if (!(st->efer & EFER_NXE))
        r |= PTE_XD;
    if (g->levels == 3 && level == 3) {
        /* A PAE PDPTE: bits 2:1, 8:5 and 63 are reserved. */
        return r | 0x1e6 | PTE_XD;
    }
    if (level >= 4)
        r |= PTE_PS;                      /* no pages above 1 GiB */
    else if (is_leaf && level == 3)
        r |= ((1ULL << 30) - 1) & ~((1ULL << 13) - 1);
    else if (is_leaf && level == 2)
        r |= ((1ULL << 21) - 1) & ~((1ULL << 13) - 1);
    return r;
}

/* Finish a fault: fill in the #PF with the error code of SDM 3A 4.7. */
static int page_fault(const struct vcpu_state *st, gva_t gva,
                      enum emu_access acc, bool user, uint32_t bits,
                      struct emu_result *res)
{
    uint32_t ec = bits;

    if (acc == EMU_ACC_WRITE)
        ec |= PFEC_WR;
    if (user)
        ec |= PFEC_US;
    /* "I/D ... set if the access was an instruction fetch and either
     * CR4.SMEP = 1 or both CR4.PAE = 1 and IA32_EFER.NXE = 1" (4.7). */
    if (acc == EMU_ACC_FETCH &&
        ((st->cr4 & CR4_SMEP) ||
         ((st->cr4 & CR4_PAE) && (st->efer & EFER_NXE))))
        ec |= PFEC_ID;
    emu_set_fault(res, VEC_PF, true, ec, gva);
    return -EFAULT;
}

/* Rights check on the combined entries (SDM 3A 4.6.1). Returns true if the
 * access is allowed. */
static bool access_allowed(const struct vcpu_state *st, enum emu_access acc,
                           bool user, bool rw, bool us, bool xd)
{
    if (acc == EMU_ACC_FETCH && xd)
        return false;
    if (user) {
        if (!us)
            return false;
        return acc != EMU_ACC_WRITE || rw;
    }
    /* Supervisor-mode access. */
    if (us) {
        if (acc == EMU_ACC_FETCH && (st->cr4 & CR4_SMEP))
            return false;
        /* SMAP applies to explicit data accesses when RFLAGS.AC = 0
         * (the only kind the emulator makes). */
        if (acc != EMU_ACC_FETCH && (st->cr4 & CR4_SMAP) &&
            !(st->rflags & RFLAGS_AC))
            return false;
    }
    if (acc == EMU_ACC_WRITE && !rw && (st->cr0 & CR0_WP))
        return false;
    return true;
}

static int read_entry(const struct emu_ops *ops, gpa_t gpa, unsigned esize,
                      uint64_t *e)
{
    uint32_t v32;

    if (esize == 4) {
        if (ops->read_ram(ops->ctx, gpa, &v32, 4))
            return -EIO;
        *e = v32;
        return 0;
    }
    return ops->read_ram(ops->ctx, gpa, e, 8) ? -EIO : 0;
}

const char *emulate_level_name(unsigned level)
{
    static const char *const names[] = {
        "?", "PTE", "PDE", "PDPTE", "PML4E", "PML5E",
    };
    return level < ARRAY_SIZE(names) ? names[level] : "?";
}

/* Linear to physical, in one of two modes.
 * rec == NULL, the CPU's walk: reads the paging structures with
 * ops->read_ram, checks reserved bits and access rights, and writes back
 * accessed/dirty bits with ops->cmpxchg_ram (a locked update, as SDM 3A
 * 4.8 says the processor makes: the VM's other vCPUs may run on other
 * CPUs and change the same entry, e.g. Linux write-protecting it for
 * copy-on-write) or, without it, ops->write_ram. Returns 0, -EFAULT with
 * #PF in res->fault, -EAGAIN when an entry changed under the walk (the
 * caller walks again), or -EIO if a paging structure is not in RAM.
 * rec != NULL, looking only: every entry read is recorded in rec, nothing
 * is checked but the present bit and nothing is written. Returns 0,
 * -ENOENT at a not-present entry, or -EIO.
 * PKRU (protection keys) is not modelled. */
static int walk(const struct vcpu_state *st, const struct emu_ops *ops,
                gva_t gva, enum emu_access acc, struct emu_walk *rec,
                gpa_t *gpa, struct emu_result *res)
{
    struct walk_geom g;
    unsigned maxphy = ops->maxphyaddr ? ops->maxphyaddr : 52;
    uint64_t frame_mask, table, e = 0;
    uint64_t entries[MAX_LEVELS];
    gpa_t entry_gpa[MAX_LEVELS];
    bool user = emu_cpl(st) == 3;
    bool rw = true, us = true, xd = false;
    unsigned level, n = 0, page_shift = 12;

    if (!(st->cr0 & CR0_PG)) {
        *gpa = (st->efer & EFER_LMA) ? gva : (gva & 0xffffffffULL);
        if (rec)
            *rec = (struct emu_walk){ .mode = "paging off", .gpa = *gpa,
                                      .page_size = PAGE_SIZE };
        return 0;
    }
    if (!(st->cr4 & CR4_PAE)) {
        g = (struct walk_geom){ .levels = 2, .esize = 4, .top_bits = 10 };
        table = st->cr3 & 0xfffff000ULL;
        gva &= 0xffffffffULL;
    } else if (!(st->efer & EFER_LMA)) {
        g = (struct walk_geom){ 3, 8, 2, true };
        table = st->cr3 & 0xffffffe0ULL;
        gva &= 0xffffffffULL;
    } else {
        g = (struct walk_geom){ (st->cr4 & CR4_LA57) ? 5 : 4, 8, 9, true };
        table = st->cr3 & ((1ULL << maxphy) - 1) & ~0xfffULL;
    }
    if (rec)
        *rec = (struct emu_walk){
            .mode = g.levels == 2 ? "32-bit" : g.levels == 3 ? "PAE" :
                    g.levels == 4 ? "4-level" : "5-level",
            .esize = g.esize,
        };
    frame_mask = ((1ULL << maxphy) - 1) & ~0xfffULL;

    for (level = g.levels; level >= 1; level--) {
        unsigned shift = g.pae ? 12 + 9 * (level - 1) : 12 + 10 * (level - 1);
        unsigned bits = level == g.levels ? g.top_bits : (g.pae ? 9 : 10);
        uint64_t idx = (gva >> shift) & ((1ULL << bits) - 1);
        gpa_t egpa = table + idx * g.esize;
        int err = read_entry(ops, egpa, g.esize, &e);
        if (err)
            return err;
        if (rec)
            rec->lv[rec->nr++] = (struct emu_walk_level){
                .level = level, .index = (unsigned)idx, .entry_gpa = egpa,
                .entry = e };
        if (!(e & PTE_P))
            return rec ? -ENOENT : page_fault(st, gva, acc, user, 0, res);

        bool leaf = level == 1 ||
                    (level <= 3 && level > 1 && (e & PTE_PS) &&
                     !(g.levels == 3 && level == 3) &&
                     (g.pae || (st->cr4 & CR4_PSE)));
        if (rec) {
            /* looking only: reserved bits are the CPU's business */
        } else if (g.pae) {
            if (e & rsvd_bits64(st, maxphy, &g, level, leaf && level > 1))
                return page_fault(st, gva, acc, user, PFEC_P | PFEC_RSVD, res);
        } else if (leaf && level == 2) {
            /* 32-bit 4-MiB page: bits 20:13 are PA 39:32 (PSE-36), bit 21
             * reserved (SDM 3A 4.3 table 4-4). */
            unsigned hi_bits = maxphy >= 40 ? 8 : maxphy > 32 ? maxphy - 32 : 0;
            uint64_t rsvd = BIT(21) | (((1ULL << 21) - 1) &
                                       ~((1ULL << (13 + hi_bits)) - 1));
            if (e & rsvd)
                return page_fault(st, gva, acc, user, PFEC_P | PFEC_RSVD, res);
        }
        entries[n] = e;
        entry_gpa[n++] = egpa;
        /* PAE PDPTEs carry no R/W, U/S or XD (SDM 3A 4.4.1). */
        if (!(g.levels == 3 && level == 3)) {
            rw = rw && (e & PTE_RW);
            us = us && (e & PTE_US);
            if (g.pae && (st->efer & EFER_NXE) && (e & PTE_XD))
                xd = true;
        }
        if (leaf) {
            page_shift = g.pae ? 12 + 9 * (level - 1) : 12 + 10 * (level - 1);
            break;
        }
        table = g.pae ? (e & frame_mask) : (e & 0xfffff000ULL);
    }

    if (!rec && !access_allowed(st, acc, user, rw, us, xd))
        return page_fault(st, gva, acc, user, PFEC_P, res);

    /* SDM 3A 4.8: set A in every entry used, D in the leaf on a write. */
    for (unsigned i = 0; !rec && i < n; i++) {
        uint64_t ne = entries[i] | PTE_A;
        bool pdpte_pae = g.levels == 3 && i == 0;
        if (pdpte_pae)
            continue; /* PAE PDPTEs have no A bit */
        if (i == n - 1 && acc == EMU_ACC_WRITE)
            ne |= PTE_D;
        if (ne == entries[i])
            continue;
        int rc = ops->cmpxchg_ram
                     ? ops->cmpxchg_ram(ops->ctx, entry_gpa[i], entries[i],
                                        ne, g.esize)
                     : ops->write_ram(ops->ctx, entry_gpa[i], &ne, g.esize);
        if (rc == -EAGAIN)
            return rc;    /* another vCPU changed the entry: walk again */
        if (rc)
            return -EIO;
    }

    uint64_t base;
    if (g.pae) {
        base = e & frame_mask & ~((1ULL << page_shift) - 1);
    } else if (page_shift == 22) {
        base = (e & 0xffc00000ULL) | (((e >> 13) & 0xffULL) << 32);
    } else {
        base = e & 0xfffff000ULL;
    }
    *gpa = base | (gva & ((1ULL << page_shift) - 1));
    if (rec) {
        rec->gpa = *gpa;
        rec->page_size = 1ULL << page_shift;
    }
    return 0;
}

/* Walks again after an entry changed under the A/D update: a few times,
 * then the access fails as if a structure were not in RAM. */
#define WALK_RETRIES 8

int emulate_translate(const struct vcpu_state *st, const struct emu_ops *ops,
                      gva_t gva, enum emu_access acc, gpa_t *gpa,
                      struct emu_result *res)
{
    for (int i = 0; i < WALK_RETRIES; i++) {
        int rc = walk(st, ops, gva, acc, NULL, gpa, res);
        if (rc != -EAGAIN)
            return rc;
    }
    return -EIO;
}

int emulate_translate_record(const struct vcpu_state *st,
                             const struct emu_ops *ops, gva_t gva,
                             struct emu_walk *w)
{
    gpa_t gpa;
    return walk(st, ops, gva, EMU_ACC_READ, w, &gpa, NULL);
}
