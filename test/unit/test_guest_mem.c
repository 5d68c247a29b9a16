/* Host tests of the guest memory map (mm/guest_mem.c). Slots are backed
 * by real host buffers, so reads and writes land in memory we can check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/errno.h"
#include "mm/guest_mem.h"

#define P PAGE_SIZE

static uint8_t *buf_a, *buf_b;   /* 64 KiB each */

static int setup(void **state)
{
    buf_a = aligned_alloc(P, KiB(64));
    buf_b = aligned_alloc(P, KiB(64));
    memset(buf_a, 0xaa, KiB(64));
    memset(buf_b, 0xbb, KiB(64));
    return 0;
}

static int teardown(void **state)
{
    free(buf_a);
    free(buf_b);
    return 0;
}

/* RAM: [0, 64K) -> buf_a, [64K, 128K) -> buf_b: adjacent in GPA, not in
 * host memory. Added in reverse order to check sorting. */
static void two_slots(struct guest_mem *gm)
{
    memset(gm, 0, sizeof(*gm));
    assert_int_equal(gmem_add_slot(gm, KiB(64), KiB(64), ptr_hpa(buf_b)), 0);
    assert_int_equal(gmem_add_slot(gm, 0, KiB(64), ptr_hpa(buf_a)), 0);
}

static void test_add_slot(void **state)
{
    struct guest_mem gm;
    two_slots(&gm);
    assert_int_equal(gm.nr_slots, 2);
    assert_int_equal(gm.ram_bytes, KiB(128));
    /* Kept sorted by GPA. */
    assert_int_equal(gm.slots[0].gpa, 0);
    assert_int_equal(gm.slots[1].gpa, KiB(64));

    assert_int_equal(gmem_add_slot(&gm, 0x1001, P, 0), -EINVAL);
    assert_int_equal(gmem_add_slot(&gm, MiB(1), P, 0x10), -EINVAL);
    assert_int_equal(gmem_add_slot(&gm, MiB(1), 100, 0), -EINVAL);
    assert_int_equal(gmem_add_slot(&gm, MiB(1), 0, 0), -EINVAL);
    assert_int_equal(gmem_add_slot(&gm, UINT64_MAX - P + 1, P, 0), -EINVAL);
    assert_int_equal(gmem_add_slot(&gm, MiB(1), P, UINT64_MAX - P + 1),
                     -EINVAL);
    /* Overlaps. */
    assert_int_equal(gmem_add_slot(&gm, KiB(60), P, 0), -EBUSY);
    assert_int_equal(gmem_add_slot(&gm, KiB(124), KiB(8), 0), -EBUSY);
    assert_int_equal(gmem_add_slot(&gm, 0, MiB(1), 0), -EBUSY);
    /* Touching is not overlapping. */
    assert_int_equal(gmem_add_slot(&gm, KiB(128), P, ptr_hpa(buf_a)), 0);
    assert_int_equal(gm.ram_bytes, KiB(132));

    /* Table full. */
    for (unsigned i = gm.nr_slots; i < GMEM_MAX_SLOTS; i++)
        assert_int_equal(gmem_add_slot(&gm, GiB(1) + i * MiB(1), P, 0), 0);
    assert_int_equal(gmem_add_slot(&gm, GiB(2), P, 0), -ENOMEM);
}

static void test_find(void **state)
{
    struct guest_mem gm;
    two_slots(&gm);
    assert_ptr_equal(gmem_find(&gm, 0), &gm.slots[0]);
    assert_ptr_equal(gmem_find(&gm, KiB(64) - 1), &gm.slots[0]);
    assert_ptr_equal(gmem_find(&gm, KiB(64)), &gm.slots[1]);
    assert_null(gmem_find(&gm, KiB(128)));
    assert_null(gmem_find(&gm, UINT64_MAX));
}

static void test_is_ram(void **state)
{
    struct guest_mem gm;
    two_slots(&gm);
    assert_true(gmem_is_ram(&gm, 0, KiB(128)));          /* spans slots */
    assert_true(gmem_is_ram(&gm, KiB(64) - 2, 4));
    assert_false(gmem_is_ram(&gm, 0, KiB(128) + 1));
    assert_false(gmem_is_ram(&gm, KiB(128), 1));
    assert_true(gmem_is_ram(&gm, 5, 0));                 /* len 0, in RAM */
    assert_false(gmem_is_ram(&gm, KiB(128), 0));
    /* Wrapping ranges are never RAM. */
    assert_false(gmem_is_ram(&gm, 16, UINT64_MAX));
    assert_false(gmem_is_ram(&gm, UINT64_MAX, 2));
    /* A hole between slots. */
    assert_int_equal(gmem_add_slot(&gm, MiB(1), P, ptr_hpa(buf_a)), 0);
    assert_false(gmem_is_ram(&gm, KiB(124), MiB(1)));
}

static void test_ptr(void **state)
{
    struct guest_mem gm;
    two_slots(&gm);
    assert_ptr_equal(gmem_ptr(&gm, 0x10, 16), buf_a + 0x10);
    assert_ptr_equal(gmem_ptr(&gm, KiB(64) + 8, 8), buf_b + 8);
    assert_ptr_equal(gmem_ptr(&gm, KiB(64) - 8, 8), buf_a + KiB(64) - 8);
    /* Crossing into the next slot: not one host block. */
    assert_null(gmem_ptr(&gm, KiB(64) - 8, 9));
    assert_null(gmem_ptr(&gm, KiB(128), 1));
    assert_null(gmem_ptr(&gm, 0, UINT64_MAX));
}

static void test_read_write_across_slots(void **state)
{
    struct guest_mem gm;
    two_slots(&gm);
    uint8_t data[32], back[32];
    for (unsigned i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)i;

    assert_int_equal(gmem_write(&gm, KiB(64) - 16, data, sizeof(data)), 0);
    assert_memory_equal(buf_a + KiB(64) - 16, data, 16);
    assert_memory_equal(buf_b, data + 16, 16);
    assert_int_equal(buf_b[16], 0xbb);

    memset(back, 0, sizeof(back));
    assert_int_equal(gmem_read(&gm, KiB(64) - 16, back, sizeof(back)), 0);
    assert_memory_equal(back, data, sizeof(data));
}

static void test_fault_copies_nothing(void **state)
{
    struct guest_mem gm;
    two_slots(&gm);
    uint8_t data[32];
    memset(data, 0x11, sizeof(data));

    /* The last 16 bytes fall outside RAM: nothing is written. */
    assert_int_equal(gmem_write(&gm, KiB(128) - 16, data, sizeof(data)),
                     -EFAULT);
    assert_int_equal(buf_b[KiB(64) - 16], 0xbb);

    uint8_t back[32];
    memset(back, 0x22, sizeof(back));
    assert_int_equal(gmem_read(&gm, KiB(128) - 16, back, sizeof(back)),
                     -EFAULT);
    assert_int_equal(back[0], 0x22);
    assert_int_equal(gmem_read(&gm, UINT64_MAX - 3, back, 8), -EFAULT);
    /* Zero bytes always succeed. */
    assert_int_equal(gmem_read(&gm, MiB(5), back, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_slot),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_is_ram),
        cmocka_unit_test(test_ptr),
        cmocka_unit_test(test_read_write_across_slots),
        cmocka_unit_test(test_fault_copies_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
