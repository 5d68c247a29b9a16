/* Fuzz target: the instruction decoder and emulator (hv/emulate/) against a
 * fake guest: 256 KiB of RAM at GPA 0 holding identity-mapping page tables
 * for every paging mode, a 2-page fake MMIO device at 0xFEE00000, and the
 * floating bus (reads all-ones, writes dropped) everywhere else, as the
 * hypervisor's own bus answers.
 *
 * Input: a header (CPU mode, flags, where RIP sits in the code pages, one
 * 8-byte patch into the paging structures, MAXPHYADDR, the 16 GPRs) and
 * then the instruction bytes, copied to CS:RIP. The patch lets the fuzzer
 * make any entry not-present, reserved, user/supervisor or read-only.
 *
 * Invariants checked beyond "no crash, no sanitizer report":
 *  - every phys_read/phys_write has size 1, 2, 4 or 8 and stays within one
 *    page (emulate.h promises both to the bus), and a written value has no
 *    bits above its size;
 *  - read_ram never asks for more than 15 bytes (code) or one entry, and
 *    write_ram only sets accessed/dirty bits in an entry it walked: the
 *    new value is the old one with bits 5/6 added, nothing else;
 *  - the work of one call is bounded (one REP batch: 4096 iterations);
 *  - EMU_OK moves RIP by exactly res.len (1..15, wrapped to the mode's
 *    width) or leaves it (a REP batch to continue); EMU_FAULT leaves RIP at
 *    the instruction with an architectural vector; res.nbytes <= 15;
 *  - emulate_insn_length agrees with emulate_insn on the length, and an
 *    encoding it calls invalid is never executed. */
#include <stdlib.h>

#include "hv/emulate/emulate.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "test/fuzz/fuzz.h"
#include "test/unit/host_stubs.h"

#define RAM_SIZE   0x40000u
#define MMIO_GPA   0xfee00000ULL
#define MMIO_SIZE  0x2000u
#define CODE_GPA   0x10000u      /* two pages of code: 0x10000-0x11fff */

/* Paging structures (built once, copied in for every input). */
#define PML4_GPA   0x1000u
#define PDPT_GPA   0x2000u
#define PD_GPA     0x3000u       /* four PDs, 2 MiB pages, 0..4 GiB */
#define PAE_PDPT   0x7000u
#define PML5_GPA   0x8000u
#define PD32_GPA   0x9000u       /* 32-bit paging: 4 MiB pages */
#define PT_START   PML4_GPA
#define PT_END     0xa000u

#define PTE_P   0x1ULL
#define PTE_W   0x2ULL
#define PTE_U   0x4ULL
#define PTE_A   0x20ULL
#define PTE_D   0x40ULL
#define PTE_PS  0x80ULL

/* One REP batch (docs/emulator.md, 4096 iterations) of MOVS moves two
 * operands per iteration, each split in at most two accesses. */
#define MAX_PHYS_ACCESSES (4096u * 2 * 2 + 16)

static uint8_t *ram;
static uint8_t page_tables[PT_END];
static unsigned phys_accesses;
/* RAM pages written since the last input (bit n: page n), so that only
 * those are cleared again: clearing all 256 KiB every time halved the
 * executions per second. */
static uint64_t dirty;
_Static_assert(RAM_SIZE / 4096 <= 64, "one dirty bit per RAM page");

static void build_page_tables(void)
{
    uint64_t *t;
    const uint64_t uw = PTE_P | PTE_W | PTE_U;

    t = (uint64_t *)(page_tables + PML5_GPA);
    t[0] = PML4_GPA | uw;
    t = (uint64_t *)(page_tables + PML4_GPA);
    t[0] = PDPT_GPA | uw;
    for (unsigned i = 0; i < 4; i++) {
        ((uint64_t *)(page_tables + PDPT_GPA))[i] = (PD_GPA + i * 0x1000) | uw;
        ((uint64_t *)(page_tables + PAE_PDPT))[i] = (PD_GPA + i * 0x1000) | PTE_P;
    }
    t = (uint64_t *)(page_tables + PD_GPA);
    for (unsigned i = 0; i < 4 * 512; i++)
        t[i] = ((uint64_t)i << 21) | uw | PTE_PS;
    uint32_t *pd32 = (uint32_t *)(page_tables + PD32_GPA);
    for (unsigned i = 0; i < 1024; i++)
        pd32[i] = (i << 22) | (uint32_t)(uw | PTE_PS);
}

static bool in_ram(gpa_t gpa, size_t len)
{
    return gpa < RAM_SIZE && len <= RAM_SIZE - gpa;
}

static int f_read_ram(void *ctx, gpa_t gpa, void *buf, size_t len)
{
    (void)ctx;
    FUZZ_CHECK(len >= 1 && len <= 15);
    if (!in_ram(gpa, len))
        return -EFAULT;
    memcpy(buf, ram + gpa, len);
    return 0;
}

/* Only the page walk writes RAM directly, and only to set A/D bits. */
static int f_write_ram(void *ctx, gpa_t gpa, const void *buf, size_t len)
{
    (void)ctx;
    FUZZ_CHECK(len == 4 || len == 8);
    FUZZ_CHECK((gpa & (len - 1)) == 0);
    if (!in_ram(gpa, len))
        return -EFAULT;
    uint64_t old = 0, new = 0;
    dirty |= 1ULL << (gpa >> 12);
    memcpy(&old, ram + gpa, len);
    memcpy(&new, buf, len);
    FUZZ_CHECK((new & old) == old);                 /* nothing cleared */
    FUZZ_CHECK((new & ~old & ~(PTE_A | PTE_D)) == 0); /* only A/D set */
    memcpy(ram + gpa, buf, len);
    return 0;
}

static void check_phys(gpa_t gpa, unsigned size)
{
    FUZZ_CHECK(size == 1 || size == 2 || size == 4 || size == 8);
    FUZZ_CHECK((gpa & 0xfff) + size <= 0x1000);
    FUZZ_CHECK(++phys_accesses <= MAX_PHYS_ACCESSES);
}

static int f_phys_read(void *ctx, gpa_t gpa, unsigned size, uint64_t *val)
{
    (void)ctx;
    check_phys(gpa, size);
    *val = 0;
    if (in_ram(gpa, size)) {
        memcpy(val, ram + gpa, size);
    } else if (gpa >= MMIO_GPA && gpa + size <= MMIO_GPA + MMIO_SIZE) {
        /* A device register: some value that depends on where. */
        uint64_t v = (gpa * 0x9e3779b97f4a7c15ULL) >> 7;
        *val = size == 8 ? v : v & ((1ULL << (8 * size)) - 1);
    } else {
        *val = size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1; /* floating */
    }
    return 0;
}

static int f_phys_write(void *ctx, gpa_t gpa, unsigned size, uint64_t val)
{
    (void)ctx;
    check_phys(gpa, size);
    if (size < 8)
        FUZZ_CHECK((val >> (8 * size)) == 0);   /* no stray high bits */
    if (in_ram(gpa, size)) {
        dirty |= 1ULL << (gpa >> 12);
        memcpy(ram + gpa, &val, size);
    }
    return 0;   /* MMIO and the floating bus take any write */
}

/* CPU modes the first byte selects. */
enum fuzz_mode {
    FM_REAL, FM_PROT16, FM_PROT32, FM_PAGING32, FM_PAE, FM_LONG4, FM_LONG5,
    FM_LONG4_COMPAT, FM_COUNT
};

/* Flag bits of the second byte. */
#define FF_CPL3    0x01
#define FF_DF      0x02
#define FF_WP      0x04
#define FF_NXE     0x08
#define FF_SMEP    0x10
#define FF_SMAP_AC 0x20   /* CR4.SMAP, and RFLAGS.AC */
#define FF_LIMIT   0x40   /* CS limit just past the first code bytes */
#define FF_PATCH   0x80   /* apply the paging-structure patch */

static void set_segments(struct vcpu_state *st, enum fuzz_mode m,
                         uint8_t flags, uint16_t rip_off)
{
    unsigned dpl = (flags & FF_CPL3) && m != FM_REAL ? 3 : 0;
    bool small = m == FM_REAL || m == FM_PROT16;
    uint32_t limit = small ? 0xffff : 0xffffffff;
    uint16_t data = (uint16_t)(0x93 | dpl << 5 | (small ? 0 : SEG_ATTR_DB | SEG_ATTR_G));
    uint16_t code = (uint16_t)(0x9b | dpl << 5);

    if (m == FM_LONG4 || m == FM_LONG5)
        code |= SEG_ATTR_L;
    else if (!small)
        code |= SEG_ATTR_DB | SEG_ATTR_G;
    for (int s = 0; s < SEG_COUNT; s++)
        st->seg[s] = (struct segment){ (uint16_t)(0x10 | dpl), data, limit, 0 };
    st->seg[SEG_CS] = (struct segment){ (uint16_t)(0x08 | dpl), code, limit, 0 };
    if (small) {
        st->seg[SEG_CS].base = CODE_GPA;
        st->rip = rip_off;
    } else {
        st->rip = CODE_GPA + rip_off;
    }
    if (flags & FF_LIMIT)
        st->seg[SEG_CS].limit = (uint32_t)(st->rip + 3);
}

static void set_mode(struct vcpu_state *st, enum fuzz_mode m, uint8_t flags)
{
    st->cr0 = m == FM_REAL ? 0 : CR0_PE | CR0_ET;
    if (flags & FF_WP)
        st->cr0 |= CR0_WP;
    switch (m) {
    case FM_PAGING32:
        st->cr0 |= CR0_PG;
        st->cr4 = CR4_PSE;
        st->cr3 = PD32_GPA;
        break;
    case FM_PAE:
        st->cr0 |= CR0_PG;
        st->cr4 = CR4_PAE;
        st->cr3 = PAE_PDPT;
        break;
    case FM_LONG4: case FM_LONG4_COMPAT: case FM_LONG5:
        st->cr0 |= CR0_PG;
        st->cr4 = CR4_PAE | (m == FM_LONG5 ? CR4_LA57 : 0);
        st->cr3 = m == FM_LONG5 ? PML5_GPA : PML4_GPA;
        st->efer = EFER_LME | EFER_LMA;
        break;
    default:
        break;
    }
    if (flags & FF_NXE)
        st->efer |= EFER_NXE;
    if (flags & FF_SMEP)
        st->cr4 |= CR4_SMEP;
    st->rflags = RFLAGS_FIXED;
    if (flags & FF_SMAP_AC) {
        st->cr4 |= CR4_SMAP;
        st->rflags |= BIT(18);   /* AC */
    }
    if (flags & FF_DF)
        st->rflags |= RFLAGS_DF;
}

static uint64_t rip_mask(const struct vcpu_state *st)
{
    switch (vcpu_state_mode(st)) {
    case MODE_LONG64: return ~0ULL;
    case MODE_PROT32: return 0xffffffffULL;
    default:          return 0xffff;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        ram = aligned_alloc(4096, RAM_SIZE);
        if (!ram)
            abort();
        memset(ram, 0, RAM_SIZE);
        build_page_tables();
        log_set_level(LOG_ERR);
        ready = true;
    }
    stub_capture_begin();   /* log lines go to a reused buffer, not stdout */

    struct fuzz_in in = { data, size };
    enum fuzz_mode m = (enum fuzz_mode)(fuzz_u8(&in) % FM_COUNT);
    uint8_t flags = fuzz_u8(&in);
    uint16_t rip_off = fuzz_u16(&in) & 0x1fff;
    unsigned patch_slot = fuzz_u16(&in) % ((PT_END - PT_START) / 8);
    uint64_t patch = fuzz_u64(&in);
    struct emu_ops ops = {
        .read_ram = f_read_ram, .write_ram = f_write_ram,
        .phys_read = f_phys_read, .phys_write = f_phys_write,
        .maxphyaddr = (uint8_t)(36 + fuzz_u8(&in) % 17),
    };
    struct vcpu_state st = { 0 };
    for (int r = 0; r < GPR_COUNT; r++)
        st.gpr[r] = fuzz_u32(&in);
    /* A REP count: at most 7, unless its top byte is 0xFF. A full batch
     * (4096 iterations, each with two page walks) costs milliseconds under
     * ASan, and random counts would make nearly every REP input one;
     * iterations are the bulk of the time even at 63. */
    if ((st.gpr[GPR_RCX] >> 24) != 0xff)
        st.gpr[GPR_RCX] &= 0x7;

    dirty |= 3ULL << (CODE_GPA >> 12);   /* the code pages */
    for (unsigned pg = 0; dirty; pg++, dirty >>= 1)
        if (dirty & 1)
            memset(ram + pg * 4096, 0, 4096);
    memcpy(ram, page_tables, PT_END);
    if (flags & FF_PATCH)
        memcpy(ram + PT_START + patch_slot * 8, &patch, 8);
    set_mode(&st, m, flags);
    set_segments(&st, m, flags, rip_off);
    fuzz_bytes(&in, ram + CODE_GPA + rip_off, 32);

    /* The length first, on the same state and memory. */
    struct emu_result lres = { 0 };
    phys_accesses = 0;
    int len = emulate_insn_length(&st, &ops, &lres);
    FUZZ_CHECK(len == -EFAULT || len == -EINVAL || len == -EIO ||
               (len >= 1 && len <= 15));
    FUZZ_CHECK(lres.nbytes <= 15);
    FUZZ_CHECK(phys_accesses == 0);   /* decoding touches no device */

    struct vcpu_state before = st;
    struct emu_result res = { 0 };
    phys_accesses = 0;
    enum emu_status s = emulate_insn(&st, &ops, &res);
    FUZZ_CHECK(res.nbytes <= 15 && res.len <= 15);
    switch (s) {
    case EMU_OK:
        FUZZ_CHECK(res.len >= 1);
        FUZZ_CHECK(st.rip == before.rip ||
                   st.rip == ((before.rip + res.len) & rip_mask(&before)));
        FUZZ_CHECK(len == res.len);
        FUZZ_CHECK((st.rflags & RFLAGS_FIXED) != 0);
        break;
    case EMU_FAULT:
        FUZZ_CHECK(st.rip == before.rip);
        FUZZ_CHECK(res.fault.vector < 32);
        FUZZ_CHECK(len != -EINVAL || res.fault.vector == 6);
        break;
    case EMU_UNHANDLED:
    case EMU_ERROR:
        break;
    default:
        FUZZ_CHECK(!"unknown emu_status");
    }
    return 0;
}
