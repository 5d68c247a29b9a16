/* Unit tests of the virtual 8254 PIT and port 0x61 (hv/dev/vpit.c): the
 * exact sequences Linux uses to calibrate the TSC (arch/x86/kernel/tsc.c
 * pit_calibrate_tsc() and quick_pit_calibrate()), latch and read-back,
 * counter 0 interrupts, gates. Time is stub_now_ns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#define UNUSED __attribute__((unused))

#include "hv/dev/vpit.h"
#include "lib/errno.h"
#include "test/unit/host_stubs.h"

static struct vpit *pit;
static unsigned irq0_pulses;
static bool irq0_level;

static void t_set_irq(void *ctx UNUSED, unsigned irq, bool level)
{
    assert_int_equal(irq, PIT_IRQ);
    if (level && !irq0_level)
        irq0_pulses++;
    irq0_level = level;
}

static void outb(uint8_t v, uint16_t port)
{
    if (port == PIT_PORT_SYSCTL)
        vpit_sysctl_write(pit, 0, 1, v);
    else
        vpit_write(pit, port - PIT_PORT, 1, v);
}
static uint8_t inb(uint16_t port)
{
    uint64_t v;
    if (port == PIT_PORT_SYSCTL)
        vpit_sysctl_read(pit, 0, 1, &v);
    else
        vpit_read(pit, port - PIT_PORT, 1, &v);
    return (uint8_t)v;
}

/* ns for t PIT ticks, rounded up. */
static uint64_t tick_ns(uint64_t t) { return (t * 1000000000ULL + PIT_HZ - 1) / PIT_HZ; }

static int setup(void **state UNUSED)
{
    stub_now_ns = 5000000000ULL;
    irq0_pulses = 0;
    irq0_level = false;
    pit = vpit_create(t_set_irq, NULL);
    return pit ? 0 : -1;
}
static int teardown(void **state UNUSED)
{
    free(pit);
    return 0;
}

static void test_linux_pit_calibrate_tsc(void **state UNUSED)
{
    const unsigned latch = PIT_HZ / (1000 / 50);   /* 50 ms */
    /* Set the gate high, disable the speaker. */
    outb((inb(0x61) & ~0x02) | 0x01, 0x61);
    /* Counter 2, LSB then MSB, mode 0, binary. */
    outb(0xb0, 0x43);
    outb(latch & 0xff, 0x42);
    outb(latch >> 8, 0x42);
    uint64_t t0 = stub_now_ns;
    assert_int_equal(inb(0x61) & 0x20, 0);
    stub_now_ns = t0 + 49990000;                   /* 49.99 ms */
    assert_int_equal(inb(0x61) & 0x20, 0);
    stub_now_ns = t0 + tick_ns(latch) - 1;
    assert_int_equal(inb(0x61) & 0x20, 0);
    stub_now_ns = t0 + tick_ns(latch);
    assert_int_equal(inb(0x61) & 0x20, 0x20);
    assert_int_equal(inb(0x61) & 0x03, 0x01);      /* gate kept, no speaker */
    stub_now_ns += 1000000;                        /* OUT stays high */
    assert_int_equal(inb(0x61) & 0x20, 0x20);
    /* Counter 0 saw none of this. */
    assert_int_equal(irq0_pulses, 0);
}

static void test_linux_quick_pit_calibrate(void **state UNUSED)
{
    outb((inb(0x61) & ~0x02) | 0x01, 0x61);
    outb(0xb0, 0x43);
    outb(0xff, 0x42);
    outb(0xff, 0x42);
    uint64_t t0 = stub_now_ns;
    /* pit_verify_msb(0): LSB then MSB, unlatched. */
    inb(0x42);
    assert_int_equal(inb(0x42), 0xff);
    /* Each MSB step is 256 ticks. */
    for (unsigned i = 1; i < 200; i++) {
        stub_now_ns = t0 + tick_ns(256 * i + 10);
        uint8_t lsb = inb(0x42);
        uint8_t msb = inb(0x42);
        assert_int_equal(msb, 0xff - i);
        assert_int_equal(lsb, 0xff - 10);
    }
}

static void test_latch_and_readback(void **state UNUSED)
{
    uint64_t t0 = stub_now_ns;
    outb(0x34, 0x43);                              /* ch0, LSB/MSB, mode 2 */
    outb(0x00, 0x40);
    outb(0x10, 0x40);                              /* N = 0x1000 */
    stub_now_ns = t0 + tick_ns(0x100);
    outb(0x00, 0x43);                              /* latch counter 0 */
    stub_now_ns = t0 + tick_ns(0x800);             /* later: latch holds */
    outb(0x00, 0x43);                              /* ignored until read */
    assert_int_equal(inb(0x40), 0x00);
    assert_int_equal(inb(0x40), 0x0f);             /* 0x0F00 */
    /* Unlatched again: live count 0x1000 - 0x800. */
    assert_int_equal(inb(0x40), 0x00);
    assert_int_equal(inb(0x40), 0x08);
    /* Read-back: status then count of counter 0. */
    outb(0xC2, 0x43);                              /* count + status, ch0 */
    uint8_t status = inb(0x40);
    assert_int_equal(status, PIT_STATUS_OUT | 0x34);
    assert_int_equal(inb(0x40), 0x00);
    assert_int_equal(inb(0x40), 0x08);
    /* Status only, of counter 2 in mode 0 before a count: OUT low, null. */
    outb(0xb0, 0x43);
    outb(0xE8, 0x43);                              /* status only, ch2 */
    assert_int_equal(inb(0x42), PIT_STATUS_NULL | 0x30);
    /* Status of counter 2 after the count with gate high, at terminal
     * count. */
    outb(0x01, 0x61);
    outb(0x20, 0x42);
    outb(0x00, 0x42);                              /* N = 0x20 */
    stub_now_ns += tick_ns(0x20);
    outb(0xE8, 0x43);
    assert_int_equal(inb(0x42), PIT_STATUS_OUT | 0x30);
    /* LSB-only access. */
    outb(0x90, 0x43);                              /* ch2, LSB, mode 0 */
    outb(0x50, 0x42);
    stub_now_ns += tick_ns(0x10);
    assert_int_equal(inb(0x42), 0x40);
}

static void test_channel0_periodic_irq(void **state UNUSED)
{
    uint64_t dl, t0 = stub_now_ns;
    const unsigned n = PIT_HZ / 1000;              /* 1 kHz, mode 2 */
    assert_int_equal(vpit_next_deadline(pit, &dl), -ENOENT);
    outb(0x34, 0x43);
    outb(n & 0xff, 0x40);
    outb(n >> 8, 0x40);
    for (unsigned i = 1; i <= 5; i++) {
        assert_int_equal(vpit_next_deadline(pit, &dl), 0);
        assert_int_equal(dl, t0 + tick_ns((uint64_t)n * i));
        stub_now_ns = dl - 1;
        vpit_update(pit, stub_now_ns);
        assert_int_equal(irq0_pulses, i - 1);
        stub_now_ns = dl;
        vpit_update(pit, stub_now_ns);
        assert_int_equal(irq0_pulses, i);
        assert_false(irq0_level);
    }
    /* Missed periods coalesce. */
    stub_now_ns = t0 + tick_ns((uint64_t)n * 9) + 10;
    vpit_update(pit, stub_now_ns);
    assert_int_equal(irq0_pulses, 6);
    assert_int_equal(vpit_next_deadline(pit, &dl), 0);
    assert_int_equal(dl, t0 + tick_ns((uint64_t)n * 10));
}

static void test_channel0_oneshot_and_mode3(void **state UNUSED)
{
    uint64_t dl, t0 = stub_now_ns;
    outb(0x30, 0x43);                              /* mode 0 */
    outb(100, 0x40);
    outb(0, 0x40);
    assert_int_equal(vpit_next_deadline(pit, &dl), 0);
    assert_int_equal(dl, t0 + tick_ns(100));
    stub_now_ns = dl;
    vpit_update(pit, stub_now_ns);
    assert_int_equal(irq0_pulses, 1);
    assert_int_equal(vpit_next_deadline(pit, &dl), -ENOENT);
    stub_now_ns += 100000000;
    vpit_update(pit, stub_now_ns);
    assert_int_equal(irq0_pulses, 1);
    /* Mode 3, N = 1000: counts by twos, OUT high for the first half. */
    t0 = stub_now_ns;
    outb(0x36, 0x43);
    outb(1000 & 0xff, 0x40);
    outb(1000 >> 8, 0x40);
    stub_now_ns = t0 + tick_ns(100);
    outb(0xC2, 0x43);
    assert_int_equal(inb(0x40) & PIT_STATUS_OUT, PIT_STATUS_OUT);
    uint16_t c = inb(0x40);
    c |= inb(0x40) << 8;
    assert_int_equal(c, 800);
    stub_now_ns = t0 + tick_ns(600);
    outb(0xE2, 0x43);
    assert_int_equal(inb(0x40) & PIT_STATUS_OUT, 0);
    stub_now_ns = t0 + tick_ns(1000);
    vpit_update(pit, stub_now_ns);
    assert_int_equal(irq0_pulses, 2);
}

static void test_gate_pauses_mode0(void **state UNUSED)
{
    outb(0x01, 0x61);
    outb(0xb0, 0x43);
    outb(0x00, 0x42);
    outb(0x10, 0x42);                              /* N = 0x1000 */
    uint64_t t0 = stub_now_ns;
    stub_now_ns = t0 + tick_ns(0x100);
    outb(0x00, 0x61);                              /* gate low: pause */
    stub_now_ns = t0 + tick_ns(0x900);
    outb(0x80, 0x43);                              /* latch ch2 */
    assert_int_equal(inb(0x42), 0x00);
    assert_int_equal(inb(0x42), 0x0f);
    outb(0x01, 0x61);                              /* resume */
    uint64_t t1 = stub_now_ns;
    stub_now_ns = t1 + tick_ns(0xF00) - 1;
    assert_int_equal(inb(0x61) & 0x20, 0);
    stub_now_ns = t1 + tick_ns(0xF00);
    assert_int_equal(inb(0x61) & 0x20, 0x20);
    /* Port 0x61's refresh bit toggles. */
    uint8_t a = inb(0x61) & SYSCTL_REFRESH;
    stub_now_ns += SYSCTL_REFRESH_NS;
    assert_int_not_equal(inb(0x61) & SYSCTL_REFRESH, a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_linux_pit_calibrate_tsc),
        T(test_linux_quick_pit_calibrate),
        T(test_latch_and_readback),
        T(test_channel0_periodic_irq),
        T(test_channel0_oneshot_and_mode3),
        T(test_gate_pauses_mode0),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
