/* The minimal VM of host tests (test/unit/fake_vm.h). */
#include <stdlib.h>
#include <string.h>
#include "hv/core/vendor.h"
#include "hv/dev/vlapic.h"
#include "hv/dev/vpic.h"
#include "mm/frame.h"
#include "mm/pt.h"
#include "test/unit/fake_vm.h"

unsigned fake_vendor_flushes;
unsigned fake_vendor_dumps;
bool fake_vendor_dr7_armed;

static int fake_ok(void) { return 0; }
static int fake_vm_init(struct vm *vm) { (void)vm; return 0; }
static int fake_vcpu_init(struct vcpu *v) { (void)v; return 0; }
static void fake_run(struct vcpu *v, struct vm_exit *exit)
{
    (void)v, (void)exit;
    abort();   /* host tests dispatch exits themselves */
}
static void fake_fetch(struct vcpu *v) { (void)v; }   /* state is all there */
static void fake_flush(struct vcpu *v) { (void)v; fake_vendor_flushes++; }
static void fake_dump(const struct vcpu *v) { (void)v; fake_vendor_dumps++; }
static bool fake_breakpoints(const struct vcpu *v)
{
    (void)v;
    return fake_vendor_dr7_armed;
}

/* The host has neither SVM nor VMX: both tables vendor.c names are the
 * fake one, so hv/core/vendor.c links. */
#define FAKE_OPS(n) {                                                     \
    .name = n, .npt_format = &pt_format_npt, .detect = fake_ok,          \
    .hw_enable = fake_ok, .vm_init = fake_vm_init,                       \
    .vcpu_init = fake_vcpu_init, .run = fake_run,                        \
    .fetch_state = fake_fetch,                                           \
    .flush_guest_tlb = fake_flush, .dump = fake_dump,                    \
    .breakpoints_armed = fake_breakpoints }
const struct vendor_ops svm_ops = FAKE_OPS("FAKE");
const struct vendor_ops vmx_ops = FAKE_OPS("FAKE");

static const struct vlapic_host_ops no_lapic_ops;

/* Host frames for the nested page tables (and nothing else). */
#define POOL_SIZE (1u << 20)
static void *pool;

/* A VM and the RAM blocks fake_vm_add_ram gave it. */
#define MAX_RAM 8
struct fake_vm {
    struct vm vm;          /* first: a struct vm * is a struct fake_vm * */
    void *ram[MAX_RAM];
    unsigned nr_ram;
};

static struct vm_config cfg = {
    .name = "test", .memory = 64u << 20, .format = FMT_FLAT,
};

struct vm *fake_vm_create(unsigned nr_vcpus, unsigned flags)
{
    if (nr_vcpus == 0 || nr_vcpus > FAKE_VM_MAX_VCPUS)
        abort();
    if (!pool) {
        if (!(pool = aligned_alloc(PAGE_SIZE, POOL_SIZE)))
            abort();
        frame_init();
        if (frame_add_free(ptr_hpa(pool), POOL_SIZE / PAGE_SIZE))
            abort();
    }

    struct fake_vm *f = calloc(1, sizeof(*f));
    if (!f)
        abort();
    struct vm *vm = &f->vm;
    cfg.vcpus = nr_vcpus;
    vm->cfg = &cfg;
    strcpy(vm->name, cfg.name);
    vm->pio.name = "pio";
    vm->mmio.name = "mmio";
    if (pt_init(&vm->npt, &pt_format_npt))
        abort();
    vendor = &svm_ops;
    fake_vendor_flushes = fake_vendor_dumps = 0;
    fake_vendor_dr7_armed = false;

    /* Flat 32-bit protected mode: CS base 0, 4 GiB, D/B set. */
    const uint16_t code = 0x0b | SEG_ATTR_S | SEG_ATTR_P | SEG_ATTR_DB |
                          SEG_ATTR_G;
    const uint16_t data = 0x03 | SEG_ATTR_S | SEG_ATTR_P | SEG_ATTR_DB |
                          SEG_ATTR_G;
    for (unsigned i = 0; i < nr_vcpus; i++) {
        struct vcpu *v = calloc(1, sizeof(*v));
        if (!v)
            abort();
        v->vm = vm;
        v->id = i;
        v->run_state = i == 0 ? VCPU_RUNNABLE : VCPU_WAIT_SIPI;
        v->state.cr0 = CR0_PE | CR0_ET;
        v->state.rflags = RFLAGS_FIXED | RFLAGS_IF;
        for (int s = 0; s < SEG_COUNT; s++)
            v->state.seg[s] = (struct segment){ 0x10, data, 0xffffffff, 0 };
        v->state.seg[SEG_CS] = (struct segment){ 0x08, code, 0xffffffff, 0 };
        for (int e = 0; e < EXIT_REASON_COUNT; e++)
            v->stats.min[e] = ~0ULL;
        if (flags & FAKE_VM_LAPIC) {
            v->lapic = vlapic_create(i, &no_lapic_ops, v);
            if (!v->lapic)
                abort();
            uint64_t svr = APIC_SVR_ENABLE | 0xff;
            vlapic_mmio_write(v->lapic, APIC_REG_SVR, 4, svr);
            vm->lapics[i] = v->lapic;
        }
        vm->vcpus[vm->nr_vcpus++] = v;
    }
    if ((flags & FAKE_VM_PIC) && !(vm->pic = vpic_create(NULL, NULL)))
        abort();
    return vm;
}

void *fake_vm_add_ram(struct vm *vm, gpa_t gpa, uint64_t size)
{
    struct fake_vm *f = (struct fake_vm *)vm;
    void *p = aligned_alloc(PAGE_SIZE, size);
    if (!p || f->nr_ram == MAX_RAM)
        abort();
    memset(p, 0, size);
    f->ram[f->nr_ram++] = p;
    if (gmem_add_slot(&vm->mem, gpa, size, ptr_hpa(p)) ||
        pt_map(&vm->npt, gpa, ptr_hpa(p), size, PT_RWX))
        abort();
    return p;
}

void fake_vm_destroy(struct vm *vm)
{
    for (unsigned i = 0; i < vm->nr_vcpus; i++) {
        free(vm->vcpus[i]->lapic);
        free(vm->vcpus[i]->trace);
        free(vm->vcpus[i]);
    }
    struct fake_vm *f = (struct fake_vm *)vm;
    for (unsigned i = 0; i < f->nr_ram; i++)
        free(f->ram[i]);
    pt_destroy(&vm->npt);   /* its frames go back to the pool */
    free(vm->pic);
    free(f);
}
