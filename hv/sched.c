/* Round-robin scheduling of all vCPUs on the boot CPU (hv/sched.h). A
 * vCPU runs until its slice ends (the host timer makes the guest exit),
 * it halts, or its VM ends. When nothing can run, the CPU sleeps until the
 * next timer or a typed key. */
#include "hv/heap.h"
#include "hv/irq.h"
#include "hv/pc.h"
#include "hv/platform.h"
#include "hv/sched.h"
#include "hv/smp.h"
#include "hv/vconsole.h"
#include "hv/vm.h"

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

static void poll_input(uint64_t now)
{
    last_poll_ns = now;
    if (vconsole_poll_input(all_vms, nr_all_vms))
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
    if (v->run_state == VCPU_HALTED && irq_pending(v))
        v->run_state = VCPU_RUNNABLE;
    return v->run_state == VCPU_RUNNABLE;
}

/* The vCPU whose x87/SSE/AVX state and XCR0 are in the CPU now. */
static struct vcpu *fpu_owner;

/* Give v the CPU's extended state (arch/x86/fpu.c): save the previous
 * owner's, load v's. Without this, vCPUs of one VM or of different VMs
 * would see and corrupt each other's registers. */
static void fpu_switch_to(struct vcpu *v)
{
    if (fpu_owner == v)
        return;
    if (!v->fpu) {
        /* XSAVE needs 64-byte alignment; kzalloc gives page alignment
         * from half a page up. */
        v->fpu = kzalloc(MAX(platform_fpu_area_size(), PAGE_SIZE / 2));
        if (!v->fpu) {
            vm_crash(v->vm, "out of memory for the vCPU's FPU state");
            return;
        }
        platform_fpu_init_area(v->fpu, &v->xcr0);
    }
    platform_fpu_switch(fpu_owner ? fpu_owner->fpu : NULL,
                        fpu_owner ? &fpu_owner->xcr0 : NULL, v->fpu, v->xcr0);
    fpu_owner = v;
}

void sched_reset_fpu(struct vcpu *v)
{
    if (fpu_owner == v)
        fpu_owner = NULL;     /* what the CPU holds is stale now */
    if (v->fpu)
        platform_fpu_init_area(v->fpu, &v->xcr0);
}

static void run_slice(struct vcpu *v)
{
    fpu_switch_to(v);
    uint64_t end = platform_now_ns() + SCHED_SLICE_NS;
    while (v->run_state == VCPU_RUNNABLE && vm_running(v->vm) &&
           platform_now_ns() < end) {
        platform_timer_arm(next_wakeup(v->vm, end));
        vcpu_run_once(v);
        if (v->vm->reset_pending) {
            vm_reset(v->vm);
            return;
        }
        uint64_t now = platform_now_ns();
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
        poll_input(platform_now_ns());
        for (unsigned i = 0; i < n; i++) {
            struct vm *vm = vms[i];
            for (unsigned c = 0; c < vm->nr_vcpus && vm_running(vm); c++) {
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
            uint64_t now = platform_now_ns();
            bool typing = now - last_input_ns < INPUT_BURST_NS;
            uint64_t wake = now + (typing ? INPUT_POLL_NS : IDLE_POLL_NS);
            for (unsigned i = 0; i < n; i++)
                if (vm_running(vms[i])) {
                    pc_update(vms[i], now);
                    wake = next_wakeup(vms[i], wake);
                }
            platform_timer_arm(wake);
            platform_idle();
            for (unsigned i = 0; i < n; i++)
                if (vm_running(vms[i]))
                    pc_update(vms[i], platform_now_ns());
        }
    }
    platform_timer_arm(0);
}
