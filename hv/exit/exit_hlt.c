/* HLT exits (hv/exit/exit.h): the vCPU idles until an interrupt is
 * pending; "cli; hlt" on every vCPU ends the VM. SDM 2A "HLT". */
#include "hv/core/inject.h"
#include "hv/core/vm.h"
#include "hv/exit/exit.h"

void exit_handle_hlt(struct vcpu *v, const struct vm_exit *exit)
{
    /* LAB 1 BEGIN: HLT idles the vCPU; cli; hlt everywhere ends the VM */
    struct vm *vm = v->vm;

    if (vcpu_skip_insn(v, exit))
        return;
    if (inject_pending(v) && (v->state.rflags & RFLAGS_IF))
        return;   /* an interrupt is already waiting: HLT ends at once */
    v->run_state = VCPU_HALTED;
    /* With IF=0 only NMI, INIT or SMI could wake the vCPU, and Keel sends
     * none of those to a halted guest: "cli; hlt" is the end. When every
     * vCPU has done it, the VM has ended. */
    if (v->state.rflags & RFLAGS_IF)
        return;
    for (unsigned i = 0; i < vm->nr_vcpus; i++) {
        const struct vcpu *o = vm->vcpus[i];
        if (o->run_state != VCPU_HALTED && o->run_state != VCPU_WAIT_SIPI)
            return;
        if (o->run_state == VCPU_HALTED && (o->state.rflags & RFLAGS_IF))
            return;
    }
    vm_stop(vm, VM_END_HALTED, "every vCPU halted with interrupts disabled "
            "(last at rip %#llx)", (unsigned long long)v->state.rip);
    /* LAB 1 STUB
    vm_crash(v->vm, "lab 1: exit_handle_hlt is not written");
    */
    /* LAB 1 END */
}
