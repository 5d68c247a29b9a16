/* VM exit handlers, dispatched through one table (STYLE.md: designated
 * initialisers, a bounds check and a loud default). Handlers advance RIP
 * only when the instruction completed; a fault injected into the guest
 * leaves RIP on the instruction, as hardware does. */
#include "hv/dev/bus.h"
#include "hv/exit/cpuid.h"
#include "hv/emulate/emulate.h"
#include "lib/errno.h"
#include "hv/exit/exit.h"
#include "hv/core/inject.h"
#include "lib/log.h"
#include "lib/once.h"
#include "hv/exit/msr.h"
#include "arch/x86/platform.h"
#include "hv/core/vendor.h"
#include "hv/core/vm.h"

typedef void (*exit_handler_t)(struct vcpu *v, const struct vm_exit *exit);

/* Write an IN result into RAX as the CPU would: 8- and 16-bit results
 * merge into AL/AX, a 32-bit result zero-extends (SDM 3A 3.4.1.1). */
static void set_in_result(struct vcpu *v, unsigned size, uint64_t val)
{
    /* LAB 3 BEGIN: merge an IN result into RAX by operand size */
    uint64_t *rax = &v->state.gpr[GPR_RAX];
    if (size == 4)
        *rax = (uint32_t)val;
    else if (size == 2)
        *rax = (*rax & ~0xffffULL) | (val & 0xffff);
    else
        *rax = (*rax & ~0xffULL) | (val & 0xff);
    /* LAB 3 STUB
    v->state.gpr[GPR_RAX] = val;
    */
    /* LAB 3 END */
}

/* Log an access to a port no device claims, once per port (lib/once.h:
 * when the table is full, further ports are still handled, not logged).
 * Reads of such ports return all-ones, as on an ISA bus with nothing
 * driving it; writes are dropped. */
static void log_unclaimed_port(const struct vm *vm, uint16_t port, bool in)
{
    ONCE_TABLE(seen, 64, "unclaimed ports");
    once_log(&seen, port, LOG_INFO,
             "vm %s: %s unclaimed port %#x (%s; logged once per port)",
             vm->name, in ? "IN from" : "OUT to", port,
             in ? "reads all-ones" : "ignored");
}

static void handle_io(struct vcpu *v, const struct vm_exit *exit)
{
    struct vm *vm = v->vm;
    uint16_t port = exit->io.port;
    unsigned size = exit->io.size;
    uint64_t mask = bus_all_ones(size);

    if (exit->io.string) {
        vm_crash(vm, "string I/O (INS/OUTS) on port %#x is not supported",
                 port);
        return;
    }
    if (exit->io.in) {
        uint64_t val;
        int err = bus_read(&vm->pio, port, size, &val);
        if (err) {
            if (err == -ENOENT)
                log_unclaimed_port(vm, port, true);
            val = mask;
        }
        set_in_result(v, size, val);
    } else {
        uint64_t val = v->state.gpr[GPR_RAX] & mask;
        int err = bus_write(&vm->pio, port, size, val);
        if (err == -ENOENT)
            log_unclaimed_port(vm, port, false);
    }
    vcpu_skip_insn(v, exit);
}

static void handle_npf(struct vcpu *v, const struct vm_exit *exit)
{
    /* LAB 4 BEGIN: a nested page fault is either MMIO or a guest bug */
    struct vm *vm = v->vm;
    gpa_t gpa = exit->npf.gpa;

    if (!bus_find(&vm->mmio, gpa)) {
        vm_crash(vm, "%s of unmapped guest-physical address %#llx at rip "
                 "%#llx", exit->npf.fetch ? "instruction fetch" :
                 exit->npf.write ? "write" : "read",
                 (unsigned long long)gpa, (unsigned long long)v->state.rip);
        return;
    }
    struct emu_ops ops;
    struct emu_result res = { 0 };
    vcpu_emu_ops(v, &ops);
    switch (emulate_insn(&v->state, &ops, &res)) {
    case EMU_OK:
        v->state.interrupt_shadow = false;
        return;
    case EMU_FAULT:
        vcpu_inject_exception(v, res.fault.vector, res.fault.has_error,
                              res.fault.error_code);
        if (res.fault.vector == VEC_PF)
            v->state.cr2 = res.fault.cr2;
        return;
    case EMU_UNHANDLED: {
        char hex[3 * 15 + 1];
        for (unsigned i = 0; i < res.nbytes && i < 15; i++) {
            static const char digits[] = "0123456789abcdef";
            hex[i * 3] = digits[res.bytes[i] >> 4];
            hex[i * 3 + 1] = digits[res.bytes[i] & 15];
            hex[i * 3 + 2] = ' ';
        }
        hex[res.nbytes ? res.nbytes * 3 - 1 : 0] = '\0';
        vm_crash(vm, "cannot emulate the instruction at rip %#llx (bytes "
                 "%s) accessing MMIO %#llx", (unsigned long long)v->state.rip,
                 hex, (unsigned long long)gpa);
        return;
    }
    case EMU_ERROR:
        vm_crash(vm, "MMIO access to %#llx at rip %#llx failed",
                 (unsigned long long)gpa, (unsigned long long)v->state.rip);
        return;
    }
    /* LAB 4 STUB
    vm_crash(v->vm, "lab 4: handle_npf is not written (gpa %#llx)",
             (unsigned long long)exit->npf.gpa);
    */
    /* LAB 4 END */
}

static void handle_cpuid(struct vcpu *v, const struct vm_exit *exit)
{
    /* LAB 2 BEGIN: CPUID from Keel's policy, then step over it */
    uint32_t out[4];
    cpuid_guest(v, (uint32_t)v->state.gpr[GPR_RAX],
                (uint32_t)v->state.gpr[GPR_RCX], out);
    v->state.gpr[GPR_RAX] = out[0];
    v->state.gpr[GPR_RBX] = out[1];
    v->state.gpr[GPR_RCX] = out[2];
    v->state.gpr[GPR_RDX] = out[3];
    vcpu_skip_insn(v, exit);
    /* LAB 2 STUB
    vm_crash(v->vm, "lab 2: handle_cpuid is not written");
    */
    /* LAB 2 END */
}

static void handle_msr_read(struct vcpu *v, const struct vm_exit *exit)
{
    /* LAB 2 BEGIN: RDMSR: EDX:EAX from the MSR policy, or #GP */
    uint64_t val;
    if (msr_read(v, exit->msr.index, &val)) {
        vcpu_inject_gp(v);
        return;
    }
    v->state.gpr[GPR_RAX] = (uint32_t)val;
    v->state.gpr[GPR_RDX] = val >> 32;
    vcpu_skip_insn(v, exit);
    /* LAB 2 STUB
    vm_crash(v->vm, "lab 2: handle_msr_read is not written");
    */
    /* LAB 2 END */
}

static void handle_msr_write(struct vcpu *v, const struct vm_exit *exit)
{
    /* LAB 2 BEGIN: WRMSR: EDX:EAX to the MSR policy, or #GP */
    uint64_t val = (uint32_t)v->state.gpr[GPR_RAX] |
                   (v->state.gpr[GPR_RDX] << 32);
    if (msr_write(v, exit->msr.index, val)) {
        vcpu_inject_gp(v);
        return;
    }
    vcpu_skip_insn(v, exit);
    /* LAB 2 STUB
    vm_crash(v->vm, "lab 2: handle_msr_write is not written");
    */
    /* LAB 2 END */
}

static void handle_hlt(struct vcpu *v, const struct vm_exit *exit)
{
    /* LAB 1 BEGIN: HLT idles the vCPU; cli; hlt everywhere ends the VM */
    struct vm *vm = v->vm;

    if (vcpu_skip_insn(v, exit))
        return;
    if (inject_pending(v) && (v->state.rflags & RFLAGS_IF))
        return;   /* an interrupt is already waiting: HLT ends at once */
    v->run_state = VCPU_HALTED;
    /* With IF=0 only NMI, INIT or SMI could wake the vCPU, and Keel sends
     * none of those to a halted guest: "cli; hlt" is the end. When every
     * vCPU has done it, the VM has ended. */
    if (v->state.rflags & RFLAGS_IF)
        return;
    for (unsigned i = 0; i < vm->nr_vcpus; i++) {
        const struct vcpu *o = vm->vcpus[i];
        if (o->run_state != VCPU_HALTED && o->run_state != VCPU_WAIT_SIPI)
            return;
        if (o->run_state == VCPU_HALTED && (o->state.rflags & RFLAGS_IF))
            return;
    }
    vm_stop(vm, VM_END_HALTED, "every vCPU halted with interrupts disabled "
            "(last at rip %#llx)", (unsigned long long)v->state.rip);
    /* LAB 1 STUB
    vm_crash(v->vm, "lab 1: handle_hlt is not written");
    */
    /* LAB 1 END */
}

static void handle_nothing(struct vcpu *v, const struct vm_exit *exit)
{
    /* INTR: the host handled its interrupt after the exit. INTR_WINDOW:
     * the injection point runs before the next entry. NMI, PAUSE: no
     * guest-visible effect. */
    (void)v;
    (void)exit;
}

static void handle_skip(struct vcpu *v, const struct vm_exit *exit)
{
    /* INVD: dropping caches without writing back is never safe for a
     * guest sharing memory with Keel; completing it as a no-op is. */
    vcpu_skip_insn(v, exit);
}

static void handle_ud(struct vcpu *v, const struct vm_exit *exit)
{
    /* VMMCALL/VMCALL (no hypercalls yet) and the SVM instructions the
     * guest cannot see in CPUID: #UD, as on a CPU without them. */
    (void)exit;
    vcpu_inject_ud(v);
}

/* CR4 bits a guest may never set: VMXE and SMXE (VMX and SMX are hidden
 * from guests), bit 15 and bits 63:25 (reserved; SDM 3A 2.5). */
#define CR4_GUEST_RESERVED (BIT(13) | BIT(14) | BIT(15) | ~(BIT(25) - 1))

/* MOV to CR0/CR4 that the vendor intercepted because it touches a bit the
 * hardware forces (VMX: CR0.NE, CR4.VMXE; SDM 3C 24.6.6). Done as the CPU
 * would (SDM 2 "MOV--Move to/from Control Registers", SDM 3A 2.5, 9.8.5
 * "Initializing IA-32e Mode"): #GP for invalid values, EFER.LMA follows
 * CR0.PG when EFER.LME is set; the vendor loads the value on entry. The
 * TLBs are flushed, as such a write may change how addresses translate. */
static void handle_cr_access(struct vcpu *v, const struct vm_exit *exit)
{
    struct vcpu_state *s = &v->state;
    if (!exit->cr.write || (exit->cr.cr != 0 && exit->cr.cr != 4) ||
        exit->cr.gpr >= GPR_COUNT) {
        vm_crash(v->vm, "unexpected control-register access exit (CR%u, %s)",
                 exit->cr.cr, exit->cr.write ? "write" : "read");
        return;
    }
    uint64_t val = s->gpr[exit->cr.gpr];
    if (vcpu_state_mode(s) != MODE_LONG64)
        val = (uint32_t)val;
    if (exit->cr.cr == 0) {
        bool pg_on = (val & CR0_PG) && !(s->cr0 & CR0_PG);
        bool pg_off = !(val & CR0_PG) && (s->cr0 & CR0_PG);
        if ((val >> 32) || ((val & CR0_PG) && !(val & CR0_PE)) ||
            ((val & CR0_NW) && !(val & CR0_CD)) ||
            (pg_on && (s->efer & EFER_LME) && !(s->cr4 & CR4_PAE)) ||
            (pg_off && vcpu_state_mode(s) == MODE_LONG64)) {
            vcpu_inject_gp(v);
            return;
        }
        if (pg_on && (s->efer & EFER_LME))
            s->efer |= EFER_LMA;
        if (pg_off)
            s->efer &= ~EFER_LMA;
        s->cr0 = val | CR0_ET;   /* ET is fixed to 1 (SDM 3A 2.5) */
    } else {
        if ((val & CR4_GUEST_RESERVED) ||
            (!(val & CR4_PAE) && (s->efer & EFER_LMA))) {
            vcpu_inject_gp(v);
            return;
        }
        s->cr4 = val;
    }
    if (vcpu_skip_insn(v, exit))
        return;
    vendor->flush_guest_tlb(v);
}

/* XSETBV, which VMX always intercepts (SDM 3C 25.1.2): #UD without
 * CR4.OSXSAVE, #GP at CPL > 0 or for an invalid XCR0 value, else the
 * host loads it (the guest's XCR0 stays loaded while Keel runs). */
static void handle_xsetbv(struct vcpu *v, const struct vm_exit *exit)
{
    const struct vcpu_state *s = &v->state;
    uint32_t index = (uint32_t)s->gpr[GPR_RCX];
    uint64_t val = (uint32_t)s->gpr[GPR_RAX] |
                   ((uint64_t)(uint32_t)s->gpr[GPR_RDX] << 32);
    unsigned cpl = (s->cr0 & CR0_PE) ? SEG_ATTR_DPL(s->seg[SEG_SS].attr) : 0;

    if (!(s->cr4 & CR4_OSXSAVE)) {
        vcpu_inject_ud(v);
        return;
    }
    if (cpl != 0 || platform_xsetbv(index, val)) {
        vcpu_inject_gp(v);
        return;
    }
    vcpu_skip_insn(v, exit);
}

static void handle_triple_fault(struct vcpu *v, const struct vm_exit *exit)
{
    vm_stop(v->vm, VM_END_TRIPLE_FAULT, "triple fault (%s) at rip %#llx",
            exit->raw_name ? exit->raw_name : "shutdown",
            (unsigned long long)v->state.rip);
}

static void handle_exception(struct vcpu *v, const struct vm_exit *exit)
{
    if (exit->exception.vector == VEC_MC) {
        vm_crash(v->vm, "machine check while the guest ran");
        return;
    }
    /* Intercepted for observation only: deliver it unchanged. */
    vcpu_inject_exception(v, exit->exception.vector, exit->exception.has_error,
                          exit->exception.error_code);
}

static void handle_entry_failed(struct vcpu *v, const struct vm_exit *exit)
{
    vm_crash(v->vm, "VM entry failed (%s, info %#llx/%#llx): the guest "
             "state is invalid", exit->raw_name ? exit->raw_name : "?",
             (unsigned long long)exit->raw.info1,
             (unsigned long long)exit->raw.info2);
    vendor->dump(v);
}

static void handle_unexpected(struct vcpu *v, const struct vm_exit *exit)
{
    vm_crash(v->vm, "unexpected exit %s (code %#llx, info %#llx/%#llx)",
             exit->raw_name ? exit->raw_name : "?",
             (unsigned long long)exit->raw_reason,
             (unsigned long long)exit->raw.info1,
             (unsigned long long)exit->raw.info2);
    vendor->dump(v);
}

static const exit_handler_t handlers[EXIT_REASON_COUNT] = {
    [EXIT_IO] = handle_io,
    [EXIT_NPF] = handle_npf,
    [EXIT_CPUID] = handle_cpuid,
    [EXIT_MSR_READ] = handle_msr_read,
    [EXIT_MSR_WRITE] = handle_msr_write,
    [EXIT_HLT] = handle_hlt,
    [EXIT_INTR] = handle_nothing,
    [EXIT_INTR_WINDOW] = handle_nothing,
    [EXIT_NMI] = handle_nothing,
    [EXIT_PAUSE] = handle_nothing,
    [EXIT_INVD] = handle_skip,
    [EXIT_CR_ACCESS] = handle_cr_access,
    [EXIT_XSETBV] = handle_xsetbv,
    [EXIT_VMCALL] = handle_ud,
    [EXIT_VIRT_INSN] = handle_ud,
    [EXIT_TRIPLE_FAULT] = handle_triple_fault,
    [EXIT_EXCEPTION] = handle_exception,
    [EXIT_ENTRY_FAILED] = handle_entry_failed,
    [EXIT_UNEXPECTED] = handle_unexpected,
};

void exit_dispatch(struct vcpu *v, const struct vm_exit *exit)
{
    if ((unsigned)exit->reason >= EXIT_REASON_COUNT || !handlers[exit->reason]) {
        handle_unexpected(v, exit);
        return;
    }
    handlers[exit->reason](v, exit);
}
