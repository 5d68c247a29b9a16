/* ACPI table layouts Keel builds for its guests, field for field as the
 * specification names them.
 * Spec: Advanced Configuration and Power Interface (ACPI) Specification,
 * Version 6.4, chapter 5.2 "ACPI System Description Tables". All tables are
 * little-endian and byte-packed; sizes and key offsets are checked below. */
#ifndef KEEL_ACPI_TABLES_H
#define KEEL_ACPI_TABLES_H

#include "lib/types.h"

/* See: 5.2.3.2 Generic Address Structure (GAS). */
struct acpi_gas {
    uint8_t  address_space_id;    /* ACPI_AS_* */
    uint8_t  register_bit_width;
    uint8_t  register_bit_offset;
    uint8_t  access_size;         /* ACPI_ACCESS_* */
    uint64_t address;             /* port number or GPA */
} PACKED;

#define ACPI_AS_SYSTEM_MEMORY 0
#define ACPI_AS_SYSTEM_IO     1
#define ACPI_ACCESS_UNDEFINED 0
#define ACPI_ACCESS_BYTE      1
#define ACPI_ACCESS_WORD      2
#define ACPI_ACCESS_DWORD     3
#define ACPI_ACCESS_QWORD     4

/* See: 5.2.5.3 Root System Description Pointer (RSDP) Structure. */
struct acpi_rsdp {
    char     signature[8];        /* "RSD PTR " */
    uint8_t  checksum;            /* bytes 0-19 sum to zero */
    char     oem_id[6];
    uint8_t  revision;            /* 2: ACPI 2.0+ layout, XSDT valid */
    uint32_t rsdt_address;        /* 32-bit GPA of the RSDT */
    uint32_t length;              /* 36: the whole structure */
    uint64_t xsdt_address;        /* 64-bit GPA of the XSDT */
    uint8_t  extended_checksum;   /* all 36 bytes sum to zero */
    uint8_t  reserved[3];
} PACKED;

#define ACPI_RSDP_SIGNATURE     "RSD PTR "
#define ACPI_RSDP_V1_LENGTH     20  /* covered by checksum */
#define ACPI_RSDP_ALIGN         16  /* "on a 16-byte boundary" (5.2.5.1) */

/* See: 5.2.6 System Description Table Header. */
struct acpi_sdt_header {
    char     signature[4];
    uint32_t length;              /* bytes, header included */
    uint8_t  revision;
    uint8_t  checksum;            /* whole table sums to zero */
    char     oem_id[6];
    char     oem_table_id[8];
    uint32_t oem_revision;
    char     creator_id[4];
    uint32_t creator_revision;
} PACKED;

/* See: 5.2.7 RSDT and 5.2.8 XSDT: the header then 32- or 64-bit table GPAs
 * (the XSDT's entries are not 8-byte aligned, so they are written bytewise). */
#define ACPI_RSDT_REVISION 1
#define ACPI_XSDT_REVISION 1

/* See: 5.2.9 Fixed ACPI Description Table (FADT), Table 5.9. */
struct acpi_fadt {
    struct acpi_sdt_header header;   /* "FACP" */
    uint32_t firmware_ctrl;          /* 36: FACS GPA (32-bit) */
    uint32_t dsdt;                   /* 40: DSDT GPA (32-bit) */
    uint8_t  reserved0;              /* 44: INT_MODEL in ACPI 1.0 */
    uint8_t  preferred_pm_profile;   /* 45 */
    uint16_t sci_int;                /* 46: SCI as an 8259 IRQ number */
    uint32_t smi_cmd;                /* 48: 0 = ACPI mode always on */
    uint8_t  acpi_enable;            /* 52 */
    uint8_t  acpi_disable;           /* 53 */
    uint8_t  s4bios_req;             /* 54 */
    uint8_t  pstate_cnt;             /* 55 */
    uint32_t pm1a_evt_blk;           /* 56: I/O port of PM1a status/enable */
    uint32_t pm1b_evt_blk;           /* 60 */
    uint32_t pm1a_cnt_blk;           /* 64: I/O port of PM1a control */
    uint32_t pm1b_cnt_blk;           /* 68 */
    uint32_t pm2_cnt_blk;            /* 72 */
    uint32_t pm_tmr_blk;             /* 76: I/O port of the PM timer */
    uint32_t gpe0_blk;               /* 80 */
    uint32_t gpe1_blk;               /* 84 */
    uint8_t  pm1_evt_len;            /* 88: bytes (status + enable) */
    uint8_t  pm1_cnt_len;            /* 89 */
    uint8_t  pm2_cnt_len;            /* 90 */
    uint8_t  pm_tmr_len;             /* 91: 4 */
    uint8_t  gpe0_blk_len;           /* 92 */
    uint8_t  gpe1_blk_len;           /* 93 */
    uint8_t  gpe1_base;              /* 94 */
    uint8_t  cst_cnt;                /* 95 */
    uint16_t p_lvl2_lat;             /* 96: > 100 means no C2 */
    uint16_t p_lvl3_lat;             /* 98: > 1000 means no C3 */
    uint16_t flush_size;             /* 100 */
    uint16_t flush_stride;           /* 102 */
    uint8_t  duty_offset;            /* 104 */
    uint8_t  duty_width;             /* 105 */
    uint8_t  day_alrm;               /* 106: RTC CMOS index, 0 none */
    uint8_t  mon_alrm;               /* 107 */
    uint8_t  century;                /* 108: RTC CMOS index of the century */
    uint16_t iapc_boot_arch;         /* 109: ACPI_IAPC_* (Table 5.11) */
    uint8_t  reserved1;              /* 111 */
    uint32_t flags;                  /* 112: ACPI_FADT_* (Table 5.10) */
    struct acpi_gas reset_reg;       /* 116 */
    uint8_t  reset_value;            /* 128 */
    uint16_t arm_boot_arch;          /* 129 */
    uint8_t  fadt_minor_version;     /* 131 */
    uint64_t x_firmware_ctrl;        /* 132 */
    uint64_t x_dsdt;                 /* 140 */
    struct acpi_gas x_pm1a_evt_blk;  /* 148 */
    struct acpi_gas x_pm1b_evt_blk;  /* 160 */
    struct acpi_gas x_pm1a_cnt_blk;  /* 172 */
    struct acpi_gas x_pm1b_cnt_blk;  /* 184 */
    struct acpi_gas x_pm2_cnt_blk;   /* 196 */
    struct acpi_gas x_pm_tmr_blk;    /* 208 */
    struct acpi_gas x_gpe0_blk;      /* 220 */
    struct acpi_gas x_gpe1_blk;      /* 232 */
    struct acpi_gas sleep_control_reg; /* 244: HW-reduced only */
    struct acpi_gas sleep_status_reg;  /* 256: HW-reduced only */
    uint64_t hypervisor_vendor_identity; /* 268 */
} PACKED;

#define ACPI_FADT_REVISION       6
#define ACPI_FADT_MINOR_VERSION  4

/* FADT flags, Table 5.10 "Fixed ACPI Description Table Fixed Feature Flags". */
#define ACPI_FADT_WBINVD              BIT(0)
#define ACPI_FADT_WBINVD_FLUSH        BIT(1)
#define ACPI_FADT_PROC_C1             BIT(2)
#define ACPI_FADT_P_LVL2_UP           BIT(3)
#define ACPI_FADT_PWR_BUTTON          BIT(4)  /* 1: no fixed power button */
#define ACPI_FADT_SLP_BUTTON          BIT(5)  /* 1: no fixed sleep button */
#define ACPI_FADT_FIX_RTC             BIT(6)  /* 1: no RTC wake status */
#define ACPI_FADT_RTC_S4              BIT(7)
#define ACPI_FADT_TMR_VAL_EXT         BIT(8)  /* 1: PM timer is 32 bits */
#define ACPI_FADT_DCK_CAP             BIT(9)
#define ACPI_FADT_RESET_REG_SUP       BIT(10)
#define ACPI_FADT_SEALED_CASE         BIT(11)
#define ACPI_FADT_HEADLESS            BIT(12)
#define ACPI_FADT_CPU_SW_SLP          BIT(13)
#define ACPI_FADT_PCI_EXP_WAK         BIT(14)
#define ACPI_FADT_USE_PLATFORM_CLOCK  BIT(15)
#define ACPI_FADT_S4_RTC_STS_VALID    BIT(16)
#define ACPI_FADT_REMOTE_POWER_ON     BIT(17)
#define ACPI_FADT_FORCE_APIC_CLUSTER  BIT(18)
#define ACPI_FADT_FORCE_APIC_PHYS     BIT(19)
#define ACPI_FADT_HW_REDUCED_ACPI     BIT(20)
#define ACPI_FADT_LOW_POWER_S0_IDLE   BIT(21)

/* IA-PC boot architecture flags, Table 5.11. */
#define ACPI_IAPC_LEGACY_DEVICES      BIT(0)  /* user-visible ISA/LPC devices */
#define ACPI_IAPC_8042                BIT(1)  /* an 8042 keyboard controller */
#define ACPI_IAPC_VGA_NOT_PRESENT     BIT(2)
#define ACPI_IAPC_MSI_NOT_SUPPORTED   BIT(3)
#define ACPI_IAPC_PCIE_ASPM_CONTROLS  BIT(4)
#define ACPI_IAPC_CMOS_RTC_NOT_PRESENT BIT(5)

/* See: 5.2.10 Firmware ACPI Control Structure (FACS), Table 5.13. No
 * checksum; must be 64-byte aligned. */
struct acpi_facs {
    char     signature[4];               /* "FACS" */
    uint32_t length;                     /* 64 */
    uint32_t hardware_signature;
    uint32_t firmware_waking_vector;
    uint32_t global_lock;
    uint32_t flags;
    uint64_t x_firmware_waking_vector;
    uint8_t  version;                    /* 2 */
    uint8_t  reserved0[3];
    uint32_t ospm_flags;
    uint8_t  reserved1[24];
} PACKED;

#define ACPI_FACS_ALIGN   64
#define ACPI_FACS_VERSION 2

/* See: 5.2.12 Multiple APIC Description Table (MADT), Table 5.19. The
 * interrupt controller structures follow the fixed part. */
struct acpi_madt {
    struct acpi_sdt_header header;       /* "APIC" */
    uint32_t local_interrupt_controller_address; /* LAPIC GPA */
    uint32_t flags;                      /* ACPI_MADT_PCAT_COMPAT */
} PACKED;

#define ACPI_MADT_REVISION     5
#define ACPI_MADT_PCAT_COMPAT  BIT(0)   /* dual 8259s present too */

/* Interrupt controller structure types, Table 5.21. */
#define ACPI_MADT_LOCAL_APIC      0
#define ACPI_MADT_IO_APIC         1
#define ACPI_MADT_INT_OVERRIDE    2
#define ACPI_MADT_LOCAL_APIC_NMI  4

/* See: 5.2.12.2 Processor Local APIC Structure. */
struct acpi_madt_local_apic {
    uint8_t  type;                       /* 0 */
    uint8_t  length;                     /* 8 */
    uint8_t  acpi_processor_uid;
    uint8_t  apic_id;
    uint32_t flags;                      /* ACPI_MADT_LAPIC_* */
} PACKED;

#define ACPI_MADT_LAPIC_ENABLED         BIT(0)
#define ACPI_MADT_LAPIC_ONLINE_CAPABLE  BIT(1)

/* See: 5.2.12.3 I/O APIC Structure. */
struct acpi_madt_io_apic {
    uint8_t  type;                       /* 1 */
    uint8_t  length;                     /* 12 */
    uint8_t  io_apic_id;
    uint8_t  reserved;
    uint32_t io_apic_address;            /* GPA */
    uint32_t global_system_interrupt_base;
} PACKED;

/* See: 5.2.12.5 Interrupt Source Override Structure. */
struct acpi_madt_int_override {
    uint8_t  type;                       /* 2 */
    uint8_t  length;                     /* 10 */
    uint8_t  bus;                        /* 0: ISA */
    uint8_t  source;                     /* ISA IRQ */
    uint32_t global_system_interrupt;
    uint16_t flags;                      /* ACPI_MPS_INTI_* */
} PACKED;

/* See: 5.2.12.7 Local APIC NMI Structure. */
struct acpi_madt_local_apic_nmi {
    uint8_t  type;                       /* 4 */
    uint8_t  length;                     /* 6 */
    uint8_t  acpi_processor_uid;         /* 0xFF: all processors */
    uint16_t flags;                      /* ACPI_MPS_INTI_* */
    uint8_t  local_apic_lint;            /* LINT0 or LINT1 */
} PACKED;

/* MPS INTI flags, Table 5.26: polarity bits 1:0, trigger mode bits 3:2. */
#define ACPI_MPS_INTI_POLARITY_CONFORMS  0x0
#define ACPI_MPS_INTI_ACTIVE_HIGH        0x1
#define ACPI_MPS_INTI_ACTIVE_LOW         0x3
#define ACPI_MPS_INTI_TRIGGER_CONFORMS   (0x0 << 2)
#define ACPI_MPS_INTI_EDGE               (0x1 << 2)
#define ACPI_MPS_INTI_LEVEL              (0x3 << 2)
#define ACPI_MADT_ALL_PROCESSORS         0xFF

/* See: 5.2.11.1 Differentiated System Description Table (DSDT). Revision 2
 * makes AML integers 64 bits wide. */
#define ACPI_DSDT_REVISION 2

_Static_assert(sizeof(struct acpi_gas) == 12, "5.2.3.2");
_Static_assert(sizeof(struct acpi_rsdp) == 36, "5.2.5.3");
_Static_assert(offsetof(struct acpi_rsdp, length) == 20, "5.2.5.3");
_Static_assert(offsetof(struct acpi_rsdp, xsdt_address) == 24, "5.2.5.3");
_Static_assert(sizeof(struct acpi_sdt_header) == 36, "5.2.6");
_Static_assert(sizeof(struct acpi_fadt) == 276, "5.2.9, FADT 6.4");
_Static_assert(offsetof(struct acpi_fadt, sci_int) == 46, "5.2.9");
_Static_assert(offsetof(struct acpi_fadt, pm1a_evt_blk) == 56, "5.2.9");
_Static_assert(offsetof(struct acpi_fadt, pm_tmr_len) == 91, "5.2.9");
_Static_assert(offsetof(struct acpi_fadt, century) == 108, "5.2.9");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "5.2.9");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "5.2.9");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "5.2.9");
_Static_assert(offsetof(struct acpi_fadt, fadt_minor_version) == 131, "5.2.9");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "5.2.9");
_Static_assert(offsetof(struct acpi_fadt, x_pm_tmr_blk) == 208, "5.2.9");
_Static_assert(offsetof(struct acpi_fadt, hypervisor_vendor_identity) == 268, "5.2.9");
_Static_assert(sizeof(struct acpi_facs) == 64, "5.2.10");
_Static_assert(offsetof(struct acpi_facs, version) == 32, "5.2.10");
_Static_assert(sizeof(struct acpi_madt) == 44, "5.2.12");
_Static_assert(sizeof(struct acpi_madt_local_apic) == 8, "5.2.12.2");
_Static_assert(sizeof(struct acpi_madt_io_apic) == 12, "5.2.12.3");
_Static_assert(sizeof(struct acpi_madt_int_override) == 10, "5.2.12.5");
_Static_assert(sizeof(struct acpi_madt_local_apic_nmi) == 6, "5.2.12.7");

#endif
