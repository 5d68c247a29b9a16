/* Guest console multiplexing (hv/machine/vconsole.h). */
#include "drivers/console.h"
#include "hv/core/config.h"
#include "hv/core/vm.h"
#include "hv/dev/uart16550.h"
#include "hv/machine/vconsole.h"
#include "lib/printf.h"

#define LINE_MAX 256

static bool raw_mode = true;
static char line[CFG_MAX_VMS][LINE_MAX];
static unsigned line_len[CFG_MAX_VMS];
/* Typed bytes read from Keel's console but not yet taken by the guest.
 * Keel reads the host UART only while this ring has room, so when a guest
 * reads slowly the bytes wait here, then in the host UART's FIFO, then in
 * the outer machine's serial back end (QEMU's chardev stops reading its
 * pty): back-pressure all the way to the typist, nothing dropped. */
static uint8_t inq[VCONSOLE_INPUT_RING];
static unsigned inq_head, inq_count;
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
    console_write(out, (size_t)MIN(n, (int)sizeof(out) - 1));
    line_len[id] = 0;
}

void vconsole_putc(struct vm *vm, char c)
{
    if (raw_mode) {
        console_write_raw(&c, 1);
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

/* The VM typed input goes to: the first one running with a console. */
static struct vm *input_target(struct vm **vms, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (vm_running(vms[i]) && vms[i]->uart)
            return vms[i];
    return NULL;
}

/* Offer queued bytes to vm's console input, oldest first, until it has no
 * room; returns how many it took. */
static unsigned feed_guest(struct vm *vm)
{
    unsigned id = vm->id % CFG_MAX_VMS, fed = 0;
    while (inq_count) {
        uint8_t c = inq[inq_head];
        bool taken = input[id].receive ? input[id].receive(input[id].dev, c)
                                       : uart_receive(vm->uart, c);
        if (!taken)
            break;
        inq_head = (inq_head + 1) % VCONSOLE_INPUT_RING;
        inq_count--;
        fed++;
    }
    return fed;
}

bool vconsole_poll_input(struct vm **vms, unsigned n, vconsole_key_fn key)
{
    bool moved = false;
    struct vm *target = input_target(vms, n);
    if (target)
        moved = feed_guest(target) > 0;
    while (inq_count < VCONSOLE_INPUT_RING) {
        int c = key();
        if (c < 0)
            break;
        moved = true;
        if (!target)
            continue;   /* no guest to type to: drop */
        inq[(inq_head + inq_count++) % VCONSOLE_INPUT_RING] = (uint8_t)c;
    }
    /* The monitor may have run inside key() (and a VM ended meanwhile):
     * look again. */
    target = input_target(vms, n);
    if (target)
        feed_guest(target);
    return moved;
}

unsigned vconsole_input_queued(void)
{
    return inq_count;
}
