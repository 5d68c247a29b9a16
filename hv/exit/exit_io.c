/* Port I/O exits (hv/exit/exit.h): IN and OUT reach the VM's port bus; a
 * port nobody claims reads all-ones and ignores writes, as an ISA bus with
 * nothing driving it does. SDM 2A "IN", "OUT"; APM2 15.10.2 "IN and OUT
 * Behavior". */
#include "hv/core/vm.h"
#include "hv/dev/bus.h"
#include "hv/exit/exit.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/once.h"

/* Write an IN result into RAX as the CPU would: 8- and 16-bit results
 * merge into AL/AX, a 32-bit result zero-extends (SDM 3A 3.4.1.1). */
static void set_in_result(struct vcpu *v, unsigned size, uint64_t val)
{
    /* LAB 3 BEGIN: merge an IN result into RAX by operand size */
    uint64_t *rax = &v->state.gpr[GPR_RAX];
    if (size == 4)
        *rax = (uint32_t)val;
    else if (size == 2)
        *rax = (*rax & ~0xffffULL) | (val & 0xffff);
    else
        *rax = (*rax & ~0xffULL) | (val & 0xff);
    /* LAB 3 STUB
    v->state.gpr[GPR_RAX] = val;
    */
    /* LAB 3 END */
}

/* Log an access to a port no device claims, once per port (lib/once.h:
 * when the table is full, further ports are still handled, not logged).
 * Reads of such ports return all-ones, as on an ISA bus with nothing
 * driving it; writes are dropped. */
static void log_unclaimed_port(const struct vm *vm, uint16_t port, bool in)
{
    ONCE_TABLE(seen, 64, "unclaimed ports");
    once_log(&seen, port, LOG_INFO,
             "vm %s: %s unclaimed port %#x (%s; logged once per port)",
             vm->name, in ? "IN from" : "OUT to", port,
             in ? "reads all-ones" : "ignored");
}

void exit_handle_io(struct vcpu *v, const struct vm_exit *exit)
{
    struct vm *vm = v->vm;
    uint16_t port = exit->io.port;
    unsigned size = exit->io.size;
    uint64_t mask = bus_all_ones(size);

    if (exit->io.string) {
        vm_crash(vm, "string I/O (INS/OUTS) on port %#x is not supported",
                 port);
        return;
    }
    if (exit->io.in) {
        uint64_t val;
        int err = bus_read(&vm->pio, port, size, &val);
        if (err) {
            if (err == -ENOENT)
                log_unclaimed_port(vm, port, true);
            val = mask;
        }
        set_in_result(v, size, val);
    } else {
        uint64_t val = v->state.gpr[GPR_RAX] & mask;
        int err = bus_write(&vm->pio, port, size, val);
        if (err == -ENOENT)
            log_unclaimed_port(vm, port, false);
    }
    vcpu_skip_insn(v, exit);
}
