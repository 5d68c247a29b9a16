/* once_log (lib/once.h): a message per new key, nothing for a key seen
 * before, and one line, not one per key, once the table is full. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/once.h"

#define UNUSED __attribute__((unused))

/* The console is stdout in host tests (host_stubs.c): send it to a file
 * while fn runs and return how many lines containing needle it printed. */
static char captured[1 << 16];

static unsigned count_lines(const char *needle)
{
    unsigned n = 0;
    for (const char *p = captured; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static void capture(void (*fn)(void))
{
    FILE *f = tmpfile();
    int saved = dup(STDOUT_FILENO);
    assert_non_null(f);
    fflush(stdout);
    dup2(fileno(f), STDOUT_FILENO);
    fn();
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    rewind(f);
    size_t n = fread(captured, 1, sizeof(captured) - 1, f);
    captured[n] = 0;
    fclose(f);
}

static void log_ports(void)
{
    ONCE_TABLE(ports, 4, "test ports");
    /* Every port twice, as a guest probing all 65,536 ports would. */
    for (unsigned round = 0; round < 2; round++)
        for (unsigned port = 0; port < 65536; port++)
            once_log(&ports, port, LOG_INFO, "IN from port %#x", port);
}

static void test_flood(void **state UNUSED)
{
    capture(log_ports);
    assert_int_equal(count_lines("IN from port"), 4);
    assert_int_equal(count_lines("more than 4 test ports: further ones are "
                                 "not logged"), 1);
    assert_int_equal(count_lines("keel: "), 5);
}

static void test_insert(void **state UNUSED)
{
    ONCE_TABLE(t, 2, "keys");
    assert_true(once_log(&t, 7, LOG_DEBUG, "key %d", 7));
    assert_false(once_log(&t, 7, LOG_DEBUG, "key %d", 7));
    assert_true(once_log(&t, 0, LOG_DEBUG, "key %d", 0));
    assert_int_equal(t.nr, 2);
    assert_false(t.full_said);
    assert_false(once_log(&t, 9, LOG_DEBUG, "key %d", 9));  /* full */
    assert_true(t.full_said);
    assert_false(once_log(&t, 0, LOG_DEBUG, "key %d", 0));  /* seen */
    assert_int_equal(t.nr, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_insert),
        cmocka_unit_test(test_flood),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
