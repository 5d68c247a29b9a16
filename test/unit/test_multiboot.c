/* Host tests of the Multiboot v1 and flat loaders (hv/loader/multiboot.c,
 * elf.c): placement of ELF32/ELF64 segments, the information structure,
 * the entry state, and refusal of images that do not validate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hv/core/config.h"
#include "hv/loader/multiboot.h"
#include "lib/errno.h"

#define RAM MiB(16)

static uint8_t *ram;
static struct guest_mem gm;
static struct vm_config cfg;
static char err[200];
static uint8_t image[8192];

static int setup(void **state)
{
    ram = aligned_alloc(PAGE_SIZE, RAM);
    memset(ram, 0xcc, RAM);
    memset(&gm, 0, sizeof(gm));
    assert_int_equal(gmem_add_slot(&gm, 0, RAM, ptr_hpa(ram)), 0);
    memset(&cfg, 0, sizeof(cfg));
    strcpy(cfg.cmdline, "root=x quiet");
    memset(image, 0, sizeof(image));
    err[0] = 0;
    return 0;
}

static int teardown(void **state)
{
    free(ram);
    return 0;
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static uint32_t get32(uint64_t gpa) { uint32_t v; memcpy(&v, ram + gpa, 4); return v; }

/* An ELF32 executable: one PT_LOAD of filesz bytes at paddr (memsz
 * bytes), the Multiboot header at file offset 0x100, entry at paddr. */
static size_t make_elf32(uint32_t paddr, uint32_t filesz, uint32_t memsz)
{
    memcpy(image, "\177ELF\1\1\1", 7);
    put16(image + 16, 2);            /* ET_EXEC */
    put16(image + 18, 3);            /* EM_386 */
    put32(image + 20, 1);
    put32(image + 24, paddr);        /* entry */
    put32(image + 28, 52);           /* phoff */
    put16(image + 40, 52);
    put16(image + 42, 32);           /* phentsize */
    put16(image + 44, 1);            /* phnum */
    uint8_t *ph = image + 52;
    put32(ph, 1);                    /* PT_LOAD */
    put32(ph + 4, 0x100);            /* offset */
    put32(ph + 8, paddr);
    put32(ph + 12, paddr);
    put32(ph + 16, filesz);
    put32(ph + 20, memsz);
    put32(image + 0x100, 0x1badb002);
    put32(image + 0x104, 0);
    put32(image + 0x108, (uint32_t)-0x1badb002);
    memset(image + 0x10c, 0x90, filesz > 12 ? filesz - 12 : 0);
    return 0x100 + filesz;
}

static int load(size_t size, struct vcpu_state *st)
{
    struct load_request r = {
        .mem = &gm, .cmdline = cfg.cmdline, .kernel = image,
        .kernel_size = size,
        .ram_top_low = RAM, .err = err, .errlen = sizeof(err),
    };
    return multiboot_load(&r, st);
}

static void test_elf32_segments_info_and_state(void **state)
{
    struct vcpu_state st;
    size_t size = make_elf32(0x100000, 0x200, 0x3000);
    assert_int_equal(load(size, &st), 0);
    /* Segment copied, .bss zeroed. */
    assert_int_equal(get32(0x100000), 0x1badb002);
    assert_int_equal(ram[0x100000 + 0x200], 0);
    assert_int_equal(ram[0x100000 + 0x2fff], 0);
    /* Machine state, spec 3.2. */
    assert_int_equal(st.gpr[GPR_RAX], 0x2badb002);
    assert_int_equal(st.rip, 0x100000);
    assert_true(st.cr0 & CR0_PE);
    assert_false(st.cr0 & CR0_PG);
    assert_false(st.rflags & RFLAGS_IF);
    assert_true(st.seg[SEG_CS].attr & SEG_ATTR_DB);
    assert_int_equal(st.seg[SEG_CS].limit, 0xffffffff);
    /* The information structure, spec 3.3. */
    uint64_t mbi = st.gpr[GPR_RBX];
    assert_true(mbi >= 0x103000 && mbi % 4 == 0);
    uint32_t flags = get32(mbi);
    assert_int_equal(flags & 0x24d, 0x24d);  /* mem, cmdline, mods, mmap, name */
    assert_int_equal(get32(mbi + 4), 0x9fc00 / 1024);
    assert_int_equal(get32(mbi + 8), (RAM - MiB(1)) / 1024);
    assert_string_equal((char *)ram + get32(mbi + 16), "root=x quiet");
    assert_int_equal(get32(mbi + 20), 0);    /* no modules */
    assert_int_equal(get32(mbi + 44), 3 * 24);
    uint32_t mmap = get32(mbi + 48);
    assert_int_equal(get32(mmap), 20);       /* size excludes itself */
    assert_int_equal(get32(mmap + 24 + 20), 2); /* the hole is reserved */
    assert_string_equal((char *)ram + get32(mbi + 64), "Keel");
}

static void test_initrd_is_module_zero_page_aligned(void **state)
{
    struct vcpu_state st;
    static const char initrd[] = "initrd contents";
    size_t size = make_elf32(0x100000, 0x200, 0x1234);
    struct load_request r = {
        .mem = &gm, .cmdline = cfg.cmdline, .kernel = image,
        .kernel_size = size,
        .initrd = initrd, .initrd_size = sizeof(initrd),
        .ram_top_low = RAM, .err = err, .errlen = sizeof(err),
    };
    assert_int_equal(multiboot_load(&r, &st), 0);
    uint64_t mbi = st.gpr[GPR_RBX];
    assert_int_equal(get32(mbi + 20), 1);
    uint32_t mod = get32(mbi + 24);
    uint32_t start = get32(mod), end = get32(mod + 4);
    assert_int_equal(start % PAGE_SIZE, 0);
    assert_true(start >= 0x101234);
    assert_int_equal(end - start, sizeof(initrd));
    assert_string_equal((char *)ram + start, initrd);
}

static void test_refusals(void **state)
{
    struct vcpu_state st;
    size_t size = make_elf32(0x100000, 0x200, 0x200);

    put32(image + 0x108, 0);                 /* checksum broken */
    assert_int_equal(load(size, &st), -ENOEXEC);
    assert_non_null(strstr(err, "no Multiboot header"));

    size = make_elf32(0x40000000, 0x200, 0x200);   /* beyond RAM */
    assert_int_equal(load(size, &st), -EFAULT);
    assert_non_null(strstr(err, "outside guest RAM"));

    size = make_elf32(0x100000, 0x200, 0x200);
    put32(image + 52 + 16, 0x100000);        /* filesz past the file */
    put32(image + 52 + 20, 0x100000);
    assert_int_equal(load(size, &st), -ENOEXEC);
    assert_non_null(strstr(err, "outside the file"));

    size = make_elf32(0x100000, 0x200, 0x200);
    put32(image + 0x104, 4);                 /* requires video mode */
    put32(image + 0x108, (uint32_t)-(0x1badb002 + 4));
    assert_int_equal(load(size, &st), -ENOTSUP);
    assert_non_null(strstr(err, "video mode"));

    size = make_elf32(0x100000, 0x200, 0x200);
    image[0] = 'X';                          /* header found, not ELF */
    assert_int_equal(load(size, &st), -ENOEXEC);
    assert_non_null(strstr(err, "not an ELF"));
}

static void test_flat(void **state)
{
    struct vcpu_state st;
    static const uint8_t code[] = { 0xf4, 0xeb, 0xfd };
    struct load_request r = {
        .mem = &gm, .cmdline = "", .load_addr = 0x200000, .kernel = code,
        .kernel_size = sizeof(code), .ram_top_low = RAM, .err = err,
        .errlen = sizeof(err),
    };
    assert_int_equal(flat_load(&r, &st), 0);
    assert_memory_equal(ram + 0x200000, code, sizeof(code));
    assert_int_equal(st.rip, 0x200000);
    r.has_entry = true;
    r.entry = 0x300000;                     /* outside the image */
    assert_int_equal(flat_load(&r, &st), -ENOEXEC);
    r.has_entry = false;
    r.load_addr = RAM - 1;                  /* does not fit */
    assert_int_equal(flat_load(&r, &st), -EFAULT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_elf32_segments_info_and_state,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_initrd_is_module_zero_page_aligned,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flat, setup, teardown),
    };
    return cmocka_run_group_tests_name("multiboot", tests, NULL, NULL);
}
