/* Log lines, levels and the ring of recent lines (see lib/log.h). */
#include <stdarg.h>
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/spinlock.h"
#include "lib/string.h"

#define RING_LINES 32
#define LINE_MAX   200

static enum log_level cur_level = LOG_INFO;
static log_output_fn output;   /* NULL until log_set_output() */
static char ring[RING_LINES][LINE_MAX];
static unsigned ring_next;

static const char *const level_tag[] = {
    [LOG_ERR] = "error: ", [LOG_WARN] = "warning: ",
    [LOG_INFO] = "", [LOG_DEBUG] = "debug: ",
};

void log_set_output(log_output_fn write) { output = write; }

/* The console lock: one CPU's line (a log line or one kprintf) goes out
 * whole before another's. A CPU that cannot take it within CONSOLE_SPINS
 * tries (the holder faulted inside the output, or stopped in a panic)
 * prints anyway: a mixed line is better than a silent hang. */
#define CONSOLE_SPINS 50000000u
static struct spinlock console_lock = SPINLOCK_INIT;

static bool console_take(void)
{
    for (uint32_t i = 0; i < CONSOLE_SPINS; i++) {
        if (spin_trylock(&console_lock))
            return true;
        spin_pause();
    }
    return false;
}

static void emit(const char *s, size_t n)
{
    bool locked = console_take();
    if (output)
        output(s, n);
    if (locked)
        spin_unlock(&console_lock);
}

void log_set_level(enum log_level level) { cur_level = level; }
enum log_level log_get_level(void) { return cur_level; }

void log_printf(enum log_level level, const char *fmt, ...)
{
    char line[LINE_MAX];
    int n = ksnprintf(line, sizeof(line), "keel: %s", level_tag[level]);
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);

    /* Two CPUs may log at once: each takes its own ring slot. */
    unsigned slot = __atomic_fetch_add(&ring_next, 1, __ATOMIC_RELAXED);
    strlcpy(ring[slot % RING_LINES], line, LINE_MAX);
    if (level > cur_level)
        return;
    size_t len = strlen(line);
    if (len < sizeof(line) - 1)
        line[len++] = '\n';
    emit(line, len);
}

void log_dump_ring(void)
{
    kprintf("--- last log lines ---\n");
    unsigned start = ring_next > RING_LINES ? ring_next - RING_LINES : 0;
    for (unsigned i = start; i < ring_next; i++)
        kprintf("  %s\n", ring[i % RING_LINES]);
}

void kprintf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    emit(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}
