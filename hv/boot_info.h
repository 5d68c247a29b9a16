/* What boot/ hands to hv_main() after ExitBootServices: the parsed
 * configuration, the files it loaded, the final memory map and the firmware
 * tables it found. Everything here lives in memory the frame allocator never
 * hands out (EfiLoaderData or the image itself). */
#ifndef KEEL_BOOT_INFO_H
#define KEEL_BOOT_INFO_H

#include "hv/core/config.h"
#include "lib/types.h"

#define BOOT_MAX_MEM_RANGES 512

/* One memory map range, simplified from EFI_MEMORY_DESCRIPTOR. */
enum mem_kind { MEM_FREE, MEM_RESERVED, MEM_ACPI, MEM_KEEL };
struct mem_range {
    hpa_t base;        /* 4 KiB aligned */
    uint64_t pages;    /* 4 KiB pages */
    uint32_t kind;     /* enum mem_kind */
    uint32_t efi_type; /* the firmware's EFI_MEMORY_TYPE, for logs */
};

struct boot_info {
    struct keel_config cfg;
    struct vm_files files[CFG_MAX_VMS];
    struct mem_range mem[BOOT_MAX_MEM_RANGES];
    unsigned nr_mem;
    hpa_t rsdp;               /* host ACPI RSDP, 0 if the firmware has none */
    hpa_t image_base;         /* where UEFI loaded keel.efi (for gdb) */
    uint64_t image_size;
    hpa_t fb_base;            /* GOP framebuffer, 0 if none */
    uint32_t fb_width, fb_height, fb_stride;
};

#endif
