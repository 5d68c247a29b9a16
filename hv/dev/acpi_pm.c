/* ACPI PM1a block, reset register and PM timer (hv/dev/acpi_pm.h). */
#include "drivers/timer.h"
#include "hv/acpi/acpi.h"
#include "hv/dev/acpi_pm.h"
#include "lib/string.h"

#define OFF_PM1_STS  (ACPI_PM1A_EVT_PORT - ACPI_PM_PORT_BASE)
#define OFF_PM1_EN   (OFF_PM1_STS + 2)
#define OFF_PM1_CNT  (ACPI_PM1A_CNT_PORT - ACPI_PM_PORT_BASE)
#define OFF_PM_TMR   (ACPI_PM_TMR_PORT - ACPI_PM_PORT_BASE)
#define OFF_RESET    (ACPI_RESET_PORT - ACPI_PM_PORT_BASE)

void acpi_pm_init(struct acpi_pm *pm, void (*sleep)(void *, unsigned),
                  void (*reset)(void *), void *ctx)
{
    memset(pm, 0, sizeof(*pm));
    pm->sleep = sleep;
    pm->reset = reset;
    pm->ctx = ctx;
    pm->pm1_cnt = ACPI_PM1_CNT_SCI_EN;   /* always in ACPI mode */
}

uint32_t acpi_pm_timer(uint64_t now_ns)
{
    /* now * 3579545 / 1e9 without overflowing 64 bits. */
    uint64_t sec = now_ns / 1000000000ULL, ns = now_ns % 1000000000ULL;
    return (uint32_t)(sec * ACPI_PM_TMR_HZ + ns * ACPI_PM_TMR_HZ / 1000000000ULL);
}

int acpi_pm_read(void *dev, uint64_t offset, unsigned size, uint64_t *val)
{
    struct acpi_pm *pm = dev;
    uint64_t v;

    switch (offset) {
    case OFF_PM1_STS:
        v = pm->pm1_sts | ((uint64_t)pm->pm1_en << 16);
        break;
    case OFF_PM1_EN:
        v = pm->pm1_en;
        break;
    case OFF_PM1_CNT:
        v = pm->pm1_cnt;
        break;
    case OFF_PM_TMR:
        v = acpi_pm_timer(timer_now_ns());
        break;
    default:
        v = ~0ULL;
        break;
    }
    *val = size >= 8 ? v : v & ((1ULL << (size * 8)) - 1);
    return 0;
}

int acpi_pm_write(void *dev, uint64_t offset, unsigned size, uint64_t val)
{
    struct acpi_pm *pm = dev;

    switch (offset) {
    case OFF_PM1_STS:
        pm->pm1_sts &= (uint16_t)~val;            /* write one to clear */
        if (size == 4)
            pm->pm1_en = (uint16_t)(val >> 16);
        break;
    case OFF_PM1_EN:
        pm->pm1_en = (uint16_t)val;
        break;
    case OFF_PM1_CNT:
        /* SCI_EN stays set; SLP_EN is write-only and starts the sleep. */
        pm->pm1_cnt = (uint16_t)((val & ~ACPI_PM1_CNT_SLP_EN) |
                                 ACPI_PM1_CNT_SCI_EN);
        if (val & ACPI_PM1_CNT_SLP_EN)
            pm->sleep(pm->ctx, (unsigned)((val & ACPI_PM1_CNT_SLP_TYP_MASK) >>
                                          ACPI_PM1_CNT_SLP_TYP_SHIFT));
        break;
    case OFF_RESET:
        if ((val & 0xff) == ACPI_RESET_VALUE)
            pm->reset(pm->ctx);
        break;
    default:
        break;   /* the PM timer is read-only */
    }
    return 0;
}
