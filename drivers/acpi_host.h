/* The host machine's ACPI, as far as Keel uses it (power-off). */
#ifndef KEEL_ACPI_HOST_H
#define KEEL_ACPI_HOST_H

#include "lib/types.h"

/* Parse the host tables from the RSDP the firmware gave (0: none). */
void acpi_host_init(hpa_t rsdp);

/* Enter S5 if the tables allowed it; returns if power-off did not happen. */
void acpi_host_poweroff(void);

#endif
