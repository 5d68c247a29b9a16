/* Round-robin scheduling of each physical CPU's vCPUs (hv/sched.h): the
 * boot CPU runs every unpinned vCPU and does the polling (console input,
 * the monitor, virtio and uplink work, resets); an AP runs the vCPUs
 * pinned to it. A vCPU runs until its slice ends (the host timer makes
 * the guest exit), it halts, it yields (it sent an IPI or spins in a
 * PAUSE loop), or its VM ends. When nothing can run, the CPU sleeps until
 * the next timer, a kick from another CPU, or a typed key. Everything
 * here runs under sched_lock except the guest itself and the sleep. */
#include "drivers/console.h"
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
#include "lib/spinlock.h"

/* How often an idle Keel looks at the console for typed input; while
 * typing is under way (a byte moved in the last INPUT_BURST_NS) it looks
 * every INPUT_POLL_NS instead, and between guest exits at most that often.
 * Under QEMU the host UART hands over at most its FIFO trigger level of
 * bytes per look (drivers/serial.c), so a look once per 10 ms slice
 * would let a pasted line trickle in at about a byte per slice. */
#define IDLE_POLL_NS   10000000ULL
#define INPUT_POLL_NS    200000ULL
#define INPUT_BURST_NS 200000000ULL

struct spinlock sched_lock = SPINLOCK_INIT;

static struct vm **all_vms;
static unsigned nr_all_vms;
static bool started;          /* all_vms is set: the APs may run */
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
    console_screen_flush();   /* what a burst of output left undrawn */
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

static void run_slice(struct vcpu *v, bool boot_cpu)
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
        if (boot_cpu && now - last_poll_ns >= INPUT_POLL_NS)
            poll_input(now);
    }
}

/* Does vm have a vCPU on physical CPU cpu? */
static bool vm_on_cpu(const struct vm *vm, unsigned cpu)
{
    for (unsigned c = 0; c < vm->nr_vcpus; c++)
        if (vm->vcpus[c]->pcpu == cpu)
            return true;
    return false;
}

/* Is a vCPU of vm in its guest on another CPU? Then kick it out and tell
 * the caller to wait (a reset must not change state a CPU still uses). */
static bool vm_in_guest(struct vm *vm)
{
    bool in = false;
    for (unsigned c = 0; c < vm->nr_vcpus; c++)
        if (vm->vcpus[c]->in_guest) {
            vcpu_kick(vm->vcpus[c]);
            in = true;
        }
    return in;
}

/* The boot CPU's share of a pass: VM resets and device work for every VM,
 * pinned or not. Returns whether it did something. */
static bool boot_cpu_work(struct vm *vm)
{
    bool ran = false;
    /* A reset goes on a bounded step per pass (machine_reset); its vCPUs
     * wait for the end, and it waits for those still in a guest. */
    if (vm_running(vm) && vm->reset_pending) {
        ran = true;
        if (vm_in_guest(vm) || machine_reset(vm) == -EAGAIN)
            return true;
    }
    /* Device work left pending (a halted guest waiting for it included)
     * goes on, a budget per pass; no idling meanwhile. */
    if (vm_running(vm) && virtio_devices_poll(vm))
        ran = true;
    return ran;
}

/* Sleep until the host timer (the earliest device timer of the VMs with a
 * vCPU on this CPU, or the poll interval) or a kick. The lock is let go
 * meanwhile. A kick sent after the lock is let go and before the HLT
 * stays pending (IF=0) and ends the HLT at once: no wake-up is lost. */
static void idle(unsigned cpu)
{
    uint64_t now = timer_now_ns();
    bool typing = cpu == 0 && now - last_input_ns < INPUT_BURST_NS;
    uint64_t wake = now + (typing ? INPUT_POLL_NS : IDLE_POLL_NS);
    if (cpu == 0)
        net_poll();   /* frames for a halted guest wake it */
    for (unsigned i = 0; i < nr_all_vms; i++)
        if (vm_running(all_vms[i]) && vm_on_cpu(all_vms[i], cpu)) {
            pc_update(all_vms[i], now);
            wake = next_wakeup(all_vms[i], wake);
        }
    lapic_timer_arm(wake);
    spin_unlock(&sched_lock);
    lapic_timer_idle();
    spin_lock(&sched_lock);
    if (cpu == 0)
        net_poll();
    for (unsigned i = 0; i < nr_all_vms; i++)
        if (vm_running(all_vms[i]) && vm_on_cpu(all_vms[i], cpu))
            pc_update(all_vms[i], timer_now_ns());
}

/* Round robin over the vCPUs of physical CPU cpu until every VM with a
 * vCPU there has ended (on the boot CPU: until every VM has ended). */
static void run_cpu(unsigned cpu)
{
    bool boot_cpu = cpu == 0;
    for (;;) {
        bool alive = false, ran = false;
        if (boot_cpu)
            poll_input(timer_now_ns());
        for (unsigned i = 0; i < nr_all_vms; i++) {
            struct vm *vm = all_vms[i];
            if (boot_cpu) {
                alive |= vm_running(vm);
                ran |= boot_cpu_work(vm);
            }
            /* Its timers fall due whether or not it ran: a halted vCPU
             * here whose LAPIC timer has expired must be ready now, not
             * when this CPU next idles (another VM may never let it). */
            if (vm_running(vm) && vm_on_cpu(vm, cpu))
                pc_update(vm, timer_now_ns());
            for (unsigned c = 0; c < vm->nr_vcpus && vm_running(vm) &&
                                 !vm->reset_pending; c++) {
                struct vcpu *v = vm->vcpus[c];
                if (v->pcpu != cpu)
                    continue;
                alive = true;
                if (vcpu_ready(v)) {
                    run_slice(v, boot_cpu);
                    ran = true;
                }
            }
            /* A pinned VM in reset still needs this CPU afterwards. */
            if (!boot_cpu && vm_running(vm) && vm_on_cpu(vm, cpu))
                alive = true;
        }
        if (!alive)
            break;
        if (!ran)
            idle(cpu);
    }
    lapic_timer_arm(0);
}

/* Every vCPU out of its guest, so the summary reads settled numbers. */
static void wait_all_out(void)
{
    for (unsigned i = 0; i < nr_all_vms; i++)
        while (vm_in_guest(all_vms[i])) {
            spin_unlock(&sched_lock);
            spin_pause();
            spin_lock(&sched_lock);
        }
}

void sched_run(struct vm **vms, unsigned n)
{
    spin_lock(&sched_lock);
    all_vms = vms;
    nr_all_vms = n;
    __atomic_store_n(&started, true, __ATOMIC_RELEASE);
    run_cpu(0);
    wait_all_out();
    spin_unlock(&sched_lock);
}

void sched_run_ap(unsigned cpu)
{
    while (!__atomic_load_n(&started, __ATOMIC_ACQUIRE))
        spin_pause();
    spin_lock(&sched_lock);
    run_cpu(cpu);
    spin_unlock(&sched_lock);
}
