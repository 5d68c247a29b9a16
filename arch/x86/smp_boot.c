/* Application processor start-up (arch/x86/smp_boot.h). */
#include "arch/x86/cpu.h"
#include "arch/x86/gdt.h"
#include "arch/x86/percpu.h"
#include "arch/x86/platform.h"
#include "arch/x86/smp_boot.h"
#include "arch/x86/trap.h"
#include "arch/x86/vcpu_state.h"
#include "drivers/lapic.h"
#include "drivers/timer.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/frame.h"
#include "mm/guest_mem.h"

#define AP_STACK_PAGES 16   /* 64 KiB: exits run the emulator on it */

/* The trampoline's parameter block (smp_tramp.asm, same layout). */
struct PACKED smp_tramp_params {
    uint16_t gdt_limit;
    uint32_t gdt_base;       /* linear address of smp_tramp_gdt's copy */
    uint32_t pm32;           /* far pointer to the 32-bit code */
    uint16_t pm32_cs;
    uint32_t lm64;           /* far pointer to the 64-bit code */
    uint16_t lm64_cs;
    uint32_t cr3, cr0, efer;
    uint64_t entry, stack, arg;
};
_Static_assert(sizeof(struct smp_tramp_params) == 54,
               "smp_tramp_params matches smp_tramp.asm");

extern const uint8_t smp_tramp_start[], smp_tramp_end[], smp_tramp_params[];
extern const uint8_t smp_tramp_gdt[], smp_tramp_pm32[], smp_tramp_lm64[];

/* What the AP being started needs from the boot CPU (one at a time). */
static struct {
    smp_boot_main_fn main;
    uint8_t *ist;
    uint64_t cr4, pat;
    volatile int state;      /* 0 waiting, 1 ready, -1 failed */
} ap;

static void wait_us(uint64_t us)
{
    uint64_t t0 = rdtsc(), n = timer_tsc_hz() / 1000000 * us;
    while (rdtsc() - t0 < n)
        pause();
}

/* The AP's first C code, on its own stack, IF=0, Keel's CR3. */
static NORETURN void ap_entry(uint64_t index)
{
    arch_gdt_init((unsigned)index, ap.ist);
    arch_idt_load();
    w_cr4(ap.cr4);
    wrmsr(MSR_IA32_PAT, ap.pat);
    lapic_init_ap();
    percpu_set((unsigned)index, lapic_id());
    ap.main((unsigned)index);
    platform_halt();
}

void smp_boot_ap_report(bool ok)
{
    __atomic_store_n(&ap.state, ok ? 1 : -1, __ATOMIC_RELEASE);
}

static uint32_t offset_of(const uint8_t *label)
{
    return (uint32_t)(label - smp_tramp_start);
}

/* Copy the trampoline to tramp and fill its parameters. */
static void fill_trampoline(hpa_t tramp, unsigned index, hpa_t stack_top)
{
    uint8_t *page = hpa_ptr(tramp);
    memcpy(page, smp_tramp_start, (size_t)(smp_tramp_end - smp_tramp_start));
    struct smp_tramp_params *p = (void *)(page + offset_of(smp_tramp_params));
    p->gdt_limit = 4 * 8 - 1;
    p->gdt_base = (uint32_t)tramp + offset_of(smp_tramp_gdt);
    p->pm32 = (uint32_t)tramp + offset_of(smp_tramp_pm32);
    p->pm32_cs = 0x08;
    p->lm64 = (uint32_t)tramp + offset_of(smp_tramp_lm64);
    p->lm64_cs = 0x18;
    p->cr3 = (uint32_t)r_cr3();
    p->cr0 = (uint32_t)r_cr0();
    p->efer = (uint32_t)(rdmsr(MSR_EFER) & (EFER_SCE | EFER_LME | EFER_NXE));
    p->entry = (uint64_t)(uintptr_t)ap_entry;
    p->stack = stack_top;
    p->arg = index;
}

int smp_boot_start_ap(unsigned index, uint32_t apic_id, hpa_t tramp,
                      smp_boot_main_fn main)
{
    if (!tramp || tramp >= MiB(1) || (tramp & (PAGE_SIZE - 1)) ||
        r_cr3() >= GiB(4) || index == 0 || index >= PERCPU_MAX)
        return -EINVAL;
    hpa_t stack = frame_alloc(AP_STACK_PAGES, PAGE_SIZE);
    hpa_t ist = frame_alloc(IST_COUNT * IST_STACK_SIZE / PAGE_SIZE,
                            PAGE_SIZE);
    if (!stack || !ist)
        return -ENOMEM;
    ap.main = main;
    ap.ist = hpa_ptr(ist);
    ap.cr4 = r_cr4();
    ap.pat = rdmsr(MSR_IA32_PAT);
    ap.state = 0;
    fill_trampoline(tramp, index, stack + AP_STACK_PAGES * PAGE_SIZE);

    /* INIT, 10 ms, SIPI, 200 us, SIPI (SDM 3A 9.4.4.1). A second SIPI to
     * a CPU the first one started is ignored (it no longer waits). */
    uint32_t init = lapic_regs_icr_low(0, APIC_DM_INIT, APIC_SH_NONE);
    uint32_t sipi = lapic_regs_icr_low((uint8_t)(tramp >> 12),
                                       APIC_DM_STARTUP, APIC_SH_NONE);
    lapic_send_ipi(apic_id, init);
    wait_us(10000);
    lapic_send_ipi(apic_id, sipi);
    wait_us(200);
    lapic_send_ipi(apic_id, sipi);
    uint64_t t0 = timer_now_ns();
    while (!__atomic_load_n(&ap.state, __ATOMIC_ACQUIRE) &&
           timer_now_ns() - t0 < 2000000000ULL)
        pause();
    int state = __atomic_load_n(&ap.state, __ATOMIC_ACQUIRE);
    if (state == 0)
        lapic_send_ipi(apic_id, init);   /* park it: wait-for-SIPI */
    return state == 1 ? 0 : state == 0 ? -ETIMEDOUT : -EIO;
}
