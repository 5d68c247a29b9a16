/* The exit statistics table (hv/debug/stats.h). Cycles are host TSC ticks from
 * the exit reaching the run loop until its handler returned: the time Keel
 * itself spends, not the hardware's world switch. */
#include "drivers/timer.h"
#include "hv/core/vcpu.h"
#include "hv/core/vm.h"
#include "hv/debug/stats.h"
#include "hv/debug/trace.h"
#include "lib/log.h"

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
    uint64_t hz = timer_tsc_hz();

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

void stats_vm_report(const struct vm *vm)
{
    uint64_t ms = (vm->end_ns - vm->start_ns) / 1000000;
    kprintf("keel: vm %s: %s", vm->name, vm_end_name(vm->end));
    if (vm->end == VM_END_DEBUG_EXIT)
        kprintf(" status %d (%s)", vm->exit_status,
                vm->exit_status == 0 ? "pass" : "fail");
    kprintf(" after %llu ms", (unsigned long long)ms);
    if (vm->resets)
        kprintf(" and %u reset%s", vm->resets, vm->resets == 1 ? "" : "s");
    kprintf(": %s\n", vm->end_reason);
    for (unsigned i = 0; i < vm->nr_vcpus; i++) {
        const struct exit_stats *s = &vm->vcpus[i]->stats;
        uint64_t total = 0;
        for (int r = 0; r < EXIT_REASON_COUNT; r++)
            total += s->count[r];
        kprintf("keel:   vcpu%u: %llu exits", i, (unsigned long long)total);
        for (int r = 0; r < EXIT_REASON_COUNT; r++)
            if (s->count[r])
                kprintf(" %s=%llu", exit_reason_name(r),
                        (unsigned long long)s->count[r]);
        kprintf("\n");
        if (vm->vcpus[i]->pv_eoi.done)
            kprintf("keel:   vcpu%u: %llu EOIs done by the guest without an "
                    "exit (paravirtual EOI)\n", i,
                    (unsigned long long)vm->vcpus[i]->pv_eoi.done);
        if (vm->vcpus[i]->io_paired)
            kprintf("keel:   vcpu%u: %llu PCI CONFIG_DATA accesses done in "
                    "the exit of their CONFIG_ADDRESS write\n", i,
                    (unsigned long long)vm->vcpus[i]->io_paired);
    }
    for (unsigned i = 0; i < vm->nr_vcpus; i++) {
        const struct vcpu *v = vm->vcpus[i];
        uint64_t hz = timer_tsc_hz();
        if (!v->wakes || !hz)
            continue;
        kprintf("keel:   vcpu%u: woken %llu times by another vCPU, entered "
                "after %llu us on average, %llu us at most\n", i,
                (unsigned long long)v->wakes,
                (unsigned long long)(v->wake_cycles / v->wakes * 1000000 / hz),
                (unsigned long long)(v->wake_max * 1000000 / hz));
    }
    for (unsigned i = 0; i < vm->nr_vcpus; i++)
        stats_print(vm->vcpus[i], "keel:     ");
    if (trace_at_end())
        for (unsigned i = 0; i < vm->nr_vcpus; i++)
            trace_dump_machine(vm->vcpus[i]);
}
