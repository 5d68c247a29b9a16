/* The Multiboot v1 loader (hv/loader/multiboot.h).
 * Reference: Multiboot Specification version 0.6.96: 3.1 "OS image format"
 * (the header), 3.2 "Machine state", 3.3 "Boot information format". */
#include "arch/x86/msr_index.h"
#include "hv/loader/bda.h"
#include "hv/loader/elf.h"
#include "hv/loader/multiboot.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"

#define MB_HEADER_MAGIC      0x1badb002u
#define MB_BOOTLOADER_MAGIC  0x2badb002u
#define MB_SEARCH_BYTES      8192
/* Header flags (3.1.2): bits 0-15 are requirements a loader must meet or
 * refuse the image; 16 says the address fields are valid. */
#define MB_HF_PAGE_ALIGN     BIT(0)
#define MB_HF_MEMORY_INFO    BIT(1)
#define MB_HF_VIDEO_MODE     BIT(2)
#define MB_HF_AOUT_KLUDGE    BIT(16)
/* Info flags (3.3). */
#define MB_INFO_MEMORY       BIT(0)
#define MB_INFO_CMDLINE      BIT(2)
#define MB_INFO_MODS         BIT(3)
#define MB_INFO_MEM_MAP      BIT(6)
#define MB_INFO_LOADER_NAME  BIT(9)

struct PACKED mb_header {
    uint32_t magic, flags, checksum;
    uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

struct PACKED mb_info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper;   /* KiB below 640 KiB / above 1 MiB */
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
    uint32_t drives_length, drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;
    uint32_t apm_table;
    uint32_t vbe[6];
    uint8_t framebuffer[22];
};
_Static_assert(__builtin_offsetof(struct mb_info, mmap_length) == 44,
               "mmap_length at offset 44");
_Static_assert(__builtin_offsetof(struct mb_info, boot_loader_name) == 64,
               "boot_loader_name at offset 64");

struct PACKED mb_module {
    uint32_t mod_start, mod_end, string, reserved;
};

/* A memory map entry; `size` does not count itself (3.3). */
struct PACKED mb_mmap_entry {
    uint32_t size;
    uint64_t base_addr, length;
    uint32_t type;                   /* 1 available RAM, 2 reserved */
};

#define LOW_RAM_END BDA_LOW_RAM_END  /* conventional memory ends, EBDA */

static int failf(const struct load_request *r, int err, const char *fmt,
                 unsigned long long a, unsigned long long b)
{
    ksnprintf(r->err, r->errlen, fmt, a, b);
    return err;
}

static const struct mb_header *find_header(const uint8_t *k, uint64_t size,
                                           uint64_t *offset)
{
    for (uint64_t off = 0; off + sizeof(struct mb_header) <= size &&
                           off < MB_SEARCH_BYTES; off += 4) {
        const struct mb_header *h = (const void *)(k + off);
        if (h->magic == MB_HEADER_MAGIC &&
            (uint32_t)(h->magic + h->flags + h->checksum) == 0) {
            *offset = off;
            return h;
        }
    }
    return NULL;
}

/* Copy filesz bytes and zero up to memsz at gpa, all inside guest RAM. */
static int place(const struct load_request *r, uint64_t gpa, const void *src,
                 uint64_t filesz, uint64_t memsz, uint64_t *top)
{
    if (gpa + memsz < gpa || !gmem_is_ram(r->mem, gpa, memsz) ||
        gpa + memsz > r->ram_top_low)
        return failf(r, -EFAULT,
                     "segment at %#llx (%llu bytes) is outside guest RAM",
                     gpa, memsz);
    if (gmem_write(r->mem, gpa, src, filesz))
        return -EFAULT;
    for (uint64_t off = filesz; off < memsz; off += PAGE_SIZE) {
        static const uint8_t zeros[PAGE_SIZE];
        uint64_t n = MIN(PAGE_SIZE, memsz - off);
        if (gmem_write(r->mem, gpa + off, zeros, n))
            return -EFAULT;
    }
    *top = MAX(*top, gpa + memsz);
    return 0;
}

void multiboot_set_prot32(struct vcpu_state *st, uint32_t entry)
{
    /* Flat 4 GiB segments: code type 0xB (execute/read, accessed), data
     * type 0x3 (read/write, accessed), S, P, D/B, G. The selectors name no
     * descriptor in guest memory: the spec says the OS must load its own
     * GDT before reloading a segment register (3.2). */
    const struct segment code = { 0x08, 0x0b | SEG_ATTR_S | SEG_ATTR_P |
                                  SEG_ATTR_DB | SEG_ATTR_G, 0xffffffff, 0 };
    const struct segment data = { 0x10, 0x03 | SEG_ATTR_S | SEG_ATTR_P |
                                  SEG_ATTR_DB | SEG_ATTR_G, 0xffffffff, 0 };

    memset(st, 0, sizeof(*st));
    for (int i = 0; i < SEG_COUNT; i++)
        st->seg[i] = data;
    st->seg[SEG_CS] = code;
    st->seg[SEG_LDTR] = (struct segment){ 0, 0x02 | SEG_ATTR_P, 0xffff, 0 };
    st->seg[SEG_TR] = (struct segment){ 0, 0x0b | SEG_ATTR_P, 0xffff, 0 };
    st->gdtr.limit = 0xffff;
    st->idtr.limit = 0xffff;
    st->cr0 = CR0_PE | CR0_ET;
    st->rflags = RFLAGS_FIXED;          /* IF=0, VM=0 */
    st->rip = entry;
    st->pat = PAT_POWER_ON;
}

int multiboot_load(const struct load_request *r, struct vcpu_state *st)
{
    const uint8_t *k = r->kernel;
    uint64_t hoff, top = 0, entry;
    const struct mb_header *h = find_header(k, r->kernel_size, &hoff);
    int err;

    if (!h)
        return failf(r, -ENOEXEC, "no Multiboot header (magic 0x1BADB002 "
                     "with a valid checksum) in the first %llu bytes",
                     MB_SEARCH_BYTES, 0);
    if (h->flags & 0xffff & ~(MB_HF_PAGE_ALIGN | MB_HF_MEMORY_INFO))
        return failf(r, -ENOTSUP, "Multiboot header requires features Keel "
                     "does not offer (flags %#llx; video mode is bit 2)",
                     h->flags, 0);

    if (h->flags & MB_HF_AOUT_KLUDGE) {
        /* The address fields say where the file goes (3.1.3). */
        if (h->header_addr < h->load_addr ||
            h->header_addr - h->load_addr > hoff)
            return failf(r, -ENOEXEC, "Multiboot address fields are "
                         "inconsistent (header_addr %#llx, load_addr %#llx)",
                         h->header_addr, h->load_addr);
        uint64_t file_off = hoff - (h->header_addr - h->load_addr);
        uint64_t end = h->load_end_addr ? h->load_end_addr
                                        : h->load_addr + r->kernel_size - file_off;
        uint64_t bss = MAX(end, (uint64_t)h->bss_end_addr);
        if (end < h->load_addr || end - h->load_addr > r->kernel_size - file_off)
            return failf(r, -ENOEXEC, "Multiboot load_end_addr %#llx is past "
                         "the end of the file (%llu bytes)", end,
                         r->kernel_size);
        err = place(r, h->load_addr, k + file_off, end - h->load_addr,
                    bss - h->load_addr, &top);
        if (err)
            return err;
        entry = h->entry_addr;
    } else {
        struct elf_info elf;
        char why[96];
        if (elf_parse(k, r->kernel_size, &elf, why, sizeof(why))) {
            ksnprintf(r->err, r->errlen, "%s", why);
            return -ENOEXEC;
        }
        for (unsigned i = 0; i < elf.nr_segments; i++) {
            const struct elf_segment *s = &elf.segments[i];
            err = place(r, s->paddr, k + s->offset, s->filesz, s->memsz, &top);
            if (err)
                return err;
        }
        entry = elf.entry;
    }
    if (entry >= GiB(4) || !gmem_is_ram(r->mem, entry, 1))
        return failf(r, -ENOEXEC, "entry point %#llx is not in guest RAM "
                     "below 4 GiB", entry, 0);

    /* After the kernel: the initrd as module 0 (page aligned, 3.1.2 bit
     * 0), then the information structure, memory map and strings. */
    uint64_t next = ALIGN_UP(top, PAGE_SIZE);
    uint32_t mods_count = 0;
    struct mb_module mod = { 0 };
    if (r->initrd) {
        err = place(r, next, r->initrd, r->initrd_size, r->initrd_size, &top);
        if (err)
            return failf(r, err, "initrd (%llu bytes) does not fit in guest "
                         "RAM after the kernel at %#llx", r->initrd_size, next);
        mod.mod_start = (uint32_t)next;
        mod.mod_end = (uint32_t)(next + r->initrd_size);
        mods_count = 1;
        next = ALIGN_UP(top, PAGE_SIZE);
    }

    struct mb_info info = { 0 };
    struct mb_mmap_entry mmap[3] = {
        { 20, 0, LOW_RAM_END, 1 },
        { 20, LOW_RAM_END, MiB(1) - LOW_RAM_END, 2 },
        { 20, MiB(1), r->ram_top_low - MiB(1), 1 },
    };
    static const char loader_name[] = "Keel";
    size_t cmdlen = strlen(r->cmdline) + 1;
    uint64_t info_gpa = next;
    uint64_t mmap_gpa = info_gpa + sizeof(info);
    uint64_t mod_gpa = mmap_gpa + sizeof(mmap);
    uint64_t cmd_gpa = mod_gpa + sizeof(mod);
    uint64_t name_gpa = cmd_gpa + cmdlen;
    uint64_t end = name_gpa + sizeof(loader_name);

    if (end > r->ram_top_low || !gmem_is_ram(r->mem, info_gpa, end - info_gpa))
        return failf(r, -ENOMEM, "no room for the Multiboot information "
                     "after %#llx (guest RAM ends at %#llx)", info_gpa,
                     r->ram_top_low);
    info.flags = MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MODS |
                 MB_INFO_MEM_MAP | MB_INFO_LOADER_NAME;
    info.mem_lower = (uint32_t)(LOW_RAM_END / 1024);
    info.mem_upper = (uint32_t)((r->ram_top_low - MiB(1)) / 1024);
    info.boot_device = 0xffffffff;   /* not booted from a BIOS disk */
    info.cmdline = (uint32_t)cmd_gpa;
    info.mods_count = mods_count;
    info.mods_addr = (uint32_t)mod_gpa;
    info.mmap_length = sizeof(mmap);
    info.mmap_addr = (uint32_t)mmap_gpa;
    info.boot_loader_name = (uint32_t)name_gpa;
    mod.string = (uint32_t)(name_gpa - 1);   /* an empty string */

    if (gmem_write(r->mem, info_gpa, &info, sizeof(info)) ||
        gmem_write(r->mem, mmap_gpa, mmap, sizeof(mmap)) ||
        gmem_write(r->mem, mod_gpa, &mod, sizeof(mod)) ||
        gmem_write(r->mem, cmd_gpa, r->cmdline, cmdlen) ||
        gmem_write(r->mem, name_gpa, loader_name, sizeof(loader_name)))
        return -EFAULT;

    multiboot_set_prot32(st, (uint32_t)entry);
    st->gpr[GPR_RAX] = MB_BOOTLOADER_MAGIC;
    st->gpr[GPR_RBX] = info_gpa;
    return 0;
}

int flat_load(const struct load_request *r, struct vcpu_state *st)
{
    uint64_t top = 0;
    uint64_t at = r->load_addr;
    uint64_t entry = r->has_entry ? r->entry : at;
    int err = place(r, at, r->kernel, r->kernel_size, r->kernel_size, &top);
    if (err)
        return err;
    if (entry < at || entry >= at + r->kernel_size || entry >= GiB(4))
        return failf(r, -ENOEXEC, "entry %#llx is not inside the loaded "
                     "image at %#llx", entry, at);
    multiboot_set_prot32(st, (uint32_t)entry);
    return 0;
}
