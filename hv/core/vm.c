/* A VM's state changes: how it ends, its crash report, a requested reset
 * (hv/core/vm.h). Building and resetting a VM is hv/machine/machine.c. */
#include <stdarg.h>
#include "drivers/timer.h"
#include "hv/core/vm.h"
#include "lib/log.h"
#include "lib/printf.h"

const char *vm_end_name(enum vm_end end)
{
    static const char *const names[] = {
        [VM_END_NONE] = "running",
        [VM_END_DEBUG_EXIT] = "debug-exit",
        [VM_END_POWEROFF] = "power-off",
        [VM_END_RESET] = "reset",
        [VM_END_HALTED] = "halted",
        [VM_END_TRIPLE_FAULT] = "triple fault",
        [VM_END_CRASHED] = "crashed",
    };
    return end < ARRAY_SIZE(names) ? names[end] : "?";
}

void vm_request_reset(struct vm *vm, const char *why)
{
    if (!vm_running(vm) || vm->reset_pending)
        return;
    if (vm->console_flush)
        vm->console_flush(vm);
    log_info("vm %s: reset (%s): restarting it", vm->name, why);
    vm->reset_pending = true;
    /* vCPUs in the guest on other CPUs leave it: the reset waits for them. */
    for (unsigned i = 0; i < vm->nr_vcpus; i++)
        vcpu_kick(vm->vcpus[i]);
}

static void vm_vstop(struct vm *vm, enum vm_end end, const char *fmt,
                     va_list ap)
{
    if (!vm_running(vm))
        return;
    if (vm->console_flush)
        vm->console_flush(vm);
    vm->end = end;
    vm->end_ns = timer_now_ns();
    kvsnprintf(vm->end_reason, sizeof(vm->end_reason), fmt, ap);
    for (unsigned i = 0; i < vm->nr_vcpus; i++) {
        vm->vcpus[i]->run_state = VCPU_STOPPED;
        vcpu_kick(vm->vcpus[i]);   /* out of the guest on another CPU */
    }
    log_info("vm %s: ended (%s): %s", vm->name, vm_end_name(end),
             vm->end_reason);
}

void vm_stop(struct vm *vm, enum vm_end end, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vm_vstop(vm, end, fmt, ap);
    va_end(ap);
}

void vm_crash(struct vm *vm, const char *fmt, ...)
{
    va_list ap;
    if (!vm_running(vm))
        return;
    va_start(ap, fmt);
    vm_vstop(vm, VM_END_CRASHED, fmt, ap);
    va_end(ap);
    log_err("vm %s crashed: %s", vm->name, vm->end_reason);
    for (unsigned i = 0; i < vm->nr_vcpus; i++)
        vcpu_dump(vm->vcpus[i]);
}
