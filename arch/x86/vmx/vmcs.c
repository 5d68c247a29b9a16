/* The VMCS of each vCPU: checked VMREAD/VMWRITE, the one-time set-up of
 * controls, bitmaps and host state, and switching the current VMCS.
 * Reference: Intel SDM Volume 3C (Order No. 326019). See: 24.2 "Format of
 * the VMCS Region", 24.5 "Host-State Area", 24.6 "VM-Execution Control
 * Fields", 24.11.3 "Initializing a VMCS", 26.2 "Checks on VMX Controls and
 * Host-State Area". */
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "arch/x86/vmx/vmx.h"
#include "hv/core/vm.h"
#include "hv/exit/msr.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "mm/frame.h"
#include "mm/heap.h"

/* VPIDs are handed out once per vCPU and never reused: two vCPUs sharing
 * one would share linear-address TLB entries (28.1 "Virtual Processor
 * Identifiers"). 0 is the host's. */
static uint16_t next_vpid = 1;
/* Per physical CPU: the vCPU whose VMCS is current there, and the vCPU
 * whose lazily switched MSRs that CPU holds (vmx_make_current). */
static struct vcpu *current_vcpu[PERCPU_MAX];
static struct vcpu *msrs_of[PERCPU_MAX];

uint64_t vmcs_read_named(uint32_t field, const char *name)
{
    uint64_t val;
    enum vmx_result r = vmread_insn(field, &val);
    if (r != VMX_OK) {
        uint64_t err = 0;
        if (r == VMX_FAIL_VALID)
            vmread_insn(VMCS_VM_INSTRUCTION_ERROR, &err);
        panic("VMX: VMREAD of %s (%#x) failed: %s", name, field,
              r == VMX_FAIL_VALID ? vmx_insn_error_name((uint32_t)err) :
              "VMfailInvalid (no current VMCS)");
    }
    return val;
}

void vmcs_write_named(uint32_t field, const char *name, uint64_t val)
{
    enum vmx_result r = vmwrite_insn(field, val);
    if (r != VMX_OK) {
        uint64_t err = 0;
        if (r == VMX_FAIL_VALID)
            vmread_insn(VMCS_VM_INSTRUCTION_ERROR, &err);
        panic("VMX: VMWRITE of %#llx to %s (%#x) failed: %s",
              (unsigned long long)val, name, field,
              r == VMX_FAIL_VALID ? vmx_insn_error_name((uint32_t)err) :
              "VMfailInvalid (no current VMCS)");
    }
}

/* Clear the read and/or write intercept bit of one MSR, as flags
 * (MSR_PASS_*) say (24.6.9: read bitmap for 0-1FFF at 0, for
 * C0000000-C0001FFF at 1024; write bitmaps at 2048 and 3072; one bit per
 * MSR). An MSR outside both ranges always exits. */
static void msr_bitmap_allow(uint8_t *bm, uint32_t msr, uint32_t flags)
{
    uint32_t base;
    if (msr < 0x2000)
        base = 0;
    else if (msr - 0xc0000000u < 0x2000)
        base = 1024, msr -= 0xc0000000u;
    else
        return;
    if (flags & MSR_PASS_READ)
        bm[base + msr / 8] &= (uint8_t)~(1u << (msr % 8));
    if (flags & MSR_PASS_WRITE)
        bm[base + 2048 + msr / 8] &= (uint8_t)~(1u << (msr % 8));
}

/* A data segment selector for the host state: RPL 0, TI 0 (26.2.3). */
static void write_host_state(void)
{
    struct dt_ptr gdtr, idtr;
    __asm__ volatile("sgdt %0" : "=m"(gdtr));
    __asm__ volatile("sidt %0" : "=m"(idtr));

    vmcs_write(VMCS_HOST_CR0, r_cr0());
    vmcs_write(VMCS_HOST_CR3, r_cr3());
    vmcs_write(VMCS_HOST_CR4, r_cr4());
    vmcs_write(VMCS_HOST_CS_SELECTOR, HOST_CS);
    vmcs_write(VMCS_HOST_SS_SELECTOR, HOST_DS);
    vmcs_write(VMCS_HOST_DS_SELECTOR, HOST_DS);
    vmcs_write(VMCS_HOST_ES_SELECTOR, HOST_DS);
    vmcs_write(VMCS_HOST_FS_SELECTOR, HOST_DS);
    vmcs_write(VMCS_HOST_GS_SELECTOR, HOST_DS);
    vmcs_write(VMCS_HOST_TR_SELECTOR, HOST_TSS);
    vmcs_write(VMCS_HOST_FS_BASE, rdmsr(MSR_FS_BASE));
    vmcs_write(VMCS_HOST_GS_BASE, rdmsr(MSR_GS_BASE));
    /* TR base from Keel's 16-byte TSS descriptor (SDM 3A 7.2.3). */
    const uint64_t *gdt = (const uint64_t *)(uintptr_t)gdtr.base;
    uint64_t lo = gdt[HOST_TSS / 8], hi = gdt[HOST_TSS / 8 + 1];
    uint64_t tr_base = ((lo >> 16) & 0xffffff) | (((lo >> 56) & 0xff) << 24) |
                       (hi << 32);
    vmcs_write(VMCS_HOST_TR_BASE, tr_base);
    vmcs_write(VMCS_HOST_GDTR_BASE, gdtr.base);
    vmcs_write(VMCS_HOST_IDTR_BASE, idtr.base);
    vmcs_write(VMCS_HOST_IA32_SYSENTER_CS, rdmsr(MSR_IA32_SYSENTER_CS));
    vmcs_write(VMCS_HOST_IA32_SYSENTER_ESP, rdmsr(MSR_IA32_SYSENTER_ESP));
    vmcs_write(VMCS_HOST_IA32_SYSENTER_EIP, rdmsr(MSR_IA32_SYSENTER_EIP));
    vmcs_write(VMCS_HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
    vmcs_write(VMCS_HOST_IA32_EFER, rdmsr(MSR_EFER));
    /* HOST_RSP and HOST_RIP are written by vmx_enter before each entry. */
}

/* Guest fields no loader sets and Keel does not track in vcpu_state
 * (24.4.2 "Guest Non-Register State", 24.4.1 debug registers). */
static void write_guest_constants(void)
{
    vmcs_write(VMCS_VMCS_LINK_POINTER, ~0ULL);    /* 26.3.1.5: no shadow */
    vmcs_write(VMCS_GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
    vmcs_write(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0);
    vmcs_write(VMCS_GUEST_DR7, 0x400);            /* its reset value */
    vmcs_write(VMCS_GUEST_IA32_DEBUGCTL, 0);
    vmcs_write(VMCS_GUEST_IA32_SYSENTER_CS, 0);
    vmcs_write(VMCS_GUEST_IA32_SYSENTER_ESP, 0);
    vmcs_write(VMCS_GUEST_IA32_SYSENTER_EIP, 0);
}

static void write_controls(struct vcpu *v, struct vmx_vcpu *x)
{
    const struct vmx_caps *c = &vmx_caps;

    vmcs_write(VMCS_PIN_BASED_VM_EXEC_CONTROL, c->pin);
    vmcs_write(VMCS_PRIMARY_PROC_BASED_VM_EXEC_CONTROL, c->proc);
    vmcs_write(VMCS_SECONDARY_PROC_BASED_VM_EXEC_CONTROL, c->proc2);
    vmcs_write(VMCS_VM_EXIT_CONTROLS, c->exit);
    vmcs_write(VMCS_VM_ENTRY_CONTROLS, c->entry);
    x->proc = c->proc;
    x->entry = c->entry;
    /* PAUSE-loop exiting (25.1.3): a PAUSE loop longer than PLE_WINDOW
     * TSC cycles, its PAUSEs at most PLE_GAP apart, exits so another vCPU
     * (the lock holder) runs. KVM's defaults. */
    if (c->proc2 & SECONDARY_PAUSE_LOOP_EXITING) {
        vmcs_write(VMCS_PLE_GAP, 128);
        vmcs_write(VMCS_PLE_WINDOW, 4096);
    }
    /* #MC in a guest is a host machine check: Keel must see it. */
    vmcs_write(VMCS_EXCEPTION_BITMAP, BIT(VEC_MC));
    vmcs_write(VMCS_PAGE_FAULT_ERROR_CODE_MASK, 0);
    vmcs_write(VMCS_PAGE_FAULT_ERROR_CODE_MATCH, 0);
    vmcs_write(VMCS_CR3_TARGET_COUNT, 0);
    vmcs_write(VMCS_VM_EXIT_MSR_STORE_COUNT, 0);
    vmcs_write(VMCS_VM_EXIT_MSR_LOAD_COUNT, 0);
    vmcs_write(VMCS_VM_ENTRY_MSR_LOAD_COUNT, 0);
    vmcs_write(VMCS_VM_ENTRY_INTERRUPTION_INFO, 0);
    vmcs_write(VMCS_IO_BITMAP_A, x->io_bitmap);
    vmcs_write(VMCS_IO_BITMAP_B, x->io_bitmap + PAGE_SIZE);
    vmcs_write(VMCS_MSR_BITMAPS, x->msr_bitmap);
    vmcs_write(VMCS_VIRTUAL_APIC_ADDR, x->vapic_page);
    vmcs_write(VMCS_TPR_THRESHOLD, 0);
    vmcs_write(VMCS_EPT_POINTER, ((struct vmx_vm *)v->vm->vendor)->eptp);
    vmcs_write(VMCS_VIRTUAL_PROCESSOR_ID, x->vpid);
    if (c->proc2 & SECONDARY_ENABLE_XSAVES)
        vmcs_write(VMCS_XSS_EXITING_BITMAP, 0);   /* no XSS exits */
    vmcs_write(VMCS_CR0_GUEST_HOST_MASK, c->cr0_host_owned);
    vmcs_write(VMCS_CR4_GUEST_HOST_MASK, c->cr4_host_owned);
}

int vmx_vmcs_init(struct vcpu *v)
{
    struct vmx_vcpu *x = kzalloc(sizeof(*x));
    if (!x)
        return -ENOMEM;
    x->vmcs = frame_alloc(1, PAGE_SIZE);
    x->msr_bitmap = frame_alloc(1, PAGE_SIZE);
    x->io_bitmap = frame_alloc(2, PAGE_SIZE);
    x->vapic_page = frame_alloc(1, PAGE_SIZE);
    if (!x->vmcs || !x->msr_bitmap || !x->io_bitmap || !x->vapic_page)
        return -ENOMEM;
    if (next_vpid == 0)
        return -ENOMEM;          /* 65535 vCPUs: the VPID space is used up */
    x->vpid = next_vpid++;

    memset(hpa_ptr(x->vmcs), 0, PAGE_SIZE);
    *(uint32_t *)hpa_ptr(x->vmcs) = VMX_BASIC_REVISION(vmx_caps.basic);
    memset(hpa_ptr(x->io_bitmap), 0xff, 2 * PAGE_SIZE);
    memset(hpa_ptr(x->msr_bitmap), 0xff, PAGE_SIZE);
    for (unsigned i = 0; i < MSR_PASSTHROUGH_COUNT; i++)
        msr_bitmap_allow(hpa_ptr(x->msr_bitmap), msr_passthrough[i].index,
                         msr_passthrough[i].flags);
    memset(hpa_ptr(x->vapic_page), 0, PAGE_SIZE);

    x->cpu = -1;    /* no CPU has it yet: vmx_make_current activates it */
    v->vendor = x;
    return 0;
}

/* The first vmx_make_current of v, on the CPU that will run it (a pinned
 * vCPU never moves): VMCLEAR initialises the region and makes it clear,
 * VMPTRLD makes it current (24.11.3), then the one-time fields. The host
 * state is this CPU's own (its GDT, TSS and GS base differ from the other
 * CPUs'), which is why the VMCS is not filled on the CPU that created the
 * vCPU: a VMCS active on one CPU must not be loaded on another without a
 * VMCLEAR there first (24.1, 24.11.1). */
static void vmcs_activate(struct vcpu *v, struct vmx_vcpu *x, unsigned cpu)
{
    enum vmx_result r = vmclear(x->vmcs);
    if (r == VMX_OK)
        r = vmptrld(x->vmcs);
    if (r != VMX_OK)
        panic("VMX: VMCLEAR/VMPTRLD of the new VMCS of vm %s vcpu%u on "
              "CPU %u failed (%s)", v->vm->name, v->id, cpu,
              r == VMX_FAIL_VALID ? vmx_insn_error_name(
              (uint32_t)vmcs_read(VMCS_VM_INSTRUCTION_ERROR)) :
              "VMfailInvalid");
    x->cpu = (int)cpu;
    current_vcpu[cpu] = v;
    write_controls(v, x);
    write_host_state();
    write_guest_constants();

    /* A fresh VPID may still have entries from an earlier run of the
     * machine's firmware or hypervisor: drop them (28.3.3.3). */
    struct invvpid_desc d = { x->vpid, 0 };
    if (invvpid(INVVPID_SINGLE_CONTEXT, &d) != VMX_OK)
        log_warn("VMX: INVVPID for VPID %u failed", x->vpid);
}

/* Pass-through MSRs the VMCS switches itself on entry and exit: the
 * guest-state area holds FS/GS base and IA32_SYSENTER_CS/ESP/EIP (24.4.1
 * "Guest Register State"). The other pass-through MSRs Keel switches: it
 * uses none of them, so only when another vCPU's VMCS becomes current. */
static bool vmcs_switches_msr(uint32_t msr)
{
    return msr == MSR_FS_BASE || msr == MSR_GS_BASE ||
           msr == MSR_IA32_SYSENTER_CS || msr == MSR_IA32_SYSENTER_ESP ||
           msr == MSR_IA32_SYSENTER_EIP;
}

bool vmx_is_here(const struct vcpu *v)
{
    const struct vmx_vcpu *x = v->vendor;
    return x && x->cpu == (int)percpu_index();
}

void vmx_make_current(struct vcpu *v)
{
    struct vmx_vcpu *x = v->vendor;
    unsigned cpu = percpu_index();

    if (x->cpu < 0) {
        vmcs_activate(v, x, cpu);
    } else if (x->cpu != (int)cpu) {
        panic("VMX: vm %s vcpu%u's VMCS is active on CPU %d, not on CPU "
              "%u (a vCPU never moves)", v->vm->name, v->id, x->cpu, cpu);
    } else if (current_vcpu[cpu] != v) {
        enum vmx_result r = vmptrld(x->vmcs);
        if (r != VMX_OK)
            panic("VMX: VMPTRLD of vm %s vcpu%u failed (%s)", v->vm->name,
                  v->id, r == VMX_FAIL_VALID ? vmx_insn_error_name(
                  (uint32_t)vmcs_read(VMCS_VM_INSTRUCTION_ERROR)) :
                  "VMfailInvalid");
        current_vcpu[cpu] = v;
    }
    if (msrs_of[cpu] != v) {
        bool has_aux = vmx_caps.proc2 & SECONDARY_ENABLE_RDTSCP;
        for (unsigned i = 0; i < MSR_PASSTHROUGH_COUNT; i++) {
            uint32_t msr = msr_passthrough[i].index;
            if (vmcs_switches_msr(msr) || (msr == MSR_TSC_AUX && !has_aux))
                continue;
            if (msrs_of[cpu])
                ((struct vmx_vcpu *)msrs_of[cpu]->vendor)->lazy_msr[i] =
                    rdmsr(msr);
            wrmsr(msr, x->lazy_msr[i]);
        }
        msrs_of[cpu] = v;
    }
}
