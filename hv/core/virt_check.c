/* The go/no-go decision on hardware virtualization (hv/core/virt_check.h). */
#include "hv/core/virt_check.h"

static bool svm_usable(const struct virt_facts *f)
{
    return f->svm && !(f->vm_cr & VM_CR_SVMDIS) && f->svm_np;
}

/* SDM 3C 23.7: "If the lock bit is set and [VMX outside SMX] is clear,
 * VMXON causes a general-protection exception"; an unlocked MSR may
 * still be written (Keel sets bit 2 and locks it, vmx_hw_enable). */
static bool vmx_usable(const struct virt_facts *f)
{
    return f->vmx && (!(f->feature_control & FEATURE_CONTROL_LOCK) ||
                      (f->feature_control &
                       FEATURE_CONTROL_VMX_OUTSIDE_SMX));
}

const char *virt_check(const struct virt_facts *f)
{
    if (svm_usable(f) || vmx_usable(f))
        return NULL;
    if (f->svm && (f->vm_cr & VM_CR_SVMDIS))
        return "AMD-V (SVM) is disabled by the firmware (VM_CR.SVMDIS=1): "
               "turn on \"SVM Mode\" (also called AMD-V or Virtualization) "
               "in the firmware set-up";
    if (f->svm)
        return "AMD-V (SVM) has no nested paging here (CPUID "
               "8000_000Ah EDX.NP=0) and Keel needs it: a CPU older than "
               "family 10h, or a hypervisor that hides NPT (KVM: kvm_amd "
               "npt=1)";
    if (f->vmx)
        return "Intel VT-x is disabled by the firmware "
               "(IA32_FEATURE_CONTROL locked with VMX outside SMX off): "
               "turn on \"Intel Virtualization Technology\" (VT-x) in the "
               "firmware set-up";
    return "this CPU offers neither Intel VT-x (VMX) nor AMD-V (SVM) "
           "(CPUID): turn on \"Intel Virtualization Technology\" or \"SVM "
           "Mode\" in the firmware set-up if it has one; in a virtual "
           "machine, turn on nested virtualization";
}
