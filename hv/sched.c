/* Round-robin scheduling of all vCPUs on the boot CPU (hv/sched.h). A
 * vCPU runs until its slice ends (the host timer makes the guest exit),
 * it halts, it yields (it sent an IPI or spins in a PAUSE loop), or its
 * VM ends. When nothing can run, the CPU sleeps until the
 * next timer or a typed key. */
#include "drivers/lapic_timer.h"
#include "drivers/timer.h"
#include "hv/core/inject.h"
#include "hv/core/smp.h"
#include "hv/core/vm.h"
#include "hv/debug/monitor.h"
#include "hv/machine/machine.h"
#include "hv/machine/pc.h"
#include "hv/machine/vconsole.h"
#include "hv/machine/virtio_devices.h"
#include "hv/net/net.h"
#include "hv/run.h"
#include "hv/sched.h"
#include "lib/errno.h"

/* How often an idle Keel looks at the console for typed input; while
 * typing is under way (a byte moved in the last INPUT_BURST_NS) it looks
 * every INPUT_POLL_NS instead, and between guest exits at most that often.
 * Under QEMU the host UART hands over at most its FIFO trigger level of
 * bytes per look (drivers/serial.c), so a look once per 10 ms slice
 * would let a pasted line trickle in at about a byte per slice. */
#define IDLE_POLL_NS   10000000ULL
#define INPUT_POLL_NS    200000ULL
#define INPUT_BURST_NS 200000000ULL

static struct vm **all_vms;
static unsigned nr_all_vms;
static uint64_t last_poll_ns, last_input_ns;

/* Keel's console keys for the guests: the monitor's filter takes its key
 * sequence (Ctrl-] m) out, and when it has seen it the monitor runs here,
 * in the scheduler, while every guest waits. */
static int console_key(void)
{
    bool open = false;
    int c = monitor_getkey(&open);
    if (open)
        monitor_run(all_vms, nr_all_vms);
    return c;
}

static void poll_input(uint64_t now)
{
    last_poll_ns = now;
    if (vconsole_poll_input(all_vms, nr_all_vms, console_key))
        last_input_ns = now;
}

/* The host timer must fire at the slice end or at the VM's next device
 * timer, whichever is first, so guest timer interrupts are on time. */
static uint64_t next_wakeup(struct vm *vm, uint64_t limit)
{
    uint64_t t;
    if (pc_next_deadline(vm, &t) && t < limit)
        return t;
    return limit;
}

static bool vcpu_ready(struct vcpu *v)
{
    smp_poll(v);
    if (v->run_state == VCPU_HALTED && inject_pending(v))
        v->run_state = VCPU_RUNNABLE;
    return v->run_state == VCPU_RUNNABLE;
}

static void run_slice(struct vcpu *v)
{
    vcpu_fpu_load(v);
    vcpu_dreg_load(v);
    bool alone = nr_all_vms == 1 && v->vm->nr_vcpus == 1;
    uint64_t end = timer_now_ns() +
                   (alone ? SCHED_SLICE_ALONE_NS : SCHED_SLICE_NS);
    v->yield = false;
    while (v->run_state == VCPU_RUNNABLE && vm_running(v->vm) &&
           !v->vm->reset_pending && !v->yield && timer_now_ns() < end) {
        /* Due device timers fire first, so the host timer is armed for
         * the next deadline and not for one already past (that would make
         * the guest exit again as soon as it enters: one INTR exit more
         * per guest timer interrupt). */
        pc_update(v->vm, timer_now_ns());
        lapic_timer_arm(next_wakeup(v->vm, end));
        run_once(v);
        uint64_t now = timer_now_ns();
        if (now - last_poll_ns >= INPUT_POLL_NS)
            poll_input(now);
    }
}

void sched_run(struct vm **vms, unsigned n)
{
    all_vms = vms;
    nr_all_vms = n;
    for (;;) {
        bool alive = false, ran = false;
        poll_input(timer_now_ns());
        for (unsigned i = 0; i < n; i++) {
            struct vm *vm = vms[i];
            /* A reset goes on a bounded step per pass (machine_reset);
             * its vCPUs wait for the end. */
            if (vm_running(vm) && vm->reset_pending) {
                alive = true;
                ran = true;
                if (machine_reset(vm) == -EAGAIN)
                    continue;
            }
            /* Device work left pending (a halted guest waiting for it
             * included) goes on, a budget per pass; no idling meanwhile. */
            if (vm_running(vm) && virtio_devices_poll(vm))
                ran = true;
            /* Its timers fall due whether or not it ran: a halted vCPU
             * whose LAPIC timer has expired must be ready now, not when
             * the CPU next idles (another VM may never let it idle). */
            if (vm_running(vm))
                pc_update(vm, timer_now_ns());
            for (unsigned c = 0; c < vm->nr_vcpus && vm_running(vm) &&
                                 !vm->reset_pending; c++) {
                alive = true;
                if (vcpu_ready(vm->vcpus[c])) {
                    run_slice(vm->vcpus[c]);
                    ran = true;
                }
            }
        }
        if (!alive)
            break;
        if (!ran) {
            uint64_t now = timer_now_ns();
            bool typing = now - last_input_ns < INPUT_BURST_NS;
            uint64_t wake = now + (typing ? INPUT_POLL_NS : IDLE_POLL_NS);
            net_poll();   /* frames for a halted guest wake it */
            for (unsigned i = 0; i < n; i++)
                if (vm_running(vms[i])) {
                    pc_update(vms[i], now);
                    wake = next_wakeup(vms[i], wake);
                }
            lapic_timer_arm(wake);
            lapic_timer_idle();
            net_poll();
            for (unsigned i = 0; i < n; i++)
                if (vm_running(vms[i]))
                    pc_update(vms[i], timer_now_ns());
        }
    }
    lapic_timer_arm(0);
}
