/* Printing a vCPU's VMCS by SDM field names (crash reports, monitor).
 * Reference: Intel SDM Volume 3C (Order No. 326019), Appendix B "Field
 * Encoding in VMCS". */
#include "arch/x86/vmx/vmx.h"
#include "hv/core/vm.h"
#include "lib/log.h"

#define FIELD(f) { f, #f }

static const struct {
    uint32_t field;
    const char *name;
} dump_fields[] = {
    FIELD(VMCS_PIN_BASED_VM_EXEC_CONTROL),
    FIELD(VMCS_PRIMARY_PROC_BASED_VM_EXEC_CONTROL),
    FIELD(VMCS_SECONDARY_PROC_BASED_VM_EXEC_CONTROL),
    FIELD(VMCS_VM_EXIT_CONTROLS),
    FIELD(VMCS_VM_ENTRY_CONTROLS),
    FIELD(VMCS_EXCEPTION_BITMAP),
    FIELD(VMCS_EPT_POINTER),
    FIELD(VMCS_VIRTUAL_PROCESSOR_ID),
    FIELD(VMCS_VM_ENTRY_INTERRUPTION_INFO),
    FIELD(VMCS_EXIT_REASON),
    FIELD(VMCS_EXIT_QUALIFICATION),
    FIELD(VMCS_VM_EXIT_INTERRUPTION_INFO),
    FIELD(VMCS_IDT_VECTORING_INFO),
    FIELD(VMCS_VM_INSTRUCTION_ERROR),
    FIELD(VMCS_GUEST_PHYSICAL_ADDRESS),
    FIELD(VMCS_GUEST_RIP),
    FIELD(VMCS_GUEST_RSP),
    FIELD(VMCS_GUEST_RFLAGS),
    FIELD(VMCS_GUEST_CR0),
    FIELD(VMCS_CR0_READ_SHADOW),
    FIELD(VMCS_GUEST_CR3),
    FIELD(VMCS_GUEST_CR4),
    FIELD(VMCS_CR4_READ_SHADOW),
    FIELD(VMCS_GUEST_IA32_EFER),
    FIELD(VMCS_GUEST_IA32_PAT),
    FIELD(VMCS_GUEST_CS_SELECTOR),
    FIELD(VMCS_GUEST_CS_ACCESS_RIGHTS),
    FIELD(VMCS_GUEST_SS_ACCESS_RIGHTS),
    FIELD(VMCS_GUEST_TR_ACCESS_RIGHTS),
    FIELD(VMCS_GUEST_LDTR_ACCESS_RIGHTS),
    FIELD(VMCS_GUEST_INTERRUPTIBILITY_STATE),
    FIELD(VMCS_GUEST_ACTIVITY_STATE),
};

void vmx_dump(const struct vcpu *v)
{
    const struct vmx_vcpu *x = v->vendor;
    if (!x) {
        kprintf("keel: vm %s vcpu%u has no VMCS\n", v->vm->name, v->id);
        return;
    }
    if (!vmx_is_here(v)) {
        if (x->cpu < 0)
            kprintf("keel: vm %s vcpu%u has not run yet: its VMCS is not "
                    "filled\n", v->vm->name, v->id);
        else
            kprintf("keel: vm %s vcpu%u's VMCS is active on CPU %d; VMREAD "
                    "reaches it only there\n", v->vm->name, v->id, x->cpu);
        return;
    }
    vmx_make_current((struct vcpu *)v);
    kprintf("keel: VMCS of vm %s vcpu%u at %#llx (VPID %u, %s; "
            "SDM 3C App. B)\n",
            v->vm->name, v->id, (unsigned long long)x->vmcs, x->vpid,
            x->launched ? "launched" : "clear");
    for (unsigned i = 0; i < ARRAY_SIZE(dump_fields); i++)
        kprintf("  %-42s %#llx\n", dump_fields[i].name + 5,
                (unsigned long long)vmcs_read_named(dump_fields[i].field,
                                                    dump_fields[i].name));
}
