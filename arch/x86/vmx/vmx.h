/* Internals of the Intel VMX vendor code shared by its files: the chosen
 * controls and capabilities, the per-vCPU state, the VMX instructions with
 * their results checked, and the entry points of each file.
 * Reference: Intel SDM Volume 3C (Order No. 326019), chapters 23-30. */
#ifndef KEEL_VMX_H
#define KEEL_VMX_H

#include "arch/x86/vmx/vmcs.h"
#include "hv/core/vcpu.h"
#include "hv/exit/msr.h"

/* What the CPU offers and what Keel chose, filled once by vmx_detect()
 * from the capability MSRs (Appendix A). Every VMCS uses the same
 * controls except the bits vmx_run() toggles per entry (interrupt window,
 * IA-32e mode guest). */
struct vmx_caps {
    uint64_t basic;                  /* IA32_VMX_BASIC */
    uint64_t ept_vpid;               /* IA32_VMX_EPT_VPID_CAP */
    uint64_t cr0_fixed0, cr0_fixed1; /* SDM 3C A.7 */
    uint64_t cr4_fixed0, cr4_fixed1; /* SDM 3C A.8 */
    uint32_t pin, proc, proc2, exit, entry; /* the controls Keel runs with */
    /* Bits of CR0/CR4 whose value VMX forces (fixed to 1 or 0) and which
     * the guest therefore reads from the read shadow (24.6.6). */
    uint64_t cr0_host_owned, cr4_host_owned;
};
extern struct vmx_caps vmx_caps;

/* Per-vCPU VMX state (vcpu->vendor). */
struct vmx_vcpu {
    hpa_t vmcs;              /* 4 KiB VMCS region, revision id in word 0 */
    hpa_t msr_bitmap;        /* 4 KiB, SDM 3C 24.6.9 */
    hpa_t io_bitmap;         /* 8 KiB: bitmap A then B, 24.6.4 */
    hpa_t vapic_page;        /* virtual-APIC page for the TPR shadow */
    uint16_t vpid;           /* 24.6.12; 0 is the host's */
    bool launched;           /* VMLAUNCH done: VMRESUME from now on */
    /* The physical CPU (arch/x86/percpu.h) on which the VMCS is active
     * and whose host state it holds, or -1 before its first
     * vmx_make_current. */
    int cpu;
    bool flush;              /* INVEPT this VM's EPTP before the next entry */
    bool checked;            /* the software entry checks ran once */
    uint32_t proc;           /* primary controls as last written */
    uint32_t entry;          /* entry controls as last written */
    /* Interruptibility bits other than STI/MOV-SS and NMI blocking (SMI
     * blocking) carried from one exit to the next entry (24.4.2). */
    uint32_t intr_other;
    /* The guest-state fields as the VMCS holds them, in v->state's form
     * (24.4), for vmx_state_to_vmcs to write only what differs: valid once
     * cache_valid (after the first entry). lazy_valid: v->state's lazy
     * group (segments other than CS and SS, GDTR, IDTR) was read since
     * the last exit (vmx_state_fetch). */
    struct vcpu_state cache;
    bool cache_valid;
    bool lazy_valid;
    uint64_t intr_state;     /* interruptibility state in the VMCS */
    uint64_t tsc_offset;     /* TSC offset in the VMCS */
    /* Guest values of the pass-through MSRs the VMCS does not switch,
     * indexed like msr_passthrough[] (hv/exit/msr.h; the slots of MSRs the
     * VMCS switches stay unused); loaded when this vCPU's VMCS becomes
     * current (vmx_make_current). */
    uint64_t lazy_msr[MSR_PASSTHROUGH_COUNT];
};

/* Per-VM VMX state (vm->vendor). */
struct vmx_vm {
    uint64_t eptp;           /* 24.6.11 */
};

/* ---- VMX instructions (SDM 3C 30.3). Each returns a vmx_result. ------ */
enum vmx_result {
    VMX_OK = 0,
    VMX_FAIL_INVALID = 1,    /* VMfailInvalid: CF=1, no current VMCS */
    VMX_FAIL_VALID = 2,      /* VMfailValid: ZF=1, VM_INSTRUCTION_ERROR set */
};

static inline enum vmx_result vmx_flags(bool cf, bool zf)
{
    return cf ? VMX_FAIL_INVALID : zf ? VMX_FAIL_VALID : VMX_OK;
}

static inline enum vmx_result vmxon(hpa_t region)
{
    bool cf, zf;
    __asm__ volatile("vmxon %2" : "=@ccc"(cf), "=@ccz"(zf)
                     : "m"(region) : "memory");
    return vmx_flags(cf, zf);
}

static inline enum vmx_result vmclear(hpa_t vmcs)
{
    bool cf, zf;
    __asm__ volatile("vmclear %2" : "=@ccc"(cf), "=@ccz"(zf)
                     : "m"(vmcs) : "memory");
    return vmx_flags(cf, zf);
}

static inline enum vmx_result vmptrld(hpa_t vmcs)
{
    bool cf, zf;
    __asm__ volatile("vmptrld %2" : "=@ccc"(cf), "=@ccz"(zf)
                     : "m"(vmcs) : "memory");
    return vmx_flags(cf, zf);
}

static inline enum vmx_result vmread_insn(uint64_t field, uint64_t *val)
{
    bool cf, zf;
    __asm__ volatile("vmread %3, %2" : "=@ccc"(cf), "=@ccz"(zf), "=r"(*val)
                     : "r"(field) : "memory");
    return vmx_flags(cf, zf);
}

static inline enum vmx_result vmwrite_insn(uint64_t field, uint64_t val)
{
    bool cf, zf;
    __asm__ volatile("vmwrite %3, %2" : "=@ccc"(cf), "=@ccz"(zf)
                     : "r"(field), "r"(val) : "memory");
    return vmx_flags(cf, zf);
}

/* INVEPT/INVVPID descriptors (30.3, Figures 30-1 and 30-2). */
struct invept_desc {
    uint64_t eptp;
    uint64_t reserved;
};
struct invvpid_desc {
    uint64_t vpid;           /* bits 15:0; the rest must be 0 */
    uint64_t linear;
};
_Static_assert(sizeof(struct invept_desc) == 16, "INVEPT descriptor");
_Static_assert(sizeof(struct invvpid_desc) == 16, "INVVPID descriptor");

static inline enum vmx_result invept(uint64_t type, const struct invept_desc *d)
{
    bool cf, zf;
    __asm__ volatile("invept %2, %3" : "=@ccc"(cf), "=@ccz"(zf)
                     : "m"(*d), "r"(type) : "memory");
    return vmx_flags(cf, zf);
}

static inline enum vmx_result invvpid(uint64_t type,
                                      const struct invvpid_desc *d)
{
    bool cf, zf;
    __asm__ volatile("invvpid %2, %3" : "=@ccc"(cf), "=@ccz"(zf)
                     : "m"(*d), "r"(type) : "memory");
    return vmx_flags(cf, zf);
}

/* ---- Checked VMCS accessors (vmcs.c). A failing VMREAD/VMWRITE is a
 * hypervisor bug: they panic with the field's SDM name and the
 * VM-instruction error by name. Operate on the current VMCS. */
uint64_t vmcs_read_named(uint32_t field, const char *name);
void vmcs_write_named(uint32_t field, const char *name, uint64_t val);
#define vmcs_read(f)     vmcs_read_named((f), #f)
#define vmcs_write(f, v) vmcs_write_named((f), #f, (v))

/* Name of a VM-instruction error number (30.4), e.g. "VM entry with
 * invalid control field(s)"; never NULL. */
const char *vmx_insn_error_name(uint32_t err);

/* ---- Per-file entry points. */
/* vmcs.c: allocate v's VMCS region and bitmaps (4 KiB frames; the I/O
 * bitmaps 8 KiB) and its VPID. No VMX instruction runs: the VMCS is
 * initialised and filled (controls, host state, constant guest fields) by
 * its first vmx_make_current, on the CPU that runs v. Returns 0 or
 * -ENOMEM (frames or VPIDs used up). */
int vmx_vmcs_init(struct vcpu *v);
/* vmcs.c: make v's VMCS current on the calling CPU (VMPTRLD; the first
 * time also VMCLEAR and the one-time fields, SDM 3C 24.11.3) and switch
 * the lazily loaded guest MSRs if another vCPU ran last on this CPU.
 * Panics if the VMCS is active on another CPU: a vCPU never moves. */
void vmx_make_current(struct vcpu *v);
/* vmcs.c: is v's VMCS active on the calling CPU, so VMREAD may reach it
 * after vmx_make_current? False before v first ran and for a vCPU pinned
 * to another CPU (the monitor on CPU 0 looking at it). */
bool vmx_is_here(const struct vcpu *v);
/* vmx_state.c: copy v->state, v->event and v->want_intr_window into the
 * current VMCS, and back after the exit (SDM 3C 24.4, 24.8.3). To the
 * VMCS: only the fields that differ from what it holds (all of them on
 * the first entry or after v->state_replaced). Back: the eager fields
 * only (RIP, RSP, RFLAGS, CR0/CR3/CR4, EFER, PAT, CS, SS, the
 * interruptibility state); vmx_state_fetch reads the rest (other
 * segments, GDTR, IDTR) once per exit, from v's VMCS, which must be
 * current (v is the vCPU whose exit is being handled). */
void vmx_state_to_vmcs(struct vcpu *v);
void vmx_state_from_vmcs(struct vcpu *v);
void vmx_state_fetch(struct vcpu *v);
/* vmx_exit.c: decode the exit of the current VMCS into *exit (Appendix
 * C) and re-queue an event whose delivery it interrupted (27.2.4). */
void vmx_decode_exit(struct vcpu *v, struct vm_exit *exit);
/* vmx_check.c: the VM-entry checks on the guest-state area (26.3.1) in
 * software, against the current VMCS. Prints each failing check with the
 * SDM section and the field values; returns how many failed. */
int vmx_check_guest_state(void);
/* vmx_dump.c: print the current VMCS fields Keel uses by SDM name. */
void vmx_dump(const struct vcpu *v);

/* vmx_run.asm: load the guest GPRs from gprs[] (enum gpr order; RSP is
 * the VMCS's), VMLAUNCH (launched == 0) or VMRESUME, and at the VM exit
 * store them back. HOST_RSP/HOST_RIP are written here. Returns a
 * vmx_result: VMX_OK after a VM exit, else the entry instruction failed
 * (no exit happened; gprs[] unchanged). SDM 3C 26 "VM Entries",
 * 27 "VM Exits". */
enum vmx_result vmx_enter(uint64_t *gprs, int launched);

#endif
