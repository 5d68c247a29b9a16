/* Virtual local APIC register file: the xAPIC page (MMIO), the x2APIC MSRs
 * and IA32_APIC_BASE. Intel SDM Volume 3A (Order 325384-080), 11.4 "Local
 * APIC" and 11.12 "Extended XAPIC (x2APIC)". */
#include "drivers/timer.h"
#include "hv/dev/bus.h"
#include "hv/dev/vlapic.h"
#include "lib/errno.h"
#include "lib/log.h"

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
/* x2APIC ICR bits that are reserved (#GP if set): 12-13, 16-17, 20-31.
 * See: SDM 3A 11.12.9 "ICR Operation in x2APIC Mode". */
#define ICR_X2APIC_RESERVED 0xFFF33000u

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
        *val = vlapic_timer_read_tmcct(l, timer_now_ns());
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
        uint64_t now = timer_now_ns();
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
        vlapic_timer_write_lvt(l, val, timer_now_ns());
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
        l->dfr = (val & APIC_DFR_MODEL_MASK) | ~APIC_DFR_MODEL_MASK;
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
        vlapic_timer_write_tmict(l, val, timer_now_ns());
        return 0;
    case APIC_REG_TDCR:
        if (x2 && (val & ~TDCR_WRITABLE))
            return -EINVAL;
        vlapic_timer_write_tdcr(l, val & TDCR_WRITABLE, timer_now_ns());
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
    /* Globally disabled (IA32_APIC_BASE.EN = 0), the APIC no longer
     * decodes its page (SDM 3A 11.4.3 "Enabling or Disabling the Local
     * APIC"): the access reaches no device, so the read floats to
     * all-ones, whatever its size or offset. */
    if (!vlapic_hw_enabled(l)) {
        *val = bus_all_ones(size);
        return 0;
    }
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
    if (!vlapic_hw_enabled(l))   /* not decoded: the write is dropped */
        return 0;
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
        l->ldr = vlapic_x2apic_ldr(l->id);
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
        vlapic_timer_write_deadline(l, val, timer_now_ns());
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
