/* The DSDT's AML: the guest's ACPI namespace (hv/acpi/acpi.h).
 * Spec: ACPI 6.4: 5.2.11.1 DSDT, 6.1 "Device Identification Objects",
 * 6.2.2 "_CRS", 7.4.2 "\_Sx (System States)". In ASL, what this writes is:
 *
 *   Name (\_S5, Package (4) { 5, 5, 0, 0 })
 *   Scope (\_SB) {
 *       Device (COM1) {
 *           Name (_HID, EisaId ("PNP0501"))
 *           Name (_UID, 1)
 *           Name (_CRS, ResourceTemplate () {
 *               IO (Decode16, 0x3F8, 0x3F8, 0x00, 0x08)
 *               IRQNoFlags () { 4 }
 *           })
 *       }
 *       Device (PCI0) {                 // Keel's PCI bus 0 (hv/dev/pci_host.h)
 *           Name (_HID, EisaId ("PNP0A03"))
 *           Name (_UID, 0)
 *           Name (_ADR, 0)
 *           Name (_CRS, ResourceTemplate () {
 *               WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,
 *                              0, 0, 0xFF, 0, 0x100)
 *               WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode,
 *                       EntireRange, 0, 0, 0xCF7, 0, 0xCF8)
 *               WordIO (..., 0, 0xD00, 0xFFFF, 0, 0xF300)
 *               DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed,
 *                            NonCacheable, ReadWrite, 0, 0xC0000000,
 *                            0xFEBFFFFF, 0, 0x3EC00000)
 *           })
 *       }
 *       Device (V000) {                 // one per cfg->mmio[i]
 *           Name (_HID, "LNRO0005")
 *           Name (_UID, 0)
 *           Name (_CRS, ResourceTemplate () {
 *               Memory32Fixed (ReadWrite, base, size)
 *               Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive) { gsi }
 *           })
 *       }
 *   }
 *
 * Linux on x86 with ACPI scans PCI only below a PNP0A03 root bridge (with
 * ACPI on, it never falls back to probing conf1 by itself), so PCI0 is
 * always there. It has no _PRT: Keel's PCI functions use MSI-X, no INTx. */
#include "hv/acpi/acpi.h"
#include "hv/acpi/aml.h"
#include "hv/dev/pci_host.h"
#include "lib/printf.h"

#define COM1_PORT 0x3F8
#define COM1_IRQ  4

/* \_S5: SLP_TYPa and SLP_TYPb for soft-off, then two reserved entries. */
static void sleep_states(struct aml *a)
{
    aml_name(a, "\\_S5");
    size_t pkg = aml_package_begin(a, 4);
    aml_integer(a, ACPI_SLP_TYP_S5);
    aml_integer(a, ACPI_SLP_TYP_S5);
    aml_integer(a, 0);
    aml_integer(a, 0);
    aml_pkg_end(a, pkg);
}

/* _CRS is a Buffer; build its descriptors in a small side buffer first
 * because a Buffer's size precedes its bytes. */
static void com1(struct aml *a)
{
    size_t dev = aml_device_begin(a, "COM1");
    aml_name(a, "_HID");
    aml_eisaid(a, "PNP0501");        /* 16550A-compatible COM port */
    aml_name(a, "_UID");
    aml_integer(a, 1);

    uint8_t buf[32];
    struct aml rt;
    aml_init(&rt, buf, sizeof(buf));
    aml_rt_io(&rt, COM1_PORT, COM1_PORT, 0x00, 8);
    aml_rt_irq_noflags(&rt, COM1_IRQ);
    aml_rt_end(&rt);
    a->overflow |= rt.overflow;
    aml_name(a, "_CRS");
    aml_buffer(a, buf, MIN(rt.len, sizeof(buf)));
    aml_pkg_end(a, dev);
}

/* Address space descriptor fields (ACPI 6.4, 6.4.3.5 "Address Space
 * Resource Descriptors"). */
#define ASD_WORD          0x88   /* 6.4.3.5.3, 16-bit fields */
#define ASD_DWORD         0x87   /* 6.4.3.5.2, 32-bit fields */
#define ASD_TYPE_MEMORY   0
#define ASD_TYPE_IO       1
#define ASD_TYPE_BUS      2
#define ASD_PRODUCER_FIXED 0x0c  /* _MAF | _MIF, producer, positive decode */
#define ASD_IO_ENTIRE_RANGE 0x03
#define ASD_MEM_READ_WRITE  0x01 /* _RW = 1, non-cacheable */

static void le(struct aml *rt, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        aml_byte(rt, (uint8_t)(v >> (8 * i)));
}

/* One Word or DWord address space descriptor for a window [min, max]. */
static void address_space(struct aml *rt, uint8_t tag, uint8_t type,
                          uint8_t type_flags, uint64_t min, uint64_t max)
{
    unsigned w = tag == ASD_WORD ? 2 : 4;
    aml_byte(rt, tag);
    le(rt, 3 + 5 * w, 2);           /* length after the 3-byte header */
    aml_byte(rt, type);
    aml_byte(rt, ASD_PRODUCER_FIXED);
    aml_byte(rt, type_flags);
    le(rt, 0, w);                   /* granularity */
    le(rt, min, w);
    le(rt, max, w);
    le(rt, 0, w);                   /* translation offset */
    le(rt, max - min + 1, w);       /* length */
}

static void pci_root(struct aml *a)
{
    size_t dev = aml_device_begin(a, "PCI0");
    aml_name(a, "_HID");
    aml_eisaid(a, "PNP0A03");        /* PCI bus */
    aml_name(a, "_UID");
    aml_integer(a, 0);
    aml_name(a, "_ADR");
    aml_integer(a, 0);

    uint8_t buf[96];
    struct aml rt;
    aml_init(&rt, buf, sizeof(buf));
    address_space(&rt, ASD_WORD, ASD_TYPE_BUS, 0, 0, 0xff);
    address_space(&rt, ASD_WORD, ASD_TYPE_IO, ASD_IO_ENTIRE_RANGE, 0,
                  PCI_CONFIG_ADDRESS - 1);
    address_space(&rt, ASD_WORD, ASD_TYPE_IO, ASD_IO_ENTIRE_RANGE,
                  PCI_CONFIG_ADDRESS + PCI_CONFIG_PORTS, 0xffff);
    address_space(&rt, ASD_DWORD, ASD_TYPE_MEMORY, ASD_MEM_READ_WRITE,
                  PCI_MMIO_BASE, PCI_MMIO_END - 1);
    aml_rt_end(&rt);
    a->overflow |= rt.overflow;
    aml_name(a, "_CRS");
    aml_buffer(a, buf, MIN(rt.len, sizeof(buf)));
    aml_pkg_end(a, dev);
}

static void mmio_device(struct aml *a, unsigned index,
                        const struct acpi_mmio_device *d)
{
    char name[5];
    ksnprintf(name, sizeof(name), "V%03u", index);
    size_t dev = aml_device_begin(a, name);
    aml_name(a, "_HID");
    aml_string(a, d->hid);
    aml_name(a, "_UID");
    aml_integer(a, index);

    uint8_t buf[32];
    struct aml rt;
    aml_init(&rt, buf, sizeof(buf));
    aml_rt_memory32_fixed(&rt, true, d->base, d->size);
    aml_rt_interrupt(&rt, d->edge, d->gsi);
    aml_rt_end(&rt);
    a->overflow |= rt.overflow;
    aml_name(a, "_CRS");
    aml_buffer(a, buf, MIN(rt.len, sizeof(buf)));
    aml_pkg_end(a, dev);
}

void acpi_dsdt_aml(struct aml *a, const struct acpi_config *cfg)
{
    sleep_states(a);
    size_t sb = aml_scope_begin(a, "\\_SB");
    com1(a);
    pci_root(a);
    for (unsigned i = 0; i < cfg->nr_mmio; i++)
        mmio_device(a, i, &cfg->mmio[i]);
    aml_pkg_end(a, sb);
}
