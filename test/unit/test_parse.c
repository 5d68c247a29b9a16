/* parse_u64 (lib/parse.h): decimal, 0x hex, size suffixes where allowed,
 * overflow, and everything that is not a number. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/errno.h"
#include "lib/parse.h"

#define UNUSED __attribute__((unused))
#define SENTINEL 0x5a5a5a5a5a5a5a5aULL

/* Parse the NUL-terminated s; on error check *out was left alone. */
static int parse(const char *s, unsigned flags, uint64_t *out)
{
    *out = SENTINEL;
    int rc = parse_u64(s, strlen(s), flags, out);
    if (rc)
        assert_true(*out == SENTINEL);
    return rc;
}

static void test_decimal_and_hex(void **state UNUSED)
{
    uint64_t x;
    assert_int_equal(parse("0", 0, &x), 0);
    assert_true(x == 0);
    assert_int_equal(parse("1234", 0, &x), 0);
    assert_true(x == 1234);
    assert_int_equal(parse("0x1f", 0, &x), 0);
    assert_true(x == 0x1f);
    assert_int_equal(parse("0XABCdef", 0, &x), 0);
    assert_true(x == 0xabcdef);
    assert_int_equal(parse("007", 0, &x), 0);    /* decimal, not octal */
    assert_true(x == 7);
    assert_int_equal(parse("18446744073709551615", 0, &x), 0);
    assert_true(x == UINT64_MAX);
    assert_int_equal(parse("0xffffffffffffffff", 0, &x), 0);
    assert_true(x == UINT64_MAX);
    /* Only len bytes are read: no NUL needed. */
    assert_int_equal(parse_u64("12345", 2, 0, &x), 0);
    assert_true(x == 12);
}

static void test_not_numbers(void **state UNUSED)
{
    uint64_t x;
    static const char *const bad[] = {
        "", "0x", "x10", "-1", "+1", " 1", "1 ", "12a", "ff", "1.5",
        "0x1g", "1K",   /* no suffix without PARSE_SIZE_SUFFIX */
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(parse(bad[i], 0, &x), -EINVAL);
}

static void test_overflow(void **state UNUSED)
{
    uint64_t x;
    assert_int_equal(parse("18446744073709551616", 0, &x), -ERANGE);
    assert_int_equal(parse("0x10000000000000000", 0, &x), -ERANGE);
    assert_int_equal(parse("99999999999999999999999", 0, &x), -ERANGE);
    assert_int_equal(parse("17179869184G", PARSE_SIZE_SUFFIX, &x), -ERANGE);
    assert_int_equal(parse("17179869183G", PARSE_SIZE_SUFFIX, &x), 0);
    assert_true(x == 17179869183ULL << 30);
}

static void test_suffixes(void **state UNUSED)
{
    uint64_t x;
    assert_int_equal(parse("4k", PARSE_SIZE_SUFFIX, &x), 0);
    assert_true(x == 4096);
    assert_int_equal(parse("256M", PARSE_SIZE_SUFFIX, &x), 0);
    assert_true(x == 256ULL << 20);
    assert_int_equal(parse("2g", PARSE_SIZE_SUFFIX, &x), 0);
    assert_true(x == 2ULL << 30);
    assert_int_equal(parse("0x10M", PARSE_SIZE_SUFFIX, &x), 0);
    assert_true(x == 16ULL << 20);
    assert_int_equal(parse("512", PARSE_SIZE_SUFFIX, &x), 0);  /* optional */
    assert_true(x == 512);
    assert_int_equal(parse("M", PARSE_SIZE_SUFFIX, &x), -EINVAL);
    assert_int_equal(parse("1 M", PARSE_SIZE_SUFFIX, &x), -EINVAL);
    assert_int_equal(parse("1MB", PARSE_SIZE_SUFFIX, &x), -EINVAL);
    assert_int_equal(parse("1T", PARSE_SIZE_SUFFIX, &x), -EINVAL);
    assert_int_equal(parse("1KK", PARSE_SIZE_SUFFIX, &x), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decimal_and_hex),
        cmocka_unit_test(test_not_numbers),
        cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_suffixes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
