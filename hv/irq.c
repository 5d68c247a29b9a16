/* Interrupt injection point (hv/irq.h). Sources: the vCPU's virtual LAPIC
 * (fed by the vIOAPIC, MSIs and IPIs). Until a VM has interrupt
 * controllers nothing is ever pending. */
#include "hv/irq.h"
#include "hv/vcpu.h"

/* Highest-priority deliverable vector for v, or -1. */
static int pending_vector(const struct vcpu *v)
{
    (void)v;
    return -1;
}

bool irq_pending(const struct vcpu *v)
{
    return pending_vector(v) >= 0;
}

void irq_prepare_entry(struct vcpu *v)
{
    int vec = pending_vector(v);
    if (vec < 0) {
        v->want_intr_window = false;
        return;
    }
    if (!v->event.valid && (v->state.rflags & RFLAGS_IF) &&
        !v->state.interrupt_shadow) {
        v->event = (struct event){ .valid = true, .type = EVENT_EXT_INT,
                                   .vector = (uint8_t)vec };
        v->want_intr_window = false;
        return;
    }
    v->want_intr_window = true;
}
