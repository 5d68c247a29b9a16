/* The vCPU run loop: one guest entry, the exit statistics, and helpers the
 * exit handlers share (hv/core/vcpu.h). */
#include "hv/emulate/emulate.h"
#include "lib/errno.h"
#include "hv/exit/exit.h"
#include "hv/core/inject.h"
#include "lib/log.h"
#include "hv/machine/pc.h"
#include "arch/x86/platform.h"
#include "hv/debug/trace.h"
#include "hv/core/vendor.h"
#include "hv/core/vm.h"

const char *exit_reason_name(enum exit_reason r)
{
    static const char *const names[EXIT_REASON_COUNT] = {
        [EXIT_IO] = "IO", [EXIT_NPF] = "NPF", [EXIT_CPUID] = "CPUID",
        [EXIT_MSR_READ] = "MSR_READ", [EXIT_MSR_WRITE] = "MSR_WRITE",
        [EXIT_HLT] = "HLT", [EXIT_INTR] = "INTR",
        [EXIT_INTR_WINDOW] = "INTR_WINDOW", [EXIT_CR_ACCESS] = "CR_ACCESS",
        [EXIT_EXCEPTION] = "EXCEPTION", [EXIT_TRIPLE_FAULT] = "TRIPLE_FAULT",
        [EXIT_VMCALL] = "VMCALL", [EXIT_XSETBV] = "XSETBV",
        [EXIT_INVD] = "INVD", [EXIT_NMI] = "NMI", [EXIT_PAUSE] = "PAUSE",
        [EXIT_VIRT_INSN] = "VIRT_INSN", [EXIT_ENTRY_FAILED] = "ENTRY_FAILED",
        [EXIT_UNEXPECTED] = "UNEXPECTED",
    };
    return (unsigned)r < EXIT_REASON_COUNT && names[r] ? names[r] : "?";
}

void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error,
                           uint32_t error_code)
{
    /* An external interrupt not yet delivered is simply asked for again
     * by the injection point once the exception is on its way. */
    v->event = (struct event){
        .valid = true, .type = EVENT_EXCEPTION, .vector = vector,
        .has_error = has_error, .error_code = error_code,
    };
}

/* The emulator's view of guest memory: RAM through guest_mem, everything
 * else through the VM's MMIO bus. */
static int emu_read_ram(void *ctx, gpa_t gpa, void *buf, size_t len)
{
    return gmem_read(&((struct vcpu *)ctx)->vm->mem, gpa, buf, len);
}

static int emu_write_ram(void *ctx, gpa_t gpa, const void *buf, size_t len)
{
    return gmem_write(&((struct vcpu *)ctx)->vm->mem, gpa, buf, len);
}

static int emu_phys_read(void *ctx, gpa_t gpa, unsigned size, uint64_t *val)
{
    struct vm *vm = ((struct vcpu *)ctx)->vm;
    if (gmem_is_ram(&vm->mem, gpa, size)) {
        *val = 0;
        return gmem_read(&vm->mem, gpa, val, size);
    }
    return bus_read(&vm->mmio, gpa, size, val);
}

static int emu_phys_write(void *ctx, gpa_t gpa, unsigned size, uint64_t val)
{
    struct vm *vm = ((struct vcpu *)ctx)->vm;
    if (gmem_is_ram(&vm->mem, gpa, size))
        return gmem_write(&vm->mem, gpa, &val, size);
    return bus_write(&vm->mmio, gpa, size, val);
}

void vcpu_emu_ops(struct vcpu *v, struct emu_ops *ops)
{
    *ops = (struct emu_ops){
        .ctx = v,
        .read_ram = emu_read_ram,
        .write_ram = emu_write_ram,
        .phys_read = emu_phys_read,
        .phys_write = emu_phys_write,
    };
}

int vcpu_skip_insn(struct vcpu *v, const struct vm_exit *exit)
{
    int len = exit->insn_len;
    if (!len) {
        struct emu_ops ops;
        struct emu_result res;
        vcpu_emu_ops(v, &ops);
        len = emulate_insn_length(&v->state, &ops, &res);
        if (len == -EFAULT) {
            /* The instruction's page vanished from under it: let the guest
             * take the page fault it would have taken on hardware. */
            vcpu_inject_exception(v, res.fault.vector, res.fault.has_error,
                                  res.fault.error_code);
            if (res.fault.vector == VEC_PF)
                v->state.cr2 = res.fault.cr2;
            return len;
        }
        if (len < 0) {
            vm_crash(v->vm, "cannot decode the %s instruction at rip %#llx",
                     exit_reason_name(exit->reason),
                     (unsigned long long)v->state.rip);
            return len;
        }
    }
    v->state.rip += (uint64_t)len;
    if (vcpu_state_mode(&v->state) != MODE_LONG64)
        v->state.rip &= 0xffffffffULL;
    v->state.interrupt_shadow = false;
    return 0;
}

void vcpu_run_once(struct vcpu *v)
{
    struct vm_exit exit;

    v->vm->current = v;
    pc_update(v->vm, platform_now_ns());
    inject_prepare_entry(v);
    vendor->run(v, &exit);

    uint64_t t0 = platform_rdtsc();
    trace_record(v, &exit, t0);   /* before the handler changes RIP/RAX */
    exit_dispatch(v, &exit);
    uint64_t dt = platform_rdtsc() - t0;

    struct exit_stats *s = &v->stats;
    unsigned r = exit.reason < EXIT_REASON_COUNT ? exit.reason : EXIT_UNEXPECTED;
    s->min[r] = s->count[r] ? MIN(s->min[r], dt) : dt;
    s->count[r]++;
    s->cycles[r] += dt;
    s->max[r] = MAX(s->max[r], dt);
}

void vcpu_dump(const struct vcpu *v)
{
    const struct vcpu_state *s = &v->state;
    kprintf("keel: vm %s vcpu%u registers:\n", v->vm->name, v->id);
    kprintf("  rip %016llx rflags %016llx cs %04x ss %04x\n",
            (unsigned long long)s->rip, (unsigned long long)s->rflags,
            s->seg[SEG_CS].selector, s->seg[SEG_SS].selector);
    static const char *const names[GPR_COUNT] = {
        "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
    };
    for (int i = 0; i < GPR_COUNT; i++)
        kprintf("  %-3s %016llx%s", names[i], (unsigned long long)s->gpr[i],
                i % 4 == 3 ? "\n" : "");
    kprintf("  cr0 %llx cr2 %llx cr3 %llx cr4 %llx efer %llx\n",
            (unsigned long long)s->cr0, (unsigned long long)s->cr2,
            (unsigned long long)s->cr3, (unsigned long long)s->cr4,
            (unsigned long long)s->efer);
}
