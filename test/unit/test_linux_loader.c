/* Host tests of the Linux bzImage loader (hv/loader/linux.c).
 * A synthetic bzImage (a valid 2.15 setup header in front of a patterned
 * "kernel") covers the header checks and placement rules; the real Debian
 * kernel, when build/linux/vmlinuz exists, is validated and loaded in a
 * separate test that cmocka reports as skipped when the file is absent
 * (`make linux` fetches it; unit tests never download). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "hv/loader/linux.h"
#include "lib/errno.h"

static const char *argv0 = "";

/* ---- synthetic bzImage -------------------------------------------------- */

#define FAKE_SETUP_SECTS 4
#define FAKE_SETUP_SIZE  ((FAKE_SETUP_SECTS + 1) * 512)
#define FAKE_KERNEL_SIZE KiB(64)
#define FAKE_SIZE        (FAKE_SETUP_SIZE + FAKE_KERNEL_SIZE)
#define FAKE_INIT_SIZE   MiB(8)

static void put16(uint8_t *p, size_t off, uint16_t v) { memcpy(p + off, &v, 2); }
static void put32(uint8_t *p, size_t off, uint32_t v) { memcpy(p + off, &v, 4); }
static void put64(uint8_t *p, size_t off, uint64_t v) { memcpy(p + off, &v, 8); }

/* A bzImage that passes every check; tests break one field at a time.
 * Caller frees. The kernel bytes are a pattern so copies can be checked. */
static uint8_t *fake_bzimage(void)
{
    uint8_t *p = calloc(1, FAKE_SIZE);
    assert_non_null(p);
    p[0x1f1] = FAKE_SETUP_SECTS;                 /* setup_sects */
    put32(p, 0x1f4, FAKE_KERNEL_SIZE / 16);      /* syssize */
    put16(p, 0x1fe, 0xAA55);                     /* boot_flag */
    p[0x200] = 0xeb;                             /* jump short ... */
    p[0x201] = 0x6a;                             /* ... to 0x26c */
    memcpy(p + 0x202, "HdrS", 4);
    put16(p, 0x206, 0x020f);                     /* version 2.15 */
    p[0x211] = LOADED_HIGH;                      /* loadflags */
    put32(p, 0x214, 0x100000);                   /* code32_start */
    put32(p, 0x22c, 0x7fffffff);                 /* initrd_addr_max */
    put32(p, 0x230, MiB(2));                     /* kernel_alignment */
    p[0x234] = 1;                                /* relocatable_kernel */
    p[0x235] = 21;                               /* min_alignment */
    put16(p, 0x236, XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G);
    put32(p, 0x238, 2047);                       /* cmdline_size */
    put32(p, 0x248, 0x100);                      /* payload_offset */
    put32(p, 0x24c, 0x1000);                     /* payload_length */
    put64(p, 0x258, MiB(16));                    /* pref_address */
    put32(p, 0x260, FAKE_INIT_SIZE);             /* init_size */
    for (size_t i = 0; i < FAKE_KERNEL_SIZE; i++)
        p[FAKE_SETUP_SIZE + i] = (uint8_t)(i * 7 + 3);
    return p;
}

static void expect_invalid(const uint8_t *img, uint64_t size, const char *msg)
{
    char err[160] = "";
    assert_int_equal(linux_validate(img, size, NULL, err, sizeof(err)), -ENOEXEC);
    assert_string_equal(err, msg);
}

static void test_validate_good(void **state)
{
    uint8_t *img = fake_bzimage();
    struct linux_image_info info;
    char err[160] = "";
    assert_int_equal(linux_validate(img, FAKE_SIZE, &info, err, sizeof(err)), 0);
    assert_int_equal(info.version, 0x020f);
    assert_int_equal(info.setup_size, FAKE_SETUP_SIZE);
    assert_int_equal(info.kernel_offset, FAKE_SETUP_SIZE);
    assert_int_equal(info.kernel_size, FAKE_KERNEL_SIZE);
    assert_int_equal(info.kernel_alignment, MiB(2));
    assert_int_equal(info.pref_address, MiB(16));
    assert_int_equal(info.init_size, FAKE_INIT_SIZE);
    assert_int_equal(info.cmdline_size, 2047);
    assert_int_equal(info.initrd_addr_max, 0x7fffffff);
    free(img);
}

static void test_validate_setup_sects_zero_means_4(void **state)
{
    uint8_t *img = fake_bzimage();
    struct linux_image_info info;
    img[0x1f1] = 0;
    assert_int_equal(linux_validate(img, FAKE_SIZE, &info, NULL, 0), 0);
    assert_int_equal(info.setup_size, 5 * 512);
    free(img);
}

static void test_validate_too_small(void **state)
{
    uint8_t *img = fake_bzimage();
    expect_invalid(img, 0x200, "kernel: 512 bytes is too small for a bzImage header");
    expect_invalid(NULL, 0, "kernel: 0 bytes is too small for a bzImage header");
    free(img);
}

static void test_validate_truncated(void **state)
{
    uint8_t *img = fake_bzimage();
    char msg[128];
    snprintf(msg, sizeof(msg), "kernel: truncated: file has %llu bytes, setup says %llu",
             (unsigned long long)(FAKE_SIZE - 100), (unsigned long long)FAKE_SIZE);
    expect_invalid(img, FAKE_SIZE - 100, msg);
    /* Shorter than the setup sectors themselves. */
    snprintf(msg, sizeof(msg), "kernel: truncated: file has 1024 bytes, setup says %llu",
             (unsigned long long)FAKE_SIZE);
    expect_invalid(img, 1024, msg);
    free(img);
}

static void test_validate_wrong_magic(void **state)
{
    uint8_t *img = fake_bzimage();
    img[0x202] = 'X';
    expect_invalid(img, FAKE_SIZE, "kernel: not a bzImage (no HdrS magic)");
    free(img);
    img = fake_bzimage();
    put16(img, 0x1fe, 0x1234);
    expect_invalid(img, FAKE_SIZE, "kernel: not a bzImage (boot_flag 0x1234, want 0xAA55)");
    free(img);
}

static void test_validate_old_protocol(void **state)
{
    uint8_t *img = fake_bzimage();
    put16(img, 0x206, 0x020a);
    expect_invalid(img, FAKE_SIZE, "kernel: boot protocol 2.10 too old (need 2.12)");
    put16(img, 0x206, 0x020c);   /* 2.12 is the oldest accepted */
    assert_int_equal(linux_validate(img, FAKE_SIZE, NULL, NULL, 0), 0);
    free(img);
}

static void test_validate_not_64bit(void **state)
{
    uint8_t *img = fake_bzimage();
    put16(img, 0x236, XLF_EFI_HANDOVER_32);
    expect_invalid(img, FAKE_SIZE,
                   "kernel: no 64-bit entry point (xloadflags 0x4 lacks XLF_KERNEL_64)");
    free(img);
}

/* boot.rst "syssize": paragraphs, rounded up; GRUB and QEMU load the
 * rest of the file, so a file ending inside the last one is accepted
 * (old code: "truncated"). */
static void test_validate_syssize_rounds_past_end(void **state)
{
    uint8_t *img = fake_bzimage();
    struct linux_image_info info;
    /* syssize * 16 ends 12 bytes past the end of the file. */
    assert_int_equal(linux_validate(img, FAKE_SIZE - 12, &info, NULL, 0), 0);
    assert_int_equal(info.kernel_size, FAKE_KERNEL_SIZE - 12);
    assert_int_equal(linux_validate(img, FAKE_SIZE - 15, &info, NULL, 0), 0);
    /* A whole paragraph short is truncated. */
    char msg[128];
    snprintf(msg, sizeof(msg), "kernel: truncated: file has %llu bytes, setup says %llu",
             (unsigned long long)(FAKE_SIZE - 16), (unsigned long long)FAKE_SIZE);
    expect_invalid(img, FAKE_SIZE - 16, msg);
    free(img);
}

/* boot.rst "relocatable_kernel" = 0: loaded at pref_address, or at
 * code32_start's 1 MiB when pref_address is 0 (old code: refused). */
static void test_validate_not_relocatable(void **state)
{
    uint8_t *img = fake_bzimage();
    struct linux_image_info info;
    img[0x234] = 0;
    assert_int_equal(linux_validate(img, FAKE_SIZE, &info, NULL, 0), 0);
    assert_false(info.relocatable);
    assert_int_equal(info.pref_address, MiB(16));
    put64(img, 0x258, 0);
    assert_int_equal(linux_validate(img, FAKE_SIZE, &info, NULL, 0), 0);
    assert_int_equal(info.pref_address, MiB(1));
    free(img);
}

static void test_validate_bad_alignment(void **state)
{
    uint8_t *img = fake_bzimage();
    put32(img, 0x230, 0x300000);
    expect_invalid(img, FAKE_SIZE,
                   "kernel: kernel_alignment 0x300000 is not a power of two >= 4 KiB");
    put32(img, 0x230, 0x800);
    expect_invalid(img, FAKE_SIZE,
                   "kernel: kernel_alignment 0x800 is not a power of two >= 4 KiB");
    free(img);
}

static void test_validate_init_size_and_payload(void **state)
{
    uint8_t *img = fake_bzimage();
    put32(img, 0x260, 4096);
    expect_invalid(img, FAKE_SIZE, "kernel: init_size 4096 is smaller than the 65536-byte kernel");
    free(img);
    img = fake_bzimage();
    put32(img, 0x248, 0xff00);
    expect_invalid(img, FAKE_SIZE,
                   "kernel: compressed payload [0xff00, +0x1000) lies outside the 65536-byte kernel");
    free(img);
}

/* ---- a guest to load into ------------------------------------------------ */

struct guest {
    struct guest_mem gm;
    uint8_t *ram;
    uint64_t ram_size;
    struct boot_e820_entry e820[16];
    struct linux_layout layout;
};

#define ACPI_GPA  0xE0000
#define ACPI_SIZE 0x20000
#define RSDP_GPA  0xE0000

static void guest_init(struct guest *g, uint64_t ram_size)
{
    memset(g, 0, sizeof(*g));
    g->ram_size = ram_size;
    g->ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(g->ram != MAP_FAILED);
    assert_int_equal(gmem_add_slot(&g->gm, 0, ram_size, ptr_hpa(g->ram)), 0);
    int n = linux_e820_default(&g->gm, ACPI_GPA, ACPI_SIZE, g->e820, 16);
    assert_true(n > 0);
    linux_layout_default(&g->layout);
    g->layout.e820 = g->e820;
    g->layout.e820_entries = (unsigned)n;
    g->layout.rsdp = RSDP_GPA;
}

static void guest_free(struct guest *g)
{
    munmap(g->ram, g->ram_size);
}

static uint64_t rd64(const struct guest *g, uint64_t gpa)
{
    uint64_t v;
    assert_int_equal(gmem_read(&g->gm, gpa, &v, 8), 0);
    return v;
}

/* Walk the loader's 4-level tables from CR3 (2 MiB leaves expected) and
 * return the physical address for va, or ~0 if unmapped. */
static uint64_t walk(const struct guest *g, uint64_t cr3, uint64_t va)
{
    const uint64_t addr_mask = 0x000ffffffffff000ULL;
    uint64_t e = rd64(g, (cr3 & addr_mask) + ((va >> 39) & 511) * 8);
    if (!(e & 1))
        return ~0ULL;
    e = rd64(g, (e & addr_mask) + ((va >> 30) & 511) * 8);
    if (!(e & 1) || (e & BIT(7)))
        return ~0ULL;
    e = rd64(g, (e & addr_mask) + ((va >> 21) & 511) * 8);
    if (!(e & 1) || !(e & BIT(7)) || !(e & BIT(1)))
        return ~0ULL;
    return (e & addr_mask & ~(LARGE_PAGE_SIZE - 1)) + (va & (LARGE_PAGE_SIZE - 1));
}

static void expect_identity(const struct guest *g, uint64_t cr3, uint64_t gpa,
                            uint64_t len)
{
    for (uint64_t a = ALIGN_DOWN(gpa, LARGE_PAGE_SIZE); a < gpa + len;
         a += LARGE_PAGE_SIZE)
        assert_int_equal(walk(g, cr3, a), a);
    assert_int_equal(walk(g, cr3, gpa + len - 1), gpa + len - 1);
}

static int load(struct guest *g, const uint8_t *img, uint64_t size,
                const void *initrd, uint64_t initrd_size, const char *cmdline,
                struct vcpu_state *st, struct linux_placement *pl, char *err,
                size_t errlen)
{
    return linux_load(&g->gm, img, size, initrd, initrd_size, cmdline,
                      &g->layout, st, pl, err, errlen);
}

/* ---- loading the synthetic image ----------------------------------------- */

static void test_e820_default(void **state)
{
    struct guest g;
    guest_init(&g, MiB(64));
    const struct boot_e820_entry want[] = {
        { 0, 0x9fc00, E820_TYPE_RAM },   /* as BDA 0x413 says: 639 KiB */
        { 0x9fc00, 0xE0000 - 0x9fc00, E820_TYPE_RESERVED },
        { 0xE0000, 0x20000, E820_TYPE_ACPI },
        { MiB(1), MiB(63), E820_TYPE_RAM },
        { 0xFEC00000, 0x1000, E820_TYPE_RESERVED },
        { 0xFEE00000, 0x1000, E820_TYPE_RESERVED },
    };
    assert_int_equal(g.layout.e820_entries, ARRAY_SIZE(want));
    assert_memory_equal(g.e820, want, sizeof(want));

    /* Two slots with a hole, added out of order; hpa is never touched. */
    struct guest_mem gm = { 0 };
    assert_int_equal(gmem_add_slot(&gm, GiB(4), GiB(2), GiB(64)), 0);
    assert_int_equal(gmem_add_slot(&gm, 0, GiB(1), GiB(32)), 0);
    assert_int_equal(gmem_add_slot(&gm, GiB(1), GiB(1), GiB(40)), 0);
    struct boot_e820_entry map[8];
    assert_int_equal(linux_e820_default(&gm, 0, 0, map, 8), 6);
    assert_int_equal(map[2].addr, MiB(1));
    assert_int_equal(map[2].size, GiB(2) - MiB(1));   /* adjacent slots merged */
    assert_int_equal(map[2].type, E820_TYPE_RAM);
    assert_int_equal(map[3].addr, 0xFEC00000);
    assert_int_equal(map[4].addr, 0xFEE00000);
    assert_int_equal(map[5].addr, GiB(4));
    assert_int_equal(map[5].size, GiB(2));
    assert_int_equal(map[5].type, E820_TYPE_RAM);
    assert_int_equal(linux_e820_default(&gm, 0, 0, map, 3), -E2BIG);
    /* The ACPI range must be RAM. */
    assert_int_equal(linux_e820_default(&gm, GiB(3), 0x1000, map, 8), -EINVAL);
    guest_free(&g);
}

/* A kernel that is not relocatable goes exactly to pref_address (here not
 * kernel_alignment aligned, where a relocatable one would be rounded up),
 * and is refused when RAM there is too small (old code: always refused). */
static void test_load_not_relocatable_at_pref_address(void **state)
{
    struct guest g;
    guest_init(&g, MiB(64));
    uint8_t *img = fake_bzimage();
    struct vcpu_state st;
    struct linux_placement pl;
    char err[160] = "";
    img[0x234] = 0;
    put64(img, 0x258, MiB(3));
    assert_int_equal(load(&g, img, FAKE_SIZE, NULL, 0, "", &st, &pl, err,
                          sizeof(err)), 0);
    assert_int_equal(pl.kernel, MiB(3));
    assert_int_equal(pl.entry, MiB(3) + 0x200);
    assert_memory_equal(g.ram + pl.kernel, img + FAKE_SETUP_SIZE, FAKE_KERNEL_SIZE);
    put64(img, 0x258, MiB(60));   /* init_size 8 MiB does not fit */
    assert_int_not_equal(load(&g, img, FAKE_SIZE, NULL, 0, "", &st, &pl, err,
                              sizeof(err)), 0);
    /* Linked below kernel_min (1 MiB), with an init_size that fits below
     * the EBDA: refused, not put over low memory (fuzz_loaders caught it;
     * corpus/loaders/crash_nonreloc_below_kernel_min). */
    put64(img, 0x258, 0x20000);
    put32(img, 0x260, FAKE_KERNEL_SIZE);
    assert_int_equal(load(&g, img, FAKE_SIZE, NULL, 0, "", &st, &pl, err,
                          sizeof(err)), -ENOMEM);
    assert_string_equal(err, "kernel: not relocatable and linked at 0x20000, "
                             "below 0x100000");
    /* Relocatable with a pref_address so high that aligning it wraps to 0:
     * refused, not loaded at the bottom of RAM (fuzz_loaders found it;
     * corpus/loaders/crash_pref_address_wraps). */
    img[0x234] = 1;
    put64(img, 0x258, 0xffffffffffffff00ULL);
    assert_int_equal(load(&g, img, FAKE_SIZE, NULL, 0, "", &st, &pl, err,
                          sizeof(err)), -ENOMEM);
    free(img);
    guest_free(&g);
}

static void test_load_placement_and_zero_page(void **state)
{
    struct guest g;
    guest_init(&g, MiB(64));
    uint8_t *img = fake_bzimage();
    uint8_t initrd[3 * 4096 + 123];
    for (size_t i = 0; i < sizeof(initrd); i++)
        initrd[i] = (uint8_t)(i ^ 0x5a);
    const char *cmd = "console=ttyS0 earlyprintk=serial";
    struct vcpu_state st;
    struct linux_placement pl;
    char err[160] = "";

    assert_int_equal(load(&g, img, FAKE_SIZE, initrd, sizeof(initrd), cmd, &st,
                          &pl, err, sizeof(err)), 0);
    assert_string_equal(err, "");

    /* Kernel at pref_address, 2 MiB aligned, its bytes copied. */
    assert_int_equal(pl.kernel, MiB(16));
    assert_true(IS_ALIGNED(pl.kernel, MiB(2)));
    assert_int_equal(pl.kernel_span, FAKE_INIT_SIZE);
    assert_int_equal(pl.entry, MiB(16) + 0x200);
    assert_memory_equal(g.ram + pl.kernel, img + FAKE_SETUP_SIZE, FAKE_KERNEL_SIZE);

    /* Initrd: page aligned, as high as RAM allows, clear of the kernel. */
    assert_true(IS_ALIGNED(pl.initrd, PAGE_SIZE));
    assert_int_equal(pl.initrd, ALIGN_DOWN(MiB(64) - sizeof(initrd), PAGE_SIZE));
    assert_true(pl.initrd >= pl.kernel + pl.kernel_span);
    assert_true(pl.initrd + sizeof(initrd) <= MiB(64));
    assert_memory_equal(g.ram + pl.initrd, initrd, sizeof(initrd));

    /* Command line. */
    assert_string_equal((char *)g.ram + LINUX_CMDLINE_GPA, cmd);

    /* Zero page. */
    const struct boot_params *bp = (const void *)(g.ram + LINUX_ZERO_PAGE_GPA);
    assert_int_equal(bp->hdr.type_of_loader, 0xFF);
    assert_int_equal(bp->hdr.version, 0x020f);
    assert_int_equal(bp->hdr.boot_flag, 0xAA55);
    assert_int_equal(bp->hdr.header, SETUP_HDR_MAGIC);
    assert_int_equal(bp->hdr.loadflags, LOADED_HIGH);
    assert_int_equal(bp->hdr.init_size, FAKE_INIT_SIZE);
    assert_int_equal(bp->hdr.cmd_line_ptr, LINUX_CMDLINE_GPA);
    assert_int_equal(bp->ext_cmd_line_ptr, 0);
    assert_int_equal(bp->hdr.ramdisk_image, pl.initrd);
    assert_int_equal(bp->hdr.ramdisk_size, sizeof(initrd));
    assert_int_equal(bp->ext_ramdisk_image, 0);
    assert_int_equal(bp->ext_ramdisk_size, 0);
    assert_int_equal(bp->acpi_rsdp_addr, RSDP_GPA);
    assert_int_equal(bp->sentinel, 0);
    assert_int_equal(bp->hdr.setup_data, 0);
    assert_int_equal(bp->e820_entries, g.layout.e820_entries);
    assert_memory_equal(bp->e820_table, g.e820,
                        g.layout.e820_entries * sizeof(g.e820[0]));
    for (unsigned i = 1; i < bp->e820_entries; i++)
        assert_true(bp->e820_table[i].addr >=
                    bp->e820_table[i - 1].addr + bp->e820_table[i - 1].size);
    /* Nothing of the image's setup code outside the header was copied. */
    assert_int_equal(bp->screen_info[0], 0);
    free(img);
    guest_free(&g);
}

static void test_load_no_initrd_no_cmdline(void **state)
{
    struct guest g;
    guest_init(&g, MiB(32));
    uint8_t *img = fake_bzimage();
    struct vcpu_state st;
    struct linux_placement pl;
    assert_int_equal(load(&g, img, FAKE_SIZE, NULL, 0, NULL, &st, &pl, NULL, 0), 0);
    assert_int_equal(pl.initrd, 0);
    const struct boot_params *bp = (const void *)(g.ram + LINUX_ZERO_PAGE_GPA);
    assert_int_equal(bp->hdr.ramdisk_image, 0);
    assert_int_equal(bp->hdr.ramdisk_size, 0);
    assert_int_equal(g.ram[LINUX_CMDLINE_GPA], 0);
    free(img);
    guest_free(&g);
}

static void test_load_page_tables(void **state)
{
    struct guest g;
    guest_init(&g, MiB(64));
    uint8_t *img = fake_bzimage();
    uint8_t initrd[8192] = { 1 };
    struct vcpu_state st;
    struct linux_placement pl;
    assert_int_equal(load(&g, img, FAKE_SIZE, initrd, sizeof(initrd), "x", &st,
                          &pl, NULL, 0), 0);
    assert_int_equal(st.cr3, LINUX_PAGE_TABLES_GPA);
    assert_int_equal(pl.identity_mapped, GiB(1));
    /* boot.rst: identity map for the kernel's init_size span, the zero page
     * and the command line; we also need the GDT, stack and initrd. */
    expect_identity(&g, st.cr3, pl.kernel, pl.kernel_span);
    expect_identity(&g, st.cr3, LINUX_ZERO_PAGE_GPA, PAGE_SIZE);
    expect_identity(&g, st.cr3, LINUX_CMDLINE_GPA, LINUX_CMDLINE_MAX);
    expect_identity(&g, st.cr3, LINUX_GDT_GPA, PAGE_SIZE);
    expect_identity(&g, st.cr3, st.gpr[GPR_RSP] - 8, 8);
    expect_identity(&g, st.cr3, pl.initrd, sizeof(initrd));
    assert_int_equal(walk(&g, st.cr3, GiB(1) - 1), GiB(1) - 1);
    assert_int_equal(walk(&g, st.cr3, GiB(1)), ~0ULL);
    free(img);
    guest_free(&g);
}

/* Rebuild the vcpu_state attribute form from a GDT descriptor (SDM 3A 3.4.5)
 * to check that the GDT in memory and the hidden segment state agree. */
static uint16_t desc_attr(uint64_t d)
{
    return (uint16_t)(((d >> 40) & 0xff) | (((d >> 52) & 0xf) << 8));
}

static void test_load_entry_state(void **state)
{
    struct guest g;
    guest_init(&g, MiB(64));
    uint8_t *img = fake_bzimage();
    struct vcpu_state st;
    struct linux_placement pl;
    memset(&st, 0xcc, sizeof(st));
    assert_int_equal(load(&g, img, FAKE_SIZE, NULL, 0, "", &st, &pl, NULL, 0), 0);

    assert_int_equal(st.rip, pl.kernel + 0x200);
    assert_int_equal(st.gpr[GPR_RSI], LINUX_ZERO_PAGE_GPA);
    assert_int_equal(st.gpr[GPR_RAX], 0);
    assert_int_equal(st.rflags, 0x2);
    assert_int_equal(st.cr0 & (CR0_PE | CR0_PG), CR0_PE | CR0_PG);
    assert_true(st.cr4 & CR4_PAE);
    assert_int_equal(st.efer & (EFER_LME | EFER_LMA), EFER_LME | EFER_LMA);
    assert_int_equal(st.efer & EFER_SVME, 0);   /* the vendor code's job */
    assert_int_equal(vcpu_state_mode(&st), MODE_LONG64);
    assert_false(st.interrupt_shadow);

    assert_int_equal(st.gdtr.base, LINUX_GDT_GPA);
    assert_int_equal(st.gdtr.limit, 4 * 8 - 1);
    assert_int_equal(st.seg[SEG_CS].selector, 0x10);
    assert_int_equal(st.seg[SEG_CS].attr & (SEG_ATTR_L | SEG_ATTR_DB), SEG_ATTR_L);
    uint64_t cs = rd64(&g, LINUX_GDT_GPA + 0x10), ds = rd64(&g, LINUX_GDT_GPA + 0x18);
    assert_int_equal(desc_attr(cs), st.seg[SEG_CS].attr);
    const enum seg data[] = { SEG_DS, SEG_ES, SEG_SS, SEG_FS, SEG_GS };
    for (unsigned i = 0; i < ARRAY_SIZE(data); i++) {
        assert_int_equal(st.seg[data[i]].selector, 0x18);
        assert_int_equal(st.seg[data[i]].attr, desc_attr(ds));
        assert_int_equal(st.seg[data[i]].base, 0);
        assert_int_equal(st.seg[data[i]].limit, 0xffffffff);
    }
    assert_int_equal(SEG_ATTR_TYPE(st.seg[SEG_CS].attr), 0xB);   /* exec/read */
    assert_int_equal(SEG_ATTR_TYPE(st.seg[SEG_DS].attr), 0x3);   /* read/write */
    assert_true(st.seg[SEG_TR].attr & SEG_ATTR_P);
    assert_int_equal(SEG_ATTR_TYPE(st.seg[SEG_TR].attr), 0xB);   /* busy TSS */
    assert_int_equal(rd64(&g, LINUX_GDT_GPA), 0);                 /* null */
    free(img);
    guest_free(&g);
}

static void test_load_cmdline_too_long(void **state)
{
    struct guest g;
    guest_init(&g, MiB(64));
    uint8_t *img = fake_bzimage();
    char *cmd = malloc(3001);
    memset(cmd, 'a', 3000);
    cmd[3000] = 0;
    struct vcpu_state st;
    char err[160] = "";
    assert_int_equal(load(&g, img, FAKE_SIZE, NULL, 0, cmd, &st, NULL, err,
                          sizeof(err)), -E2BIG);
    assert_string_equal(err, "cmdline: 3000 bytes, kernel accepts 2047");
    /* Exactly cmdline_size bytes is fine. */
    cmd[2047] = 0;
    assert_int_equal(load(&g, img, FAKE_SIZE, NULL, 0, cmd, &st, NULL, err,
                          sizeof(err)), 0);
    assert_int_equal(strlen((char *)g.ram + LINUX_CMDLINE_GPA), 2047);
    free(cmd);
    free(img);
    guest_free(&g);
}

static void test_load_initrd_too_big(void **state)
{
    struct guest g;
    guest_init(&g, MiB(256));
    uint8_t *img = fake_bzimage();
    uint8_t dummy[16] = { 0 };   /* never read: placement fails first */
    struct vcpu_state st;
    char err[200] = "";
    assert_int_equal(load(&g, img, FAKE_SIZE, dummy, MiB(300), "", &st, NULL,
                          err, sizeof(err)), -E2BIG);
    assert_string_equal(err, "initrd: 300 MiB does not fit below 0x80000000 "
                             "(initrd_addr_max) beside the kernel in 256 MiB of guest RAM");
    free(img);
    guest_free(&g);
}

static void test_load_initrd_respects_addr_max(void **state)
{
    struct guest g;
    guest_init(&g, MiB(64));
    uint8_t *img = fake_bzimage();
    put32(img, 0x22c, MiB(20) - 1);   /* initrd must end by 20 MiB */
    static uint8_t initrd[MiB(3)];
    struct vcpu_state st;
    struct linux_placement pl;
    char err[200] = "";
    /* Below 20 MiB but the kernel owns [16, 24) MiB: the initrd goes under
     * the kernel, ending exactly at 16 MiB. */
    assert_int_equal(load(&g, img, FAKE_SIZE, initrd, sizeof(initrd), "", &st,
                          &pl, err, sizeof(err)), 0);
    assert_int_equal(pl.initrd + sizeof(initrd), MiB(16));
    /* Larger than the room below the kernel (16 MiB - 1 MiB): refused. */
    assert_int_equal(load(&g, img, FAKE_SIZE, initrd, MiB(15) + 1, "", &st,
                          &pl, err, sizeof(err)), -E2BIG);
    free(img);
    guest_free(&g);
}

static void test_load_kernel_moves_past_reserved(void **state)
{
    struct guest g;
    guest_init(&g, MiB(64));
    /* Reserve [16, 17) MiB: the kernel moves to the next 2 MiB boundary. */
    struct boot_e820_entry map[8] = {
        { 0, 0x9f000, E820_TYPE_RAM },
        { MiB(1), MiB(15), E820_TYPE_RAM },
        { MiB(16), MiB(1), E820_TYPE_RESERVED },
        { MiB(17), MiB(47), E820_TYPE_RAM },
    };
    g.layout.e820 = map;
    g.layout.e820_entries = 4;
    uint8_t *img = fake_bzimage();
    struct vcpu_state st;
    struct linux_placement pl;
    assert_int_equal(load(&g, img, FAKE_SIZE, NULL, 0, "", &st, &pl, NULL, 0), 0);
    assert_int_equal(pl.kernel, MiB(18));
    free(img);
    guest_free(&g);
}

static void test_load_kernel_no_room(void **state)
{
    struct guest g;
    guest_init(&g, MiB(20));   /* 16 MiB + 8 MiB init_size > 20 MiB */
    uint8_t *img = fake_bzimage();
    struct vcpu_state st;
    char err[200] = "";
    assert_int_equal(load(&g, img, FAKE_SIZE, NULL, 0, "", &st, NULL, err,
                          sizeof(err)), -ENOMEM);
    assert_string_equal(err, "kernel: init_size 8 MiB at a 0x200000-aligned GPA "
                             ">= 0x1000000 does not fit in 20 MiB of guest RAM");
    free(img);
    guest_free(&g);
}

static void test_load_bad_layout(void **state)
{
    struct guest g;
    guest_init(&g, MiB(64));
    uint8_t *img = fake_bzimage();
    struct vcpu_state st;
    char err[200] = "";

    /* e820 out of order. */
    struct boot_e820_entry map[2] = {
        { MiB(1), MiB(63), E820_TYPE_RAM },
        { 0, 0x9f000, E820_TYPE_RAM },
    };
    g.layout.e820 = map;
    g.layout.e820_entries = 2;
    assert_int_equal(load(&g, img, FAKE_SIZE, NULL, 0, "", &st, NULL, err,
                          sizeof(err)), -EINVAL);
    assert_string_equal(err, "e820: entry 1 [0x0, +0x9f000) is empty, wraps, or is out of order");

    /* Zero page on top of the command line buffer. */
    guest_free(&g);
    guest_init(&g, MiB(64));
    g.layout.zero_page = LINUX_CMDLINE_GPA + PAGE_SIZE;
    assert_int_equal(load(&g, img, FAKE_SIZE, NULL, 0, "", &st, NULL, err,
                          sizeof(err)), -EINVAL);
    assert_string_equal(err, "layout: command line overlaps zero page");

    /* Page tables outside guest RAM. */
    linux_layout_default(&g.layout);
    g.layout.e820 = g.e820;
    g.layout.e820_entries = 6;
    g.layout.page_tables = MiB(64);
    assert_int_equal(load(&g, img, FAKE_SIZE, NULL, 0, "", &st, NULL, err,
                          sizeof(err)), -EINVAL);
    assert_string_equal(err, "layout: page tables at 0x4000000 is not guest RAM");

    /* Too small for the identity map the placement needs (kernel at 16 MiB
     * needs 1 GiB: PML4 + PDPT + 1 PD = 3 pages). */
    linux_layout_default(&g.layout);
    g.layout.e820 = g.e820;
    g.layout.e820_entries = 6;
    g.layout.page_tables_size = 2 * PAGE_SIZE;
    assert_int_equal(load(&g, img, FAKE_SIZE, NULL, 0, "", &st, NULL, err,
                          sizeof(err)), -ENOMEM);
    assert_string_equal(err, "page tables: identity map of 1 GiB needs 12288 bytes, layout has 8192");
    free(img);
    guest_free(&g);
}

/* ---- the real Debian kernel ---------------------------------------------- */

/* Read a whole file; NULL if it cannot be opened. */
static uint8_t *slurp(const char *path, uint64_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *size = (uint64_t)n;
    return p;
}

/* $KEEL_LINUX_DIR, else <dir of this binary>/../linux (that is
 * $(BUILD)/linux), else build/linux. */
static uint8_t *find_linux_file(const char *name, uint64_t *size, char *path,
                                size_t pathlen)
{
    const char *env = getenv("KEEL_LINUX_DIR");
    if (env) {
        snprintf(path, pathlen, "%s/%s", env, name);
        return slurp(path, size);
    }
    const char *slash = strrchr(argv0, '/');
    if (slash) {
        snprintf(path, pathlen, "%.*s/../linux/%s", (int)(slash - argv0), argv0, name);
        uint8_t *p = slurp(path, size);
        if (p)
            return p;
    }
    snprintf(path, pathlen, "build/linux/%s", name);
    return slurp(path, size);
}

static void test_real_debian_kernel(void **state)
{
    char path[512], ipath[512], err[200] = "";
    uint64_t size = 0, isize = 0;
    uint8_t *img = find_linux_file("vmlinuz", &size, path, sizeof(path));
    if (!img) {
        print_message("no vmlinuz (run `make linux` first): skipping\n");
        skip();
    }
    struct linux_image_info info;
    assert_int_equal(linux_validate(img, size, &info, err, sizeof(err)), 0);
    /* Facts about Debian's 6.1 kernels (PLATFORM-NOTES.md). */
    assert_true(info.version >= 0x020f);
    assert_true(info.xloadflags & XLF_KERNEL_64);
    assert_true(info.xloadflags & XLF_CAN_BE_LOADED_ABOVE_4G);
    assert_int_equal(info.kernel_alignment, MiB(2));
    assert_int_equal(info.pref_address, MiB(16));
    assert_int_equal(info.cmdline_size, 2047);
    assert_true(info.init_size > info.kernel_size);

    uint8_t *initrd = find_linux_file("initrd.img", &isize, ipath, sizeof(ipath));
    struct guest g;
    guest_init(&g, MiB(256));
    struct vcpu_state st;
    struct linux_placement pl;
    assert_int_equal(linux_load(&g.gm, img, size, initrd, isize, "console=ttyS0",
                                &g.layout, &st, &pl, err, sizeof(err)), 0);
    assert_int_equal(pl.kernel, MiB(16));
    assert_memory_equal(g.ram + pl.kernel, img + info.kernel_offset, info.kernel_size);
    expect_identity(&g, st.cr3, pl.kernel, pl.kernel_span);
    if (initrd) {
        assert_true(pl.initrd >= pl.kernel + pl.kernel_span);
        assert_true(pl.initrd + isize <= MiB(256));
        assert_memory_equal(g.ram + pl.initrd, initrd, isize);
    }
    const struct boot_params *bp = (const void *)(g.ram + LINUX_ZERO_PAGE_GPA);
    assert_int_equal(bp->hdr.version, info.version);
    assert_int_equal(bp->hdr.init_size, info.init_size);
    assert_int_equal(st.rip, MiB(16) + 0x200);
    /* 256 MiB is too little for a 300 MiB initrd. */
    assert_int_equal(linux_load(&g.gm, img, size, img, MiB(300), "", &g.layout,
                                &st, &pl, err, sizeof(err)), -E2BIG);
    free(initrd);
    free(img);
    guest_free(&g);
}

int main(int argc, char **argv)
{
    argv0 = argc > 0 ? argv[0] : "";
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_good),
        cmocka_unit_test(test_validate_setup_sects_zero_means_4),
        cmocka_unit_test(test_validate_too_small),
        cmocka_unit_test(test_validate_truncated),
        cmocka_unit_test(test_validate_wrong_magic),
        cmocka_unit_test(test_validate_old_protocol),
        cmocka_unit_test(test_validate_not_64bit),
        cmocka_unit_test(test_validate_not_relocatable),
        cmocka_unit_test(test_validate_syssize_rounds_past_end),
        cmocka_unit_test(test_load_not_relocatable_at_pref_address),
        cmocka_unit_test(test_validate_bad_alignment),
        cmocka_unit_test(test_validate_init_size_and_payload),
        cmocka_unit_test(test_e820_default),
        cmocka_unit_test(test_load_placement_and_zero_page),
        cmocka_unit_test(test_load_no_initrd_no_cmdline),
        cmocka_unit_test(test_load_page_tables),
        cmocka_unit_test(test_load_entry_state),
        cmocka_unit_test(test_load_cmdline_too_long),
        cmocka_unit_test(test_load_initrd_too_big),
        cmocka_unit_test(test_load_initrd_respects_addr_max),
        cmocka_unit_test(test_load_kernel_moves_past_reserved),
        cmocka_unit_test(test_load_kernel_no_room),
        cmocka_unit_test(test_load_bad_layout),
        cmocka_unit_test(test_real_debian_kernel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
