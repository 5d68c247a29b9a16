/* The parts of ELF (System V ABI, "ELF Header" and "Program Header") that
 * the Multiboot loader reads: 32- and 64-bit executables' PT_LOAD segments. */
#ifndef KEEL_ELF_H
#define KEEL_ELF_H

#include "lib/types.h"

#define ELF_PT_LOAD   1
#define ELF_EM_386    3
#define ELF_EM_X86_64 62
#define ELF_ET_EXEC   2

/* One loadable segment in a neutral form. */
struct elf_segment {
    uint64_t offset;   /* in the file, bytes */
    uint64_t paddr;    /* guest-physical load address */
    uint64_t filesz;   /* bytes copied from the file */
    uint64_t memsz;    /* bytes in memory (the rest zeroed: .bss) */
};

struct elf_info {
    uint64_t entry;
    bool is64;
    unsigned nr_segments;
    struct elf_segment segments[16];
};

/* Parse an ELF executable of size bytes. Returns 0, or -ENOEXEC with a
 * reason in err ("not an ELF file", "segment 2 outside the file", ...). */
int elf_parse(const void *file, uint64_t size, struct elf_info *info,
              char *err, size_t errlen);

#endif
