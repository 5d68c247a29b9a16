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
 * No PCI root bridge (PNP0A03) yet: it belongs here once Keel has PCI. */
#include "hv/acpi/acpi.h"
#include "hv/acpi/aml.h"
#include "hv/lib/printf.h"

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
    for (unsigned i = 0; i < cfg->nr_mmio; i++)
        mmio_device(a, i, &cfg->mmio[i]);
    aml_pkg_end(a, sb);
}
