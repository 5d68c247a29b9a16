/* Log a message once per key (a port, an MSR index, ...): for messages a
 * guest can trigger over and over, which must not flood the console. The
 * keys seen are kept in a fixed table; when it is full, new keys are no
 * longer logged and the table says so once. */
#ifndef KEEL_ONCE_H
#define KEEL_ONCE_H

#include "lib/log.h"
#include "lib/types.h"

struct once_table {
    uint64_t *keys;     /* size slots, the first nr in use */
    unsigned size, nr;
    bool full_said;     /* the "table full" line was logged */
    const char *what;   /* what the keys are ("unclaimed ports"), for it */
};

/* Define a static table of n keys named name; what names the keys in the
 * line logged when the table fills. */
#define ONCE_TABLE(name, n, what_)                                      \
    static uint64_t name##_keys[n];                                     \
    static struct once_table name = {                                   \
        .keys = name##_keys, .size = (n), .what = (what_) }

/* Log fmt at level (as log_printf) only if key is not yet in t, and insert
 * it. When the table is full, an unknown key is not logged; the first such
 * key logs one line at level saying that further ones will not be.
 * Returns true if fmt was logged. Not safe against concurrent callers on
 * one table (Keel runs exits of one table's users on one CPU at a time). */
bool once_log(struct once_table *t, uint64_t key, enum log_level level,
              const char *fmt, ...) PRINTF(4, 5);

#endif
