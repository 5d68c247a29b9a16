/* Unit tests of the virtual MC146818A RTC (hv/dev/vrtc.c): calendar
 * conversion with leap years, BCD/binary and 12/24-hour formats, setting
 * the time, UIP, register C and the update/periodic/alarm interrupts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#define UNUSED __attribute__((unused))

#include "hv/dev/vrtc.h"
#include "lib/errno.h"
#include "test/unit/host_stubs.h"

static struct vrtc *rtc;
static bool irq8;
static unsigned irq8_rises;

static void t_set_irq(void *ctx UNUSED, unsigned irq, bool level)
{
    assert_int_equal(irq, RTC_IRQ);
    if (level && !irq8)
        irq8_rises++;
    irq8 = level;
}

static uint8_t cmos_read(uint8_t idx)
{
    uint64_t v;
    vrtc_write(rtc, 0, 1, idx);
    vrtc_read(rtc, 1, 1, &v);
    return (uint8_t)v;
}
static void cmos_write(uint8_t idx, uint8_t val)
{
    vrtc_write(rtc, 0, 1, idx);
    vrtc_write(rtc, 1, 1, val);
}

static int setup(void **state UNUSED)
{
    stub_now_ns = 7000000000ULL;                  /* on a second boundary */
    stub_wall_seconds = 1700000000ULL;            /* 2023-11-14 22:13:20 Tue */
    irq8 = false;
    irq8_rises = 0;
    rtc = vrtc_create(t_set_irq, NULL);
    return rtc ? 0 : -1;
}
static int teardown(void **state UNUSED)
{
    free(rtc);
    return 0;
}

static void check_date(uint64_t secs, unsigned y, unsigned mo, unsigned d,
                       unsigned h, unsigned mi, unsigned s, unsigned wday)
{
    struct rtc_time t;
    rtc_time_from_seconds(secs, &t);
    assert_int_equal(t.year, y);
    assert_int_equal(t.month, mo);
    assert_int_equal(t.day, d);
    assert_int_equal(t.hour, h);
    assert_int_equal(t.min, mi);
    assert_int_equal(t.sec, s);
    assert_int_equal(t.wday, wday);
    assert_int_equal(rtc_mktime(&t), (int64_t)secs);
}

static void test_calendar(void **state UNUSED)
{
    check_date(0, 1970, 1, 1, 0, 0, 0, 4);
    check_date(951782400, 2000, 2, 29, 0, 0, 0, 2);   /* 400-year leap */
    check_date(1700000000, 2023, 11, 14, 22, 13, 20, 2);
    check_date(1709164800, 2024, 2, 29, 0, 0, 0, 4);
    check_date(2147483648ULL, 2038, 1, 19, 3, 14, 8, 2);
    check_date(4102444799ULL, 2099, 12, 31, 23, 59, 59, 4);
    check_date(4107542400ULL, 2100, 3, 1, 0, 0, 0, 1); /* 2100: no Feb 29 */
    /* Every day for 500 years round-trips. */
    for (uint64_t s = 0; s < 500ULL * 366 * 86400; s += 86400 + 3601) {
        struct rtc_time t;
        rtc_time_from_seconds(s, &t);
        assert_int_equal(rtc_mktime(&t), (int64_t)s);
    }
    struct rtc_time bad = {.year = 2023, .month = 2, .day = 29};
    assert_int_equal(rtc_mktime(&bad), -1);
    bad.year = 2100;
    assert_int_equal(rtc_mktime(&bad), -1);
    bad.year = 2000;
    assert_true(rtc_mktime(&bad) > 0);
    bad = (struct rtc_time){.year = 2023, .month = 4, .day = 31};
    assert_int_equal(rtc_mktime(&bad), -1);
    bad = (struct rtc_time){.year = 1969, .month = 12, .day = 31};
    assert_int_equal(rtc_mktime(&bad), -1);
}

static void test_bcd_24h(void **state UNUSED)
{
    assert_int_equal(cmos_read(RTC_SECONDS), 0x20);
    assert_int_equal(cmos_read(RTC_MINUTES), 0x13);
    assert_int_equal(cmos_read(RTC_HOURS), 0x22);
    assert_int_equal(cmos_read(RTC_DAY_OF_WEEK), 3);  /* Tuesday */
    assert_int_equal(cmos_read(RTC_DAY_OF_MONTH), 0x14);
    assert_int_equal(cmos_read(RTC_MONTH), 0x11);
    assert_int_equal(cmos_read(RTC_YEAR), 0x23);
    assert_int_equal(cmos_read(RTC_CENTURY), 0x20);
    assert_int_equal(cmos_read(RTC_REG_B), RTC_B_24H);
    assert_int_equal(cmos_read(RTC_REG_D), RTC_D_VRT);
    /* Time runs with the platform clock. */
    stub_now_ns += 41ULL * 1000000000ULL;
    assert_int_equal(cmos_read(RTC_SECONDS), 0x01);
    assert_int_equal(cmos_read(RTC_MINUTES), 0x14);
    /* NMI-disable bit in the index is ignored. */
    vrtc_write(rtc, 0, 1, 0x80 | RTC_MINUTES);
    uint64_t v;
    vrtc_read(rtc, 1, 1, &v);
    assert_int_equal(v, 0x14);
}

static void test_binary_12h(void **state UNUSED)
{
    cmos_write(RTC_REG_B, RTC_B_DM_BINARY);       /* binary, 12-hour */
    assert_int_equal(cmos_read(RTC_SECONDS), 20);
    assert_int_equal(cmos_read(RTC_HOURS), RTC_HOUR_PM | 10);
    assert_int_equal(cmos_read(RTC_YEAR), 23);
    assert_int_equal(cmos_read(RTC_CENTURY), 20);
    cmos_write(RTC_REG_B, 0);                     /* BCD, 12-hour */
    assert_int_equal(cmos_read(RTC_HOURS), RTC_HOUR_PM | 0x10);
    /* Midnight and noon are 12 in 12-hour mode. */
    stub_now_ns += (3600ULL - 800 + 3600) * 1000000000ULL;  /* 00:00:00 */
    assert_int_equal(cmos_read(RTC_HOURS), 0x12);
    assert_int_equal(cmos_read(RTC_DAY_OF_MONTH), 0x15);
    stub_now_ns += 12ULL * 3600 * 1000000000ULL;
    assert_int_equal(cmos_read(RTC_HOURS), RTC_HOUR_PM | 0x12);
}

static void test_set_time(void **state UNUSED)
{
    /* The Linux way: SET, write the fields, clear SET. */
    cmos_write(RTC_REG_B, RTC_B_SET | RTC_B_24H | RTC_B_UIE);
    assert_int_equal(cmos_read(RTC_REG_B), RTC_B_SET | RTC_B_24H); /* no UIE */
    cmos_write(RTC_SECONDS, 0x56);
    cmos_write(RTC_MINUTES, 0x34);
    cmos_write(RTC_HOURS, 0x12);
    cmos_write(RTC_DAY_OF_MONTH, 0x15);
    cmos_write(RTC_MONTH, 0x06);
    cmos_write(RTC_YEAR, 0x30);
    cmos_write(RTC_CENTURY, 0x20);
    stub_now_ns += 5ULL * 1000000000ULL;          /* frozen while SET */
    assert_int_equal(cmos_read(RTC_SECONDS), 0x56);
    cmos_write(RTC_REG_B, RTC_B_24H);
    assert_int_equal(cmos_read(RTC_SECONDS), 0x56);
    stub_now_ns += 2ULL * 1000000000ULL;
    assert_int_equal(cmos_read(RTC_SECONDS), 0x58);
    assert_int_equal(cmos_read(RTC_YEAR), 0x30);
    assert_int_equal(cmos_read(RTC_DAY_OF_WEEK), 7);  /* a Saturday */
    /* One field while running. */
    cmos_write(RTC_MINUTES, 0x00);
    assert_int_equal(cmos_read(RTC_MINUTES), 0x00);
    assert_int_equal(cmos_read(RTC_HOURS), 0x12);
    /* An invalid date is refused. */
    cmos_write(RTC_MONTH, 0x13);
    assert_int_equal(cmos_read(RTC_MONTH), 0x06);
}

static void test_uip_and_ram(void **state UNUSED)
{
    uint64_t t0 = stub_now_ns;
    assert_int_equal(cmos_read(RTC_REG_A), RTC_A_DV_NORMAL | RTC_A_RS_1024HZ);
    stub_now_ns = t0 + 1000000000ULL - RTC_UIP_NS - 1;
    assert_int_equal(cmos_read(RTC_REG_A) & RTC_A_UIP, 0);
    stub_now_ns = t0 + 1000000000ULL - RTC_UIP_NS;
    assert_int_equal(cmos_read(RTC_REG_A) & RTC_A_UIP, RTC_A_UIP);
    assert_int_equal(cmos_read(RTC_SECONDS), 0x20);  /* not yet updated */
    stub_now_ns = t0 + 1000000000ULL;
    assert_int_equal(cmos_read(RTC_REG_A) & RTC_A_UIP, 0);
    assert_int_equal(cmos_read(RTC_SECONDS), 0x21);
    cmos_write(RTC_REG_A, 0xA6);                     /* UIP is read-only */
    assert_int_equal(cmos_read(RTC_REG_A), 0x26);
    cmos_write(RTC_REG_D, 0);
    assert_int_equal(cmos_read(RTC_REG_D), RTC_D_VRT);
    for (unsigned i = 0x0E; i < RTC_RAM_SIZE; i++)
        if (i != RTC_CENTURY)
            cmos_write((uint8_t)i, (uint8_t)(i * 3));
    for (unsigned i = 0x0E; i < RTC_RAM_SIZE; i++)
        if (i != RTC_CENTURY)
            assert_int_equal(cmos_read((uint8_t)i), (uint8_t)(i * 3));
}

static void test_reg_c_and_update_irq(void **state UNUSED)
{
    uint64_t dl;
    cmos_write(RTC_REG_A, RTC_A_DV_NORMAL);          /* no periodic flag */
    assert_int_equal(cmos_read(RTC_REG_C), 0);
    stub_now_ns += 1000000000ULL;
    /* UF is set even with UIE off, but no interrupt. */
    assert_int_equal(cmos_read(RTC_REG_C), RTC_C_UF);
    assert_int_equal(cmos_read(RTC_REG_C), 0);       /* read cleared it */
    assert_int_equal(irq8_rises, 0);
    assert_int_equal(vrtc_next_deadline(rtc, &dl), -ENOENT);
    cmos_write(RTC_REG_B, RTC_B_24H | RTC_B_UIE);
    assert_int_equal(vrtc_next_deadline(rtc, &dl), 0);
    assert_int_equal(dl, stub_now_ns + 1000000000ULL);
    stub_now_ns = dl;
    vrtc_update(rtc, stub_now_ns);
    assert_true(irq8);
    assert_int_equal(irq8_rises, 1);
    assert_int_equal(vrtc_next_deadline(rtc, &dl), -ENOENT);
    assert_int_equal(cmos_read(RTC_REG_C), RTC_C_IRQF | RTC_C_UF);
    assert_false(irq8);
}

static void test_periodic_and_alarm(void **state UNUSED)
{
    uint64_t dl, t0 = stub_now_ns;
    cmos_write(RTC_REG_B, RTC_B_24H | RTC_B_PIE);   /* 1024 Hz */
    assert_int_equal(vrtc_next_deadline(rtc, &dl), 0);
    assert_int_equal(dl, t0 + 976563);              /* 1/1024 s, rounded up */
    stub_now_ns = dl;
    vrtc_update(rtc, stub_now_ns);
    assert_int_equal(irq8_rises, 1);
    assert_int_equal(cmos_read(RTC_REG_C), RTC_C_IRQF | RTC_C_PF);
    /* 2 Hz. */
    cmos_write(RTC_REG_A, RTC_A_DV_NORMAL | 0x0F);
    assert_int_equal(vrtc_next_deadline(rtc, &dl), 0);
    assert_int_equal(dl, t0 + 500000000);
    /* Alarm at 22:13:25 (seconds 0x25), hours/minutes don't care. */
    cmos_write(RTC_REG_B, RTC_B_24H | RTC_B_AIE);
    cmos_read(RTC_REG_C);
    cmos_write(RTC_SECONDS_ALARM, 0x25);
    cmos_write(RTC_MINUTES_ALARM, 0xFF);
    cmos_write(RTC_HOURS_ALARM, 0xC0);
    irq8_rises = 0;
    for (unsigned s = 1; s <= 6; s++) {
        stub_now_ns = t0 + s * 1000000000ULL;
        vrtc_update(rtc, stub_now_ns);
        assert_int_equal(irq8_rises, s == 5 ? 1 : 0);
        if (s == 5) {
            uint8_t c = cmos_read(RTC_REG_C);
            assert_int_equal(c & (RTC_C_IRQF | RTC_C_AF), RTC_C_IRQF | RTC_C_AF);
            irq8_rises = 0;
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_calendar),
        T(test_bcd_24h),
        T(test_binary_12h),
        T(test_set_time),
        T(test_uip_and_ram),
        T(test_reg_c_and_update_irq),
        T(test_periodic_and_alarm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
