/* Intel VMX: detection, the choice of controls, VMXON, per-VM EPT/VPID
 * set-up, one guest entry, and the vendor ops table.
 * Reference: Intel SDM Volume 3C (Order No. 326019). See: 23.6
 * "Discovering Support for VMX", 23.7 "Enabling and Entering VMX
 * Operation", 23.8 "Restrictions on VMX Operation", Appendix A "VMX
 * Capability Reporting Facility", 28.3.3 "Invalidating Cached Translation
 * Information". The control table with the reason for each bit is in
 * docs/vmx.md. */
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "arch/x86/vmx/vmx.h"
#include "arch/x86/virt_facts.h"
#include "hv/core/vendor.h"
#include "hv/core/virt_check.h"
#include "hv/core/vm.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "mm/frame.h"
#include "mm/heap.h"

struct vmx_caps vmx_caps;
/* Per physical CPU (arch/x86/percpu.h): its VMXON region. */
static hpa_t vmxon_region[PERCPU_MAX];

/* The controls Keel wants (docs/vmx.md has the table with reasons).
 * Pin-based (24.6.1): */
#define WANT_PIN                                                           \
    (PIN_BASED_EXT_INTR_EXITING    /* host timer ends the slice */         \
     | PIN_BASED_NMI_EXITING       /* host NMIs belong to Keel */         \
     | PIN_BASED_VIRTUAL_NMIS)     /* the CPU tracks guest NMI blocking */
/* Primary processor-based (24.6.2); the interrupt-window bit is set per
 * entry when the core asks for it. */
#define WANT_PROC                                                          \
    (CPU_BASED_USE_TSC_OFFSETTING  /* guest TSC = host TSC + offset */     \
     | CPU_BASED_MWAIT_EXITING     /* hidden in CPUID: #UD */              \
     | CPU_BASED_MONITOR_EXITING                                           \
     | CPU_BASED_RDPMC_EXITING     /* host counters: #GP, none offered */  \
     | CPU_BASED_USE_TPR_SHADOW    /* MOV CR8 never reaches the real TPR */ \
     | CPU_BASED_USE_IO_BITMAPS    /* all ones: every port to the bus */   \
     | CPU_BASED_USE_MSR_BITMAPS   /* MSR policy, pass-through list */     \
     | CPU_BASED_ACTIVATE_SECONDARY)
/* Secondary (24.6.2 Table 24-7): required ones, then optional ones. */
#define NEED_PROC2                                                         \
    (SECONDARY_ENABLE_EPT | SECONDARY_ENABLE_VPID                          \
     | SECONDARY_UNRESTRICTED_GUEST) /* Multiboot guests: PE=1, PG=0 */
#define OPTIONAL_PROC2                                                     \
    (SECONDARY_ENABLE_RDTSCP | SECONDARY_ENABLE_INVPCID                    \
     | SECONDARY_ENABLE_XSAVES                                             \
     | SECONDARY_PAUSE_LOOP_EXITING /* spinning vCPUs yield */             \
     | SECONDARY_WBINVD_EXITING) /* every VM's cache lines: a no-op */
/* VM-exit controls (24.7.1). "Acknowledge interrupt on exit" stays 0: the
 * interrupt stays pending in the host LAPIC and is taken through Keel's
 * IDT right after the exit (vmx_run.asm). */
#define WANT_EXIT                                                          \
    (VM_EXIT_HOST_ADDR_SPACE_SIZE  /* Keel is 64-bit */                    \
     | VM_EXIT_SAVE_IA32_PAT | VM_EXIT_LOAD_IA32_PAT                       \
     | VM_EXIT_SAVE_IA32_EFER | VM_EXIT_LOAD_IA32_EFER                     \
     | VM_EXIT_SAVE_DEBUG_CONTROLS) /* the guest's DR7 (27.3.1) */
/* VM-entry controls (24.8.1); IA-32e mode guest follows EFER.LMA. */
#define WANT_ENTRY (VM_ENTRY_LOAD_IA32_PAT | VM_ENTRY_LOAD_IA32_EFER        \
                    | VM_ENTRY_LOAD_DEBUG_CONTROLS) /* DR7: 26.3.2.1 */

/* One control word from its capability MSR (A.3-A.5): bits 31:0 are the
 * allowed 0-settings (a 1 there forces the control to 1), bits 63:32 the
 * allowed 1-settings. Returns the word; *missing gets wanted bits the CPU
 * cannot set. */
static uint32_t adjust_controls(uint32_t msr, uint32_t want,
                                uint32_t *missing)
{
    uint64_t cap = rdmsr(msr);
    uint32_t must = (uint32_t)cap, may = (uint32_t)(cap >> 32);
    *missing = want & ~may;
    return (want | must) & may;
}

static int need(uint32_t missing, const char *what)
{
    if (!missing)
        return 0;
    log_err("VMX: the CPU cannot set the %s control bits %#x that Keel "
            "needs (docs/vmx.md)", what, missing);
    return -ENODEV;
}

/* Choose every control word (Appendix A; the TRUE_* MSRs when BASIC bit
 * 55 says they exist, so default-1 bits Keel does not want can be 0). */
static int choose_controls(void)
{
    struct vmx_caps *c = &vmx_caps;
    bool true_ctls = c->basic & VMX_BASIC_TRUE_CTLS;
    uint32_t miss;
    int err = 0;

    c->pin = adjust_controls(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS :
                             MSR_IA32_VMX_PINBASED_CTLS, WANT_PIN, &miss);
    err |= need(miss, "pin-based");
    uint32_t want_proc = WANT_PROC;
    /* LAB 1 BEGIN: HLT exiting, the VMX side of the SVM HLT intercept */
    /* Idle the vCPU, not the CPU (SDM 3C 25.1.3): without it a guest's
     * HLT halts the physical CPU in VMX non-root operation. */
    want_proc |= CPU_BASED_HLT_EXITING;
    /* LAB 1 END */
    c->proc = adjust_controls(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
                              MSR_IA32_VMX_PROCBASED_CTLS, want_proc, &miss);
    err |= need(miss, "primary processor-based");
    if (err)
        return -ENODEV;
    c->proc2 = adjust_controls(MSR_IA32_VMX_PROCBASED_CTLS2,
                               NEED_PROC2 | OPTIONAL_PROC2, &miss);
    err |= need(miss & NEED_PROC2, "secondary processor-based (EPT, VPID, "
                "unrestricted guest)");
    c->exit = adjust_controls(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS :
                              MSR_IA32_VMX_EXIT_CTLS, WANT_EXIT, &miss);
    err |= need(miss, "VM-exit");
    c->entry = adjust_controls(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS :
                               MSR_IA32_VMX_ENTRY_CTLS, WANT_ENTRY, &miss);
    err |= need(miss, "VM-entry");
    /* IA-32e mode guest is chosen per entry; never by default. */
    c->entry &= ~(uint32_t)VM_ENTRY_IA32E_MODE_GUEST;
    return err ? -ENODEV : 0;
}

/* EPT and VPID capabilities Keel relies on (A.10): a 4-level walk,
 * write-back paging structures, 2 MiB leaves (mm/pt_formats.c uses them),
 * single-context INVEPT and INVVPID. */
static int check_ept_vpid(void)
{
    uint64_t cap = vmx_caps.ept_vpid;
    static const struct { uint64_t bit; const char *what; } needs[] = {
        { VMX_EPT_CAP_WALK_4, "4-level EPT walk" },
        { VMX_EPT_CAP_WB, "write-back EPT structures" },
        { VMX_EPT_CAP_2MB, "2 MiB EPT pages" },
        { VMX_EPT_CAP_INVEPT, "INVEPT" },
        { VMX_EPT_CAP_INVEPT_SINGLE, "single-context INVEPT" },
        { VMX_VPID_CAP_INVVPID, "INVVPID" },
        { VMX_VPID_CAP_SINGLE, "single-context INVVPID" },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(needs); i++)
        if (!(cap & needs[i].bit)) {
            log_err("VMX: no %s (IA32_VMX_EPT_VPID_CAP %#llx)", needs[i].what,
                    (unsigned long long)cap);
            return -ENODEV;
        }
    return 0;
}

static int vmx_detect(void)
{
    struct vmx_caps *c = &vmx_caps;

    /* 23.7: VMXON outside SMX needs IA32_FEATURE_CONTROL bit 2 and the
     * lock bit. If the firmware left the MSR unlocked Keel may set and
     * lock it; if it locked it with VMX off, only the firmware can help.
     * virt_check_vmx decides, as boot/ did before ExitBootServices. */
    struct virt_facts f;
    virt_facts_read(&f);
    if (!f.vmx) {
        log_info("VMX: not offered by this CPU (CPUID.1:ECX.VMX=0)");
        return -ENODEV;
    }
    const char *why = virt_check_vmx(&f);
    if (why) {
        log_err("VMX: %s (IA32_FEATURE_CONTROL %#llx)", why,
                (unsigned long long)f.feature_control);
        return -ENODEV;
    }
    c->basic = rdmsr(MSR_IA32_VMX_BASIC);
    if (VMX_BASIC_REGION_SIZE(c->basic) > PAGE_SIZE ||
        VMX_BASIC_MEMTYPE(c->basic) != EPTP_MT_WB) {
        log_err("VMX: unsupported VMCS layout (IA32_VMX_BASIC %#llx)",
                (unsigned long long)c->basic);
        return -ENODEV;
    }
    int err = choose_controls();
    if (err)
        return err;
    c->ept_vpid = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
    err = check_ept_vpid();
    if (err)
        return err;
    c->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
    c->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
    c->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
    c->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
    /* With unrestricted guest, PE and PG may be 0 in the guest (26.3.1.1);
     * every other fixed bit, and every bit that must stay 0, is Keel's:
     * the guest reads its own value from the read shadow. */
    c->cr0_host_owned = (c->cr0_fixed0 & ~(uint64_t)(CR0_PE | CR0_PG)) |
                        ~c->cr0_fixed1;
    c->cr4_host_owned = c->cr4_fixed0 | ~c->cr4_fixed1;

    log_info("VMX: revision %#x, %s controls, EPT (4-level, WB, 2 MiB "
             "pages%s%s), VPID, unrestricted guest%s%s%s",
             VMX_BASIC_REVISION(c->basic),
             (c->basic & VMX_BASIC_TRUE_CTLS) ? "TRUE" : "default",
             (c->ept_vpid & VMX_EPT_CAP_1GB) ? ", 1 GiB capable" : "",
             (c->ept_vpid & VMX_EPT_CAP_AD) ? ", A/D flags" : "",
             (c->proc2 & SECONDARY_ENABLE_RDTSCP) ? ", RDTSCP" : "",
             (c->proc2 & SECONDARY_ENABLE_INVPCID) ? ", INVPCID" : "",
             (c->proc2 & SECONDARY_ENABLE_XSAVES) ? ", XSAVES" : "");
    return 0;
}

static int vmx_hw_enable(void)
{
    struct vmx_caps *c = &vmx_caps;

    uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
    if (!(fc & FEATURE_CONTROL_LOCK)) {
        wrmsr(MSR_IA32_FEATURE_CONTROL, fc | FEATURE_CONTROL_LOCK |
              FEATURE_CONTROL_VMX_OUTSIDE_SMX);
        log_info("VMX: IA32_FEATURE_CONTROL was unlocked; enabled VMX "
                 "outside SMX and locked it");
    }
    /* 23.8: CR0 and CR4 must satisfy the fixed bits in VMX operation;
     * CR4.VMXE is one of them. */
    uint64_t cr0 = (r_cr0() | c->cr0_fixed0) & c->cr0_fixed1;
    uint64_t cr4 = (r_cr4() | c->cr4_fixed0 | CR4_VMXE) & c->cr4_fixed1;
    w_cr0(cr0);
    w_cr4(cr4);

    hpa_t region = frame_alloc(1, PAGE_SIZE);
    if (!region)
        return -ENOMEM;
    vmxon_region[percpu_index()] = region;
    memset(hpa_ptr(region), 0, PAGE_SIZE);
    *(uint32_t *)hpa_ptr(region) = VMX_BASIC_REVISION(c->basic);
    enum vmx_result r = vmxon(region);
    if (r != VMX_OK) {
        log_err("VMX: VMXON failed (%s)", r == VMX_FAIL_INVALID ?
                "VMfailInvalid: bad region or CR0/CR4 fixed bits" :
                "VMfailValid: already in VMX operation");
        return -EIO;
    }
    /* Nothing from an earlier user of VMX may linger in the TLBs. */
    struct invept_desc all = { 0, 0 };
    if ((c->ept_vpid & VMX_EPT_CAP_INVEPT_ALL) &&
        invept(INVEPT_ALL_CONTEXT, &all) != VMX_OK)
        log_warn("VMX: INVEPT (all contexts) failed");
    return 0;
}

static int vmx_vm_init(struct vm *vm)
{
    struct vmx_vm *x = kzalloc(sizeof(*x));
    if (!x)
        return -ENOMEM;
    /* 24.6.11: memory type WB for the EPT paging structures, a 4-level
     * walk, and A/D flags only where the CPU has them (Keel does not read
     * them; setting them makes EPT behave as on newer CPUs). */
    x->eptp = vm->npt.root | EPTP_MT_WB | EPTP_WALK_4;
    if (vmx_caps.ept_vpid & VMX_EPT_CAP_AD)
        x->eptp |= EPTP_AD;
    vm->vendor = x;
    return 0;
}

static int vmx_vcpu_init(struct vcpu *v)
{
    return vmx_vmcs_init(v);
}

/* Invalidate what the TLBs hold for this VM: single-context INVEPT drops
 * guest-physical and combined mappings tagged with its EPTP, for every
 * VPID (28.3.3.1), which covers both an EPT change and a guest paging
 * change Keel emulated. */
static void flush_now(struct vcpu *v)
{
    struct invept_desc d = { ((struct vmx_vm *)v->vm->vendor)->eptp, 0 };
    enum vmx_result r = invept(INVEPT_SINGLE_CONTEXT, &d);
    if (r != VMX_OK)
        panic("VMX: INVEPT single-context failed (%s)",
              r == VMX_FAIL_VALID ?
              vmx_insn_error_name((uint32_t)vmcs_read(VMCS_VM_INSTRUCTION_ERROR))
              : "VMfailInvalid");
}

/* Exits whose handlers (hv/exit/) and the run loop read no more of
 * v->state than the eager fields of vmx_state_from_vmcs; where they call
 * the emulator, vcpu_emu_ops fetches the rest. Every other exit reads all
 * of the state. */
static bool exit_reads_eager_state_only(enum exit_reason r)
{
    switch (r) {
    case EXIT_INTR: case EXIT_INTR_WINDOW: case EXIT_NMI_WINDOW:
    case EXIT_NMI: case EXIT_CPUID: case EXIT_HLT: case EXIT_PAUSE:
    case EXIT_MSR_READ: case EXIT_MSR_WRITE: case EXIT_IO:
        return true;
    default:
        return false;
    }
}

static void vmx_run(struct vcpu *v, struct vm_exit *exit)
{
    struct vmx_vcpu *x = v->vendor;

    vmx_make_current(v);
    vmx_state_to_vmcs(v);
    if (x->flush) {
        flush_now(v);
        x->flush = false;
    }
    if (!x->checked) {
        /* The VM-entry state explainer: the guest-state checks of 26.3.1
         * in software before the first VMLAUNCH, so a bad loader state is
         * named precisely rather than as "invalid guest state". */
        x->checked = true;
        if (vmx_check_guest_state()) {
            *exit = (struct vm_exit){
                .reason = EXIT_ENTRY_FAILED,
                .raw_reason = EXIT_REASON_INVALID_GUEST_STATE,
                .raw_name = "guest state fails the SDM 26.3.1 checks "
                            "(found by Keel before VMLAUNCH)",
            };
            return;
        }
    }

    enum vmx_result r = vmx_enter(v->state.gpr, x->launched);
    if (r != VMX_OK) {
        /* The VMLAUNCH/VMRESUME instruction itself failed: no exit
         * happened (26.1-26.2: checks on controls and host state). */
        uint32_t err = r == VMX_FAIL_VALID ?
                       (uint32_t)vmcs_read(VMCS_VM_INSTRUCTION_ERROR) : 0;
        log_err("VMX: %s failed: %s (VM-instruction error %u)",
                x->launched ? "VMRESUME" : "VMLAUNCH",
                r == VMX_FAIL_VALID ? vmx_insn_error_name(err) :
                "VMfailInvalid (no current VMCS)", err);
        *exit = (struct vm_exit){
            .reason = EXIT_ENTRY_FAILED,
            .raw_reason = err,
            .raw_name = r == VMX_FAIL_VALID ? vmx_insn_error_name(err) :
                        "VMfailInvalid",
        };
        return;
    }
    vmx_state_from_vmcs(v);
    vmx_decode_exit(v, exit);
    if (!exit_reads_eager_state_only(exit->reason))
        vmx_state_fetch(v);
    /* A VM exit that reports a failed entry (bit 31, 26.8) leaves the VMCS
     * not launched; any other exit means VMLAUNCH succeeded. */
    if (!(exit->raw_reason & EXIT_REASON_FAILED_ENTRY))
        x->launched = true;
}

static void vmx_flush_guest_tlb(struct vcpu *v)
{
    ((struct vmx_vcpu *)v->vendor)->flush = true;
}

/* DR7 L0-L3/G0-G3 (SDM 3A 17.2.4) of the current VMCS, the vCPU that
 * just exited. */
static bool vmx_breakpoints_armed(const struct vcpu *v)
{
    (void)v;
    return vmcs_read(VMCS_GUEST_DR7) & 0xff;
}

const struct vendor_ops vmx_ops = {
    .name = "VMX",
    .npt_format = &pt_format_ept,
    .detect = vmx_detect,
    .hw_enable = vmx_hw_enable,
    .vm_init = vmx_vm_init,
    .vcpu_init = vmx_vcpu_init,
    .run = vmx_run,
    .fetch_state = vmx_state_fetch,
    .flush_guest_tlb = vmx_flush_guest_tlb,
    .dump = vmx_dump,
    .breakpoints_armed = vmx_breakpoints_armed,
};
