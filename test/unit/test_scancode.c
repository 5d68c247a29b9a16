/* Scancode set 1 to bytes (drivers/scancode.h): a shell line typed with
 * Shift, Enter and Backspace; Caps Lock (letters only, inverted by Shift);
 * Ctrl with letters and ] (left and right Ctrl, E0 1D); releases, extended
 * keys without a character and the Pause key's six bytes send nothing and
 * leave the state as it was. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/scancode.h"

#define UNUSED __attribute__((unused))

/* Make codes of the keys these tests press (US layout, set 1). */
enum {
    K_ESC = 0x01, K_1 = 0x02, K_4 = 0x05, K_6 = 0x07, K_7 = 0x08, K_8 = 0x09,
    K_9 = 0x0a, K_0 = 0x0b, K_BACKSPACE = 0x0e, K_TAB = 0x0f, K_E = 0x12,
    K_I = 0x17, K_O = 0x18, K_RBRACKET = 0x1b, K_ENTER = 0x1c, K_CTRL = 0x1d,
    K_A = 0x1e, K_H = 0x23, K_LSHIFT = 0x2a, K_C = 0x2e, K_SLASH = 0x35,
    K_RSHIFT = 0x36, K_SPACE = 0x39, K_CAPS = 0x3a, K_UP = 0x48,
};
#define BREAK 0x80
#define E0    0xe0

static struct scancode_state st;

static int setup(void **state UNUSED)
{
    memset(&st, 0, sizeof(st));
    return 0;
}

/* Feed codes[0..n) and collect the bytes they send into out (NUL-ended). */
static const char *feed(const uint8_t *codes, size_t n)
{
    static char out[64];
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        int c = scancode_to_ascii(&st, codes[i]);
        assert_true(c >= -1 && c <= 0x7f);
        if (c >= 0)
            out[len++] = (char)c;
    }
    out[len] = 0;
    return out;
}
#define FEED(...) feed((const uint8_t[]){ __VA_ARGS__ }, \
                       sizeof((const uint8_t[]){ __VA_ARGS__ }))
/* One key pressed and released; with Shift held around it. */
#define TAP(k)  (k), (k) | BREAK
#define SHIFTED(k) K_LSHIFT, TAP(k), K_LSHIFT | BREAK

static void test_shell_line(void **state UNUSED)
{
    /* echo hi$((6*7)) Enter, as QEMU's sendkey types it */
    assert_string_equal(FEED(TAP(K_E), TAP(K_C), TAP(K_H), TAP(K_O),
                             TAP(K_SPACE), TAP(K_H), TAP(K_I), SHIFTED(K_4),
                             SHIFTED(K_9), SHIFTED(K_9), TAP(K_6),
                             SHIFTED(K_8), TAP(K_7), SHIFTED(K_0),
                             SHIFTED(K_0), TAP(K_ENTER)),
                        "echo hi$((6*7))\r");
    assert_string_equal(FEED(TAP(K_BACKSPACE), TAP(K_TAB), TAP(K_ESC),
                             TAP(K_SLASH)), "\x7f\t\x1b/");
    /* Right Shift too; keypad Enter is E0 1C. */
    assert_string_equal(FEED(K_RSHIFT, TAP(K_A), K_RSHIFT | BREAK, TAP(K_A),
                             E0, K_ENTER, E0, K_ENTER | BREAK), "Aa\r");
}

static void test_caps_lock(void **state UNUSED)
{
    assert_string_equal(FEED(TAP(K_CAPS), TAP(K_A), TAP(K_1),
                             SHIFTED(K_A), SHIFTED(K_1)), "A1a!");
    assert_string_equal(FEED(TAP(K_CAPS), TAP(K_A)), "a");
}

static void test_ctrl(void **state UNUSED)
{
    assert_string_equal(FEED(K_CTRL, TAP(K_C), TAP(K_RBRACKET),
                             K_CTRL | BREAK, TAP(K_C)), "\x03\x1d" "c");
    /* Right Ctrl (E0 1D); Ctrl with a digit sends the digit. */
    assert_string_equal(FEED(E0, K_CTRL, TAP(K_A), TAP(K_1), E0,
                             K_CTRL | BREAK, TAP(K_A)), "\x01" "1a");
}

static void test_silent_keys(void **state UNUSED)
{
    /* An arrow (E0 48) sends nothing and its E0 does not stick; a
     * release alone, Pause's E1 1D 45 E1 9D C5 and the keyboard's ACK
     * (FAh) send nothing either. */
    assert_string_equal(FEED(E0, K_UP, E0, K_UP | BREAK, TAP(K_A)), "a");
    assert_string_equal(FEED(K_A | BREAK, 0xe1, 0x1d, 0x45, 0xe1, 0x9d,
                             0xc5, 0xfa, TAP(K_A)), "a");
    /* E0 2A (a fake Shift some keyboards send around grey keys) must not
     * leave Shift held. */
    assert_string_equal(FEED(E0, K_LSHIFT, E0, K_UP, E0, K_UP | BREAK, E0,
                             K_LSHIFT | BREAK, TAP(K_A)), "a");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_shell_line, setup),
        cmocka_unit_test_setup(test_caps_lock, setup),
        cmocka_unit_test_setup(test_ctrl, setup),
        cmocka_unit_test_setup(test_silent_keys, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
