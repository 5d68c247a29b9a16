/* The host's ACPI tables, read only for what Keel itself needs: the PM1a
 * control block and the \_S5 sleep type to power the machine off, and the
 * reset register. Reference: ACPI 6.4, 5.2.5 (RSDP), 5.2.9 (FADT), 7.4.2
 * (\_S5 "System States"), 4.8.3.2.1 (SLP_TYPx/SLP_EN). */
#include "arch/x86/cpu.h"
#include "drivers/acpi_host.h"
#include "lib/log.h"
#include "lib/string.h"

struct PACKED acpi_sdt_header {
    char signature[4];
    uint32_t length;
    uint8_t revision;
    uint8_t checksum;
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    uint32_t creator_id;
    uint32_t creator_revision;
};

struct PACKED acpi_rsdp {
    char signature[8];
    uint8_t checksum;
    char oem_id[6];
    uint8_t revision;
    uint32_t rsdt_address;
    uint32_t length;
    uint64_t xsdt_address;
    uint8_t extended_checksum;
    uint8_t reserved[3];
};

/* FADT offsets used here (ACPI 6.4 Table 5.9). */
#define FADT_DSDT          40
#define FADT_PM1A_CNT_BLK  64
#define FADT_X_DSDT        140
#define PM1_SLP_EN         BIT(13)

static const struct acpi_sdt_header *madt;
static uint16_t pm1a_cnt;
static uint16_t slp_typ_s5;
static bool s5_ok;

static bool checksum_ok(const void *p, uint32_t len)
{
    uint8_t sum = 0;
    for (uint32_t i = 0; i < len; i++)
        sum += ((const uint8_t *)p)[i];
    return sum == 0;
}

static const struct acpi_sdt_header *find_table(const struct acpi_rsdp *rsdp,
                                                const char sig[4])
{
    bool xsdt = rsdp->revision >= 2 && rsdp->xsdt_address;
    const struct acpi_sdt_header *root = (const void *)(uintptr_t)(
        xsdt ? rsdp->xsdt_address : rsdp->rsdt_address);
    if (!root || !checksum_ok(root, root->length))
        return NULL;
    unsigned width = xsdt ? 8 : 4;
    unsigned n = (root->length - sizeof(*root)) / width;
    const uint8_t *entries = (const uint8_t *)(root + 1);
    for (unsigned i = 0; i < n; i++) {
        uint64_t addr = 0;
        memcpy(&addr, entries + i * width, width);
        const struct acpi_sdt_header *t = (const void *)(uintptr_t)addr;
        if (t && !memcmp(t->signature, sig, 4))
            return t;
    }
    return NULL;
}

/* Find "_S5_" followed by a Package in the DSDT's AML and return the first
 * element (SLP_TYPa): a ByteConst (0x0A nn), Zero (0x00) or One (0x01). */
static bool parse_s5(const struct acpi_sdt_header *dsdt, uint16_t *typ)
{
    const uint8_t *p = (const uint8_t *)dsdt;
    for (uint32_t i = sizeof(*dsdt); i + 8 < dsdt->length; i++) {
        if (memcmp(p + i, "_S5_", 4) || p[i + 4] != 0x12 /* PackageOp */)
            continue;
        const uint8_t *q = p + i + 5;
        q += 1 + (*q >> 6);          /* PkgLength: lead byte + extra bytes */
        q++;                          /* NumElements */
        if (*q == 0x0a)
            *typ = q[1];
        else if (*q == 0x00 || *q == 0x01)
            *typ = *q;
        else
            return false;
        return true;
    }
    return false;
}

void acpi_host_init(hpa_t rsdp_hpa)
{
    const struct acpi_rsdp *rsdp = (const void *)(uintptr_t)rsdp_hpa;
    if (!rsdp || memcmp(rsdp->signature, "RSD PTR ", 8) ||
        !checksum_ok(rsdp, 20)) {
        log_info("host ACPI: no valid RSDP (power-off will halt)");
        return;
    }
    madt = find_table(rsdp, "APIC");
    const struct acpi_sdt_header *fadt = find_table(rsdp, "FACP");
    if (!fadt) {
        log_warn("host ACPI: no FADT (power-off will halt)");
        return;
    }
    const uint8_t *f = (const uint8_t *)fadt;
    uint64_t dsdt = 0;
    if (fadt->length >= FADT_X_DSDT + 8)
        memcpy(&dsdt, f + FADT_X_DSDT, 8);
    if (!dsdt)
        memcpy(&dsdt, f + FADT_DSDT, 4);
    uint32_t cnt;
    memcpy(&cnt, f + FADT_PM1A_CNT_BLK, 4);
    pm1a_cnt = (uint16_t)cnt;
    s5_ok = dsdt && pm1a_cnt &&
            parse_s5((const struct acpi_sdt_header *)(uintptr_t)dsdt,
                     &slp_typ_s5);
    log_info("host ACPI: PM1a_CNT %#x, \\_S5 %s", pm1a_cnt,
             s5_ok ? "found" : "missing (power-off will halt)");
}

void acpi_host_poweroff(void)
{
    if (s5_ok)
        outw(pm1a_cnt, (uint16_t)((slp_typ_s5 << 10) | PM1_SLP_EN));
}

const void *acpi_host_madt(uint32_t *len)
{
    *len = madt ? madt->length : 0;
    return madt;
}
