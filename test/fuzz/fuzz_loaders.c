/* Fuzz target: the payload loaders (hv/loader/): Linux bzImage
 * (linux_validate, linux_load with the default layout and e820 map),
 * Multiboot v1 (ELF32/ELF64 through elf_parse, or the a.out kludge) and
 * flat binaries. The kernel file is whatever the fuzzer writes.
 *
 * Guest RAM is one of three maps, each slot its own heap block with the
 * part beyond the slot poisoned for ASan, so a byte written outside guest
 * RAM is a report, not a silent success:
 *   0: 8 MiB at 0;  1: 2 MiB at 0 and 4 MiB at 4 MiB (a hole);  2: 1 MiB.
 *
 * Input: loader (0 Linux, 1 Multiboot, 2 flat), RAM map, initrd size (the
 * initrd is a pattern), flat load address and entry, command line length,
 * the command line, then the kernel file.
 *
 * Invariants checked beyond "no crash, no sanitizer report":
 *  - a refusal is a negative code with a message (NUL-terminated, not
 *    empty);
 *  - Linux: the kernel sits at a kernel_alignment-aligned GPA (at
 *    pref_address if not relocatable), not below the layout's kernel_min,
 *    with its whole init_size span in guest RAM and in e820 RAM, its bytes are the
 *    file's, RIP is its 64-bit entry; the initrd is page aligned, below
 *    initrd_addr_max, in RAM, clear of the kernel's span, and intact;
 *  - Multiboot ELF: every PT_LOAD segment is inside guest RAM below
 *    ram_top_low with its file bytes and zeroed .bss intact after the
 *    information structure was written (when segments do not overlap each
 *    other); the entry is in RAM; EAX holds the magic and EBX points into
 *    RAM;
 *  - flat: the file is in RAM at the load address, RIP inside it. */
#include <sanitizer/asan_interface.h>
#include <stdlib.h>

#include "hv/loader/elf.h"
#include "hv/loader/linux.h"
#include "hv/loader/multiboot.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "test/fuzz/fuzz.h"
#include "test/unit/host_stubs.h"

#define BUF_A_SIZE MiB(8)
#define BUF_B_SIZE MiB(4)
#define B_GPA      MiB(4)
#define INITRD_MAX 0x8000u
#define MB_MAGIC   0x2BADB002u

static uint8_t *buf_a, *buf_b;
static uint8_t initrd[INITRD_MAX];
static struct guest_mem gm;
static uint64_t ram_top;
static char err[160];

/* Make gm one of the three maps; poison what lies beyond each slot. */
static void map_ram(unsigned which)
{
    uint64_t a_size = which == 0 ? MiB(8) : which == 1 ? MiB(2) : MiB(1);
    memset(&gm, 0, sizeof(gm));
    ASAN_UNPOISON_MEMORY_REGION(buf_a, BUF_A_SIZE);
    ASAN_POISON_MEMORY_REGION(buf_a + a_size, BUF_A_SIZE - a_size);
    ASAN_POISON_MEMORY_REGION(buf_b, BUF_B_SIZE);
    if (gmem_add_slot(&gm, 0, a_size, ptr_hpa(buf_a)))
        abort();
    ram_top = a_size;
    if (which == 1) {
        ASAN_UNPOISON_MEMORY_REGION(buf_b, BUF_B_SIZE);
        if (gmem_add_slot(&gm, B_GPA, BUF_B_SIZE, ptr_hpa(buf_b)))
            abort();
        ram_top = B_GPA + BUF_B_SIZE;
    }
}

/* Guest RAM at gpa holds the len bytes at p. */
static bool ram_equals(gpa_t gpa, const void *p, uint64_t len)
{
    uint8_t chunk[4096];
    for (uint64_t off = 0; off < len; off += sizeof(chunk)) {
        uint64_t n = MIN(sizeof(chunk), len - off);
        if (gmem_read(&gm, gpa + off, chunk, n) ||
            memcmp(chunk, (const uint8_t *)p + off, n))
            return false;
    }
    return true;
}

static bool ram_zero(gpa_t gpa, uint64_t len)
{
    static const uint8_t zeros[4096];
    for (uint64_t off = 0; off < len; off += sizeof(zeros))
        if (!ram_equals(gpa + off, zeros, MIN(sizeof(zeros), len - off)))
            return false;
    return true;
}

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

static void check_refusal(int rc)
{
    FUZZ_CHECK(rc < 0);
    size_t n = strnlen(err, sizeof(err));
    FUZZ_CHECK(n > 0 && n < sizeof(err));
}

static bool in_e820_ram(const struct boot_e820_entry *map, int n, uint64_t gpa,
                        uint64_t len)
{
    for (int i = 0; i < n; i++)
        if (map[i].type == E820_TYPE_RAM && gpa >= map[i].addr &&
            gpa + len <= map[i].addr + map[i].size)
            return true;
    return false;
}

static void fuzz_linux(const uint8_t *k, uint64_t ksize, uint64_t isize,
                       const char *cmdline)
{
    static struct boot_e820_entry map[128];
    struct linux_layout layout;
    struct linux_placement pl;
    struct linux_image_info info;
    struct vcpu_state st;

    linux_layout_default(&layout);
    int n = linux_e820_default(&gm, 0, 0, map, 128);
    FUZZ_CHECK(n > 0);
    layout.e820 = map;
    layout.e820_entries = (unsigned)n;
    int valid = linux_validate(k, ksize, &info, err, sizeof(err));
    FUZZ_CHECK(valid == 0 || valid == -ENOEXEC);
    err[0] = '\0';
    int rc = linux_load(&gm, k, ksize, isize ? initrd : NULL, isize, cmdline,
                        &layout, &st, &pl, err, sizeof(err));
    if (rc) {
        check_refusal(rc);
        return;
    }
    FUZZ_CHECK(valid == 0);
    /* A relocatable kernel goes to an aligned GPA; one that is not, to
     * pref_address and nowhere else (boot.rst "relocatable_kernel"). */
    if (info.relocatable)
        FUZZ_CHECK(pl.kernel % info.kernel_alignment == 0);
    else
        FUZZ_CHECK(pl.kernel == info.pref_address);
    FUZZ_CHECK(pl.kernel_span >= info.kernel_size);
    FUZZ_CHECK(gmem_is_ram(&gm, pl.kernel, pl.kernel_span));
    FUZZ_CHECK(in_e820_ram(map, n, pl.kernel, pl.kernel_span));
    FUZZ_CHECK(pl.kernel >= layout.kernel_min);
    FUZZ_CHECK(ram_equals(pl.kernel, k + info.kernel_offset, info.kernel_size));
    FUZZ_CHECK(st.rip == pl.entry && pl.entry == pl.kernel + 0x200);
    FUZZ_CHECK(st.gpr[GPR_RSI] == layout.zero_page);
    if (isize) {
        FUZZ_CHECK(pl.initrd % PAGE_SIZE == 0 && pl.initrd_size == isize);
        FUZZ_CHECK(pl.initrd + isize - 1 <= info.initrd_addr_max);
        FUZZ_CHECK(in_e820_ram(map, n, pl.initrd, isize));
        FUZZ_CHECK(!overlap(pl.initrd, isize, pl.kernel, pl.kernel_span));
        FUZZ_CHECK(ram_equals(pl.initrd, initrd, isize));
    }
}

/* Whether the loader will take the a.out kludge's address fields rather
 * than the ELF headers: the first Multiboot header in the first 8 KiB
 * (4-byte aligned, valid checksum) has flag 16 (Multiboot 0.6.96, 3.1.1). */
static bool aout_kludge(const uint8_t *k, uint64_t size)
{
    for (uint64_t off = 0; off + 32 <= size && off < 8192; off += 4) {
        uint32_t h[3];
        memcpy(h, k + off, sizeof(h));
        if (h[0] == 0x1BADB002u && (uint32_t)(h[0] + h[1] + h[2]) == 0)
            return h[1] & BIT(16);
    }
    return false;
}

static void fuzz_multiboot(const struct load_request *r)
{
    struct vcpu_state st;
    struct elf_info elf;
    char why[96];

    int rc = multiboot_load(r, &st);
    if (rc) {
        check_refusal(rc);
        return;
    }
    FUZZ_CHECK(st.gpr[GPR_RAX] == MB_MAGIC);
    FUZZ_CHECK(gmem_is_ram(&gm, st.gpr[GPR_RBX], 48));
    FUZZ_CHECK(st.rip < GiB(4) && gmem_is_ram(&gm, st.rip, 1));
    if (aout_kludge(r->kernel, r->kernel_size) ||
        elf_parse(r->kernel, r->kernel_size, &elf, why, sizeof(why)))
        return;   /* the a.out kludge loaded it */
    const uint8_t *file = r->kernel;
    for (unsigned i = 0; i < elf.nr_segments; i++) {
        const struct elf_segment *s = &elf.segments[i];
        FUZZ_CHECK(gmem_is_ram(&gm, s->paddr, s->memsz));
        FUZZ_CHECK(s->paddr + s->memsz <= r->ram_top_low);
        bool alone = true;
        for (unsigned j = 0; j < elf.nr_segments; j++)
            if (j != i && overlap(s->paddr, s->memsz, elf.segments[j].paddr,
                                  elf.segments[j].memsz))
                alone = false;
        if (!alone)
            continue;
        FUZZ_CHECK(ram_equals(s->paddr, file + s->offset, s->filesz));
        FUZZ_CHECK(ram_zero(s->paddr + s->filesz, s->memsz - s->filesz));
    }
}

static void fuzz_flat(const struct load_request *r)
{
    struct vcpu_state st;
    int rc = flat_load(r, &st);
    if (rc) {
        check_refusal(rc);
        return;
    }
    FUZZ_CHECK(ram_equals(r->load_addr, r->kernel, r->kernel_size));
    FUZZ_CHECK(st.rip >= r->load_addr &&
               st.rip < r->load_addr + r->kernel_size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!buf_a) {
        buf_a = aligned_alloc(PAGE_SIZE, BUF_A_SIZE);
        buf_b = aligned_alloc(PAGE_SIZE, BUF_B_SIZE);
        if (!buf_a || !buf_b)
            abort();
        memset(buf_a, 0, BUF_A_SIZE);
        memset(buf_b, 0, BUF_B_SIZE);
        for (unsigned i = 0; i < INITRD_MAX; i++)
            initrd[i] = (uint8_t)(i * 13 + 5);
        log_set_level(LOG_ERR);
    }
    stub_capture_begin();

    struct fuzz_in in = { data, size };
    unsigned loader = fuzz_u8(&in) % 3;
    map_ram(fuzz_u8(&in) % 3);
    uint64_t isize = fuzz_u16(&in) % INITRD_MAX;
    uint32_t load_addr = fuzz_u32(&in), entry = fuzz_u32(&in);
    char cmdline[64] = "";
    fuzz_bytes(&in, cmdline, fuzz_u8(&in) % sizeof(cmdline));
    cmdline[sizeof(cmdline) - 1] = '\0';
    /* The kernel file in a block of its own exact size (ASan bounds). */
    uint64_t ksize = in.left;
    uint8_t *k = malloc(ksize ? ksize : 1);
    if (!k)
        abort();
    fuzz_bytes(&in, k, ksize);

    memset(err, 0, sizeof(err));
    struct load_request r = {
        .mem = &gm, .cmdline = cmdline, .load_addr = load_addr,
        .has_entry = entry != 0, .entry = entry, .kernel = k,
        .kernel_size = ksize, .initrd = isize ? initrd : NULL,
        .initrd_size = isize, .ram_top_low = ram_top, .err = err,
        .errlen = sizeof(err),
    };
    if (loader == 0)
        fuzz_linux(k, ksize, isize, cmdline);
    else if (loader == 1)
        fuzz_multiboot(&r);
    else
        fuzz_flat(&r);
    free(k);
    return 0;
}
