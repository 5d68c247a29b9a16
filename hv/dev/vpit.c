/* Virtual 8254 PIT and port 0x61 (hv/dev/vpit.h).
 * Intel 82C54 datasheet, order 231244-006. Mode descriptions below quote
 * its "Mode Definitions"; "N" is the count written, "e" the ticks counted
 * since the counting element was loaded. */
#include "drivers/timer.h"
#include "hv/dev/vpit.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/string.h"
#include "mm/heap.h"

#define NS_PER_SEC 1000000000ULL
#define COUNT_WRAP 65536ULL          /* the counter is 16 bits */

/* ns -> whole PIT ticks (floor), split so it never overflows. */
static uint64_t ns_to_ticks(uint64_t ns)
{
    return ns / NS_PER_SEC * PIT_HZ + ns % NS_PER_SEC * PIT_HZ / NS_PER_SEC;
}

/* PIT ticks -> ns (ceiling), so ns_to_ticks(ticks_to_ns(t)) >= t. */
static uint64_t ticks_to_ns(uint64_t t)
{
    return t / PIT_HZ * NS_PER_SEC +
           (t % PIT_HZ * NS_PER_SEC + PIT_HZ - 1) / PIT_HZ;
}

struct vpit *vpit_create(isa_irq_fn set_irq, void *ctx)
{
    struct vpit *pit = kzalloc(sizeof(*pit));
    if (!pit)
        return NULL;
    pit->set_irq = set_irq;
    pit->ctx = ctx;
    vpit_reset(pit);
    return pit;
}

void vpit_reset(struct vpit *pit)
{
    isa_irq_fn set_irq = pit->set_irq;
    void *ctx = pit->ctx;
    memset(pit, 0, sizeof(*pit));
    for (unsigned i = 0; i < PIT_CHANNELS; i++) {
        pit->ch[i].gate = i != 2;    /* gates 0 and 1 are tied high */
        pit->ch[i].reload = COUNT_WRAP;
    }
    pit->set_irq = set_irq;
    pit->ctx = ctx;
}

/* Modes in which a low gate suspends counting (0, 4) or stops it and holds
 * OUT high until the next rising gate reloads (2, 3). */
static bool gate_pauses(unsigned mode) { return mode != 1 && mode != 5; }
/* Modes in which a rising gate (re)starts the count from N. */
static bool gate_triggers(unsigned mode) { return mode == 1 || mode == 2 ||
                                                  mode == 3 || mode == 5; }

static bool running(const struct pit_channel *c)
{
    return c->counting && (c->gate || !gate_pauses(c->mode));
}

/* Ticks counted since the counting element was loaded. */
static uint64_t elapsed(const struct pit_channel *c, uint64_t now)
{
    uint64_t e = c->ticks_before;
    if (running(c) && now > c->start_ns)
        e += ns_to_ticks(now - c->start_ns);
    return e;
}

static void start(struct pit_channel *c, uint64_t now)
{
    c->counting = true;
    c->ticks_before = 0;
    c->start_ns = now;
    c->edges_sent = 0;
}

/* The count the counter holds now. */
static uint16_t count_now(const struct pit_channel *c, uint64_t now)
{
    uint64_t n = c->reload, e = elapsed(c, now);
    if (!c->counting)
        return (uint16_t)n;
    switch (c->mode) {
    case 2:                          /* N, N-1, ... 1, reload */
        return (uint16_t)(n - e % n);
    case 3:                          /* by twos, twice per period */
        return (uint16_t)(n - (2 * e) % n);
    default:                         /* 0, 1, 4, 5: count on through 0 */
        return (uint16_t)((n - e % COUNT_WRAP + COUNT_WRAP) % COUNT_WRAP);
    }
}

/* The OUT pin now. */
static bool out_now(const struct pit_channel *c, uint64_t now)
{
    uint64_t n = c->reload, e = elapsed(c, now);
    switch (c->mode) {
    case 0:   /* "OUT is initially low and will remain low until the
                 Counter reaches zero. OUT then goes high" */
    case 1:   /* low from the trigger until terminal count */
        return c->counting ? e >= n : c->mode == 1;
    case 2:   /* low for one clock when the count reaches 1 */
        if (!c->counting || !c->gate)
            return true;
        return e % n != n - 1;
    case 3:   /* high for the first half of N, low for the rest */
        if (!c->counting || !c->gate)
            return true;
        return e % n < (n + 1) / 2;
    default:  /* 4, 5: low for one clock at terminal count */
        return !c->counting || e != n;
    }
}

/* Rising OUT edges since counting started (the IRQ0 events). */
static uint64_t edges(const struct pit_channel *c, uint64_t now)
{
    if (!c->counting)
        return 0;
    uint64_t e = elapsed(c, now);
    if (c->mode == 2 || c->mode == 3)
        return e / c->reload;
    return e >= c->reload ? 1 : 0;
}

/* A full count arrived: modes 0, 2, 3, 4 start counting at once (a new
 * count in mode 2 or 3 should wait for the period's end; restarting now
 * only shifts the phase); modes 1 and 5 wait for a gate trigger. */
static void load_count(struct pit_channel *c, uint32_t val, uint64_t now)
{
    c->reload = val ? val : COUNT_WRAP;
    c->loaded = true;
    if (gate_triggers(c->mode) && c->mode != 2 && c->mode != 3)
        c->counting = false;
    else
        start(c, now);
}

static void write_counter(struct pit_channel *c, uint8_t val, uint64_t now)
{
    switch (c->access) {
    case PIT_RW_LSB:
        load_count(c, val, now);
        break;
    case PIT_RW_MSB:
        load_count(c, (uint32_t)val << 8, now);
        break;
    default:
        if (!c->write_msb_next) {
            c->write_lsb = val;
            c->write_msb_next = true;
            /* Mode 0: "writing the first byte disables counting". */
            if (c->mode == 0)
                c->counting = false;
        } else {
            c->write_msb_next = false;
            load_count(c, c->write_lsb | ((uint32_t)val << 8), now);
        }
        break;
    }
}

static uint8_t read_counter(struct pit_channel *c, uint64_t now)
{
    if (c->status_latched) {         /* status comes before a latched count */
        c->status_latched = false;
        return c->status;
    }
    uint16_t count = c->count_latched ? c->latch : count_now(c, now);
    uint8_t byte;
    switch (c->access) {
    case PIT_RW_LSB:
        byte = (uint8_t)count;
        c->count_latched = false;
        break;
    case PIT_RW_MSB:
        byte = (uint8_t)(count >> 8);
        c->count_latched = false;
        break;
    default:
        byte = c->read_msb_next ? (uint8_t)(count >> 8) : (uint8_t)count;
        if (c->read_msb_next)
            c->count_latched = false;
        c->read_msb_next = !c->read_msb_next;
        break;
    }
    return byte;
}

/* "Subsequent latch commands are ignored until the count is read." */
static void latch_count(struct pit_channel *c, uint64_t now)
{
    if (c->count_latched)
        return;
    c->latch = count_now(c, now);
    c->count_latched = true;
    c->read_msb_next = false;
}

static void latch_status(struct pit_channel *c, uint64_t now)
{
    if (c->status_latched)
        return;
    bool null_count = !c->loaded || !c->counting;
    c->status = (c->ctrl & PIT_CW_STATUS_BITS) |
                (out_now(c, now) ? PIT_STATUS_OUT : 0) |
                (null_count ? PIT_STATUS_NULL : 0);
    c->status_latched = true;
}

static void write_control(struct vpit *pit, uint8_t val, uint64_t now)
{
    unsigned sc = val >> PIT_CW_SC_SHIFT;
    if (sc == PIT_CW_READBACK) {
        for (unsigned i = 0; i < PIT_CHANNELS; i++) {
            if (!(val & (1u << (i + PIT_RB_CNT_SHIFT))))
                continue;
            if (!(val & PIT_RB_NO_COUNT))
                latch_count(&pit->ch[i], now);
            if (!(val & PIT_RB_NO_STATUS))
                latch_status(&pit->ch[i], now);
        }
        return;
    }
    struct pit_channel *c = &pit->ch[sc];
    unsigned access = (val & PIT_CW_RW_MASK) >> PIT_CW_RW_SHIFT;
    if (access == PIT_RW_LATCH) {
        latch_count(c, now);
        return;
    }
    if (val & PIT_CW_BCD)
        log_once(LOG_WARN, "vpit: BCD counting not supported, counting binary");
    c->ctrl = val & PIT_CW_STATUS_BITS;
    c->access = access;
    c->mode = (val & PIT_CW_MODE_MASK) >> PIT_CW_MODE_SHIFT;
    if (c->mode > 5)
        c->mode -= 4;                /* 6 and 7 are aliases of 2 and 3 */
    /* A control word resets the counter: OUT to its initial state, no
     * count, no latches, fresh byte toggles. */
    c->loaded = c->counting = false;
    c->count_latched = c->status_latched = false;
    c->write_msb_next = c->read_msb_next = false;
    c->ticks_before = 0;
    c->edges_sent = 0;
}

/* Counter 2's gate from port 0x61. */
static void set_gate(struct pit_channel *c, bool gate, uint64_t now)
{
    if (gate == c->gate)
        return;
    if (!gate) {
        c->ticks_before = elapsed(c, now);
        c->gate = false;
        return;
    }
    c->gate = true;
    if (c->loaded && gate_triggers(c->mode))
        start(c, now);               /* rising gate: reload and count */
    else
        c->start_ns = now;           /* modes 0, 4: resume */
}

static bool byte_ok(unsigned size)
{
    if (size == 1)
        return true;
    log_once(LOG_WARN, "vpit: %u-byte access ignored", size);
    return false;
}

int vpit_read(void *dev, uint64_t offset, unsigned size, uint64_t *val)
{
    struct vpit *pit = dev;
    *val = 0xFF;
    if (!byte_ok(size) || offset >= PIT_REG_CONTROL)
        return 0;                    /* the control word is write-only */
    *val = read_counter(&pit->ch[offset], timer_now_ns());
    return 0;
}

int vpit_write(void *dev, uint64_t offset, unsigned size, uint64_t val)
{
    struct vpit *pit = dev;
    uint64_t now = timer_now_ns();
    if (!byte_ok(size) || offset >= PIT_PORTS)
        return 0;
    if (offset == PIT_REG_CONTROL)
        write_control(pit, (uint8_t)val, now);
    else
        write_counter(&pit->ch[offset], (uint8_t)val, now);
    vpit_update(pit, now);
    return 0;
}

int vpit_sysctl_read(void *dev, uint64_t offset, unsigned size, uint64_t *val)
{
    struct vpit *pit = dev;
    uint64_t now = timer_now_ns();
    (void)offset;                    /* a one-port range */
    *val = 0xFF;
    if (!byte_ok(size))
        return 0;
    uint8_t v = pit->sysctl & SYSCTL_WRITABLE;
    if ((now / SYSCTL_REFRESH_NS) & 1)
        v |= SYSCTL_REFRESH;
    if (out_now(&pit->ch[2], now))
        v |= SYSCTL_OUT2;
    *val = v;
    return 0;
}

int vpit_sysctl_write(void *dev, uint64_t offset, unsigned size, uint64_t val)
{
    struct vpit *pit = dev;
    (void)offset;
    if (!byte_ok(size))
        return 0;
    pit->sysctl = (uint8_t)val & SYSCTL_WRITABLE;
    set_gate(&pit->ch[2], val & SYSCTL_GATE2, timer_now_ns());
    return 0;
}

int vpit_next_deadline(struct vpit *pit, uint64_t *ns)
{
    const struct pit_channel *c = &pit->ch[0];
    if (!running(c))
        return -ENOENT;
    bool periodic = c->mode == 2 || c->mode == 3;
    if (!periodic && c->edges_sent)
        return -ENOENT;              /* one-shot modes rise once */
    uint64_t target = periodic ? (c->edges_sent + 1) * c->reload : c->reload;
    uint64_t left = target > c->ticks_before ? target - c->ticks_before : 0;
    *ns = c->start_ns + ticks_to_ns(left);
    return 0;
}

void vpit_update(struct vpit *pit, uint64_t now_ns)
{
    struct pit_channel *c = &pit->ch[0];
    uint64_t n = edges(c, now_ns);
    if (n <= c->edges_sent)
        return;
    c->edges_sent = n;
    if (pit->set_irq) {
        pit->set_irq(pit->ctx, PIT_IRQ, true);
        pit->set_irq(pit->ctx, PIT_IRQ, false);
    }
}
