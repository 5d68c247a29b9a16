/* Bring the boot CPU into Keel's own state: GDT/TSS, IDT, control register
 * bits the hypervisor relies on, and identity-mapped page tables. */
#include "arch/x86/cpu.h"
#include "arch/x86/gdt.h"
#include "arch/x86/percpu.h"
#include "arch/x86/trap.h"
#include "arch/x86/vcpu_state.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "mm/pt.h"

void arch_cpu_init(void)
{
    arch_gdt_init(0, NULL);
    percpu_set(0, 0);      /* the APIC ID once the LAPIC is up */
    arch_idt_init();
    /* CR4.OSXSAVE lets Keel execute XSETBV on a guest's behalf (VMX exits
     * on every guest XSETBV; SDM 3C 25.1.2). Keel itself never uses XSAVE
     * state, so the guest's XCR0 is what stays loaded. */
    if (cpuid(1, 0).ecx & BIT(26))
        w_cr4(r_cr4() | CR4_OSXSAVE);
}

/* CPUID 8000_0001 EDX bit 20: no-execute pages. */
#define CPUID_80000001_EDX_NX BIT(20)

/* Keel's own identity map; arch_map_mmio changes it later. */
#define UC_WINDOW (GiB(4) - MiB(20))  /* uncached from here up to 4 GiB */
static struct pt host_pt;

int arch_paging_init(uint64_t top)
{
    int err;

    top = ALIGN_UP(top < GiB(4) ? GiB(4) : top, GiB(1));
    /* Mappings without PT_X set the XD bit, which is a reserved bit (a
     * page fault on use) unless EFER.NXE is on (SDM 3A 4.5). */
    if (!(cpuid(0x80000001, 0).edx & CPUID_80000001_EDX_NX))
        return -ENODEV;
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    err = pt_init(&host_pt, &pt_format_host);
    if (err)
        return err;
    /* Everything below 4 GiB except the top 20 MiB (IOAPIC 0xFEC00000,
     * LAPIC 0xFEE00000, firmware flash) is mapped write-back: the firmware
     * memory map decides what is RAM, and Keel only touches RAM and the
     * device registers it owns. */
    err = pt_map(&host_pt, 0, 0, UC_WINDOW, PT_RWX);
    if (!err)
        err = pt_map(&host_pt, UC_WINDOW, UC_WINDOW, GiB(4) - UC_WINDOW,
                     PT_R | PT_W | PT_UC);
    if (!err && top > GiB(4))
        err = pt_map(&host_pt, GiB(4), GiB(4), top - GiB(4), PT_RWX);
    if (err)
        return err;
    w_cr3(host_pt.root);
    log_info("host page tables: identity map of %llu GiB, %llu table pages",
             (unsigned long long)(top >> 30),
             (unsigned long long)host_pt.table_pages);
    return 0;
}

int arch_map_mmio(hpa_t base, uint64_t size)
{
    hpa_t start = ALIGN_DOWN(base, PAGE_SIZE);
    uint64_t len = ALIGN_UP(base + size, PAGE_SIZE) - start;
    int err;

    if (!size || base + size < base || !host_pt.root)
        return -EINVAL;
    /* The top 20 MiB below 4 GiB (IOAPIC, LAPIC, flash) are uncached
     * since arch_paging_init: nothing to change, and no 2 MiB page to
     * split (which a lab handout's stubbed split_large could not do). */
    if (start >= UC_WINDOW && start + len <= GiB(4))
        return 0;
    /* pt_map splits the 2 MiB write-back pages around the range. */
    err = pt_map(&host_pt, start, start, len, PT_R | PT_W | PT_UC);
    if (err)
        return err;
    w_cr3(r_cr3());   /* flush the old write-back translations */
    return 0;
}
