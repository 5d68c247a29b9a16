/* The debug-exit device (hv/machine/debug_exit.h): an OUT to the port
 * stops the VM with the value as its status; nothing else does. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/platform.h"
#include "hv/core/vm.h"
#include "hv/dev/bus.h"
#include "hv/machine/debug_exit.h"
#include "lib/errno.h"

#define UNUSED __attribute__((unused))

/* hv/core/vm.c pulls in the whole hypervisor; this stand-in records what
 * the device asked for. */
static enum vm_end stopped_with = VM_END_NONE;
static char stop_reason[160];

void vm_stop(struct vm *vm, enum vm_end end, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(stop_reason, sizeof(stop_reason), fmt, ap);
    va_end(ap);
    stopped_with = end;
    vm->end = end;
}

static void test_write_stops_vm(void **state UNUSED)
{
    static struct vm vm = { .name = "t" };
    uint64_t val;

    assert_int_equal(debug_exit_register(&vm), 0);
    assert_int_equal(debug_exit_register(&vm), -EBUSY);
    /* One port wide: the next port is not the device's. */
    assert_int_equal(bus_write(&vm.pio, DEBUG_EXIT_PORT + 1, 1, 0), -ENOENT);
    assert_int_equal(bus_read(&vm.pio, DEBUG_EXIT_PORT, 2, &val), 0);
    assert_true(val == 0xffff);
    assert_int_equal(stopped_with, VM_END_NONE);
    assert_int_equal(bus_write(&vm.pio, DEBUG_EXIT_PORT, 4, 3), 0);
    assert_int_equal(stopped_with, VM_END_DEBUG_EXIT);
    assert_int_equal(vm.exit_status, 3);
    assert_string_equal(stop_reason, "wrote 0x3 to port 0xf4");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_stops_vm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
