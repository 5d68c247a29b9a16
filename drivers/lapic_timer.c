/* The host's local APIC timer in one-shot mode: Keel's only interrupt
 * source, used to end vCPU time slices and to wake an idle CPU.
 * Reference: SDM 3A 10.5.4 "APIC Timer", 10.9 "Spurious Interrupt". The
 * xAPIC MMIO page is used because QEMU TCG's LAPIC has no TSC-deadline
 * mode. */
#include "arch/x86/cpu.h"
#include "arch/x86/trap.h"
#include "drivers/lapic_timer.h"
#include "drivers/timer.h"
#include "lib/log.h"

#define LAPIC_BASE        0xfee00000UL
#define LAPIC_EOI         0x0b0
#define LAPIC_SVR         0x0f0
#define LAPIC_LVT_TIMER   0x320
#define LAPIC_LVT_LINT0   0x350
#define LAPIC_LVT_LINT1   0x360
#define LAPIC_TIMER_ICR   0x380
#define LAPIC_TIMER_CCR   0x390
#define LAPIC_TIMER_DCR   0x3e0
#define LVT_MASKED        BIT(16)
#define SVR_ENABLE        BIT(8)
#define DCR_DIVIDE_BY_1   0xb
#define APIC_BASE_ENABLE  BIT(11)

static uint64_t lapic_hz;

static inline uint32_t lapic_read(uint32_t reg)
{
    return *(volatile uint32_t *)(LAPIC_BASE + reg);
}

static inline void lapic_write(uint32_t reg, uint32_t v)
{
    *(volatile uint32_t *)(LAPIC_BASE + reg) = v;
}

static void timer_irq(struct trap_frame *f)
{
    (void)f;
    lapic_write(LAPIC_EOI, 0);
}

void lapic_timer_init(void)
{
    /* The legacy 8259s stay masked: Keel takes no interrupt from them. */
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    wrmsr(MSR_IA32_APIC_BASE, rdmsr(MSR_IA32_APIC_BASE) | APIC_BASE_ENABLE);
    lapic_write(LAPIC_SVR, SVR_ENABLE | HOST_SPURIOUS_VECTOR);
    lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
    lapic_write(LAPIC_LVT_LINT1, LVT_MASKED);
    lapic_write(LAPIC_TIMER_DCR, DCR_DIVIDE_BY_1);
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | HOST_TIMER_VECTOR);

    /* Count the timer against the calibrated TSC for 10 ms. */
    uint64_t tsc_hz = timer_tsc_hz();
    lapic_write(LAPIC_TIMER_ICR, 0xffffffff);
    uint64_t t0 = rdtsc();
    while (rdtsc() - t0 < tsc_hz / 100)
        pause();
    uint32_t left = lapic_read(LAPIC_TIMER_CCR);
    lapic_write(LAPIC_TIMER_ICR, 0);
    lapic_hz = (uint64_t)(0xffffffffu - left) * 100;
    if (!lapic_hz)
        lapic_hz = 1000000000ULL;
    trap_set_irq_handler(HOST_TIMER_VECTOR, timer_irq);
    lapic_write(LAPIC_LVT_TIMER, HOST_TIMER_VECTOR);   /* one-shot */
    log_info("host LAPIC timer %llu MHz", (unsigned long long)(lapic_hz / 1000000));
}

void lapic_timer_eoi(void)
{
    lapic_write(LAPIC_EOI, 0);
}

void lapic_timer_arm(uint64_t deadline_ns)
{
    if (!deadline_ns) {
        lapic_write(LAPIC_TIMER_ICR, 0);
        return;
    }
    uint64_t now = timer_now_ns();
    uint64_t ns = deadline_ns > now ? deadline_ns - now : 1;
    uint64_t ticks = ns / 1000 * lapic_hz / 1000000 + 1;
    lapic_write(LAPIC_TIMER_ICR, ticks > 0xffffffffULL ? 0xffffffffu
                                                       : (uint32_t)ticks);
}

void lapic_timer_idle(void)
{
    __asm__ volatile("sti; hlt; cli" ::: "memory");
}
