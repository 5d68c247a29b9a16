/* panic(): a hypervisor bug. Prints FATAL, the reason with file and line,
 * the last log lines and any registered state dump, then halts every CPU.
 * Guest misbehaviour is never a panic: use vm_crash() (hv/core/vm.h). */
#ifndef KEEL_PANIC_H
#define KEEL_PANIC_H

#include "lib/types.h"

NORETURN void panic_at(const char *file, int line, const char *fmt, ...)
    PRINTF(3, 4);

#define panic(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)

/* A check that stays in every build (STYLE.md: hardware results are always
 * checked). */
#define BUG_ON(cond)                                   \
    do {                                               \
        if (cond)                                      \
            panic("BUG_ON(%s)", #cond);                \
    } while (0)

/* What panic() cannot know from the bottom layer, installed once by
 * hv_main (hv/main.c): dump prints extra state (the last vCPU's registers
 * and VMCB/VMCS, its exit trace) and may be NULL; halt stops every CPU and
 * must not return. Before they are installed panic() prints and traps. */
typedef void (*panic_fn)(void);
typedef NORETURN void (*panic_halt_fn)(void);
void panic_set_hooks(panic_fn dump, panic_halt_fn halt);

#endif
