/* ELF executable parsing for the Multiboot loader (hv/loader/elf.h).
 * Reference: System V ABI, "ELF Header", "Program Header"; AMD64 psABI. */
#include "hv/loader/elf.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"

struct PACKED elf32_ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version, entry, phoff, shoff, flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct PACKED elf64_ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct PACKED elf32_phdr {
    uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};
struct PACKED elf64_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};
_Static_assert(sizeof(struct elf32_ehdr) == 52, "ELF32 header");
_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 header");
_Static_assert(sizeof(struct elf32_phdr) == 32, "ELF32 phdr");
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF64 phdr");

#define EI_CLASS 4
#define EI_DATA  5
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1

static int fail(char *err, size_t errlen, const char *why)
{
    ksnprintf(err, errlen, "%s", why);
    return -ENOEXEC;
}

int elf_parse(const void *file, uint64_t size, struct elf_info *info,
              char *err, size_t errlen)
{
    const uint8_t *b = file;
    uint64_t phoff, phnum, phentsize;

    memset(info, 0, sizeof(*info));
    if (size < sizeof(struct elf32_ehdr) || memcmp(b, "\177ELF", 4))
        return fail(err, errlen, "not an ELF file (bad magic)");
    if (b[EI_DATA] != ELFDATA2LSB)
        return fail(err, errlen, "ELF file is not little-endian");
    if (b[EI_CLASS] == ELFCLASS32) {
        struct elf32_ehdr h;
        memcpy(&h, b, sizeof(h));
        if (h.machine != ELF_EM_386 || h.type != ELF_ET_EXEC)
            return fail(err, errlen, "ELF32 file is not an i386 executable");
        info->entry = h.entry;
        phoff = h.phoff, phnum = h.phnum, phentsize = h.phentsize;
        if (phentsize != sizeof(struct elf32_phdr))
            return fail(err, errlen, "ELF32 program header size is wrong");
    } else if (b[EI_CLASS] == ELFCLASS64) {
        struct elf64_ehdr h;
        if (size < sizeof(h))
            return fail(err, errlen, "ELF64 header truncated");
        memcpy(&h, b, sizeof(h));
        if (h.machine != ELF_EM_X86_64 || h.type != ELF_ET_EXEC)
            return fail(err, errlen, "ELF64 file is not an x86-64 executable");
        info->is64 = true;
        info->entry = h.entry;
        phoff = h.phoff, phnum = h.phnum, phentsize = h.phentsize;
        if (phentsize != sizeof(struct elf64_phdr))
            return fail(err, errlen, "ELF64 program header size is wrong");
    } else {
        return fail(err, errlen, "unknown ELF class");
    }
    if (phoff > size || phnum * phentsize > size - phoff)
        return fail(err, errlen, "program headers outside the file");

    for (uint64_t i = 0; i < phnum; i++) {
        struct elf_segment s;
        uint32_t type;
        if (info->is64) {
            struct elf64_phdr p;
            memcpy(&p, b + phoff + i * phentsize, sizeof(p));
            type = p.type;
            s = (struct elf_segment){ p.offset, p.paddr, p.filesz, p.memsz };
        } else {
            struct elf32_phdr p;
            memcpy(&p, b + phoff + i * phentsize, sizeof(p));
            type = p.type;
            s = (struct elf_segment){ p.offset, p.paddr, p.filesz, p.memsz };
        }
        if (type != ELF_PT_LOAD || s.memsz == 0)
            continue;
        if (s.filesz > s.memsz || s.offset > size || s.filesz > size - s.offset) {
            ksnprintf(err, errlen, "segment %llu lies outside the file",
                      (unsigned long long)i);
            return -ENOEXEC;
        }
        if (info->nr_segments == ARRAY_SIZE(info->segments))
            return fail(err, errlen, "more than 16 loadable segments");
        info->segments[info->nr_segments++] = s;
    }
    if (!info->nr_segments)
        return fail(err, errlen, "no loadable segments");
    return 0;
}
