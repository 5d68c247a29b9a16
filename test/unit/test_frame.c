/* Host tests of the frame allocator (mm/frame.c). The allocator never
 * touches memory, so the ranges here are made-up addresses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/errno.h"
#include "mm/frame.h"

#define P PAGE_SIZE

static int setup(void **state)
{
    frame_init();
    return 0;
}

static void test_add_and_count(void **state)
{
    assert_int_equal(frame_add_free(MiB(1), 256), 0);
    assert_int_equal(frame_add_free(MiB(16), 16), 0);
    assert_int_equal(frame_free_pages(), 272);
    assert_int_equal(frame_largest_run(), 256);
}

static void test_add_rejects_bad_ranges(void **state)
{
    assert_int_equal(frame_add_free(MiB(1) + 1, 4), -EINVAL);
    assert_int_equal(frame_add_free(MiB(1), 0), -EINVAL);
    /* Would wrap past 2^64. */
    assert_int_equal(frame_add_free(UINT64_MAX - P + 1, 1), -EINVAL);
    assert_int_equal(frame_add_free(0, UINT64_MAX / P + 1), -EINVAL);
    assert_int_equal(frame_free_pages(), 0);
}

static void test_add_overlap(void **state)
{
    assert_int_equal(frame_add_free(MiB(2), 16), 0);
    assert_int_equal(frame_add_free(MiB(2), 16), -EEXIST);
    assert_int_equal(frame_add_free(MiB(2) - P, 2), -EEXIST);   /* tail */
    assert_int_equal(frame_add_free(MiB(2) + 15 * P, 4), -EEXIST);
    assert_int_equal(frame_add_free(MiB(1), 1024), -EEXIST);   /* covers */
    assert_int_equal(frame_free_pages(), 16);
}

static void test_merge_adjacent(void **state)
{
    /* Three runs added out of order that touch: one free run results. */
    assert_int_equal(frame_add_free(MiB(4), 16), 0);
    assert_int_equal(frame_add_free(MiB(4) + 32 * P, 16), 0);
    assert_int_equal(frame_largest_run(), 16);
    assert_int_equal(frame_add_free(MiB(4) + 16 * P, 16), 0);
    assert_int_equal(frame_largest_run(), 48);
    /* The merged run satisfies a 48-page request in one piece. */
    assert_int_equal(frame_alloc(48, P), MiB(4));
    assert_int_equal(frame_free_pages(), 0);
}

static void test_alloc_lowest_first(void **state)
{
    assert_int_equal(frame_add_free(MiB(8), 4), 0);
    assert_int_equal(frame_add_free(MiB(2), 4), 0);
    assert_int_equal(frame_alloc(1, P), MiB(2));
    assert_int_equal(frame_alloc(1, P), MiB(2) + P);
    assert_int_equal(frame_alloc(3, P), MiB(8));   /* 2 left low: too few */
    assert_int_equal(frame_free_pages(), 3);
}

static void test_alloc_default_skips_low_memory(void **state)
{
    assert_int_equal(frame_add_free(P, 1024), 0);  /* 4 KiB .. 4 MiB+4K */
    hpa_t a = frame_alloc(1, P);
    assert_int_equal(a, MiB(1));
    /* Below 1 MiB is still there for frame_alloc_above. */
    assert_int_equal(frame_alloc_above(1, P, 0), P);
    /* Frame 0 is never returned (0 means failure). */
    frame_init();
    assert_int_equal(frame_add_free(0, 2), 0);
    assert_int_equal(frame_alloc_above(1, P, 0), P);
    assert_int_equal(frame_alloc_above(1, P, 0), 0);
}

static void test_alloc_alignment(void **state)
{
    assert_int_equal(frame_add_free(MiB(1) + P, 2048), 0);
    hpa_t a = frame_alloc(1, MiB(2));
    assert_int_equal(a, MiB(2));
    /* Both sides of the carved frame are still free. */
    assert_int_equal(frame_free_pages(), 2047);
    assert_int_equal(frame_alloc_above(1, P, MiB(1)), MiB(1) + P);
    hpa_t b = frame_alloc(512, MiB(2));
    assert_int_equal(b, MiB(4));
    /* Bad alignments are refused. */
    assert_int_equal(frame_alloc(1, 0), 0);
    assert_int_equal(frame_alloc(1, 2048), 0);
    assert_int_equal(frame_alloc(1, 3 * P), 0);
    assert_int_equal(frame_alloc(0, P), 0);
}

static void test_alloc_above(void **state)
{
    assert_int_equal(frame_add_free(MiB(1), 1024), 0);
    assert_int_equal(frame_alloc_above(1, P, MiB(3)), MiB(3));
    /* min not page aligned: rounded up. */
    assert_int_equal(frame_alloc_above(1, P, MiB(3) + 1), MiB(3) + P);
    /* Nothing at or above the end of memory. */
    assert_int_equal(frame_alloc_above(1, P, MiB(5)), 0);
    assert_int_equal(frame_alloc_above(1, P, UINT64_MAX), 0);
}

static void test_exhaustion(void **state)
{
    assert_int_equal(frame_add_free(MiB(1), 8), 0);
    assert_int_equal(frame_alloc(9, P), 0);
    for (int i = 0; i < 8; i++)
        assert_int_equal(frame_alloc(1, P), MiB(1) + i * P);
    assert_int_equal(frame_alloc(1, P), 0);
    assert_int_equal(frame_free_pages(), 0);
    assert_int_equal(frame_largest_run(), 0);
    /* Absurd sizes fail instead of wrapping. */
    assert_int_equal(frame_alloc(UINT64_MAX, P), 0);
}

static void test_free_and_reuse(void **state)
{
    assert_int_equal(frame_add_free(MiB(1), 16), 0);
    hpa_t a = frame_alloc(4, P);
    hpa_t b = frame_alloc(4, P);
    hpa_t c = frame_alloc(4, P);
    assert_int_equal(b, a + 4 * P);
    assert_int_equal(frame_free(b, 4), 0);
    assert_int_equal(frame_largest_run(), 4);
    /* The hole is reused first (lowest address). */
    assert_int_equal(frame_alloc(2, P), b);
    assert_int_equal(frame_free(b, 2), 0);
    /* Freeing a and c merges everything back into one 16-page run. */
    assert_int_equal(frame_free(a, 4), 0);
    assert_int_equal(frame_free(c, 4), 0);
    assert_int_equal(frame_free_pages(), 16);
    assert_int_equal(frame_largest_run(), 16);
}

static void test_double_free(void **state)
{
    assert_int_equal(frame_add_free(MiB(1), 16), 0);
    hpa_t a = frame_alloc(8, P);
    assert_int_equal(frame_free(a, 8), 0);
    assert_int_equal(frame_free(a, 8), -EEXIST);
    hpa_t b = frame_alloc(4, P);
    assert_int_equal(b, a);
    /* Partly free: frames b+4.. are free already. */
    assert_int_equal(frame_free(b, 5), -EEXIST);
    assert_int_equal(frame_free(b + P, 1), 0);
    assert_int_equal(frame_free(b + P, 1), -EEXIST);
    assert_int_equal(frame_free(b, 1), 0);
    assert_int_equal(frame_free(b + 2 * P, 2), 0);
    assert_int_equal(frame_free_pages(), 16);
    assert_int_equal(frame_free(b + 1, 1), -EINVAL);
}

static void test_table_full(void **state)
{
    /* FRAME_MAX_RANGES separate runs fill the table; one more is -ENOMEM,
     * but one that merges with a neighbour needs no new entry. */
    for (unsigned i = 0; i < FRAME_MAX_RANGES; i++)
        assert_int_equal(frame_add_free(MiB(1) + i * 4 * P, 2), 0);
    assert_int_equal(frame_add_free(GiB(1), 1), -ENOMEM);
    assert_int_equal(frame_add_free(MiB(1) + 2 * P, 1), 0);
    assert_int_equal(frame_free_pages(), FRAME_MAX_RANGES * 2 + 1);
    /* Allocating from the middle of a run would split it: skipped while the
     * table is full, so the aligned frame is found elsewhere or not at all,
     * and the table stays consistent. */
    frame_init();
    for (unsigned i = 0; i < FRAME_MAX_RANGES; i++)
        assert_int_equal(frame_add_free(MiB(1) + i * MiB(1) + P, 3), 0);
    assert_int_equal(frame_alloc(1, 2 * P), 0);
    assert_int_equal(frame_free_pages(), FRAME_MAX_RANGES * 3);
    /* An edge cut needs no entry. */
    assert_int_equal(frame_alloc(1, P), MiB(1) + P);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_add_and_count, setup),
        cmocka_unit_test_setup(test_add_rejects_bad_ranges, setup),
        cmocka_unit_test_setup(test_add_overlap, setup),
        cmocka_unit_test_setup(test_merge_adjacent, setup),
        cmocka_unit_test_setup(test_alloc_lowest_first, setup),
        cmocka_unit_test_setup(test_alloc_default_skips_low_memory, setup),
        cmocka_unit_test_setup(test_alloc_alignment, setup),
        cmocka_unit_test_setup(test_alloc_above, setup),
        cmocka_unit_test_setup(test_exhaustion, setup),
        cmocka_unit_test_setup(test_free_and_reuse, setup),
        cmocka_unit_test_setup(test_double_free, setup),
        cmocka_unit_test_setup(test_table_full, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
