/* Unit tests of the virtual 8259A pair (hv/dev/vpic.c): Linux's probe and
 * init sequence (arch/x86/kernel/i8259.c), IMR read-back, IRR/ISR reads,
 * EOIs, the cascade, level IRQs through the ELCR, spurious IRQ7, poll. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#define UNUSED __attribute__((unused))

#include "hv/dev/vpic.h"

static struct vpic *pic;
static unsigned kicks;

static void t_kick(void *ctx UNUSED) { kicks++; }

/* Port I/O as the guest sees it. */
static void outb(uint8_t v, uint16_t port)
{
    if (port >= PIC_SLAVE_PORT && port < PIC_SLAVE_PORT + 2)
        vpic_slave_write(pic, port - PIC_SLAVE_PORT, 1, v);
    else if (port >= PIC_ELCR_PORT && port < PIC_ELCR_PORT + 2)
        vpic_elcr_write(pic, port - PIC_ELCR_PORT, 1, v);
    else
        vpic_master_write(pic, port - PIC_MASTER_PORT, 1, v);
}
static uint8_t inb(uint16_t port)
{
    uint64_t v;
    if (port >= PIC_SLAVE_PORT && port < PIC_SLAVE_PORT + 2)
        vpic_slave_read(pic, port - PIC_SLAVE_PORT, 1, &v);
    else if (port >= PIC_ELCR_PORT && port < PIC_ELCR_PORT + 2)
        vpic_elcr_read(pic, port - PIC_ELCR_PORT, 1, &v);
    else
        vpic_master_read(pic, port - PIC_MASTER_PORT, 1, &v);
    return (uint8_t)v;
}

/* What Linux's init_8259A(0) writes. */
static void linux_init(void)
{
    outb(0xff, 0x21);            /* mask all of 8259A-1 */
    outb(0x11, 0x20);            /* ICW1: edge, cascade, ICW4 */
    outb(0x30, 0x21);            /* ICW2: IRQ0 -> vector 0x30 */
    outb(0x04, 0x21);            /* ICW3: slave on IR2 */
    outb(0x01, 0x21);            /* ICW4: 8086, normal EOI */
    outb(0x11, 0xA0);
    outb(0x38, 0xA1);
    outb(0x02, 0xA1);            /* slave ID 2 */
    outb(0x01, 0xA1);
    outb(0xff, 0xA1);            /* mask all of 8259A-2 */
    outb(0xfb, 0x21);            /* all but the cascade masked */
}

static int setup(void **state UNUSED)
{
    kicks = 0;
    pic = vpic_create(t_kick, NULL);
    return pic ? 0 : -1;
}
static int teardown(void **state UNUSED)
{
    free(pic);
    return 0;
}

static void test_linux_probe(void **state UNUSED)
{
    /* probe_8259A(): write the IMR, read it back. */
    outb(0xff, 0xA1);
    outb(0xfb, 0x21);
    assert_int_equal(inb(0x21), 0xfb);
    assert_int_equal(inb(0xA1), 0xff);
    linux_init();
    assert_int_equal(inb(0x21), 0xfb);
    assert_int_equal(inb(0xA1), 0xff);
    assert_int_equal(vpic_pending_vector(pic), -1);
}

static void test_irq_isr_eoi(void **state UNUSED)
{
    linux_init();
    outb(0xfa, 0x21);                              /* unmask IRQ0 */
    vpic_set_irq(pic, 0, true);
    vpic_set_irq(pic, 0, false);
    assert_int_equal(kicks, 1);
    outb(0x0a, 0x20);                              /* OCW3: read IRR */
    assert_int_equal(inb(0x20), 0x01);
    assert_int_equal(vpic_pending_vector(pic), 0x30);
    assert_int_equal(vpic_ack(pic), 0x30);
    assert_int_equal(inb(0x20), 0x00);             /* edge consumed */
    outb(0x0b, 0x20);                              /* OCW3: read ISR */
    assert_int_equal(inb(0x20), 0x01);
    /* A second IRQ0 waits for the EOI (fully nested). */
    vpic_set_irq(pic, 0, true);
    vpic_set_irq(pic, 0, false);
    assert_int_equal(vpic_pending_vector(pic), -1);
    /* A masked IRQ latches in the IRR but raises nothing. */
    vpic_set_irq(pic, 1, true);
    assert_int_equal(vpic_pending_vector(pic), -1);
    outb(0x60, 0x20);                              /* specific EOI IR0 */
    assert_int_equal(inb(0x20), 0x00);
    assert_int_equal(vpic_pending_vector(pic), 0x30);
    assert_int_equal(vpic_ack(pic), 0x30);
    outb(0x20, 0x20);                              /* non-specific EOI */
    assert_int_equal(inb(0x20), 0x00);
    outb(0xf8, 0x21);                              /* unmask IRQ1 */
    assert_int_equal(vpic_ack(pic), 0x31);
}

static void test_priority(void **state UNUSED)
{
    linux_init();
    outb(0x00, 0x21);
    vpic_set_irq(pic, 4, true);
    assert_int_equal(vpic_ack(pic), 0x34);
    vpic_set_irq(pic, 3, true);                    /* higher: nests */
    assert_int_equal(vpic_pending_vector(pic), 0x33);
    assert_int_equal(vpic_ack(pic), 0x33);
    vpic_set_irq(pic, 5, true);                    /* lower: waits */
    assert_int_equal(vpic_pending_vector(pic), -1);
    outb(0x20, 0x20);                              /* ends IR3 */
    outb(0x0b, 0x20);
    assert_int_equal(inb(0x20), 0x10);
    outb(0x20, 0x20);                              /* ends IR4 */
    assert_int_equal(vpic_ack(pic), 0x35);
    /* Set priority: IR5 lowest, so IR6 is now the highest. */
    outb(0x20, 0x20);
    outb(0xC5, 0x20);
    vpic_set_irq(pic, 1, true);
    vpic_set_irq(pic, 6, true);
    assert_int_equal(vpic_ack(pic), 0x36);
}

static void test_cascade(void **state UNUSED)
{
    linux_init();
    outb(0xfe, 0xA1);                              /* unmask IRQ8 */
    vpic_set_irq(pic, 8, true);
    assert_int_equal(vpic_pending_vector(pic), 0x38);
    assert_int_equal(vpic_ack(pic), 0x38);
    outb(0x0b, 0x20);
    outb(0x0b, 0xA0);
    assert_int_equal(inb(0x20), 0x04);
    assert_int_equal(inb(0xA0), 0x01);
    outb(0x60, 0xA0);                              /* Linux: slave, then */
    outb(0x62, 0x20);                              /* master IR2 */
    assert_int_equal(inb(0x20), 0x00);
    assert_int_equal(inb(0xA0), 0x00);
    /* Two slave IRQs in a row are both seen. */
    outb(0xf8 & 0xfe, 0xA1);
    outb(0xfa, 0xA1);                              /* IRQ8 and IRQ10 */
    vpic_set_irq(pic, 8, false);
    vpic_set_irq(pic, 8, true);
    vpic_set_irq(pic, 10, true);
    assert_int_equal(vpic_ack(pic), 0x38);
    outb(0x20, 0xA0);
    outb(0x20, 0x20);
    assert_int_equal(vpic_ack(pic), 0x3A);
}

static void test_level_elcr(void **state UNUSED)
{
    linux_init();
    outb(0x02, 0x4D1);                             /* IRQ9 level */
    outb(0xff, 0x4D0);
    assert_int_equal(inb(0x4D0), PIC_ELCR_MASK_MASTER);
    assert_int_equal(inb(0x4D1), 0x02);
    outb(0xfd, 0xA1);
    vpic_set_irq(pic, 9, true);
    assert_int_equal(vpic_ack(pic), 0x39);
    outb(0x20, 0xA0);
    outb(0x20, 0x20);
    assert_int_equal(vpic_pending_vector(pic), 0x39);  /* still high */
    vpic_set_irq(pic, 9, false);
    assert_int_equal(vpic_pending_vector(pic), -1);
}

static void test_spurious_poll_aeoi(void **state UNUSED)
{
    linux_init();
    outb(0xfe, 0x21);
    /* INTA with nothing pending: spurious IRQ7, no ISR bit. */
    assert_int_equal(vpic_ack(pic), 0x37);
    outb(0x0b, 0x20);
    assert_int_equal(inb(0x20), 0);
    /* Poll. */
    vpic_set_irq(pic, 0, true);
    outb(0x0c, 0x20);
    assert_int_equal(inb(0x20), 0x80);
    assert_int_equal(inb(0x20), 0x01);             /* ISR (OCW3 RR=11 kept) */
    outb(0x20, 0x20);
    outb(0x0c, 0x20);
    assert_int_equal(inb(0x20), 0x00);
    /* Auto-EOI: nothing stays in service. */
    outb(0x11, 0x20);
    outb(0x08, 0x21);
    outb(0x04, 0x21);
    outb(0x03, 0x21);
    outb(0xfe, 0x21);
    vpic_set_irq(pic, 0, false);
    vpic_set_irq(pic, 0, true);
    assert_int_equal(vpic_ack(pic), 0x08);
    outb(0x0b, 0x20);
    assert_int_equal(inb(0x20), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_linux_probe),
        T(test_irq_isr_eoi),
        T(test_priority),
        T(test_cascade),
        T(test_level_elcr),
        T(test_spurious_poll_aeoi),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
