/* Host tests of the typed-input path (hv/machine/vconsole.c): bytes from
 * Keel's console reach the guest's 16550 in order, however many arrive at
 * once and however slowly the guest reads; what neither the guest's FIFO
 * nor Keel's ring can hold stays unread at the console (back-pressure),
 * and nothing is dropped while a guest runs. (The monitor's key filter in
 * front of it is tested in test_monitor.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/serial.h"
#include "hv/core/vm.h"
#include "hv/debug/monitor.h"
#include "hv/dev/uart16550.h"
#include "hv/machine/vconsole.h"
#include "test/unit/host_stubs.h"

/* The console's bytes, unfiltered (the scheduler puts the monitor's key
 * filter in front; test_monitor tests that). */
static int key(void)
{
    return serial_getc();
}

static struct uart16550 uart;
static struct vm vm;
static struct vm *vms[1] = { &vm };

static void type(const uint8_t *bytes, size_t n)
{
    stub_console_in = bytes;
    stub_console_in_len = n;
    stub_console_in_pos = 0;
}

/* The guest reads everything in its receive FIFO (RBR at offset 0). */
static size_t guest_read(uint8_t *out)
{
    size_t n = 0;
    while (uart_rx_room(&uart) < UART_RX_FIFO) {
        uint64_t v;
        uart_read(&uart, 0, 1, &v);
        out[n++] = (uint8_t)v;
    }
    return n;
}

static int setup(void **state)
{
    (void)state;
    memset(&vm, 0, sizeof(vm));
    vm.uart = &uart;
    uart_init(&uart, NULL, NULL, NULL);
    /* Drain what an earlier test left in the ring. */
    type(NULL, 0);
    uint8_t sink[UART_RX_FIFO];
    while (vconsole_input_queued() || uart_rx_room(&uart) < UART_RX_FIFO) {
        vconsole_poll_input(vms, 1, key);
        guest_read(sink);
    }
    return 0;
}

/* A burst bigger than the guest's FIFO and Keel's ring together: the
 * guest reads a FIFO-full at a time, Keel polls in between; every byte
 * arrives once, in order, and Keel never reads the console ahead of room
 * in its ring. */
static void test_burst_in_order_with_back_pressure(void **state)
{
    (void)state;
    enum { N = VCONSOLE_INPUT_RING + 3 * UART_RX_FIFO + 17 };
    static uint8_t in[N], got[N + UART_RX_FIFO];
    for (size_t i = 0; i < N; i++)
        in[i] = (uint8_t)('a' + i % 26);   /* no escape byte */
    type(in, N);

    /* The first look fills the ring and then the guest's FIFO from it;
     * the second tops the ring up again. */
    assert_true(vconsole_poll_input(vms, 1, key));
    assert_true(vconsole_poll_input(vms, 1, key));
    assert_false(vconsole_poll_input(vms, 1, key));   /* no room: reads nothing */
    assert_int_equal(uart_rx_room(&uart), 0);              /* FIFO full */
    assert_int_equal(vconsole_input_queued(), VCONSOLE_INPUT_RING);
    /* The rest is still unread at the console, not dropped. */
    assert_int_equal(stub_console_in_pos,
                     UART_RX_FIFO + VCONSOLE_INPUT_RING);

    size_t n = 0;
    for (unsigned rounds = 0; n < N && rounds < 1000; rounds++) {
        n += guest_read(got + n);
        vconsole_poll_input(vms, 1, key);
    }
    assert_int_equal(n, N);
    assert_memory_equal(got, in, N);
    assert_int_equal(vconsole_input_queued(), 0);
}

/* No running VM: typed bytes are read and dropped (nobody to type to),
 * so the console does not fill up behind a machine that has ended. */
static void test_no_guest_drops(void **state)
{
    (void)state;
    static const uint8_t in[] = "abc";
    vm.end = VM_END_NONE + 1;
    type(in, 3);
    vconsole_poll_input(vms, 1, key);
    assert_int_equal(stub_console_in_pos, 3);
    assert_int_equal(vconsole_input_queued(), 0);
    vm.end = VM_END_NONE;
}

/* ---- two VMs: Ctrl-] n and a VM that ends move the input ------------- */

static struct uart16550 uart2;
static struct vm vm2;
static struct vm *two[2] = { &vm, &vm2 };

/* A scripted key source: bytes and VCONSOLE_NEXT_VM, then -1. */
static const int *script;
static size_t script_len, script_pos;

static int script_key(void)
{
    return script_pos < script_len ? script[script_pos++] : -1;
}

static const char *poll_two(const int *keys, size_t n)
{
    script = keys;
    script_len = n;
    script_pos = 0;
    stub_capture_begin();
    vconsole_poll_input(two, 2, script_key);
    return stub_capture_end();
}

static size_t read_uart(struct uart16550 *u, uint8_t *out)
{
    size_t n = 0;
    while (uart_rx_room(u) < UART_RX_FIFO) {
        uint64_t v;
        uart_read(u, 0, 1, &v);
        out[n++] = (uint8_t)v;
    }
    return n;
}

static int setup_two(void **state)
{
    setup(state);
    strcpy(vm.name, "one");
    memset(&vm2, 0, sizeof(vm2));
    strcpy(vm2.name, "two");
    vm2.id = 1;
    vm2.uart = &uart2;
    uart_init(&uart2, NULL, NULL, NULL);
    /* Each test starts with the input at vm one. */
    static const int next[] = { VCONSOLE_NEXT_VM };
    while (vconsole_input_vm(two, 2) != 0)
        poll_two(next, 1);
    return 0;
}

/* Input starts at the first VM; Ctrl-] n moves it to the second, then
 * round to the first again; each move is logged. */
static void test_next_vm_switches_input(void **state)
{
    (void)state;
    uint8_t got[UART_RX_FIFO];
    static const int keys[] = { 'a', VCONSOLE_NEXT_VM, 'b', 'c' };
    static const int back[] = { VCONSOLE_NEXT_VM, 'd' };

    assert_int_equal(vconsole_input_vm(two, 2), 0);
    assert_string_equal(poll_two(keys, 4), "keel: console input -> vm two\n");
    assert_int_equal(read_uart(&uart, got), 1);
    assert_memory_equal(got, "a", 1);
    assert_int_equal(read_uart(&uart2, got), 2);
    assert_memory_equal(got, "bc", 2);
    assert_int_equal(vconsole_input_vm(two, 2), 1);

    assert_string_equal(poll_two(back, 2), "keel: console input -> vm one\n");
    assert_int_equal(read_uart(&uart, got), 1);
    assert_memory_equal(got, "d", 1);
    assert_int_equal(read_uart(&uart2, got), 0);
}

/* Bytes the old VM cannot take when Ctrl-] n comes are dropped, never
 * handed to the new one; the log line counts them. */
static void test_next_vm_drops_what_old_cannot_take(void **state)
{
    (void)state;
    int keys[UART_RX_FIFO + 5];
    uint8_t got[UART_RX_FIFO];
    for (unsigned i = 0; i < UART_RX_FIFO + 3; i++)
        keys[i] = 'x';
    keys[UART_RX_FIFO + 3] = VCONSOLE_NEXT_VM;
    keys[UART_RX_FIFO + 4] = 'y';

    assert_int_equal(vconsole_input_vm(two, 2), 0);
    assert_string_equal(poll_two(keys, ARRAY_SIZE(keys)),
                        "keel: console input -> vm two (3 typed bytes "
                        "dropped)\n");
    assert_int_equal(read_uart(&uart, got), UART_RX_FIFO);
    assert_int_equal(read_uart(&uart2, got), 1);
    assert_memory_equal(got, "y", 1);
    assert_int_equal(vconsole_input_queued(), 0);
}

/* When the input VM ends, the next running one gets the input (logged);
 * with one VM left, Ctrl-] n stays on it. */
static void test_input_follows_ended_vm(void **state)
{
    (void)state;
    uint8_t got[UART_RX_FIFO];
    static const int keys[] = { 'e', VCONSOLE_NEXT_VM, 'f' };

    vm.end = VM_END_NONE + 1;
    assert_string_equal(poll_two(keys, 3),
                        "keel: console input -> vm two\n"
                        "keel: console input -> vm two\n");
    assert_int_equal(read_uart(&uart2, got), 2);
    assert_memory_equal(got, "ef", 2);
    vm.end = VM_END_NONE;
    vm2.end = VM_END_NONE + 1;
    assert_int_equal(vconsole_input_vm(two, 2), 0);
    vm2.end = VM_END_NONE;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_burst_in_order_with_back_pressure, setup),
        cmocka_unit_test_setup(test_no_guest_drops, setup),
        cmocka_unit_test_setup(test_next_vm_switches_input, setup_two),
        cmocka_unit_test_setup(test_next_vm_drops_what_old_cannot_take,
                               setup_two),
        cmocka_unit_test_setup(test_input_follows_ended_vm, setup_two),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
