/* Loader for Linux bzImage kernels through the 64-bit boot protocol: checks
 * the image, copies kernel, initrd and command line into guest RAM, fills
 * the zero page and sets the vCPU to the state startup_64 expects.
 * Spec: Linux Documentation/arch/x86/boot.rst (protocol 2.15, Linux 6.1),
 * sections "The Real-Mode Kernel Header", "Details of Header Fields" and
 * "64-bit Boot Protocol". Guest memory is only touched through
 * mm/guest_mem.h; nothing here allocates. */
#ifndef KEEL_LOADER_LINUX_H
#define KEEL_LOADER_LINUX_H

#include "arch/x86/vcpu_state.h"
#include "hv/loader/bda.h"
#include "hv/loader/bootparam.h"
#include "lib/types.h"
#include "mm/guest_mem.h"

/* Oldest protocol accepted: 2.12 added xloadflags, which is how a kernel
 * says it has a 64-bit entry point. */
#define LINUX_MIN_PROTOCOL 0x020c

/* What linux_validate() learnt from the header. Sizes in bytes, addresses
 * are GPAs the kernel prefers; nothing here points into the image. */
struct linux_image_info {
    uint16_t version;          /* boot protocol, e.g. 0x020f */
    uint32_t setup_size;       /* real-mode part: (setup_sects + 1) * 512 */
    uint64_t kernel_offset;    /* file offset of the protected-mode code */
    uint64_t kernel_size;      /* its size: file size - setup_size */
    uint32_t kernel_alignment; /* power of two, >= 4 KiB */
    uint64_t pref_address;     /* preferred load GPA */
    uint32_t init_size;        /* bytes the kernel needs from its load GPA */
    uint32_t cmdline_size;     /* longest command line, bytes without NUL */
    uint32_t initrd_addr_max;  /* last GPA the initrd may occupy */
    uint16_t xloadflags;       /* XLF_* */
    bool relocatable;          /* relocatable_kernel: else load at pref_address
                                * (refused below layout->kernel_min) */
};

/* code32_start's default: where a kernel without pref_address (and not
 * relocatable) is loaded. See: boot.rst "code32_start". */
#define LINUX_NONRELOC_DEFAULT_GPA 0x100000ULL

/* Where Keel puts its boot data in guest RAM. linux_layout_default() gives
 * the standard layout; every range must be RAM in the guest_mem and must
 * not overlap another (linux_load() checks). All GPAs are 4 KiB aligned. */
struct linux_layout {
    gpa_t gdt;                 /* 1 page: the boot GDT */
    gpa_t stack_top;           /* initial RSP; the page below it is stack */
    gpa_t zero_page;           /* 1 page: struct boot_params */
    gpa_t cmdline;             /* command line buffer ... */
    uint64_t cmdline_max;      /* ... of this many bytes, NUL included */
    gpa_t page_tables;         /* PML4 + PDPT + PDs for the identity map ... */
    uint64_t page_tables_size; /* ... in this many bytes (4 KiB multiple) */
    gpa_t kernel_min;          /* lowest GPA the kernel may be put at */
    gpa_t rsdp;                /* ACPI RSDP GPA for acpi_rsdp_addr; 0 none */
    /* The guest's memory map, copied verbatim into the zero page: sorted
     * by addr, non-overlapping, at most 128 entries. The kernel and initrd
     * are only placed inside its E820_TYPE_RAM ranges. Not owned. */
    const struct boot_e820_entry *e820;
    unsigned e820_entries;
};

/* The standard layout, all below 1 MiB (Linux keeps the first 1 MiB
 * reserved, so the kernel never lands on these before reading them):
 *   0x01000 GDT, 0x02000-0x02fff stack (RSP 0x3000), 0x03000 zero page,
 *   0x04000-0x07fff command line (16 KiB), 0x08000-0x17fff page tables
 *   (16 pages: identity map of up to 14 GiB with 2 MiB pages).
 * rsdp and e820 are left 0/NULL for the caller. */
#define LINUX_GDT_GPA          0x1000
#define LINUX_STACK_TOP_GPA    0x3000
#define LINUX_ZERO_PAGE_GPA    0x3000
#define LINUX_CMDLINE_GPA      0x4000
#define LINUX_CMDLINE_MAX      0x4000
#define LINUX_PAGE_TABLES_GPA  0x8000
#define LINUX_PAGE_TABLES_SIZE 0x10000
#define LINUX_KERNEL_MIN_GPA   MiB(1)
void linux_layout_default(struct linux_layout *layout);

/* Standard holes of Keel's PC-like guest (also what the ACPI MADT says). */
#define LINUX_LOW_RAM_END   BDA_LOW_RAM_END /* RAM below it; EBDA/VGA/BIOS above */
#define LINUX_BIOS_END      0x100000
#define LINUX_IOAPIC_GPA    0xFEC00000
#define LINUX_LAPIC_GPA     0xFEE00000

/* Build the e820 map of a standard guest from its RAM slots: every slot is
 * RAM except [LINUX_LOW_RAM_END, 1 MiB), which is reserved, with
 * [acpi_gpa, acpi_gpa + acpi_size) carved out as E820_TYPE_ACPI (pass
 * acpi_size 0 for none), plus 4 KiB reserved entries for the IOAPIC and
 * LAPIC MMIO pages. Writes at most max entries to map, sorted by address,
 * adjacent entries of the same type merged. Returns the number of entries, or -E2BIG if max is
 * too small, -EINVAL if the ACPI range is not RAM in gm. */
int linux_e820_default(const struct guest_mem *gm, gpa_t acpi_gpa,
                       uint64_t acpi_size, struct boot_e820_entry *map,
                       unsigned max);

/* Check that image (size bytes, a bzImage file as read from disk) can be
 * booted through the 64-bit protocol: size covers the setup, boot_flag is
 * 0xAA55, header is "HdrS", version >= 2.12, the file holds setup + syssize,
 * XLF_KERNEL_64 is set, the kernel is relocatable with a power-of-two
 * kernel_alignment, init_size covers the code and the compressed payload
 * lies inside the file. Fills *info (may be NULL) on success.
 * Returns 0, or -ENOEXEC with a message naming the problem in err (errlen
 * bytes, always NUL-terminated if errlen > 0), e.g.
 * "kernel: boot protocol 2.10 too old (need 2.12)". */
int linux_validate(const void *image, uint64_t size,
                   struct linux_image_info *info, char *err, size_t errlen);

/* Where linux_load() put things (GPAs, byte sizes). */
struct linux_placement {
    gpa_t kernel;              /* protected-mode code; kernel_alignment aligned */
    uint64_t kernel_span;      /* init_size: bytes reserved from kernel */
    gpa_t initrd;              /* 0 when there is no initrd */
    uint64_t initrd_size;
    gpa_t entry;               /* kernel + 0x200 (startup_64) */
    uint64_t identity_mapped;  /* the page tables map [0, this) */
};

/* Load a bzImage for the 64-bit boot protocol (boot.rst "64-bit Boot
 * Protocol"):
 *  - the protected-mode kernel at the first kernel_alignment-aligned GPA
 *    >= max(pref_address, layout->kernel_min) whose [GPA, GPA + init_size)
 *    is e820 RAM and guest RAM and clear of the layout's ranges;
 *  - the initrd (initrd_size bytes, may be NULL/0) page-aligned as high as
 *    possible with its last byte <= initrd_addr_max, in e820 RAM, clear of
 *    the kernel's init_size span and the layout;
 *  - cmdline (NUL-terminated, NULL = empty) at layout->cmdline; longer than
 *    the kernel's cmdline_size or the layout buffer is refused;
 *  - the zero page: all zero, then the image's setup header, then
 *    type_of_loader 0xFF, ramdisk/cmd_line pointers (ext_* high halves),
 *    acpi_rsdp_addr, and layout->e820 verbatim;
 *  - a GDT with flat 64-bit __BOOT_CS (0x10) and __BOOT_DS (0x18), and
 *    4-level page tables identity-mapping [0, N GiB) with 2 MiB pages,
 *    N covering everything placed above;
 *  - *st: 64-bit mode (CR0 PE|ET|NE|PG, CR4 PAE, EFER LME|LMA; the vendor
 *    code adds EFER.SVME), CS 0x10, DS/ES/SS/FS/GS 0x18, RIP = kernel +
 *    0x200, RSI = zero page, RFLAGS 0x2 (interrupts off), other GPRs 0.
 * placement may be NULL. Returns 0; -ENOEXEC (bad image), -E2BIG (command
 * line or initrd too large), -ENOMEM (no room for the kernel or the page
 * tables), -EINVAL (bad layout or e820 map), -EFAULT (a guest write hit
 * non-RAM), each with a message in err. Guest memory may be partly written
 * on failure. */
int linux_load(struct guest_mem *gm, const void *image, uint64_t size,
               const void *initrd, uint64_t initrd_size, const char *cmdline,
               const struct linux_layout *layout, struct vcpu_state *st,
               struct linux_placement *placement, char *err, size_t errlen);

#endif
