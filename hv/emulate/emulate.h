/* Keel's x86 instruction emulator. SVM under QEMU TCG gives no decode
 * assists and no next-RIP, so Keel decodes guest instructions itself: for
 * MMIO accesses (nested page faults on device pages) and to find the length
 * of intercepted instructions. It sees the guest only through vcpu_state
 * and struct emu_ops, so it runs unchanged in host unit tests.
 * References: SDM 2 chapter 2 (instruction format), SDM 3A 4 (paging). */
#ifndef KEEL_EMULATE_H
#define KEEL_EMULATE_H

#include "arch/x86/vcpu_state.h"
#include "lib/types.h"

/* How the emulator reaches guest memory. ctx is passed back unchanged. */
struct emu_ops {
    void *ctx;
    /* Guest RAM by guest-physical address (page-table walks, instruction
     * fetch). Return 0, or -EFAULT if [gpa, gpa+len) is not RAM. */
    int (*read_ram)(void *ctx, gpa_t gpa, void *buf, size_t len);
    int (*write_ram)(void *ctx, gpa_t gpa, const void *buf, size_t len);
    /* Compare and exchange the naturally aligned 4- or 8-byte word of
     * guest RAM at gpa: if it still holds old, write new, atomically
     * against the guest's other vCPUs running on other CPUs (the walk's
     * accessed/dirty updates, SDM 3A 4.8: "the processor uses locked
     * operations"). Return 0, -EAGAIN when it no longer holds old (nothing
     * written), -EFAULT if it is not RAM. May be NULL: write_ram then
     * writes the entry plainly (one vCPU at a time, as in the tests). */
    int (*cmpxchg_ram)(void *ctx, gpa_t gpa, uint64_t old, uint64_t new_val,
                       unsigned size);
    /* A data access of size 1, 2, 4 or 8 bytes (never crossing a page) at a
     * guest-physical address that may be RAM or MMIO; the core routes it.
     * Return 0, or a negative error (the VM is then stopped). */
    int (*phys_read)(void *ctx, gpa_t gpa, unsigned size, uint64_t *val);
    int (*phys_write)(void *ctx, gpa_t gpa, unsigned size, uint64_t val);
    /* The guest's MAXPHYADDR in bits (CPUID 80000008h EAX[7:0]); paging
     * entry bits from here up to bit 51 are reserved (SDM 3A 4.1.4).
     * 0 means 52, the architectural maximum. */
    uint8_t maxphyaddr;
    /* Port I/O for INS/OUTS (SDM 2A "INS", "OUTS"): a 1-, 2- or 4-byte
     * access to an I/O port. Return 0, or a negative error (the VM is then
     * stopped). May be NULL: INS/OUTS are then EMU_UNHANDLED (an MMIO exit
     * never needs them; only the port-I/O exit fills them in). */
    int (*pio_read)(void *ctx, uint16_t port, unsigned size, uint32_t *val);
    int (*pio_write)(void *ctx, uint16_t port, unsigned size, uint32_t val);
    /* The first prefetched_len (0..15) bytes of the instruction at CS:RIP
     * as the CPU already fetched them (SVM decode assists, APM2 15.33):
     * the fetch takes these and walks the guest's page tables only for
     * bytes beyond them. 0 (the default): every byte is fetched. */
    const uint8_t *prefetched;
    uint8_t prefetched_len;
};

enum emu_status {
    EMU_OK,          /* done: registers, flags and RIP updated */
    EMU_FAULT,       /* an exception must be injected: see emu_result.fault
                      * (#DE of DIV/IDIV, #PF, #GP, #SS, #UD) */
    EMU_UNHANDLED,   /* unknown or unsupported instruction: see bytes */
    EMU_ERROR,       /* a phys_read/phys_write callback failed */
};

struct emu_result {
    enum emu_status status;
    uint8_t len;              /* instruction length in bytes (when decoded) */
    uint8_t bytes[15];        /* instruction bytes fetched */
    uint8_t nbytes;
    struct {
        uint8_t vector;       /* 13 (#GP), 14 (#PF), 6 (#UD), ... */
        bool has_error;
        uint32_t error_code;
        uint64_t cr2;         /* faulting linear address for #PF */
    } fault;
};

/* Emulate the one instruction at st->rip. On EMU_OK st is updated (GPRs,
 * RFLAGS, RIP advanced past the instruction). On EMU_FAULT st is unchanged
 * except as hardware would leave it (RIP still at the instruction; a REP
 * string instruction keeps its finished iterations). A REP string
 * instruction stops after a batch of iterations with EMU_OK and RIP still
 * at the instruction, so the guest re-executes it. res must not be NULL;
 * res->bytes/nbytes/len describe the instruction for EMU_UNHANDLED. The
 * supported forms are listed in docs/emulator.md. */
enum emu_status emulate_insn(struct vcpu_state *st, const struct emu_ops *ops,
                             struct emu_result *res);

/* The same for an intercepted INS/OUTS (6C-6F, any prefixes): only those
 * are carried out; anything else at st->rip (the guest changed its code
 * since the exit) is EMU_UNHANDLED. Port accesses go to ops->pio_read and
 * ops->pio_write, memory through the guest's page tables. A REP form does
 * at most a batch of iterations per call (docs/emulator.md), leaving RIP
 * on the instruction until rCX reaches 0. See: SDM 2A "INS/INSB/INSW/INSD",
 * "OUTS/OUTSB/OUTSW/OUTSD", "REP/REPE/REPZ/REPNE/REPNZ". */
enum emu_status emulate_string_io(struct vcpu_state *st,
                                  const struct emu_ops *ops,
                                  struct emu_result *res);

/* The instruction at st->rip if it is a non-string IN or OUT (E4-E7,
 * EC-EF) or MOV reg, imm (B0-BF): carried out with ports through
 * ops->pio_read/pio_write (both must be set), RIP advanced, EMU_OK. The
 * port-I/O exit uses it to do the next access of a pair (PCI CONFIG_ADDRESS
 * then CONFIG_DATA) in the same exit. Anything else, an IN/OUT that the
 * CPU would check against the TSS I/O permission bitmap (CPL > IOPL,
 * virtual-8086 mode), or an instruction that cannot be fetched:
 * EMU_UNHANDLED with st unchanged and no fault (the guest then runs it
 * itself). A pio callback that fails: EMU_ERROR, st unchanged (a refused
 * port: the caller's pio callbacks may refuse ports it does not want done
 * here). Debug traps (TF, DR7) are the caller's to rule out.
 * See: SDM 2A "IN", "OUT"; SDM 1 18.5 "Protection". */
enum emu_status emulate_port_insn(struct vcpu_state *st,
                                  const struct emu_ops *ops,
                                  struct emu_result *res);

/* Only decode the instruction at st->rip and return its length in bytes
 * (1..15), or a negative error: -EFAULT if it could not be fetched (res,
 * if non-NULL, then holds the #PF to inject), -EINVAL if it is not a valid
 * encoding, -EIO if the code is not in guest RAM or a page-table read
 * failed. res->bytes/nbytes hold the bytes fetched. */
int emulate_insn_length(const struct vcpu_state *st, const struct emu_ops *ops,
                        struct emu_result *res);

/* Translate a guest-linear address through the guest's page tables (as the
 * CPU would for st's mode: none, 32-bit, PAE, 4- or 5-level), checking
 * access rights for a read, write or fetch at the current privilege level
 * and setting accessed/dirty bits. Returns 0 and *gpa, or -EFAULT with the
 * #PF in res->fault (error code per SDM 3A 4.7, cr2 = gva), or -EIO if a
 * paging-structure entry is not in guest RAM. See hv/emulate/translate.c;
 * SDM 3A 4.3-4.8. */
enum emu_access { EMU_ACC_READ, EMU_ACC_WRITE, EMU_ACC_FETCH };
int emulate_translate(const struct vcpu_state *st, const struct emu_ops *ops,
                      gva_t gva, enum emu_access acc, gpa_t *gpa,
                      struct emu_result *res);

/* The same walk, only looking, for the serial monitor's "xlate": every
 * paging-structure entry read is recorded; no access rights or reserved
 * bits are checked and no accessed/dirty bit is set (ops->write_ram is
 * never called and may be NULL). */
#define EMU_WALK_MAX_LEVELS 5
struct emu_walk_level {
    unsigned level;      /* 5 PML5 .. 1 PT (names: emulate_level_name) */
    unsigned index;      /* entry index within its table */
    gpa_t entry_gpa;     /* where the entry is in guest-physical memory */
    uint64_t entry;      /* its value (32-bit entries zero-extended) */
};
struct emu_walk {
    const char *mode;    /* "paging off", "32-bit", "PAE", "4-level", ... */
    unsigned esize;      /* entry size in bytes: 4 or 8 (0: paging off) */
    unsigned nr;         /* entries read, top level first in lv[] */
    struct emu_walk_level lv[EMU_WALK_MAX_LEVELS];
    gpa_t gpa;           /* the result, when 0 is returned */
    uint64_t page_size;  /* bytes: 4 KiB, 2 or 4 MiB, 1 GiB */
};

/* Walk gva through st's page tables as emulate_translate does, recording
 * into *w. Returns 0 with w->gpa set; -ENOENT at a not-present entry (the
 * last level in w shows which); -EIO if a table is not in guest RAM (the
 * entries before it are in w). With paging off w->nr is 0 and the GPA is
 * the GVA (cut to 32 bits outside long mode). */
int emulate_translate_record(const struct vcpu_state *st,
                             const struct emu_ops *ops, gva_t gva,
                             struct emu_walk *w);

/* The SDM's name of a paging-structure entry at level 5..1: "PML5E",
 * "PML4E", "PDPTE", "PDE", "PTE" ("?" otherwise). */
const char *emulate_level_name(unsigned level);

#endif
