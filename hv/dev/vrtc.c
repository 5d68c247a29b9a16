/* Virtual MC146818A RTC and CMOS RAM (hv/dev/vrtc.h).
 * Motorola MC146818A datasheet; PIIX4 datasheet 4.5. */
#include "drivers/timer.h"
#include "hv/dev/vrtc.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/string.h"
#include "mm/heap.h"

#define NS_PER_SEC   1000000000ULL
#define SECS_PER_DAY 86400ULL
#define EPOCH_YEAR   1970
#define EPOCH_WDAY   4               /* 1970-01-01 was a Thursday */
#define OSC_HZ       32768ULL        /* time base of the periodic interrupt */

/* ---- calendar ---- */

static bool is_leap(unsigned y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(unsigned y, unsigned m)
{
    static const uint8_t days[12] = {31, 28, 31, 30, 31, 30,
                                     31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

static unsigned days_in_year(unsigned y) { return is_leap(y) ? 366 : 365; }

void rtc_time_from_seconds(uint64_t secs, struct rtc_time *t)
{
    uint64_t days = secs / SECS_PER_DAY, rem = secs % SECS_PER_DAY;
    t->hour = (unsigned)(rem / 3600);
    t->min = (unsigned)(rem / 60 % 60);
    t->sec = (unsigned)(rem % 60);
    t->wday = (unsigned)((days + EPOCH_WDAY) % 7);
    /* Walk whole years, then months: at most a few hundred steps, and
     * plainly right about leap years. */
    unsigned y = EPOCH_YEAR;
    while (days >= days_in_year(y))
        days -= days_in_year(y++);
    unsigned m = 1;
    while (days >= days_in_month(y, m))
        days -= days_in_month(y, m++);
    t->year = y;
    t->month = m;
    t->day = (unsigned)days + 1;
}

int64_t rtc_mktime(const struct rtc_time *t)
{
    if (t->year < EPOCH_YEAR || t->month < 1 || t->month > 12 ||
        t->day < 1 || t->day > days_in_month(t->year, t->month) ||
        t->hour > 23 || t->min > 59 || t->sec > 59)
        return -1;
    uint64_t days = 0;
    for (unsigned y = EPOCH_YEAR; y < t->year; y++)
        days += days_in_year(y);
    for (unsigned m = 1; m < t->month; m++)
        days += days_in_month(t->year, m);
    days += t->day - 1;
    return (int64_t)(days * SECS_PER_DAY + t->hour * 3600 + t->min * 60 +
                     t->sec);
}

/* ---- the clock ---- */

struct vrtc *vrtc_create(isa_irq_fn set_irq, void *ctx)
{
    struct vrtc *rtc = kzalloc(sizeof(*rtc));
    if (!rtc)
        return NULL;
    rtc->set_irq = set_irq;
    rtc->ctx = ctx;
    vrtc_reset(rtc);
    return rtc;
}

void vrtc_reset(struct vrtc *rtc)
{
    isa_irq_fn set_irq = rtc->set_irq;
    void *ctx = rtc->ctx;
    memset(rtc, 0, sizeof(*rtc));
    rtc->ram[RTC_REG_A] = RTC_A_DV_NORMAL | RTC_A_RS_1024HZ;
    rtc->ram[RTC_REG_B] = RTC_B_24H;
    rtc->ram[RTC_REG_D] = RTC_D_VRT;
    rtc->base_wall = timer_wall_seconds();
    rtc->base_ns = timer_now_ns();
    rtc->last_sec = rtc->base_wall;
    rtc->set_irq = set_irq;
    rtc->ctx = ctx;
}

static uint64_t since_base(const struct vrtc *rtc, uint64_t now)
{
    return now > rtc->base_ns ? now - rtc->base_ns : 0;
}

/* The guest's time, whole seconds since 1970. */
static uint64_t guest_secs(const struct vrtc *rtc, uint64_t now)
{
    int64_t s = (int64_t)(rtc->base_wall + since_base(rtc, now) / NS_PER_SEC) +
                rtc->offset_s;
    return s < 0 ? 0 : (uint64_t)s;
}

static bool updates_running(const struct vrtc *rtc)
{
    return !(rtc->ram[RTC_REG_B] & RTC_B_SET) &&
           (rtc->ram[RTC_REG_A] & RTC_A_DV_MASK) == RTC_A_DV_NORMAL;
}

static bool binary(const struct vrtc *rtc)
{
    return rtc->ram[RTC_REG_B] & RTC_B_DM_BINARY;
}

static uint8_t encode(const struct vrtc *rtc, unsigned v)
{
    return binary(rtc) ? (uint8_t)v : (uint8_t)(((v / 10) << 4) | (v % 10));
}

/* A register byte in the current format, or -1 if it is not valid BCD. */
static int decode(const struct vrtc *rtc, uint8_t b)
{
    if (binary(rtc))
        return b;
    if ((b & 0x0F) > 9 || (b >> 4) > 9)
        return -1;
    return (b >> 4) * 10 + (b & 0x0F);
}

static uint8_t encode_hour(const struct vrtc *rtc, unsigned h)
{
    if (rtc->ram[RTC_REG_B] & RTC_B_24H)
        return encode(rtc, h);
    unsigned h12 = h % 12 ? h % 12 : 12;
    return encode(rtc, h12) | (h >= 12 ? RTC_HOUR_PM : 0);
}

static int decode_hour(const struct vrtc *rtc, uint8_t b)
{
    if (rtc->ram[RTC_REG_B] & RTC_B_24H)
        return decode(rtc, b);
    int h12 = decode(rtc, b & ~RTC_HOUR_PM);
    if (h12 < 1 || h12 > 12)
        return -1;
    return h12 % 12 + (b & RTC_HOUR_PM ? 12 : 0);
}

/* Write the time `secs` into the time registers, in the guest's format. */
static void snapshot(struct vrtc *rtc, uint64_t secs)
{
    struct rtc_time t;
    rtc_time_from_seconds(secs, &t);
    rtc->ram[RTC_SECONDS] = encode(rtc, t.sec);
    rtc->ram[RTC_MINUTES] = encode(rtc, t.min);
    rtc->ram[RTC_HOURS] = encode_hour(rtc, t.hour);
    rtc->ram[RTC_DAY_OF_WEEK] = encode(rtc, t.wday + 1);
    rtc->ram[RTC_DAY_OF_MONTH] = encode(rtc, t.day);
    rtc->ram[RTC_MONTH] = encode(rtc, t.month);
    rtc->ram[RTC_YEAR] = encode(rtc, t.year % 100);
    rtc->ram[RTC_CENTURY] = encode(rtc, t.year / 100);
}

/* Take the time registers as the guest's new time. Invalid values are
 * logged and leave the clock as it was. */
static void apply_registers(struct vrtc *rtc, uint64_t now)
{
    int yy = decode(rtc, rtc->ram[RTC_YEAR]);
    int cc = decode(rtc, rtc->ram[RTC_CENTURY]);
    int mon = decode(rtc, rtc->ram[RTC_MONTH]);
    int day = decode(rtc, rtc->ram[RTC_DAY_OF_MONTH]);
    int h = decode_hour(rtc, rtc->ram[RTC_HOURS]);
    int min = decode(rtc, rtc->ram[RTC_MINUTES]);
    int sec = decode(rtc, rtc->ram[RTC_SECONDS]);
    if (cc < 19 || cc > 99)          /* no century set: the PC convention */
        cc = yy >= 0 && yy < 70 ? 20 : 19;
    struct rtc_time t = {
        .year = (unsigned)(cc * 100 + yy), .month = (unsigned)mon,
        .day = (unsigned)day, .hour = (unsigned)h, .min = (unsigned)min,
        .sec = (unsigned)sec,
    };
    int64_t secs = yy < 0 || mon < 0 || day < 0 || h < 0 || min < 0 ||
                   sec < 0 ? -1 : rtc_mktime(&t);
    if (secs < 0) {
        log_once(LOG_WARN, "vrtc: guest set an invalid time, ignored");
        return;
    }
    rtc->offset_s = secs - (int64_t)(rtc->base_wall +
                                     since_base(rtc, now) / NS_PER_SEC);
    rtc->last_sec = (uint64_t)secs;
}

/* ---- flags and interrupts ---- */

/* Periodic interrupt: rate select 3-15 gives 32768 >> (RS - 1) Hz, 1 and
 * 2 repeat 8 and 9 (256, 128 Hz), 0 is off. Returns log2 of the period in
 * 32.768 kHz ticks, or -1. See: MC146818A "Periodic Interrupt Rate". */
static int pf_shift(const struct vrtc *rtc)
{
    unsigned rs = rtc->ram[RTC_REG_A] & RTC_A_RS_MASK;
    if (!rs)
        return -1;
    return (int)(rs < 3 ? rs + 7 : rs) - 1;
}

static uint64_t pf_index(const struct vrtc *rtc, uint64_t now, int shift)
{
    uint64_t d = since_base(rtc, now);
    uint64_t t32 = d / NS_PER_SEC * OSC_HZ + d % NS_PER_SEC * OSC_HZ / NS_PER_SEC;
    return t32 >> shift;
}

static bool alarm_matches(const struct vrtc *rtc)
{
    static const uint8_t pairs[3][2] = {
        {RTC_SECONDS_ALARM, RTC_SECONDS}, {RTC_MINUTES_ALARM, RTC_MINUTES},
        {RTC_HOURS_ALARM, RTC_HOURS},
    };
    for (unsigned i = 0; i < 3; i++) {
        uint8_t a = rtc->ram[pairs[i][0]];
        if ((a & RTC_ALARM_DONT_CARE) != RTC_ALARM_DONT_CARE &&
            a != rtc->ram[pairs[i][1]])
            return false;
    }
    return true;
}

void vrtc_update(struct vrtc *rtc, uint64_t now_ns)
{
    if (updates_running(rtc)) {
        uint64_t sec = guest_secs(rtc, now_ns);
        if (sec != rtc->last_sec) {
            rtc->last_sec = sec;
            rtc->flags |= RTC_C_UF;
            snapshot(rtc, sec);
            if (alarm_matches(rtc))
                rtc->flags |= RTC_C_AF;
        }
    }
    int shift = pf_shift(rtc);
    if (shift >= 0) {
        uint64_t idx = pf_index(rtc, now_ns, shift);
        if (idx != rtc->last_pf) {
            rtc->last_pf = idx;
            rtc->flags |= RTC_C_PF;
        }
    }
    uint8_t b = rtc->ram[RTC_REG_B];
    bool irq = ((rtc->flags & RTC_C_PF) && (b & RTC_B_PIE)) ||
               ((rtc->flags & RTC_C_AF) && (b & RTC_B_AIE)) ||
               ((rtc->flags & RTC_C_UF) && (b & RTC_B_UIE));
    if (irq && !(rtc->flags & RTC_C_IRQF)) {
        rtc->flags |= RTC_C_IRQF;
        if (rtc->set_irq)
            rtc->set_irq(rtc->ctx, RTC_IRQ, true);
    }
}

int vrtc_next_deadline(struct vrtc *rtc, uint64_t *ns)
{
    uint64_t now = timer_now_ns(), best = UINT64_MAX;
    uint8_t b = rtc->ram[RTC_REG_B];
    if (rtc->flags & RTC_C_IRQF)
        return -ENOENT;              /* IRQ8 stays high until C is read */
    if (updates_running(rtc) && (b & (RTC_B_UIE | RTC_B_AIE)))
        best = rtc->base_ns +
               (since_base(rtc, now) / NS_PER_SEC + 1) * NS_PER_SEC;
    int shift = pf_shift(rtc);
    if ((b & RTC_B_PIE) && shift >= 0) {
        uint64_t t = (pf_index(rtc, now, shift) + 1) << shift;
        uint64_t at = rtc->base_ns + t / OSC_HZ * NS_PER_SEC +
                      (t % OSC_HZ * NS_PER_SEC + OSC_HZ - 1) / OSC_HZ;
        best = MIN(best, at);
    }
    if (best == UINT64_MAX)
        return -ENOENT;
    *ns = best;
    return 0;
}

/* ---- registers ---- */

static bool is_time_reg(unsigned idx)
{
    return idx == RTC_SECONDS || idx == RTC_MINUTES || idx == RTC_HOURS ||
           (idx >= RTC_DAY_OF_WEEK && idx <= RTC_YEAR) || idx == RTC_CENTURY;
}

static uint8_t reg_read(struct vrtc *rtc, unsigned idx, uint64_t now)
{
    switch (idx) {
    case RTC_REG_A: {
        /* UIP rises 244 us before each update, which happens on the
         * second; software reading the time waits for it to fall. */
        uint8_t a = rtc->ram[RTC_REG_A];
        if (updates_running(rtc) &&
            since_base(rtc, now) % NS_PER_SEC >= NS_PER_SEC - RTC_UIP_NS)
            a |= RTC_A_UIP;
        return a;
    }
    case RTC_REG_C: {
        vrtc_update(rtc, now);
        uint8_t c = rtc->flags;
        rtc->flags = 0;              /* reading C clears every flag */
        if ((c & RTC_C_IRQF) && rtc->set_irq)
            rtc->set_irq(rtc->ctx, RTC_IRQ, false);
        return c;
    }
    case RTC_REG_D:
        return RTC_D_VRT;
    default:
        if (is_time_reg(idx) && !(rtc->ram[RTC_REG_B] & RTC_B_SET))
            snapshot(rtc, guest_secs(rtc, now));
        return rtc->ram[idx];
    }
}

static void reg_write(struct vrtc *rtc, unsigned idx, uint8_t val,
                      uint64_t now)
{
    uint8_t old_b = rtc->ram[RTC_REG_B];
    switch (idx) {
    case RTC_REG_A: {
        rtc->ram[RTC_REG_A] = val & ~RTC_A_UIP;
        int shift = pf_shift(rtc);
        if (shift >= 0)              /* a new rate starts a new count */
            rtc->last_pf = pf_index(rtc, now, shift);
        if ((val & RTC_A_DV_MASK) != RTC_A_DV_NORMAL)
            log_once(LOG_INFO, "vrtc: divider %#x: updates stop, time "
                     "keeps following the host", val & RTC_A_DV_MASK);
        break;
    }
    case RTC_REG_B:
        if (val & RTC_B_SET)         /* "SET=1 ... clears UIE" */
            val &= ~RTC_B_UIE;
        if ((val & RTC_B_SET) && !(old_b & RTC_B_SET))
            snapshot(rtc, guest_secs(rtc, now));
        if (val & RTC_B_DSE)
            log_once(LOG_WARN, "vrtc: daylight saving (DSE) ignored");
        rtc->ram[RTC_REG_B] = val;
        if (!(val & RTC_B_SET) && (old_b & RTC_B_SET))
            apply_registers(rtc, now);
        break;
    case RTC_REG_C:
    case RTC_REG_D:
        break;                       /* read-only */
    default:
        if (is_time_reg(idx) && !(old_b & RTC_B_SET)) {
            /* Setting one field while running: the others stay current. */
            snapshot(rtc, guest_secs(rtc, now));
            rtc->ram[idx] = val;
            apply_registers(rtc, now);
        } else {
            rtc->ram[idx] = val;     /* alarms, CMOS RAM, frozen time */
        }
        break;
    }
    vrtc_update(rtc, now);
}

int vrtc_read(void *dev, uint64_t offset, unsigned size, uint64_t *val)
{
    struct vrtc *rtc = dev;
    *val = 0xFF;
    if (size != 1 || offset >= RTC_PORTS) {
        log_once(LOG_WARN, "vrtc: %u-byte read ignored", size);
        return 0;
    }
    /* The index port is write-only on real chipsets; reading it back
     * gives the index, which is what most emulators return. */
    *val = offset == 0 ? rtc->index
                       : reg_read(rtc, rtc->index, timer_now_ns());
    return 0;
}

int vrtc_write(void *dev, uint64_t offset, unsigned size, uint64_t val)
{
    struct vrtc *rtc = dev;
    if (size != 1 || offset >= RTC_PORTS) {
        log_once(LOG_WARN, "vrtc: %u-byte write ignored", size);
        return 0;
    }
    if (offset == 0)
        rtc->index = (uint8_t)val & RTC_INDEX_MASK;  /* bit 7: NMI mask */
    else
        reg_write(rtc, rtc->index, (uint8_t)val, timer_now_ns());
    return 0;
}
