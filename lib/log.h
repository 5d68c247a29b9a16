/* Keel's log: levelled lines on the console, plus a ring of the last lines
 * that panic() replays. lib/ is the bottom layer, so the log does not know
 * the console: the boot path hands it the output function once
 * (log_set_output), and every line before that is kept in the ring only. */
#ifndef KEEL_LOG_H
#define KEEL_LOG_H

#include "lib/types.h"

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Writes n bytes of text (no NUL needed) to the console. */
typedef void (*log_output_fn)(const char *s, size_t n);

/* Where log lines and kprintf() go from now on; NULL drops them. */
void log_set_output(log_output_fn write);

/* Lines above this level are dropped (default LOG_INFO). */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Print one log line "keel: <text>\n" if level is enabled. */
void log_printf(enum log_level level, const char *fmt, ...) PRINTF(2, 3);

/* Print the last lines kept in the ring (used by panic()). */
void log_dump_ring(void);

#define log_err(...)   log_printf(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_printf(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_printf(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_printf(LOG_DEBUG, __VA_ARGS__)

/* Log at most once per call site (for guest-triggerable messages that must
 * not flood the console). */
#define log_once(level, ...)                       \
    do {                                           \
        static bool once_;                         \
        if (!once_) {                              \
            once_ = true;                          \
            log_printf(level, __VA_ARGS__);        \
        }                                          \
    } while (0)

/* Raw formatted output to the console, no prefix, no newline added. */
void kprintf(const char *fmt, ...) PRINTF(1, 2);

#endif
