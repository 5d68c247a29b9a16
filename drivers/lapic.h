/* The host's own local APIC (drivers/lapic.c): one small accessor layer
 * through which every use of Keel's LAPIC goes (timer, EOI, spurious
 * vector, TPR, IPIs), in whichever mode the firmware handed it over:
 * xAPIC (registers in a 4 KiB MMIO page at IA32_APIC_BASE's address) or
 * x2APIC (IA32_APIC_BASE.EXTD set: registers are MSRs 0x800 + offset/16,
 * the ICR is one 64-bit MSR, there is no MMIO page). The mode is read once
 * by lapic_init. The register-mapping helpers (lapic_regs_*, in
 * drivers/lapic_regs.c) are pure and unit-tested on the host.
 * Intel SDM Volume 3A, 11.4 "Local APIC", 11.4.4 "Local APIC Status and
 * Location", 11.6.1 "Interrupt Command Register (ICR)", 11.12 "Extended
 * XAPIC (x2APIC)" (11.12.1.2 "x2APIC Register Address Space", 11.12.9
 * "ICR Operation in x2APIC Mode", 11.12.11 "SELF IPI Register"). Register
 * offsets and bits: lib/apic_regs.h. */
#ifndef KEEL_DRIVERS_LAPIC_H
#define KEEL_DRIVERS_LAPIC_H

#include "lib/apic_regs.h"
#include "lib/types.h"

/* How the host LAPIC's registers are reached. */
enum lapic_mode {
    LAPIC_MODE_XAPIC,    /* MMIO page at IA32_APIC_BASE[51:12] */
    LAPIC_MODE_X2APIC,   /* MSRs 0x800-0x8FF (IA32_APIC_BASE.EXTD = 1) */
};

/* The first offset past the registers both modes share (Table 11-6 covers
 * offsets 0x000-0x3F0, MSRs 0x800-0x83F). */
#define LAPIC_REGS_END 0x400u

/* The x2APIC MSR of the xAPIC register at byte offset `offset` (SDM 3A
 * 11.12.1.2: MSR = 0x800 + offset / 16). offset must be a multiple of 16
 * below LAPIC_REGS_END; any other returns 0, which is no x2APIC MSR.
 * Whether the register exists in x2APIC mode (DFR, ICR high, APR and
 * remote read do not) is the caller's to know. */
uint32_t lapic_regs_msr(uint32_t offset);

/* The xAPIC page byte offset of x2APIC MSR `msr` (the inverse of
 * lapic_regs_msr): 0x000-0x3F0 for MSRs 0x800-0x83F, or -EINVAL for any
 * other MSR. */
int lapic_regs_offset(uint32_t msr);

/* The low 32 bits of an ICR (SDM 3A 11.6.1 Figure 11-12): vector (bits
 * 7:0), delivery mode (enum apic_delivery_mode, bits 10:8), physical
 * destination mode, level "assert" (bit 14, set: INIT de-assert is the
 * only IPI that clears it and Keel sends none), edge trigger and the
 * destination shorthand (enum apic_shorthand, bits 19:18). dm and sh are
 * masked to their fields. Same layout in both modes. */
uint32_t lapic_regs_icr_low(uint8_t vector, unsigned dm, unsigned sh);

/* The 64-bit x2APIC ICR (MSR 0x830, SDM 3A 11.12.9): the 32-bit
 * destination APIC ID in bits 63:32, low in bits 31:0. */
uint64_t lapic_regs_icr_x2apic(uint32_t dest, uint32_t low);

/* The xAPIC ICR high register (offset 0x310): the 8-bit destination in
 * bits 31:24; higher bits of dest are dropped (xAPIC IDs are 8 bits). */
uint32_t lapic_regs_icr_xapic_high(uint32_t dest);

/* Find the mode the firmware left the LAPIC in (IA32_APIC_BASE.EXTD), set
 * the global enable (EN) if it is clear, and log the mode and the APIC ID.
 * With force_x2apic (keel.cfg "x2apic = force", the stand-in for firmware
 * that hands over x2APIC mode) an xAPIC is first switched to x2APIC by
 * setting EXTD together with EN, as SDM 3A 11.12.5 allows (xAPIC ->
 * x2APIC); a CPU without x2APIC (CPUID.01H:ECX[21] clear) is logged and
 * left in xAPIC mode. Must run before any other lapic_ call. In xAPIC mode
 * the page is mapped uncached (arch_map_mmio); returns 0, or that call's
 * -EINVAL/-ENOMEM (the LAPIC is then unusable). */
int lapic_init(bool force_x2apic);

/* On an AP (after lapic_init on the boot CPU): the global enable, and
 * x2APIC mode if the boot CPU's LAPIC is in it (firmware normally hands
 * every CPU over in one mode; "x2apic = force" switched only the boot
 * CPU). SDM 3A 11.12.5: xAPIC -> x2APIC is EN and EXTD set together. */
void lapic_init_ap(void);

/* The mode lapic_init found (or set). */
enum lapic_mode lapic_mode(void);

/* Read / write the 32-bit register at xAPIC byte offset reg (APIC_REG_*,
 * APIC_LVT_*; a multiple of 16 below LAPIC_REGS_END) through the MMIO
 * page or its x2APIC MSR. The caller uses registers that exist in the
 * current mode: in x2APIC mode an absent one raises #GP. The ICR goes
 * through lapic_send_ipi, never these. */
uint32_t lapic_read(uint32_t reg);
void lapic_write(uint32_t reg, uint32_t val);

/* This CPU's APIC ID: 8 bits (ID register bits 31:24) in xAPIC mode, the
 * full 32-bit x2APIC ID in x2APIC mode (SDM 3A 11.4.6, 11.12.5.1). */
uint32_t lapic_id(void);

/* Signal end of interrupt for the vector in service (EOI register, 0x0B0
 * / MSR 0x80B, written 0: x2APIC faults on any other value). */
void lapic_eoi(void);

/* Send an IPI: icr_low from lapic_regs_icr_low, dest the destination APIC
 * ID (ignored by the shorthands). xAPIC: ICR high, then ICR low (the
 * write that sends), then wait for the delivery status to clear; x2APIC:
 * one write of MSR 0x830. */
void lapic_send_ipi(uint32_t dest, uint32_t icr_low);

/* A fixed interrupt of vector (16-255) to this CPU: the SELF IPI MSR
 * (0x83F) in x2APIC mode, the ICR with the "self" shorthand in xAPIC mode.
 * An NMI to self goes through lapic_send_ipi with APIC_DM_NMI and
 * APIC_SH_SELF (SELF IPI delivers fixed interrupts only). */
void lapic_self_ipi(uint8_t vector);

#endif
