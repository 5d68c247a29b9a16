/* Log lines, levels and the ring of recent lines (see lib/log.h). */
#include <stdarg.h>
#include "lib/log.h"
#include "lib/printf.h"
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

static void emit(const char *s, size_t n)
{
    if (output)
        output(s, n);
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

    strlcpy(ring[ring_next++ % RING_LINES], line, LINE_MAX);
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
