/* Host time: the TSC, calibrated once against the 8254 PIT channel 2 (the
 * same gate-and-poll method Linux uses; 8254 datasheet, mode 0 "interrupt
 * on terminal count"), and wall-clock time from the host CMOS RTC.
 * A measurement is only as good as the moments Keel notices the start and
 * the end of the window: under an emulator on a busy host the CPU may be
 * taken away between the PIT's edge and the TSC read (seen: 2910 and 2982
 * MHz for a 2449 MHz TSC under load 6-11, so kvmclock guests' time ran
 * 15-45% slow). Each window is therefore bracketed by TSC reads on both
 * sides of its start and its end, a window whose brackets are wider than
 * CAL_SLACK of it is measured again, and the shortest accepted window
 * wins (an interruption can only lengthen one whose start was seen
 * promptly). */
#include "arch/x86/cpu.h"
#include "drivers/timer.h"
#include "lib/log.h"

#define PIT_HZ       1193182ULL
#define PIT_CH2      0x42
#define PIT_CMD      0x43
#define PORT_B       0x61    /* bit 0: gate 2, bit 1: speaker, bit 5: OUT2 */
#define CAL_MS       20
#define CAL_TRIES    8       /* windows measured at most */
#define CAL_SLACK    200     /* a bracket may be 1/200 of the window */

static uint64_t tsc_hz;
static uint64_t tsc_at_boot;
static uint64_t wall_at_boot;

/* One CAL_MS window of PIT channel 2 in TSC ticks, 0 if the PIT does not
 * answer. *slack: the TSC ticks between the reads around the window's
 * start (the write of the count's high byte, which starts it) plus those
 * around its end (the last poll that saw OUT2 low, the first that saw it
 * high): how much the window can be off. */
static uint64_t pit_window(uint64_t *slack)
{
    uint16_t count = (uint16_t)(PIT_HZ * CAL_MS / 1000);

    outb(PORT_B, (inb(PORT_B) & ~0x02) | 0x01);  /* gate on, speaker off */
    outb(PIT_CMD, 0xb0);      /* channel 2, lobyte/hibyte, mode 0, binary */
    outb(PIT_CH2, count & 0xff);
    uint64_t before = rdtsc();
    outb(PIT_CH2, count >> 8);
    uint64_t t0 = rdtsc();
    /* OUT2 rises when the count reaches zero; bound the wait in case the
     * PIT is absent (then fall back to a guess rather than hang). */
    uint64_t low = t0, t1;
    for (uint64_t spins = 0;; spins++) {
        uint64_t t = rdtsc();
        bool high = inb(PORT_B) & 0x20;
        t1 = rdtsc();
        if (high)
            break;
        if (spins > 100000000ULL)
            return 0;
        low = t;             /* OUT2 was still low after this moment */
    }
    *slack = (t0 - before) + (t1 - low);
    return t1 - t0;
}

static uint64_t calibrate_pit(void)
{
    uint64_t best = 0, best_any = 0;
    for (int i = 0; i < CAL_TRIES; i++) {
        uint64_t slack;
        uint64_t w = pit_window(&slack);
        if (!w)
            return 0;
        if (!best_any || w < best_any)
            best_any = w;
        if (slack * CAL_SLACK <= w && (!best || w < best))
            best = w;
        if (best && i >= 2)
            break;           /* three windows, one of them clean: enough */
    }
    return (best ? best : best_any) * 1000 / CAL_MS;
}

/* CMOS RTC (MC146818) register read. */
static uint8_t cmos_read(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static unsigned bcd(uint8_t v, bool is_bcd)
{
    return is_bcd ? (v >> 4) * 10 + (v & 0xf) : v;
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static uint64_t days_from_civil(unsigned y, unsigned m, unsigned d)
{
    static const unsigned cum[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243,
                                      273, 304, 334 };
    uint64_t days = (uint64_t)(y - 1970) * 365;
    for (unsigned yy = 1970; yy < y; yy++)
        days += (yy % 4 == 0 && (yy % 100 != 0 || yy % 400 == 0));
    days += cum[(m - 1) % 12] + d - 1;
    if (m > 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
        days++;
    return days;
}

static uint64_t read_rtc(void)
{
    /* Wait out an update in progress (status A bit 7), bounded. */
    for (int i = 0; i < 100000 && (cmos_read(0x0a) & 0x80); i++)
        pause();
    uint8_t b = cmos_read(0x0b);
    bool is_bcd = !(b & 0x04);
    unsigned sec = bcd(cmos_read(0x00), is_bcd);
    unsigned min = bcd(cmos_read(0x02), is_bcd);
    uint8_t hr = cmos_read(0x04);
    unsigned hour = bcd(hr & 0x7f, is_bcd);
    if (!(b & 0x02) && (hr & 0x80))   /* 12-hour mode, PM */
        hour = (hour % 12) + 12;
    unsigned day = bcd(cmos_read(0x07), is_bcd);
    unsigned mon = bcd(cmos_read(0x08), is_bcd);
    unsigned year = 2000 + bcd(cmos_read(0x09), is_bcd);
    if (mon < 1 || mon > 12 || day < 1 || day > 31)
        return 0;
    return days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 +
           sec;
}

void timer_init(void)
{
    tsc_hz = calibrate_pit();
    if (!tsc_hz) {
        tsc_hz = 1000000000ULL;
        log_warn("PIT calibration failed; assuming a 1 GHz TSC");
    }
    tsc_at_boot = rdtsc();
    wall_at_boot = read_rtc();
    log_info("TSC %llu.%03llu MHz (PIT calibration), RTC %llu s since 1970",
             (unsigned long long)(tsc_hz / 1000000),
             (unsigned long long)(tsc_hz / 1000 % 1000),
             (unsigned long long)wall_at_boot);
}

uint64_t timer_tsc_hz(void) { return tsc_hz; }
uint64_t timer_rdtsc(void) { return rdtsc(); }

uint64_t timer_tsc_at_boot(void) { return tsc_at_boot; }

uint64_t timer_now_ns(void)
{
    /* Split the division so tsc * 1e9 never overflows 64 bits. */
    uint64_t t = rdtsc() - tsc_at_boot;
    return t / tsc_hz * 1000000000ULL + t % tsc_hz * 1000000000ULL / tsc_hz;
}

uint64_t timer_wall_seconds(void)
{
    return wall_at_boot + timer_now_ns() / 1000000000ULL;
}
