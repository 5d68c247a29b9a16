/* Log once per key (lib/once.h): a linear search of a small table; the
 * tables hold tens of keys and are searched only on rare, slow paths. */
#include <stdarg.h>
#include "lib/once.h"
#include "lib/printf.h"

bool once_log(struct once_table *t, uint64_t key, enum log_level level,
              const char *fmt, ...)
{
    char msg[200];   /* lib/log.c cuts lines at 200 bytes too */
    va_list ap;

    for (unsigned i = 0; i < t->nr; i++)
        if (t->keys[i] == key)
            return false;
    if (t->nr == t->size) {
        if (!t->full_said) {
            t->full_said = true;
            log_printf(level, "more than %u %s: further ones are not logged",
                       t->size, t->what);
        }
        return false;
    }
    t->keys[t->nr++] = key;
    va_start(ap, fmt);
    kvsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_printf(level, "%s", msg);
    return true;
}
