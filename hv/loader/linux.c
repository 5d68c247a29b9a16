/* Linux bzImage loader, 64-bit boot protocol (hv/loader/linux.h).
 * Spec: Linux Documentation/arch/x86/boot.rst, protocol 2.15 (Linux 6.1).
 * The image is untrusted input: every header field is range-checked before
 * it sizes a copy, and every guest write goes through mm/guest_mem. */
#include <stdarg.h>
#include "hv/loader/linux.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"

/* Write "fmt" into err and return -code; every error path ends here so that
 * no failure is silent. */
PRINTF(4, 5)
static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        kvsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -code;
}

/* A byte count for a message: "512 bytes", "40 KiB", "2.5 MiB". */
static const char *fmt_size(char *buf, size_t len, uint64_t bytes)
{
    if (bytes < KiB(1))
        ksnprintf(buf, len, "%llu bytes", (unsigned long long)bytes);
    else if (bytes < MiB(1))
        ksnprintf(buf, len, "%llu KiB", (unsigned long long)((bytes + KiB(1) - 1) >> 10));
    else if (bytes % MiB(1) == 0)
        ksnprintf(buf, len, "%llu MiB", (unsigned long long)(bytes >> 20));
    else
        ksnprintf(buf, len, "%llu.%llu MiB", (unsigned long long)(bytes >> 20),
                  (unsigned long long)((bytes % MiB(1)) * 10 / MiB(1)));
    return buf;
}

/* Little-endian reads from the image at any alignment. */
static uint16_t rd16(const uint8_t *p, uint64_t off)
{
    return (uint16_t)(p[off] | p[off + 1] << 8);
}

static uint32_t rd32(const uint8_t *p, uint64_t off)
{
    return (uint32_t)rd16(p, off) | (uint32_t)rd16(p, off + 2) << 16;
}

#define HDR(field) (SETUP_HDR_OFFSET + offsetof(struct setup_header, field))

int linux_validate(const void *image, uint64_t size,
                   struct linux_image_info *info, char *err, size_t errlen)
{
    const uint8_t *p = image;

    /* The whole 2.15 header must be readable before any field is trusted;
     * every bzImage's setup is at least 5 sectors, far beyond it. */
    if (!p || size < SETUP_HDR_OFFSET + sizeof(struct setup_header))
        return fail(err, errlen, ENOEXEC,
                    "kernel: %llu bytes is too small for a bzImage header",
                    (unsigned long long)size);
    if (rd16(p, HDR(boot_flag)) != SETUP_BOOT_FLAG)
        return fail(err, errlen, ENOEXEC,
                    "kernel: not a bzImage (boot_flag 0x%04x, want 0xAA55)",
                    rd16(p, HDR(boot_flag)));
    if (rd32(p, HDR(header)) != SETUP_HDR_MAGIC)
        return fail(err, errlen, ENOEXEC, "kernel: not a bzImage (no HdrS magic)");

    uint16_t version = rd16(p, HDR(version));
    if (version < LINUX_MIN_PROTOCOL)
        return fail(err, errlen, ENOEXEC,
                    "kernel: boot protocol %u.%u too old (need %u.%u)",
                    version >> 8, version & 0xff, LINUX_MIN_PROTOCOL >> 8,
                    LINUX_MIN_PROTOCOL & 0xff);

    /* boot.rst "setup_sects": "If this field is 0, the real value is 4." */
    uint32_t sects = p[HDR(setup_sects)];
    if (sects == 0)
        sects = SETUP_SECTS_DEFAULT;
    uint32_t setup_size = (sects + 1) * SETUP_SECT_SIZE;
    /* syssize counts 16-byte paragraphs of protected-mode code, rounded
     * up: boot loaders (GRUB, QEMU) load the rest of the file, so a file
     * that ends inside the last paragraph is whole. What the kernel itself
     * needs (its payload) is checked below. See: boot.rst "syssize". */
    uint64_t want = (uint64_t)setup_size + (uint64_t)rd32(p, HDR(syssize)) * 16;
    if (size + 15 < want)
        return fail(err, errlen, ENOEXEC,
                    "kernel: truncated: file has %llu bytes, setup says %llu",
                    (unsigned long long)size, (unsigned long long)want);

    uint16_t xlf = rd16(p, HDR(xloadflags));
    if (!(xlf & XLF_KERNEL_64))
        return fail(err, errlen, ENOEXEC,
                    "kernel: no 64-bit entry point (xloadflags 0x%x lacks XLF_KERNEL_64)",
                    xlf);
    uint32_t align = rd32(p, HDR(kernel_alignment));
    if (align < PAGE_SIZE || (align & (align - 1)))
        return fail(err, errlen, ENOEXEC,
                    "kernel: kernel_alignment 0x%x is not a power of two >= 4 KiB",
                    align);

    uint64_t kernel_size = size - setup_size;
    uint32_t init_size = rd32(p, HDR(init_size));
    if (init_size < kernel_size)
        return fail(err, errlen, ENOEXEC,
                    "kernel: init_size %u is smaller than the %llu-byte kernel",
                    init_size, (unsigned long long)kernel_size);

    /* payload_offset is counted from the start of the protected-mode code. */
    uint64_t pay_off = rd32(p, HDR(payload_offset));
    uint64_t pay_len = rd32(p, HDR(payload_length));
    if (pay_off + pay_len > kernel_size)
        return fail(err, errlen, ENOEXEC,
                    "kernel: compressed payload [0x%llx, +0x%llx) lies outside the %llu-byte kernel",
                    (unsigned long long)pay_off, (unsigned long long)pay_len,
                    (unsigned long long)kernel_size);

    if (info) {
        memset(info, 0, sizeof(*info));
        info->version = version;
        info->setup_size = setup_size;
        info->kernel_offset = setup_size;
        info->kernel_size = kernel_size;
        info->kernel_alignment = align;
        info->pref_address = rd32(p, HDR(pref_address)) |
                             (uint64_t)rd32(p, HDR(pref_address) + 4) << 32;
        info->init_size = init_size;
        info->cmdline_size = rd32(p, HDR(cmdline_size));
        info->initrd_addr_max = rd32(p, HDR(initrd_addr_max));
        info->xloadflags = xlf;
        /* A kernel that is not relocatable runs only where it was linked:
         * pref_address (protocol 2.10+, LOAD_PHYSICAL_ADDR), else
         * code32_start's default of 1 MiB. See: boot.rst
         * "relocatable_kernel", "pref_address", "code32_start". */
        info->relocatable = p[HDR(relocatable_kernel)] != 0;
        if (!info->relocatable && !info->pref_address)
            info->pref_address = LINUX_NONRELOC_DEFAULT_GPA;
    }
    return 0;
}

void linux_layout_default(struct linux_layout *layout)
{
    memset(layout, 0, sizeof(*layout));
    layout->gdt = LINUX_GDT_GPA;
    layout->stack_top = LINUX_STACK_TOP_GPA;
    layout->zero_page = LINUX_ZERO_PAGE_GPA;
    layout->cmdline = LINUX_CMDLINE_GPA;
    layout->cmdline_max = LINUX_CMDLINE_MAX;
    layout->page_tables = LINUX_PAGE_TABLES_GPA;
    layout->page_tables_size = LINUX_PAGE_TABLES_SIZE;
    layout->kernel_min = LINUX_KERNEL_MIN_GPA;
}

/* ---- e820 maps ---------------------------------------------------------- */

static uint64_t e820_end(const struct boot_e820_entry *e)
{
    return e->addr + e->size;
}

/* Lay [addr, addr+size) of the given type over the sorted map: existing
 * entries lose the overlapped part (an entry may split in two), then the new
 * one is inserted in order. Returns 0 or -E2BIG when max would be passed. */
static int e820_overlay(struct boot_e820_entry *map, unsigned *n, unsigned max,
                        uint64_t addr, uint64_t size, uint32_t type)
{
    uint64_t end = addr + size;
    for (unsigned i = 0; i < *n; i++) {
        struct boot_e820_entry *e = &map[i];
        uint64_t e_end = e820_end(e);
        if (e_end <= addr || e->addr >= end)
            continue;
        if (e->addr < addr && e_end > end) {
            /* The new range sits inside e: keep the tail as its own entry. */
            if (*n == max)
                return -E2BIG;
            memmove(&map[i + 2], &map[i + 1], (*n - i - 1) * sizeof(*map));
            map[i + 1] = (struct boot_e820_entry){ end, e_end - end, e->type };
            (*n)++;
            e->size = addr - e->addr;
            i++;
        } else if (e->addr < addr) {
            e->size = addr - e->addr;
        } else if (e_end > end) {
            e->size = e_end - end;
            e->addr = end;
        } else {
            memmove(e, e + 1, (*n - i - 1) * sizeof(*map));
            (*n)--;
            i--;
        }
    }
    if (*n == max)
        return -E2BIG;
    unsigned i = 0;
    while (i < *n && map[i].addr < addr)
        i++;
    memmove(&map[i + 1], &map[i], (*n - i) * sizeof(*map));
    map[i] = (struct boot_e820_entry){ addr, size, type };
    (*n)++;
    return 0;
}

int linux_e820_default(const struct guest_mem *gm, gpa_t acpi_gpa,
                       uint64_t acpi_size, struct boot_e820_entry *map,
                       unsigned max)
{
    unsigned n = 0;
    int r = 0;

    /* LAB 7 BEGIN: the e820 map: RAM slots, then the reserved holes */
    if (acpi_size && !gmem_is_ram(gm, acpi_gpa, acpi_size))
        return -EINVAL;
    for (unsigned i = 0; i < gm->nr_slots && !r; i++)
        r = e820_overlay(map, &n, max, gm->slots[i].gpa, gm->slots[i].size,
                         E820_TYPE_RAM);
    /* The PC's EBDA, VGA window and BIOS area: never RAM to a PC OS. */
    if (!r)
        r = e820_overlay(map, &n, max, LINUX_LOW_RAM_END,
                         LINUX_BIOS_END - LINUX_LOW_RAM_END, E820_TYPE_RESERVED);
    if (!r && acpi_size)
        r = e820_overlay(map, &n, max, acpi_gpa, acpi_size, E820_TYPE_ACPI);
    /* The interrupt controllers' MMIO pages (ACPI MADT, hv/acpi). */
    if (!r)
        r = e820_overlay(map, &n, max, LINUX_IOAPIC_GPA, PAGE_SIZE,
                         E820_TYPE_RESERVED);
    if (!r)
        r = e820_overlay(map, &n, max, LINUX_LAPIC_GPA, PAGE_SIZE,
                         E820_TYPE_RESERVED);
    if (r)
        return r;

    /* Merge touching entries of one type (adjacent RAM slots). */
    unsigned out = 0;
    for (unsigned i = 0; i < n; i++) {
        if (out && map[out - 1].type == map[i].type &&
            e820_end(&map[out - 1]) == map[i].addr)
            map[out - 1].size += map[i].size;
        else
            map[out++] = map[i];
    }
    return (int)out;
    /* LAB 7 STUB
    (void)n;
    (void)r;
    (void)e820_overlay;
    return -ENOSYS;
    */
    /* LAB 7 END */
}

/* True if [gpa, gpa+len) is covered by E820_TYPE_RAM entries of the sorted
 * map (possibly several touching ones). */
static bool e820_is_ram(const struct linux_layout *l, uint64_t gpa, uint64_t len)
{
    uint64_t cur = gpa, end = gpa + len;
    for (unsigned i = 0; i < l->e820_entries && cur < end; i++) {
        const struct boot_e820_entry *e = &l->e820[i];
        if (e->type == E820_TYPE_RAM && e->addr <= cur && cur < e820_end(e))
            cur = e820_end(e);
    }
    return cur >= end;
}

/* ---- placement --------------------------------------------------------- */

struct range {
    uint64_t start, size;
    const char *name;
};

#define NR_LAYOUT_RANGES 5

static void layout_ranges(const struct linux_layout *l, struct range *r)
{
    r[0] = (struct range){ l->gdt, PAGE_SIZE, "GDT" };
    r[1] = (struct range){ l->stack_top - PAGE_SIZE, PAGE_SIZE, "stack" };
    r[2] = (struct range){ l->zero_page, PAGE_SIZE, "zero page" };
    r[3] = (struct range){ l->cmdline, l->cmdline_max, "command line" };
    r[4] = (struct range){ l->page_tables, l->page_tables_size, "page tables" };
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

static bool clear_of(const struct range *r, unsigned n, uint64_t gpa,
                     uint64_t len)
{
    for (unsigned i = 0; i < n; i++)
        if (overlaps(gpa, len, r[i].start, r[i].size))
            return false;
    return true;
}

static int check_layout(const struct guest_mem *gm, const struct linux_layout *l,
                        const struct range *r, char *err, size_t errlen)
{
    if (l->e820_entries > E820_MAX_ENTRIES_ZEROPAGE || (l->e820_entries && !l->e820))
        return fail(err, errlen, EINVAL, "e820: %u entries, the zero page holds %u",
                    l->e820_entries, E820_MAX_ENTRIES_ZEROPAGE);
    for (unsigned i = 0; i < l->e820_entries; i++) {
        const struct boot_e820_entry *e = &l->e820[i];
        if (e->size == 0 || e->addr + e->size < e->addr ||
            (i && e->addr < e820_end(&l->e820[i - 1])))
            return fail(err, errlen, EINVAL,
                        "e820: entry %u [0x%llx, +0x%llx) is empty, wraps, or is out of order",
                        i, (unsigned long long)e->addr, (unsigned long long)e->size);
    }
    for (unsigned i = 0; i < NR_LAYOUT_RANGES; i++) {
        if (!IS_ALIGNED(r[i].start, PAGE_SIZE) || !IS_ALIGNED(r[i].size, PAGE_SIZE) ||
            r[i].size == 0 || r[i].start + r[i].size < r[i].start)
            return fail(err, errlen, EINVAL, "layout: %s [0x%llx, +0x%llx) is empty, wraps or is not page aligned",
                        r[i].name, (unsigned long long)r[i].start,
                        (unsigned long long)r[i].size);
        if (!gmem_is_ram(gm, r[i].start, r[i].size))
            return fail(err, errlen, EINVAL, "layout: %s at 0x%llx is not guest RAM",
                        r[i].name, (unsigned long long)r[i].start);
        for (unsigned j = 0; j < i; j++)
            if (overlaps(r[i].start, r[i].size, r[j].start, r[j].size))
                return fail(err, errlen, EINVAL, "layout: %s overlaps %s",
                            r[i].name, r[j].name);
    }
    return 0;
}

/* The end of the highest E820 RAM entry: nothing is placed above it. */
static uint64_t e820_ram_top(const struct linux_layout *l)
{
    uint64_t top = 0;
    for (unsigned i = 0; i < l->e820_entries; i++)
        if (l->e820[i].type == E820_TYPE_RAM)
            top = MAX(top, e820_end(&l->e820[i]));
    return top;
}

/* A place for the kernel's init_size span; see linux_load() in linux.h. */
static int place_kernel(const struct guest_mem *gm, const struct linux_layout *l,
                        const struct linux_image_info *info, const struct range *r,
                        gpa_t *out, char *err, size_t errlen)
{
    uint64_t align = info->kernel_alignment;
    uint64_t span = info->init_size;
    uint64_t limit = e820_ram_top(l);
    /* Without XLF_CAN_BE_LOADED_ABOVE_4G the kernel must end below 4 GiB. */
    if (!(info->xloadflags & XLF_CAN_BE_LOADED_ABOVE_4G))
        limit = MIN(limit, GiB(4));
    /* Below pref_address the 64-bit entry decompresses to LOAD_PHYSICAL_ADDR
     * (the default pref_address) anyway, so start the search there. */
    uint64_t start = MAX(info->pref_address, l->kernel_min);
    uint64_t gpa = ALIGN_UP(start, align);
    /* A pref_address within `align` of 2^64 wraps ALIGN_UP to 0, which put
     * the kernel at the bottom of RAM, below kernel_min (found by
     * fuzz_loaders): no place fits such a kernel. */
    if (gpa < start)
        limit = 0;
    /* Not relocatable: pref_address and nowhere else. But never below
     * kernel_min: the boot data, the BDA and the low memory Linux keeps
     * reserved are there, and a kernel linked that low was placed over
     * them (fuzz_loaders' placement check caught it). */
    if (!info->relocatable) {
        if (info->pref_address < l->kernel_min)
            return fail(err, errlen, ENOMEM,
                        "kernel: not relocatable and linked at 0x%llx, below 0x%llx",
                        (unsigned long long)info->pref_address,
                        (unsigned long long)l->kernel_min);
        gpa = info->pref_address;
        limit = MIN(limit, gpa + span);
    }

    for (; gpa + span <= limit && gpa + span > gpa; gpa += align) {
        if (e820_is_ram(l, gpa, span) && gmem_is_ram(gm, gpa, span) &&
            clear_of(r, NR_LAYOUT_RANGES, gpa, span)) {
            *out = gpa;
            return 0;
        }
    }
    char a[32], b[32];
    return fail(err, errlen, ENOMEM,
                "kernel: init_size %s at a 0x%llx-aligned GPA >= 0x%llx does not fit in %s of guest RAM",
                fmt_size(a, sizeof(a), span), (unsigned long long)align,
                (unsigned long long)MAX(info->pref_address, l->kernel_min),
                fmt_size(b, sizeof(b), gm->ram_bytes));
}

/* The highest page-aligned place for the initrd: candidates end at the top of
 * each RAM entry (capped by initrd_addr_max) and just below each range it
 * must avoid; the highest candidate that passes every check wins. */
static int place_initrd(const struct guest_mem *gm, const struct linux_layout *l,
                        const struct linux_image_info *info, const struct range *r,
                        unsigned nr, uint64_t size, gpa_t *out, char *err,
                        size_t errlen)
{
    uint64_t limit = (uint64_t)info->initrd_addr_max + 1; /* first GPA not allowed */
    uint64_t best = 0;
    bool found = false;

    for (unsigned i = 0; i < l->e820_entries + nr; i++) {
        uint64_t end = i < l->e820_entries ? e820_end(&l->e820[i])
                                           : r[i - l->e820_entries].start;
        end = MIN(end, limit);
        if (end < size)
            continue;
        uint64_t gpa = ALIGN_DOWN(end - size, PAGE_SIZE);
        if ((found && gpa <= best) || gpa == 0)
            continue;
        if (e820_is_ram(l, gpa, size) && gmem_is_ram(gm, gpa, size) &&
            clear_of(r, nr, gpa, size)) {
            best = gpa;
            found = true;
        }
    }
    if (found) {
        *out = best;
        return 0;
    }
    char a[32], b[32];
    return fail(err, errlen, E2BIG,
                "initrd: %s does not fit below 0x%llx (initrd_addr_max) beside the kernel in %s of guest RAM",
                fmt_size(a, sizeof(a), size), (unsigned long long)limit,
                fmt_size(b, sizeof(b), gm->ram_bytes));
}

/* ---- page tables, GDT, zero page, CPU state ----------------------------- */

/* x86-64 paging entry bits (SDM 3A 4.5, Table 4-15 ... 4-18). */
#define PTE_P  BIT(0)
#define PTE_RW BIT(1)
#define PTE_PS BIT(7)   /* in a PD entry: maps a 2 MiB page */

/* Identity-map [0, bytes) (a GiB multiple) with 2 MiB pages: one PML4, one
 * PDPT and one PD per GiB, consecutive pages at layout->page_tables. Only
 * 4-level paging: the kernel enables 5-level itself if it wants it. */
static int build_page_tables(struct guest_mem *gm, const struct linux_layout *l,
                             uint64_t bytes, char *err, size_t errlen)
{
    uint64_t gibs = bytes / GiB(1);
    uint64_t need = (2 + gibs) * PAGE_SIZE;
    if (need > l->page_tables_size || gibs > 512)
        return fail(err, errlen, ENOMEM,
                    "page tables: identity map of %llu GiB needs %llu bytes, layout has %llu",
                    (unsigned long long)gibs, (unsigned long long)need,
                    (unsigned long long)l->page_tables_size);

    gpa_t pml4 = l->page_tables, pdpt = pml4 + PAGE_SIZE, pd = pdpt + PAGE_SIZE;
    for (uint64_t page = 0; page < 2 + gibs; page++) {
        uint64_t *e = gmem_ptr(gm, pml4 + page * PAGE_SIZE, PAGE_SIZE);
        if (!e)
            return fail(err, errlen, EFAULT, "page tables: 0x%llx is not guest RAM",
                        (unsigned long long)(pml4 + page * PAGE_SIZE));
        memset(e, 0, PAGE_SIZE);
        if (page == 0) {
            e[0] = pdpt | PTE_P | PTE_RW;
        } else if (page == 1) {
            for (uint64_t g = 0; g < gibs; g++)
                e[g] = (pd + g * PAGE_SIZE) | PTE_P | PTE_RW;
        } else {
            uint64_t base = (page - 2) * GiB(1);
            for (unsigned i = 0; i < 512; i++)
                e[i] = (base + i * LARGE_PAGE_SIZE) | PTE_P | PTE_RW | PTE_PS;
        }
    }
    return 0;
}

/* GDT descriptors (SDM 3A 3.4.5): flat, base 0, limit 0xfffff pages.
 * Code: type 0xB (execute/read, accessed), S, P, L (64-bit), G.
 * Data: type 0x3 (read/write, accessed), S, P, D/B, G. */
#define GDT_BOOT_CS 0x00af9b000000ffffULL
#define GDT_BOOT_DS 0x00cf93000000ffffULL
#define GDT_ENTRIES 4   /* null, unused, __BOOT_CS, __BOOT_DS */

/* The same segments in the packed attribute form of arch/x86/vcpu_state.h. */
#define ATTR_BOOT_CS (0xB | SEG_ATTR_S | SEG_ATTR_P | SEG_ATTR_L | SEG_ATTR_G)
#define ATTR_BOOT_DS (0x3 | SEG_ATTR_S | SEG_ATTR_P | SEG_ATTR_DB | SEG_ATTR_G)
/* A busy 64-bit TSS (type 0xB, S=0): VMX refuses to enter IA-32e mode with
 * any other TR type (SDM 3C 26.3.1.2); the kernel loads its own TR later. */
#define ATTR_BOOT_TR (0xB | SEG_ATTR_P)

static void set_entry_state(struct vcpu_state *st, const struct linux_layout *l,
                            gpa_t entry)
{
    memset(st, 0, sizeof(*st));
    st->rip = entry;
    st->gpr[GPR_RSI] = l->zero_page;
    st->gpr[GPR_RSP] = l->stack_top;
    st->rflags = RFLAGS_FIXED;          /* IF = 0: "interrupt must be disabled" */
    st->cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
    st->cr3 = l->page_tables;
    st->cr4 = CR4_PAE;
    st->efer = EFER_LME | EFER_LMA;

    for (unsigned s = 0; s < SEG_COUNT; s++) {
        struct segment *seg = &st->seg[s];
        switch (s) {
        case SEG_CS:
            *seg = (struct segment){ BOOT_CS, ATTR_BOOT_CS, 0xffffffff, 0 };
            break;
        case SEG_LDTR:
            *seg = (struct segment){ 0, 0, 0, 0 };  /* unusable */
            break;
        case SEG_TR:
            *seg = (struct segment){ 0, ATTR_BOOT_TR, 0xffff, 0 };
            break;
        default: /* ES, SS, DS and, for a tidy state, FS and GS */
            *seg = (struct segment){ BOOT_DS, ATTR_BOOT_DS, 0xffffffff, 0 };
            break;
        }
    }
    st->gdtr = (struct dtable){ l->gdt, GDT_ENTRIES * 8 - 1 };
    st->idtr = (struct dtable){ 0, 0 };
}

/* Fill the zero page in place (boot.rst "64-bit Boot Protocol": zeroed, then
 * the setup header copied from the image, then the loader's fields). */
static void fill_zero_page(struct boot_params *bp, const uint8_t *image,
                           const struct linux_layout *l, gpa_t kernel,
                           gpa_t initrd, uint64_t initrd_size)
{
    memset(bp, 0, sizeof(*bp));
    /* The header ends at 0x202 + the byte at 0x201 (the jump's offset). */
    uint64_t hdr_len = 0x202 + image[0x201] - SETUP_HDR_OFFSET;
    hdr_len = MIN(hdr_len, sizeof(struct setup_header));
    memcpy(&bp->hdr, image + SETUP_HDR_OFFSET, hdr_len);

    /* LAB 7 BEGIN: the loader's fields of boot_params */
    bp->hdr.type_of_loader = BOOT_LOADER_UNDEFINED;
    /* Keep LOADED_HIGH; the heap and quiet flags concern the real-mode
     * entry, which Keel never uses. */
    bp->hdr.loadflags = (bp->hdr.loadflags & LOADED_HIGH);
    bp->hdr.code32_start = (uint32_t)kernel;  /* informative in 64-bit entry */
    bp->hdr.ramdisk_image = (uint32_t)initrd;
    bp->hdr.ramdisk_size = (uint32_t)initrd_size;
    bp->ext_ramdisk_image = (uint32_t)(initrd >> 32);
    bp->ext_ramdisk_size = (uint32_t)(initrd_size >> 32);
    bp->hdr.cmd_line_ptr = (uint32_t)l->cmdline;
    bp->ext_cmd_line_ptr = (uint32_t)(l->cmdline >> 32);
    bp->hdr.hardware_subarch = 0;       /* X86_SUBARCH_PC */
    bp->hdr.hardware_subarch_data = 0;
    bp->hdr.setup_data = 0;
    bp->acpi_rsdp_addr = l->rsdp;
    bp->e820_entries = (uint8_t)l->e820_entries;
    for (unsigned i = 0; i < l->e820_entries; i++)
        bp->e820_table[i] = l->e820[i];
    /* LAB 7 STUB
    (void)kernel;
    (void)initrd;
    (void)initrd_size;
    */
    /* LAB 7 END */
}

int linux_load(struct guest_mem *gm, const void *image, uint64_t size,
               const void *initrd, uint64_t initrd_size, const char *cmdline,
               const struct linux_layout *layout, struct vcpu_state *st,
               struct linux_placement *placement, char *err, size_t errlen)
{
    struct linux_image_info info;
    struct range r[NR_LAYOUT_RANGES + 1];
    const uint8_t *p = image;
    int ret;

    if ((ret = linux_validate(image, size, &info, err, errlen)))
        return ret;
    layout_ranges(layout, r);
    if ((ret = check_layout(gm, layout, r, err, errlen)))
        return ret;

    if (!cmdline)
        cmdline = "";
    uint64_t cmd_len = strlen(cmdline);
    if (cmd_len > info.cmdline_size)
        return fail(err, errlen, E2BIG, "cmdline: %llu bytes, kernel accepts %u",
                    (unsigned long long)cmd_len, info.cmdline_size);
    if (cmd_len + 1 > layout->cmdline_max)
        return fail(err, errlen, E2BIG, "cmdline: %llu bytes, Keel's buffer holds %llu",
                    (unsigned long long)cmd_len,
                    (unsigned long long)(layout->cmdline_max - 1));

    gpa_t kernel = 0;
    if ((ret = place_kernel(gm, layout, &info, r, &kernel, err, errlen)))
        return ret;

    gpa_t initrd_gpa = 0;
    if (initrd_size) {
        if (!initrd)
            return fail(err, errlen, EINVAL, "initrd: %llu bytes but no data",
                        (unsigned long long)initrd_size);
        /* The kernel's whole init_size span is off limits to the initrd. */
        r[NR_LAYOUT_RANGES] = (struct range){ kernel, info.init_size, "kernel" };
        if ((ret = place_initrd(gm, layout, &info, r, NR_LAYOUT_RANGES + 1,
                                initrd_size, &initrd_gpa, err, errlen)))
            return ret;
    }

    /* The identity map covers everything placed, rounded up to whole GiB. */
    uint64_t top = kernel + info.init_size;
    top = MAX(top, initrd_gpa + initrd_size);
    for (unsigned i = 0; i < NR_LAYOUT_RANGES; i++)
        top = MAX(top, r[i].start + r[i].size);
    uint64_t mapped = ALIGN_UP(top, GiB(1));
    if ((ret = build_page_tables(gm, layout, mapped, err, errlen)))
        return ret;

    if (gmem_write(gm, kernel, p + info.kernel_offset, info.kernel_size))
        return fail(err, errlen, EFAULT, "kernel: cannot write 0x%llx bytes at 0x%llx",
                    (unsigned long long)info.kernel_size, (unsigned long long)kernel);
    if (initrd_size && gmem_write(gm, initrd_gpa, initrd, initrd_size))
        return fail(err, errlen, EFAULT, "initrd: cannot write at 0x%llx",
                    (unsigned long long)initrd_gpa);
    if (gmem_write(gm, layout->cmdline, cmdline, cmd_len + 1))
        return fail(err, errlen, EFAULT, "cmdline: cannot write at 0x%llx",
                    (unsigned long long)layout->cmdline);

    const uint64_t gdt[GDT_ENTRIES] = { 0, 0, GDT_BOOT_CS, GDT_BOOT_DS };
    if (gmem_write(gm, layout->gdt, gdt, sizeof(gdt)))
        return fail(err, errlen, EFAULT, "GDT: cannot write at 0x%llx",
                    (unsigned long long)layout->gdt);

    struct boot_params *bp = gmem_ptr(gm, layout->zero_page, sizeof(*bp));
    if (!bp)
        return fail(err, errlen, EFAULT, "zero page: 0x%llx is not guest RAM",
                    (unsigned long long)layout->zero_page);
    fill_zero_page(bp, p, layout, kernel, initrd_gpa, initrd_size);

    set_entry_state(st, layout, kernel + SETUP_ENTRY64_OFFSET);
    if (placement) {
        placement->kernel = kernel;
        placement->kernel_span = info.init_size;
        placement->initrd = initrd_gpa;
        placement->initrd_size = initrd_size;
        placement->entry = kernel + SETUP_ENTRY64_OFFSET;
        placement->identity_mapped = mapped;
    }
    return 0;
}
