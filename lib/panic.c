/* panic() (lib/panic.h). */
#include <stdarg.h>
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "lib/printf.h"

static panic_fn dump_hook;
static panic_halt_fn halt_hook;

void panic_set_hooks(panic_fn dump, panic_halt_fn halt)
{
    dump_hook = dump;
    halt_hook = halt;
}

void panic_at(const char *file, int line, const char *fmt, ...)
{
    static bool in_panic;
    char msg[256];
    va_list ap;

    va_start(ap, fmt);
    kvsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    kprintf("\nkeel: FATAL: %s (%s:%d)\n", msg, file, line);
    if (!in_panic) { /* a panic inside the dump must not recurse */
        in_panic = true;
        if (dump_hook)
            dump_hook();
        log_dump_ring();
    }
    kprintf("keel: halted\n");
    if (halt_hook)
        halt_hook();
    for (;;)            /* no halt installed yet: stop here */
        __builtin_trap();
}
