/* Privileged x86-64 instructions as inline functions, in read/write pairs
 * (STYLE.md). Only arch/, boot/ and drivers/ include this file; hv/ and mm/
 * stay free of inline assembly so they compile on the host.
 * Reference: Intel SDM Vol. 2 (instructions), Vol. 3A (system state). */
#ifndef KEEL_CPU_H
#define KEEL_CPU_H

#include "arch/x86/msr_index.h"
#include "lib/types.h"


static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t val)
{
    __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)val),
                     "d"((uint32_t)(val >> 32)) : "memory");
}

struct cpuid_regs {
    uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
    struct cpuid_regs r;
    __asm__ volatile("cpuid"
                     : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                     : "a"(leaf), "c"(subleaf));
    return r;
}

#define DEFINE_CR(n)                                                     \
    static inline uint64_t r_cr##n(void)                                 \
    {                                                                    \
        uint64_t v;                                                      \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                \
        return v;                                                        \
    }                                                                    \
    static inline void w_cr##n(uint64_t v)                               \
    {                                                                    \
        __asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory");         \
    }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outw(uint16_t port, uint16_t v)
{
    __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint16_t inw(uint16_t port)
{
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void hlt(void) { __asm__ volatile("hlt" ::: "memory"); }
static inline void pause(void) { __asm__ volatile("pause"); }

static inline void invlpg(uint64_t va)
{
    __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory");
}

static inline uint64_t r_rflags(void)
{
    uint64_t v;
    __asm__ volatile("pushfq; pop %0" : "=r"(v));
    return v;
}

struct PACKED dt_ptr {
    uint16_t limit;
    uint64_t base;
};

static inline void lgdt(const struct dt_ptr *p)
{
    __asm__ volatile("lgdt %0" ::"m"(*p));
}
static inline void lidt(const struct dt_ptr *p)
{
    __asm__ volatile("lidt %0" ::"m"(*p));
}
static inline void ltr(uint16_t sel)
{
    __asm__ volatile("ltr %0" ::"r"(sel));
}

static inline uint64_t xgetbv(uint32_t idx)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(idx));
    return ((uint64_t)hi << 32) | lo;
}
static inline void xsetbv(uint32_t idx, uint64_t v)
{
    __asm__ volatile("xsetbv" ::"c"(idx), "a"((uint32_t)v),
                     "d"((uint32_t)(v >> 32)));
}

/* Host GDT selectors (arch/x86/gdt.c). */
#define HOST_CS  0x08
#define HOST_DS  0x10
#define HOST_TSS 0x18

/* Load Keel's own GDT, TSS (with an IST stack for #DF/#NMI/#MC) and IDT;
 * after this any exception in Keel prints a register dump and halts. */
void arch_cpu_init(void);

/* Build Keel's identity-mapped host page tables covering [0, top) and load
 * them into CR3. top is rounded up to 1 GiB; 0xFEC00000-0xFFFFFFFF
 * (IOAPIC/LAPIC/flash) is mapped uncached. Returns 0 or -ENOMEM. */
int arch_paging_init(uint64_t top);

/* Map the device registers at host-physical [base, base + size) uncached
 * (and not executable) in Keel's identity map, widened to whole 4 KiB
 * pages, then flush the TLB. Needed for a PCI BAR below 4 GiB, which the
 * identity map covers write-back, and one above the top of RAM, which it
 * may not cover at all. Returns 0, -EINVAL or -ENOMEM. */
int arch_map_mmio(hpa_t base, uint64_t size);

#endif
