/* What boot/ hands to hv_main() after ExitBootServices: the parsed
 * configuration, the files it loaded, the final memory map and the firmware
 * tables it found. Everything here lives in memory the frame allocator never
 * hands out (EfiLoaderData or the image itself). */
#ifndef KEEL_BOOT_INFO_H
#define KEEL_BOOT_INFO_H

#include "arch/x86/percpu.h"
#include "drivers/fbcon.h"
#include "hv/core/config.h"
#include "lib/types.h"

#define BOOT_MAX_MEM_RANGES 512
#define BOOT_LOG_SIZE       4096

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
    /* A 4 KiB page below 1 MiB for the APs' real-mode start-up code
     * (arch/x86/smp_boot.c), EfiLoaderData; 0 if the firmware had none. */
    hpa_t ap_trampoline;
    /* The processors' APIC IDs from UEFI's MP Services protocol (boot CPU
     * first), used where the firmware has no ACPI MADT; nr_fw_cpus 0 if
     * the firmware has no such protocol. */
    uint32_t fw_cpus[PERCPU_MAX];
    unsigned nr_fw_cpus;
    hpa_t image_base;         /* where UEFI loaded keel.efi (for gdb) */
    uint64_t image_size;
    struct fb_info fb;        /* GOP framebuffer (UEFI 12.9); base NULL if none */
    /* What boot_msg printed before ExitBootServices (the firmware drew it
     * on the screen), shown again on Keel's screen console; the first
     * BOOT_LOG_SIZE bytes. */
    char boot_log[BOOT_LOG_SIZE];
    size_t boot_log_len;
};

#endif
