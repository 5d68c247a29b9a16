/* The exit statistics table (hv/debug/stats.h). Cycles are host TSC ticks from
 * the exit reaching the run loop until its handler returned: the time Keel
 * itself spends, not the hardware's world switch. */
#include "lib/log.h"
#include "arch/x86/platform.h"
#include "hv/debug/stats.h"
#include "hv/core/vcpu.h"
#include "hv/core/vm.h"

uint64_t stats_total(const struct vcpu *v)
{
    uint64_t total = 0;
    for (int r = 0; r < EXIT_REASON_COUNT; r++)
        total += v->stats.count[r];
    return total;
}

void stats_print(const struct vcpu *v, const char *prefix)
{
    const struct exit_stats *s = &v->stats;
    uint64_t hz = platform_tsc_hz();

    kprintf("%svm %s vcpu%u exit statistics (%llu exits; cycles = host TSC "
            "ticks in Keel)\n", prefix, v->vm->name, v->id,
            (unsigned long long)stats_total(v));
    kprintf("%s  %-13s %10s %10s %10s %10s %9s\n", prefix, "reason", "count",
            "min", "avg", "max", "avg ns");
    for (int r = 0; r < EXIT_REASON_COUNT; r++) {
        if (!s->count[r])
            continue;
        uint64_t avg = s->cycles[r] / s->count[r];
        /* avg is far below 2^64 / 1e9 cycles, so this cannot overflow. */
        uint64_t ns = hz ? avg * 1000000000ULL / hz : 0;
        kprintf("%s  %-13s %10llu %10llu %10llu %10llu %9llu\n", prefix,
                exit_reason_name((enum exit_reason)r),
                (unsigned long long)s->count[r], (unsigned long long)s->min[r],
                (unsigned long long)avg, (unsigned long long)s->max[r],
                (unsigned long long)ns);
    }
}
