/* Payload loaders: each validates a file, copies it into guest RAM and
 * sets the boot vCPU's entry state. Errors are returned as a negative code
 * with a message in err naming the file and the reason; nothing is run. */
#ifndef KEEL_LOADER_H
#define KEEL_LOADER_H

#include "arch/x86/vcpu_state.h"
#include "lib/types.h"
#include "mm/guest_mem.h"

/* Inputs common to every loader. The loaders know nothing of keel.cfg:
 * the VM's builder copies what they need from its [vm] section. */
struct load_request {
    struct guest_mem *mem;
    const char *cmdline;          /* NUL-terminated; "" for none */
    uint64_t load_addr;           /* flat: GPA the file is copied to */
    bool has_entry;               /* flat: entry given, else load_addr */
    uint64_t entry;               /* flat: entry GPA */
    const void *kernel;           /* host pointer to the file */
    uint64_t kernel_size;         /* bytes */
    const void *initrd;           /* NULL: none */
    uint64_t initrd_size;
    uint64_t ram_top_low;         /* end of guest RAM below 4 GiB (bytes) */
    char *err;                    /* message buffer */
    size_t errlen;
};

/* Multiboot v1 ELF kernel (Multiboot Specification 0.6.96, section 3):
 * ELF32 or ELF64 PT_LOAD segments at their physical addresses, the
 * multiboot information structure with memory fields, memory map, command
 * line and the initrd as module 0, entry in 32-bit protected mode with
 * EAX = 0x2BADB002, EBX = GPA of the information structure. */
int multiboot_load(const struct load_request *req, struct vcpu_state *st);

/* Flat binary: the file at req->load_addr, entry at req->entry in 32-bit
 * protected mode (flat 4 GiB segments, paging off, EAX = EBX = 0). */
int flat_load(const struct load_request *req, struct vcpu_state *st);

/* Set st to the Multiboot machine state (spec 3.2): 32-bit flat CS/DS,
 * CR0.PE, paging off, interrupts off, at entry. Used by both loaders. */
void multiboot_set_prot32(struct vcpu_state *st, uint32_t entry);

#endif
