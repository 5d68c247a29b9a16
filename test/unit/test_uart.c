/* Host tests of the virtual 16550 (hv/dev/uart16550.c): transmit, receive
 * FIFO, the IIR priorities and the OUT2-gated interrupt line, loopback as
 * Linux's 8250 driver probes it, divisor latch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hv/dev/uart16550.h"

static char txbuf[64];
static unsigned txlen;
static int irq_level, irq_edges;

static void tx(void *ctx, uint8_t b) { (void)ctx; txbuf[txlen++] = (char)b; }
static void irq(void *ctx, bool level)
{
    (void)ctx;
    irq_level = level;
    irq_edges++;
}

static struct uart16550 u;

static uint8_t rd(unsigned off)
{
    uint64_t v = 0;
    assert_int_equal(uart_read(&u, off, 1, &v), 0);
    return (uint8_t)v;
}

static void wr(unsigned off, uint8_t v)
{
    assert_int_equal(uart_write(&u, off, 1, v), 0);
}

static int setup(void **state)
{
    uart_init(&u, tx, irq, NULL);
    txlen = 0;
    irq_level = 0;
    irq_edges = 0;
    return 0;
}

static void test_transmit_and_lsr(void **state)
{
    wr(0, 'h');
    wr(0, 'i');
    assert_int_equal(txlen, 2);
    assert_memory_equal(txbuf, "hi", 2);
    assert_int_equal(rd(5) & 0x61, 0x60);   /* THRE|TEMT, no data */
}

static void test_divisor_latch_does_not_transmit(void **state)
{
    wr(3, 0x80);          /* DLAB */
    wr(0, 0x0c);          /* DLL */
    wr(1, 0x00);          /* DLM */
    assert_int_equal(rd(0), 0x0c);
    wr(3, 0x03);
    assert_int_equal(txlen, 0);
    assert_int_equal(rd(3), 0x03);
}

static void test_receive_fifo_and_interrupt(void **state)
{
    wr(4, 0x08);          /* OUT2: the PC's interrupt gate */
    wr(1, 0x01);          /* ERBFI */
    assert_int_equal(irq_level, 0);
    assert_true(uart_receive(&u, 'a'));
    assert_true(uart_receive(&u, 'b'));
    assert_int_equal(irq_level, 1);
    assert_int_equal(rd(2) & 0x0f, 0x04);   /* received data available */
    assert_int_equal(rd(5) & 1, 1);
    assert_int_equal(rd(0), 'a');
    assert_int_equal(rd(0), 'b');
    assert_int_equal(rd(5) & 1, 0);
    assert_int_equal(irq_level, 0);
    assert_int_equal(rd(2) & 0x0f, 0x01);   /* no interrupt */
}

static void test_fifo_full_keeps_bytes(void **state)
{
    for (unsigned i = 0; i < UART_RX_FIFO; i++)
        assert_true(uart_receive(&u, (uint8_t)i));
    assert_false(uart_receive(&u, 0xff));
    assert_int_equal(uart_rx_room(&u), 0);
    assert_int_equal(rd(0), 0);
    assert_int_equal(uart_rx_room(&u), 1);
}

static void test_thr_empty_interrupt(void **state)
{
    wr(4, 0x08);
    wr(1, 0x02);          /* ETBEI: THR is empty, so it fires at once */
    assert_int_equal(irq_level, 1);
    assert_int_equal(rd(2) & 0x0f, 0x02);   /* reading IIR acknowledges */
    assert_int_equal(irq_level, 0);
    wr(0, 'x');           /* the byte goes out, THR empty again */
    assert_int_equal(irq_level, 1);
}

static void test_out2_gates_the_line(void **state)
{
    wr(1, 0x01);
    uart_receive(&u, 'z');
    assert_int_equal(irq_level, 0);         /* OUT2 clear */
    wr(4, 0x08);
    assert_int_equal(irq_level, 1);
}

static void test_loopback_as_linux_probes(void **state)
{
    wr(4, 0x1a);          /* LOOP | OUT2 | RTS */
    assert_int_equal(rd(6) & 0xf0, 0x90);   /* CTS | DCD */
    wr(4, 0x1f);          /* all outputs */
    assert_int_equal(rd(6) & 0xf0, 0xf0);
    wr(0, 'K');
    assert_int_equal(txlen, 0);             /* looped back, not sent */
    assert_int_equal(rd(0), 'K');
}

static void test_scratch_and_wide_access(void **state)
{
    uint64_t v;
    wr(7, 0x5a);
    assert_int_equal(rd(7), 0x5a);
    assert_int_equal(uart_read(&u, 0, 2, &v), 0);
    assert_int_equal(v, 0xffff);            /* ISA: no 16-bit registers */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_transmit_and_lsr, setup),
        cmocka_unit_test_setup(test_divisor_latch_does_not_transmit, setup),
        cmocka_unit_test_setup(test_receive_fifo_and_interrupt, setup),
        cmocka_unit_test_setup(test_fifo_full_keeps_bytes, setup),
        cmocka_unit_test_setup(test_thr_empty_interrupt, setup),
        cmocka_unit_test_setup(test_out2_gates_the_line, setup),
        cmocka_unit_test_setup(test_loopback_as_linux_probes, setup),
        cmocka_unit_test_setup(test_scratch_and_wide_access, setup),
    };
    return cmocka_run_group_tests_name("uart16550", tests, NULL, NULL);
}
