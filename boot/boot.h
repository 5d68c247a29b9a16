/* Helpers of the UEFI loader (boot/): the boot volume, file loading and
 * messages. Used only before ExitBootServices. */
#ifndef KEEL_BOOT_H
#define KEEL_BOOT_H

#include <efi.h>
#include "hv/core/config.h"
#include "lib/types.h"

struct boot_volume {
    EFI_FILE_HANDLE root;
};

/* Open the FAT volume on device (the one keel.efi came from). */
EFI_STATUS boot_volume_open(EFI_HANDLE device, struct boot_volume *vol);

/* Read the whole file at path ('\' or '/' separated, ASCII) into fresh
 * EfiLoaderData pages (page aligned; Keel never frees them, and the frame
 * allocator never hands them out). Returns EFI_SUCCESS, EFI_NOT_FOUND,
 * EFI_OUT_OF_RESOURCES or the firmware's error. A 0-byte file is
 * EFI_LOAD_ERROR (an empty kernel is never intended). */
EFI_STATUS boot_load_file(struct boot_volume *vol, const char *path,
                          struct blob *out);

/* The APIC IDs of the machine's enabled, healthy processors from the
 * firmware's MP Services protocol (UEFI PI 13.4), the boot CPU's first;
 * ids has room for max (>= 1) entries. Returns how many it wrote, 0 when
 * the firmware has no such protocol or it fails (boot/cpus.c). */
unsigned boot_find_cpus(uint32_t *ids, unsigned max);

/* Printable name of an EFI_STATUS, e.g. "EFI_NOT_FOUND (not found)". */
const char *efi_status_name(EFI_STATUS st);

/* printf-style message to the UEFI console and the serial port. */
void boot_msg(const char *fmt, ...) PRINTF(1, 2);

#endif
