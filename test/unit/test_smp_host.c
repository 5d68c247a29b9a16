/* Host SMP, the pure parts: the processors a MADT lists (Keel's CPU
 * numbering, drivers/acpi_host_madt.c) and which physical CPU runs which
 * vCPU of a pinned VM (hv/core/pin.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/acpi_host.h"
#include "hv/core/pin.h"
#include "lib/errno.h"

#define UNUSED __attribute__((unused))

/* A MADT under construction: the 44-byte header, then entries. */
struct madt_buf {
    uint8_t b[512];
    uint32_t len;
};

static void madt_start(struct madt_buf *m)
{
    memset(m, 0, sizeof(*m));
    memcpy(m->b, "APIC", 4);
    m->len = 44;
}

static void madt_put(struct madt_buf *m, const uint8_t *e, uint8_t n)
{
    memcpy(m->b + m->len, e, n);
    m->len += n;
    memcpy(m->b + 4, &m->len, 4);   /* the header's length field */
}

/* Processor Local APIC (type 0, ACPI 6.4 Table 5.23). */
static void madt_lapic(struct madt_buf *m, uint8_t apic_id, uint32_t flags)
{
    uint8_t e[8] = { 0, 8, apic_id, apic_id };
    memcpy(e + 4, &flags, 4);
    madt_put(m, e, sizeof(e));
}

/* Processor Local x2APIC (type 9, Table 5.38). */
static void madt_x2apic(struct madt_buf *m, uint32_t id, uint32_t flags)
{
    uint8_t e[16] = { 9, 16 };
    memcpy(e + 4, &id, 4);
    memcpy(e + 8, &flags, 4);
    madt_put(m, e, sizeof(e));
}

/* An I/O APIC entry (type 1, 12 bytes): not a processor. */
static void madt_ioapic(struct madt_buf *m)
{
    uint8_t e[12] = { 1, 12, 0 };
    madt_put(m, e, sizeof(e));
}

static void test_madt_qemu_like(void **state UNUSED)
{
    struct madt_buf m;
    uint32_t ids[8];
    madt_start(&m);
    madt_lapic(&m, 0, 1);
    madt_lapic(&m, 1, 1);
    madt_ioapic(&m);
    madt_lapic(&m, 2, 1);
    assert_int_equal(acpi_host_madt_cpus(m.b, m.len, 0, ids, 8), 3);
    assert_int_equal(ids[0], 0);
    assert_int_equal(ids[1], 1);
    assert_int_equal(ids[2], 2);
}

static void test_madt_boot_cpu_first(void **state UNUSED)
{
    /* The boot CPU is CPU 0 wherever the table lists it. */
    struct madt_buf m;
    uint32_t ids[8];
    madt_start(&m);
    madt_lapic(&m, 4, 1);
    madt_lapic(&m, 6, 1);
    madt_lapic(&m, 2, 1);
    assert_int_equal(acpi_host_madt_cpus(m.b, m.len, 6, ids, 8), 3);
    assert_int_equal(ids[0], 6);
    assert_int_equal(ids[1], 4);
    assert_int_equal(ids[2], 2);
}

static void test_madt_flags(void **state UNUSED)
{
    /* Disabled entries are left out; online capable ones count. */
    struct madt_buf m;
    uint32_t ids[8];
    madt_start(&m);
    madt_lapic(&m, 0, 1);
    madt_lapic(&m, 1, 0);
    madt_lapic(&m, 2, 2);
    madt_lapic(&m, 0xff, 1);
    assert_int_equal(acpi_host_madt_cpus(m.b, m.len, 0, ids, 8), 2);
    assert_int_equal(ids[1], 2);
}

static void test_madt_x2apic(void **state UNUSED)
{
    /* x2APIC entries count; an ID listed as type 0 and 9 counts once. */
    struct madt_buf m;
    uint32_t ids[8];
    madt_start(&m);
    madt_lapic(&m, 0, 1);
    madt_lapic(&m, 1, 1);
    madt_x2apic(&m, 1, 1);
    madt_x2apic(&m, 300, 1);
    madt_x2apic(&m, 301, 0);
    assert_int_equal(acpi_host_madt_cpus(m.b, m.len, 0, ids, 8), 3);
    assert_int_equal(ids[1], 1);
    assert_int_equal(ids[2], 300);
}

static void test_madt_max_and_errors(void **state UNUSED)
{
    struct madt_buf m;
    uint32_t ids[8];
    madt_start(&m);
    for (uint8_t i = 0; i < 6; i++)
        madt_lapic(&m, i, 1);
    assert_int_equal(acpi_host_madt_cpus(m.b, m.len, 0, ids, 4), 4);
    /* The table's length beyond the buffer, an entry past the end, an
     * entry of length 0, no table. */
    assert_int_equal(acpi_host_madt_cpus(m.b, m.len - 1, 0, ids, 8),
                     -EINVAL);
    uint32_t bad = m.len + 4;
    memcpy(m.b + 4, &bad, 4);
    assert_int_equal(acpi_host_madt_cpus(m.b, sizeof(m.b), 0, ids, 8),
                     -EINVAL);
    madt_start(&m);
    uint8_t zero[2] = { 0, 0 };
    madt_put(&m, zero, 2);
    assert_int_equal(acpi_host_madt_cpus(m.b, m.len, 0, ids, 8), -EINVAL);
    assert_int_equal(acpi_host_madt_cpus(NULL, 0, 0, ids, 8), -EINVAL);
    /* Only the boot CPU: no entries at all. */
    madt_start(&m);
    memcpy(m.b + 4, &m.len, 4);
    assert_int_equal(acpi_host_madt_cpus(m.b, m.len, 3, ids, 8), 1);
    assert_int_equal(ids[0], 3);
}

static void test_pin_cpu(void **state UNUSED)
{
    assert_int_equal(pin_cpu(0, 0), 0);       /* not pinned: boot CPU */
    assert_int_equal(pin_cpu(0, 5), 0);
    assert_int_equal(pin_cpu(0x6, 0), 1);     /* cpus = 1-2 */
    assert_int_equal(pin_cpu(0x6, 1), 2);
    assert_int_equal(pin_cpu(0x6, 2), 1);     /* modulo the set */
    assert_int_equal(pin_cpu(0x6, 3), 2);
    assert_int_equal(pin_cpu(0x4, 7), 2);     /* one CPU */
    assert_int_equal(pin_cpu(0x8000000000000001ULL, 1), 63);
}

static void test_pin_missing(void **state UNUSED)
{
    assert_int_equal(pin_missing(0x6, 0x7), -1);
    assert_int_equal(pin_missing(0x6, 0x3), 2);
    assert_int_equal(pin_missing(0x18, 0x1), 3);
    assert_int_equal(pin_missing(0, 0x1), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_madt_qemu_like),
        cmocka_unit_test(test_madt_boot_cpu_first),
        cmocka_unit_test(test_madt_flags),
        cmocka_unit_test(test_madt_x2apic),
        cmocka_unit_test(test_madt_max_and_errors),
        cmocka_unit_test(test_pin_cpu),
        cmocka_unit_test(test_pin_missing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
