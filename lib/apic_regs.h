/* The local APIC as the SDM lays it out: register offsets in the xAPIC
 * page and their x2APIC MSRs, IA32_APIC_BASE bits, SVR, LVT, ICR, ESR and
 * DFR bits. Shared by Keel's virtual LAPIC (hv/dev/vlapic.h) and its driver
 * for the machine's own LAPIC (drivers/lapic.h), as lib/pci_regs.h is for
 * PCI. Intel SDM Volume 3A, Chapter 11 "Advanced Programmable Interrupt
 * Controller (APIC)": 11.4 "Local APIC", 11.12 "Extended XAPIC (x2APIC)". */
#ifndef KEEL_APIC_REGS_H
#define KEEL_APIC_REGS_H

#include "lib/types.h"

/* xAPIC register offsets in the APIC page (bytes). The x2APIC MSR of each is
 * MSR_X2APIC_BASE + (offset >> 4). See: SDM 3A 11.4.1 Table 11-1 "Local
 * APIC Register Address Map" and 11.12.1.2 Table 11-6. */
enum {
    APIC_REG_ID = 0x020,
    APIC_REG_VERSION = 0x030,
    APIC_REG_TPR = 0x080,      /* task priority */
    APIC_REG_APR = 0x090,      /* arbitration priority (xAPIC only) */
    APIC_REG_PPR = 0x0A0,      /* processor priority */
    APIC_REG_EOI = 0x0B0,
    APIC_REG_RRD = 0x0C0,      /* remote read (xAPIC only, reads 0) */
    APIC_REG_LDR = 0x0D0,      /* logical destination */
    APIC_REG_DFR = 0x0E0,      /* destination format (xAPIC only) */
    APIC_REG_SVR = 0x0F0,      /* spurious interrupt vector */
    APIC_REG_ISR = 0x100,      /* in-service, 8 x 32 bits, stride 0x10 */
    APIC_REG_TMR = 0x180,      /* trigger mode */
    APIC_REG_IRR = 0x200,      /* interrupt request */
    APIC_REG_ESR = 0x280,      /* error status */
    APIC_REG_LVT_CMCI = 0x2F0, /* not implemented: max LVT entry is 5 */
    APIC_REG_ICR_LO = 0x300,
    APIC_REG_ICR_HI = 0x310,   /* xAPIC only; x2APIC ICR is one 64-bit MSR */
    APIC_LVT_TIMER = 0x320,
    APIC_LVT_THERMAL = 0x330,
    APIC_LVT_PMC = 0x340,
    APIC_LVT_LINT0 = 0x350,
    APIC_LVT_LINT1 = 0x360,
    APIC_LVT_ERROR = 0x370,
    APIC_REG_TMICT = 0x380,    /* timer initial count */
    APIC_REG_TMCCT = 0x390,    /* timer current count */
    APIC_REG_TDCR = 0x3E0,     /* timer divide configuration */
    APIC_REG_SELF_IPI = 0x3F0, /* x2APIC only */
};

/* The x2APIC MSR range (IA32_APIC_BASE and IA32_TSC_DEADLINE are in
 * arch/x86/msr_index.h). See: SDM 4 Table 2-2 "IA-32 Architectural MSRs". */
#define MSR_X2APIC_BASE       0x800
#define MSR_X2APIC_LAST       0x8FF
#define MSR_X2APIC_ICR        0x830

/* IA32_APIC_BASE bits. See: SDM 3A 11.4.4 Figure 11-5 and 11.12.1. */
#define APIC_BASE_BSP       BIT(8)
#define APIC_BASE_EXTD      BIT(10)   /* x2APIC mode */
#define APIC_BASE_EN        BIT(11)   /* APIC global enable */
#define APIC_BASE_ADDR_MASK 0x000FFFFFFFFFF000ULL


/* SVR bits. See: SDM 3A 11.9 "Spurious Interrupt". */
#define APIC_SVR_VECTOR     0x000000FFu
#define APIC_SVR_ENABLE     BIT(8)    /* APIC software enable */
#define APIC_SVR_FOCUS_OFF  BIT(9)    /* focus processor checking disabled */

/* LVT bits. See: SDM 3A 11.5.1 Figure 11-8 "Local Vector Table". */
#define APIC_LVT_VECTOR     0x000000FFu
#define APIC_LVT_DM_SHIFT   8
#define APIC_LVT_DM_MASK    (7u << APIC_LVT_DM_SHIFT)
#define APIC_LVT_PENDING    BIT(12)   /* delivery status (read-only) */
#define APIC_LVT_POLARITY   BIT(13)   /* LINT0/1 input pin polarity */
#define APIC_LVT_REMOTE_IRR BIT(14)   /* LINT0/1 (read-only) */
#define APIC_LVT_LEVEL      BIT(15)   /* LINT0/1 trigger mode */
#define APIC_LVT_MASKED     BIT(16)
#define APIC_LVT_TIMER_MODE_SHIFT 17
#define APIC_LVT_TIMER_MODE_MASK  (3u << APIC_LVT_TIMER_MODE_SHIFT)

/* Timer modes, LVT timer bits 18:17. See: SDM 3A 11.5.4 "APIC Timer". */
enum apic_timer_mode {
    APIC_TIMER_ONESHOT = 0,
    APIC_TIMER_PERIODIC = 1,
    APIC_TIMER_TSC_DEADLINE = 2,
};

/* ICR bits (low word; the destination is in bits 63:56 for xAPIC, 63:32 for
 * x2APIC). See: SDM 3A 11.6.1 Figure 11-12. */
#define APIC_ICR_VECTOR      0x000000FFu
#define APIC_ICR_DM_SHIFT    8
#define APIC_ICR_DM_MASK     (7u << APIC_ICR_DM_SHIFT)
#define APIC_ICR_LOGICAL     BIT(11)
#define APIC_ICR_PENDING     BIT(12)  /* delivery status: always idle here */
#define APIC_ICR_ASSERT      BIT(14)
#define APIC_ICR_LEVEL       BIT(15)
#define APIC_ICR_SH_SHIFT    18
#define APIC_ICR_SH_MASK     (3u << APIC_ICR_SH_SHIFT)
#define APIC_ICR_XAPIC_DEST_SHIFT 24  /* in ICR_HI */

/* ESR bits. See: SDM 3A 11.5.3 Figure 11-9 "Error Status Register". */
#define APIC_ESR_SEND_ILLEGAL_VECTOR BIT(5)
#define APIC_ESR_RECV_ILLEGAL_VECTOR BIT(6)
#define APIC_ESR_ILLEGAL_REGISTER    BIT(7)

/* DFR models, bits 31:28. See: SDM 3A 11.6.2.2 "Logical Destination Mode". */
#define APIC_DFR_FLAT    0xFFFFFFFFu
#define APIC_DFR_CLUSTER 0x0FFFFFFFu
#define APIC_DFR_MODEL_MASK 0xF0000000u

/* Delivery modes, the same 3-bit encoding in the ICR, the LVT entries, the
 * IOAPIC redirection entries and MSI data. See: SDM 3A 11.6.1 "Interrupt
 * Command Register (ICR)". */
enum apic_delivery_mode {
    APIC_DM_FIXED = 0,
    APIC_DM_LOWEST = 1,     /* lowest priority */
    APIC_DM_SMI = 2,
    APIC_DM_NMI = 4,
    APIC_DM_INIT = 5,
    APIC_DM_STARTUP = 6,    /* SIPI; the vector is the start page number */
    APIC_DM_EXTINT = 7,     /* the vector comes from the 8259 (INTA cycle) */
};

/* Destination shorthands, ICR bits 19:18. See: SDM 3A 11.6.1. */
enum apic_shorthand {
    APIC_SH_NONE = 0,       /* use the destination field */
    APIC_SH_SELF = 1,
    APIC_SH_ALL_INCL = 2,   /* all including self */
    APIC_SH_ALL_EXCL = 3,   /* all excluding self */
};

/* Destination field values meaning "every LAPIC". See: SDM 3A 11.6.2.1
 * (xAPIC, 8-bit 0xFF) and 11.12.9 (x2APIC, 0xFFFFFFFF). */
#define APIC_BROADCAST_XAPIC  0xFFu
#define APIC_BROADCAST_X2APIC 0xFFFFFFFFu

#endif
