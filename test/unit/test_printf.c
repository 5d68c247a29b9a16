/* Host tests of Keel's freestanding formatter (lib/printf.c), compared
 * with the C library's snprintf for the same formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/printf.h"

#define SAME(...)                                                      \
    do {                                                               \
        char a[128], b[128];                                           \
        int na = ksnprintf(a, sizeof(a), __VA_ARGS__);                 \
        int nb = snprintf(b, sizeof(b), __VA_ARGS__);                  \
        assert_string_equal(a, b);                                     \
        assert_int_equal(na, nb);                                      \
    } while (0)

static void test_integers(void **state)
{
    SAME("%d %i %u", -42, 7, 4000000000u);
    SAME("%x %X %o", 0xbeefu, 0xbeefu, 8u);
    SAME("%lld %llu %llx", -1LL, 18446744073709551615ULL, 0x123456789abcULL);
    SAME("%zu %ld", (size_t)12345, -99L);
    SAME("%hhu %hu %hd", 300, 70000, -2);
    SAME("[%5d] [%-5d] [%05d] [%05d]", 42, 42, 42, -42);
    SAME("%#x %#llx %#o %#x", 255u, 0x10ULL, 8u, 0u);
    SAME("%08x|%-8x|", 0xabcu, 0xabcu);
}

static void test_strings_chars_pointers(void **state)
{
    SAME("%s|%10s|%-10s|%.3s|%.*s", "abc", "right", "left", "truncate", 2,
         "xyz");
    SAME("%c%c%3c%-3c|", 'a', 'b', 'c', 'd');
    SAME("100%%");
    SAME("%p", (void *)0x1234);
}

static void test_truncation_returns_full_length(void **state)
{
    char buf[8];
    int n = ksnprintf(buf, sizeof(buf), "%s", "0123456789");
    assert_int_equal(n, 10);
    assert_string_equal(buf, "0123456");
    assert_int_equal(ksnprintf(NULL, 0, "%d", 12345), 5);
}

/* "%.*s" reads at most the precision's bytes: the argument need not be
 * NUL-terminated. A heap block of exactly those bytes makes ASan report the
 * byte after them (the formatter used to look at it; test/fuzz/fuzz_config
 * found it through keel.cfg's error messages). */
static void test_precision_stops_before_the_end(void **state)
{
    char *word = malloc(4);
    char buf[16];
    assert_non_null(word);
    memcpy(word, "vcpu", 4);
    assert_int_equal(ksnprintf(buf, sizeof(buf), "[%.*s]", 4, word), 6);
    assert_string_equal(buf, "[vcpu]");
    assert_int_equal(ksnprintf(buf, sizeof(buf), "[%.4s]", word), 6);
    assert_string_equal(buf, "[vcpu]");
    free(word);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_strings_chars_pointers),
        cmocka_unit_test(test_truncation_returns_full_length),
        cmocka_unit_test(test_precision_stops_before_the_end),
    };
    return cmocka_run_group_tests_name("printf", tests, NULL, NULL);
}
