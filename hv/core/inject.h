/* The one place that decides when an interrupt is injected into a vCPU
 * (DESIGN.md: "one place decides when a vector can be injected"). */
#ifndef KEEL_INJECT_H
#define KEEL_INJECT_H

#include "lib/types.h"

struct vcpu;

/* Before each VM entry: if an interrupt is pending and the guest can take
 * it now (RFLAGS.IF=1, no interrupt shadow, no other event queued), queue
 * it in v->event; if it cannot, ask for an interrupt-window exit
 * (SDM 3C 26.7.5 / APM2 15.21.4). Then, with the vector to inject in
 * service, offer the guest a paravirtual EOI when it is safe
 * (hv/dev/pv_eoi.h). */
void inject_prepare_entry(struct vcpu *v);

/* Right after each VM exit, before it is handled: carry out an EOI the
 * guest did by clearing its paravirtual-EOI bit (hv/dev/pv_eoi.h), so the
 * vLAPIC is up to date for the handler and the next injection. */
void inject_after_exit(struct vcpu *v);

/* Is an interrupt or an unblocked NMI pending for v (a reason to leave
 * HLT)? */
bool inject_pending(const struct vcpu *v);

#endif
