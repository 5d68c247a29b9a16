/* Virtual local APIC: state, priorities, acceptance, EOI, destinations and
 * sending IPIs from the ICR. The register file (MMIO and MSRs) is in
 * vlapic_regs.c, the timer in vlapic_timer.c, the routing of messages
 * between LAPICs in irq.c.
 * Intel SDM Volume 3A (Order 325384-080), chapter 11 "Advanced Programmable
 * Interrupt Controller (APIC)". */
#include "hv/dev/vlapic.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/string.h"
#include "mm/heap.h"

/* Priority class of a vector: its upper nibble. See: SDM 3A 11.8.3. */
#define PRIO_CLASS(v) ((uint32_t)(v) & 0xF0u)

/* ---- 256-bit vector sets (IRR, ISR, TMR) ---- */

static void vset_set(uint32_t *s, unsigned v) { s[v >> 5] |= 1u << (v & 31); }
static void vset_clear(uint32_t *s, unsigned v) { s[v >> 5] &= ~(1u << (v & 31)); }
static bool vset_test(const uint32_t *s, unsigned v)
{
    return s[v >> 5] & (1u << (v & 31));
}

/* Highest vector in the set, or -1 if it is empty. */
static int vset_highest(const uint32_t *s)
{
    for (int w = 7; w >= 0; w--)
        if (s[w])
            return w * 32 + 31 - __builtin_clz(s[w]);
    return -1;
}

/* ---- modes ---- */

bool vlapic_hw_enabled(const struct vlapic *l)
{
    return l->apic_base & APIC_BASE_EN;
}

bool vlapic_sw_enabled(const struct vlapic *l)
{
    return vlapic_hw_enabled(l) && (l->svr & APIC_SVR_ENABLE);
}

bool vlapic_x2apic_mode(const struct vlapic *l)
{
    return vlapic_hw_enabled(l) && (l->apic_base & APIC_BASE_EXTD);
}

/* The x2APIC logical ID is derived from the x2APIC ID: cluster in bits
 * 31:16, one bit of 16 in bits 15:0. See: SDM 3A 11.12.10.2 "Deriving
 * Logical x2APIC ID from the Local x2APIC ID". */
uint32_t vlapic_x2apic_ldr(uint32_t id)
{
    return ((id >> 4) << 16) | (1u << (id & 0xF));
}

/* ---- creation and reset ---- */

void vlapic_reset(struct vlapic *l, bool init_only)
{
    if (!init_only)
        l->apic_base = APIC_DEFAULT_BASE | APIC_BASE_EN |
                       (l->id == 0 ? APIC_BASE_BSP : 0);
    l->tpr = 0;
    l->dfr = APIC_DFR_FLAT;
    l->ldr = (l->apic_base & APIC_BASE_EXTD) ? vlapic_x2apic_ldr(l->id) : 0;
    l->svr = APIC_SVR_VECTOR;
    memset(l->isr, 0, sizeof(l->isr));
    memset(l->tmr, 0, sizeof(l->tmr));
    memset(l->irr, 0, sizeof(l->irr));
    l->esr = l->esr_pending = 0;
    l->icr_lo = l->icr_hi = 0;
    for (unsigned i = 0; i < LVT_COUNT; i++)
        l->lvt[i] = APIC_LVT_MASKED;
    l->tmict = l->tdcr = 0;
    l->tsc_deadline = 0;
    l->timer_armed = false;
    l->timer_deadline_ns = l->timer_period_ns = 0;
    l->nmi_pending = false;
    if (!init_only) {
        l->init_pending = l->sipi_pending = false;
        l->sipi_vector = 0;
    }
}

struct vlapic *vlapic_create(unsigned id, const struct vlapic_host_ops *ops,
                             void *ctx)
{
    struct vlapic *l = kzalloc(sizeof(*l));
    if (!l)
        return NULL;
    l->id = id;
    l->ops = ops;
    l->ctx = ctx;
    vlapic_reset(l, false);
    return l;
}

static void kick(struct vlapic *l)
{
    if (l->ops && l->ops->kick)
        l->ops->kick(l->ctx);
}

/* ---- priorities ---- */

uint32_t vlapic_ppr(const struct vlapic *l)
{
    int isrv = vset_highest(l->isr);
    uint32_t isr_class = isrv < 0 ? 0 : PRIO_CLASS(isrv);
    return PRIO_CLASS(l->tpr) >= isr_class ? l->tpr : isr_class;
}

/* APR: only read by guests (lowest-priority arbitration happens in the
 * router, which uses the PPR). See: SDM 3A 11.6.2.4. */
uint32_t vlapic_apr(const struct vlapic *l)
{
    int isrv = vset_highest(l->isr), irrv = vset_highest(l->irr);
    uint32_t isr_class = isrv < 0 ? 0 : PRIO_CLASS(isrv);
    uint32_t irr_class = irrv < 0 ? 0 : PRIO_CLASS(irrv);
    if (PRIO_CLASS(l->tpr) >= irr_class && PRIO_CLASS(l->tpr) > isr_class)
        return l->tpr;
    return MAX(PRIO_CLASS(l->tpr), MAX(isr_class, irr_class));
}

int vlapic_pending_vector(struct vlapic *l)
{
    if (!vlapic_hw_enabled(l))
        return -1;
    int v = vset_highest(l->irr);
    if (v < 0 || PRIO_CLASS(v) <= PRIO_CLASS(vlapic_ppr(l)))
        return -1;
    return v;
}

void vlapic_accept(struct vlapic *l, uint8_t vector)
{
    vset_clear(l->irr, vector);
    vset_set(l->isr, vector);
}

bool vlapic_has_pending_wakeup(struct vlapic *l)
{
    return vlapic_pending_vector(l) >= 0 || l->nmi_pending ||
           l->init_pending || l->sipi_pending;
}

bool vlapic_accepts_pic(const struct vlapic *l)
{
    if (!vlapic_hw_enabled(l))
        return true;
    uint32_t lint0 = l->lvt[LVT_LINT0];
    return !(lint0 & APIC_LVT_MASKED) &&
           ((lint0 & APIC_LVT_DM_MASK) >> APIC_LVT_DM_SHIFT) == APIC_DM_EXTINT;
}

/* ---- acceptance ---- */

/* Record an error; an unmasked LVT error entry raises its vector. See:
 * SDM 3A 11.5.3 "Error Handling". */
void vlapic_error(struct vlapic *l, uint32_t esr_bit)
{
    l->esr_pending |= esr_bit;
    uint32_t lvt = l->lvt[LVT_ERROR];
    uint8_t v = lvt & APIC_LVT_VECTOR;
    if (!(lvt & APIC_LVT_MASKED) && v >= APIC_MIN_VECTOR &&
        vlapic_sw_enabled(l)) {
        vset_set(l->irr, v);
        vset_clear(l->tmr, v);
        kick(l);
    }
}

bool vlapic_deliver(struct vlapic *l, uint8_t vector, bool level)
{
    if (!vlapic_sw_enabled(l))
        return false;
    if (vector < APIC_MIN_VECTOR) {
        vlapic_error(l, APIC_ESR_RECV_ILLEGAL_VECTOR);
        return false;
    }
    vset_set(l->irr, vector);
    if (level)
        vset_set(l->tmr, vector);
    else
        vset_clear(l->tmr, vector);
    kick(l);
    return true;
}

bool vlapic_deliver_irq(struct vlapic *l, const struct apic_irq *irq)
{
    if (!vlapic_hw_enabled(l))
        return false;
    switch (irq->delivery) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWEST:
        return vlapic_deliver(l, irq->vector, irq->level);
    case APIC_DM_NMI:
        l->nmi_pending = true;
        break;
    case APIC_DM_INIT:
        /* "INIT level de-assert" only synchronised arbitration IDs on old
         * CPUs; it does nothing since the Pentium 4 (SDM 3A 11.6.1). */
        if (!irq->assert && irq->level)
            return false;
        l->init_pending = true;
        l->sipi_pending = false;   /* an older SIPI is stale now */
        break;
    case APIC_DM_STARTUP:
        l->sipi_pending = true;
        l->sipi_vector = irq->vector;
        break;
    default:
        log_once(LOG_WARN, "vlapic %u: delivery mode %u not supported",
                 l->id, irq->delivery);
        return false;
    }
    kick(l);
    return true;
}

bool vlapic_take_nmi(struct vlapic *l)
{
    bool was = l->nmi_pending;
    l->nmi_pending = false;
    return was;
}

bool vlapic_nmi_pending(const struct vlapic *l)
{
    return l->nmi_pending;
}

bool vlapic_take_init(struct vlapic *l)
{
    if (!l->init_pending)
        return false;
    l->init_pending = false;
    vlapic_reset(l, true);
    return true;
}

bool vlapic_take_sipi(struct vlapic *l, uint8_t *vector)
{
    if (!l->sipi_pending)
        return false;
    l->sipi_pending = false;
    *vector = l->sipi_vector;
    return true;
}

/* ---- EOI ---- */

/* End the highest in-service interrupt; a level-triggered one (TMR set)
 * is also ended at the IOAPIC. An EOI with nothing in service does
 * nothing. See: SDM 3A 11.8.5 "Signaling Interrupt Servicing Completion". */
void vlapic_eoi(struct vlapic *l)
{
    int v = vset_highest(l->isr);
    if (v < 0)
        return;
    vset_clear(l->isr, v);
    if (vset_test(l->tmr, v) && l->ops && l->ops->eoi_level)
        l->ops->eoi_level(l->ctx, (uint8_t)v);
}

bool vlapic_eoi_deferrable(const struct vlapic *l)
{
    int v = vset_highest(l->isr);
    return v >= 0 && vset_highest(l->irr) < 0 && !vset_test(l->tmr, v);
}

/* ---- destinations ---- */

bool vlapic_match_dest(const struct vlapic *l, const struct apic_irq *irq)
{
    if (!vlapic_hw_enabled(l))
        return false;
    bool x2 = vlapic_x2apic_mode(l);
    uint32_t bcast = irq->x2apic ? APIC_BROADCAST_X2APIC : APIC_BROADCAST_XAPIC;
    if (irq->dest == bcast)
        return true;
    if (!irq->logical)
        return irq->dest == l->id;
    if (x2) {
        /* Cluster in bits 31:16 must match, then any of the 16 bits. */
        uint32_t ldr = vlapic_x2apic_ldr(l->id);
        return (irq->dest >> 16) == (ldr >> 16) &&
               (irq->dest & ldr & 0xFFFF) != 0;
    }
    uint8_t dest = irq->dest & 0xFF, logical_id = l->ldr >> 24;
    if ((l->dfr & APIC_DFR_MODEL_MASK) == APIC_DFR_MODEL_MASK)     /* flat model */
        return (dest & logical_id) != 0;
    /* Cluster model: cluster in bits 7:4, member bits in 3:0. */
    return (dest >> 4) == (logical_id >> 4) && (dest & logical_id & 0xF);
}

/* ---- IPIs ---- */

/* Send what the guest wrote to the ICR. dest is the destination field
 * (8 bits in xAPIC, 32 in x2APIC). See: SDM 3A 11.6.1. */
void vlapic_send_icr(struct vlapic *l, uint32_t lo, uint32_t dest,
                            bool x2)
{
    struct apic_irq irq = {
        .dest = dest,
        .vector = lo & APIC_ICR_VECTOR,
        .delivery = (lo & APIC_ICR_DM_MASK) >> APIC_ICR_DM_SHIFT,
        .shorthand = (lo & APIC_ICR_SH_MASK) >> APIC_ICR_SH_SHIFT,
        .logical = lo & APIC_ICR_LOGICAL,
        .level = lo & APIC_ICR_LEVEL,
        .assert = lo & APIC_ICR_ASSERT,
        .x2apic = x2,
    };
    if ((irq.delivery == APIC_DM_FIXED || irq.delivery == APIC_DM_LOWEST) &&
        irq.vector < APIC_MIN_VECTOR) {
        vlapic_error(l, APIC_ESR_SEND_ILLEGAL_VECTOR);
        return;
    }
    if (irq.shorthand == APIC_SH_SELF) {
        vlapic_deliver_irq(l, &irq);
        return;
    }
    if (l->ops && l->ops->send_ipi) {
        l->ops->send_ipi(l->ctx, l->id, &irq);
        return;
    }
    /* No VM router (a lone LAPIC): deliver to ourselves if named. */
    if (irq.shorthand == APIC_SH_ALL_INCL ||
        (irq.shorthand == APIC_SH_NONE && vlapic_match_dest(l, &irq)))
        vlapic_deliver_irq(l, &irq);
}

