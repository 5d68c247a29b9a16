/* Reading CPUID and IA32_FEATURE_CONTROL / VM_CR for virt_check
 * (arch/x86/virt_facts.h). */
#include "arch/x86/cpu.h"
#include "arch/x86/virt_facts.h"

#define CPUID_1_ECX_VMX         BIT(5)
#define CPUID_80000001_ECX_SVM  BIT(2)
#define CPUID_8000000A_EDX_NP   BIT(0)

void virt_facts_read(struct virt_facts *f)
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
