/* The three page-table entry formats driven by mm/pt.c.
 * Manuals: Intel SDM (Order No. 325462), Volume 3A chapter 4 and Volume 3C
 * chapter 29; AMD APM Volume 2 (No. 24593), sections 5.3 and 15.25.
 *
 * All three formats stop at 2 MiB leaves (max_leaf_level = 2). 1 GiB leaves
 * need CPUID.80000001H:EDX.Page1GB (pdpe1gb) for host paging and NPT, and
 * IA32_VMX_EPT_VPID_CAP bit 17 for EPT; checking those is not worth the
 * complexity while guests are a few GiB at most. mm/pt.c handles level 3
 * leaves if a format ever allows them. */
#include "mm/pt.h"

/* --- x86-64 4-level paging entries (SDM 3A 4.5, Tables 4-14 to 4-20;
 *     APM2 5.3.3 "4-Kbyte Page Translation"). --- */
#define X86_PTE_P       BIT(0)   /* present */
#define X86_PTE_RW      BIT(1)   /* writable */
#define X86_PTE_US      BIT(2)   /* user accessible */
#define X86_PTE_PWT     BIT(3)   /* page-level write-through */
#define X86_PTE_PCD     BIT(4)   /* page-level cache disable */
#define X86_PTE_PS      BIT(7)   /* page size: a leaf in a PDPTE or PDE */
#define X86_PTE_NX      BIT(63)  /* execute disable; needs EFER.NXE = 1 */
/* Bits 51:12 hold the address (the architectural maximum MAXPHYADDR is
 * 52). In a 2 MiB / 1 GiB leaf, bit 12 is the PAT bit, so the address
 * starts at bit 21 / 30 there. */
#define PT_ADDR_MASK    0x000ffffffffff000ULL

/* --- EPT entries (SDM 3C 29.3.2 "EPT Translation Mechanism", Tables 29-1
 *     to 29-6). --- */
#define EPT_R           BIT(0)
#define EPT_W           BIT(1)
#define EPT_X           BIT(2)   /* supervisor-mode execute */
#define EPT_MT_SHIFT    3        /* bits 5:3: memory type of a leaf */
#define EPT_MT_UC       0ULL     /* SDM 3C 29.3.7 "EPT and Memory Typing" */
#define EPT_MT_WB       6ULL
#define EPT_LARGE       BIT(7)   /* a leaf in a PDPTE or PDE */

/* Address of entry e at level: a large leaf keeps only the bits above its
 * page size (bit 12 is PAT in an x86 large leaf, reserved in EPT). */
static hpa_t addr_at(uint64_t e, unsigned level, bool large)
{
    if (level > 1 && large)
        return e & PT_ADDR_MASK & ~((1ULL << (12 + 9 * (level - 1))) - 1);
    return e & PT_ADDR_MASK;
}

/* ---------------------------------------------------------------------- */
/* x86-64 paging, shared by the host and NPT formats. The only difference
 * is the U/S bit, passed in as `user`. */

static uint64_t x86_table(hpa_t table, uint64_t user)
{
    /* Tables grant everything: with RW=1, U/S as given and NX=0 at every
     * upper level, the leaf alone decides the access rights (SDM 3A 4.6.1
     * "Determination of Access Rights"). */
    return (table & PT_ADDR_MASK) | X86_PTE_P | X86_PTE_RW | user;
}

static uint64_t x86_leaf(hpa_t hpa, unsigned perms, unsigned level,
                         uint64_t user)
{
    uint64_t e = (hpa & PT_ADDR_MASK) | X86_PTE_P | user;
    if (perms & PT_W)
        e |= X86_PTE_RW;
    if (!(perms & PT_X))
        e |= X86_PTE_NX;
    /* PCD|PWT selects PAT entry 3, which is UC in the power-on default PAT;
     * whoever programs IA32_PAT must keep entry 3 UC (SDM 3A, "Selecting a
     * Memory Type from the PAT"). */
    if (perms & PT_UC)
        e |= X86_PTE_PCD | X86_PTE_PWT;
    if (level > 1)
        e |= X86_PTE_PS;   /* at level 1, bit 7 is PAT and stays 0 */
    return e;
}

static bool x86_present(uint64_t e) { return e & X86_PTE_P; }
static bool x86_is_large(uint64_t e) { return e & X86_PTE_PS; }

static hpa_t x86_addr(uint64_t e, unsigned level)
{
    return addr_at(e, level, x86_is_large(e));
}

static unsigned x86_perms(uint64_t e)
{
    unsigned p = PT_R;
    if (e & X86_PTE_RW)
        p |= PT_W;
    if (!(e & X86_PTE_NX))
        p |= PT_X;
    if (e & X86_PTE_PCD)
        p |= PT_UC;
    return p;
}

/* Host: supervisor-only, so U/S = 0 everywhere. */
static uint64_t host_table(hpa_t table) { return x86_table(table, 0); }
static uint64_t host_leaf(hpa_t hpa, unsigned perms, unsigned level)
{
    return x86_leaf(hpa, perms, level, 0);
}

const struct pt_format pt_format_host = {
    .name = "host",
    .make_table = host_table,
    .make_leaf = host_leaf,
    .present = x86_present,
    .is_large = x86_is_large,
    .addr = x86_addr,
    .perms = x86_perms,
    .max_leaf_level = 2,
};

/* NPT: the nested walk treats every access as a user access (APM2 15.25.5
 * "Nested Table Walk"), so an entry without U/S at any level faults. The
 * walk uses the host's paging controls, so NX (bit 63) is only valid when
 * the host runs with EFER.NXE = 1. */
static uint64_t npt_table(hpa_t table) { return x86_table(table, X86_PTE_US); }
static uint64_t npt_leaf(hpa_t hpa, unsigned perms, unsigned level)
{
    return x86_leaf(hpa, perms, level, X86_PTE_US);
}

const struct pt_format pt_format_npt = {
    .name = "npt",
    .make_table = npt_table,
    .make_leaf = npt_leaf,
    .present = x86_present,
    .is_large = x86_is_large,
    .addr = x86_addr,
    .perms = x86_perms,
    .max_leaf_level = 2,
};

/* ---------------------------------------------------------------------- */
/* EPT. */

static uint64_t ept_table(hpa_t table)
{
    /* Bits 5:3 and 7 must be 0 in a non-leaf entry (reserved). */
    return (table & PT_ADDR_MASK) | EPT_R | EPT_W | EPT_X;
}

static uint64_t ept_leaf(hpa_t hpa, unsigned perms, unsigned level)
{
    /* R is always set: write-without-read is an EPT misconfiguration (SDM
     * 3C 29.3.3.1 "EPT Misconfigurations"), and execute-only needs a
     * capability (IA32_VMX_EPT_VPID_CAP bit 0) that Keel does not check.
     * This matches x86 paging, where present implies readable. The
     * ignore-PAT bit (6) stays 0, so a guest can still make a WB page UC
     * through its own PAT. */
    uint64_t e = (hpa & PT_ADDR_MASK) | EPT_R;
    if (perms & PT_W)
        e |= EPT_W;
    if (perms & PT_X)
        e |= EPT_X;
    e |= ((perms & PT_UC) ? EPT_MT_UC : EPT_MT_WB) << EPT_MT_SHIFT;
    if (level > 1)
        e |= EPT_LARGE;
    return e;
}

/* An EPT entry is present if any of bits 2:0 is set (SDM 3C 29.3.2). */
static bool ept_present(uint64_t e) { return e & (EPT_R | EPT_W | EPT_X); }
static bool ept_is_large(uint64_t e) { return e & EPT_LARGE; }

static hpa_t ept_addr(uint64_t e, unsigned level)
{
    return addr_at(e, level, ept_is_large(e));
}

static unsigned ept_perms(uint64_t e)
{
    unsigned p = 0;
    if (e & EPT_R)
        p |= PT_R;
    if (e & EPT_W)
        p |= PT_W;
    if (e & EPT_X)
        p |= PT_X;
    if (((e >> EPT_MT_SHIFT) & 7) == EPT_MT_UC)
        p |= PT_UC;
    return p;
}

const struct pt_format pt_format_ept = {
    .name = "ept",
    .make_table = ept_table,
    .make_leaf = ept_leaf,
    .present = ept_present,
    .is_large = ept_is_large,
    .addr = ept_addr,
    .perms = ept_perms,
    .max_leaf_level = 2,
};
