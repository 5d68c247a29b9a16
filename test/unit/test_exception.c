/* The exception table (arch/x86/exception.h) against SDM 3A table 6-1 and
 * 6.13 "Error Code". */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/exception.h"

#define UNUSED __attribute__((unused))

static void test_error_codes(void **state UNUSED)
{
    /* The rule the vendors' exit decoders used before the table: #DF,
     * #TS..#PF, #AC and #CP push an error code; nothing else does. */
    for (unsigned v = 0; v < 256; v++) {
        bool want = v == VEC_DF || (v >= VEC_TS && v <= VEC_PF) ||
                    v == VEC_AC || v == VEC_CP;
        assert_int_equal(exception_has_error(v), want);
    }
}

static void test_names(void **state UNUSED)
{
    assert_string_equal(exception_mnemonic(VEC_DE), "#DE");
    assert_string_equal(exception_mnemonic(VEC_NMI), "NMI");
    assert_string_equal(exception_mnemonic(VEC_PF), "#PF");
    assert_string_equal(exception_mnemonic(VEC_XM), "#XM");
    assert_string_equal(exception_mnemonic(VEC_CP), "#CP");
    assert_null(exception_mnemonic(9));
    assert_null(exception_mnemonic(15));
    assert_null(exception_mnemonic(22));
    assert_null(exception_mnemonic(255));
    assert_string_equal(exception_name(VEC_GP), "general protection");
    assert_string_equal(exception_name(15), "reserved");
    assert_string_equal(exception_name(31), "reserved");
    assert_string_equal(exception_name(32), "interrupt");
    /* Every exception vector has a name; every named one but 9 has a
     * mnemonic. */
    for (unsigned v = 0; v < EXCEPTION_VECTORS; v++) {
        assert_non_null(exception_name(v));
        if (v <= VEC_CP && v != 9 && v != 15)
            assert_non_null(exception_mnemonic(v));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_codes),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
