/* Reading the facts virt_check() decides on (hv/core/virt_check.h), before
 * ExitBootServices, so a CPU that cannot run Keel is refused with the
 * firmware still there to return to. Reference: SDM 3C 23.6-23.7, APM2
 * 15.4 and 15.30.1 (as virt_check.h). */
#include "arch/x86/cpu.h"
#include "boot/boot.h"

#define CPUID_1_ECX_VMX         BIT(5)
#define CPUID_80000001_ECX_SVM  BIT(2)
#define CPUID_8000000A_EDX_NP   BIT(0)

void boot_virt_facts(struct virt_facts *f)
{
    *f = (struct virt_facts){ 0 };
    f->vmx = cpuid(1, 0).ecx & CPUID_1_ECX_VMX;
    uint32_t max_ext = cpuid(0x80000000, 0).eax;
    if (max_ext >= 0x80000001)
        f->svm = cpuid(0x80000001, 0).ecx & CPUID_80000001_ECX_SVM;
    if (f->svm && max_ext >= 0x8000000a)
        f->svm_np = cpuid(0x8000000a, 0).edx & CPUID_8000000A_EDX_NP;
    /* Each MSR exists only where its CPUID bit says so. */
    if (f->vmx)
        f->feature_control = rdmsr(MSR_IA32_FEATURE_CONTROL);
    if (f->svm)
        f->vm_cr = rdmsr(MSR_VM_CR);
}
