/* The Linux/x86 boot protocol structures: the real-mode kernel header
 * (struct setup_header) and the "zero page" (struct boot_params) a boot
 * loader hands to the kernel.
 * Spec: Linux Documentation/arch/x86/boot.rst ("The Real-Mode Kernel
 * Header", "Details of Header Fields", "64-bit Boot Protocol") and
 * Documentation/arch/x86/zero-page.rst, as of Linux 6.1 (protocol 2.15).
 * Field names are the protocol's, so the documents can be read beside this
 * file; offsets are checked below because the kernel reads them by offset. */
#ifndef KEEL_LOADER_BOOTPARAM_H
#define KEEL_LOADER_BOOTPARAM_H

#include "lib/types.h"

/* See: boot.rst "The Real-Mode Kernel Header". */
#define SETUP_HDR_OFFSET     0x1f1      /* offset of setup_header in image */
#define SETUP_BOOT_FLAG      0xAA55     /* boot_flag, at 0x1fe */
#define SETUP_HDR_MAGIC      0x53726448 /* header: "HdrS" little-endian */
#define SETUP_SECT_SIZE      512        /* setup_sects counts these */
#define SETUP_SECTS_DEFAULT  4          /* setup_sects == 0 means 4 */
#define SETUP_ENTRY64_OFFSET 0x200      /* startup_64 = 32-bit entry + 0x200 */

/* loadflags (boot.rst "Details of Header Fields"). */
#define LOADED_HIGH   BIT(0)  /* protected-mode code at 0x100000 (bzImage) */
#define KASLR_FLAG    BIT(1)  /* set by the kernel itself, not the loader */
#define QUIET_FLAG    BIT(5)  /* suppress early messages */
#define KEEP_SEGMENTS BIT(6)  /* obsolete */
#define CAN_USE_HEAP  BIT(7)  /* heap_end_ptr is valid (real-mode entry only) */

/* xloadflags (boot.rst, protocol 2.12+). */
#define XLF_KERNEL_64                  BIT(0) /* 64-bit entry at +0x200 */
#define XLF_CAN_BE_LOADED_ABOVE_4G     BIT(1)
#define XLF_EFI_HANDOVER_32            BIT(2)
#define XLF_EFI_HANDOVER_64            BIT(3)
#define XLF_EFI_KEXEC                  BIT(4)
#define XLF_5LEVEL                     BIT(5)
#define XLF_5LEVEL_ENABLED             BIT(6)

/* type_of_loader: 0xFF means "undefined/other" (boot.rst, "type_of_loader"),
 * the value for a loader without an assigned ID. */
#define BOOT_LOADER_UNDEFINED 0xFF

/* Segment selectors the 64-bit entry requires (boot.rst "64-bit Boot
 * Protocol": "a GDT must be loaded with the descriptors for selectors
 * __BOOT_CS(0x10) and __BOOT_DS(0x18)"). */
#define BOOT_CS 0x10
#define BOOT_DS 0x18

/* The kernel header, copied from image offset 0x1f1 into boot_params.hdr.
 * Multi-byte fields are little-endian. "read"/"write"/"modify" in the
 * comments are the protocol's words for who owns each field. */
struct setup_header {
    uint8_t  setup_sects;        /* read: size of setup in 512 B sectors */
    uint16_t root_flags;         /* modify: 1 = root read-only (obsolete) */
    uint32_t syssize;            /* read: protected-mode size, 16 B units */
    uint16_t ram_size;           /* obsolete */
    uint16_t vid_mode;           /* modify: video mode control */
    uint16_t root_dev;           /* modify: default root device */
    uint16_t boot_flag;          /* read: 0xAA55 */
    uint16_t jump;               /* read: jump; high byte gives header end */
    uint32_t header;             /* read: "HdrS" */
    uint16_t version;            /* read: protocol version, e.g. 0x020f */
    uint32_t realmode_swtch;     /* modify: real-mode hook */
    uint16_t start_sys_seg;      /* obsolete */
    uint16_t kernel_version;     /* read: pointer to version string */
    uint8_t  type_of_loader;     /* write: boot loader identifier */
    uint8_t  loadflags;          /* modify: LOADED_HIGH ... CAN_USE_HEAP */
    uint16_t setup_move_size;    /* modify: real-mode only */
    uint32_t code32_start;       /* modify: 32-bit entry point */
    uint32_t ramdisk_image;      /* write: initrd GPA, low 32 bits */
    uint32_t ramdisk_size;       /* write: initrd size, low 32 bits */
    uint32_t bootsect_kludge;    /* obsolete */
    uint16_t heap_end_ptr;       /* write: real-mode heap end */
    uint8_t  ext_loader_ver;     /* write: extended loader version */
    uint8_t  ext_loader_type;    /* write: extended loader type */
    uint32_t cmd_line_ptr;       /* write: command line GPA, low 32 bits */
    uint32_t initrd_addr_max;    /* read: highest byte the initrd may use */
    uint32_t kernel_alignment;   /* read/modify: required load alignment */
    uint8_t  relocatable_kernel; /* read: nonzero if relocatable */
    uint8_t  min_alignment;      /* read: log2 of the minimum alignment */
    uint16_t xloadflags;         /* read: XLF_* */
    uint32_t cmdline_size;       /* read: max command line, bytes w/o NUL */
    uint32_t hardware_subarch;   /* write: 0 = normal PC */
    uint64_t hardware_subarch_data;
    uint32_t payload_offset;     /* read: compressed payload, from pm start */
    uint32_t payload_length;     /* read: its length in bytes */
    uint64_t setup_data;         /* write: GPA of a setup_data list, 0 none */
    uint64_t pref_address;       /* read: preferred load GPA */
    uint32_t init_size;          /* read: bytes needed from the load GPA */
    uint32_t handover_offset;    /* read: EFI handover entry offset */
    uint32_t kernel_info_offset; /* read: kernel_info offset (2.15) */
} PACKED;

/* One BIOS e820 memory-map entry (zero-page.rst "e820_table"; ACPI 6.4
 * 15.1 "INT 15H, E820H" gives the types). 20 bytes, packed. */
struct boot_e820_entry {
    uint64_t addr;  /* GPA of the first byte */
    uint64_t size;  /* bytes */
    uint32_t type;  /* E820_TYPE_* */
} PACKED;

#define E820_TYPE_RAM      1  /* AddressRangeMemory */
#define E820_TYPE_RESERVED 2  /* AddressRangeReserved */
#define E820_TYPE_ACPI     3  /* AddressRangeACPI: tables, reclaimable */
#define E820_TYPE_NVS      4  /* AddressRangeNVS */
#define E820_TYPE_UNUSABLE 5
#define E820_MAX_ENTRIES_ZEROPAGE 128

/* The zero page. Sub-structures the 64-bit loader never fills (screen_info,
 * EDD, EFI info, ...) are kept as opaque byte arrays of their exact sizes. */
struct boot_params {
    uint8_t  screen_info[0x40];          /* 0x000 */
    uint8_t  apm_bios_info[0x14];        /* 0x040 */
    uint8_t  _pad2[4];                   /* 0x054 */
    uint64_t tboot_addr;                 /* 0x058 */
    uint8_t  ist_info[0x10];             /* 0x060 */
    uint64_t acpi_rsdp_addr;             /* 0x070: GPA of the RSDP, 0 none */
    uint8_t  _pad3[8];                   /* 0x078 */
    uint8_t  hd0_info[16];               /* 0x080 */
    uint8_t  hd1_info[16];               /* 0x090 */
    uint8_t  sys_desc_table[0x10];       /* 0x0a0 */
    uint8_t  olpc_ofw_header[0x10];      /* 0x0b0 */
    uint32_t ext_ramdisk_image;          /* 0x0c0: initrd GPA, high 32 bits */
    uint32_t ext_ramdisk_size;           /* 0x0c4 */
    uint32_t ext_cmd_line_ptr;           /* 0x0c8 */
    uint8_t  _pad4[112];                 /* 0x0cc */
    uint32_t cc_blob_address;            /* 0x13c */
    uint8_t  edid_info[0x80];            /* 0x140 */
    uint8_t  efi_info[0x20];             /* 0x1c0 */
    uint32_t alt_mem_k;                  /* 0x1e0 */
    uint32_t scratch;                    /* 0x1e4 */
    uint8_t  e820_entries;               /* 0x1e8: used entries of e820_table */
    uint8_t  eddbuf_entries;             /* 0x1e9 */
    uint8_t  edd_mbr_sig_buf_entries;    /* 0x1ea */
    uint8_t  kbd_status;                 /* 0x1eb */
    uint8_t  secure_boot;                /* 0x1ec */
    uint8_t  _pad5[2];                   /* 0x1ed */
    /* The kernel clears fields it cannot trust when this is nonzero, which
     * catches loaders that copy the whole image page without clearing it. */
    uint8_t  sentinel;                   /* 0x1ef */
    uint8_t  _pad6[1];                   /* 0x1f0 */
    struct setup_header hdr;             /* 0x1f1 */
    uint8_t  _pad7[0x290 - 0x1f1 - sizeof(struct setup_header)];
    uint32_t edd_mbr_sig_buffer[16];     /* 0x290 */
    struct boot_e820_entry e820_table[E820_MAX_ENTRIES_ZEROPAGE]; /* 0x2d0 */
    uint8_t  _pad8[48];                  /* 0xcd0 */
    uint8_t  eddbuf[6 * 82];             /* 0xd00: 6 x struct edd_info */
    uint8_t  _pad9[276];                 /* 0xeec */
} PACKED;

_Static_assert(sizeof(struct boot_e820_entry) == 20, "e820 entry is 20 bytes");
_Static_assert(sizeof(struct setup_header) == 0x26c - 0x1f1,
               "setup_header runs from 0x1f1 to 0x26c (protocol 2.15)");
_Static_assert(offsetof(struct setup_header, boot_flag) == 0x1fe - 0x1f1, "");
_Static_assert(offsetof(struct setup_header, header) == 0x202 - 0x1f1, "");
_Static_assert(offsetof(struct setup_header, version) == 0x206 - 0x1f1, "");
_Static_assert(offsetof(struct setup_header, type_of_loader) == 0x210 - 0x1f1, "");
_Static_assert(offsetof(struct setup_header, loadflags) == 0x211 - 0x1f1, "");
_Static_assert(offsetof(struct setup_header, code32_start) == 0x214 - 0x1f1, "");
_Static_assert(offsetof(struct setup_header, ramdisk_image) == 0x218 - 0x1f1, "");
_Static_assert(offsetof(struct setup_header, cmd_line_ptr) == 0x228 - 0x1f1, "");
_Static_assert(offsetof(struct setup_header, initrd_addr_max) == 0x22c - 0x1f1, "");
_Static_assert(offsetof(struct setup_header, kernel_alignment) == 0x230 - 0x1f1, "");
_Static_assert(offsetof(struct setup_header, xloadflags) == 0x236 - 0x1f1, "");
_Static_assert(offsetof(struct setup_header, cmdline_size) == 0x238 - 0x1f1, "");
_Static_assert(offsetof(struct setup_header, payload_offset) == 0x248 - 0x1f1, "");
_Static_assert(offsetof(struct setup_header, setup_data) == 0x250 - 0x1f1, "");
_Static_assert(offsetof(struct setup_header, pref_address) == 0x258 - 0x1f1, "");
_Static_assert(offsetof(struct setup_header, init_size) == 0x260 - 0x1f1, "");
_Static_assert(offsetof(struct setup_header, kernel_info_offset) == 0x268 - 0x1f1, "");

_Static_assert(sizeof(struct boot_params) == 4096, "the zero page is one page");
_Static_assert(offsetof(struct boot_params, acpi_rsdp_addr) == 0x070, "");
_Static_assert(offsetof(struct boot_params, ext_ramdisk_image) == 0x0c0, "");
_Static_assert(offsetof(struct boot_params, ext_cmd_line_ptr) == 0x0c8, "");
_Static_assert(offsetof(struct boot_params, cc_blob_address) == 0x13c, "");
_Static_assert(offsetof(struct boot_params, edid_info) == 0x140, "");
_Static_assert(offsetof(struct boot_params, efi_info) == 0x1c0, "");
_Static_assert(offsetof(struct boot_params, alt_mem_k) == 0x1e0, "");
_Static_assert(offsetof(struct boot_params, e820_entries) == 0x1e8, "");
_Static_assert(offsetof(struct boot_params, sentinel) == 0x1ef, "");
_Static_assert(offsetof(struct boot_params, hdr) == SETUP_HDR_OFFSET, "");
_Static_assert(offsetof(struct boot_params, edd_mbr_sig_buffer) == 0x290, "");
_Static_assert(offsetof(struct boot_params, e820_table) == 0x2d0, "");
_Static_assert(offsetof(struct boot_params, eddbuf) == 0xd00, "");

#endif
