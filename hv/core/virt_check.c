/* The go/no-go decision on hardware virtualization (hv/core/virt_check.h). */
#include "hv/core/virt_check.h"

const char *virt_check_svm(const struct virt_facts *f)
{
    if (!f->svm)
        return "AMD-V (SVM) is not offered by this CPU (CPUID "
               "8000_0001h ECX.SVM=0)";
    if (f->vm_cr & VM_CR_SVMDIS)
        return "AMD-V (SVM) is disabled by the firmware (VM_CR.SVMDIS=1): "
               "turn on \"SVM Mode\" (also called AMD-V or Virtualization) "
               "in the firmware set-up";
    if (!f->svm_np)
        return "AMD-V (SVM) has no nested paging here (CPUID "
               "8000_000Ah EDX.NP=0) and Keel needs it: a CPU older than "
               "family 10h, or a hypervisor that hides NPT (KVM: kvm_amd "
               "npt=1)";
    return NULL;
}

/* SDM 3C 23.7: with the lock bit set and VMX outside SMX clear, VMXON
 * outside SMX raises #GP, and only a reset unlocks the MSR; an unlocked
 * MSR may still be written (vmx_hw_enable sets bit 2 and locks it). */
const char *virt_check_vmx(const struct virt_facts *f)
{
    if (!f->vmx)
        return "Intel VT-x (VMX) is not offered by this CPU "
               "(CPUID.1:ECX.VMX=0)";
    if ((f->feature_control & FEATURE_CONTROL_LOCK) &&
        !(f->feature_control & FEATURE_CONTROL_VMX_OUTSIDE_SMX))
        return "Intel VT-x is disabled by the firmware "
               "(IA32_FEATURE_CONTROL locked with VMX outside SMX off): "
               "turn on \"Intel Virtualization Technology\" (VT-x) in the "
               "firmware set-up";
    return NULL;
}

const char *virt_check(const struct virt_facts *f)
{
    const char *svm = virt_check_svm(f), *vmx = virt_check_vmx(f);
    if (!svm || !vmx)
        return NULL;
    if (f->svm)
        return svm;
    if (f->vmx)
        return vmx;
    return "this CPU offers neither Intel VT-x (VMX) nor AMD-V (SVM) "
           "(CPUID): turn on \"Intel Virtualization Technology\" or \"SVM "
           "Mode\" in the firmware set-up if it has one; in a virtual "
           "machine, turn on nested virtualization";
}
