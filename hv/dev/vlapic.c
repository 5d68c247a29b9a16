/* Virtual local APIC: the register file (xAPIC MMIO and x2APIC MSRs),
 * priorities, acceptance and EOI, and sending IPIs from the ICR. The timer
 * is in vlapic_timer.c, the routing of messages between LAPICs in irq.c.
 * Intel SDM Volume 3A (Order 325384-080), chapter 11 "Advanced Programmable
 * Interrupt Controller (APIC)". */
#include "hv/dev/vlapic.h"
#include "hv/errno.h"
#include "hv/heap.h"
#include "hv/lib/string.h"
#include "hv/log.h"
#include "hv/platform.h"

/* Priority class of a vector: its upper nibble. See: SDM 3A 11.8.3. */
#define PRIO_CLASS(v) ((uint32_t)(v) & 0xF0u)

/* Bits a guest may set in each LVT entry; the rest are reserved or
 * read-only. See: SDM 3A 11.5.1 Figure 11-8. */
static const uint32_t lvt_writable[LVT_COUNT] = {
    [LVT_TIMER] = APIC_LVT_VECTOR | APIC_LVT_MASKED | APIC_LVT_TIMER_MODE_MASK,
    [LVT_THERMAL] = APIC_LVT_VECTOR | APIC_LVT_DM_MASK | APIC_LVT_MASKED,
    [LVT_PMC] = APIC_LVT_VECTOR | APIC_LVT_DM_MASK | APIC_LVT_MASKED,
    [LVT_LINT0] = APIC_LVT_VECTOR | APIC_LVT_DM_MASK | APIC_LVT_POLARITY |
                  APIC_LVT_LEVEL | APIC_LVT_MASKED,
    [LVT_LINT1] = APIC_LVT_VECTOR | APIC_LVT_DM_MASK | APIC_LVT_POLARITY |
                  APIC_LVT_LEVEL | APIC_LVT_MASKED,
    [LVT_ERROR] = APIC_LVT_VECTOR | APIC_LVT_MASKED,
};

#define TPR_WRITABLE  0xFFu
#define SVR_WRITABLE  (APIC_SVR_VECTOR | APIC_SVR_ENABLE | APIC_SVR_FOCUS_OFF)
#define TDCR_WRITABLE 0xBu          /* bits 0, 1 and 3 */
#define LDR_XAPIC_WRITABLE 0xFF000000u
#define DFR_MODEL_MASK 0xF0000000u
/* x2APIC ICR bits that are reserved (#GP if set): 12-13, 16-17, 20-31.
 * See: SDM 3A 11.12.9 "ICR Operation in x2APIC Mode". */
#define ICR_X2APIC_RESERVED 0xFFF33000u

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
static uint32_t x2apic_ldr(uint32_t id)
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
    l->ldr = (l->apic_base & APIC_BASE_EXTD) ? x2apic_ldr(l->id) : 0;
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
static uint32_t vlapic_apr(const struct vlapic *l)
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
static void vlapic_error(struct vlapic *l, uint32_t esr_bit)
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
static void vlapic_eoi(struct vlapic *l)
{
    int v = vset_highest(l->isr);
    if (v < 0)
        return;
    vset_clear(l->isr, v);
    if (vset_test(l->tmr, v) && l->ops && l->ops->eoi_level)
        l->ops->eoi_level(l->ctx, (uint8_t)v);
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
        uint32_t ldr = x2apic_ldr(l->id);
        return (irq->dest >> 16) == (ldr >> 16) &&
               (irq->dest & ldr & 0xFFFF) != 0;
    }
    uint8_t dest = irq->dest & 0xFF, logical_id = l->ldr >> 24;
    if ((l->dfr & DFR_MODEL_MASK) == DFR_MODEL_MASK)     /* flat model */
        return (dest & logical_id) != 0;
    /* Cluster model: cluster in bits 7:4, member bits in 3:0. */
    return (dest >> 4) == (logical_id >> 4) && (dest & logical_id & 0xF);
}

/* ---- IPIs ---- */

/* Send what the guest wrote to the ICR. dest is the destination field
 * (8 bits in xAPIC, 32 in x2APIC). See: SDM 3A 11.6.1. */
static void vlapic_send_icr(struct vlapic *l, uint32_t lo, uint32_t dest,
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

/* ---- the register file ---- */

/* Read the 32-bit register at offset (bytes in the xAPIC page). x2 says
 * the access came through an x2APIC MSR. Returns 0, or -EINVAL for a
 * register that does not exist (or is write-only) in the current mode. */
static int reg_read(struct vlapic *l, uint32_t offset, bool x2, uint32_t *val)
{
    if (offset >= APIC_REG_ISR && offset < APIC_REG_ESR) {
        unsigned idx = (offset - APIC_REG_ISR) >> 4;   /* 0..23 */
        const uint32_t *set = idx < 8 ? l->isr : idx < 16 ? l->tmr : l->irr;
        *val = set[idx & 7];
        return 0;
    }
    if (offset >= APIC_LVT_TIMER && offset <= APIC_LVT_ERROR) {
        *val = l->lvt[(offset - APIC_LVT_TIMER) >> 4];
        return 0;
    }
    switch (offset) {
    case APIC_REG_ID:
        *val = x2 ? l->id : l->id << 24;
        return 0;
    case APIC_REG_VERSION:
        *val = APIC_VERSION_VALUE;
        return 0;
    case APIC_REG_TPR:
        *val = l->tpr;
        return 0;
    case APIC_REG_APR:
        if (x2)
            return -EINVAL;
        *val = vlapic_apr(l);
        return 0;
    case APIC_REG_PPR:
        *val = vlapic_ppr(l);
        return 0;
    case APIC_REG_EOI:          /* write-only; xAPIC reads return 0 */
    case APIC_REG_RRD:          /* remote read is gone since the P4 */
        if (x2)
            return -EINVAL;
        *val = 0;
        return 0;
    case APIC_REG_LDR:
        *val = l->ldr;
        return 0;
    case APIC_REG_DFR:
        if (x2)
            return -EINVAL;
        *val = l->dfr;
        return 0;
    case APIC_REG_SVR:
        *val = l->svr;
        return 0;
    case APIC_REG_ESR:
        *val = l->esr;
        return 0;
    case APIC_REG_ICR_LO:
        *val = l->icr_lo & ~APIC_ICR_PENDING;   /* sent synchronously */
        return 0;
    case APIC_REG_ICR_HI:
        if (x2)
            return -EINVAL;
        *val = l->icr_hi;
        return 0;
    case APIC_REG_TMICT:
        *val = l->tmict;
        return 0;
    case APIC_REG_TMCCT:
        *val = vlapic_timer_read_tmcct(l, platform_now_ns());
        return 0;
    case APIC_REG_TDCR:
        *val = l->tdcr;
        return 0;
    default:                    /* SELF IPI is write-only; the rest absent */
        return -EINVAL;
    }
}

/* SVR write: clearing the enable bit masks every LVT entry. See: SDM 3A
 * 11.4.7.2 "Local APIC State After It Has Been Software Disabled". */
static void write_svr(struct vlapic *l, uint32_t val)
{
    l->svr = val & SVR_WRITABLE;
    if (!(l->svr & APIC_SVR_ENABLE)) {
        uint64_t now = platform_now_ns();
        for (unsigned i = 0; i < LVT_COUNT; i++) {
            if (i == LVT_TIMER)
                vlapic_timer_write_lvt(l, l->lvt[i] | APIC_LVT_MASKED, now);
            else
                l->lvt[i] |= APIC_LVT_MASKED;
        }
    }
}

static void write_lvt(struct vlapic *l, unsigned idx, uint32_t val)
{
    val &= lvt_writable[idx];
    if (!(l->svr & APIC_SVR_ENABLE))
        val |= APIC_LVT_MASKED;           /* stays masked while disabled */
    if (idx == LVT_TIMER) {
        if ((val & APIC_LVT_TIMER_MODE_MASK) == APIC_LVT_TIMER_MODE_MASK) {
            log_once(LOG_WARN, "vlapic: reserved timer mode 3, using one-shot");
            val &= ~APIC_LVT_TIMER_MODE_MASK;
        }
        vlapic_timer_write_lvt(l, val, platform_now_ns());
        return;
    }
    l->lvt[idx] = val | (l->lvt[idx] & APIC_LVT_REMOTE_IRR);
}

/* Write the 32-bit register at offset. x2 as for reg_read. Returns 0, or
 * -EINVAL for an absent or read-only register, or (x2 only) reserved bits
 * set. In xAPIC mode the caller turns -EINVAL into ESR bit 7 or ignores
 * it, as hardware does. */
static int reg_write(struct vlapic *l, uint32_t offset, bool x2, uint32_t val)
{
    if (offset >= APIC_LVT_TIMER && offset <= APIC_LVT_ERROR) {
        unsigned idx = (offset - APIC_LVT_TIMER) >> 4;
        if (x2 && (val & ~(lvt_writable[idx] | APIC_LVT_PENDING |
                           APIC_LVT_REMOTE_IRR)))
            return -EINVAL;
        write_lvt(l, idx, val);
        return 0;
    }
    switch (offset) {
    case APIC_REG_TPR:
        if (x2 && (val & ~TPR_WRITABLE))
            return -EINVAL;
        l->tpr = val & TPR_WRITABLE;
        return 0;
    case APIC_REG_EOI:
        /* x2APIC: "a non-zero write to the EOI register causes #GP". */
        if (x2 && val)
            return -EINVAL;
        vlapic_eoi(l);
        return 0;
    case APIC_REG_LDR:
        if (x2)
            return -EINVAL;
        l->ldr = val & LDR_XAPIC_WRITABLE;
        return 0;
    case APIC_REG_DFR:
        if (x2)
            return -EINVAL;
        l->dfr = (val & DFR_MODEL_MASK) | ~DFR_MODEL_MASK;
        return 0;
    case APIC_REG_SVR:
        if (x2 && (val & ~SVR_WRITABLE))
            return -EINVAL;
        write_svr(l, val);
        return 0;
    case APIC_REG_ESR:
        /* A write latches the errors seen since the last write, so the
         * guest writes then reads. See: SDM 3A 11.5.3. */
        if (x2 && val)
            return -EINVAL;
        l->esr = l->esr_pending;
        l->esr_pending = 0;
        return 0;
    case APIC_REG_ICR_LO:
        if (x2)
            return -EINVAL;      /* x2APIC ICR is the 64-bit MSR 0x830 */
        l->icr_lo = val;
        vlapic_send_icr(l, val, l->icr_hi >> APIC_ICR_XAPIC_DEST_SHIFT, false);
        return 0;
    case APIC_REG_ICR_HI:
        if (x2)
            return -EINVAL;
        l->icr_hi = val & (0xFFu << APIC_ICR_XAPIC_DEST_SHIFT);
        return 0;
    case APIC_REG_TMICT:
        vlapic_timer_write_tmict(l, val, platform_now_ns());
        return 0;
    case APIC_REG_TDCR:
        if (x2 && (val & ~TDCR_WRITABLE))
            return -EINVAL;
        vlapic_timer_write_tdcr(l, val & TDCR_WRITABLE, platform_now_ns());
        return 0;
    case APIC_REG_SELF_IPI:
        if (!x2 || (val & ~APIC_ICR_VECTOR))
            return -EINVAL;
        vlapic_send_icr(l, (APIC_SH_SELF << APIC_ICR_SH_SHIFT) | val, 0, true);
        return 0;
    case APIC_REG_ID:
        if (!x2)                 /* xAPIC ID is fixed here: logged, kept */
            log_once(LOG_WARN, "vlapic %u: APIC ID write ignored", l->id);
        return x2 ? -EINVAL : 0;
    default:                     /* read-only or absent */
        return -EINVAL;
    }
}

/* ---- xAPIC MMIO ---- */

/* Registers are 32 bits wide on 16-byte boundaries; other accesses are
 * undefined on hardware (SDM 3A 11.4.1), so we log and drop them. MMIO is
 * dead while the APIC is globally disabled or in x2APIC mode (SDM 3A
 * 11.12.1.2: the memory-mapped interface is not available then). */
static bool mmio_ok(struct vlapic *l, uint64_t offset, unsigned size)
{
    if (size != 4 || (offset & 0xF) || offset >= APIC_MMIO_SIZE) {
        log_once(LOG_WARN, "vlapic %u: bad MMIO access size %u offset %#llx",
                 l->id, size, (unsigned long long)offset);
        return false;
    }
    return vlapic_hw_enabled(l) && !vlapic_x2apic_mode(l);
}

int vlapic_mmio_read(void *dev, uint64_t offset, unsigned size, uint64_t *val)
{
    struct vlapic *l = dev;
    uint32_t v = 0;
    *val = 0;
    if (!mmio_ok(l, offset, size))
        return 0;
    if (reg_read(l, (uint32_t)offset, false, &v) < 0)
        vlapic_error(l, APIC_ESR_ILLEGAL_REGISTER);
    *val = v;
    return 0;
}

int vlapic_mmio_write(void *dev, uint64_t offset, unsigned size, uint64_t val)
{
    struct vlapic *l = dev;
    if (!mmio_ok(l, offset, size))
        return 0;
    uint32_t off = (uint32_t)offset;
    /* Writes to read-only registers are ignored; only absent ones are an
     * "illegal register address" error. */
    bool read_only = off == APIC_REG_VERSION || off == APIC_REG_APR ||
                     off == APIC_REG_PPR || off == APIC_REG_RRD ||
                     off == APIC_REG_TMCCT ||
                     (off >= APIC_REG_ISR && off < APIC_REG_ESR);
    if (reg_write(l, off, false, (uint32_t)val) < 0 && !read_only)
        vlapic_error(l, APIC_ESR_ILLEGAL_REGISTER);
    return 0;
}

/* ---- MSRs ---- */

bool vlapic_msr_owned(uint32_t msr)
{
    return msr == MSR_IA32_APIC_BASE || msr == MSR_IA32_TSC_DEADLINE ||
           (msr >= MSR_X2APIC_BASE && msr <= MSR_X2APIC_LAST);
}

/* IA32_APIC_BASE write. The four states are disabled (EN=0, EXTD=0),
 * xAPIC (1,0), x2APIC (1,1) and the invalid (0,1). #GP for reserved bits,
 * the invalid state, x2APIC -> xAPIC and disabled -> x2APIC. See: SDM 3A
 * 11.12.5 "x2APIC State Transitions", Figure 11-28. */
static int write_apic_base(struct vlapic *l, uint64_t val)
{
    const uint64_t writable = APIC_BASE_BSP | APIC_BASE_EXTD | APIC_BASE_EN |
                              APIC_BASE_ADDR_MASK;
    bool en = val & APIC_BASE_EN, extd = val & APIC_BASE_EXTD;
    bool old_en = vlapic_hw_enabled(l), old_x2 = vlapic_x2apic_mode(l);
    if (val & ~writable)
        return -EINVAL;
    if (extd && !en)
        return -EINVAL;
    if (old_x2 && en && !extd)
        return -EINVAL;
    if (!old_en && extd)
        return -EINVAL;
    if ((val & APIC_BASE_ADDR_MASK) != APIC_DEFAULT_BASE) {
        /* Linux never moves it; we register the page once, at the default. */
        log_once(LOG_WARN, "vlapic %u: APIC base relocation to %#llx refused",
                 l->id, (unsigned long long)(val & APIC_BASE_ADDR_MASK));
        return -EINVAL;
    }
    /* BSP is a fact about the CPU, not something the guest may change. */
    uint64_t base = (val & ~APIC_BASE_BSP) | (l->apic_base & APIC_BASE_BSP);
    if (old_en && !en) {
        /* Disabling resets the APIC state (SDM 3A 11.4.3). */
        l->apic_base = base;
        vlapic_reset(l, true);
        return 0;
    }
    l->apic_base = base;
    if (!old_x2 && extd)         /* entering x2APIC: ID and LDR derived */
        l->ldr = x2apic_ldr(l->id);
    return 0;
}

int vlapic_rdmsr(struct vlapic *l, uint32_t msr, uint64_t *val)
{
    uint32_t v;
    *val = 0;
    if (msr == MSR_IA32_APIC_BASE) {
        *val = l->apic_base;
        return 0;
    }
    if (msr == MSR_IA32_TSC_DEADLINE) {
        *val = vlapic_timer_read_deadline(l);
        return 0;
    }
    if (msr < MSR_X2APIC_BASE || msr > MSR_X2APIC_LAST)
        return -ENOENT;
    if (!vlapic_x2apic_mode(l))
        return -EINVAL;
    if (msr == MSR_X2APIC_ICR) {
        *val = ((uint64_t)l->icr_hi << 32) | (l->icr_lo & ~APIC_ICR_PENDING);
        return 0;
    }
    int err = reg_read(l, (msr - MSR_X2APIC_BASE) << 4, true, &v);
    if (err)
        return err;
    *val = v;
    return 0;
}

int vlapic_wrmsr(struct vlapic *l, uint32_t msr, uint64_t val)
{
    if (msr == MSR_IA32_APIC_BASE)
        return write_apic_base(l, val);
    if (msr == MSR_IA32_TSC_DEADLINE) {
        vlapic_timer_write_deadline(l, val, platform_now_ns());
        return 0;
    }
    if (msr < MSR_X2APIC_BASE || msr > MSR_X2APIC_LAST)
        return -ENOENT;
    if (!vlapic_x2apic_mode(l))
        return -EINVAL;
    if (msr == MSR_X2APIC_ICR) {
        uint32_t lo = (uint32_t)val;
        if (lo & ICR_X2APIC_RESERVED)
            return -EINVAL;
        l->icr_lo = lo;
        l->icr_hi = (uint32_t)(val >> 32);
        vlapic_send_icr(l, lo, l->icr_hi, true);
        return 0;
    }
    if (val >> 32)               /* only the ICR is 64 bits wide */
        return -EINVAL;
    return reg_write(l, (msr - MSR_X2APIC_BASE) << 4, true, (uint32_t)val);
}
