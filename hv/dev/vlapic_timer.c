/* The APIC timer of a virtual LAPIC: one-shot, periodic and TSC-deadline
 * modes, counted from the platform clock rather than ticked.
 * Intel SDM Volume 3A (Order 325384-080), 11.5.4 "APIC Timer".
 *
 * The timer keeps its next expiry as an absolute time (ns); the current
 * count is derived from it on every read, so nothing runs between exits.
 * The input clock is VLAPIC_BUS_HZ, divided by the TDCR setting. */
#include "drivers/timer.h"
#include "hv/dev/vlapic.h"
#include "lib/errno.h"
#include "lib/log.h"

#define NS_PER_SEC 1000000000ULL

static unsigned timer_mode(const struct vlapic *l)
{
    return (l->lvt[LVT_TIMER] & APIC_LVT_TIMER_MODE_MASK) >>
           APIC_LVT_TIMER_MODE_SHIFT;
}

/* TDCR bits 3,1:0 select divide by 2, 4, ... 128, or 1 for 0b111.
 * See: SDM 3A 11.5.4 Figure 11-10 "Divide Configuration Register". */
static uint64_t tdcr_divisor(uint32_t tdcr)
{
    unsigned v = (tdcr & 3) | ((tdcr & 8) >> 1);
    return v == 7 ? 1 : 2ULL << v;
}

/* Length of one count of the timer, in ns. */
static uint64_t tick_ns(const struct vlapic *l)
{
    return tdcr_divisor(l->tdcr) * VLAPIC_NS_PER_TICK;
}

static void disarm(struct vlapic *l)
{
    l->timer_armed = false;
    l->timer_period_ns = 0;
}

/* Start counting `count` ticks down from now (one-shot or periodic). */
static void arm_count(struct vlapic *l, uint64_t count, uint64_t now_ns)
{
    uint64_t len = count * tick_ns(l);
    if (timer_mode(l) == APIC_TIMER_PERIODIC) {
        if (len < VLAPIC_MIN_PERIOD_NS) {
            log_once(LOG_INFO, "vlapic: timer period %llu ns raised to %llu",
                     (unsigned long long)len,
                     (unsigned long long)VLAPIC_MIN_PERIOD_NS);
            len = VLAPIC_MIN_PERIOD_NS;
        }
        l->timer_period_ns = len;
    } else {
        l->timer_period_ns = 0;
    }
    l->timer_deadline_ns = now_ns + len;
    l->timer_armed = true;
}

/* Guest TSC ticks -> ns, without overflowing for distant deadlines. */
static uint64_t tsc_to_ns(uint64_t ticks)
{
    uint64_t hz = timer_tsc_hz();
    if (!hz)
        return 0;
    uint64_t secs = ticks / hz, rem = ticks % hz;
    if (secs > UINT64_MAX / NS_PER_SEC / 2)
        return UINT64_MAX / 2;          /* "never", but still addable */
    return secs * NS_PER_SEC + rem * NS_PER_SEC / hz;
}

static uint64_t guest_tsc(struct vlapic *l)
{
    if (l->ops && l->ops->guest_tsc)
        return l->ops->guest_tsc(l->ctx);
    return timer_rdtsc();
}

void vlapic_update_timer(struct vlapic *l, uint64_t now_ns)
{
    if (!l->timer_armed || now_ns < l->timer_deadline_ns)
        return;
    /* LAB 6 BEGIN: an expired timer sets its vector in the IRR */
    uint32_t lvt = l->lvt[LVT_TIMER];
    if (!(lvt & APIC_LVT_MASKED))
        vlapic_deliver(l, lvt & APIC_LVT_VECTOR, false);
    /* LAB 6 END */
    switch (timer_mode(l)) {
    case APIC_TIMER_PERIODIC: {
        /* Reload from the missed deadline, not from now, so exit latency
         * does not accumulate; periods missed entirely coalesce into the
         * one IRR bit, as on hardware. */
        uint64_t missed = (now_ns - l->timer_deadline_ns) / l->timer_period_ns;
        l->timer_deadline_ns += (missed + 1) * l->timer_period_ns;
        break;
    }
    case APIC_TIMER_TSC_DEADLINE:
        /* "the timer disarms itself and clears IA32_TSC_DEADLINE". */
        l->tsc_deadline = 0;
        disarm(l);
        break;
    default:
        disarm(l);
        break;
    }
}

int vlapic_next_deadline(struct vlapic *l, uint64_t *ns)
{
    /* A masked timer wakes nobody; its count is brought up to date lazily
     * when read or unmasked. */
    if (!l->timer_armed || (l->lvt[LVT_TIMER] & APIC_LVT_MASKED))
        return -ENOENT;
    *ns = l->timer_deadline_ns;
    return 0;
}

uint32_t vlapic_timer_read_tmcct(struct vlapic *l, uint64_t now_ns)
{
    if (timer_mode(l) == APIC_TIMER_TSC_DEADLINE)
        return 0;                       /* "reads of the current count return 0" */
    vlapic_update_timer(l, now_ns);
    if (!l->timer_armed || now_ns >= l->timer_deadline_ns)
        return 0;
    uint64_t count = (l->timer_deadline_ns - now_ns) / tick_ns(l);
    return count > l->tmict ? l->tmict : (uint32_t)count;
}

void vlapic_timer_write_tmict(struct vlapic *l, uint32_t val, uint64_t now_ns)
{
    /* In TSC-deadline mode "writes to the initial-count register are
     * ignored". */
    if (timer_mode(l) == APIC_TIMER_TSC_DEADLINE)
        return;
    l->tmict = val;
    if (val == 0)
        disarm(l);                      /* writing 0 stops the timer */
    else
        arm_count(l, val, now_ns);
}

void vlapic_timer_write_tdcr(struct vlapic *l, uint32_t val, uint64_t now_ns)
{
    /* A running count keeps its remaining ticks at the new rate. */
    if (l->timer_armed && timer_mode(l) != APIC_TIMER_TSC_DEADLINE) {
        vlapic_update_timer(l, now_ns);
        uint64_t left = l->timer_deadline_ns > now_ns ?
                        (l->timer_deadline_ns - now_ns) / tick_ns(l) : 0;
        l->tdcr = val;
        uint64_t period = l->timer_period_ns;
        l->timer_deadline_ns = now_ns + left * tick_ns(l);
        if (period)
            l->timer_period_ns = MAX((uint64_t)l->tmict * tick_ns(l),
                                     VLAPIC_MIN_PERIOD_NS);
        return;
    }
    l->tdcr = val;
}

void vlapic_timer_write_lvt(struct vlapic *l, uint32_t val, uint64_t now_ns)
{
    /* Settle an expiry that happened under the old (maybe masked) entry
     * first, so unmasking does not raise a stale interrupt. */
    vlapic_update_timer(l, now_ns);
    uint32_t old_mode = timer_mode(l);
    l->lvt[LVT_TIMER] = val;
    if (timer_mode(l) != old_mode) {
        /* A mode change disarms the timer (SDM 3A 11.5.4.1: "a transition
         * ... to or from TSC-deadline mode disarms the timer"; KVM does the
         * same between one-shot and periodic). */
        l->tmict = 0;
        l->tsc_deadline = 0;
        disarm(l);
    }
}

uint64_t vlapic_timer_read_deadline(struct vlapic *l)
{
    /* "In other timer modes, IA32_TSC_DEADLINE reads zero". */
    if (timer_mode(l) != APIC_TIMER_TSC_DEADLINE)
        return 0;
    return l->tsc_deadline;
}

void vlapic_timer_write_deadline(struct vlapic *l, uint64_t tsc,
                                 uint64_t now_ns)
{
    /* ... "and writes are ignored". */
    if (timer_mode(l) != APIC_TIMER_TSC_DEADLINE)
        return;
    l->tsc_deadline = tsc;
    if (tsc == 0) {
        disarm(l);                      /* writing 0 disarms */
        return;
    }
    uint64_t now_tsc = guest_tsc(l);
    l->timer_deadline_ns = now_ns + (tsc > now_tsc ? tsc_to_ns(tsc - now_tsc) : 0);
    l->timer_period_ns = 0;
    l->timer_armed = true;
    vlapic_update_timer(l, now_ns);     /* a past deadline fires at once */
}
