/* The virtual CMOS real-time clock and its 128 bytes of CMOS RAM behind the
 * index/data port pair 0x70/0x71.
 * Motorola MC146818A Real-Time Clock Plus RAM datasheet (as copied in the
 * PC chipsets, e.g. Intel 82371AB PIIX4 datasheet 4.5 "Real Time Clock").
 *
 * Time is the host's wall clock (timer_wall_seconds()) plus an offset
 * the guest sets by writing the time registers; seconds advance with
 * timer_now_ns(). */
#ifndef KEEL_DEV_VRTC_H
#define KEEL_DEV_VRTC_H

#include "hv/dev/apic_route.h"
#include "lib/types.h"

#define RTC_PORT       0x70          /* index (bit 7: NMI disable); 0x71 data */
#define RTC_PORTS      2
#define RTC_IRQ        8
#define RTC_INDEX_MASK 0x7F
#define RTC_RAM_SIZE   128

/* Register indices. See: MC146818A "Address Map". */
enum {
    RTC_SECONDS = 0x00,
    RTC_SECONDS_ALARM = 0x01,
    RTC_MINUTES = 0x02,
    RTC_MINUTES_ALARM = 0x03,
    RTC_HOURS = 0x04,
    RTC_HOURS_ALARM = 0x05,
    RTC_DAY_OF_WEEK = 0x06,          /* 1 = Sunday */
    RTC_DAY_OF_MONTH = 0x07,
    RTC_MONTH = 0x08,
    RTC_YEAR = 0x09,                 /* two digits */
    RTC_REG_A = 0x0A,
    RTC_REG_B = 0x0B,
    RTC_REG_C = 0x0C,
    RTC_REG_D = 0x0D,
    RTC_CENTURY = 0x32,              /* IBM PC convention; ACPI FADT CENTURY */
};

/* Register A. */
#define RTC_A_UIP        0x80        /* update in progress (read-only) */
#define RTC_A_DV_MASK    0x70        /* divider: 010 = 32.768 kHz running */
#define RTC_A_DV_NORMAL  0x20
#define RTC_A_RS_MASK    0x0F        /* periodic rate select */
#define RTC_A_RS_1024HZ  0x06        /* the PC BIOS default */
/* Register B. */
#define RTC_B_SET        0x80        /* halt updates to set the time */
#define RTC_B_PIE        0x40
#define RTC_B_AIE        0x20
#define RTC_B_UIE        0x10
#define RTC_B_SQWE       0x08
#define RTC_B_DM_BINARY  0x04        /* else BCD */
#define RTC_B_24H        0x02        /* else 12-hour with bit 7 = PM */
#define RTC_B_DSE        0x01        /* daylight saving: not implemented */
/* Register C (read clears). */
#define RTC_C_IRQF       0x80
#define RTC_C_PF         0x40
#define RTC_C_AF         0x20
#define RTC_C_UF         0x10
/* Register D. */
#define RTC_D_VRT        0x80        /* valid RAM and time */

#define RTC_HOUR_PM      0x80
#define RTC_ALARM_DONT_CARE 0xC0     /* alarm byte with both top bits set */
/* UIP is high this long before each update. See: MC146818A "Update Cycle". */
#define RTC_UIP_NS       244000ULL

/* Broken-down UTC time. */
struct rtc_time {
    unsigned year;                   /* e.g. 2024 */
    unsigned month;                  /* 1-12 */
    unsigned day;                    /* 1-31 */
    unsigned hour, min, sec;
    unsigned wday;                   /* 0 = Sunday */
};

/* Seconds since 1970-01-01 00:00 UTC <-> broken-down time (Gregorian
 * leap years: every 4th, not every 100th, every 400th). rtc_mktime
 * returns -1 for fields out of range (year before 1970, day 31 in a
 * 30-day month, ...). */
void rtc_time_from_seconds(uint64_t secs, struct rtc_time *t);
int64_t rtc_mktime(const struct rtc_time *t);

/* State; fields private to vrtc.c. */
struct vrtc {
    uint8_t index;
    uint8_t ram[RTC_RAM_SIZE];       /* A, B, alarms, CMOS RAM, frozen time */
    uint8_t flags;                   /* register C */
    int64_t offset_s;                /* guest time - host time, seconds */
    uint64_t base_wall;              /* host wall seconds at creation */
    uint64_t base_ns;                /* timer_now_ns() at creation */
    uint64_t last_sec;               /* guest second at the last update */
    uint64_t last_pf;                /* periodic tick index at the last update */
    isa_irq_fn set_irq;              /* may be NULL */
    void *ctx;
};

/* Allocate an RTC showing the host's wall time: 24-hour BCD, divider
 * running, no interrupts enabled. set_irq(ctx, 8, level) drives IRQ8: it
 * rises when register C's IRQF is set and falls when C is read. Returns
 * NULL when out of memory. */
struct vrtc *vrtc_create(isa_irq_fn set_irq, void *ctx);

/* Back to the state vrtc_create gave it (a VM reset: the host's wall time
 * again, CMOS RAM cleared), keeping set_irq and ctx. */
void vrtc_reset(struct vrtc *rtc);

/* Port bus callbacks for [RTC_PORT, +RTC_PORTS); dev is the struct vrtc.
 * Byte accesses; others are logged and read as 0xFF. Return 0. */
int vrtc_read(void *dev, uint64_t offset, unsigned size, uint64_t *val);
int vrtc_write(void *dev, uint64_t offset, unsigned size, uint64_t val);

/* When the RTC next raises IRQ8 (ns, timer_now_ns() clock): 0 and *ns,
 * or -ENOENT when no enabled interrupt is due (or IRQF is already set). */
int vrtc_next_deadline(struct vrtc *rtc, uint64_t *ns);

/* Set the update/alarm/periodic flags that came due by now_ns (ns) and
 * raise IRQ8 for the enabled ones. Missed events coalesce; the alarm is
 * compared with the current second only. */
void vrtc_update(struct vrtc *rtc, uint64_t now_ns);

#endif
