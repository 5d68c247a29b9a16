/* Keel's own GDT and TSS (SDM 3A 3.4.5 "Segment Descriptors", 7.7 "Task
 * Management in 64-bit Mode"). UEFI's GDT lives in boot-services memory,
 * which Keel no longer owns after ExitBootServices. */
#include "arch/x86/cpu.h"
#include "arch/x86/gdt.h"
#include "arch/x86/percpu.h"
#include "arch/x86/trap.h"

/* 64-bit TSS (SDM 3A Figure 7-11): Keel uses it only for the IST stacks. */
struct PACKED tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
};
_Static_assert(sizeof(struct tss64) == 104, "TSS is 104 bytes");

/* One GDT and TSS per CPU (each CPU's TR names its own TSS: a busy TSS
 * cannot be loaded twice); the boot CPU's IST stacks are here, the other
 * CPUs' come from arch/x86/smp_boot.c. */
static struct tss64 tss[PERCPU_MAX];
static uint8_t boot_ist[IST_COUNT * IST_STACK_SIZE] __attribute__((aligned(16)));
static uint64_t gdt[PERCPU_MAX][5] __attribute__((aligned(16)));

/* Code/data descriptors: access byte and flags (L for 64-bit code). */
#define GDT_CODE64 0x00af9a000000ffffULL /* P, DPL0, code RX, L=1, G */
#define GDT_DATA   0x00cf92000000ffffULL /* P, DPL0, data RW, D/B, G */

void arch_gdt_init(unsigned cpu, uint8_t *ist)
{
    struct tss64 *t = &tss[cpu];
    uint64_t *g = gdt[cpu];
    uint64_t base = (uint64_t)(uintptr_t)t;
    uint64_t limit = sizeof(*t) - 1;

    if (!ist)
        ist = boot_ist;
    /* tss.ist[0] is IST1: the top of the first stack. */
    for (int i = 0; i < IST_COUNT; i++)
        t->ist[i] = (uint64_t)(uintptr_t)(ist + (i + 1) * IST_STACK_SIZE);
    t->iomap_base = sizeof(*t); /* no I/O bitmap */

    g[0] = 0;
    g[HOST_CS / 8] = GDT_CODE64;
    g[HOST_DS / 8] = GDT_DATA;
    /* 16-byte available 64-bit TSS descriptor, type 9 (SDM 3A 7.2.3). */
    g[HOST_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
                      (0x89ULL << 40) | (((limit >> 16) & 0xf) << 48) |
                      (((base >> 24) & 0xff) << 56);
    g[HOST_TSS / 8 + 1] = base >> 32;

    struct dt_ptr p = { sizeof(gdt[cpu]) - 1, (uint64_t)(uintptr_t)g };
    lgdt(&p);
    /* Reload CS with a far return, then the data segments. */
    __asm__ volatile("pushq %0\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "mov %1, %%ds\n\t"
                     "mov %1, %%es\n\t"
                     "mov %1, %%ss\n\t"
                     "mov %1, %%fs\n\t"
                     "mov %1, %%gs\n\t"
                     :: "i"(HOST_CS), "r"((uint64_t)HOST_DS) : "rax", "memory");
    ltr(HOST_TSS);
}
