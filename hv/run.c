/* The run loop's step (hv/run.h): bring the VM's device timers up to date,
 * continue its virtio devices' pending work, poll the network uplink,
 * choose the event to inject, enter the guest, record and dispatch the
 * exit, and count what it cost. */
#include "arch/x86/percpu.h"
#include "drivers/timer.h"
#include "hv/core/inject.h"
#include "hv/core/vendor.h"
#include "hv/core/vm.h"
#include "hv/debug/trace.h"
#include "hv/exit/exit.h"
#include "hv/machine/pc.h"
#include "hv/machine/virtio_devices.h"
#include "hv/net/net.h"
#include "hv/run.h"
#include "hv/sched.h"
#include "lib/spinlock.h"

/* Guest entries per physical CPU (each CPU counts its own). */
static uint64_t entries[PERCPU_MAX];

uint64_t run_cpu_entries(unsigned cpu)
{
    return cpu < PERCPU_MAX ? entries[cpu] : 0;
}

void run_once(struct vcpu *v)
{
    struct vm_exit exit;

    v->vm->current = v;
    pc_update(v->vm, timer_now_ns());
    if (v->pcpu == 0) {   /* device polling stays on the boot CPU */
        virtio_devices_poll(v->vm);   /* work left by earlier exits */
        net_poll();   /* the uplink NIC has no interrupt (hv/net/net.h) */
    }
    inject_prepare_entry(v);
    if (v->woken_tsc) {         /* another vCPU woke this one: how fast? */
        uint64_t waited = timer_rdtsc() - v->woken_tsc;
        v->wakes++;
        v->wake_cycles += waited;
        v->wake_max = MAX(v->wake_max, waited);
        v->woken_tsc = 0;
    }
    /* The guest runs without the hypervisor lock: other CPUs' guests run
     * and their exits are handled meanwhile (docs/architecture.md,
     * "Several CPUs"). */
    v->in_guest = true;
    entries[v->pcpu]++;
    spin_unlock(&sched_lock);
    vendor->run(v, &exit);
    spin_lock(&sched_lock);
    v->in_guest = false;
    v->vm->current = v;       /* another CPU's exit of this VM set it */
    inject_after_exit(v);     /* an EOI the guest did without an exit */

    uint64_t t0 = timer_rdtsc();
    trace_record(v, &exit, t0);   /* before the handler changes RIP/RAX */
    exit_dispatch(v, &exit);
    uint64_t dt = timer_rdtsc() - t0;
    trace_record_cycles(v, dt);

    struct exit_stats *s = &v->stats;
    unsigned r = exit.reason < EXIT_REASON_COUNT ? exit.reason : EXIT_UNEXPECTED;
    s->min[r] = s->count[r] ? MIN(s->min[r], dt) : dt;
    s->count[r]++;
    s->cycles[r] += dt;
    s->max[r] = MAX(s->max[r], dt);
}
