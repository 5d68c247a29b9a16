/* Unit tests of the port-I/O and MMIO buses (hv/dev/bus.c): registration
 * and overlaps, lookup at the edges of a range, offsets relative to the
 * base, and what an access nobody claims reads (all-ones, as an ISA read of
 * an empty port or a PCI master abort: PCI 3.0 3.7.3.3 "Master Abort"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hv/dev/bus.h"
#include "lib/errno.h"

static struct bus bus;

/* Two devices that record the last access. */
struct rec {
    uint64_t offset, val;
    unsigned size, calls;
};
static struct rec dev_a, dev_b;

static int rec_read(void *dev, uint64_t offset, unsigned size, uint64_t *val)
{
    struct rec *r = dev;
    r->calls++;
    r->offset = offset;
    r->size = size;
    *val = 0x0123456789abcdefULL & bus_all_ones(size);
    return 0;
}

static int rec_write(void *dev, uint64_t offset, unsigned size, uint64_t val)
{
    struct rec *r = dev;
    r->calls++;
    r->offset = offset;
    r->size = size;
    r->val = val;
    return 0;
}

static int failing_read(void *dev, uint64_t offset, unsigned size,
                        uint64_t *val)
{
    (void)dev, (void)offset, (void)size;
    *val = 0x42;
    return -EIO;
}

static int setup(void **state)
{
    (void)state;
    memset(&bus, 0, sizeof(bus));
    memset(&dev_a, 0, sizeof(dev_a));
    memset(&dev_b, 0, sizeof(dev_b));
    return 0;
}

static void test_bus_all_ones_by_size(void **state)
{
    (void)state;
    assert_int_equal(bus_all_ones(1), 0xff);
    assert_int_equal(bus_all_ones(2), 0xffff);
    assert_int_equal(bus_all_ones(4), 0xffffffffULL);
    assert_int_equal(bus_all_ones(8), ~0ULL);
}

/* A range that overlaps a registered one, at either end or inside or
 * around it, is refused with -EBUSY and not added; touching is fine. */
static void test_register_overlap_ebusy(void **state)
{
    (void)state;
    assert_int_equal(bus_register(&bus, 0x100, 0x10, &dev_a, rec_read,
                                  rec_write, "a"), 0);
    static const struct { uint64_t base, len; } bad[] = {
        { 0x100, 0x10 }, { 0x0f8, 0x09 }, { 0x10f, 1 }, { 0x104, 2 },
        { 0x000, 0x1000 },
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(bus_register(&bus, bad[i].base, bad[i].len, &dev_b,
                                      rec_read, rec_write, "b"), -EBUSY);
    assert_int_equal(bus.nr, 1);
    assert_int_equal(bus_register(&bus, 0x0f8, 8, &dev_b, rec_read,
                                  rec_write, "below"), 0);
    assert_int_equal(bus_register(&bus, 0x110, 8, &dev_b, rec_read,
                                  rec_write, "above"), 0);
    assert_int_equal(bus.nr, 3);
}

/* Empty and wrapping ranges are invalid. */
static void test_register_invalid(void **state)
{
    (void)state;
    assert_int_equal(bus_register(&bus, 0x100, 0, &dev_a, rec_read,
                                  rec_write, "empty"), -EINVAL);
    assert_int_equal(bus_register(&bus, ~0ULL - 3, 8, &dev_a, rec_read,
                                  rec_write, "wraps"), -EINVAL);
    assert_int_equal(bus.nr, 0);
}

/* The table holds BUS_MAX_RANGES ranges; one more is -ENOMEM. */
static void test_register_full_enomem(void **state)
{
    (void)state;
    for (unsigned i = 0; i < BUS_MAX_RANGES; i++)
        assert_int_equal(bus_register(&bus, i * 0x10, 0x10, &dev_a,
                                      rec_read, rec_write, "x"), 0);
    assert_int_equal(bus_register(&bus, 0x10000, 1, &dev_a, rec_read,
                                  rec_write, "x"), -ENOMEM);
}

/* bus_find at the first and last byte of a range and just outside. */
static void test_find_at_range_edges(void **state)
{
    (void)state;
    bus_register(&bus, 0xfee00000, 0x1000, &dev_a, rec_read, rec_write, "a");
    bus_register(&bus, 0xfec00000, 0x20, &dev_b, rec_read, rec_write, "b");
    assert_null(bus_find(&bus, 0xfedfffff));
    assert_ptr_equal(bus_find(&bus, 0xfee00000)->dev, &dev_a);
    assert_ptr_equal(bus_find(&bus, 0xfee00fff)->dev, &dev_a);
    assert_null(bus_find(&bus, 0xfee01000));
    assert_ptr_equal(bus_find(&bus, 0xfec0001f)->dev, &dev_b);
    assert_null(bus_find(&bus, 0xfec00020));
    assert_string_equal(bus_find(&bus, 0xfec00000)->name, "b");
}

/* Devices see the offset from their base, the size, and the value. */
static void test_access_offset_relative_to_base(void **state)
{
    (void)state;
    uint64_t val;
    bus_register(&bus, 0x3f8, 8, &dev_a, rec_read, rec_write, "com1");
    bus_register(&bus, 0x2f8, 8, &dev_b, rec_read, rec_write, "com2");
    assert_int_equal(bus_write(&bus, 0x3fd, 1, 0x5a), 0);
    assert_int_equal(dev_a.offset, 5);
    assert_int_equal(dev_a.size, 1);
    assert_int_equal(dev_a.val, 0x5a);
    assert_int_equal(dev_b.calls, 0);
    assert_int_equal(bus_read(&bus, 0x2ff, 2, &val), 0);
    assert_int_equal(dev_b.offset, 7);
    assert_int_equal(dev_b.size, 2);
    assert_int_equal(val, 0xcdef);
}

/* Nobody claims the address: -ENOENT (the caller decides), no device
 * called. */
static void test_unclaimed_address_enoent(void **state)
{
    (void)state;
    uint64_t val = 0;
    bus_register(&bus, 0x100, 0x10, &dev_a, rec_read, rec_write, "a");
    assert_int_equal(bus_read(&bus, 0x110, 4, &val), -ENOENT);
    assert_int_equal(bus_write(&bus, 0xff, 1, 0), -ENOENT);
    assert_int_equal(dev_a.calls, 0);
}

/* A range without a read callback reads all-ones for every access size,
 * and ignores writes. */
static void test_range_without_read_reads_all_ones(void **state)
{
    (void)state;
    static const unsigned sizes[] = { 1, 2, 4, 8 };
    bus_register(&bus, 0x80, 0x10, NULL, NULL, NULL, "hole");
    for (unsigned i = 0; i < 4; i++) {
        uint64_t val = 0x1234;
        assert_int_equal(bus_read(&bus, 0x84, sizes[i], &val), 0);
        assert_int_equal(val, bus_all_ones(sizes[i]));
    }
    assert_int_equal(bus_write(&bus, 0x84, 4, 1), 0);
}

/* A device's own error comes back to the caller. */
static void test_device_error_propagates(void **state)
{
    (void)state;
    uint64_t val;
    bus_register(&bus, 0x40, 4, NULL, failing_read, NULL, "pit");
    assert_int_equal(bus_read(&bus, 0x41, 1, &val), -EIO);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, setup)
    const struct CMUnitTest tests[] = {
        T(test_bus_all_ones_by_size),
        T(test_register_overlap_ebusy),
        T(test_register_invalid),
        T(test_register_full_enomem),
        T(test_find_at_range_edges),
        T(test_access_offset_relative_to_base),
        T(test_unclaimed_address_enoent),
        T(test_range_without_read_reads_all_ones),
        T(test_device_error_propagates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
