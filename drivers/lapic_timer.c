/* The host's local APIC timer in one-shot mode: Keel's only interrupt
 * source, used to end vCPU time slices and to wake an idle CPU. Every
 * register access goes through drivers/lapic.h, so the timer works with
 * the LAPIC in xAPIC or x2APIC mode. TSC-deadline mode is not used
 * because QEMU TCG's LAPIC has none.
 * Reference: SDM 3A 11.5.4 "APIC Timer", 11.9 "Spurious Interrupt". */
#include "arch/x86/cpu.h"
#include "arch/x86/trap.h"
#include "drivers/lapic.h"
#include "drivers/lapic_timer.h"
#include "drivers/timer.h"
#include "lib/log.h"

#define DCR_DIVIDE_BY_1   0xb     /* TDCR bits 3,1:0 = 1011b (Figure 11-10) */

static uint64_t lapic_hz;

static void timer_irq(struct trap_frame *f)
{
    (void)f;
    lapic_eoi();
}

/* The calling CPU's LAPIC: priority, software enable, LINT0/1 and the
 * timer masked, divide by 1. */
static void setup_cpu(void)
{
    lapic_write(APIC_REG_TPR, 0);                  /* accept every class */
    lapic_write(APIC_REG_SVR, APIC_SVR_ENABLE | HOST_SPURIOUS_VECTOR);
    lapic_write(APIC_LVT_LINT0, APIC_LVT_MASKED);
    lapic_write(APIC_LVT_LINT1, APIC_LVT_MASKED);
    lapic_write(APIC_REG_TDCR, DCR_DIVIDE_BY_1);
    lapic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | HOST_TIMER_VECTOR);
}

void lapic_timer_init_ap(void)
{
    setup_cpu();
    lapic_write(APIC_LVT_TIMER, HOST_TIMER_VECTOR);   /* one-shot */
}

void lapic_timer_init(void)
{
    /* The legacy 8259s stay masked: Keel takes no interrupt from them. */
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    setup_cpu();

    /* Count the timer against the calibrated TSC for 10 ms. */
    uint64_t tsc_hz = timer_tsc_hz();
    lapic_write(APIC_REG_TMICT, 0xffffffff);
    uint64_t t0 = rdtsc();
    while (rdtsc() - t0 < tsc_hz / 100)
        pause();
    uint32_t left = lapic_read(APIC_REG_TMCCT);
    lapic_write(APIC_REG_TMICT, 0);
    lapic_hz = (uint64_t)(0xffffffffu - left) * 100;
    if (!lapic_hz)
        lapic_hz = 1000000000ULL;
    trap_set_irq_handler(HOST_TIMER_VECTOR, timer_irq);
    lapic_write(APIC_LVT_TIMER, HOST_TIMER_VECTOR);   /* one-shot */
    log_info("host LAPIC timer %llu MHz", (unsigned long long)(lapic_hz / 1000000));
}

void lapic_timer_arm(uint64_t deadline_ns)
{
    if (!deadline_ns) {
        lapic_write(APIC_REG_TMICT, 0);
        return;
    }
    uint64_t now = timer_now_ns();
    uint64_t ns = deadline_ns > now ? deadline_ns - now : 1;
    uint64_t ticks = ns / 1000 * lapic_hz / 1000000 + 1;
    lapic_write(APIC_REG_TMICT, ticks > 0xffffffffULL ? 0xffffffffu
                                                       : (uint32_t)ticks);
}

void lapic_timer_idle(void)
{
    __asm__ volatile("sti; hlt; cli" ::: "memory");
}
