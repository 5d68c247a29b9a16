/* Keel's IDT and the handler for exceptions in the hypervisor: any fault in
 * Keel prints the vector by name, the full register frame and the last log
 * lines, then halts (never a silent triple fault).
 * Reference: SDM 3A 6.10 "Interrupt Descriptor Table", 6.14.1 "64-Bit Mode
 * IDT". */
#include "arch/x86/cpu.h"
#include "arch/x86/exception.h"
#include "arch/x86/percpu.h"
#include "arch/x86/platform.h"
#include "arch/x86/trap.h"
#include "arch/x86/vcpu_state.h"
#include "lib/log.h"
#include "lib/panic.h"

struct PACKED idt_gate {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;   /* P | DPL | type (0xE: 64-bit interrupt gate) */
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
};
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate is 16 bytes");

extern uint64_t isr_table[256];
static struct idt_gate idt[256] __attribute__((aligned(16)));
static irq_handler_t irq_handlers[256];

void arch_idt_init(void)
{
    for (int v = 0; v < 256; v++) {
        uint64_t off = isr_table[v];
        idt[v] = (struct idt_gate){
            .offset_lo = off & 0xffff,
            .selector = HOST_CS,
            .ist = v == 8 ? IST_DF : v == 2 ? IST_NMI : v == 18 ? IST_MC : 0,
            .type_attr = 0x8e,
            .offset_mid = (off >> 16) & 0xffff,
            .offset_hi = off >> 32,
        };
    }
    arch_idt_load();
}

void arch_idt_load(void)
{
    struct dt_ptr p = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
    lidt(&p);
}

void trap_set_irq_handler(uint8_t vector, irq_handler_t h)
{
    irq_handlers[vector] = h;
}

/* Acknowledges a stray interrupt at the host's interrupt controller. */
static void (*stray_eoi)(void);

void trap_set_eoi(void (*eoi)(void))
{
    stray_eoi = eoi;
}

/* Where UEFI loaded Keel, so addresses print as image offsets that
 * `addr2line -e build/keel.so` understands (set by boot/). */
uint64_t keel_image_base, keel_image_size;

static void dump_stack(uint64_t rsp)
{
    const uint64_t *sp = (const uint64_t *)(uintptr_t)rsp;
    kprintf("  stack words that point into Keel's image (offset for "
            "addr2line -e build/keel.so):\n");
    for (int i = 0; i < 64; i++) {
        uint64_t w = sp[i];
        if (w >= keel_image_base && w < keel_image_base + keel_image_size)
            kprintf("    [rsp+%#x] %#llx (image +%#llx)\n", i * 8,
                    (unsigned long long)w,
                    (unsigned long long)(w - keel_image_base));
    }
}

static void dump_frame(const struct trap_frame *f)
{
    kprintf("  rip %016llx (image +%llx)\n", (unsigned long long)f->rip,
            (unsigned long long)(f->rip - keel_image_base));
    kprintf("  rip %016llx  cs %04llx  rflags %016llx\n"
            "  rsp %016llx  ss %04llx  error %016llx\n"
            "  rax %016llx  rbx %016llx  rcx %016llx\n"
            "  rdx %016llx  rsi %016llx  rdi %016llx\n"
            "  rbp %016llx  r8  %016llx  r9  %016llx\n"
            "  r10 %016llx  r11 %016llx  r12 %016llx\n"
            "  r13 %016llx  r14 %016llx  r15 %016llx\n",
            (unsigned long long)f->rip, (unsigned long long)f->cs,
            (unsigned long long)f->rflags, (unsigned long long)f->rsp,
            (unsigned long long)f->ss, (unsigned long long)f->error_code,
            (unsigned long long)f->rax, (unsigned long long)f->rbx,
            (unsigned long long)f->rcx, (unsigned long long)f->rdx,
            (unsigned long long)f->rsi, (unsigned long long)f->rdi,
            (unsigned long long)f->rbp, (unsigned long long)f->r8,
            (unsigned long long)f->r9, (unsigned long long)f->r10,
            (unsigned long long)f->r11, (unsigned long long)f->r12,
            (unsigned long long)f->r13, (unsigned long long)f->r14,
            (unsigned long long)f->r15);
    kprintf("  cr0 %016llx  cr2 %016llx  cr3 %016llx  cr4 %016llx\n",
            (unsigned long long)r_cr0(), (unsigned long long)r_cr2(),
            (unsigned long long)r_cr3(), (unsigned long long)r_cr4());
    dump_stack(f->rsp);
}

void trap_dispatch(struct trap_frame *f)
{
    /* Another CPU had a fatal error (percpu_stop_others): stop here. */
    if (f->vector == VEC_NMI && percpu_stopping())
        platform_halt();
    if (f->vector >= 32 && irq_handlers[f->vector]) {
        irq_handlers[f->vector](f);
        return;
    }
    if (f->vector == HOST_SPURIOUS_VECTOR)
        return;
    if (f->vector >= 32) {
        /* A device the firmware left armed: acknowledge it and go on. */
        log_once(LOG_WARN, "stray host interrupt, vector %llu (logged once)",
                 (unsigned long long)f->vector);
        if (stray_eoi)
            stray_eoi();
        return;
    }
    if (f->vector == VEC_DB) {
        /* Keel sets no breakpoints and never TF, so a #DB here is a
         * guest's single-step trap carried across the world switch: Bochs
         * 2.7's SVM raises it in the host after an intercepted OUT with
         * the guest's TF set, where hardware intercepts before the
         * instruction runs (APM2 15.7.1). Keel injects the guest's trap
         * itself (vcpu_complete_insn); this one is dropped. RF keeps a
         * fault-type #DB from repeating (SDM 3A 17.3.1.1). */
        log_once(LOG_WARN, "host #DB at rip %llx ignored: a guest's debug "
                 "trap leaked into the hypervisor (logged once)",
                 (unsigned long long)f->rip);
        f->rflags |= RFLAGS_RF;
        return;
    }
    const char *mnemonic = exception_mnemonic((unsigned)f->vector);
    const char *name = exception_name((unsigned)f->vector);
    kprintf("\nkeel: FATAL: exception in the hypervisor: vector %llu (%s%s%s)"
            "\n", (unsigned long long)f->vector, mnemonic ? mnemonic : "",
            mnemonic ? " " : "", name);
    dump_frame(f);
    panic("unhandled %s at rip %llx", name, (unsigned long long)f->rip);
}
