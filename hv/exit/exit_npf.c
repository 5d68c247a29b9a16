/* Nested page faults and EPT violations (hv/exit/exit.h): an access to a
 * device's guest-physical range is emulated instruction by instruction
 * (hv/emulate) against the VM's MMIO bus; anything else is a guest bug.
 * APM2 15.25.6 "Nested versus Guest Page Faults, Fault Ordering"; SDM 3C
 * 28.3.3.2 "EPT Violations". */
#include "arch/x86/exception.h"
#include "hv/core/vm.h"
#include "hv/dev/bus.h"
#include "hv/emulate/emulate.h"
#include "hv/exit/exit.h"

void exit_handle_npf(struct vcpu *v, const struct vm_exit *exit)
{
    /* LAB 4 BEGIN: a nested page fault is either MMIO or a guest bug */
    struct vm *vm = v->vm;
    gpa_t gpa = exit->npf.gpa;

    if (!bus_find(&vm->mmio, gpa)) {
        vm_crash(vm, "%s of unmapped guest-physical address %#llx at rip "
                 "%#llx", exit->npf.fetch ? "instruction fetch" :
                 exit->npf.write ? "write" : "read",
                 (unsigned long long)gpa, (unsigned long long)v->state.rip);
        return;
    }
    struct emu_ops ops;
    struct emu_result res = { 0 };
    vcpu_emu_ops(v, &ops);
    switch (emulate_insn(&v->state, &ops, &res)) {
    case EMU_OK:
        v->state.interrupt_shadow = false;
        return;
    case EMU_FAULT:
        vcpu_inject_exception(v, res.fault.vector, res.fault.has_error,
                              res.fault.error_code);
        if (res.fault.vector == VEC_PF)
            v->state.cr2 = res.fault.cr2;
        return;
    case EMU_UNHANDLED: {
        char hex[3 * 15 + 1];
        for (unsigned i = 0; i < res.nbytes && i < 15; i++) {
            static const char digits[] = "0123456789abcdef";
            hex[i * 3] = digits[res.bytes[i] >> 4];
            hex[i * 3 + 1] = digits[res.bytes[i] & 15];
            hex[i * 3 + 2] = ' ';
        }
        hex[res.nbytes ? res.nbytes * 3 - 1 : 0] = '\0';
        vm_crash(vm, "cannot emulate the instruction at rip %#llx (bytes "
                 "%s) accessing MMIO %#llx", (unsigned long long)v->state.rip,
                 hex, (unsigned long long)gpa);
        return;
    }
    case EMU_ERROR:
        vm_crash(vm, "MMIO access to %#llx at rip %#llx failed",
                 (unsigned long long)gpa, (unsigned long long)v->state.rip);
        return;
    }
    /* LAB 4 STUB
    vm_crash(v->vm, "lab 4: exit_handle_npf is not written (gpa %#llx)",
             (unsigned long long)exit->npf.gpa);
    */
    /* LAB 4 END */
}
