/* A virtual CPU: its architectural state, the event to inject on the next
 * entry, its virtual LAPIC and its exit statistics. The run loop is in
 * hv/run.c; the vendor code owns `vendor` (the VMCB or VMCS). */
#ifndef KEEL_VCPU_H
#define KEEL_VCPU_H

#include "arch/x86/dreg.h"
#include "arch/x86/exception.h"
#include "arch/x86/vcpu_state.h"
#include "hv/core/vm_exit.h"
#include "hv/dev/pv_eoi.h"
#include "hv/dev/pvclock.h"
#include "lib/types.h"

struct vm;
struct vlapic;
struct trace_ring;
struct emu_ops;
struct emu_result;

/* Event types, in the encoding shared by the SVM EVENTINJ field (APM2
 * 15.20) and the VMX VM-entry interruption-information field (SDM 3C
 * 24.8.3); the vendor code translates where they differ. */
enum event_type {
    EVENT_EXT_INT = 0,   /* external interrupt (from the vLAPIC/PIC) */
    EVENT_NMI = 2,
    EVENT_EXCEPTION = 3,
    EVENT_SOFT_INT = 4,
    /* VMX only (re-injection of an event an exit cut short): INT1, and
     * INT3/INTO; SVM reports those as EVENT_EXCEPTION. */
    EVENT_PRIV_SOFT_EXCEPTION = 5,
    EVENT_SOFT_EXCEPTION = 6,
};

/* An event to deliver through the guest IDT on the next VM entry. */
struct event {
    bool valid;
    uint8_t type;        /* enum event_type */
    uint8_t vector;
    bool has_error;
    uint32_t error_code;
    /* #DB only: the DR6 bits this debug exception reports (SDM 3A 17.2.3,
     * e.g. DR6_BS for a single-step trap). Injecting an event does not
     * write DR6 on either vendor (SDM 3C 26.6.1.1, APM2 15.20), so the
     * vendor code ORs these into the guest's DR6 as it injects. */
    uint64_t dr6;
    /* Software interrupts and exceptions: the length in bytes of the
     * instruction that raised it (INT n, INT3, INTO, INT1), which VMX
     * needs to push the return address (SDM 3C 24.8.3); 0 means 2. */
    uint8_t insn_len;
};

/* DR6.BS, "single step" (SDM 3A 17.2.3). */
#define DR6_BS BIT(14)

enum vcpu_run_state {
    VCPU_RUNNABLE,
    VCPU_HALTED,       /* in HLT: runnable again when an interrupt is pending */
    VCPU_WAIT_SIPI,    /* an AP before its startup IPI */
    VCPU_STOPPED,      /* its VM has ended */
};

/* Per-reason exit statistics: count, and host TSC cycles spent in Keel
 * handling the exit (total, fastest, slowest; min is valid when count > 0).
 * Printed by hv/debug/stats.c. */
struct exit_stats {
    uint64_t count[EXIT_REASON_COUNT];
    uint64_t cycles[EXIT_REASON_COUNT];
    uint64_t min[EXIT_REASON_COUNT];
    uint64_t max[EXIT_REASON_COUNT];
};

struct vcpu {
    struct vm *vm;
    unsigned id;                  /* 0 = bootstrap processor */
    struct vcpu_state state;
    /* The core set the whole of state outside this vCPU's own exit
     * (reset, INIT/SIPI): the vendor writes every field at the next
     * entry, not only those that changed (arch/x86/vmx/vmx_state.c).
     * Code that changes segments, GDTR or IDTR otherwise does so only
     * after vcpu_emu_ops, i.e. vendor->fetch_state. */
    bool state_replaced;
    struct event event;           /* consumed by the vendor run() */
    bool want_intr_window;        /* exit when the guest can take an IRQ */
    bool want_nmi_window;         /* exit when the guest can take an NMI */
    bool yield;                   /* end the slice after this exit: another
                                     vCPU has work (an IPI sent, a PAUSE
                                     loop); hv/sched.c clears it */
    enum vcpu_run_state run_state;
    /* The physical CPU that runs this vCPU (Keel's numbering, 0 = boot
     * CPU; pin_cpu of its VM's cpus mask), fixed when the VM is built: a
     * vCPU never moves, so its VMCB/VMCS stays on one CPU. */
    unsigned pcpu;
    /* Between the entry and the exit (set and cleared under the
     * hypervisor lock, hv/sched.h): another CPU must not touch its state
     * (reset) and must kick it to make it see a change. */
    volatile bool in_guest;
    struct vlapic *lapic;
    void *vendor;                 /* VMCB / VMCS bookkeeping */
    uint64_t tsc_offset;          /* guest TSC = host TSC + tsc_offset */
    void *fpu;                    /* x87/SSE/AVX save area (platform_fpu_*) */
    uint64_t xcr0;                /* the guest's XCR0 while it is saved */
    struct dreg_state dreg;       /* DR0-DR3, DR6 while another vCPU runs */
    struct pvclock pvclock;       /* kvmclock MSRs (hv/dev/pvclock.h) */
    struct pv_eoi pv_eoi;         /* paravirtual EOI (hv/dev/pv_eoi.h) */
    struct exit_stats stats;
    /* PCI CONFIG_DATA accesses Keel carried out in the exit of the OUT to
     * CONFIG_ADDRESS before them, each an exit saved (hv/exit/exit_io.c). */
    uint64_t io_paired;
    /* Wake-ups by another vCPU (an IPI, its timer): host TSC when the
     * first one since this vCPU last entered the guest came (0: none), and
     * how long such wake-ups waited for the entry (count, total, max
     * cycles). Printed at VM end. */
    uint64_t woken_tsc;
    uint64_t wakes, wake_cycles, wake_max;
    struct trace_ring *trace;     /* last exits (hv/debug/trace.h); lazily made */
};

/* Make v's physical CPU look at v again: a host IPI (HOST_KICK_VECTOR)
 * that ends its guest run or wakes its idle HLT, when v runs on another
 * CPU than the caller's. Called wherever another CPU changes what v must
 * do: an interrupt made pending in its vLAPIC, its VM's end or reset. */
void vcpu_kick(struct vcpu *v);

/* Does another vCPU of v's VM run on v's physical CPU (time-sliced with
 * it)? Only then can a vCPU spinning on PAUSE be waiting for a sibling
 * that is not running; pinned vCPUs on CPUs of their own never are.
 * Valid once the VM's vCPUs exist (machine.c sets pcpu first). */
bool vcpu_shares_cpu(const struct vcpu *v);

/* Queue an exception for the guest (replaces a pending external interrupt,
 * which is re-requested later; SDM 3A 6.9 priorities are kept simple: the
 * fault wins). */
void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error,
                           uint32_t error_code);

/* #GP(0) and #UD, the two the handlers raise most. */
static inline void vcpu_inject_gp(struct vcpu *v)
{
    vcpu_inject_exception(v, VEC_GP, true, 0);
}
static inline void vcpu_inject_ud(struct vcpu *v)
{
    vcpu_inject_exception(v, VEC_UD, false, 0);
}

/* Complete the intercepted instruction: move RIP past it (exit->insn_len
 * when the CPU reported the length, else decoded from guest memory at RIP)
 * and clear the interrupt shadow, as completing an instruction does.
 * Returns 0. On failure RIP is unchanged and the instruction has not
 * completed: -EFAULT when its bytes could not be fetched (the fault the
 * fetch would raise, e.g. #PF with CR2, is queued for the guest, which runs
 * on and retries), any other negative code after the VM was crashed (the
 * bytes do not decode). Either way the caller must do nothing more for
 * this instruction; a handler whose last act is this call may ignore the
 * result. */
int vcpu_skip_insn(struct vcpu *v, const struct vm_exit *exit);

/* Complete an instruction of len bytes (1..15) at RIP that Keel carried
 * out or found done: RIP moves past it (wrapping at 4 GiB outside 64-bit
 * mode) and vcpu_complete_insn follows. */
void vcpu_retire_insn(struct vcpu *v, unsigned len);

/* What completing any instruction for the guest does besides moving RIP
 * (called by vcpu_skip_insn and after the emulator finished one): the
 * STI/MOV SS interrupt shadow ends, and with RFLAGS.TF set the single-step
 * trap follows the instruction (SDM 3A 17.3.1.4 "Single-Step Exception
 * Condition"): #DB with DR6.BS is queued unless the instruction already
 * queued an exception of its own. */
void vcpu_complete_insn(struct vcpu *v);

/* Queue the fault the emulator reported in res (status EMU_FAULT, or a
 * failed fetch of the instruction): its exception, and CR2 for a #PF, as
 * the CPU would have raised them (RIP stays on the instruction). */
void vcpu_inject_emu_fault(struct vcpu *v, const struct emu_result *res);

/* Fill ops so the emulator (hv/emulate/emulate.h) reaches v's VM: guest RAM
 * through its memory map, every other GPA through its MMIO bus. Brings all
 * of v->state up to date first (vendor->fetch_state): v must be the vCPU
 * whose exit is being handled. */
void vcpu_emu_ops(struct vcpu *v, struct emu_ops *ops);

/* Give the CPU v's x87/SSE/AVX state and XCR0 (arch/x86/fpu.c): save the
 * previous owner's, load v's, allocating v's save area on first use
 * (crashes v's VM if there is no memory). Without this, vCPUs of one VM or
 * of different VMs would see and corrupt each other's registers. */
void vcpu_fpu_load(struct vcpu *v);

/* Put v's x87/SSE/AVX state back to its power-on values (VM reset); the
 * CPU's copy is no longer v's. */
void vcpu_fpu_reset(struct vcpu *v);

/* Give the CPU v's DR0-DR3 and DR6 (arch/x86/dreg.c): save the previous
 * owner's, load v's. Guests reach these registers without an exit and no
 * world switch saves them, so without this one VM would read and set
 * another's breakpoints (issue 11). */
void vcpu_dreg_load(struct vcpu *v);

/* Put v's debug registers back to their power-on values (VM reset); the
 * CPU's copy is no longer v's. */
void vcpu_dreg_reset(struct vcpu *v);

/* Print the guest registers (for panic and VM crash reports). */
void vcpu_dump(const struct vcpu *v);

#endif
