/* Scancode set 1 to ASCII (drivers/scancode.h). Reference: IBM PC AT
 * Technical Reference, "Keyboard", scan code set 1 (the XT codes, which
 * the 8042 produces from set 2 when translation is on). */
#include "drivers/scancode.h"

#define SC_BREAK        0x80  /* a key released: make code | 0x80 */
#define SC_EXTENDED     0xe0  /* prefix of the extended (grey) keys */
#define SC_PAUSE        0xe1  /* Pause: E1 1D 45 E1 9D C5, no break */
#define SC_PAUSE_REST   5
#define SC_CTRL         0x1d  /* left Ctrl; E0 1D right Ctrl */
#define SC_SHIFT_LEFT   0x2a
#define SC_SHIFT_RIGHT  0x36
#define SC_CAPS_LOCK    0x3a
#define SC_ENTER        0x1c  /* E0 1C: keypad Enter */
#define SC_KP_SLASH     0x35  /* with E0 */
#define SC_TABLE_SIZE   0x3a

/* Make codes 0x00-0x39 of a US keyboard, without and with Shift; 0: no
 * character. */
static const char plain[SC_TABLE_SIZE] = {
    [0x01] = 0x1b, '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '-', '=',
    0x7f, '\t', 'q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p', '[', ']',
    '\r', 0, 'a', 's', 'd', 'f', 'g', 'h', 'j', 'k', 'l', ';', '\'', '`',
    0, '\\', 'z', 'x', 'c', 'v', 'b', 'n', 'm', ',', '.', '/', 0, '*', 0, ' ',
};
static const char shifted[SC_TABLE_SIZE] = {
    [0x01] = 0x1b, '!', '@', '#', '$', '%', '^', '&', '*', '(', ')', '_', '+',
    0x7f, '\t', 'Q', 'W', 'E', 'R', 'T', 'Y', 'U', 'I', 'O', 'P', '{', '}',
    '\r', 0, 'A', 'S', 'D', 'F', 'G', 'H', 'J', 'K', 'L', ':', '"', '~',
    0, '|', 'Z', 'X', 'C', 'V', 'B', 'N', 'M', '<', '>', '?', 0, '*', 0, ' ',
};

/* Keypad keys outside the main table that send a character regardless of
 * Num Lock: - (0x4A) and + (0x4E). */
#define SC_KP_MINUS 0x4a
#define SC_KP_PLUS  0x4e

static bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* Ctrl with a key: the control character of letters and @[\]^_. */
static int with_ctrl(char c)
{
    if (is_letter(c) || c == '@' || c == '[' || c == '\\' || c == ']' ||
        c == '^' || c == '_')
        return c & 0x1f;
    return c;
}

/* The modifier a make code (after any E0) names, or NULL. */
static bool *modifier(struct scancode_state *s, uint8_t make, bool ext)
{
    if (make == SC_CTRL)
        return ext ? &s->ctrl_right : &s->ctrl_left;
    if (!ext && make == SC_SHIFT_LEFT)
        return &s->shift_left;
    if (!ext && make == SC_SHIFT_RIGHT)
        return &s->shift_right;
    return NULL;
}

int scancode_to_ascii(struct scancode_state *s, uint8_t code)
{
    if (s->skip) {
        s->skip--;
        return -1;
    }
    if (code == SC_PAUSE) {
        s->skip = SC_PAUSE_REST;
        return -1;
    }
    if (code == SC_EXTENDED) {
        s->extended = true;
        return -1;
    }
    bool ext = s->extended, released = code & SC_BREAK;
    uint8_t make = code & (uint8_t)~SC_BREAK;
    s->extended = false;

    bool *mod = modifier(s, make, ext);
    if (mod) {
        *mod = !released;
        return -1;
    }
    if (released)
        return -1;
    if (!ext && make == SC_CAPS_LOCK) {
        s->caps_lock = !s->caps_lock;
        return -1;
    }
    char c = 0;
    if (ext) {
        /* Of the grey keys only keypad Enter and / send a character. */
        c = make == SC_ENTER ? '\r' : make == SC_KP_SLASH ? '/' : 0;
    } else if (make < SC_TABLE_SIZE) {
        bool shift = s->shift_left || s->shift_right;
        c = shift ? shifted[make] : plain[make];
        /* Caps Lock inverts Shift for letters only. */
        if (s->caps_lock && is_letter(c))
            c = shift ? plain[make] : shifted[make];
    } else if (make == SC_KP_MINUS || make == SC_KP_PLUS) {
        c = make == SC_KP_MINUS ? '-' : '+';
    }
    if (!c)
        return -1;
    if (s->ctrl_left || s->ctrl_right)
        return with_ctrl(c);
    return (uint8_t)c;
}
