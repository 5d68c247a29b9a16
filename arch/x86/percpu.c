/* Per-CPU data and the IPIs between Keel's CPUs (arch/x86/percpu.h).
 * See: SDM 3A 11.6 "Issuing Interprocessor Interrupts". */
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "arch/x86/trap.h"
#include "drivers/lapic.h"

static struct percpu cpus[PERCPU_MAX];
static uint64_t online_mask = 1;
static volatile bool stopping;

void percpu_set(unsigned index, uint32_t apic_id)
{
    struct percpu *c = &cpus[index];
    c->self = c;
    c->index = index;
    c->apic_id = apic_id;
    wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)c);
}

unsigned percpu_index(void)
{
    unsigned index;
    __asm__ volatile("movl %%gs:%c1, %0"
                     : "=r"(index) : "i"(__builtin_offsetof(struct percpu,
                                                            index)));
    return index;
}

void percpu_set_online(unsigned index, uint32_t apic_id)
{
    cpus[index].apic_id = apic_id;
    cpus[index].online = true;
    __atomic_or_fetch(&online_mask, 1ULL << index, __ATOMIC_RELEASE);
}

uint64_t percpu_online_mask(void)
{
    return __atomic_load_n(&online_mask, __ATOMIC_ACQUIRE);
}

void percpu_kick(unsigned index)
{
    if (index >= PERCPU_MAX || !cpus[index].online ||
        index == percpu_index())
        return;
    lapic_send_ipi(cpus[index].apic_id,
                   lapic_regs_icr_low(HOST_KICK_VECTOR, APIC_DM_FIXED,
                                      APIC_SH_NONE));
}

static void kick_irq(struct trap_frame *f)
{
    (void)f;
    lapic_eoi();
}

void percpu_kick_init(void)
{
    trap_set_irq_handler(HOST_KICK_VECTOR, kick_irq);
}

void percpu_stop_others(void)
{
    if (stopping)
        return;
    stopping = true;
    unsigned me = percpu_index();
    for (unsigned i = 0; i < PERCPU_MAX; i++)
        if (cpus[i].online && i != me)
            lapic_send_ipi(cpus[i].apic_id,
                           lapic_regs_icr_low(0, APIC_DM_NMI, APIC_SH_NONE));
}

bool percpu_stopping(void)
{
    return stopping;
}
