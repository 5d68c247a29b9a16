/* The ACPI fixed-hardware PM block Keel's FADT describes (hv/acpi): PM1a
 * event and control registers and the PM timer, in I/O space at
 * ACPI_PM_PORT_BASE. Writing SLP_EN with SLP_TYP = S5 asks for power-off;
 * the reset register asks for a reset. Reference: ACPI 6.4, 4.8.3
 * "Fixed Hardware Registers". */
#ifndef KEEL_ACPI_PM_H
#define KEEL_ACPI_PM_H

#include "lib/types.h"

struct acpi_pm {
    uint16_t pm1_sts;     /* write-one-to-clear status */
    uint16_t pm1_en;
    uint16_t pm1_cnt;
    /* Requests to the VM: power-off (slp_typ from PM1_CNT) and reset. */
    void (*sleep)(void *ctx, unsigned slp_typ);
    void (*reset)(void *ctx);
    void *ctx;
};

void acpi_pm_init(struct acpi_pm *pm, void (*sleep)(void *, unsigned),
                  void (*reset)(void *), void *ctx);

/* Port accesses at offset 0..ACPI_PM_PORT_COUNT-1 from ACPI_PM_PORT_BASE
 * (bus_read_fn / bus_write_fn). */
int acpi_pm_read(void *dev, uint64_t offset, unsigned size, uint64_t *val);
int acpi_pm_write(void *dev, uint64_t offset, unsigned size, uint64_t val);

/* The PM timer's value at now_ns: a 32-bit count at 3.579545 MHz. */
uint32_t acpi_pm_timer(uint64_t now_ns);

#endif
