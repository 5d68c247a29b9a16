/* The run loop's step (hv/run.h): bring the VM's device timers up to date,
 * continue its virtio devices' pending work, poll the network uplink,
 * choose the event to inject, enter the guest, record and dispatch the
 * exit, and count what it cost. */
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

void run_once(struct vcpu *v)
{
    struct vm_exit exit;

    v->vm->current = v;
    pc_update(v->vm, timer_now_ns());
    virtio_devices_poll(v->vm);   /* device work left by earlier exits */
    net_poll();       /* the uplink NIC has no interrupt (hv/net/net.h) */
    inject_prepare_entry(v);
    if (v->woken_tsc) {         /* another vCPU woke this one: how fast? */
        uint64_t waited = timer_rdtsc() - v->woken_tsc;
        v->wakes++;
        v->wake_cycles += waited;
        v->wake_max = MAX(v->wake_max, waited);
        v->woken_tsc = 0;
    }
    vendor->run(v, &exit);
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
