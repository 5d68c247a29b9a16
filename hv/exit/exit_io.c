/* Port I/O exits (hv/exit/exit.h): IN and OUT reach the VM's port bus; a
 * port nobody claims reads all-ones and ignores writes, as an ISA bus with
 * nothing driving it does. INS/OUTS go through the instruction emulator.
 * SDM 2A "IN", "OUT", "INS", "OUTS"; APM2 15.10.2 "IN and OUT Behavior". */
#include "arch/x86/exception.h"
#include "hv/core/vendor.h"
#include "hv/core/vm.h"
#include "hv/dev/bus.h"
#include "hv/dev/pci_host.h"
#include "hv/emulate/emulate.h"
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

/* A port read or write as the VM's port bus answers it: an unclaimed
 * port reads all-ones and drops writes (logged once per port). ctx is the
 * vCPU; these are also the emulator's pio callbacks for INS/OUTS. Return
 * 0 (a port access itself never fails the VM). */
static int port_read(void *ctx, uint16_t port, unsigned size, uint32_t *val)
{
    struct vm *vm = ((struct vcpu *)ctx)->vm;
    uint64_t v;
    int err = bus_read(&vm->pio, port, size, &v);

    if (err) {
        if (err == -ENOENT)
            log_unclaimed_port(vm, port, true);
        v = bus_all_ones(size);
    }
    *val = (uint32_t)(v & bus_all_ones(size));
    return 0;
}

static int port_write(void *ctx, uint16_t port, unsigned size, uint32_t val)
{
    struct vm *vm = ((struct vcpu *)ctx)->vm;
    int err = bus_write(&vm->pio, port, size, val & bus_all_ones(size));

    if (err == -ENOENT)
        log_unclaimed_port(vm, port, false);
    return 0;
}

/* INS/OUTS: the emulator carries out the instruction at RIP (operand and
 * address size, segment override, DF, REP) with memory through the
 * guest's page tables and ports through port_read/port_write. A REP form
 * does a bounded batch per exit and leaves RIP on the instruction, so the
 * guest exits again for the rest (SDM 2 "REP": interruptible between
 * iterations). The CPU has already checked I/O permission (IOPL, the TSS
 * bitmap) before the exit: SDM 3C 26.1.1, APM2 15.10.2. */
static void string_io(struct vcpu *v)
{
    struct emu_ops ops;
    struct emu_result res;

    vcpu_emu_ops(v, &ops);
    ops.pio_read = port_read;
    ops.pio_write = port_write;
    switch (emulate_string_io(&v->state, &ops, &res)) {
    case EMU_OK:
        vcpu_complete_insn(v);
        return;
    case EMU_FAULT:
        vcpu_inject_emu_fault(v, &res);
        return;
    case EMU_UNHANDLED:
        vm_crash(v->vm, "string I/O exit at rip %#llx, but the instruction "
                 "there is not INS/OUTS", (unsigned long long)v->state.rip);
        return;
    case EMU_ERROR:
        vm_crash(v->vm, "string I/O at rip %#llx: guest memory access failed",
                 (unsigned long long)v->state.rip);
        return;
    }
}

/* The pio callbacks of the pair below: only CONFIG_DATA, every other port
 * refused (-ENOTSUP: the emulator then leaves that instruction alone). */
static bool config_data(uint16_t port, unsigned size)
{
    return port >= PCI_CONFIG_DATA && port + size <= PCI_CONFIG_DATA + 4;
}

static int data_read(void *ctx, uint16_t port, unsigned size, uint32_t *val)
{
    if (!config_data(port, size))
        return -ENOTSUP;
    ((struct vcpu *)ctx)->io_paired++;
    return port_read(ctx, port, size, val);
}

static int data_write(void *ctx, uint16_t port, unsigned size, uint32_t val)
{
    if (!config_data(port, size))
        return -ENOTSUP;
    ((struct vcpu *)ctx)->io_paired++;
    return port_write(ctx, port, size, val);
}

/* Instructions carried out after an OUT to CONFIG_ADDRESS, at most. */
#define PCI_PAIR_MAX_INSNS 2

/* A PCI configuration access by mechanism #1 is a pair: OUT CONFIG_ADDRESS
 * then IN or OUT at CONFIG_DATA a few bytes on (Linux's pci_conf1_read:
 * OUT DX, EAX; MOV EDX, 0CFCh; IN EAX, DX), two exits. Right after the OUT
 * to CONFIG_ADDRESS has been handled, Keel carries out up to
 * PCI_PAIR_MAX_INSNS next instructions itself while they are MOV reg, imm
 * or IN/OUT at CONFIG_DATA, exactly as the guest would (emulate_port_insn),
 * and stops at the first other one, which the guest then runs. Not when
 * the guest could tell: single-stepping (RFLAGS.TF), breakpoints armed in
 * DR7, an event queued for the next entry. (Issue 12: Linux's GART
 * aperture search on an AMD family 0Fh CPU makes 16,384 such pairs.) */
static void pci_config_pair(struct vcpu *v)
{
    struct emu_ops ops;
    struct emu_result res;

    if ((v->state.rflags & RFLAGS_TF) || v->event.valid ||
        vendor->breakpoints_armed(v))
        return;
    vcpu_emu_ops(v, &ops);
    ops.pio_read = data_read;
    ops.pio_write = data_write;
    for (int i = 0; i < PCI_PAIR_MAX_INSNS; i++) {
        uint64_t before = v->io_paired;
        if (emulate_port_insn(&v->state, &ops, &res) != EMU_OK)
            return;
        vcpu_complete_insn(v);
        if (v->io_paired != before)
            return;                   /* the CONFIG_DATA access: done */
    }
}

void exit_handle_io(struct vcpu *v, const struct vm_exit *exit)
{
    uint16_t port = exit->io.port;
    unsigned size = exit->io.size;
    uint32_t val;

    if (exit->io.string) {
        string_io(v);
        return;
    }
    if (exit->io.in) {
        port_read(v, port, size, &val);
        set_in_result(v, size, val);
    } else {
        port_write(v, port, size, (uint32_t)v->state.gpr[GPR_RAX]);
    }
    if (vcpu_skip_insn(v, exit) == 0 && !exit->io.in &&
        port == PCI_CONFIG_ADDRESS && size == 4)
        pci_config_pair(v);
}
