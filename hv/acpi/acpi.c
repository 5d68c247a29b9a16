/* ACPI table builder (hv/acpi/acpi.h): RSDP -> RSDT/XSDT -> FADT (-> FACS,
 * DSDT) and MADT, laid out one after the other in a guest RAM region.
 * Spec: ACPI 6.4, 5.2 "ACPI System Description Tables". */
#include "hv/acpi/acpi.h"
#include "hv/acpi/acpi_tables.h"
#include "hv/acpi/aml.h"
#include "lib/errno.h"
#include "lib/string.h"

#define OEM_ID        "KEEL  "     /* 6 bytes */
#define OEM_TABLE_ID  "KEELVM  "   /* 8 bytes */
#define CREATOR_ID    "KEEL"
#define OEM_REVISION  1
#define CREATOR_REVISION 1
#define NR_SDT_ENTRIES 2           /* FADT, MADT (the DSDT hangs off the FADT) */

uint8_t acpi_checksum(const void *p, size_t len)
{
    const uint8_t *b = p;
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + b[i]);
    return (uint8_t)(0x100 - sum);
}

/* A bump allocator over the region: offsets from its start. */
struct region {
    uint8_t *base;     /* host pointer to the region (gmem_ptr) */
    gpa_t gpa;
    uint64_t size;
    uint64_t used;
};

/* Reserve len bytes aligned to align (a power of two). Returns the host
 * pointer, or NULL if the region is full. */
static void *region_alloc(struct region *r, uint64_t len, uint64_t align,
                          gpa_t *gpa)
{
    uint64_t off = ALIGN_UP(r->used, align);
    if (off > r->size || len > r->size - off)
        return NULL;
    r->used = off + len;
    *gpa = r->gpa + off;
    return r->base + off;
}

static void sdt_header(struct acpi_sdt_header *h, const char sig[4],
                       uint32_t length, uint8_t revision)
{
    memcpy(h->signature, sig, 4);
    h->length = length;
    h->revision = revision;
    h->checksum = 0;
    memcpy(h->oem_id, OEM_ID, 6);
    memcpy(h->oem_table_id, OEM_TABLE_ID, 8);
    h->oem_revision = OEM_REVISION;
    memcpy(h->creator_id, CREATOR_ID, 4);
    h->creator_revision = CREATOR_REVISION;
}

/* Finish a table: its checksum byte makes the whole table sum to zero. */
static void sdt_seal(void *table)
{
    struct acpi_sdt_header *h = table;
    h->checksum = 0;
    h->checksum = acpi_checksum(h, h->length);
}

static struct acpi_gas gas_io(uint16_t port, uint8_t bytes)
{
    return (struct acpi_gas){
        .address_space_id = ACPI_AS_SYSTEM_IO,
        .register_bit_width = (uint8_t)(bytes * 8),
        .register_bit_offset = 0,
        /* For PM1 event blocks the width covers STS and EN together; the
         * access size says how each register is accessed (16 bits). */
        .access_size = bytes >= 4 ? ACPI_ACCESS_DWORD
                     : bytes == 2 ? ACPI_ACCESS_WORD : ACPI_ACCESS_BYTE,
        .address = port,
    };
}

/* See: 5.2.9 FADT. Choices, each for a reason:
 * - Not HW-reduced: Keel offers the PC fixed hardware (PM1 event/control,
 *   PM timer, SCI), which is what Linux's stock x86 kernel expects.
 * - SMI_CMD 0: no SMM; the system is always in ACPI mode (4.8.2.1.1), so
 *   the PM device reads SCI_EN as 1.
 * - IAPC_BOOT_ARCH: LEGACY_DEVICES (a user-visible 16550 at 0x3F8), no
 *   8042 (Keel has no keyboard controller, and Linux then skips i8042
 *   probing), VGA not present; the CMOS RTC is present.
 * - TMR_VAL_EXT: the PM timer counts 32 bits. */
static void build_fadt(struct acpi_fadt *f, gpa_t facs, gpa_t dsdt)
{
    memset(f, 0, sizeof(*f));
    sdt_header(&f->header, "FACP", sizeof(*f), ACPI_FADT_REVISION);
    f->firmware_ctrl = (uint32_t)facs;
    f->dsdt = (uint32_t)dsdt;
    f->preferred_pm_profile = 0;          /* Unspecified */
    f->sci_int = ACPI_SCI_IRQ;
    f->smi_cmd = 0;
    f->pm1a_evt_blk = ACPI_PM1A_EVT_PORT;
    f->pm1a_cnt_blk = ACPI_PM1A_CNT_PORT;
    f->pm_tmr_blk = ACPI_PM_TMR_PORT;
    f->pm1_evt_len = ACPI_PM1_EVT_LEN;
    f->pm1_cnt_len = ACPI_PM1_CNT_LEN;
    f->pm_tmr_len = ACPI_PM_TMR_LEN;
    f->p_lvl2_lat = 101;                  /* > 100: C2 not supported */
    f->p_lvl3_lat = 1001;                 /* > 1000: C3 not supported */
    f->century = ACPI_RTC_CENTURY_INDEX;
    f->iapc_boot_arch = ACPI_IAPC_LEGACY_DEVICES | ACPI_IAPC_VGA_NOT_PRESENT;
    f->flags = ACPI_FADT_WBINVD | ACPI_FADT_PROC_C1 | ACPI_FADT_PWR_BUTTON |
               ACPI_FADT_SLP_BUTTON | ACPI_FADT_FIX_RTC | ACPI_FADT_TMR_VAL_EXT |
               ACPI_FADT_RESET_REG_SUP | ACPI_FADT_HEADLESS;
    f->reset_reg = gas_io(ACPI_RESET_PORT, 1);
    f->reset_value = ACPI_RESET_VALUE;
    f->fadt_minor_version = ACPI_FADT_MINOR_VERSION;
    f->x_firmware_ctrl = facs;
    f->x_dsdt = dsdt;
    f->x_pm1a_evt_blk = gas_io(ACPI_PM1A_EVT_PORT, ACPI_PM1_EVT_LEN);
    f->x_pm1a_evt_blk.access_size = ACPI_ACCESS_WORD;
    f->x_pm1a_cnt_blk = gas_io(ACPI_PM1A_CNT_PORT, ACPI_PM1_CNT_LEN);
    f->x_pm_tmr_blk = gas_io(ACPI_PM_TMR_PORT, ACPI_PM_TMR_LEN);
    memcpy(&f->hypervisor_vendor_identity, "KEEL\0\0\0\0", 8);
    sdt_seal(f);
}

/* See: 5.2.12 MADT. Processor UIDs and APIC IDs are 0..n-1; the IOAPIC
 * takes ID n. */
static uint64_t madt_size(unsigned nr_vcpus)
{
    return sizeof(struct acpi_madt) +
           nr_vcpus * sizeof(struct acpi_madt_local_apic) +
           sizeof(struct acpi_madt_io_apic) +
           2 * sizeof(struct acpi_madt_int_override) +
           sizeof(struct acpi_madt_local_apic_nmi);
}

static void build_madt(uint8_t *t, unsigned nr_vcpus)
{
    struct acpi_madt m = {
        .local_interrupt_controller_address = ACPI_LAPIC_GPA,
        /* Keel also models the two 8259s, which the OS must mask when it
         * switches to the APICs. */
        .flags = ACPI_MADT_PCAT_COMPAT,
    };
    sdt_header(&m.header, "APIC", (uint32_t)madt_size(nr_vcpus), ACPI_MADT_REVISION);
    uint8_t *p = t;
    memcpy(p, &m, sizeof(m));
    p += sizeof(m);

    for (unsigned i = 0; i < nr_vcpus; i++) {
        struct acpi_madt_local_apic l = {
            .type = ACPI_MADT_LOCAL_APIC, .length = sizeof(l),
            .acpi_processor_uid = (uint8_t)i, .apic_id = (uint8_t)i,
            .flags = ACPI_MADT_LAPIC_ENABLED,
        };
        memcpy(p, &l, sizeof(l));
        p += sizeof(l);
    }
    struct acpi_madt_io_apic io = {
        .type = ACPI_MADT_IO_APIC, .length = sizeof(io),
        .io_apic_id = (uint8_t)nr_vcpus,
        .io_apic_address = ACPI_IOAPIC_GPA,
        .global_system_interrupt_base = ACPI_IOAPIC_GSI_BASE,
    };
    memcpy(p, &io, sizeof(io));
    p += sizeof(io);

    /* The PIT's IRQ 0 is wired to IOAPIC pin 2 on PCs (pin 0 carries the
     * 8259's INTR); it stays an ISA interrupt: edge, active high. */
    struct acpi_madt_int_override irq0 = {
        .type = ACPI_MADT_INT_OVERRIDE, .length = sizeof(irq0),
        .bus = 0, .source = 0, .global_system_interrupt = 2,
        .flags = ACPI_MPS_INTI_EDGE | ACPI_MPS_INTI_ACTIVE_HIGH,
    };
    /* The SCI is level-triggered; ACPI's default for it is active low
     * (5.2.9 SCI_INT: "sharable, level, active low"), which on real boards
     * needs an inverter. Keel's wires carry 1 = asserted with no inverter,
     * so say "active high" explicitly, as QEMU does for its PM device;
     * otherwise the vIOAPIC would have to invert pin 9. */
    struct acpi_madt_int_override sci = {
        .type = ACPI_MADT_INT_OVERRIDE, .length = sizeof(sci),
        .bus = 0, .source = ACPI_SCI_IRQ,
        .global_system_interrupt = ACPI_SCI_IRQ,
        .flags = ACPI_MPS_INTI_LEVEL | ACPI_MPS_INTI_ACTIVE_HIGH,
    };
    memcpy(p, &irq0, sizeof(irq0));
    p += sizeof(irq0);
    memcpy(p, &sci, sizeof(sci));
    p += sizeof(sci);

    /* LINT1 of every local APIC is the NMI input (PC convention). */
    struct acpi_madt_local_apic_nmi nmi = {
        .type = ACPI_MADT_LOCAL_APIC_NMI, .length = sizeof(nmi),
        .acpi_processor_uid = ACPI_MADT_ALL_PROCESSORS,
        .flags = ACPI_MPS_INTI_POLARITY_CONFORMS | ACPI_MPS_INTI_TRIGGER_CONFORMS,
        .local_apic_lint = 1,
    };
    memcpy(p, &nmi, sizeof(nmi));
    sdt_seal(t);
}

/* A _HID string is a PNP ID ("PNP0501") or an ACPI ID ("LNRO0005"):
 * upper-case letters and digits only (6.1.5 "_HID"). Anything else would
 * also break the AML String it becomes, which holds only 0x01-0x7F
 * (20.2.3); a byte 0xFE once went into the DSDT (found by fuzzing). */
static bool hid_ok(const char *hid)
{
    size_t n = strlen(hid);
    if (n == 0 || n > 8)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((hid[i] >= 'A' && hid[i] <= 'Z') || (hid[i] >= '0' && hid[i] <= '9')))
            return false;
    return true;
}

static bool config_ok(const struct acpi_config *cfg)
{
    if (!cfg || cfg->nr_vcpus == 0 || cfg->nr_vcpus > ACPI_MAX_VCPUS ||
        cfg->nr_mmio > ACPI_MAX_MMIO_DEVICES || (cfg->nr_mmio && !cfg->mmio))
        return false;
    for (unsigned i = 0; i < cfg->nr_mmio; i++) {
        const struct acpi_mmio_device *d = &cfg->mmio[i];
        if (!d->hid || !hid_ok(d->hid) || d->size == 0 ||
            (uint64_t)d->base + d->size > GiB(4))
            return false;
    }
    return true;
}

int acpi_build(struct guest_mem *gm, gpa_t gpa, uint64_t size,
               const struct acpi_config *cfg, struct acpi_tables *tables)
{
    if (!config_ok(cfg) || !IS_ALIGNED(gpa, ACPI_FACS_ALIGN))
        return -EINVAL;
    if (gpa >= GiB(4) || size > GiB(4) - gpa)
        return -EFAULT;
    struct region r = { .base = gmem_ptr(gm, gpa, size), .gpa = gpa, .size = size };
    if (!r.base)
        return -EFAULT;
    memset(r.base, 0, size);

    struct acpi_tables t = { 0 };
    struct acpi_rsdp *rsdp = region_alloc(&r, sizeof(*rsdp), ACPI_RSDP_ALIGN, &t.rsdp);
    struct acpi_facs *facs = region_alloc(&r, sizeof(*facs), ACPI_FACS_ALIGN, &t.facs);
    uint32_t rsdt_len = sizeof(struct acpi_sdt_header) + NR_SDT_ENTRIES * 4;
    uint32_t xsdt_len = sizeof(struct acpi_sdt_header) + NR_SDT_ENTRIES * 8;
    uint8_t *rsdt = region_alloc(&r, rsdt_len, 16, &t.rsdt);
    uint8_t *xsdt = region_alloc(&r, xsdt_len, 16, &t.xsdt);
    struct acpi_fadt *fadt = region_alloc(&r, sizeof(*fadt), 16, &t.fadt);
    uint8_t *madt = region_alloc(&r, madt_size(cfg->nr_vcpus), 16, &t.madt);
    /* The DSDT takes the rest; its real length is known after the AML. */
    uint8_t *dsdt = region_alloc(&r, sizeof(struct acpi_sdt_header), 16, &t.dsdt);
    if (!rsdp || !facs || !rsdt || !xsdt || !fadt || !madt || !dsdt)
        return -ENOMEM;

    struct aml a;
    aml_init(&a, dsdt + sizeof(struct acpi_sdt_header), r.size - r.used);
    acpi_dsdt_aml(&a, cfg);
    if (a.overflow)
        return -ENOMEM;
    r.used += a.len;
    struct acpi_sdt_header dh;
    sdt_header(&dh, "DSDT", (uint32_t)(sizeof(dh) + a.len), ACPI_DSDT_REVISION);
    memcpy(dsdt, &dh, sizeof(dh));
    sdt_seal(dsdt);

    /* See: 5.2.10 FACS. The waking vector stays 0: Keel offers no S3. */
    memcpy(facs->signature, "FACS", 4);
    facs->length = sizeof(*facs);
    facs->version = ACPI_FACS_VERSION;

    build_fadt(fadt, t.facs, t.dsdt);
    build_madt(madt, cfg->nr_vcpus);

    /* RSDT and XSDT list the same tables; table GPAs are below 4 GiB. */
    const gpa_t entries[NR_SDT_ENTRIES] = { t.fadt, t.madt };
    struct acpi_sdt_header h;
    sdt_header(&h, "RSDT", rsdt_len, ACPI_RSDT_REVISION);
    memcpy(rsdt, &h, sizeof(h));
    sdt_header(&h, "XSDT", xsdt_len, ACPI_XSDT_REVISION);
    memcpy(xsdt, &h, sizeof(h));
    for (unsigned i = 0; i < NR_SDT_ENTRIES; i++) {
        uint32_t e32 = (uint32_t)entries[i];
        uint64_t e64 = entries[i];
        memcpy(rsdt + sizeof(h) + i * 4, &e32, 4);
        memcpy(xsdt + sizeof(h) + i * 8, &e64, 8);
    }
    sdt_seal(rsdt);
    sdt_seal(xsdt);

    /* See: 5.2.5.3 RSDP: checksum over the ACPI 1.0 part (20 bytes), the
     * extended checksum over all 36. */
    memcpy(rsdp->signature, ACPI_RSDP_SIGNATURE, 8);
    memcpy(rsdp->oem_id, OEM_ID, 6);
    rsdp->revision = 2;
    rsdp->rsdt_address = (uint32_t)t.rsdt;
    rsdp->length = sizeof(*rsdp);
    rsdp->xsdt_address = t.xsdt;
    rsdp->checksum = acpi_checksum(rsdp, ACPI_RSDP_V1_LENGTH);
    rsdp->extended_checksum = acpi_checksum(rsdp, sizeof(*rsdp));

    t.used = r.used;
    if (tables)
        *tables = t;
    return 0;
}
