/* Guest console multiplexing (hv/machine/vconsole.h). */
#include "hv/core/config.h"
#include "hv/dev/uart16550.h"
#include "lib/printf.h"
#include "hv/debug/monitor.h"
#include "drivers/serial.h"
#include "hv/machine/vconsole.h"
#include "hv/core/vm.h"

#define LINE_MAX 256

static bool raw_mode = true;
static char line[CFG_MAX_VMS][LINE_MAX];
static unsigned line_len[CFG_MAX_VMS];
static int pending_in = -1;   /* a typed byte the guest had no room for */
static struct {
    vconsole_input_fn receive;   /* NULL: the UART */
    void *dev;
} input[CFG_MAX_VMS];

void vconsole_set_raw(bool raw) { raw_mode = raw; }

void vconsole_flush(struct vm *vm)
{
    unsigned id = vm->id % CFG_MAX_VMS;
    if (raw_mode || !line_len[id])
        return;
    char out[LINE_MAX + CFG_NAME_MAX + 8];
    int n = ksnprintf(out, sizeof(out), "[%s] %.*s\n", vm->name,
                      (int)line_len[id], line[id]);
    serial_write(out, (size_t)MIN(n, (int)sizeof(out) - 1));
    line_len[id] = 0;
}

void vconsole_putc(struct vm *vm, char c)
{
    if (raw_mode) {
        serial_write_raw(&c, 1);
        return;
    }
    unsigned id = vm->id % CFG_MAX_VMS;
    if (c == '\r')
        return;
    if (c == '\n' || line_len[id] == LINE_MAX) {
        vconsole_flush(vm);
        if (c == '\n')
            return;
    }
    line[id][line_len[id]++] = c;
}

void vconsole_set_input(struct vm *vm, vconsole_input_fn receive, void *dev)
{
    unsigned id = vm->id % CFG_MAX_VMS;
    input[id].receive = receive;
    input[id].dev = dev;
}

void vconsole_poll_input(struct vm **vms, unsigned n)
{
    struct vm *target = NULL;
    for (unsigned i = 0; i < n && !target; i++)
        if (vm_running(vms[i]) && vms[i]->uart)
            target = vms[i];
    for (;;) {
        /* monitor_getc takes the monitor's key sequence (Ctrl-] m) out
         * of the stream and runs the monitor while the guests wait. */
        int c = pending_in >= 0 ? pending_in : monitor_getc(vms, n);
        if (c < 0)
            return;
        pending_in = -1;
        if (!target)
            continue;   /* no guest to type to: drop */
        unsigned id = target->id % CFG_MAX_VMS;
        bool taken = input[id].receive
                         ? input[id].receive(input[id].dev, (uint8_t)c)
                         : uart_receive(target->uart, (uint8_t)c);
        if (!taken) {
            pending_in = c;   /* keep it until the guest reads */
            return;
        }
    }
}
