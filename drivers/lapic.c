/* The host LAPIC accessor (drivers/lapic.h): the one place that knows
 * whether Keel's own LAPIC is an xAPIC MMIO page or x2APIC MSRs.
 * See: SDM 3A 11.4.4 "Local APIC Status and Location", 11.12.1 "Detecting
 * and Enabling x2APIC Mode", 11.12.5 "x2APIC State Transitions". */
#include "arch/x86/cpu.h"
#include "arch/x86/msr_index.h"
#include "drivers/lapic.h"
#include "lib/log.h"

/* CPUID.01H:ECX bit 21: the processor supports x2APIC mode (SDM 3A
 * 11.12.1). */
#define CPUID_1_ECX_X2APIC_BIT BIT(21)

static enum lapic_mode mode;
static volatile uint8_t *xapic_page;   /* xAPIC mode: the register page */

/* x2APIC: IA32_APIC_BASE with EXTD and EN set; from xAPIC mode (EN set,
 * EXTD clear) this is the one transition SDM 3A 11.12.5 (Figure 11-27)
 * allows straight into x2APIC mode. Returns the new value. */
static uint64_t switch_to_x2apic(uint64_t base)
{
    if (!(cpuid(1, 0).ecx & CPUID_1_ECX_X2APIC_BIT)) {
        log_err("x2apic = force: this CPU has no x2APIC (CPUID.01H:ECX[21] "
                "clear); the LAPIC stays in xAPIC mode");
        return base;
    }
    base |= APIC_BASE_EN | APIC_BASE_EXTD;
    wrmsr(MSR_IA32_APIC_BASE, base);
    return rdmsr(MSR_IA32_APIC_BASE);
}

int lapic_init(bool force_x2apic)
{
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
    const char *how = "as the firmware left it";

    if (!(base & APIC_BASE_EN)) {
        base |= APIC_BASE_EN;
        wrmsr(MSR_IA32_APIC_BASE, base);
        how = "enabled by Keel";
    }
    if (force_x2apic && !(base & APIC_BASE_EXTD)) {
        base = switch_to_x2apic(base);
        if (base & APIC_BASE_EXTD)
            how = "switched by Keel (x2apic = force)";
    }
    if (base & APIC_BASE_EXTD) {
        mode = LAPIC_MODE_X2APIC;
    } else {
        mode = LAPIC_MODE_XAPIC;
        hpa_t page = base & APIC_BASE_ADDR_MASK;
        int rc = arch_map_mmio(page, PAGE_SIZE);
        if (rc)
            return rc;
        xapic_page = (volatile uint8_t *)(uintptr_t)page;
    }
    log_info("host LAPIC: %s mode, %s (IA32_APIC_BASE %#llx), APIC ID %u",
             mode == LAPIC_MODE_X2APIC ? "x2APIC" : "xAPIC", how,
             (unsigned long long)base, lapic_id());
    return 0;
}

void lapic_init_ap(void)
{
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
    uint64_t want = base | APIC_BASE_EN;
    if (mode == LAPIC_MODE_X2APIC)
        want |= APIC_BASE_EXTD;
    if (want != base)
        wrmsr(MSR_IA32_APIC_BASE, want);
}

enum lapic_mode lapic_mode(void)
{
    return mode;
}

uint32_t lapic_read(uint32_t reg)
{
    if (mode == LAPIC_MODE_X2APIC)
        return (uint32_t)rdmsr(lapic_regs_msr(reg));
    return *(volatile uint32_t *)(xapic_page + reg);
}

void lapic_write(uint32_t reg, uint32_t val)
{
    if (mode == LAPIC_MODE_X2APIC)
        wrmsr(lapic_regs_msr(reg), val);
    else
        *(volatile uint32_t *)(xapic_page + reg) = val;
}

uint32_t lapic_id(void)
{
    uint32_t id = lapic_read(APIC_REG_ID);
    return mode == LAPIC_MODE_X2APIC ? id : id >> 24;
}

void lapic_eoi(void)
{
    lapic_write(APIC_REG_EOI, 0);
}

void lapic_send_ipi(uint32_t dest, uint32_t icr_low)
{
    if (mode == LAPIC_MODE_X2APIC) {
        wrmsr(MSR_X2APIC_ICR, lapic_regs_icr_x2apic(dest, icr_low));
        return;
    }
    lapic_write(APIC_REG_ICR_HI, lapic_regs_icr_xapic_high(dest));
    lapic_write(APIC_REG_ICR_LO, icr_low);
    while (lapic_read(APIC_REG_ICR_LO) & APIC_ICR_PENDING)
        pause();
}

void lapic_self_ipi(uint8_t vector)
{
    if (mode == LAPIC_MODE_X2APIC)
        wrmsr(lapic_regs_msr(APIC_REG_SELF_IPI), vector);
    else
        lapic_send_ipi(0, lapic_regs_icr_low(vector, APIC_DM_FIXED,
                                             APIC_SH_SELF));
}
