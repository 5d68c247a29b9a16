/* A vCPU's own operations (hv/core/vcpu.h): queueing an exception, the
 * emulator's view of its VM, stepping over an intercepted instruction, its
 * register dump, and whose x87/SSE/AVX state the CPU holds. The run loop
 * that enters the guest is hv/run.c. */
#include "arch/x86/fpu.h"
#include "arch/x86/percpu.h"
#include "hv/core/vendor.h"
#include "hv/core/vm.h"
#include "hv/emulate/emulate.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "mm/heap.h"

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

/* A locked compare-and-exchange on guest RAM (the page walk's A/D bits):
 * guest RAM is host memory, so a host atomic is atomic for the guest too. */
static int emu_cmpxchg_ram(void *ctx, gpa_t gpa, uint64_t old,
                           uint64_t new_val, unsigned size)
{
    const struct guest_mem *mem = &((struct vcpu *)ctx)->vm->mem;
    void *p = (size == 4 || size == 8) && !(gpa & (size - 1))
                  ? gmem_ptr(mem, gpa, size) : NULL;
    bool done;
    if (!p)
        return -EFAULT;
    if (size == 4) {
        uint32_t expect = (uint32_t)old;
        done = __atomic_compare_exchange_n((uint32_t *)p, &expect,
                                           (uint32_t)new_val, false,
                                           __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    } else {
        uint64_t expect = old;
        done = __atomic_compare_exchange_n((uint64_t *)p, &expect, new_val,
                                           false, __ATOMIC_SEQ_CST,
                                           __ATOMIC_SEQ_CST);
    }
    if (!done)
        return -EAGAIN;
    gmem_wrote(mem, gpa, size);
    return 0;
}

static int emu_phys_read(void *ctx, gpa_t gpa, unsigned size, uint64_t *val)
{
    struct vm *vm = ((struct vcpu *)ctx)->vm;
    if (gmem_is_ram(&vm->mem, gpa, size)) {
        *val = 0;
        return gmem_read(&vm->mem, gpa, val, size);
    }
    int rc = bus_read(&vm->mmio, gpa, size, val);
    if (rc == -ENOENT) {         /* nothing decodes it: the bus floats */
        *val = bus_all_ones(size);
        return 0;
    }
    return rc;
}

static int emu_phys_write(void *ctx, gpa_t gpa, unsigned size, uint64_t val)
{
    struct vm *vm = ((struct vcpu *)ctx)->vm;
    if (gmem_is_ram(&vm->mem, gpa, size))
        return gmem_write(&vm->mem, gpa, &val, size);
    int rc = bus_write(&vm->mmio, gpa, size, val);
    return rc == -ENOENT ? 0 : rc;   /* nothing decodes it: dropped */
}

void vcpu_emu_ops(struct vcpu *v, struct emu_ops *ops)
{
    vendor->fetch_state(v);      /* the emulator reads all of v->state */
    *ops = (struct emu_ops){
        .ctx = v,
        .read_ram = emu_read_ram,
        .write_ram = emu_write_ram,
        .cmpxchg_ram = emu_cmpxchg_ram,
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
            vcpu_inject_emu_fault(v, &res);
            return len;
        }
        if (len < 0) {
            vm_crash(v->vm, "cannot decode the %s instruction at rip %#llx",
                     exit_reason_name(exit->reason),
                     (unsigned long long)v->state.rip);
            return len;
        }
    }
    vcpu_retire_insn(v, (unsigned)len);
    return 0;
}

void vcpu_retire_insn(struct vcpu *v, unsigned len)
{
    v->state.rip += len;
    if (vcpu_state_mode(&v->state) != MODE_LONG64)
        v->state.rip &= 0xffffffffULL;
    vcpu_complete_insn(v);
}

void vcpu_inject_emu_fault(struct vcpu *v, const struct emu_result *res)
{
    vcpu_inject_exception(v, res->fault.vector, res->fault.has_error,
                          res->fault.error_code);
    if (res->fault.vector == VEC_PF)
        v->state.cr2 = res->fault.cr2;
}

void vcpu_complete_insn(struct vcpu *v)
{
    v->state.interrupt_shadow = false;
    /* On hardware the instruction would have run in the guest and trapped
     * there; Keel ran it instead, so Keel raises the trap. */
    if ((v->state.rflags & RFLAGS_TF) && !v->event.valid)
        v->event = (struct event){
            .valid = true, .type = EVENT_EXCEPTION, .vector = VEC_DB,
            .dr6 = DR6_BS,
        };
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

void vcpu_kick(struct vcpu *v)
{
    if (v->pcpu != percpu_index())
        percpu_kick(v->pcpu);
}

bool vcpu_shares_cpu(const struct vcpu *v)
{
    for (unsigned i = 0; i < v->vm->nr_vcpus; i++)
        if (v->vm->vcpus[i] != v && v->vm->vcpus[i]->pcpu == v->pcpu)
            return true;
    return false;
}

/* Per physical CPU: the vCPU whose x87/SSE/AVX state and XCR0 are in that
 * CPU now (each vCPU only ever runs on its own CPU, v->pcpu). */
static struct vcpu *fpu_owners[PERCPU_MAX];

void vcpu_fpu_load(struct vcpu *v)
{
    struct vcpu **owner = &fpu_owners[v->pcpu];
    struct vcpu *fpu_owner = *owner;
    if (fpu_owner == v)
        return;
    if (!v->fpu) {
        /* XSAVE needs 64-byte alignment; kzalloc gives page alignment
         * from half a page up. */
        v->fpu = kzalloc(MAX(fpu_area_size(), PAGE_SIZE / 2));
        if (!v->fpu) {
            vm_crash(v->vm, "out of memory for the vCPU's FPU state");
            return;
        }
        fpu_init_area(v->fpu, &v->xcr0);
    }
    fpu_switch(fpu_owner ? fpu_owner->fpu : NULL,
                        fpu_owner ? &fpu_owner->xcr0 : NULL, v->fpu, v->xcr0);
    *owner = v;
}

void vcpu_fpu_reset(struct vcpu *v)
{
    if (fpu_owners[v->pcpu] == v)
        fpu_owners[v->pcpu] = NULL;  /* what the CPU holds is stale now */
    if (v->fpu)
        fpu_init_area(v->fpu, &v->xcr0);
}

/* Per physical CPU: the vCPU whose DR0-DR3 and DR6 are in it now. A
 * vCPU never run has dreg all zero: it gets the power-on values on its
 * first load. */
static struct vcpu *dreg_owners[PERCPU_MAX];

void vcpu_dreg_load(struct vcpu *v)
{
    struct vcpu *dreg_owner = dreg_owners[v->pcpu];
    if (dreg_owner == v)
        return;
    if (!v->dreg.dr6)
        dreg_init_state(&v->dreg);
    dreg_switch(dreg_owner ? &dreg_owner->dreg : NULL, &v->dreg);
    dreg_owners[v->pcpu] = v;
}

void vcpu_dreg_reset(struct vcpu *v)
{
    if (dreg_owners[v->pcpu] == v)
        dreg_owners[v->pcpu] = NULL;  /* what the CPU holds is stale now */
    dreg_init_state(&v->dreg);
}
