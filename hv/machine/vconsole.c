/* Guest console multiplexing (hv/machine/vconsole.h). */
#include "drivers/console.h"
#include "hv/core/config.h"
#include "hv/core/vm.h"
#include "hv/dev/uart16550.h"
#include "hv/machine/vconsole.h"
#include "lib/log.h"
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

/* The index of the VM typed input goes to; moved by next_target. */
static unsigned input_idx;

static bool takes_input(struct vm *vm)
{
    return vm_running(vm) && vm->uart;
}

/* The first VM that takes input among vms[from], vms[from + 1], ...
 * cyclically over all n, or -1. */
static int first_from(struct vm **vms, unsigned n, unsigned from)
{
    for (unsigned k = 0; k < n; k++)
        if (takes_input(vms[(from + k) % n]))
            return (int)((from + k) % n);
    return -1;
}

static void announce(struct vm *vm, unsigned dropped)
{
    if (dropped)
        kprintf("keel: console input -> vm %s (%u typed bytes dropped)\n",
                vm->name, dropped);
    else
        kprintf("keel: console input -> vm %s\n", vm->name);
}

int vconsole_input_vm(struct vm **vms, unsigned n)
{
    if (n == 0)
        return -1;
    if (input_idx >= n)
        input_idx = 0;
    if (takes_input(vms[input_idx]))
        return (int)input_idx;
    /* The input VM ended: the next running one takes over. */
    int i = first_from(vms, n, input_idx + 1);
    if (i >= 0) {
        input_idx = (unsigned)i;
        announce(vms[i], 0);
    }
    return i;
}

/* The VM typed input goes to, or NULL. */
static struct vm *input_target(struct vm **vms, unsigned n)
{
    int i = vconsole_input_vm(vms, n);
    return i < 0 ? NULL : vms[i];
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

/* Ctrl-] n: the bytes typed so far go to the old input VM as far as it
 * takes them, the rest are dropped; then the next running VM has input. */
static struct vm *next_target(struct vm **vms, unsigned n, struct vm *old)
{
    if (!old)
        return NULL;
    feed_guest(old);
    unsigned dropped = inq_count;
    inq_count = 0;
    int i = first_from(vms, n, input_idx + 1);  /* old itself if alone */
    input_idx = (unsigned)i;
    announce(vms[i], dropped);
    return vms[i];
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
        if (c == VCONSOLE_NEXT_VM) {
            /* The monitor may have run inside key(): look again. */
            target = next_target(vms, n, input_target(vms, n));
            continue;
        }
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
