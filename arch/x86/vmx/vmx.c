/* Intel VMX: not implemented yet (issue "Intel VMX + EPT"). The table is
 * complete so the vendor boundary is in place; detect() says plainly that
 * this build has no VMX support, and every other op refuses loudly. */
#include "hv/errno.h"
#include "hv/log.h"
#include "hv/panic.h"
#include "hv/vendor.h"
#include "hv/vm.h"

static int vmx_detect(void)
{
    log_err("VMX: Intel VMX support is not implemented in this build of "
            "Keel yet");
    return -ENOSYS;
}

static int vmx_unimplemented(void)
{
    log_err("VMX: not implemented");
    return -ENOSYS;
}

static int vmx_vm_init(struct vm *vm)
{
    (void)vm;
    return vmx_unimplemented();
}

static int vmx_vcpu_init(struct vcpu *v)
{
    (void)v;
    return vmx_unimplemented();
}

static void vmx_run(struct vcpu *v, struct vm_exit *exit)
{
    (void)v;
    (void)exit;
    panic("VMX: run() called but VMX is not implemented");
}

static void vmx_flush_guest_tlb(struct vcpu *v)
{
    (void)v;
    panic("VMX: flush_guest_tlb() called but VMX is not implemented");
}

static void vmx_dump(const struct vcpu *v)
{
    (void)v;
    kprintf("VMX: no VMCS (not implemented)\n");
}

const struct vendor_ops vmx_ops = {
    .name = "VMX",
    .npt_format = &pt_format_ept,
    .detect = vmx_detect,
    .hw_enable = vmx_unimplemented,
    .vm_init = vmx_vm_init,
    .vcpu_init = vmx_vcpu_init,
    .run = vmx_run,
    .flush_guest_tlb = vmx_flush_guest_tlb,
    .dump = vmx_dump,
};
