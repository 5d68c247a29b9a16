/* Host tests of the page-table builder (mm/pt.c) and its three entry
 * formats (mm/pt_formats.c). The frame allocator runs over a real 16 MiB
 * buffer, so table "host-physical addresses" are real pointers and the raw
 * entries can be read back and checked bit by bit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "lib/errno.h"
#include "mm/frame.h"
#include "mm/guest_mem.h"
#include "mm/pt.h"

#define POOL_SIZE MiB(16)

static void *pool;

/* Raw entry bits, per the manuals, for checking the formats from outside. */
#define E_P    BIT(0)
#define E_RW   BIT(1)
#define E_US   BIT(2)
#define E_PWT  BIT(3)
#define E_PCD  BIT(4)
#define E_PS   BIT(7)
#define E_NX   BIT(63)
#define EPT_R  BIT(0)
#define EPT_W  BIT(1)
#define EPT_X  BIT(2)
#define EPT_MT(e) (((e) >> 3) & 7)
#define EPT_LARGE BIT(7)
#define ADDR(e) ((e) & 0x000ffffffffff000ULL)

static int group_setup(void **state)
{
    pool = aligned_alloc(PAGE_SIZE, POOL_SIZE);
    return pool ? 0 : -1;
}

static int group_teardown(void **state)
{
    free(pool);
    return 0;
}

static int setup(void **state)
{
    frame_init();
    assert_int_equal(frame_add_free(ptr_hpa(pool), POOL_SIZE / PAGE_SIZE), 0);
    return 0;
}

/* The raw entries on the walk to va, level 4 down to the leaf; returns the
 * leaf's level. */
static unsigned walk(const struct pt *pt, uint64_t va, uint64_t e[5])
{
    hpa_t table = pt->root;
    for (unsigned level = 4; level >= 1; level--) {
        const uint64_t *t = hpa_ptr(table);
        e[level] = t[(va >> (12 + 9 * (level - 1))) & 511];
        assert_true(pt->fmt->present(e[level]));
        if (level == 1 || pt->fmt->is_large(e[level]))
            return level;
        table = ADDR(e[level]);
    }
    return 0;
}

static void expect_lookup(const struct pt *pt, uint64_t va, hpa_t want,
                          unsigned want_perms, uint64_t want_size)
{
    hpa_t hpa;
    unsigned perms;
    uint64_t size;
    assert_int_equal(pt_lookup(pt, va, &hpa, &perms, &size), 0);
    assert_int_equal(hpa, want);
    assert_int_equal(perms, want_perms);
    assert_int_equal(size, want_size);
}

static void expect_unmapped(const struct pt *pt, uint64_t va)
{
    hpa_t hpa = 123;
    assert_int_equal(pt_lookup(pt, va, &hpa, NULL, NULL), -ENOENT);
    assert_int_equal(hpa, 123);
}

/* ---------------------------------------------------------------------- */

static void test_init_destroy_returns_frames(void **state)
{
    uint64_t before = frame_free_pages();
    struct pt pt;
    assert_int_equal(pt_init(&pt, &pt_format_host), 0);
    assert_int_equal(pt.table_pages, 1);
    assert_true(IS_ALIGNED(pt.root, PAGE_SIZE));
    assert_int_equal(pt_map(&pt, GiB(3), GiB(1), MiB(8), PT_RWX), 0);
    assert_int_equal(pt_map(&pt, 0x5000, 0x9000, 0x3000, PT_R), 0);
    assert_int_equal(frame_free_pages(), before - pt.table_pages);
    pt_destroy(&pt);
    assert_int_equal(pt.root, 0);
    assert_int_equal(frame_free_pages(), before);
}

static void test_lookup_unmapped(void **state)
{
    struct pt pt;
    assert_int_equal(pt_init(&pt, &pt_format_ept), 0);
    expect_unmapped(&pt, 0);
    expect_unmapped(&pt, GiB(5));
    assert_int_equal(pt_map(&pt, MiB(1), MiB(64), PAGE_SIZE, PT_RWX), 0);
    expect_unmapped(&pt, MiB(1) - 1);
    expect_unmapped(&pt, MiB(1) + PAGE_SIZE);
    expect_unmapped(&pt, BIT(48));   /* beyond four levels */
    pt_destroy(&pt);
}

static void test_bad_arguments(void **state)
{
    struct pt pt;
    assert_int_equal(pt_init(&pt, &pt_format_host), 0);
    assert_int_equal(pt_map(&pt, 0x1001, 0, PAGE_SIZE, PT_R), -EINVAL);
    assert_int_equal(pt_map(&pt, 0x1000, 0x10, PAGE_SIZE, PT_R), -EINVAL);
    assert_int_equal(pt_map(&pt, 0x1000, 0, 100, PT_R), -EINVAL);
    assert_int_equal(pt_map(&pt, 0x1000, 0, 0, PT_R), -EINVAL);
    assert_int_equal(pt_map(&pt, BIT(48) - PAGE_SIZE, 0, 2 * PAGE_SIZE,
                            PT_R), -EINVAL);
    assert_int_equal(pt_map(&pt, 0, BIT(52), PAGE_SIZE, PT_R), -EINVAL);
    assert_int_equal(pt_map(&pt, 0, 0, PAGE_SIZE, BIT(7)), -EINVAL);
    assert_int_equal(pt_unmap(&pt, 0x800, PAGE_SIZE), -EINVAL);
    assert_int_equal(pt_unmap(&pt, 0, UINT64_MAX & ~0xfffULL), -EINVAL);
    assert_int_equal(pt.table_pages, 1);
    pt_destroy(&pt);
}

/* ---------------------------------------------------------------------- */
/* Formats: a 4 KiB and a 2 MiB mapping each, with the raw bits checked. */

static void test_host_format(void **state)
{
    struct pt pt;
    uint64_t e[5];
    assert_int_equal(pt_init(&pt, &pt_format_host), 0);

    /* 4 KiB, read-only, not executable. */
    assert_int_equal(pt_map(&pt, 0x40000000, 0x12345000, PAGE_SIZE, PT_R), 0);
    expect_lookup(&pt, 0x40000123, 0x12345123, PT_R, PAGE_SIZE);
    assert_int_equal(walk(&pt, 0x40000000, e), 1);
    for (unsigned l = 4; l >= 2; l--) {
        /* Tables: present, writable, supervisor, executable. */
        assert_true(e[l] & E_P);
        assert_true(e[l] & E_RW);
        assert_false(e[l] & E_US);
        assert_false(e[l] & E_NX);
        assert_false(e[l] & E_PS);
    }
    assert_int_equal(e[1], 0x12345000 | E_P | E_NX);

    /* 2 MiB, RWX, uncached. */
    assert_int_equal(pt_map(&pt, MiB(4), MiB(6), MiB(2), PT_RWX | PT_UC), 0);
    expect_lookup(&pt, MiB(5) + 8, MiB(7) + 8, PT_RWX | PT_UC, MiB(2));
    assert_int_equal(walk(&pt, MiB(4), e), 2);
    assert_int_equal(e[2], MiB(6) | E_P | E_RW | E_PS | E_PCD | E_PWT);

    /* Writable, not executable, 4 KiB: bit 7 (PAT at level 1) stays 0. */
    assert_int_equal(pt_map(&pt, 0x9000, 0x9000, PAGE_SIZE, PT_R | PT_W), 0);
    assert_int_equal(walk(&pt, 0x9000, e), 1);
    assert_int_equal(e[1], 0x9000 | E_P | E_RW | E_NX);
    expect_lookup(&pt, 0x9000, 0x9000, PT_R | PT_W, PAGE_SIZE);
    pt_destroy(&pt);
}

static void test_npt_format_user_everywhere(void **state)
{
    struct pt pt;
    uint64_t e[5];
    assert_int_equal(pt_init(&pt, &pt_format_npt), 0);

    assert_int_equal(pt_map(&pt, GiB(2) + 0x7000, 0x7000, PAGE_SIZE,
                            PT_R | PT_X), 0);
    expect_lookup(&pt, GiB(2) + 0x7fff, 0x7fff, PT_R | PT_X, PAGE_SIZE);
    assert_int_equal(walk(&pt, GiB(2) + 0x7000, e), 1);
    for (unsigned l = 4; l >= 1; l--) {
        assert_true(e[l] & E_P);
        assert_true(e[l] & E_US);   /* APM2 15.25.5: user at every level */
    }
    assert_int_equal(e[1], 0x7000 | E_P | E_US);

    assert_int_equal(pt_map(&pt, 0, 0, MiB(2), PT_RWX), 0);
    assert_int_equal(walk(&pt, 0x1000, e), 2);
    for (unsigned l = 4; l >= 2; l--)
        assert_true(e[l] & E_US);
    assert_int_equal(e[2], 0 | E_P | E_RW | E_US | E_PS);
    expect_lookup(&pt, 0x1234, 0x1234, PT_RWX, MiB(2));
    pt_destroy(&pt);
}

static void test_ept_format(void **state)
{
    struct pt pt;
    uint64_t e[5];
    assert_int_equal(pt_init(&pt, &pt_format_ept), 0);

    /* 4 KiB write-back, R+W. */
    assert_int_equal(pt_map(&pt, 0xfee00000, 0x3000, PAGE_SIZE,
                            PT_R | PT_W), 0);
    expect_lookup(&pt, 0xfee00004, 0x3004, PT_R | PT_W, PAGE_SIZE);
    assert_int_equal(walk(&pt, 0xfee00000, e), 1);
    for (unsigned l = 4; l >= 2; l--) {
        /* Tables: RWX, no memory type, not large. */
        assert_int_equal(e[l] & 0xfff, EPT_R | EPT_W | EPT_X);
    }
    assert_int_equal(EPT_MT(e[1]), 6);   /* WB */
    assert_int_equal(e[1], 0x3000 | EPT_R | EPT_W | (6 << 3));

    /* 2 MiB uncached, execute: R is set too (W/X without R is avoided). */
    assert_int_equal(pt_map(&pt, GiB(1), GiB(2), MiB(2), PT_X | PT_UC), 0);
    assert_int_equal(walk(&pt, GiB(1), e), 2);
    assert_int_equal(EPT_MT(e[2]), 0);   /* UC */
    assert_int_equal(e[2], GiB(2) | EPT_R | EPT_X | EPT_LARGE);
    expect_lookup(&pt, GiB(1) + MiB(1), GiB(2) + MiB(1),
                  PT_R | PT_X | PT_UC, MiB(2));
    pt_destroy(&pt);
}

static void test_max_leaf_level_is_2(void **state)
{
    /* A 1 GiB-aligned 1 GiB range still uses 2 MiB leaves (no pdpe1gb). */
    assert_int_equal(pt_format_host.max_leaf_level, 2);
    assert_int_equal(pt_format_npt.max_leaf_level, 2);
    assert_int_equal(pt_format_ept.max_leaf_level, 2);
    struct pt pt;
    assert_int_equal(pt_init(&pt, &pt_format_npt), 0);
    assert_int_equal(pt_map(&pt, GiB(1), GiB(1), GiB(1), PT_RWX), 0);
    expect_lookup(&pt, GiB(1) + MiB(700) + 5, GiB(1) + MiB(700) + 5, PT_RWX,
                  MiB(2));
    assert_int_equal(pt.table_pages, 3);   /* PML4, PDPT, one PD */
    pt_destroy(&pt);
}

/* ---------------------------------------------------------------------- */
/* Large-page choice, splitting and unmapping (on every format). */

static const struct pt_format *const formats[] = {
    &pt_format_host, &pt_format_npt, &pt_format_ept,
};

static void test_large_pages_only_when_aligned(void **state)
{
    for (unsigned f = 0; f < ARRAY_SIZE(formats); f++) {
        struct pt pt;
        assert_int_equal(pt_init(&pt, formats[f]), 0);

        /* va and hpa both 2 MiB aligned, 6 MiB: three large leaves. */
        assert_int_equal(pt_map(&pt, MiB(2), MiB(8), MiB(6), PT_RWX), 0);
        for (uint64_t off = 0; off < MiB(6); off += MiB(1))
            expect_lookup(&pt, MiB(2) + off, MiB(8) + off, PT_RWX, MiB(2));
        assert_int_equal(pt.table_pages, 3);

        /* hpa not 2 MiB aligned: 4 KiB leaves only. */
        assert_int_equal(pt_map(&pt, GiB(1), MiB(8) + PAGE_SIZE, MiB(2),
                                PT_RWX), 0);
        expect_lookup(&pt, GiB(1), MiB(8) + PAGE_SIZE, PT_RWX, PAGE_SIZE);
        expect_lookup(&pt, GiB(1) + MiB(2) - 1, MiB(10) + PAGE_SIZE - 1,
                      PT_RWX, PAGE_SIZE);

        /* va not aligned, range crossing a 2 MiB boundary: the middle
         * 2 MiB-aligned part is large, the edges 4 KiB. */
        assert_int_equal(pt_map(&pt, GiB(2) + MiB(2) - PAGE_SIZE,
                                MiB(32) - PAGE_SIZE, MiB(2) + 2 * PAGE_SIZE,
                                PT_R), 0);
        expect_lookup(&pt, GiB(2) + MiB(2) - PAGE_SIZE, MiB(32) - PAGE_SIZE,
                      PT_R, PAGE_SIZE);
        expect_lookup(&pt, GiB(2) + MiB(2), MiB(32), PT_R, MiB(2));
        expect_lookup(&pt, GiB(2) + MiB(4), MiB(34), PT_R, PAGE_SIZE);
        expect_unmapped(&pt, GiB(2) + MiB(4) + PAGE_SIZE);
        expect_unmapped(&pt, GiB(2) + MiB(2) - 2 * PAGE_SIZE);
        pt_destroy(&pt);
    }
}

static void test_remap_splits_large_page(void **state)
{
    /* The large page is read+execute, write-back; the page remapped inside
     * it is read+write, uncached: the two must not bleed into each other. */
    const unsigned big = PT_R | PT_X, small = PT_R | PT_W | PT_UC;
    for (unsigned f = 0; f < ARRAY_SIZE(formats); f++) {
        struct pt pt;
        uint64_t e[5];
        assert_int_equal(pt_init(&pt, formats[f]), 0);
        assert_int_equal(pt_map(&pt, MiB(2), MiB(16), MiB(2), big), 0);
        assert_int_equal(walk(&pt, MiB(2), e), 2);

        uint64_t va = MiB(2) + 0x5000;
        assert_int_equal(pt_map(&pt, va, MiB(40), PAGE_SIZE, small), 0);
        expect_lookup(&pt, va + 0x10, MiB(40) + 0x10, small, PAGE_SIZE);
        /* The rest of the old 2 MiB mapping is intact, as 4 KiB leaves with
         * the old permissions. */
        for (uint64_t off = 0; off < MiB(2); off += PAGE_SIZE) {
            if (MiB(2) + off == va)
                continue;
            expect_lookup(&pt, MiB(2) + off, MiB(16) + off, big, PAGE_SIZE);
        }
        assert_int_equal(walk(&pt, MiB(2), e), 1);

        /* Mapping the whole 2 MiB again as a large page frees the split
         * table. */
        uint64_t tables = pt.table_pages;
        assert_int_equal(pt_map(&pt, MiB(2), MiB(16), MiB(2), PT_R | PT_W),
                         0);
        assert_int_equal(pt.table_pages, tables - 1);
        expect_lookup(&pt, va, MiB(16) + 0x5000, PT_R | PT_W, MiB(2));
        pt_destroy(&pt);
    }
}

static void test_unmap(void **state)
{
    for (unsigned f = 0; f < ARRAY_SIZE(formats); f++) {
        struct pt pt;
        assert_int_equal(pt_init(&pt, formats[f]), 0);
        uint64_t free0 = frame_free_pages();

        /* Unmapping a 4 KiB page from a large page splits it. */
        assert_int_equal(pt_map(&pt, 0, 0, MiB(4), PT_RWX), 0);
        assert_int_equal(pt_unmap(&pt, MiB(1), PAGE_SIZE), 0);
        expect_unmapped(&pt, MiB(1));
        expect_unmapped(&pt, MiB(1) + PAGE_SIZE - 1);
        expect_lookup(&pt, MiB(1) - PAGE_SIZE, MiB(1) - PAGE_SIZE, PT_RWX,
                      PAGE_SIZE);
        expect_lookup(&pt, MiB(1) + PAGE_SIZE, MiB(1) + PAGE_SIZE, PT_RWX,
                      PAGE_SIZE);
        expect_lookup(&pt, MiB(3), MiB(3), PT_RWX, MiB(2));   /* untouched */

        /* Unmapping a range that spans the split table and the large page. */
        assert_int_equal(pt_unmap(&pt, MiB(1), MiB(2)), 0);
        expect_unmapped(&pt, MiB(2));
        expect_unmapped(&pt, MiB(3) - PAGE_SIZE);
        expect_lookup(&pt, MiB(3), MiB(3), PT_RWX, PAGE_SIZE);
        expect_lookup(&pt, 0, 0, PT_RWX, PAGE_SIZE);

        /* Unmapping what is not mapped is fine. */
        assert_int_equal(pt_unmap(&pt, GiB(7), MiB(2)), 0);

        /* Unmapping everything returns every table but the root. */
        assert_int_equal(pt_unmap(&pt, 0, MiB(4)), 0);
        expect_unmapped(&pt, 0);
        expect_unmapped(&pt, MiB(3));
        assert_int_equal(pt.table_pages, 1);
        assert_int_equal(frame_free_pages(), free0);
        pt_destroy(&pt);
    }
}

static void test_out_of_memory(void **state)
{
    /* Only the root fits: a map needing tables fails cleanly. */
    frame_init();
    assert_int_equal(frame_add_free(ptr_hpa(pool), 2), 0);
    struct pt pt;
    assert_int_equal(pt_init(&pt, &pt_format_host), 0);
    assert_int_equal(pt_init(&(struct pt){0}, &pt_format_host), 0);
    assert_int_equal(pt_init(&(struct pt){0}, &pt_format_host), -ENOMEM);
    assert_int_equal(pt_map(&pt, 0, 0, PAGE_SIZE, PT_R), -ENOMEM);
    expect_unmapped(&pt, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_init_destroy_returns_frames, setup),
        cmocka_unit_test_setup(test_lookup_unmapped, setup),
        cmocka_unit_test_setup(test_bad_arguments, setup),
        cmocka_unit_test_setup(test_host_format, setup),
        cmocka_unit_test_setup(test_npt_format_user_everywhere, setup),
        cmocka_unit_test_setup(test_ept_format, setup),
        cmocka_unit_test_setup(test_max_leaf_level_is_2, setup),
        cmocka_unit_test_setup(test_large_pages_only_when_aligned, setup),
        cmocka_unit_test_setup(test_remap_splits_large_page, setup),
        cmocka_unit_test_setup(test_unmap, setup),
        cmocka_unit_test_setup(test_out_of_memory, setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
