/* Unit tests of the virtual IOAPIC (hv/dev/vioapic.c), after kvm-unit-tests
 * x86/ioapic.c: edge and level pins, Remote IRR and EOI, masking, and the
 * full loop through a LAPIC. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#define UNUSED __attribute__((unused))

#include "hv/dev/apic_route.h"
#include "hv/dev/vioapic.h"
#include "hv/dev/vlapic.h"
#include "test/unit/host_stubs.h"

static struct vioapic *io;
static struct apic_irq last;
static unsigned sent;
static struct vlapic *cpu;      /* when set, messages go to this LAPIC */

static void t_deliver(void *ctx UNUSED, const struct apic_irq *irq)
{
    last = *irq;
    sent++;
    if (cpu)
        apic_route(&cpu, 1, irq, -1);
}
static void t_eoi_level(void *ctx UNUSED, uint8_t vector) { vioapic_eoi(io, vector); }
static const struct vlapic_host_ops lapic_ops = { .eoi_level = t_eoi_level };

static uint32_t rd(uint32_t reg)
{
    uint64_t v;
    vioapic_mmio_write(io, IOAPIC_IOREGSEL, 4, reg);
    vioapic_mmio_read(io, IOAPIC_IOWIN, 4, &v);
    return (uint32_t)v;
}
static void wr(uint32_t reg, uint32_t v)
{
    vioapic_mmio_write(io, IOAPIC_IOREGSEL, 4, reg);
    vioapic_mmio_write(io, IOAPIC_IOWIN, 4, v);
}
static void set_rte(unsigned pin, uint64_t rte)
{
    wr(IOAPIC_REDTBL + 2 * pin + 1, (uint32_t)(rte >> 32));
    wr(IOAPIC_REDTBL + 2 * pin, (uint32_t)rte);
}
static uint64_t get_rte(unsigned pin)
{
    return ((uint64_t)rd(IOAPIC_REDTBL + 2 * pin + 1) << 32) |
           rd(IOAPIC_REDTBL + 2 * pin);
}

static int setup(void **state UNUSED)
{
    io = vioapic_create(t_deliver, NULL);
    sent = 0;
    cpu = NULL;
    return io ? 0 : -1;
}
static int teardown(void **state UNUSED)
{
    free(io);
    free(cpu);
    return 0;
}

static void test_registers(void **state UNUSED)
{
    assert_int_equal(rd(IOAPIC_REG_VER), 0x00170020);
    wr(IOAPIC_REG_ID, 0x0A000000);
    assert_int_equal(rd(IOAPIC_REG_ID), 0x0A000000);
    wr(IOAPIC_REG_VER, 0);                         /* read-only */
    assert_int_equal(rd(IOAPIC_REG_VER), 0x00170020);
    for (unsigned pin = 0; pin < IOAPIC_NUM_PINS; pin++)
        assert_int_equal(get_rte(pin), IOAPIC_RTE_MASKED);
    set_rte(5, (3ULL << 56) | IOAPIC_RTE_LEVEL | IOAPIC_RTE_ACTIVE_LOW |
               IOAPIC_RTE_LOGICAL | (1 << 8) | 0x35 | IOAPIC_RTE_REMOTE_IRR);
    /* Remote IRR is read-only. */
    assert_int_equal(get_rte(5), (3ULL << 56) | IOAPIC_RTE_LEVEL |
                     IOAPIC_RTE_ACTIVE_LOW | IOAPIC_RTE_LOGICAL | (1 << 8) |
                     0x35);
    uint64_t v;
    vioapic_mmio_write(io, IOAPIC_IOREGSEL, 4, IOAPIC_REDTBL + 2 * 24);
    vioapic_mmio_read(io, IOAPIC_IOWIN, 4, &v);     /* beyond pin 23 */
    assert_int_equal(v, 0);
}

static void test_edge(void **state UNUSED)
{
    set_rte(1, (2ULL << 56) | 0x41);
    vioapic_set_irq(io, 1, true);
    assert_int_equal(sent, 1);
    assert_int_equal(last.vector, 0x41);
    assert_int_equal(last.dest, 2);
    assert_false(last.level);
    assert_false(last.logical);
    assert_int_equal(last.delivery, APIC_DM_FIXED);
    vioapic_set_irq(io, 1, true);                  /* no new edge */
    assert_int_equal(sent, 1);
    vioapic_set_irq(io, 1, false);
    vioapic_set_irq(io, 1, true);
    assert_int_equal(sent, 2);
    assert_int_equal(get_rte(1) & IOAPIC_RTE_REMOTE_IRR, 0);
}

static void test_masked(void **state UNUSED)
{
    set_rte(3, IOAPIC_RTE_MASKED | 0x43);
    vioapic_set_irq(io, 3, true);
    vioapic_set_irq(io, 3, false);
    assert_int_equal(sent, 0);
    set_rte(4, IOAPIC_RTE_MASKED | IOAPIC_RTE_LEVEL | 0x44);
    vioapic_set_irq(io, 4, true);
    assert_int_equal(sent, 0);
    /* Unmasking an asserted level pin delivers it. */
    set_rte(4, IOAPIC_RTE_LEVEL | 0x44);
    assert_int_equal(sent, 1);
    assert_true(last.level);
    vioapic_set_irq(io, 30, true);                 /* ignored */
    assert_int_equal(sent, 1);
}

static void test_level_remote_irr(void **state UNUSED)
{
    set_rte(9, IOAPIC_RTE_LEVEL | 0x59);
    vioapic_set_irq(io, 9, true);
    assert_int_equal(sent, 1);
    assert_true(get_rte(9) & IOAPIC_RTE_REMOTE_IRR);
    vioapic_set_irq(io, 9, true);                  /* held off by Remote IRR */
    assert_int_equal(sent, 1);
    vioapic_eoi(io, 0x60);                         /* other vector */
    assert_true(get_rte(9) & IOAPIC_RTE_REMOTE_IRR);
    vioapic_eoi(io, 0x59);                         /* still asserted */
    assert_int_equal(sent, 2);
    assert_true(get_rte(9) & IOAPIC_RTE_REMOTE_IRR);
    vioapic_set_irq(io, 9, false);
    vioapic_eoi(io, 0x59);
    assert_int_equal(sent, 2);
    assert_int_equal(get_rte(9) & IOAPIC_RTE_REMOTE_IRR, 0);
    /* The EOI register (version 0x20) does the same. */
    vioapic_set_irq(io, 9, true);
    assert_int_equal(sent, 3);
    vioapic_set_irq(io, 9, false);
    vioapic_mmio_write(io, IOAPIC_EOI, 4, 0x59);
    assert_int_equal(get_rte(9) & IOAPIC_RTE_REMOTE_IRR, 0);
    /* Reprogramming to edge clears a stale Remote IRR. */
    vioapic_set_irq(io, 9, true);
    assert_true(get_rte(9) & IOAPIC_RTE_REMOTE_IRR);
    set_rte(9, 0x59);
    assert_int_equal(get_rte(9) & IOAPIC_RTE_REMOTE_IRR, 0);
}

/* IOAPIC -> LAPIC -> EOI -> IOAPIC, as kvm-unit-tests' level tests do. */
static void test_level_through_lapic(void **state UNUSED)
{
    uint64_t v;
    cpu = vlapic_create(0, &lapic_ops, NULL);
    vlapic_mmio_write(cpu, APIC_REG_SVR, 4, APIC_SVR_ENABLE | 0xFF);
    set_rte(10, IOAPIC_RTE_LEVEL | IOAPIC_RTE_ACTIVE_LOW | 0x62);
    vioapic_set_irq(io, 10, true);
    assert_int_equal(vlapic_pending_vector(cpu), 0x62);
    vlapic_accept(cpu, 0x62);
    vlapic_mmio_read(cpu, APIC_REG_TMR + 0x30, 4, &v);
    assert_int_equal(v, 1u << 2);
    /* The guest's handler quiets the device, then EOIs. */
    vioapic_set_irq(io, 10, false);
    vlapic_mmio_write(cpu, APIC_REG_EOI, 4, 0);
    assert_int_equal(get_rte(10) & IOAPIC_RTE_REMOTE_IRR, 0);
    assert_int_equal(vlapic_pending_vector(cpu), -1);
    /* A handler that EOIs with the line still up gets it again. */
    vioapic_set_irq(io, 10, true);
    vlapic_accept(cpu, (uint8_t)vlapic_pending_vector(cpu));
    vlapic_mmio_write(cpu, APIC_REG_EOI, 4, 0);
    assert_int_equal(vlapic_pending_vector(cpu), 0x62);
    /* Edge pins through the LAPIC leave the TMR clear. */
    set_rte(2, 0x30);
    vioapic_set_irq(io, 2, true);
    vioapic_set_irq(io, 2, false);
    vlapic_mmio_read(cpu, APIC_REG_IRR + 0x10, 4, &v);
    assert_int_equal(v, 1u << 16);
    vlapic_mmio_read(cpu, APIC_REG_TMR + 0x10, 4, &v);
    assert_int_equal(v, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_registers),
        T(test_edge),
        T(test_masked),
        T(test_level_remote_irr),
        T(test_level_through_lapic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
