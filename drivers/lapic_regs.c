/* The host LAPIC's register mapping (drivers/lapic.h): xAPIC page offsets
 * and x2APIC MSRs, ICR composition. Pure: compiled for the host's unit
 * tests too (test/unit/test_lapic_regs.c).
 * See: SDM 3A 11.6.1 "Interrupt Command Register (ICR)", 11.12.1.2
 * "x2APIC Register Address Space", 11.12.9 "ICR Operation in x2APIC Mode". */
#include "drivers/lapic.h"
#include "lib/errno.h"

uint32_t lapic_regs_msr(uint32_t offset)
{
    if (offset % 16 || offset >= LAPIC_REGS_END)
        return 0;
    return MSR_X2APIC_BASE + offset / 16;
}

int lapic_regs_offset(uint32_t msr)
{
    if (msr < MSR_X2APIC_BASE || msr >= MSR_X2APIC_BASE + LAPIC_REGS_END / 16)
        return -EINVAL;
    return (int)((msr - MSR_X2APIC_BASE) * 16);
}

uint32_t lapic_regs_icr_low(uint8_t vector, unsigned dm, unsigned sh)
{
    return vector | ((dm << APIC_ICR_DM_SHIFT) & APIC_ICR_DM_MASK) |
           APIC_ICR_ASSERT | ((sh << APIC_ICR_SH_SHIFT) & APIC_ICR_SH_MASK);
}

uint64_t lapic_regs_icr_x2apic(uint32_t dest, uint32_t low)
{
    return (uint64_t)dest << 32 | low;
}

uint32_t lapic_regs_icr_xapic_high(uint32_t dest)
{
    return (dest & 0xffu) << APIC_ICR_XAPIC_DEST_SHIFT;
}
