/* The ACPI tables Keel gives a guest (RSDP, RSDT, XSDT, FADT, FACS, MADT,
 * DSDT) and the fixed hardware they describe: the port numbers and bit
 * values here are the contract with Keel's ACPI PM device (hv/dev), which
 * registers exactly these ports.
 * Spec: ACPI Specification 6.4: 4.8 "ACPI Hardware Model" (fixed hardware
 * registers), 5.2 "ACPI System Description Tables", 7.4.2 "\_Sx (System
 * States)", 20 "ACPI Machine Language (AML) Specification". */
#ifndef KEEL_ACPI_H
#define KEEL_ACPI_H

#include "lib/types.h"
#include "mm/guest_mem.h"

/* ---- Fixed hardware served by the ACPI PM device (port I/O) -------------- */
/* See: 4.8.3.1 PM1 Event Grouping, 4.8.3.2 PM1 Control Grouping,
 * 4.8.3.3 Power Management Timer. */
#define ACPI_PM1A_EVT_PORT  0x600  /* PM1a_STS (16 bits) then PM1a_EN (16) */
#define ACPI_PM1_EVT_LEN    4
#define ACPI_PM1A_CNT_PORT  0x604  /* PM1a_CNT, 16 bits */
#define ACPI_PM1_CNT_LEN    2
#define ACPI_PM_TMR_PORT    0x608  /* PM_TMR, 32 bits, read-only */
#define ACPI_PM_TMR_LEN     4
#define ACPI_PM_TMR_HZ      3579545 /* 4.8.3.3: 3.579545 MHz */
/* Reset register (FADT RESET_REG, 4.8.3.6): a byte write of
 * ACPI_RESET_VALUE to this port resets the VM. It sits in the PM device's
 * block rather than at the chipset's 0xCF9 so that the PCI host bridge
 * (0xCF8-0xCFF) never has to decode byte writes specially. */
#define ACPI_RESET_PORT     0x60C
#define ACPI_RESET_VALUE    0x01
#define ACPI_PM_PORT_BASE   0x600  /* the PM device owns [0x600, 0x610) */
#define ACPI_PM_PORT_COUNT  0x10

/* PM1 status/enable bits (Tables 4.16, 4.17). */
#define ACPI_PM1_TMR_STS     BIT(0)   /* timer bit 31 (TMR_VAL_EXT) toggled */
#define ACPI_PM1_PWRBTN_STS  BIT(8)
#define ACPI_PM1_WAK_STS     BIT(15)
#define ACPI_PM1_TMR_EN      BIT(0)
#define ACPI_PM1_PWRBTN_EN   BIT(8)
/* PM1 control bits (Table 4.18). */
#define ACPI_PM1_CNT_SCI_EN        BIT(0)  /* reads 1: always in ACPI mode */
#define ACPI_PM1_CNT_SLP_TYP_SHIFT 10
#define ACPI_PM1_CNT_SLP_TYP_MASK  (7u << ACPI_PM1_CNT_SLP_TYP_SHIFT)
#define ACPI_PM1_CNT_SLP_EN        BIT(13)
/* The SLP_TYP value the DSDT's \_S5 names: writing SLP_EN with this
 * SLP_TYP to PM1a_CNT powers the VM off. */
#define ACPI_SLP_TYP_S5            5

/* The SCI: ISA IRQ 9, level-triggered, active high (see the MADT override
 * in acpi.c for why high), delivered through IOAPIC pin 9. */
#define ACPI_SCI_IRQ        9
/* CMOS RTC index of the century register (FADT CENTURY); the RTC device
 * should implement it (BCD, e.g. 0x20). */
#define ACPI_RTC_CENTURY_INDEX 0x32

/* Interrupt controllers the MADT describes. */
#define ACPI_LAPIC_GPA      0xFEE00000
#define ACPI_IOAPIC_GPA     0xFEC00000
#define ACPI_IOAPIC_GSI_BASE 0

/* The standard place for the tables: the BIOS read-only area, where an OS
 * without acpi_rsdp_addr also finds the RSDP (5.2.5.1: "the BIOS read-only
 * memory space between 0E0000h and 0FFFFFh"). Must be guest RAM; the e820
 * map marks it E820_TYPE_ACPI. */
#define ACPI_TABLES_GPA     0xE0000
#define ACPI_TABLES_SIZE    0x20000

#define ACPI_MAX_VCPUS       254  /* APIC IDs 0..n-1, the IOAPIC takes n */
#define ACPI_MAX_MMIO_DEVICES 16

/* A platform device at a fixed MMIO window with one interrupt, described in
 * the DSDT as \_SB.Vnnn (nnn = index) with _HID, _UID and a _CRS of
 * Memory32Fixed + Interrupt. For virtio-mmio, hid = "LNRO0005" (Linux's
 * virtio_mmio ACPI match). */
struct acpi_mmio_device {
    const char *hid;   /* _HID string: 1-8 of A-Z and 0-9 */
    uint32_t base;     /* window GPA (below 4 GiB) */
    uint32_t size;     /* window bytes */
    uint32_t gsi;      /* IOAPIC input */
    bool edge;         /* false: level-triggered, active high */
};

struct acpi_config {
    unsigned nr_vcpus;                        /* 1 .. ACPI_MAX_VCPUS */
    const struct acpi_mmio_device *mmio;      /* may be NULL if nr_mmio 0 */
    unsigned nr_mmio;                         /* 0 .. ACPI_MAX_MMIO_DEVICES */
};

/* Where acpi_build() put each table (GPAs) and how much of the region it
 * used (bytes). */
struct acpi_tables {
    gpa_t rsdp, rsdt, xsdt, fadt, facs, madt, dsdt;
    uint64_t used;
};

/* Build every table into guest RAM [gpa, gpa + size): gpa must be 64-byte
 * aligned (the FACS needs it; the RSDP 16), the range one guest_mem slot
 * below 4 GiB (the RSDT and FADT hold 32-bit pointers too). The RSDP is at
 * gpa itself, so pass ACPI_TABLES_GPA for the legacy scan to find it; give
 * the kernel tables->rsdp as boot_params.acpi_rsdp_addr as well.
 * Returns 0 and fills *tables (may be NULL); -EINVAL (bad config or
 * alignment), -EFAULT (range not RAM in one slot or above 4 GiB), -ENOMEM
 * (size too small; the AML writer needs a few bytes of headroom beyond
 * tables->used while it works). The region is zeroed first. */
int acpi_build(struct guest_mem *gm, gpa_t gpa, uint64_t size,
               const struct acpi_config *cfg, struct acpi_tables *tables);

/* Write the DSDT's AML body (all that follows the table header) into a:
 * \_S5 and \_SB with COM1 and cfg's MMIO devices. This is the hook for new
 * devices: describe them here (hv/acpi/acpi_dsdt.c). Overflow is left in a. */
struct aml;
void acpi_dsdt_aml(struct aml *a, const struct acpi_config *cfg);

/* The byte that makes len bytes at p sum to zero mod 256 (5.2.6
 * "Checksum"), given that the checksum byte itself is still 0. */
uint8_t acpi_checksum(const void *p, size_t len);

#endif
