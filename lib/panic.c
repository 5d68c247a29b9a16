/* panic() and the error-name table (lib/panic.h, lib/errno.h). */
#include <stdarg.h>
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/panic.h"
#include "arch/x86/platform.h"

void (*panic_dump_hook)(void);

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
        if (panic_dump_hook)
            panic_dump_hook();
        log_dump_ring();
    }
    kprintf("keel: halted\n");
    platform_fatal();
}

const char *err_name(int err)
{
    switch (err < 0 ? -err : err) {
    case ENOENT: return "ENOENT";
    case EIO: return "EIO";
    case E2BIG: return "E2BIG";
    case ENOEXEC: return "ENOEXEC";
    case ENOMEM: return "ENOMEM";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case ENODEV: return "ENODEV";
    case EINVAL: return "EINVAL";
    case ERANGE: return "ERANGE";
    case ENOSYS: return "ENOSYS";
    case ENOTSUP: return "ENOTSUP";
    default: return "E?";
    }
}
