/* The host machine's ACPI, as far as Keel uses it: power-off, and the
 * processors the MADT lists (drivers/acpi_host_madt.c). */
#ifndef KEEL_ACPI_HOST_H
#define KEEL_ACPI_HOST_H

#include "lib/types.h"

/* Parse the host tables from the RSDP the firmware gave (0: none). */
void acpi_host_init(hpa_t rsdp);

/* Enter S5 if the tables allowed it; returns if power-off did not happen. */
void acpi_host_poweroff(void);

/* The host's MADT ("APIC" signature, ACPI 6.4 5.2.12) as acpi_host_init
 * found it, and its length in bytes; NULL (and *len 0) when the firmware
 * gave no RSDP or no MADT (OVMF under Bochs installs no ACPI tables). */
const void *acpi_host_madt(uint32_t *len);

/* Keel's CPU numbering from a MADT of len bytes (the table's own length
 * field must fit in len): ids[0] = boot_id (the boot CPU's APIC ID), then
 * the APIC ID of every other processor the table lists, in table order:
 * Processor Local APIC (type 0) and Local x2APIC (type 9) entries whose
 * flags say enabled or online capable (ACPI 6.4 Table 5.24); an ID listed
 * twice (type 0 and type 9) counts once, an xAPIC ID of 0xFF never. At
 * most max entries are written. Returns how many, or -EINVAL for a table
 * too short or an entry that runs past its end. Pure. */
int acpi_host_madt_cpus(const void *madt, uint32_t len, uint32_t boot_id,
                        uint32_t *ids, unsigned max);

#endif
